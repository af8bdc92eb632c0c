// The clinical flow of shared/spec/queue-rules.md, section "Priority, return
// after tests, several rooms": worked examples 7-9 and each rule, with the
// decisions of docs/engine.md ("The clinical flow").
// Session 08:00-12:00, 60-min slots, registration opens 07:00, ARRIVAL.
#include "tests/support/scenario.h"

namespace qc::test {
namespace {

// The overtaken count of a ticket (StaffView).
std::int32_t overtaken(const Scenario& sc, const std::string& id, Time now = at("10:00")) {
  for (const StaffTicket& t : sc.staff(now).tickets)
    if (t.ticket_id == id) return t.overtaken;
  ADD_FAILURE() << "no ticket " << id;
  return -1;
}

// The events of one type, in order.
std::vector<Event> events_of(const std::vector<Event>& ev, EventType type) {
  std::vector<Event> out;
  for (const Event& e : ev)
    if (e.type == type) out.push_back(e);
  return out;
}

std::vector<std::string> tickets_of(const std::vector<Event>& ev, EventType type) {
  std::vector<std::string> out;
  for (const Event& e : events_of(ev, type)) out.push_back(e.ticket_id);
  return out;
}

SessionSpec two_rooms() {
  SessionSpec spec = example_spec();
  spec.rooms = {"3", "5"};
  spec.avg_consult_seed = 10 * kMinute;
  return spec;
}

// 7. Priority (priority_after 1, max_overtaken 3). Waiting, all slot 0:
//    W1, W2, W3, W4. P1 at 07:40 goes after W1 (W2-W4 overtaken once); P2
//    at 07:41 after P1 (twice); P3 at 07:42 (three times: protected); P4 at
//    07:43 goes after W4, the last protected ticket.
TEST(SpecExample, SevenPriorityInsertionAndTheOvertakingBound) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), walk_in("W3", at("07:02")),
          walk_in("W4", at("07:03"))});
  Result r = sc.run({priority_walk_in("P1", at("07:40"))});
  EXPECT_EQ(sc.order(), ids("W1 P1 W2 W3 W4"));
  EXPECT_EQ(find_event(r.events, EventType::kWalkInRegistered).placement, Placement::kInserted);
  Event ins = find_event(r.events, EventType::kTicketInserted);
  EXPECT_EQ(ins.ticket_id, "P1");
  EXPECT_EQ(ins.other_ticket, "W1");
  EXPECT_EQ(ins.reason, "priority");
  EXPECT_EQ(ins.count, 3);
  EXPECT_EQ(tickets_of(r.events, EventType::kTicketOvertaken), ids("W2 W3 W4"));
  for (const Event& e : events_of(r.events, EventType::kTicketOvertaken)) {
    EXPECT_EQ(e.other_ticket, "P1");
    EXPECT_EQ(e.count, 1);
  }
  EXPECT_EQ(count_events(r.events, EventType::kTicketProtected), 0);

  r = sc.run({priority_walk_in("P2", at("07:41"))});
  EXPECT_EQ(sc.order(), ids("W1 P1 P2 W2 W3 W4"));
  EXPECT_EQ(find_event(r.events, EventType::kTicketInserted).other_ticket, "P1");
  EXPECT_EQ(overtaken(sc, "W2"), 2);

  r = sc.run({priority_walk_in("P3", at("07:42"))});
  EXPECT_EQ(sc.order(), ids("W1 P1 P2 P3 W2 W3 W4"));
  EXPECT_EQ(tickets_of(r.events, EventType::kTicketProtected), ids("W2 W3 W4"));
  for (const char* id : {"W2", "W3", "W4"}) EXPECT_EQ(overtaken(sc, id), 3) << id;
  EXPECT_EQ(overtaken(sc, "W1"), 0);

  // After W4 is its normal place too: nobody to pass, so it is placed
  // normally (docs/engine.md: no insertion without someone to pass).
  r = sc.run({priority_walk_in("P4", at("07:43"))});
  EXPECT_EQ(sc.order(), ids("W1 P1 P2 P3 W2 W3 W4 P4"));
  EXPECT_EQ(find_event(r.events, EventType::kWalkInRegistered).placement, Placement::kNormal);
  EXPECT_EQ(count_events(r.events, EventType::kTicketInserted), 0);
  EXPECT_EQ(count_events(r.events, EventType::kTicketOvertaken), 0);
  for (const char* id : {"W2", "W3", "W4"}) EXPECT_EQ(overtaken(sc, id), 3) << id;
  // The patient sees their own priority; the staff see the reason code.
  EXPECT_EQ(sc.view("P1", at("07:45")).priority, "elderly");
  EXPECT_EQ(sc.view("W2", at("07:45")).priority, "");
}

