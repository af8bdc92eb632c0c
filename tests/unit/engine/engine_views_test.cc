// The views: patient (ahead, eta, recommended arrival), the full refresh,
// display (masking, next, missed), staff order, board, pace learning.
#include "tests/support/scenario.h"

namespace qc::test {
namespace {

TEST(Views, AheadAndEtaBeforeTheStart) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), walk_in("W3", at("07:02"))});
  PatientView v = sc.view("W3", at("07:30"));
  EXPECT_EQ(v.ahead, 2);
  EXPECT_EQ(v.eta, at("08:20"));  // start + 2 * 10 min (seed)
  EXPECT_EQ(sc.view("W1", at("07:30")).ahead, 0);
  EXPECT_EQ(sc.view("W1", at("07:30")).eta, at("08:00"));
  EXPECT_EQ(v.label, "W003");
  EXPECT_EQ(v.state, TicketState::kWaiting);
  EXPECT_EQ(v.slot_start, at("08:00"));
  EXPECT_EQ(v.slot_end, at("09:00"));
  EXPECT_EQ(v.room, "3");
  EXPECT_EQ(v.doctor_name, "Dr. Li");
  EXPECT_EQ(v.recommended_arrival, kNoTime);
}

TEST(Views, EtaCountsFromLastCallAndFromNow) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), walk_in("W3", at("07:02")),
          call_next(at("08:00"))});
  EXPECT_EQ(sc.view("W2", at("08:05")).eta, at("08:10"));
  EXPECT_EQ(sc.view("W3", at("08:05")).eta, at("08:20"));
  EXPECT_EQ(sc.view("W3", at("08:30")).eta, at("08:40"));  // doctor late: from now
  EXPECT_EQ(sc.view("W2", at("08:05")).called_label, "W001");
  EXPECT_EQ(sc.view("W1", at("08:05")).ahead, -1);  // CALLED
  EXPECT_EQ(sc.view("W1", at("08:05")).eta, kNoTime);
}

TEST(Views, AvgConsultLearnsFromCallIntervalsButNotAcrossPauses) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), walk_in("W3", at("07:02")),
          walk_in("W4", at("07:03")), call_next(at("08:00")), call_next(at("08:20"))});
  EXPECT_EQ(sc.staff(at("08:20")).avg_consult, (2 * 10 * kMinute + 20 * kMinute) / 3);
  sc.run({pause(at("08:25")), resume(at("09:00")), call_next(at("09:05"))});
  EXPECT_EQ(sc.staff(at("09:05")).avg_consult, (2 * 10 * kMinute + 20 * kMinute) / 3);
  sc.run({call_next(at("09:10"))});
  EXPECT_EQ(sc.staff(at("09:10")).avg_consult, (2 * 10 * kMinute + 25 * kMinute) / 4);
}

TEST(Views, PausedEstimatesCountFromNow) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), call_next(at("08:00")),
          pause(at("08:01"))});
  Board b = *sc.engine.board("S", at("08:30"));
  EXPECT_EQ(b.doctor_available_at, at("08:30"));
  EXPECT_EQ(b.status, SessionStatus::kPaused);
  EXPECT_EQ(sc.view("W2", at("08:30")).eta, at("08:30"));
}

TEST(Views, BookedSeesProjectedPositionAndRecommendedArrival) {
  Scenario sc;
  sc.run({book("A3", 3, day_before("10:00")), book("A0", 0, day_before("10:00")),
          walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), walk_in("W3", at("07:02"))});
  PatientView v = sc.view("A3", at("07:10"));
  EXPECT_EQ(v.state, TicketState::kBooked);
  EXPECT_EQ(v.ahead, 3);
  // 08:00 + 3 * 10 min, + half a consultation for A0 (slot 0, may still
  // check in on time: docs/engine.md, "Estimates").
  EXPECT_EQ(v.eta, at("08:35"));
  EXPECT_EQ(v.recommended_arrival, at("08:20"));
  // Slot 0: behind the three slot-0 walk-ins that came first.
  EXPECT_EQ(sc.view("A0", at("07:10")).ahead, 3);
}

TEST(Views, RecommendedArrivalIsClamped) {
  SessionSpec spec = example_spec();
  spec.arrival_buffer = 2 * kHour;
  Scenario sc(spec);
  sc.run({book("A0", 0, day_before("10:00"))});
  // eta 08:00 - 2 h = 06:00: not before registration opens.
  EXPECT_EQ(sc.view("A0", day_before("11:00")).recommended_arrival, at("07:00"));
  SessionSpec busy = example_spec();
  busy.walkin_quota = {10, 0, 0, 0};
  Scenario sc2(busy);
  sc2.run({book("A0", 0, day_before("10:00"))});
  for (int i = 0; i < 10; ++i) sc2.run({walk_in("W" + std::to_string(i), at("07:00") + i)});
  // eta 08:00 + 10 * 10 min = 09:40, minus 15 min = 09:25: not after the slot's end.
  PatientView v = sc2.view("A0", at("07:10"));
  EXPECT_EQ(v.eta, at("09:40"));
  EXPECT_EQ(v.recommended_arrival, at("09:00"));
}

