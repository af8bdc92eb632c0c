// Undo (docs/engine.md, "Undo"): the session's last call_next, call_ticket,
// complete or mark_missed is reverted exactly, within 60 s, while nothing
// else changed the session; one level.
#include <sstream>

#include "tests/support/scenario.h"

namespace qc::test {
namespace {

Step undo(Time now, std::string sid = kSid) { return step(Undo{sid}, now); }

// Everything a nurse, a phone or a board sees of the session at `now`, but
// the versions (an undo is a change: versions only grow).
std::string seen(const Engine& e, Time now) {
  std::ostringstream o;
  StaffView v = e.staff_view(kSid, now).value();
  o << "status " << to_string(v.status) << " serving " << v.serving_slot << " avg "
    << v.avg_consult << "\n";
  for (const StaffTicket& t : v.tickets) {
    o << t.ticket_id << " " << to_string(t.state) << " " << to_string(t.placement) << " eff "
      << t.effective_slot << " band " << t.band << " seq " << t.seq << " pos " << t.position
      << " in " << t.checked_in_at << " called " << t.called_at;
    PatientView p = e.patient_view(t.ticket_id, now).value();
    o << " | ahead " << p.ahead << " eta " << p.eta << " arrive " << p.recommended_arrival
      << " calledLabel " << p.called_label << "\n";
  }
  Board b = e.board(kSid, now).value();
  o << "board " << b.called_label << " at " << b.doctor_available_at << " avg " << b.avg_consult;
  for (std::size_t i = 0; i < b.waiting.size(); ++i)
    o << " " << b.waiting[i] << "+" << b.eta_offsets_ms[i];
  for (const DisplayRoom& r : e.display_view("neuro-2f", now).rooms)
    o << "\ndisplay " << r.called.label << " called " << r.called_at;
  return o.str();
}

// `undone` (action then undo) against `before` (the engine before the
// action): the same now, and the same events for the same future commands.
void expect_same(Engine undone, Engine before, Time now, std::initializer_list<Step> future) {
  EXPECT_EQ(seen(undone, now), seen(before, now));
  for (const Step& s : future) {
    Result a = undone.apply(s.cmd, s.now);
    Result b = before.apply(s.cmd, s.now);
    EXPECT_EQ(a.error, b.error) << command_name(s.cmd.body);
    EXPECT_EQ(a.events, b.events) << command_name(s.cmd.body);
    EXPECT_EQ(seen(undone, s.now), seen(before, s.now));
  }
}

// A clinic with history: W1 seen (a learned consultation time), W2 called,
// W3 and W4 waiting, A1 booked.
Scenario clinic() {
  Scenario sc;
  sc.run({book("A1", 2, day_before("10:00")), walk_in("W1", at("07:50")),
          walk_in("W2", at("07:51")), walk_in("W3", at("07:52")), walk_in("W4", at("07:53")),
          call_next(at("08:00")), call_next(at("08:12"))});
  EXPECT_EQ(sc.called(), "W2");
  return sc;
}

TEST(Undo, CallNextRestoresTheCompletedAndTheCalledTicket) {
  Scenario sc = clinic();
  Engine before = sc.engine;
  Time t = at("08:20");
  sc.run({call_next(t)});  // W2 done ("next_call"), W3 called, a consult time learned
  EXPECT_EQ(sc.called(), "W3");
  EXPECT_EQ(sc.engine.display_view("neuro-2f", t).rooms.at(0).called_at, t);
  Result r = sc.run({undo(t + 30 * kSecond)});
  // The display sees W2 called at its old time: older than W3's call, so the
  // screens do not announce W2 again (docs/pages.md).
  EXPECT_EQ(sc.engine.display_view("neuro-2f", t).rooms.at(0).called_at, at("08:12"));
  ASSERT_EQ(r.events.size(), 2u);
  // Newest change first: W3 back to WAITING, then W2 back to CALLED.
  EXPECT_EQ(r.events[0].type, EventType::kActionUndone);
  EXPECT_EQ(r.events[0].ticket_id, "W3");
  EXPECT_EQ(r.events[0].from, TicketState::kCalled);
  EXPECT_EQ(r.events[0].to, TicketState::kWaiting);
  EXPECT_EQ(r.events[0].reason, "call_next");
  EXPECT_EQ(r.events[0].actor, nurse());
  EXPECT_EQ(r.events[1].ticket_id, "W2");
  EXPECT_EQ(r.events[1].from, TicketState::kDone);
  EXPECT_EQ(r.events[1].to, TicketState::kCalled);
  EXPECT_EQ(sc.called(), "W2");
  EXPECT_EQ(sc.order(), ids("W3 W4"));
  Time later = t + 40 * kSecond;
  expect_same(sc.engine, before, later,
              {call_next(at("08:25")), walk_in("W5", at("08:26")), call_next(at("08:31")),
               complete("W4", at("08:40"))});
}

TEST(Undo, ThenCallNextCallsTheSamePatientAgain) {
  Scenario sc = clinic();
  sc.run({call_next(at("08:20")), undo(at("08:20")), call_next(at("08:21"))});
  EXPECT_EQ(sc.called(), "W3");
  EXPECT_EQ(sc.state("W2"), TicketState::kDone);
  EXPECT_EQ(sc.order(), ids("W4"));
}

TEST(Undo, CallTicketOutOfOrderIsReverted) {
  Scenario sc = clinic();
  Engine before = sc.engine;
  sc.run({call_ticket("W4", at("08:20"))});
  EXPECT_EQ(sc.state("W2"), TicketState::kDone);
  Result r = sc.run({undo(at("08:21"))});
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].ticket_id, "W4");
  EXPECT_EQ(r.events[0].reason, "call_ticket");
  EXPECT_EQ(sc.order(), ids("W3 W4"));
  EXPECT_EQ(sc.called(), "W2");
  expect_same(sc.engine, before, at("08:21"),
              {call_next(at("08:22")), call_next(at("08:30")), call_next(at("08:31"))});
}