// 8. Return after tests (return_after 2). W1 is called at 08:00 and sent for
//    tests at 08:05; the queue is W2, W3, W4. W1 returns at 09:00: W2, W3,
//    W1, W4 (W4 overtaken once).
TEST(SpecExample, EightReturnAfterTests) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), walk_in("W3", at("07:02")),
          walk_in("W4", at("07:03")), call_next(at("08:00"))});
  ASSERT_EQ(sc.called(), "W1");
  Result r = sc.run({send_for_tests("W1", at("08:05"))});
  EXPECT_EQ(sc.state("W1"), TicketState::kAtTests);
  EXPECT_EQ(find_event(r.events, EventType::kSentForTests).room, "3");
  EXPECT_EQ(sc.called(), "");  // the room is free
  EXPECT_EQ(sc.order(), ids("W2 W3 W4"));
  PatientView away = sc.view("W1", at("08:30"));
  EXPECT_EQ(away.state, TicketState::kAtTests);
  EXPECT_EQ(away.ahead, -1);
  r = sc.run({return_from_tests("W1", at("09:00"))});
  EXPECT_EQ(sc.order(), ids("W2 W3 W1 W4"));
  Event back = find_event(r.events, EventType::kReturnedFromTests);
  EXPECT_EQ(back.from, TicketState::kAtTests);
  EXPECT_EQ(back.to, TicketState::kWaiting);
  EXPECT_EQ(back.placement, Placement::kInserted);
  Event ins = find_event(r.events, EventType::kTicketInserted);
  EXPECT_EQ(ins.reason, "return_from_tests");
  EXPECT_EQ(ins.other_ticket, "W3");
  EXPECT_EQ(ins.count, 1);
  EXPECT_EQ(tickets_of(r.events, EventType::kTicketOvertaken), ids("W4"));
  EXPECT_EQ(overtaken(sc, "W4"), 1);
  EXPECT_EQ(sc.view("W1", at("09:00")).ahead, 2);  // "检查回来后排在第 3 位"
}

// 9. Several rooms: rooms 3 and 5, W1-W6 waiting. 08:00 call_next(room 3)
//    calls W1; 08:01 call_next(room 5) calls W2; 08:10 call_next(room 3): W1
//    DONE, W3 called to room 3, W2 still CALLED in room 5.
TEST(SpecExample, NineSeveralRoomsShareOneQueue) {
  Scenario sc(two_rooms());
  for (int i = 1; i <= 6; ++i)
    sc.run({walk_in("W" + std::to_string(i), at(("07:0" + std::to_string(i)).c_str()))});
  Result r = sc.run({call_next_in("3", at("08:00"))});
  EXPECT_EQ(find_event(r.events, EventType::kTicketCalled).ticket_id, "W1");
  EXPECT_EQ(find_event(r.events, EventType::kTicketCalled).room, "3");
  r = sc.run({call_next_in("5", at("08:01"))});
  EXPECT_EQ(find_event(r.events, EventType::kTicketCalled).ticket_id, "W2");
  EXPECT_EQ(find_event(r.events, EventType::kTicketCalled).room, "5");
  EXPECT_EQ(count_events(r.events, EventType::kTicketCompleted), 0);  // W1 is room 3's
  r = sc.run({call_next_in("3", at("08:10"))});
  Event done = find_event(r.events, EventType::kTicketCompleted);
  EXPECT_EQ(done.ticket_id, "W1");
  EXPECT_EQ(done.reason, "next_call");
  EXPECT_EQ(done.room, "3");
  EXPECT_EQ(sc.state("W1"), TicketState::kDone);
  EXPECT_EQ(sc.state("W2"), TicketState::kCalled);
  EXPECT_EQ(sc.state("W3"), TicketState::kCalled);
  StaffView v = sc.staff(at("08:10"));
  ASSERT_EQ(v.rooms.size(), 2u);
  EXPECT_EQ(v.rooms[0].room, "3");
  EXPECT_EQ(v.rooms[0].called_ticket, "W3");
  EXPECT_EQ(v.rooms[1].room, "5");
  EXPECT_EQ(v.rooms[1].called_ticket, "W2");
  EXPECT_EQ(sc.view("W3", at("08:10")).room, "3");
  EXPECT_EQ(sc.view("W2", at("08:10")).room, "5");
  EXPECT_EQ(sc.view("W4", at("08:10")).room, "3 / 5");
  EXPECT_EQ(sc.order(), ids("W4 W5 W6"));
}

