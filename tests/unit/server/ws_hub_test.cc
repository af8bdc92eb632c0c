// The shard's subscription table (server/live/hub.h): topics, formats, dead
// subscribers, patient tickets by session, the open-addressing table under
// many insertions and removals, and delivery batches.
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
  void deliver(const std::string& topic, Frame frame) override { got.emplace_back(topic, *frame.bytes); }
  void send_control(std::shared_ptr<const std::string>) override {}
  std::vector<std::pair<std::string, std::string>> got;

 private:
  Format f_;
};

Frame frame(const std::string& s) { return Frame{std::make_shared<const std::string>(s), {}}; }

TEST(Hub, PublishReachesTheTopicsSubscribersOfThatFormat) {
  Hub hub;
  auto a = std::make_shared<FakeSub>(), b = std::make_shared<FakeSub>();
  auto p = std::make_shared<FakeSub>(Format::kProto);
  hub.add("b/s1", "", a);
  hub.add("b/s1", "", b);
  hub.add("b/s1", "", p);
  hub.add("b/s1", "", a);  // twice: once
  hub.add("b/s2", "", b);
  EXPECT_EQ(hub.size(), 4u);
  EXPECT_TRUE(hub.has("b/s1", Format::kProto));
  EXPECT_FALSE(hub.has("b/s2", Format::kProto));
  EXPECT_FALSE(hub.has_any("b/s3"));
  EXPECT_EQ(hub.publish("b/s1", Format::kJson, frame("v1")), 2u);
  EXPECT_EQ(hub.publish("b/s1", Format::kProto, frame("pb")), 1u);
  EXPECT_EQ(hub.publish("b/s3", Format::kJson, frame("x")), 0u);
  ASSERT_EQ(a->got.size(), 1u);
  EXPECT_EQ(a->got[0], (std::pair<std::string, std::string>{"b/s1", "v1"}));
  ASSERT_EQ(p->got.size(), 1u);
  EXPECT_EQ(p->got[0].second, "pb");
  hub.remove("b/s1", a);
  EXPECT_EQ(hub.publish("b/s1", Format::kJson, frame("v2")), 1u);
  EXPECT_EQ(a->got.size(), 1u);
  EXPECT_EQ(b->got.back().second, "v2");
}

TEST(Hub, DeadSubscribersArePrunedAndEmptyTopicsGo) {
  Hub hub;
  auto keep = std::make_shared<FakeSub>();
  {
    auto gone = std::make_shared<FakeSub>();
    hub.add("d/a1", "", gone);
    hub.add("d/a1", "", keep);
    hub.add("s/x", "", gone);
  }
  EXPECT_EQ(hub.publish("d/a1", Format::kJson, frame("v")), 1u);
  EXPECT_EQ(hub.size(), 2u);  // the dead one of d/a1 is gone, s/x not yet
  EXPECT_EQ(hub.publish("s/x", Format::kJson, frame("v")), 0u);
  EXPECT_FALSE(hub.has_any("s/x"));
  EXPECT_EQ(hub.size(), 1u);
  std::weak_ptr<Subscriber> w = keep;
  keep.reset();
  hub.remove("d/a1", w);  // by owner, after the subscriber died
  EXPECT_FALSE(hub.has_any("d/a1"));
  EXPECT_EQ(hub.size(), 0u);
  EXPECT_EQ(hub.topics(), 0u);
}

TEST(Hub, PatientTicketsBySession) {
  Hub hub;
  auto a = std::make_shared<FakeSub>(), b = std::make_shared<FakeSub>();
  hub.add("p/t1", "s1", a);
  hub.add("p/t2", "s1", b);
  hub.add("p/t3", "s2", b);
  ASSERT_NE(hub.patient_tickets("s1"), nullptr);
  EXPECT_EQ(*hub.patient_tickets("s1"), (std::unordered_set<std::string>{"t1", "t2"}));
  hub.remove("p/t1", a);
  EXPECT_EQ(*hub.patient_tickets("s1"), (std::unordered_set<std::string>{"t2"}));
  hub.remove("p/t2", b);
  EXPECT_EQ(hub.patient_tickets("s1"), nullptr);
  EXPECT_NE(hub.patient_tickets("s2"), nullptr);
}