TEST(Views, BookedLateProjectionIsDemotedPosition) {
  Scenario sc;
  sc.run({book("A0", 0, day_before("10:00")), book("A3", 3, day_before("10:00")),
          check_in("A3", at("07:00"))});
  EXPECT_EQ(sc.view("A0", at("08:30")).ahead, 0);  // on time: slot 0 comes first
  EXPECT_EQ(sc.view("A0", at("09:30")).ahead, 1);  // late: would be demoted behind A3
}

TEST(Views, FullRefreshEqualsSingleViews) {
  Scenario sc;
  sc.run({book("A0", 0, day_before("10:00")), book("A1", 1, day_before("10:00")),
          book("A2", 2, day_before("10:00")), book("A3", 3, day_before("10:00")),
          walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), check_in("A2", at("07:02")),
          call_next(at("08:00")), walk_in("W3", at("08:01")), move_next("W3", at("08:02")),
          call_next(at("08:03")), missed("W3", at("08:04")), cancel("A3", at("06:00") - kDay)});
  std::vector<PatientView> all;
  ASSERT_TRUE(sc.engine.patient_views("S", at("08:10"), &all));
  ASSERT_EQ(all.size(), 7u);
  for (const PatientView& v : all) {
    PatientView one = sc.view(v.ticket_id, at("08:10"));
    EXPECT_EQ(v.ahead, one.ahead) << v.ticket_id;
    EXPECT_EQ(v.eta, one.eta) << v.ticket_id;
    EXPECT_EQ(v.recommended_arrival, one.recommended_arrival) << v.ticket_id;
    EXPECT_EQ(v.state, one.state);
    EXPECT_EQ(v.label, one.label);
    EXPECT_EQ(v.called_label, one.called_label);
    EXPECT_EQ(v.version, one.version);
    EXPECT_EQ(v.placement, one.placement);
  }
  EXPECT_EQ(all[0].ticket_id, "A0");  // creation order
  // Reusing the vector for another (smaller) session clears it.
  sc.run({step(CreateSession{example_spec(Policy::kArrival, "T")}, at("08:10"))});
  ASSERT_TRUE(sc.engine.patient_views("T", at("08:10"), &all));
  EXPECT_TRUE(all.empty());
  EXPECT_FALSE(sc.engine.patient_views("nope", at("08:10"), &all));
}

TEST(Views, StaffOrder) {
  Scenario sc;
  sc.run({book("A0", 0, day_before("10:00"), "p0"), book("A1", 1, day_before("10:00")),
          book("A3", 3, day_before("10:00")), walk_in("W1", at("07:00")),
          walk_in("W2", at("07:01")), walk_in("W3", at("07:02")), check_in("A3", at("07:03")),
          call_next(at("08:00")), missed("W1", at("08:01")), call_next(at("08:02")),
          cancel("A1", day_before("11:00")), move_next("A3", at("08:03"))});
  StaffView v = sc.staff(at("08:05"));
  std::vector<std::string> got;
  for (const StaffTicket& t : v.tickets) got.push_back(t.ticket_id);
  EXPECT_EQ(got, ids("W2 A3 W3 W1 A0 A1"));
  EXPECT_EQ(v.tickets[1].band, 0);
  EXPECT_EQ(v.tickets[1].position, 0);
  EXPECT_EQ(v.tickets[2].band, 1);
  EXPECT_EQ(v.tickets[2].position, 1);
  EXPECT_EQ(v.tickets[0].position, -1);
  EXPECT_EQ(v.tickets[4].patient_ref, "p0");
  EXPECT_EQ(v.tickets[4].patient_name, "Name A0");
  EXPECT_EQ(v.serving_slot, 0);
  EXPECT_EQ(v.slot_minutes, 60);
  EXPECT_FALSE(sc.engine.staff_view("nope", at("08:05")).has_value());
}