// 9, the estimate: with avg_consult 10 min and both rooms available at
// 08:10, W4 (next) and W5 have eta 08:10, W6 08:20. (The calls are ten
// minutes earlier than in the example so that both rooms are free at 08:10:
// room 3 called at 08:00, room 5 at 07:51.)
TEST(SpecExample, NineEstimatesGiveEachTicketTheRoomFreeFirst) {
  Scenario sc(two_rooms());
  for (int i = 1; i <= 6; ++i)
    sc.run({walk_in("W" + std::to_string(i), at(("07:0" + std::to_string(i)).c_str()))});
  sc.run({call_next_in("3", at("07:50")), call_next_in("5", at("07:51")),
          call_next_in("3", at("08:00"))});
  ASSERT_EQ(sc.order(), ids("W4 W5 W6"));
  ASSERT_EQ(sc.staff(at("08:10")).avg_consult, 10 * kMinute);
  EXPECT_EQ(sc.view("W4", at("08:10")).eta, at("08:10"));
  EXPECT_EQ(sc.view("W5", at("08:10")).eta, at("08:10"));
  EXPECT_EQ(sc.view("W6", at("08:10")).eta, at("08:20"));
  // The board gives every phone the same figures.
  Board b = *sc.engine.board(kSid, at("08:10"));
  ASSERT_EQ(b.waiting, ids("W004 W005 W006"));
  EXPECT_EQ(b.doctor_available_at + b.eta_offsets_ms[0], at("08:10"));
  EXPECT_EQ(b.doctor_available_at + b.eta_offsets_ms[1], at("08:10"));
  EXPECT_EQ(b.doctor_available_at + b.eta_offsets_ms[2], at("08:20"));
  // At 08:05 room 5 is free at 08:05 (07:51 + 10 < 08:05) and room 3 at 08:10.
  EXPECT_EQ(sc.view("W4", at("08:05")).eta, at("08:05"));
  EXPECT_EQ(sc.view("W5", at("08:05")).eta, at("08:10"));
  EXPECT_EQ(sc.view("W6", at("08:05")).eta, at("08:15"));
}

// ---- Priority ----

// Its normal place ahead of the insertion point: it takes it, no insertion.
TEST(SpecFlow, PriorityTakesItsNormalPlaceWhenThatIsAhead) {
  Scenario sc(example_spec(Policy::kAppointmentsFirst));
  sc.run({priority_book("A1", 0, day_before("10:00")), walk_in("W1", at("07:00")),
          walk_in("W2", at("07:01"))});
  Result r = sc.run({check_in("A1", at("07:30"))});
  EXPECT_EQ(sc.order(), ids("A1 W1 W2"));  // appointments first in slot 0
  EXPECT_EQ(find_event(r.events, EventType::kCheckedIn).placement, Placement::kNormal);
  EXPECT_EQ(count_events(r.events, EventType::kTicketInserted), 0);
  EXPECT_EQ(overtaken(sc, "W1"), 0);
}

