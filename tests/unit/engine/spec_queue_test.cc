// The queue rules of the spec: order key, presenting, calling, missed and
// return, move_to_next, pause, suspend, close, versions.
#include "tests/support/scenario.h"

namespace qc::test {
namespace {

// ---- order key ----

TEST(SpecOrder, ArrivalPolicyOrdersBySlotThenSeq) {
  Scenario sc;
  sc.run({book("A0", 0, day_before("10:00")), book("A1", 1, day_before("10:00")),
          book("A2", 2, day_before("10:00")), check_in("A2", at("07:01")),
          check_in("A1", at("07:02")), walk_in("W1", at("07:03")), check_in("A0", at("07:04"))});
  // W1 and A0 both in slot 0: arrival order (seq) decides.
  EXPECT_EQ(sc.order(), ids("W1 A0 A1 A2"));
}

TEST(SpecOrder, AppointmentsFirstPutsWalkInsAfterAppointmentsOfTheSlot) {
  Scenario sc(example_spec(Policy::kAppointmentsFirst));
  sc.run({book("A0", 0, day_before("10:00")), book("A1", 1, day_before("10:00")),
          walk_in("W1", at("07:03")), check_in("A1", at("07:04")), check_in("A0", at("07:05"))});
  EXPECT_EQ(sc.order(), ids("A0 W1 A1"));
}

TEST(SpecOrder, BandZeroComesFirstInSeqOrder) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:01")), walk_in("W2", at("07:02")), walk_in("W3", at("07:03")),
          move_next("W3", at("07:04")), move_next("W2", at("07:05"))});
  EXPECT_EQ(sc.order(), ids("W3 W2 W1"));
  // Moving a band-0 ticket again puts it at the end of band 0.
  sc.run({move_next("W3", at("07:06"))});
  EXPECT_EQ(sc.order(), ids("W2 W3 W1"));
  EXPECT_EQ(sc.view("W3", at("07:06")).placement, Placement::kMadeNext);
}

TEST(SpecOrder, WalkInGetsEarliestSlotWithCapacityNotYetOver) {
  SessionSpec spec = example_spec();
  spec.walkin_quota = {1, 0, 2, 1};
  Scenario sc(spec);
  Result r = sc.run({walk_in("W1", at("07:00"))});
  EXPECT_EQ(find_event(r.events, EventType::kWalkInRegistered).slot, 0);
  r = sc.run({walk_in("W2", at("07:10"))});  // slot 0 full, slot 1 has none
  EXPECT_EQ(find_event(r.events, EventType::kWalkInRegistered).slot, 2);
  r = sc.run({walk_in("W3", at("11:00"))});  // slot 2 ended at 11:00: slot 3
  EXPECT_EQ(find_event(r.events, EventType::kWalkInRegistered).effective_slot, 3);
  sc.reject(walk_in("W4", at("11:10")), Error::kNoCapacity);
}

// ---- presenting ----

TEST(SpecPresenting, OnTimeNotPassedIsNormal) {
  Scenario sc;
  sc.run({book("A1", 1, day_before("10:00"))});
  Result r = sc.run({check_in("A1", at("10:00"))});  // exactly slot_end: on time
  Event e = find_event(r.events, EventType::kCheckedIn);
  EXPECT_EQ(e.placement, Placement::kNormal);
  EXPECT_EQ(e.effective_slot, 1);
  EXPECT_EQ(e.from, TicketState::kBooked);
  EXPECT_EQ(e.to, TicketState::kWaiting);
}

TEST(SpecPresenting, OneMillisecondLateIsDemoted) {
  Scenario sc;
  sc.run({book("A1", 1, day_before("10:00"))});
  Result r = sc.run({check_in("A1", at("10:00") + 1)});
  EXPECT_EQ(find_event(r.events, EventType::kCheckedIn).placement, Placement::kDemoted);
}