TEST(Views, DisplayMasksNamesShowsNextAndMissed) {
  EngineOptions o;
  o.display_next_count = 2;
  Scenario sc(example_spec(), o);
  SessionSpec other = example_spec(Policy::kArrival, "R");
  other.room = "1";
  SessionSpec tomorrow = example_spec(Policy::kArrival, "Z");
  tomorrow.start += kDay;
  tomorrow.end += kDay;
  tomorrow.registration_open += kDay;
  sc.run({step(CreateSession{other}, day_before("10:00")),
          step(CreateSession{tomorrow}, day_before("10:00")),
          step(RegisterWalkIn{kSid, "p1", "张三", "W1", ""}, at("07:00")),
          step(RegisterWalkIn{kSid, "p2", "Zhang San", "W2", ""}, at("07:01")),
          step(RegisterWalkIn{kSid, "p3", "王小明", "W3", ""}, at("07:02")),
          step(RegisterWalkIn{kSid, "p4", "Li", "W4", ""}, at("07:03")),
          step(RegisterWalkIn{kSid, "p5", "Wu", "W5", ""}, at("07:04")),
          call_next(at("08:00")), missed("W1", at("08:01")), call_next(at("08:02"))});
  DisplayView d = sc.engine.display_view("neuro-2f", at("08:03"));
  ASSERT_EQ(d.rooms.size(), 2u);  // not tomorrow's session
  EXPECT_EQ(d.rooms[0].session_id, "R");  // room "1" before room "3"
  const DisplayRoom& r = d.rooms[1];
  EXPECT_TRUE(r.has_called);
  EXPECT_EQ(r.called.label, "W002");
  EXPECT_EQ(r.called.masked_name, "Z*** S.");
  ASSERT_EQ(r.next.size(), 2u);
  EXPECT_EQ(r.next[0].label, "W003");
  EXPECT_EQ(r.next[0].masked_name, "王**");
  ASSERT_EQ(r.missed.size(), 1u);
  EXPECT_EQ(r.missed[0].masked_name, "张*");
  EXPECT_GE(d.version, d.rooms[0].version + d.rooms[1].version);
  EXPECT_FALSE(d.rooms[0].has_called);
  EXPECT_TRUE(sc.engine.display_view("nowhere", at("08:03")).rooms.empty());

  EngineOptions labels_only;
  labels_only.display_names = false;
  Scenario sc2(example_spec(), labels_only);
  sc2.run({step(RegisterWalkIn{kSid, "p1", "张三", "W1", ""}, at("07:00"))});
  DisplayView d2 = sc2.engine.display_view("neuro-2f", at("07:01"));
  ASSERT_EQ(d2.rooms.size(), 1u);
  ASSERT_EQ(d2.rooms[0].next.size(), 1u);
  EXPECT_EQ(d2.rooms[0].next[0].label, "W001");
  EXPECT_EQ(d2.rooms[0].next[0].masked_name, "");
}

// A session that started before local midnight stays on the screens while
// it runs; one of an earlier day that has ended does not.
TEST(Views, DisplayKeepsASessionRunningPastMidnight) {
  SessionSpec night = example_spec();
  night.start = day_before("23:00");
  night.end = at("02:00");
  night.registration_open = day_before("22:30");
  night.appointment_quota = {1, 1, 1};
  night.walkin_quota = {5, 5, 5};
  SessionSpec evening = example_spec(Policy::kArrival, "E");
  evening.room = "1";
  evening.start = day_before("18:00");
  evening.end = day_before("21:00");
  evening.registration_open = day_before("17:00");
  evening.appointment_quota = {1, 1, 1};
  evening.walkin_quota = {5, 5, 5};
  Scenario sc(night);
  sc.run({step(CreateSession{evening}, day_before("10:00")),
          step(RegisterWalkIn{kSid, "p1", "Li", "W1", ""}, day_before("23:10")),
          call_next(day_before("23:20"))});
  DisplayView d = sc.engine.display_view("neuro-2f", at("00:15"));
  ASSERT_EQ(d.rooms.size(), 1u);
  EXPECT_EQ(d.rooms[0].session_id, kSid);
  EXPECT_TRUE(d.rooms[0].has_called);
  EXPECT_TRUE(sc.engine.display_view("neuro-2f", at("02:00")).rooms.empty());  // ended
  EXPECT_EQ(sc.engine.display_view("neuro-2f", day_before("23:30")).rooms.size(), 2u);
}