// Nobody to pass (it would be right after P anyway): its normal place.
TEST(SpecFlow, PriorityWithNobodyToPassIsPlacedNormally) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00"))});
  Result r = sc.run({priority_walk_in("P1", at("07:10"))});
  EXPECT_EQ(sc.order(), ids("W1 P1"));
  EXPECT_EQ(find_event(r.events, EventType::kWalkInRegistered).placement, Placement::kNormal);
  EXPECT_EQ(count_events(r.events, EventType::kTicketInserted), 0);
  // The priority code is recorded right after the registration.
  EXPECT_EQ(r.events[1].type, EventType::kPrioritySet);
  EXPECT_EQ(r.events[1].reason, "elderly");
}

// Lateness demotion does not apply to a priority ticket: it is inserted.
TEST(SpecFlow, LatePriorityAppointmentIsInsertedNotDemoted) {
  Scenario sc;
  sc.run({priority_book("A1", 0, day_before("10:00")), walk_in("W1", at("08:50")),
          walk_in("W2", at("08:55")), walk_in("W3", at("09:05"))});
  Result r = sc.run({check_in("A1", at("09:20"))});  // slot 0 ended at 09:00
  EXPECT_EQ(sc.order(), ids("W1 A1 W2 W3"));
  EXPECT_EQ(find_event(r.events, EventType::kCheckedIn).placement, Placement::kInserted);
  EXPECT_EQ(overtaken(sc, "W2"), 1);
  EXPECT_EQ(overtaken(sc, "W3"), 1);
}

// The on-time-but-passed rule applies to a priority ticket (band 0).
TEST(SpecFlow, OnTimeButPassedPriorityIsMadeNext) {
  Scenario sc;
  sc.run({priority_book("A1", 1, day_before("10:00")), book("C2", 2, day_before("10:01")),
          book("C3", 2, day_before("10:02")), check_in("C2", at("09:30")),
          check_in("C3", at("09:31")), call_next(at("09:35"))});
  ASSERT_EQ(sc.called(), "C2");
  Result r = sc.run({check_in("A1", at("09:40"))});
  EXPECT_EQ(find_event(r.events, EventType::kCheckedIn).placement, Placement::kMadeNext);
  EXPECT_EQ(sc.order(), ids("A1 C3"));
  EXPECT_EQ(count_events(r.events, EventType::kTicketOvertaken), 0);  // band 0 does not count
  EXPECT_EQ(overtaken(sc, "C3"), 0);
}

// k = priority_after; band 0 tickets are not counted among the k.
TEST(SpecFlow, InsertionCountsBandOneTicketsOnly) {
  SessionSpec spec = example_spec();
  spec.priority_after = 2;
  Scenario sc(spec);
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), walk_in("W3", at("07:02")),
          walk_in("W4", at("07:03")), move_next("W4", at("07:04"))});
  ASSERT_EQ(sc.order(), ids("W4 W1 W2 W3"));
  sc.run({priority_walk_in("P1", at("07:10"))});
  EXPECT_EQ(sc.order(), ids("W4 W1 W2 P1 W3"));
  EXPECT_EQ(overtaken(sc, "W4"), 0);
  EXPECT_EQ(overtaken(sc, "W3"), 1);
}

// max_overtaken 0: everyone is protected; a priority ticket is placed after
// the last band-1 ticket and overtakes nobody.
TEST(SpecFlow, MaxOvertakenZeroTurnsThePriorityLaneOff) {
  SessionSpec spec = example_spec();
  spec.max_overtaken = 0;
  Scenario sc(spec);
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01")),
          priority_walk_in("P1", at("07:10")), walk_in("W3", at("07:11"))});
  EXPECT_EQ(sc.order(), ids("W1 W2 P1 W3"));
  EXPECT_EQ(overtaken(sc, "W2"), 0);
}

// priority_after 0 with nobody protected: the head of band 1.
TEST(SpecFlow, PriorityAfterZeroGoesToTheHeadOfBandOne) {
  SessionSpec spec = example_spec();
  spec.priority_after = 0;
  Scenario sc(spec);
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01"))});
  Result r = sc.run({priority_walk_in("P1", at("07:10"))});
  EXPECT_EQ(sc.order(), ids("P1 W1 W2"));
  EXPECT_EQ(find_event(r.events, EventType::kTicketInserted).other_ticket, "");
  sc.run({priority_walk_in("P2", at("07:11")), walk_in("W3", at("07:12"))});
  EXPECT_EQ(sc.order(), ids("P1 P2 W1 W2 W3"));  // inserted keep their order
}

