// Reproductions of disagreements the randomized model test
// (model_test.cc) found between the engine and the reference model, each
// the smallest command sequence, with what the spec
// (../shared/spec/queue-rules.md, "Priority, return after tests, several
// rooms") and docs/engine.md say should happen. Each failed on the engine
// when it was written and is fixed; they stay as regression tests.
#include "tests/support/scenario.h"

namespace qc::test {
namespace {

// Spec: the ticket "is placed right after P, or at the head of band 1 if
// there is no P". With return_after 0 (or priority_after 0) and nobody
// protected or inserted there is no P; docs/engine.md gave the head the
// serving slot's key (slot = serving slot, seq 0). A band-1 ticket of an
// earlier slot can be waiting then (a walk-in registered into slot 1 after
// the doctor took a slot-2 ticket, as in worked example 3), and the ticket
// back from tests landed behind it: not at the head.
TEST(FlowRepro, InsertionWithoutPIsAtTheHeadOfBandOne) {
  SessionSpec spec = example_spec();
  spec.return_after = 0;
  spec.walkin_quota = {0, 5, 5, 5};
  Scenario sc(spec);
  sc.run({book("A1", 2, day_before("10:00")), check_in("A1", at("09:00")),
          call_next(at("09:35")),                // A1 (slot 2): serving slot 2
          walk_in("W1", at("09:40")),            // slot 1 (the earliest with W left)
          send_for_tests("A1", at("09:45"))});
  ASSERT_EQ(sc.order(), ids("W1"));
  Result r = sc.run({return_from_tests("A1", at("09:50"))});
  EXPECT_EQ(find_event(r.events, EventType::kTicketInserted).other_ticket, "");  // no P
  EXPECT_EQ(sc.order(), ids("A1 W1"));  // the head of band 1
}

// docs/engine.md, "Check order": unknown ids -> invalid_argument ->
// session state (session_closed, session_paused) -> ticket state. A room
// that the session does not have, or no room where several need one, is
// invalid_argument ("unknown room", "room required"), so it comes before
// session_closed, session_paused and wrong_state.
TEST(FlowRepro, ARoomErrorComesBeforeTheSessionAndTicketState) {
  SessionSpec spec = example_spec();
  spec.rooms = {"3", "5"};
  Scenario sc(spec);
  sc.run({book("A1", 1, day_before("10:00")), walk_in("W1", at("07:00")),
          pause_room("3", at("07:30"))});
  sc.reject(call_next_in("3", at("08:00")), Error::kSessionPaused);
  sc.reject(call_ticket_in("A1", "9", at("08:00")), Error::kInvalidArgument);  // A1 is BOOKED
  sc.reject(call_ticket_in("A1", "", at("08:00")), Error::kInvalidArgument);
  sc.run({close(at("12:00"))});
  sc.reject(call_next(at("12:01")), Error::kInvalidArgument);  // room required
  sc.reject(call_next_in("9", at("12:01")), Error::kInvalidArgument);
  sc.reject(pause_room("9", at("12:01")), Error::kInvalidArgument);
  sc.reject(resume_room("9", at("12:01")), Error::kInvalidArgument);
}

// The same check order: an unknown ticket is unknown_ticket even when the
// priority code is malformed too (book, hold and register_walk_in answer
// unknown_session first likewise).
TEST(FlowRepro, SetPriorityOfAnUnknownTicketIsUnknownTicket) {
  Scenario sc;
  sc.reject(set_priority("nosuch", "Elderly", at("07:00")), Error::kUnknownTicket);
}

// docs/engine.md, Snapshots: load(save()) gives the same state. Within the
// undo window after `complete` of a ticket at tests (undoable: docs
// "Tests"), the image did not load: a restart then could not recover the
// session from its snapshot. (The model test found it by going on from the
// engine's own snapshot every 250 commands.)
TEST(FlowRepro, SnapshotLoadsAfterCompletingATicketAtTests) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), call_next(at("08:00")),
          send_for_tests("W1", at("08:05")), complete("W1", at("08:30"))});
  Engine restarted;
  ASSERT_TRUE(restarted.load(sc.engine.save()));
  EXPECT_EQ(restarted.ticket_state("W1"), TicketState::kDone);
  // The undo is part of the state: it puts W1 back at tests in both.
  Result a = sc.engine.apply(Command{nurse(), Undo{kSid}}, at("08:30"));
  Result b = restarted.apply(Command{nurse(), Undo{kSid}}, at("08:30"));
  EXPECT_TRUE(a.ok()) << a.message;
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(sc.state("W1"), TicketState::kAtTests);
}

// docs/engine.md, "Insertion after k": "Its effective slot is P's (the
// serving slot at the head), so the serving slot never goes back when it is
// called". A ticket inserted after one that heads band 1 got the slot of
// P's key (0) instead of P's effective slot (the serving slot): calling it
// moved the serving slot back, and an on-time appointment of an earlier
// slot then no longer counted as passed (spec "Presenting").
TEST(FlowRepro, ATicketInsertedAfterTheHeadKeepsTheServingSlot) {
  SessionSpec spec = example_spec();
  spec.priority_after = 0;
  Scenario sc(spec);
  sc.run({book("A1", 2, day_before("10:00")), book("A2", 1, day_before("10:01")),
          check_in("A1", at("07:00")), call_next(at("08:00")),  // A1: serving slot 2
          walk_in("W1", at("08:01")), priority_walk_in("P1", at("08:02")),
          priority_walk_in("P2", at("08:03"))});
  ASSERT_EQ(sc.order(), ids("P1 P2 W1"));  // P1 heads band 1, P2 after P1
  sc.run({call_next(at("08:10")), call_next(at("08:20"))});
  ASSERT_EQ(sc.called(), "P2");
  EXPECT_EQ(sc.staff(at("08:20")).serving_slot, 2);
  Result r = sc.run({check_in("A2", at("08:30"))});  // slot 1, on time, passed
  EXPECT_EQ(find_event(r.events, EventType::kCheckedIn).placement, Placement::kMadeNext);
  EXPECT_EQ(sc.order(), ids("A2 W1"));
}

// The same with the room calling its next patient while the first is at
// tests: the undo record of `complete` (a ticket back to AT_TESTS while its
// room has another CALLED ticket) made the image fail to load.
TEST(FlowRepro, SnapshotLoadsAfterCompletingATicketAtTestsWhileTheRoomCallsAnother) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), call_next(at("08:00")),
          send_for_tests("W1", at("08:05")), call_next(at("08:10")),  // W2 in the room
          complete("W1", at("08:30"))});
  Engine restarted;
  ASSERT_TRUE(restarted.load(sc.engine.save()));
  Result a = sc.engine.apply(Command{nurse(), Undo{kSid}}, at("08:30"));
  Result b = restarted.apply(Command{nurse(), Undo{kSid}}, at("08:30"));
  EXPECT_TRUE(a.ok()) << a.message;
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(sc.state("W1"), TicketState::kAtTests);
  EXPECT_EQ(sc.state("W2"), TicketState::kCalled);
}

}  // namespace
}  // namespace qc::test