TEST(Undo, CompleteIsReverted) {
  Scenario sc = clinic();
  Engine before = sc.engine;
  sc.run({complete("W2", at("08:20"))});
  Result r = sc.run({undo(at("08:21"))});
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].ticket_id, "W2");
  EXPECT_EQ(r.events[0].from, TicketState::kDone);
  EXPECT_EQ(r.events[0].to, TicketState::kCalled);
  EXPECT_EQ(r.events[0].reason, "complete");
  EXPECT_EQ(sc.called(), "W2");
  expect_same(sc.engine, before, at("08:21"), {call_next(at("08:25")), call_next(at("08:33"))});
}

TEST(Undo, MarkMissedIsReverted) {
  Scenario sc = clinic();
  Engine before = sc.engine;
  sc.run({missed("W2", at("08:20"))});
  Result r = sc.run({undo(at("08:20") + kUndoWindow)});  // exactly 60 s: still allowed
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].from, TicketState::kMissed);
  EXPECT_EQ(r.events[0].to, TicketState::kCalled);
  EXPECT_EQ(r.events[0].reason, "mark_missed");
  EXPECT_EQ(sc.called(), "W2");
  expect_same(sc.engine, before, at("08:22"),
              {missed("W2", at("08:23")), ret("W2", at("08:24")), call_next(at("08:25"))});
}

TEST(Undo, FirstCallOfTheDayRestoresNoServingSlotAndNoLastCall) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:50")), walk_in("W2", at("07:51"))});
  Engine before = sc.engine;
  sc.run({call_next(at("08:00")), undo(at("08:00"))});
  EXPECT_EQ(sc.called(), "");
  EXPECT_EQ(sc.staff(at("08:00")).serving_slot, -1);
  expect_same(sc.engine, before, at("08:00"), {call_next(at("08:05")), call_next(at("08:15"))});
}

TEST(Undo, ExpiresAfterSixtySeconds) {
  Scenario sc = clinic();
  sc.run({call_next(at("08:20"))});
  sc.reject(undo(at("08:20") + kUndoWindow + 1), Error::kUndoExpired);
  EXPECT_EQ(sc.called(), "W3");
}