// An inserted ticket keeps its place against later tickets: a later ticket
// is ordered as if the inserted one had P's slot, class and a seq after P's.
TEST(SpecFlow, InsertedTicketKeepsItsPlaceAgainstLaterTickets) {
  Scenario sc;
  sc.run({book("A1", 0, day_before("10:00")), walk_in("W1", at("07:00")),
          walk_in("W2", at("07:01")), priority_walk_in("P1", at("07:10")),
          check_in("A1", at("07:20"))});
  EXPECT_EQ(sc.order(), ids("W1 P1 W2 A1"));
  sc.run({call_next(at("08:00"))});
  sc.run({call_next(at("08:05"))});
  EXPECT_EQ(sc.called(), "P1");
  EXPECT_EQ(sc.staff(at("08:05")).serving_slot, 0);  // P1 took W1's slot
}

// set_priority on a WAITING ticket inserts it at once when that is earlier,
// counting only the tickets it moves past; removing priority leaves it.
TEST(SpecFlow, SetPriorityOnAWaitingTicketMovesItUpOnce) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), walk_in("W3", at("07:02")),
          walk_in("W4", at("07:03")), walk_in("W5", at("07:04"))});
  Result r = sc.run({set_priority("W4", "pregnant", at("07:10"))});
  EXPECT_EQ(sc.order(), ids("W1 W4 W2 W3 W5"));
  Event set = find_event(r.events, EventType::kPrioritySet);
  EXPECT_EQ(set.reason, "pregnant");
  EXPECT_EQ(set.placement, Placement::kInserted);
  EXPECT_EQ(find_event(r.events, EventType::kTicketInserted).count, 2);
  EXPECT_EQ(tickets_of(r.events, EventType::kTicketOvertaken), ids("W2 W3"));
  EXPECT_EQ(overtaken(sc, "W5"), 0);  // it was behind W4 already
  // Setting it again (or removing it) moves nothing.
  r = sc.run({set_priority("W4", "", at("07:11"))});
  EXPECT_EQ(sc.order(), ids("W1 W4 W2 W3 W5"));
  EXPECT_EQ(count_events(r.events, EventType::kTicketInserted), 0);
  EXPECT_EQ(sc.view("W4", at("07:11")).priority, "");
  // A ticket near the head is not moved back.
  r = sc.run({set_priority("W1", "military", at("07:12"))});
  EXPECT_EQ(sc.order(), ids("W1 W4 W2 W3 W5"));
  EXPECT_EQ(count_events(r.events, EventType::kTicketInserted), 0);
}

TEST(SpecFlow, PriorityOfABookingAndOfAHoldGoesToTheTicket) {
  Scenario sc;
  sc.run({hold("H1", 0, day_before("10:00"), "p-h"),
          step(Hold{kSid, 0, "p-k", "K", "", 0, "H2", "disabled"}, day_before("10:01")),
          confirm("H1", "T1", day_before("10:02")), confirm("H2", "T2", day_before("10:03"))});
  EXPECT_EQ(sc.view("T1", at("07:00")).priority, "");
  EXPECT_EQ(sc.view("T2", at("07:00")).priority, "disabled");
  EXPECT_EQ(sc.log.back().type, EventType::kPrioritySet);
  // A BOOKED priority ticket's projected position counts its insertion.
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), walk_in("W3", at("07:02"))});
  EXPECT_EQ(sc.view("T2", at("09:30")).ahead, 1);  // late: inserted after W1
}