TEST(Hub, OwnViewTopicsAreNotPatientTickets) {
  Hub hub;
  auto a = std::make_shared<FakeSub>(), b = std::make_shared<FakeSub>();
  hub.add("o/t1", "s1", a);
  hub.add("o/t2", "s1", b);
  hub.add("p/t2", "s1", b);  // the same ticket also followed the old way
  hub.add("b/s1", "", a);
  EXPECT_EQ(own_topic("t1"), "o/t1");
  EXPECT_EQ(*hub.patient_tickets("s1"), (std::unordered_set<std::string>{"t2"}));
  hub.remove("o/t2", b);
  EXPECT_EQ(*hub.patient_tickets("s1"), (std::unordered_set<std::string>{"t2"}));
  EXPECT_EQ(hub.publish("o/t1", Format::kJson, frame("own")), 1u);
  a.reset();  // a dead subscriber's own topic goes at the next publish
  EXPECT_EQ(hub.publish("o/t1", Format::kJson, frame("own")), 0u);
  EXPECT_FALSE(hub.has_any("o/t1"));
  EXPECT_NE(hub.patient_tickets("s1"), nullptr);
}

TEST(Hub, BookedOwnTicketsBySession) {
  Hub hub;
  auto a = std::make_shared<FakeSub>(), b = std::make_shared<FakeSub>();
  hub.add("o/t1", "s1", a);
  hub.add("o/t2", "s1", b);
  hub.set_own_booked("o/t1", true);
  hub.set_own_booked("o/t2", true);
  hub.set_own_booked("o/none", true);  // no subscribers: nothing
  hub.set_own_booked("p/t1", true);    // not an own topic: nothing
  ASSERT_NE(hub.booked_own_tickets("s1"), nullptr);
  EXPECT_EQ(*hub.booked_own_tickets("s1"), (std::unordered_set<std::string>{"t1", "t2"}));
  hub.set_own_booked("o/t1", false);  // checked in
  EXPECT_EQ(*hub.booked_own_tickets("s1"), (std::unordered_set<std::string>{"t2"}));
  hub.remove("o/t2", b);  // the last subscriber goes: so does the mark
  EXPECT_EQ(hub.booked_own_tickets("s1"), nullptr);
  hub.add("o/t2", "s1", b);  // back: not marked until told
  EXPECT_EQ(hub.booked_own_tickets("s1"), nullptr);
  EXPECT_TRUE(hub.has_any("o/t1"));
  EXPECT_TRUE(hub.has_any("o/t2"));
}

TEST(Hub, ManyTopicsAddedAndRemovedInRandomOrder) {
  Hub hub;
  std::mt19937 rng(7);
  std::vector<std::shared_ptr<FakeSub>> subs;
  std::map<std::string, std::shared_ptr<FakeSub>> live;
  for (int i = 0; i < 5000; ++i) {
    std::string t = "p/ticket-" + std::to_string(i * 7919 % 100003);
    auto s = std::make_shared<FakeSub>();
    hub.add(t, "s" + std::to_string(i % 13), s);
    live[t] = s;
  }
  std::vector<std::string> names;
  for (auto& [t, s] : live) names.push_back(t);
  std::shuffle(names.begin(), names.end(), rng);
  for (std::size_t i = 0; i < names.size(); i += 2) {
    hub.remove(names[i], live[names[i]]);
    live.erase(names[i]);
  }
  EXPECT_EQ(hub.size(), live.size());
  EXPECT_EQ(hub.topics(), live.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    const bool there = live.count(names[i]) != 0;
    ASSERT_EQ(hub.has_any(names[i]), there) << names[i];
    ASSERT_EQ(hub.publish(names[i], Format::kJson, frame(names[i])), there ? 1u : 0u);
  }
  for (auto& [t, s] : live) {
    ASSERT_EQ(s->got.size(), 1u);
    EXPECT_EQ(s->got[0].second, t);
  }
  EXPECT_FALSE(hub.has_any("p/ticket-nope"));
}

struct CountingFlusher : DeliveryBatch::Flusher {
  int runs = 0;
  void flush_deferred() override { ++runs; }
};

TEST(DeliveryBatch, DefersToTheEndOfTheOutermostBatchOnce) {
  CountingFlusher f;
  EXPECT_FALSE(DeliveryBatch::defer(&f));  // no batch: the caller wakes itself
  {
    DeliveryBatch outer;
    EXPECT_TRUE(DeliveryBatch::defer(&f));
    {
      DeliveryBatch inner;
      EXPECT_TRUE(DeliveryBatch::defer(&f));
    }
    EXPECT_EQ(f.runs, 0);  // the inner end is not the end
    EXPECT_TRUE(DeliveryBatch::defer(&f));
  }
  EXPECT_EQ(f.runs, 1);
  EXPECT_FALSE(DeliveryBatch::defer(&f));
}

}  // namespace
}  // namespace qc::gw
