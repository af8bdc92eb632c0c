// Schedules: weekly templates, generated sessions, batch quota adjustment and
// doctor leave (停诊), through the public Engine API.
//
// kDay0 (tests/support/scenario.h) is Monday 2026-11-23 00:00 at UTC+8.
#include "tests/support/scenario.h"

namespace qc::test {
namespace {

Actor admin() { return Actor{ActorKind::kAdmin, "a1"}; }
Step as_admin(CommandBody body, Time now) { return Step{Command{admin(), std::move(body)}, now}; }

SessionTemplate monday_li() {
  SessionTemplate t;
  t.template_id = "li-mon";
  t.doctor_id = "d-li";
  t.doctor_name = "Dr. Li";
  t.department = "neuro";
  t.room = "3";
  t.area = "neuro-2f";
  t.weekday = 1;
  t.appointment_quota = {0, 9, 1, 0};
  t.walkin_quota = {15, 3, 2, 10};
  t.policy = Policy::kAppointmentsFirst;
  return t;
}

Step define(const SessionTemplate& t, Time now = kDay0 - 7 * kDay) { return as_admin(DefineTemplate{t}, now); }
Step generate(Time from, int days, Time now = kDay0 - 7 * kDay) {
  return as_admin(GenerateSessions{from, days}, now);
}
Step adjust(std::string doctor, Time from, Time to, std::vector<std::int32_t> a,
            std::vector<std::int32_t> w, Time now) {
  return as_admin(AdjustQuotas{std::move(doctor), from, to, std::move(a), std::move(w)}, now);
}
Step leave(std::string doctor, Time from, Time to, Time now, std::string reason = "conference") {
  return as_admin(DoctorLeave{std::move(doctor), from, to, std::move(reason)}, now);
}

TEST(Schedule, DefineTemplateValidatesEverything) {
  Scenario sc(Scenario::Empty{});
  Result r = sc.run({define(monday_li())});
  Event e = find_event(r.events, EventType::kTemplateDefined);
  EXPECT_EQ(e.ticket_id, "li-mon");
  sc.reject(define(monday_li()), Error::kAlreadyExists);

  auto bad = [&](auto mutate) {
    SessionTemplate t = monday_li();
    t.template_id = "bad";
    mutate(t);
    sc.reject(define(t), Error::kInvalidArgument);
  };
  bad([](SessionTemplate& t) { t.template_id = ""; });
  bad([](SessionTemplate& t) { t.doctor_id = ""; });
  bad([](SessionTemplate& t) { t.weekday = 7; });
  bad([](SessionTemplate& t) { t.weekday = -1; });
  bad([](SessionTemplate& t) { t.slot_minutes = 50; });  // does not divide 240
  bad([](SessionTemplate& t) { t.slot_minutes = 0; });
  bad([](SessionTemplate& t) { t.end_minute = t.start_minute; });
  bad([](SessionTemplate& t) { t.end_minute = 25 * 60; });
  bad([](SessionTemplate& t) { t.registration_open_minute = 9 * 60; });
  bad([](SessionTemplate& t) { t.appointment_quota = {1, 2, 3}; });
  bad([](SessionTemplate& t) { t.walkin_quota = {1, 2, 3, -1}; });
  bad([](SessionTemplate& t) { t.utc_offset_minutes = 15 * 60; });
  bad([](SessionTemplate& t) { t.first_call_delay = -1; });
  bad([](SessionTemplate& t) { t.first_call_delay = 367 * kDay; });
  bad([](SessionTemplate& t) { t.avg_consult_seed = -1; });
  bad([](SessionTemplate& t) { t.avg_consult_seed = 367 * kDay; });
  bad([](SessionTemplate& t) { t.arrival_buffer = -kMinute; });
  bad([](SessionTemplate& t) { t.arrival_buffer = 367 * kDay; });
}

// The doctor's usual first-call delay (learned by `queuecast plan`) reaches
// every generated session, and survives a snapshot of the template.
TEST(Schedule, GeneratedSessionsCarryTheFirstCallDelay) {
  Scenario sc(Scenario::Empty{});
  SessionTemplate t = monday_li();
  t.first_call_delay = 48 * kMinute;
  sc.run({define(t)});
  Engine copy;
  ASSERT_TRUE(copy.load(sc.engine.save()));
  sc.run({generate(kDay0, 1)});
  const SessionSpec* s = sc.engine.session_spec("li-mon-20261123");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->first_call_delay, 48 * kMinute);
  ASSERT_TRUE(copy.apply(Command{admin(), GenerateSessions{kDay0, 1}}, kDay0 - 7 * kDay).ok());
  ASSERT_NE(copy.session_spec("li-mon-20261123"), nullptr);
  EXPECT_EQ(copy.session_spec("li-mon-20261123")->first_call_delay, 48 * kMinute);
}

// The estimates' seed (the doctor's mean consultation) and the recommended
// arrival margin reach every generated session, and survive a snapshot; a
// template left at the defaults gives the defaults.
TEST(Schedule, GeneratedSessionsCarryTheConsultSeedAndArrivalBuffer) {
  Scenario sc(Scenario::Empty{});
  SessionTemplate t = monday_li();
  t.avg_consult_seed = 6 * kMinute;
  t.arrival_buffer = 40 * kMinute;
  SessionTemplate plain = monday_li();
  plain.template_id = "li-mon-plain";
  plain.room = "2";
  sc.run({define(t), define(plain)});
  Engine copy;
  ASSERT_TRUE(copy.load(sc.engine.save()));
  sc.run({generate(kDay0, 1)});
  for (Engine* e : {&sc.engine, &copy}) {
    if (e == &copy) {
      ASSERT_TRUE(copy.apply(Command{admin(), GenerateSessions{kDay0, 1}}, kDay0 - 7 * kDay).ok());
    }
    const SessionSpec* s = e->session_spec("li-mon-20261123");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->avg_consult_seed, 6 * kMinute);
    EXPECT_EQ(s->arrival_buffer, 40 * kMinute);
    const SessionSpec* d = e->session_spec("li-mon-plain-20261123");
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->avg_consult_seed, 0);
    EXPECT_EQ(d->arrival_buffer, 15 * kMinute);
  }
  // The seed is what the estimates use before the first consultation ends:
  // the third walk-in waits behind two 6-minute consultations.
  const SessionSpec* s = sc.engine.session_spec("li-mon-20261123");
  ASSERT_NE(s, nullptr);
  const Time open = s->registration_open;
  ASSERT_TRUE(sc.engine.apply(Command{nurse(), RegisterWalkIn{"li-mon-20261123", "p1", "A", "W1", ""}}, open).ok());
  ASSERT_TRUE(sc.engine.apply(Command{nurse(), RegisterWalkIn{"li-mon-20261123", "p2", "B", "W2", ""}}, open).ok());
  ASSERT_TRUE(sc.engine.apply(Command{nurse(), RegisterWalkIn{"li-mon-20261123", "p3", "C", "W3", ""}}, open).ok());
  auto v = sc.engine.patient_view("W3", open);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->ahead, 2);
  EXPECT_EQ(v->eta, s->start + 12 * kMinute);
}