TEST(SpecFlow, PriorityRejections) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00")), book("A1", 0, day_before("10:00"))});
  sc.reject(set_priority("W1", "Elderly", at("07:10")), Error::kInvalidArgument);
  sc.reject(set_priority("W1", std::string(33, 'a'), at("07:10")), Error::kInvalidArgument);
  sc.reject(set_priority("nope", "elderly", at("07:10")), Error::kUnknownTicket);
  sc.reject(priority_walk_in("W2", at("07:10"), "very elderly"), Error::kInvalidArgument);
  sc.reject(priority_book("A2", 0, day_before("10:00"), "x-y"), Error::kInvalidArgument);
  sc.run({call_next(at("08:00")), complete("W1", at("08:05"))});
  sc.reject(set_priority("W1", "elderly", at("08:10")), Error::kWrongState);
  sc.run({close(at("12:00"))});
  sc.reject(set_priority("A1", "elderly", at("12:10")), Error::kSessionClosed);
}

// A priority ticket returning from a miss on time is made next (band 0);
// late, it is inserted.
TEST(SpecFlow, ReturnOfAMissedPriorityTicket) {
  Scenario sc;
  sc.run({priority_walk_in("P1", at("07:00")), walk_in("W1", at("07:01")),
          walk_in("W2", at("07:02")), walk_in("W3", at("07:03")), call_next(at("08:00")),
          missed("P1", at("08:02"))});
  Result r = sc.run({ret("P1", at("10:30"))});  // slot 0 long over: late
  EXPECT_EQ(find_event(r.events, EventType::kTicketReturned).placement, Placement::kInserted);
  EXPECT_EQ(sc.order(), ids("W1 P1 W2 W3"));
}

// ---- Return after tests ----

TEST(SpecFlow, TestsRejectionsAndCompletion) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01"))});
  sc.reject(send_for_tests("W1", at("07:30")), Error::kWrongState);  // WAITING
  sc.reject(return_from_tests("W1", at("07:30")), Error::kWrongState);
  sc.run({call_next(at("08:00")), send_for_tests("W1", at("08:05"))});
  sc.reject(send_for_tests("W1", at("08:06")), Error::kWrongState);
  // The results were enough: complete from AT_TESTS.
  Result r = sc.run({complete("W1", at("08:40"))});
  Event done = find_event(r.events, EventType::kTicketCompleted);
  EXPECT_EQ(done.from, TicketState::kAtTests);
  EXPECT_EQ(done.reason, "complete");
  EXPECT_EQ(sc.state("W1"), TicketState::kDone);
  // Back after the session's end: still seen (the session is not closed).
  sc.run({call_next(at("08:41")), send_for_tests("W2", at("08:45")),
          return_from_tests("W2", at("12:10"))});
  EXPECT_EQ(sc.order(), ids("W2"));
  sc.run({call_next(at("12:15")), send_for_tests("W2", at("12:20")), close(at("12:30"))});
  sc.reject(return_from_tests("W2", at("12:40")), Error::kSessionClosed);
}

// close_session and suspend_session turn AT_TESTS into DONE; tick does not
// close a session by itself while a ticket is AT_TESTS, until end + grace.
TEST(SpecFlow, ClosingWithATicketAtTests) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00")), call_next(at("08:00")), send_for_tests("W1", at("08:05"))});
  sc.run({tick(at("12:01"))});
  EXPECT_EQ(sc.staff(at("12:01")).status, SessionStatus::kOpen);
  Result r = sc.run({tick(at("16:00"))});  // end + auto_close_grace (4 h)
  EXPECT_EQ(sc.staff(at("16:00")).status, SessionStatus::kClosed);
  Event done = find_event(r.events, EventType::kTicketCompleted);
  EXPECT_EQ(done.ticket_id, "W1");
  EXPECT_EQ(done.from, TicketState::kAtTests);
  EXPECT_EQ(done.reason, "session_closed");

  Scenario s2;
  s2.run({walk_in("W1", at("07:00")), call_next(at("08:00")), send_for_tests("W1", at("08:05"))});
  r = s2.run({suspend(at("09:00"))});
  EXPECT_EQ(s2.state("W1"), TicketState::kDone);
  EXPECT_EQ(find_event(r.events, EventType::kTicketCompleted).reason, "suspended");
}