TEST(Undo, NothingToUndo) {
  Scenario sc;
  sc.reject(undo(at("08:00")), Error::kNothingToUndo);       // nothing happened
  sc.reject(undo(at("08:00"), "nosuch"), Error::kUnknownSession);
  sc.run({walk_in("W1", at("07:50"))});
  sc.reject(undo(at("07:50")), Error::kNothingToUndo);       // a walk-in is not undoable
  sc.run({call_next(at("08:00")), undo(at("08:00"))});
  sc.reject(undo(at("08:00")), Error::kNothingToUndo);       // one level only
  sc.run({call_next(at("08:01")), call_next(at("08:02"))});  // nobody waiting: completes W1
  sc.run({call_next(at("08:03"))});                          // changes nothing
  sc.reject(undo(at("08:03")), Error::kNothingToUndo);       // ... but ends the undo window
}

TEST(Undo, AnyOtherChangeOfTheSessionEndsTheWindow) {
  for (int k = 0; k < 6; ++k) {
    Scenario sc = clinic();
    sc.run({call_next(at("08:20"))});
    Time t = at("08:20") + 5 * kSecond;
    switch (k) {
      case 0: sc.run({walk_in("W9", t)}); break;
      case 1: sc.run({check_in("A1", t)}); break;
      case 2: sc.run({recall("W3", t)}); break;
      case 3: sc.run({pause(t)}); break;
      case 4: sc.run({move_next("W4", t)}); break;
      case 5: sc.run({suspend(t)}); break;
    }
    sc.reject(undo(t), Error::kNothingToUndo);
  }
  // Another session's changes do not matter.
  Scenario sc = clinic();
  SessionSpec other = example_spec(Policy::kArrival, "T");
  sc.run({step(CreateSession{other}, at("06:00")), call_next(at("08:20")),
          walk_in("X1", at("08:20"), "", "T")});
  sc.run({undo(at("08:20"))});
  EXPECT_EQ(sc.called(), "W2");
}

TEST(Undo, SurvivesSaveAndLoadAndOlderImagesHaveNothingToUndo) {
  Scenario sc = clinic();
  Engine before = sc.engine;
  sc.run({call_next(at("08:20"))});
  std::string image = sc.engine.save();
  Engine loaded;
  ASSERT_TRUE(loaded.load(image));
  EXPECT_EQ(loaded.save(), image);
  Result r = loaded.apply(Command{nurse(), Undo{kSid}}, at("08:20"));
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.events, sc.engine.apply(Command{nurse(), Undo{kSid}}, at("08:20")).events);
  expect_same(loaded, before, at("08:21"), {call_next(at("08:22"))});
  // A record that does not fit the session (corrupt image) is refused.
  std::string bad = image;
  bad[bad.size() - 9] = 3;  // W3's restored state: MISSED is no state an action leaves
  EXPECT_FALSE(Engine().load(bad));
}

// Whatever an image's undo record says, an engine that loads it undoes into
// a valid state: at most one CALLED ticket, distinct queue keys (load() of
// its save() checks both), the called ticket and queue it reports are those
// its tickets say, never a crash. Every value of every byte of the record.
TEST(Undo, DamagedRecordsLoadOnlyWhenTheirUndoIsValid) {
  Scenario sc = clinic();
  sc.run({call_next(at("08:20"))});
  const std::string image = sc.engine.save();
  const std::size_t record = 4 + 4 + 1 + 8 + 4 + 4 + 8 + 8 + 8 + 1 + 1 + 2 * (4 + 1 + 8);
  int loaded = 0;
  for (std::size_t pos = image.size() - record; pos < image.size(); ++pos) {
    for (int x = 1; x < 256; ++x) {
      std::string bad = image;
      bad[pos] = static_cast<char>(bad[pos] ^ x);
      Engine e;
      if (!e.load(bad)) continue;
      ++loaded;
      Result r = e.apply(Command{nurse(), Undo{kSid}}, at("08:20"));
      Engine again;
      ASSERT_TRUE(again.load(e.save())) << "undo of a damaged record broke the state (byte "
                                        << pos << " ^ " << x << ", " << to_string(r.error) << ")";
      ASSERT_EQ(again.called_ticket(kSid), e.called_ticket(kSid)) << pos << " ^ " << x;
      ASSERT_EQ(again.waiting_order(kSid), e.waiting_order(kSid)) << pos << " ^ " << x;
    }
  }
  EXPECT_GT(loaded, 0);  // some flips (times, statistics) stay valid
}

}  // namespace
}  // namespace qc::test