TEST(Schedule, GenerateCreatesOneSessionPerMatchingLocalDay) {
  Scenario sc(Scenario::Empty{});
  SessionTemplate wed = monday_li();
  wed.template_id = "li-wed";
  wed.weekday = 3;
  wed.start_minute = 14 * 60;
  wed.end_minute = 17 * 60;
  wed.registration_open_minute = 13 * 60;
  wed.appointment_quota = {2, 2, 2};
  wed.walkin_quota = {5, 5, 5};
  sc.run({define(monday_li()), define(wed)});
  // From Monday 12:00 (any instant of the day) for 14 days: Mon, Wed, Mon, Wed.
  Result r = sc.run({generate(kDay0 + 12 * kHour, 14)});
  std::vector<std::string> created;
  for (const Event& e : r.events)
    if (e.type == EventType::kSessionCreated) created.push_back(e.session_id);
  EXPECT_EQ(created, ids("li-mon-20261123 li-wed-20261125 li-mon-20261130 li-wed-20261202"));
  EXPECT_EQ(sc.engine.session_ids(), created);

  const SessionSpec* s = sc.engine.session_spec("li-mon-20261123");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->start, at("08:00"));
  EXPECT_EQ(s->end, at("12:00"));
  EXPECT_EQ(s->registration_open, at("07:00"));
  EXPECT_EQ(s->doctor_id, "d-li");
  EXPECT_EQ(s->room, "3");
  EXPECT_EQ(s->appointment_quota, (std::vector<std::int32_t>{0, 9, 1, 0}));
  EXPECT_EQ(s->walkin_quota, (std::vector<std::int32_t>{15, 3, 2, 10}));
  EXPECT_EQ(s->policy, Policy::kAppointmentsFirst);
  const SessionSpec* w = sc.engine.session_spec("li-wed-20261125");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->start, at("14:00") + 2 * kDay);

  // Generating an overlapping range again skips the existing sessions.
  r = sc.run({generate(kDay0, 21)});
  created.clear();
  for (const Event& e : r.events)
    if (e.type == EventType::kSessionCreated) created.push_back(e.session_id);
  EXPECT_EQ(created, ids("li-mon-20261207 li-wed-20261209"));
  EXPECT_EQ(sc.engine.session_ids().size(), 6u);
}