// Back from tests with band-0 tickets waiting and fewer than k band-1 ones.
TEST(SpecFlow, ReturnFromTestsWithAShortQueue) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), call_next(at("08:00")),
          send_for_tests("W1", at("08:05"))});
  Result r = sc.run({return_from_tests("W1", at("08:30"))});
  EXPECT_EQ(sc.order(), ids("W2 W1"));  // after the last one (fewer than 2)
  EXPECT_EQ(find_event(r.events, EventType::kTicketInserted).count, 0);
  sc.run({call_next(at("08:31")), send_for_tests("W2", at("08:35")), call_next(at("08:36"))});
  ASSERT_EQ(sc.called(), "W1");
  r = sc.run({return_from_tests("W2", at("09:00")), walk_in("W3", at("09:01"))});
  EXPECT_EQ(sc.order(), ids("W2 W3"));  // an empty queue: the head; later ones behind
}

// ---- Several rooms ----

TEST(SpecFlow, RoomsMustBeNamedAndKnown) {
  Scenario sc(two_rooms());
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01"))});
  sc.reject(call_next(at("08:00")), Error::kInvalidArgument);          // which room?
  sc.reject(call_next_in("7", at("08:00")), Error::kInvalidArgument);  // no such room
  sc.reject(call_ticket_in("W2", "", at("08:00")), Error::kInvalidArgument);
  sc.reject(pause_room("9", at("08:00")), Error::kInvalidArgument);
  sc.run({call_ticket_in("W2", "5", at("08:00"))});
  EXPECT_EQ(sc.view("W2", at("08:00")).room, "5");
  // One room: the room may be named or not.
  Scenario one;
  one.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), call_next_in("3", at("08:00")),
           call_next(at("08:05"))});
  EXPECT_EQ(one.called(), "W2");
  one.reject(call_next_in("5", at("08:10")), Error::kInvalidArgument);
}

TEST(SpecFlow, PausingOneRoomLeavesTheOtherCalling) {
  Scenario sc(two_rooms());
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), walk_in("W3", at("07:02"))});
  Result r = sc.run({pause_room("3", at("08:00"))});
  Event p = find_event(r.events, EventType::kSessionPaused);
  EXPECT_EQ(p.room, "3");
  EXPECT_EQ(p.count, 1);
  EXPECT_EQ(sc.staff(at("08:00")).status, SessionStatus::kOpen);
  sc.reject(call_next_in("3", at("08:01")), Error::kSessionPaused);
  sc.run({call_next_in("5", at("08:01"))});
  EXPECT_EQ(sc.called(), "W1");
  sc.run({pause_room("5", at("08:02"))});
  EXPECT_EQ(sc.staff(at("08:02")).status, SessionStatus::kPaused);  // every room is
  r = sc.run({resume(at("08:03"))});  // every room
  EXPECT_EQ(find_event(r.events, EventType::kSessionResumed).count, 0);
  EXPECT_EQ(sc.staff(at("08:03")).status, SessionStatus::kOpen);
  sc.run({call_next_in("3", at("08:04"))});
  EXPECT_EQ(sc.state("W2"), TicketState::kCalled);
  EXPECT_EQ(sc.state("W1"), TicketState::kCalled);  // room 5's, untouched
  // Pausing what is paused already changes nothing.
  sc.run({pause(at("08:05"))});
  r = sc.run({pause_room("3", at("08:06"))});
  EXPECT_TRUE(r.events.empty());
}

TEST(SpecFlow, UndoRestoresTheRoomItWasIn) {
  Scenario sc(two_rooms());
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), walk_in("W3", at("07:02")),
          call_next_in("3", at("08:00")), call_next_in("5", at("08:01")),
          call_next_in("3", at("08:10"))});
  ASSERT_EQ(sc.state("W3"), TicketState::kCalled);
  sc.run({step(Undo{kSid}, at("08:10"))});
  EXPECT_EQ(sc.state("W1"), TicketState::kCalled);  // back in room 3
  EXPECT_EQ(sc.state("W2"), TicketState::kCalled);  // room 5 untouched
  EXPECT_EQ(sc.order(), ids("W3"));
  StaffView v = sc.staff(at("08:10"));
  EXPECT_EQ(v.rooms[0].called_ticket, "W1");
  EXPECT_EQ(v.rooms[1].called_ticket, "W2");
}

