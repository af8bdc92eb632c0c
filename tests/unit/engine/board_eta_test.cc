// The board's estimates (Board::eta_offsets_ms): a phone that follows the
// session's public board computes its position (index in `waiting`) and its
// estimated call (doctor_available_at + eta_offsets_ms[index]) itself; both
// must equal what its own PatientView says at the same `now`, in every
// state of the session (booked tickets that may come in ahead, the doctor's
// usual late start, made-next and demoted tickets, paused sessions, calls).
#include <random>

#include "tests/support/command_generator.h"
#include "tests/support/reference_model.h"
#include "tests/support/scenario.h"

namespace qc::test {
namespace {

constexpr Duration kAvg = 10 * kMinute;  // the default avg_consult seed

// Every WAITING ticket of `sid`: board position and estimate == patient view.
// Returns the number of tickets checked.
std::size_t expect_board_matches(const Engine& e, const std::string& sid, Time now,
                                 const std::string& where) {
  std::optional<Board> b = e.board(sid, now);
  EXPECT_TRUE(b.has_value()) << where;
  if (!b) return 0;
  std::vector<std::string> order = e.waiting_order(sid);
  EXPECT_EQ(b->waiting.size(), order.size()) << where;
  EXPECT_EQ(b->eta_offsets_ms.size(), b->waiting.size()) << where;
  if (b->waiting.size() != order.size() || b->eta_offsets_ms.size() != order.size()) return 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    std::optional<PatientView> v = e.patient_view(order[i], now);
    EXPECT_TRUE(v.has_value()) << where;
    if (!v) continue;
    EXPECT_EQ(v->state, TicketState::kWaiting) << where;
    EXPECT_EQ(b->waiting[i], v->label) << where << " position " << i;
    EXPECT_EQ(static_cast<std::int32_t>(i), v->ahead) << where << " " << v->label;
    EXPECT_EQ(b->doctor_available_at + b->eta_offsets_ms[i], v->eta)
        << where << " " << v->label << " position " << i;
    if (i > 0) {
      EXPECT_GE(b->eta_offsets_ms[i], b->eta_offsets_ms[i - 1]) << where;
    }
    EXPECT_GE(b->eta_offsets_ms[i], 0) << where;
  }
  return order.size();
}

TEST(BoardEta, EqualsEveryWaitingTicketsPatientView) {
  for (Policy policy : {Policy::kArrival, Policy::kAppointmentsFirst}) {
    Scenario sc(late_doctor(policy));
    // Bookings of several slots (they may still check in ahead), walk-ins,
    // one early check-in.
    sc.run({book("A0", 0, day_before("10:00")), book("B0", 0, day_before("10:00")),
            book("A1", 1, day_before("10:00")), book("A2", 2, day_before("10:00")),
            book("B2", 2, day_before("10:00")), book("A3", 3, day_before("10:00")),
            walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), check_in("A1", at("07:02")),
            walk_in("W3", at("07:30")), walk_in("W4", at("07:31"))});
    const std::string p = policy == Policy::kArrival ? "ARRIVAL " : "APPOINTMENTS_FIRST ";
    // Before the first call: from start + first_call_delay, and from now once
    // that has passed.
    for (const char* when : {"07:40", "08:10", "08:55"}) {
      std::size_t n = expect_board_matches(sc.engine, "S", at(when), p + when);
      EXPECT_EQ(n, 5u);
    }
    // The estimates really carry the booked tickets ahead (not index * avg).
    {
      Board b = *sc.engine.board("S", at("07:40"));
      EXPECT_EQ(b.doctor_available_at, at("08:50"));
      bool some_booked_ahead = false;
      for (std::size_t i = 0; i < b.waiting.size(); ++i)
        if (b.eta_offsets_ms[i] != static_cast<std::int64_t>(i) * kAvg) some_booked_ahead = true;
      EXPECT_TRUE(some_booked_ahead) << p;
    }
    // Calls: from the last call + avg, or from now once that has passed.
    sc.run({call_next(at("08:52")), call_next(at("09:01"))});
    for (const char* when : {"09:02", "09:20", "09:45"})
      expect_board_matches(sc.engine, "S", at(when), p + "after calls " + when);
    // A missed ticket returns; a late check-in is demoted behind everybody.
    const std::string missed_id = sc.called();
    ASSERT_FALSE(missed_id.empty());
    sc.run({missed(missed_id, at("09:03")), call_next(at("09:04"))});
    sc.run({ret(missed_id, at("09:06")), check_in("A0", at("09:07"))});
    EXPECT_EQ(sc.view("A0", at("09:07")).placement, Placement::kDemoted) << p;
    EXPECT_EQ(sc.view(missed_id, at("09:07")).state, TicketState::kWaiting) << p;
    for (const char* when : {"09:08", "09:40", "10:05", "10:30"})
      expect_board_matches(sc.engine, "S", at(when), p + "made next, demoted " + when);
    // Paused: not before now.
    sc.run({pause(at("09:10"))});
    for (const char* when : {"09:11", "09:30", "11:00"})
      expect_board_matches(sc.engine, "S", at(when), p + "paused " + when);
    sc.run({resume(at("09:31")), check_in("A2", at("09:32")), move_next("W4", at("09:33"))});
    EXPECT_EQ(sc.view("W4", at("09:33")).placement, Placement::kMadeNext) << p;
    for (const char* when : {"09:34", "10:01", "11:59"})
      expect_board_matches(sc.engine, "S", at(when), p + "resumed " + when);
  }
}

TEST(BoardEta, EmptyAndClosedSessionsHaveNoEstimates) {
  Scenario sc;
  Board b = *sc.engine.board("S", at("07:00"));
  EXPECT_TRUE(b.waiting.empty());
  EXPECT_TRUE(b.eta_offsets_ms.empty());
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01"))});
  b = *sc.engine.board("S", at("07:10"));
  ASSERT_EQ(b.eta_offsets_ms.size(), 2u);
  EXPECT_EQ(b.doctor_available_at, at("08:00"));
  EXPECT_EQ(b.eta_offsets_ms[0], 0);
  EXPECT_EQ(b.eta_offsets_ms[1], kAvg);
  sc.run({close(at("12:30"))});
  b = *sc.engine.board("S", at("12:31"));
  EXPECT_TRUE(b.waiting.empty());
  EXPECT_TRUE(b.eta_offsets_ms.empty());
}

// Long random command sequences (the model test's generator): after every
// command, every session's board agrees with every WAITING ticket's view.
TEST(BoardEta, RandomSequencesAgreeWithThePatientViews) {
  using model_test::Generator;
  Engine engine;
  model::Model model;
  Generator gen(20261122);
  std::mt19937_64 rng(7);
  std::size_t checked = 0;
  for (int k = 0; k < 20000 && !HasFailure(); ++k) {
    model_test::Step st = gen.next(model);
    engine.apply(st.cmd, st.now);
    model.apply(st.cmd, st.now);
    // At the command's time and a little later (time moves the estimates).
    Time later = st.now + static_cast<Time>(rng() % (90 * kMinute));
    for (const std::string& sid : engine.session_ids()) {
      checked += expect_board_matches(engine, sid, st.now, "step " + std::to_string(k) + " " + sid);
      if (k % 7 == 0)
        checked += expect_board_matches(engine, sid, later, "step " + std::to_string(k) + "+ " + sid);
    }
  }
  EXPECT_GT(checked, 10000u);  // the sequences do fill queues
}

}  // namespace
}  // namespace qc::test