TEST(Schedule, LocalDayFollowsTheTemplatesUtcOffset) {
  Scenario sc(Scenario::Empty{});
  // kDay0 is Monday 00:00 at UTC+8, i.e. Sunday 16:00 UTC.
  SessionTemplate t = monday_li();
  t.template_id = "utc-sun";
  t.weekday = 0;
  t.utc_offset_minutes = 0;
  sc.run({define(t)});
  Result r = sc.run({generate(kDay0, 1)});
  Event e = find_event(r.events, EventType::kSessionCreated);
  EXPECT_EQ(e.session_id, "utc-sun-20261122");
  const SessionSpec* s = sc.engine.session_spec("utc-sun-20261122");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->start, kDay0 - 8 * kHour);  // Sunday 08:00 UTC = kDay0 - 16 h + 8 h
  EXPECT_EQ(s->utc_offset_minutes, 0);
}

TEST(Schedule, GenerateRejectsBadRanges) {
  Scenario sc(Scenario::Empty{});
  sc.run({define(monday_li())});
  sc.reject(generate(kDay0, 0), Error::kInvalidArgument);
  sc.reject(generate(kDay0, 367), Error::kInvalidArgument);
  // No template matches: applied, nothing created.
  Result r = sc.run({generate(kDay0 + kDay, 5)});  // Tuesday to Saturday
  EXPECT_TRUE(r.events.empty());
}

class Adjust : public ::testing::Test {
 protected:
  void SetUp() override {
    sc.run({define(monday_li()), generate(kDay0, 8)});  // 11-23 and 11-30
    sc.run({step(Book{"li-mon-20261123", 1, "p1", "P1", "A1", "", ""}, day_before("10:00")),
            step(Book{"li-mon-20261123", 1, "p2", "P2", "A2", "", ""}, day_before("10:01")),
            step(Book{"li-mon-20261123", 2, "p3", "P3", "A3", "", ""}, day_before("10:02"))});
  }
  std::vector<std::int32_t> a_left(const std::string& sid) {
    return sc.engine.staff_view(sid, day_before("11:00"))->appointment_left;
  }
  std::vector<std::int32_t> w_left(const std::string& sid) {
    return sc.engine.staff_view(sid, day_before("11:00"))->walkin_left;
  }
  Scenario sc{Scenario::Empty{}};
};

TEST_F(Adjust, SetsQuotasButNeverBelowWhatIsBooked) {
  Result r = sc.run({adjust("d-li", kDay0, kDay0 + 14 * kDay, {1, 1, 0, 5}, {4, 4, 4, 4}, day_before("11:00"))});
  EXPECT_EQ(count_events(r.events, EventType::kQuotasAdjusted), 2);
  // Slot 1 had 2 booked (quota stays 2, nothing left), slot 2 had 1 booked.
  EXPECT_EQ(a_left("li-mon-20261123"), (std::vector<std::int32_t>{1, 0, 0, 5}));
  EXPECT_EQ(a_left("li-mon-20261130"), (std::vector<std::int32_t>{1, 1, 0, 5}));
  EXPECT_EQ(w_left("li-mon-20261130"), (std::vector<std::int32_t>{4, 4, 4, 4}));
  // The bookings are untouched.
  EXPECT_EQ(sc.state("A1"), TicketState::kBooked);
  EXPECT_EQ(sc.state("A3"), TicketState::kBooked);
}