TEST(SpecFlow, DisplaysShowOneCardPerRoomAndNothingAboutPriority) {
  Scenario sc(two_rooms());
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01")),
          priority_walk_in("P1", at("07:02")), walk_in("W3", at("07:03")),
          call_next_in("3", at("08:00"))});
  DisplayView d = sc.engine.display_view("neuro-2f", at("08:00"));
  ASSERT_EQ(d.rooms.size(), 2u);
  EXPECT_EQ(d.rooms[0].room, "3");
  EXPECT_TRUE(d.rooms[0].has_called);
  EXPECT_EQ(d.rooms[0].called.label, "W001");
  EXPECT_EQ(d.rooms[1].room, "5");
  EXPECT_FALSE(d.rooms[1].has_called);
  ASSERT_EQ(d.rooms[0].next.size(), 3u);
  EXPECT_EQ(d.rooms[0].next[0].label, "W003");  // P1 (inserted after W2... W2 is next)
  EXPECT_EQ(d.rooms[1].next.size(), d.rooms[0].next.size());
}

// ---- State ----

TEST(SpecFlow, SnapshotsKeepRoomsPriorityAndTests) {
  Scenario sc(two_rooms());
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), walk_in("W3", at("07:02")),
          priority_walk_in("P1", at("07:03")), call_next_in("3", at("08:00")),
          call_next_in("5", at("08:01")), send_for_tests("W1", at("08:05")),
          pause_room("3", at("08:06"))});
  Engine copy;
  ASSERT_TRUE(copy.load(sc.engine.save()));
  EXPECT_EQ(copy.save(), sc.engine.save());
  StaffView a = sc.staff(at("08:10")), b = *copy.staff_view(kSid, at("08:10"));
  ASSERT_EQ(a.tickets.size(), b.tickets.size());
  for (std::size_t i = 0; i < a.tickets.size(); ++i) {
    EXPECT_EQ(a.tickets[i].ticket_id, b.tickets[i].ticket_id);
    EXPECT_EQ(a.tickets[i].priority, b.tickets[i].priority);
    EXPECT_EQ(a.tickets[i].room, b.tickets[i].room);
    EXPECT_EQ(a.tickets[i].overtaken, b.tickets[i].overtaken);
    EXPECT_EQ(a.tickets[i].state, b.tickets[i].state);
  }
  ASSERT_EQ(b.rooms.size(), 2u);
  EXPECT_TRUE(b.rooms[0].paused);
  EXPECT_EQ(b.rooms[1].called_ticket, a.rooms[1].called_ticket);
  // The same future: return from tests and calls give the same events.
  for (Engine* e : {&sc.engine, &copy}) {
    (void)e;
  }
  Result x = sc.engine.apply(return_from_tests("W1", at("08:30")).cmd, at("08:30"));
  Result y = copy.apply(return_from_tests("W1", at("08:30")).cmd, at("08:30"));
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(x.events, y.events);
  EXPECT_EQ(sc.engine.save(), copy.save());
}

TEST(SpecFlow, SessionSettingsAreValidated) {
  Engine e;
  auto create = [&](SessionSpec spec) {
    return e.apply(Command{Actor{ActorKind::kAdmin, "a"}, CreateSession{spec}}, day_before("06:00"));
  };
  SessionSpec s = example_spec();
  s.rooms = {"3", "3"};
  EXPECT_EQ(create(s).error, Error::kInvalidArgument);
  s.rooms = {"3", ""};
  EXPECT_EQ(create(s).error, Error::kInvalidArgument);
  s.rooms = std::vector<std::string>(17, "r");
  for (std::size_t i = 0; i < s.rooms.size(); ++i) s.rooms[i] += std::to_string(i);
  EXPECT_EQ(create(s).error, Error::kInvalidArgument);
  s = example_spec();
  s.max_overtaken = -1;
  EXPECT_EQ(create(s).error, Error::kInvalidArgument);
  s.max_overtaken = 3;
  s.priority_after = 1001;
  EXPECT_EQ(create(s).error, Error::kInvalidArgument);
  s.priority_after = 1;
  s.rooms = {"3", "5"};
  EXPECT_TRUE(create(s).ok());
}

}  // namespace
}  // namespace qc::test