TEST(SpecPresenting, LateGraceExtendsOnTime) {
  SessionSpec spec = example_spec();
  spec.late_grace = 10 * kMinute;
  Scenario sc(spec);
  sc.run({book("A1", 1, day_before("10:00")), book("A2", 1, day_before("10:00"))});
  Result r = sc.run({check_in("A1", at("10:10"))});
  EXPECT_EQ(find_event(r.events, EventType::kCheckedIn).placement, Placement::kNormal);
  r = sc.run({check_in("A2", at("10:11"))});
  EXPECT_EQ(find_event(r.events, EventType::kCheckedIn).placement, Placement::kDemoted);
}

TEST(SpecPresenting, LateAndPassedIsDemotedNotMadeNext) {
  Scenario sc;
  sc.run({book("A0", 0, day_before("10:00")), book("A2", 2, day_before("10:00")),
          check_in("A2", at("07:00")), call_next(at("08:50"))});
  ASSERT_EQ(sc.staff(at("08:50")).serving_slot, 2);
  Result r = sc.run({check_in("A0", at("09:30"))});  // late for slot 0, and passed
  EXPECT_EQ(find_event(r.events, EventType::kCheckedIn).placement, Placement::kDemoted);
}

TEST(SpecPresenting, DemotedQueuesAsWalkInArrivingNow) {
  Scenario sc;
  sc.run({book("A0", 0, day_before("10:00")), book("A3", 3, day_before("10:00")),
          check_in("A3", at("07:00")), check_in("A0", at("09:30")), walk_in("W1", at("09:31"))});
  // W1 goes to slot 1 (earliest with W left and not over): before both.
  EXPECT_EQ(sc.order(), ids("W1 A3 A0"));
}

TEST(SpecPresenting, ServingSlotEqualToOwnSlotIsNotPassed) {
  Scenario sc;
  sc.run({book("A1", 1, day_before("10:00")), book("B1", 1, day_before("10:00")),
          book("C3", 3, day_before("10:00")), check_in("B1", at("07:00")),
          check_in("C3", at("07:00")), call_next(at("09:00"))});
  ASSERT_EQ(sc.staff(at("09:00")).serving_slot, 1);
  Result r = sc.run({check_in("A1", at("09:10"))});
  EXPECT_EQ(find_event(r.events, EventType::kCheckedIn).placement, Placement::kNormal);
  EXPECT_EQ(sc.order(), ids("A1 C3"));
}

// ---- calling ----

TEST(SpecCall, CallNextCompletesTheCalledTicket) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), call_next(at("08:00"))});
  Result r = sc.run({call_next(at("08:10"))});
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].type, EventType::kTicketCompleted);
  EXPECT_EQ(r.events[0].ticket_id, "W1");
  EXPECT_EQ(r.events[0].reason, "next_call");
  EXPECT_EQ(r.events[1].type, EventType::kTicketCalled);
  EXPECT_EQ(r.events[1].ticket_id, "W2");
  EXPECT_EQ(r.events[1].reason, "call_next");
  EXPECT_EQ(sc.state("W1"), TicketState::kDone);
  EXPECT_EQ(sc.called(), "W2");
}

TEST(SpecCall, EmptyQueueCompletesCalledAndAnswersNobodyWaiting) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00")), call_next(at("08:00"))});
  Result r = sc.run({call_next(at("08:10"))});
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].type, EventType::kTicketCompleted);
  EXPECT_EQ(r.events[1].type, EventType::kNobodyWaiting);
  EXPECT_EQ(r.events[1].session_id, "S");
  EXPECT_EQ(sc.called(), "");
  r = sc.run({call_next(at("08:11"))});
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].type, EventType::kNobodyWaiting);
}