// A display's version only grows, whatever changes its view: commands,
// new sessions, and the local day changing (yesterday's busy room leaves,
// today's fresh one comes). A client that resumes with the version it saw
// gets the view again whenever the view is not the one it saw.
TEST(Views, DisplayVersionOnlyGrowsAcrossDays) {
  SessionSpec yesterday = example_spec(Policy::kArrival, "Y");
  yesterday.start -= kDay;
  yesterday.end -= kDay;
  yesterday.registration_open -= kDay;
  Scenario sc(yesterday);
  for (int i = 1; i <= 6; ++i)
    sc.run({walk_in("Y" + std::to_string(i), day_before("07:00") + i * kMinute, "", "Y")});
  for (int i = 0; i < 6; ++i) sc.run({call_next(day_before("08:00") + i * 10 * kMinute, "Y")});
  const DisplayView before = sc.engine.display_view("neuro-2f", day_before("12:00"));
  ASSERT_EQ(before.rooms.size(), 1u);
  ASSERT_GE(before.rooms[0].version, 10u);
  // Today's session, created yesterday evening: quiet (a low version).
  sc.run({step(CreateSession{example_spec()}, day_before("18:00"))});
  const DisplayView evening = sc.engine.display_view("neuro-2f", day_before("18:01"));
  EXPECT_GT(evening.version, before.version);  // a session was added (not shown yet)
  const DisplayView today = sc.engine.display_view("neuro-2f", at("07:00"));
  ASSERT_EQ(today.rooms.size(), 1u);
  EXPECT_EQ(today.rooms[0].session_id, kSid);
  EXPECT_LT(today.rooms[0].version, before.rooms[0].version);
  EXPECT_GT(today.version, evening.version) << "the day changed the view: the version must grow";
  // Swept over the days: never down; up whenever the rooms change.
  std::uint64_t last = 0;
  std::vector<std::string> last_rooms;
  for (Time t = day_before("00:00"); t <= at("00:00") + kDay; t += 15 * kMinute) {
    const DisplayView v = sc.engine.display_view("neuro-2f", t);
    std::vector<std::string> rooms;
    for (const DisplayRoom& r : v.rooms) rooms.push_back(r.session_id);
    EXPECT_GE(v.version, last) << t;
    if (rooms != last_rooms) EXPECT_GT(v.version, last) << t;
    last = v.version;
    last_rooms = rooms;
  }
  // A command on today's room raises it too; a restart from an image keeps it.
  const std::uint64_t v0 = sc.engine.display_view("neuro-2f", at("07:10")).version;
  sc.run({walk_in("W1", at("07:10"))});
  const std::uint64_t v1 = sc.engine.display_view("neuro-2f", at("07:10")).version;
  EXPECT_GT(v1, v0);
  Engine restarted;
  ASSERT_TRUE(restarted.load(sc.engine.save()));
  EXPECT_EQ(restarted.display_view("neuro-2f", at("07:10")).version, v1);
  // The moments the view changes by time alone are named, so the server can
  // push it: local midnight (yesterday's room leaves, today's comes).
  EXPECT_EQ(sc.engine.display_areas_changed(day_before("23:59"), at("00:00")),
            std::vector<std::string>{"neuro-2f"});
  EXPECT_TRUE(sc.engine.display_areas_changed(at("07:00"), at("08:00")).empty());
  EXPECT_TRUE(sc.engine.display_areas_changed(at("08:00"), at("07:00")).empty());
}

TEST(Views, BoardHasLabelsOnly) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), walk_in("W3", at("07:02")),
          call_next(at("08:00"))});
  Board b = *sc.engine.board("S", at("08:01"));
  EXPECT_EQ(b.called_label, "W001");
  EXPECT_EQ(b.waiting, ids("W002 W003"));
  EXPECT_EQ(b.avg_consult, 10 * kMinute);
  EXPECT_EQ(b.doctor_available_at, at("08:10"));
  EXPECT_EQ(b.version, sc.engine.session_version("S"));
  EXPECT_FALSE(sc.engine.board("nope", at("08:01")).has_value());
}

TEST(Views, ReadsOfTicketsAndSessions) {
  Scenario sc;
  sc.run({step(RegisterWalkIn{kSid, "p1", "n", "", "tok"}, at("07:00"))});
  EXPECT_EQ(sc.engine.ticket_by_token("tok"), std::optional<std::string>("S-W001"));
  EXPECT_EQ(sc.engine.ticket_session("S-W001"), std::optional<std::string>("S"));
  EXPECT_FALSE(sc.engine.ticket_state("nope").has_value());
  EXPECT_FALSE(sc.engine.patient_view("nope", 0).has_value());
  EXPECT_EQ(sc.engine.session_ids(), ids("S"));
  EXPECT_TRUE(sc.engine.has_session("S"));
  ASSERT_NE(sc.engine.session_spec("S"), nullptr);
  EXPECT_EQ(sc.engine.session_spec("S")->room, "3");
  EXPECT_TRUE(sc.engine.waiting_order("nope").empty());
  EXPECT_FALSE(sc.engine.called_ticket("nope").has_value());
}

}  // namespace
}  // namespace qc::test
