// The shard's subscription table (server/live/hub.h): topics, formats, dead
// subscribers, patient tickets by session, the open-addressing table under
// many insertions and removals.
#include "server/live/hub.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace qc::gw {
namespace {

class FakeSub : public Subscriber {
 public:
  explicit FakeSub(Format f = Format::kJson) : f_(f) {}
  Format format() const override { return f_; }
  void deliver(const Topic& topic, Frame frame) override { got.emplace_back(topic, *frame.bytes); }
  void send_control(std::shared_ptr<const std::string>) override {}
  std::vector<std::pair<Topic, std::string>> got;

 private:
  Format f_;
};

Frame frame(const std::string& s) { return Frame{std::make_shared<const std::string>(s), {}}; }

TEST(Hub, PublishReachesTheTopicsSubscribersOfThatFormat) {
  Hub hub;
  auto a = std::make_shared<FakeSub>(), b = std::make_shared<FakeSub>();
  auto p = std::make_shared<FakeSub>(Format::kProto);
  hub.add(board_topic("s1"), "", a);
  hub.add(board_topic("s1"), "", b);
  hub.add(board_topic("s1"), "", p);
  hub.add(board_topic("s1"), "", a);  // twice: once
  hub.add(board_topic("s2"), "", b);
  EXPECT_EQ(hub.size(), 4u);
  EXPECT_TRUE(hub.has(board_topic("s1"), Format::kProto));
  EXPECT_FALSE(hub.has(board_topic("s2"), Format::kProto));
  EXPECT_FALSE(hub.has_any(board_topic("s3")));
  EXPECT_EQ(hub.publish(board_topic("s1"), Format::kJson, frame("v1")), 2u);
  EXPECT_EQ(hub.publish(board_topic("s1"), Format::kProto, frame("pb")), 1u);
  EXPECT_EQ(hub.publish(board_topic("s3"), Format::kJson, frame("x")), 0u);
  ASSERT_EQ(a->got.size(), 1u);
  EXPECT_EQ(a->got[0], (std::pair<Topic, std::string>{board_topic("s1"), "v1"}));
  ASSERT_EQ(p->got.size(), 1u);
  EXPECT_EQ(p->got[0].second, "pb");
  hub.remove(board_topic("s1"), a);
  EXPECT_EQ(hub.publish(board_topic("s1"), Format::kJson, frame("v2")), 1u);
  EXPECT_EQ(a->got.size(), 1u);
  EXPECT_EQ(b->got.back().second, "v2");
}

TEST(Hub, DeadSubscribersArePrunedAndEmptyTopicsGo) {
  Hub hub;
  auto keep = std::make_shared<FakeSub>();
  {
    auto gone = std::make_shared<FakeSub>();
    hub.add(display_topic("a1"), "", gone);
    hub.add(display_topic("a1"), "", keep);
    hub.add(staff_topic("x"), "", gone);
  }
  EXPECT_EQ(hub.publish(display_topic("a1"), Format::kJson, frame("v")), 1u);
  EXPECT_EQ(hub.size(), 2u);  // the dead one of d/a1 is gone, s/x not yet
  EXPECT_EQ(hub.publish(staff_topic("x"), Format::kJson, frame("v")), 0u);
  EXPECT_FALSE(hub.has_any(staff_topic("x")));
  EXPECT_EQ(hub.size(), 1u);
  std::weak_ptr<Subscriber> w = keep;
  keep.reset();
  hub.remove(display_topic("a1"), w);  // by owner, after the subscriber died
  EXPECT_FALSE(hub.has_any(display_topic("a1")));
  EXPECT_EQ(hub.size(), 0u);
  EXPECT_EQ(hub.topics(), 0u);
}

TEST(Hub, PatientTicketsBySession) {
  Hub hub;
  auto a = std::make_shared<FakeSub>(), b = std::make_shared<FakeSub>();
  hub.add(patient_topic("t1"), "s1", a);
  hub.add(patient_topic("t2"), "s1", b);
  hub.add(patient_topic("t3"), "s2", b);
  ASSERT_NE(hub.patient_tickets("s1"), nullptr);
  EXPECT_EQ(*hub.patient_tickets("s1"), (std::unordered_set<std::string>{"t1", "t2"}));
  hub.remove(patient_topic("t1"), a);
  EXPECT_EQ(*hub.patient_tickets("s1"), (std::unordered_set<std::string>{"t2"}));
  hub.remove(patient_topic("t2"), b);
  EXPECT_EQ(hub.patient_tickets("s1"), nullptr);
  EXPECT_NE(hub.patient_tickets("s2"), nullptr);
}

TEST(Hub, OwnViewTopicsAreNotPatientTickets) {
  Hub hub;
  auto a = std::make_shared<FakeSub>(), b = std::make_shared<FakeSub>();
  hub.add(own_topic("t1"), "s1", a);
  hub.add(own_topic("t2"), "s1", b);
  hub.add(patient_topic("t2"), "s1", b);  // the same ticket also followed the old way
  hub.add(board_topic("s1"), "", a);
  EXPECT_EQ(own_topic("t1"), (Topic{TopicKind::kOwn, "t1"}));
  EXPECT_EQ(*hub.patient_tickets("s1"), (std::unordered_set<std::string>{"t2"}));
  hub.remove(own_topic("t2"), b);
  EXPECT_EQ(*hub.patient_tickets("s1"), (std::unordered_set<std::string>{"t2"}));
  EXPECT_EQ(hub.publish(own_topic("t1"), Format::kJson, frame("own")), 1u);
  a.reset();  // a dead subscriber's own topic goes at the next publish
  EXPECT_EQ(hub.publish(own_topic("t1"), Format::kJson, frame("own")), 0u);
  EXPECT_FALSE(hub.has_any(own_topic("t1")));
  EXPECT_NE(hub.patient_tickets("s1"), nullptr);
}

TEST(Hub, BookedOwnTicketsBySession) {
  Hub hub;
  auto a = std::make_shared<FakeSub>(), b = std::make_shared<FakeSub>();
  hub.add(own_topic("t1"), "s1", a);
  hub.add(own_topic("t2"), "s1", b);
  hub.set_own_booked(own_topic("t1"), true);
  hub.set_own_booked(own_topic("t2"), true);
  hub.set_own_booked(own_topic("none"), true);  // no subscribers: nothing
  hub.set_own_booked(patient_topic("t1"), true);    // not an own topic: nothing
  ASSERT_NE(hub.booked_own_tickets("s1"), nullptr);
  EXPECT_EQ(*hub.booked_own_tickets("s1"), (std::unordered_set<std::string>{"t1", "t2"}));
  hub.set_own_booked(own_topic("t1"), false);  // checked in
  EXPECT_EQ(*hub.booked_own_tickets("s1"), (std::unordered_set<std::string>{"t2"}));
  hub.remove(own_topic("t2"), b);  // the last subscriber goes: so does the mark
  EXPECT_EQ(hub.booked_own_tickets("s1"), nullptr);
  hub.add(own_topic("t2"), "s1", b);  // back: not marked until told
  EXPECT_EQ(hub.booked_own_tickets("s1"), nullptr);
  EXPECT_TRUE(hub.has_any(own_topic("t1")));
  EXPECT_TRUE(hub.has_any(own_topic("t2")));
}

TEST(Hub, ManyTopicsAddedAndRemovedInRandomOrder) {
  Hub hub;
  std::mt19937 rng(7);
  std::vector<std::shared_ptr<FakeSub>> subs;
  std::map<std::string, std::shared_ptr<FakeSub>> live;
  for (int i = 0; i < 5000; ++i) {
    std::string t = "ticket-" + std::to_string(i * 7919 % 100003);
    auto s = std::make_shared<FakeSub>();
    hub.add(patient_topic(t), "s" + std::to_string(i % 13), s);
    live[t] = s;
  }
  std::vector<std::string> names;
  for (auto& [t, s] : live) names.push_back(t);
  std::shuffle(names.begin(), names.end(), rng);
  for (std::size_t i = 0; i < names.size(); i += 2) {
    hub.remove(patient_topic(names[i]), live[names[i]]);
    live.erase(names[i]);
  }
  EXPECT_EQ(hub.size(), live.size());
  EXPECT_EQ(hub.topics(), live.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    const bool there = live.count(names[i]) != 0;
    ASSERT_EQ(hub.has_any(patient_topic(names[i])), there) << names[i];
    ASSERT_EQ(hub.publish(patient_topic(names[i]), Format::kJson, frame(names[i])), there ? 1u : 0u);
  }
  for (auto& [t, s] : live) {
    ASSERT_EQ(s->got.size(), 1u);
    EXPECT_EQ(s->got[0].second, t);
  }
  EXPECT_FALSE(hub.has_any(patient_topic("ticket-nope")));
}

}  // namespace
}  // namespace qc::gw