TEST(SpecCall, ServingSlotStartsAtMinusOneAndFollowsBandOneCalls) {
  Scenario sc;
  EXPECT_EQ(sc.staff(at("07:00")).serving_slot, -1);
  sc.run({book("A2", 2, day_before("10:00")), check_in("A2", at("07:00")),
          walk_in("W1", at("07:01")), move_next("A2", at("07:02")), call_next(at("08:00"))});
  EXPECT_EQ(sc.called(), "A2");
  EXPECT_EQ(sc.staff(at("08:00")).serving_slot, -1);  // taken from band 0
  sc.run({call_next(at("08:10"))});
  EXPECT_EQ(sc.staff(at("08:10")).serving_slot, 0);
}

TEST(SpecCall, CallTicketOutOfOrderDoesNotMoveServingSlot) {
  Scenario sc;
  sc.run({book("A3", 3, day_before("10:00")), walk_in("W1", at("07:00")),
          check_in("A3", at("07:01")), call_next(at("08:00"))});
  ASSERT_EQ(sc.staff(at("08:00")).serving_slot, 0);
  sc.run({walk_in("W2", at("08:01"))});
  Result r = sc.run({call_ticket("A3", at("08:05"))});
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].ticket_id, "W1");  // completed first
  EXPECT_EQ(r.events[0].reason, "next_call");
  EXPECT_EQ(r.events[1].reason, "call_ticket");
  EXPECT_EQ(sc.called(), "A3");
  EXPECT_EQ(sc.staff(at("08:05")).serving_slot, 0);
  EXPECT_EQ(sc.order(), ids("W2"));
}

TEST(SpecCall, RecallAnnouncesAgainWithoutChange) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00")), call_next(at("08:00"))});
  Result r = sc.run({recall("W1", at("08:02"))});
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].type, EventType::kTicketRecalled);
  EXPECT_EQ(r.events[0].label, "W001");
  EXPECT_EQ(sc.state("W1"), TicketState::kCalled);
  sc.reject(recall("W9", at("08:03")), Error::kUnknownTicket);
}

TEST(SpecCall, CompleteAndMarkMissed) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), call_next(at("08:00")),
          complete("W1", at("08:05"))});
  EXPECT_EQ(sc.state("W1"), TicketState::kDone);
  EXPECT_EQ(sc.called(), "");
  sc.reject(complete("W1", at("08:06")), Error::kWrongState);
  sc.run({call_next(at("08:10")), missed("W2", at("08:12"))});
  EXPECT_EQ(sc.state("W2"), TicketState::kMissed);
  sc.reject(missed("W2", at("08:13")), Error::kWrongState);
  // A missed ticket is not called again by call_next.
  Result r = sc.run({call_next(at("08:14"))});
  EXPECT_EQ(count_events(r.events, EventType::kNobodyWaiting), 1);
}

TEST(SpecCall, ReturnWithinOwnSlotIsMadeNext) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), call_next(at("08:00")),
          missed("W1", at("08:02")), ret("W1", at("08:30"))});
  EXPECT_EQ(sc.order(), ids("W1 W2"));
  EXPECT_EQ(sc.state("W1"), TicketState::kWaiting);
  sc.reject(ret("W1", at("08:31")), Error::kWrongState);
}

TEST(SpecCall, ReturnAfterEndIsSessionClosed) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00")), call_next(at("08:00")), missed("W1", at("08:02"))});
  sc.reject(ret("W1", at("12:00")), Error::kSessionClosed);
}

TEST(SpecCall, MoveToNextNeedsWaiting) {
  Scenario sc;
  sc.run({book("A1", 1, day_before("10:00"))});
  sc.reject(move_next("A1", at("07:00")), Error::kWrongState);
  Result r = sc.run({check_in("A1", at("07:00")), move_next("A1", at("07:01"))});
  Event e = find_event(r.events, EventType::kMovedToNext);
  EXPECT_EQ(e.placement, Placement::kMadeNext);
}

// ---- pause, suspend, close ----

TEST(SpecSession, PauseRejectsCallNextButNotCallTicket) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), pause(at("08:00"))});
  sc.reject(call_next(at("08:01")), Error::kSessionPaused);
  sc.run({call_ticket("W2", at("08:02"))});
  EXPECT_EQ(sc.called(), "W2");
  sc.run({resume(at("08:10")), call_next(at("08:11"))});
  EXPECT_EQ(sc.called(), "W1");
}