TEST_F(Adjust, OnlySessionsInTheRangeThatHaveNotStarted) {
  // A range that holds only the first session.
  Result r = sc.run({adjust("d-li", kDay0, kDay0 + kDay, {3, 3, 3, 3}, {1, 1, 1, 1}, day_before("12:00"))});
  ASSERT_EQ(count_events(r.events, EventType::kQuotasAdjusted), 1);
  EXPECT_EQ(r.events[0].session_id, "li-mon-20261123");
  // At 08:30 on 11-23 the first session has started: only 11-30 changes.
  r = sc.run({adjust("d-li", kDay0, kDay0 + 14 * kDay, {0, 0, 0, 0}, {1, 1, 1, 1}, at("08:30"))});
  ASSERT_EQ(count_events(r.events, EventType::kQuotasAdjusted), 1);
  EXPECT_EQ(r.events[0].session_id, "li-mon-20261130");
}

TEST_F(Adjust, RejectsBadInput) {
  const Time now = day_before("11:00");
  sc.reject(adjust("d-li", kDay0, kDay0 + 14 * kDay, {1, 1, 1}, {1, 1, 1, 1}, now), Error::kInvalidArgument);
  sc.reject(adjust("d-li", kDay0, kDay0 + 14 * kDay, {1, 1, 1, -1}, {1, 1, 1, 1}, now), Error::kInvalidArgument);
  sc.reject(adjust("d-li", kDay0 + kDay, kDay0, {1, 1, 1, 1}, {1, 1, 1, 1}, now), Error::kInvalidArgument);
  sc.reject(adjust("", kDay0, kDay0 + kDay, {1, 1, 1, 1}, {1, 1, 1, 1}, now), Error::kInvalidArgument);
  sc.reject(adjust("d-wang", kDay0, kDay0 + 14 * kDay, {1, 1, 1, 1}, {1, 1, 1, 1}, now), Error::kUnknownSession);
}

TEST_F(Adjust, DoctorLeaveSuspendsAndTellsEveryBookedPatient) {
  // A walk-in is already waiting on the day when the leave is entered.
  sc.run({step(RegisterWalkIn{"li-mon-20261123", "p9", "P9", "W1", ""}, at("07:05"))});
  Result r = sc.run({leave("d-li", kDay0, kDay0 + kDay, at("07:10"))});
  std::vector<std::string> told;
  for (const Event& e : r.events) {
    if (e.type != EventType::kTicketCancelled) continue;
    EXPECT_EQ(e.reason, "leave");
    EXPECT_EQ(e.to, TicketState::kCancelled);
    told.push_back(e.ticket_id);
  }
  EXPECT_EQ(told, ids("A1 A2 A3 W1"));
  Event s = find_event(r.events, EventType::kSessionSuspended);
  EXPECT_EQ(s.session_id, "li-mon-20261123");
  EXPECT_EQ(s.reason, "conference");
  // The other Monday is untouched; the suspended one refuses bookings.
  EXPECT_EQ(sc.engine.staff_view("li-mon-20261130", at("07:10"))->status, SessionStatus::kOpen);
  sc.reject(step(Book{"li-mon-20261123", 3, "p4", "P4", "A4", "", ""}, at("07:11")), Error::kSessionClosed);
  // Closing it later counts nobody as a no-show.
  r = sc.run({close(at("12:00"), "li-mon-20261123")});
  EXPECT_EQ(count_events(r.events, EventType::kTicketNoShow), 0);
  // The patients may book elsewhere (their bookings are no longer active).
  sc.run({step(Book{"li-mon-20261130", 1, "p1", "P1", "B1", "", ""}, at("13:00"))});
}

TEST_F(Adjust, LeaveRejectsBadInputAndEmptyRanges) {
  const Time now = day_before("11:00");
  sc.reject(leave("", kDay0, kDay0 + kDay, now), Error::kInvalidArgument);
  sc.reject(leave("d-li", kDay0, kDay0, now), Error::kInvalidArgument);
  sc.reject(leave("d-wang", kDay0, kDay0 + kDay, now), Error::kUnknownSession);
  // A whole fortnight, with the default reason.
  Result r = sc.run({leave("d-li", kDay0, kDay0 + 14 * kDay, now, "")});
  EXPECT_EQ(count_events(r.events, EventType::kSessionSuspended), 2);
  EXPECT_EQ(find_event(r.events, EventType::kSessionSuspended).reason, "leave");
  // Both are suspended now: a second leave finds nothing open.
  sc.reject(leave("d-li", kDay0, kDay0 + 14 * kDay, now), Error::kUnknownSession);
}

}  // namespace
}  // namespace qc::test
