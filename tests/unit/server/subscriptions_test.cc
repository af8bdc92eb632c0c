// Live-push subscriptions on the shard (server/live/subscriptions.h) and
// typed topics (server/live/topic.h), with a real engine and hub: what a
// subscribe registers and which first views it sends, for every kind.
#include "server/live/subscriptions.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/sessions.h"

namespace qc::gw {
namespace {

using test::test_session;

constexpr Time kDay0 = 1795363200000;
const Actor kNurse{ActorKind::kNurse, "n1"};
const std::string kToken = "0123456789abcdef0123456789abcdef";

class FakeSub : public Subscriber {
 public:
  Format format() const override { return Format::kJson; }
  void deliver(const Topic& topic, Frame frame) override { got.emplace_back(topic, *frame.bytes); }
  void send_control(std::shared_ptr<const std::string>) override {}
  std::vector<std::pair<Topic, std::string>> got;
};

struct Clinic {
  Engine engine;
  Hub hub;
  Time now = kDay0 + 7 * kHour + 30 * kMinute;
  Clinic() {
    EXPECT_TRUE(engine.apply(Command{kNurse, CreateSession{test_session("S", "neuro", "neuro-2f", kDay0 + 8 * kHour, 10)}},
                             kDay0 - kDay)
                    .ok());
    EXPECT_TRUE(engine.apply(Command{kNurse, Book{"S", 1, "pb", "Booked", "B1", "", kToken}}, kDay0 - kHour).ok());
  }
  SubscribeResult follow(FollowRequest req, const std::shared_ptr<FakeSub>& s) {
    return qc::gw::follow(engine, hub, now, req, s);
  }
};

TEST(Topic, KindAndKeyBothNameTheTopic) {
  EXPECT_EQ(board_topic("S"), (Topic{TopicKind::kBoard, "S"}));
  EXPECT_NE(board_topic("S"), staff_topic("S"));
  EXPECT_NE(patient_topic("t"), own_topic("t"));
  EXPECT_EQ(to_string(own_topic("t1")), "o/t1");
  // In the hub, the same key under two kinds is two topics.
  Hub hub;
  auto a = std::make_shared<FakeSub>(), b = std::make_shared<FakeSub>();
  hub.add(board_topic("S"), "", a);
  hub.add(staff_topic("S"), "", b);
  EXPECT_EQ(hub.topics(), 2u);
  EXPECT_EQ(hub.publish(board_topic("S"), Format::kJson, Frame{std::make_shared<const std::string>("x"), {}}), 1u);
  EXPECT_EQ(a->got.size(), 1u);
  EXPECT_TRUE(b->got.empty());
  EXPECT_FALSE(hub.has_any(display_topic("S")));
}

TEST(Subscriptions, EachKindRegistersItsTopicAndSendsTheViewTheClientLacks) {
  Clinic c;
  struct Case {
    FollowRequest req;
    Topic topic;
  };
  const std::vector<Case> cases = {
      {{TopicKind::kBoard, "S", "", false, 0}, board_topic("S")},
      {{TopicKind::kStaff, "S", "k", false, 0}, staff_topic("S")},
      {{TopicKind::kDisplay, "neuro-2f", "k", false, 0}, display_topic("neuro-2f")},
      {{TopicKind::kPatient, "", kToken, false, 0}, patient_topic("B1")},
  };
  for (const Case& k : cases) {
    auto s = std::make_shared<FakeSub>();
    SubscribeResult r = c.follow(k.req, s);
    ASSERT_EQ(r.error, Error::kOk) << to_string(k.topic) << ": " << r.message;
    EXPECT_EQ(r.topics, std::vector<Topic>{k.topic});
    EXPECT_TRUE(c.hub.has(k.topic, Format::kJson)) << to_string(k.topic);
    ASSERT_EQ(s->got.size(), 1u) << to_string(k.topic);
    EXPECT_EQ(s->got[0].first, k.topic);
    EXPECT_FALSE(s->got[0].second.empty());
  }
  EXPECT_NE(c.hub.patient_tickets("S"), nullptr);  // the patient topic is indexed by its session
}

TEST(Subscriptions, AViewOfTheClientsVersionIsNotSentAgainExceptADisplaysAtZero) {
  Clinic c;
  const std::uint64_t board = c.engine.board("S", c.now)->version;
  auto s = std::make_shared<FakeSub>();
  ASSERT_EQ(c.follow({TopicKind::kBoard, "S", "", false, board}, s).error, Error::kOk);
  EXPECT_TRUE(s->got.empty());
  EXPECT_TRUE(c.hub.has_any(board_topic("S")));  // registered all the same

  const std::uint64_t display = c.engine.display_view("neuro-2f", c.now).version;
  auto d = std::make_shared<FakeSub>();
  ASSERT_EQ(c.follow({TopicKind::kDisplay, "neuro-2f", "", false, display}, d).error, Error::kOk);
  EXPECT_EQ(d->got.size(), display == 0 ? 1u : 0u);
  auto d0 = std::make_shared<FakeSub>();
  ASSERT_EQ(c.follow({TopicKind::kDisplay, "elsewhere", "", false, 0}, d0).error, Error::kOk);
  EXPECT_EQ(d0->got.size(), 1u);  // without lastVersion: always, even a view at version 0
}

TEST(Subscriptions, APatientOnTheBoardFollowsTheBoardAndItsOwnViewAlwaysSent) {
  Clinic c;
  const std::uint64_t board = c.engine.board("S", c.now)->version;
  auto s = std::make_shared<FakeSub>();
  SubscribeResult r = c.follow({TopicKind::kPatient, "", kToken, true, board}, s);
  ASSERT_EQ(r.error, Error::kOk) << r.message;
  EXPECT_EQ(r.topics, (std::vector<Topic>{board_topic("S"), own_topic("B1")}));
  ASSERT_EQ(s->got.size(), 1u);  // the board is the client's version; the own view goes anyway
  EXPECT_EQ(s->got[0].first, own_topic("B1"));
  ASSERT_NE(c.hub.booked_own_tickets("S"), nullptr);  // B1 is BOOKED
  EXPECT_EQ(c.hub.booked_own_tickets("S")->count("B1"), 1u);
  EXPECT_EQ(c.hub.patient_tickets("S"), nullptr);  // own topics are not patient topics

  auto fresh = std::make_shared<FakeSub>();
  ASSERT_EQ(c.follow({TopicKind::kPatient, "", kToken, true, 0}, fresh).error, Error::kOk);
  ASSERT_EQ(fresh->got.size(), 2u);  // board first, then the own view
  EXPECT_EQ(fresh->got[0].first, board_topic("S"));
  EXPECT_EQ(fresh->got[1].first, own_topic("B1"));
}

TEST(Subscriptions, WhatNamesNothingIsRefusedAndRegistersNothing) {
  Clinic c;
  auto s = std::make_shared<FakeSub>();
  SubscribeResult r = c.follow({TopicKind::kPatient, "", "ffffffffffffffffffffffffffffffff", false, 0}, s);
  EXPECT_EQ(r.error, Error::kUnauthorized);
  EXPECT_EQ(r.message, "unknown patient token");
  EXPECT_EQ(c.follow({TopicKind::kBoard, "nope", "", false, 0}, s).error, Error::kUnknownSession);
  EXPECT_EQ(c.follow({TopicKind::kStaff, "nope", "", false, 0}, s).error, Error::kUnknownSession);
  EXPECT_EQ(c.hub.size(), 0u);
  EXPECT_TRUE(s->got.empty());
}

}  // namespace
}  // namespace qc::gw