TEST(SpecSession, PauseTwiceAndResumeOpenAreNoOps) {
  Scenario sc;
  std::uint64_t v = sc.engine.session_version("S");
  Result r = sc.run({resume(at("08:00"))});
  EXPECT_TRUE(r.events.empty());
  EXPECT_EQ(sc.engine.session_version("S"), v);
  r = sc.run({pause(at("08:01"))});
  EXPECT_EQ(find_event(r.events, EventType::kSessionPaused).session_id, "S");
  r = sc.run({pause(at("08:02"))});
  EXPECT_TRUE(r.events.empty());
  EXPECT_EQ(sc.engine.session_version("S"), v + 1);
  r = sc.run({resume(at("08:03"))});
  EXPECT_EQ(count_events(r.events, EventType::kSessionResumed), 1);
}

TEST(SpecSession, SuspendCancelsBookedAndWaitingKeepsCalledAndMissed) {
  Scenario sc;
  sc.run({book("A1", 1, day_before("10:00")), book("A2", 2, day_before("10:00")),
          check_in("A2", at("07:00")), walk_in("W1", at("07:01")), walk_in("W2", at("07:02")),
          hold("H1", 3, day_before("11:00"), "ph"), call_next(at("08:00")),
          missed("W1", at("08:01")), call_ticket("A2", at("08:02"))});
  ASSERT_EQ(sc.called(), "A2");
  Result r = sc.run({suspend(at("08:05"), "doctor ill")});
  std::vector<std::string> cancelled;
  for (const Event& e : r.events)
    if (e.type == EventType::kTicketCancelled) {
      cancelled.push_back(e.ticket_id);
      EXPECT_EQ(e.reason, "suspended");
    }
  EXPECT_EQ(cancelled, ids("A1 W2"));
  EXPECT_EQ(find_event(r.events, EventType::kHoldReleased).ticket_id, "H1");
  EXPECT_EQ(r.events.back().type, EventType::kSessionSuspended);
  EXPECT_EQ(r.events.back().reason, "doctor ill");
  EXPECT_EQ(sc.state("A2"), TicketState::kCalled);
  EXPECT_EQ(sc.state("W1"), TicketState::kMissed);
  EXPECT_EQ(count_events(r.events, EventType::kTicketNoShow), 0);
  // Suspended: everything is session_closed except finishing the CALLED one.
  sc.reject(call_next(at("08:06")), Error::kSessionClosed);
  sc.reject(ret("W1", at("08:06")), Error::kSessionClosed);
  sc.reject(walk_in("W3", at("08:06")), Error::kSessionClosed);
  sc.reject(pause(at("08:06")), Error::kSessionClosed);
  sc.reject(suspend(at("08:06")), Error::kSessionClosed);
  sc.reject(book("A9", 3, at("08:06")), Error::kSessionClosed);
  sc.run({complete("A2", at("08:07"))});
  EXPECT_EQ(sc.state("A2"), TicketState::kDone);
  sc.run({close(at("08:10"))});
  EXPECT_EQ(sc.engine.staff_view("S", at("08:10"))->status, SessionStatus::kClosed);
}

TEST(SpecSession, SuspendedCalledTicketMayBeMarkedMissed) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00")), call_next(at("08:00")), suspend(at("08:01")),
          missed("W1", at("08:02"))});
  EXPECT_EQ(sc.state("W1"), TicketState::kMissed);
}

