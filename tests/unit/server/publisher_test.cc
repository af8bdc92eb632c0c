// What the shard publishes after a group (server/live/publisher.h), with a real
// engine and hub: phones that follow the board get one shared board per
// change and their own view only when their ticket changes (or while it is
// BOOKED, or when the session's status changes); the old patient
// subscriptions get their view on every change.
#include "server/live/publisher.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace qc::gw {
namespace {

constexpr Time kDay0 = 1795363200000;  // 2026-11-23 00:00 at UTC+8
const Actor kNurse{ActorKind::kNurse, "n1"};

class FakeSub : public Subscriber {
 public:
  explicit FakeSub(Format f = Format::kJson) : f_(f) {}
  Format format() const override { return f_; }
  void deliver(const Topic& topic, Frame frame) override {
    ++got[to_string(topic)];
    last[to_string(topic)] = *frame.bytes;
  }
  void send_control(std::shared_ptr<const std::string>) override {}
  std::map<std::string, int> got;
  std::map<std::string, std::string> last;

 private:
  Format f_;
};

struct Clinic {
  Engine engine;
  Hub hub;
  Changes changes;
  std::vector<Publication> pubs;
  Time now = kDay0 + 7 * kHour;

  Clinic() {
    SessionSpec s;
    s.session_id = "S";
    s.doctor_id = "d1";
    s.doctor_name = "Dr. Li";
    s.room = "3";
    s.area = "neuro-2f";
    s.start = kDay0 + 8 * kHour;
    s.end = kDay0 + 12 * kHour;
    s.registration_open = kDay0 + 7 * kHour;
    s.appointment_quota.assign(4, 10);
    s.walkin_quota.assign(4, 10);
    EXPECT_TRUE(engine.apply(Command{kNurse, CreateSession{s}}, kDay0 - kDay).ok());
  }
  // A phone subscribes to `id` with the board flag, as follow() does (server/live/subscriptions.h).
  void follow_board(const std::string& id, const std::shared_ptr<Subscriber>& s) {
    hub.add(board_topic("S"), "", s);
    hub.add(own_topic(id), "S", s);
    hub.set_own_booked(own_topic(id), engine.ticket_state(id) == TicketState::kBooked);
  }
  // Applies `body` as one group and publishes what it changed; returns the
  // number of publications (topic, format).
  std::size_t group(CommandBody body) {
    now += kMinute;
    Result r = engine.apply(Command{kNurse, std::move(body)}, now);
    EXPECT_TRUE(r.ok()) << r.message;
    changes.clear();
    changes.add(r.events);
    render_views(engine, hub, changes, now, &pubs);
    std::size_t n = pubs.size();
    deliver(hub, &pubs);
    EXPECT_TRUE(pubs.empty());
    return n;
  }
};

TEST(Publisher, PhonesOnTheBoardGetTheirOwnViewOnlyWhenTheirTicketChanges) {
  Clinic c;
  c.engine.apply(Command{kNurse, Book{"S", 3, "pb", "Booked", "B1", "", ""}}, kDay0 - kHour);
  for (int i = 1; i <= 6; ++i) c.group(RegisterWalkIn{"S", "p" + std::to_string(i), "N", "W" + std::to_string(i), ""});
  // Phones of W3..W6 and of the BOOKED B1 follow the board; W6's also the old way.
  std::map<std::string, std::shared_ptr<FakeSub>> phone;
  for (const char* id : {"W3", "W4", "W5", "W6", "B1"}) {
    phone[id] = std::make_shared<FakeSub>();
    c.follow_board(id, phone[id]);
  }
  auto old = std::make_shared<FakeSub>();
  c.hub.add(patient_topic("W6"), "S", old);

  // Three calls: W1, W2, W3. Every phone gets each board; W3's phone its own
  // view once (called); B1's every time (BOOKED: its projection moves);
  // W4, W5, W6 none; the old subscription every time.
  for (int k = 0; k < 3; ++k) c.group(CallNext{"S"});
  for (const char* id : {"W3", "W4", "W5", "W6", "B1"}) EXPECT_EQ(phone[id]->got["b/S"], 3) << id;
  EXPECT_EQ(phone["W3"]->got["o/W3"], 1);
  EXPECT_NE(phone["W3"]->last["o/W3"].find("TICKET_STATE_CALLED"), std::string::npos);
  EXPECT_EQ(phone["B1"]->got["o/B1"], 3);
  for (const char* id : {"W4", "W5", "W6"}) EXPECT_EQ(phone[id]->got.count(std::string("o/") + id), 0u) << id;
  EXPECT_EQ(old->got["p/W6"], 3);
  // The board carries W4's position and estimate.
  EXPECT_NE(phone["W4"]->last["b/S"].find(R"("waiting":["W004")"), std::string::npos)
      << phone["W4"]->last["b/S"];
  EXPECT_NE(phone["W4"]->last["b/S"].find(R"("etaOffsetsMs":[0,)"), std::string::npos)
      << phone["W4"]->last["b/S"];

  // A ticket event: W3 is missed -> its own view; the others' not.
  c.group(MarkMissed{"W3"});
  EXPECT_EQ(phone["W3"]->got["o/W3"], 2);
  EXPECT_NE(phone["W3"]->last["o/W3"].find("TICKET_STATE_MISSED"), std::string::npos);
  EXPECT_EQ(phone["W3"]->got["b/S"], 4);
  EXPECT_EQ(phone["W4"]->got.count("o/W4"), 0u);
  EXPECT_EQ(phone["W5"]->got.count("o/W5"), 0u);

  // B1 checks in: its own view (now WAITING); from then on it follows the board.
  c.group(CheckIn{"B1"});
  EXPECT_EQ(phone["B1"]->got["o/B1"], 5);  // 3 calls + the miss + the check-in
  EXPECT_NE(phone["B1"]->last["o/B1"].find("TICKET_STATE_WAITING"), std::string::npos);
  c.group(CallNext{"S"});  // W4 called
  EXPECT_EQ(phone["B1"]->got["o/B1"], 5);
  EXPECT_EQ(phone["W4"]->got["o/W4"], 1);

  // The session's status changes: every own view (the state fields stay current).
  c.group(Pause{"S"});
  for (const char* id : {"W3", "W4", "W5", "W6", "B1"}) EXPECT_GE(phone[id]->got[std::string("o/") + id], 1) << id;
  EXPECT_NE(phone["W6"]->last["o/W6"].find("SESSION_STATUS_PAUSED"), std::string::npos);
}

TEST(Publisher, NobodyOnTheBoardNoBoardAndNoOwnViews) {
  Clinic c;
  for (int i = 1; i <= 3; ++i) c.group(RegisterWalkIn{"S", "p" + std::to_string(i), "N", "W" + std::to_string(i), ""});
  EXPECT_EQ(c.group(CallNext{"S"}), 0u);
  auto a = std::make_shared<FakeSub>(Format::kProto);
  c.hub.add(own_topic("W3"), "S", a);
  c.hub.set_own_booked(own_topic("W3"), false);
  EXPECT_EQ(c.group(CallNext{"S"}), 0u);  // W2 called: nothing for W3's own view
  EXPECT_EQ(c.group(CallNext{"S"}), 1u);  // W3 called
  EXPECT_EQ(a->got["o/W3"], 1);
}

}  // namespace
}  // namespace qc::gw