TEST(SpecSession, CloseTransitionsAndRejectsEverythingAfter) {
  Scenario sc;
  sc.run({book("A1", 1, day_before("10:00"), "p1"), book("A2", 2, day_before("10:00")),
          check_in("A2", at("07:00")), walk_in("W1", at("07:01")), walk_in("W2", at("07:02")),
          call_next(at("08:00")), missed("W1", at("08:01")), call_next(at("08:02"))});
  ASSERT_EQ(sc.called(), "W2");
  Result r = sc.run({close(at("11:00"))});  // a staff decision before end
  EXPECT_EQ(sc.state("A1"), TicketState::kNoShow);
  EXPECT_EQ(sc.state("A2"), TicketState::kCancelled);
  EXPECT_EQ(sc.state("W1"), TicketState::kMissed);
  EXPECT_EQ(sc.state("W2"), TicketState::kDone);
  EXPECT_EQ(r.events.back().type, EventType::kSessionClosed);
  EXPECT_EQ(find_event(r.events, EventType::kTicketCancelled).reason, "session_closed");
  EXPECT_EQ(find_event(r.events, EventType::kTicketCompleted).reason, "session_closed");
  EXPECT_TRUE(sc.order().empty());
  for (const Step& s : {call_next(at("11:01")), close(at("11:01")), pause(at("11:01")),
                        resume(at("11:01")), walk_in("W3", at("11:01")), ret("W1", at("11:01")),
                        book("A9", 3, day_before("10:00")), check_in("A1", at("11:01")),
                        recall("W2", at("11:01")), complete("W2", at("11:01")),
                        suspend(at("11:01"))})
    sc.reject(s, Error::kSessionClosed);
}

TEST(SpecSession, TickClosesWhenIdleAfterEnd) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00")), call_next(at("08:00"))});
  Result r = sc.run({tick(at("12:00"))});  // W1 still CALLED: not idle
  EXPECT_EQ(count_events(r.events, EventType::kSessionClosed), 0);
  sc.run({complete("W1", at("12:01"))});
  r = sc.run({tick(at("11:59"))});
  EXPECT_EQ(count_events(r.events, EventType::kSessionClosed), 0);
  r = sc.run({tick(at("12:02"))});
  EXPECT_EQ(count_events(r.events, EventType::kSessionClosed), 1);
}

TEST(SpecSession, TickClosesAtEndPlusGraceEvenWithWaiting) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00"))});
  Result r = sc.run({tick(at("15:59"))});
  EXPECT_EQ(count_events(r.events, EventType::kSessionClosed), 0);
  r = sc.run({tick(at("16:00"))});
  EXPECT_EQ(count_events(r.events, EventType::kSessionClosed), 1);
  EXPECT_EQ(sc.state("W1"), TicketState::kCancelled);
}

// ---- versions ----

TEST(SpecVersion, GrowsByOnePerAppliedCommandOnly) {
  Scenario sc;
  EXPECT_EQ(sc.engine.session_version("S"), 1u);  // created
  sc.run({walk_in("W1", at("07:00"))});
  EXPECT_EQ(sc.engine.session_version("S"), 2u);
  sc.run({walk_in("W2", at("07:00")), call_next(at("08:00"))});  // call_next: 2 events, +1
  EXPECT_EQ(sc.engine.session_version("S"), 4u);
  sc.reject(complete("W2", at("08:01")), Error::kWrongState);
  EXPECT_EQ(sc.engine.session_version("S"), 4u);
  EXPECT_EQ(sc.view("W1", at("08:01")).version, 4u);
  EXPECT_EQ(sc.engine.session_version("nope"), 0u);
}

TEST(SpecVersion, TickBumpsOnlySessionsItChanged) {
  Scenario sc;
  sc.run({step(CreateSession{example_spec(Policy::kArrival, "T")}, day_before("09:00"))});
  std::uint64_t s = sc.engine.session_version("S"), t = sc.engine.session_version("T");
  sc.run({hold("H1", 0, day_before("10:00"), "p1", "", 5 * kMinute)});
  sc.run({tick(day_before("10:06"))});  // expires H1 in S only
  EXPECT_EQ(sc.engine.session_version("S"), s + 2);
  EXPECT_EQ(sc.engine.session_version("T"), t);
}

}  // namespace
}  // namespace qc::test
