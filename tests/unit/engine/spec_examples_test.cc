// The worked examples of shared/spec/queue-rules.md, one test each.
// Session 08:00-12:00, 60-min slots (0: 8-9, 1: 9-10, 2: 10-11, 3: 11-12),
// registration opens 07:00, late_grace 0, policy ARRIVAL.
#include "tests/support/scenario.h"

namespace qc::test {
namespace {

// 1. 07:10 walk-in W1 -> slot 0. 07:20 A1 (booked slot 1) checks in. 07:30
//    A2 (booked slot 0) checks in. Order: W1, A2, A1.
TEST(SpecExample, OneArrivalOrderBySlotThenArrival) {
  Scenario sc;
  sc.run({book("A1", 1, day_before("10:00")), book("A2", 0, day_before("10:01"))});
  Result w = sc.run({walk_in("W1", at("07:10"))});
  EXPECT_EQ(find_event(w.events, EventType::kWalkInRegistered).slot, 0);
  sc.run({check_in("A1", at("07:20")), check_in("A2", at("07:30"))});
  EXPECT_EQ(sc.order(), ids("W1 A2 A1"));
}

// 2. A3, booked slot 0, checks in at 09:10: demoted to slot 3 as a walk-in
//    arriving at 09:10. Under APPOINTMENTS_FIRST, a slot-3 appointment that
//    checks in at 11:05 is still ahead of A3.
TEST(SpecExample, TwoLateArrivalIsDemoted) {
  Scenario sc;
  sc.run({book("A3", 0, day_before("10:00")), book("B3", 3, day_before("10:01"))});
  Result r = sc.run({check_in("A3", at("09:10"))});
  Event e = find_event(r.events, EventType::kCheckedIn);
  EXPECT_EQ(e.placement, Placement::kDemoted);
  EXPECT_EQ(e.slot, 0);
  EXPECT_EQ(e.effective_slot, 3);
  // Under ARRIVAL the later slot-3 appointment queues behind A3.
  sc.run({check_in("B3", at("11:05"))});
  EXPECT_EQ(sc.order(), ids("A3 B3"));
}

TEST(SpecExample, TwoAppointmentsFirstKeepsSlotThreeAppointmentAhead) {
  Scenario sc(example_spec(Policy::kAppointmentsFirst));
  sc.run({book("A3", 0, day_before("10:00")), book("B3", 3, day_before("10:01")),
          walk_in("W9", at("09:00")),  // a walk-in of an earlier slot is unaffected
          check_in("A3", at("09:10")), check_in("B3", at("11:05"))});
  EXPECT_EQ(sc.order(), ids("W9 B3 A3"));
  EXPECT_EQ(sc.view("A3", at("11:05")).placement, Placement::kDemoted);
}

// 3. call_next has taken a slot-2 ticket at 09:35 (serving_slot = 2). A4,
//    booked slot 1, checks in at 09:40 (on time): passed, so A4 is next.
TEST(SpecExample, ThreeOnTimeButPassedIsMadeNext) {
  Scenario sc;
  sc.run({book("A4", 1, day_before("10:00")), book("C2", 2, day_before("10:01")),
          book("C3", 3, day_before("10:02")), check_in("C2", at("09:00")),
          check_in("C3", at("09:01")), call_next(at("09:35"))});
  EXPECT_EQ(sc.called(), "C2");
  EXPECT_EQ(sc.staff(at("09:35")).serving_slot, 2);
  Result r = sc.run({check_in("A4", at("09:40"))});
  EXPECT_EQ(find_event(r.events, EventType::kCheckedIn).placement, Placement::kMadeNext);
  EXPECT_EQ(sc.order(), ids("A4 C3"));
  sc.run({call_next(at("09:45"))});
  EXPECT_EQ(sc.called(), "A4");
}

// 4. W5 (slot 1) is called at 09:15 and marked missed at 09:17. Returning at
//    09:40 it is the next patient; returning at 10:20 it is demoted to the
//    end of slot 3.
class SpecExampleFour : public ::testing::Test {
 protected:
  void SetUp() override {
    // Fill slot 0's walk-in quota so that W5 lands in slot 1.
    SessionSpec spec = example_spec();
    spec.walkin_quota = {0, 10, 10, 10};
    sc = std::make_unique<Scenario>(spec);
    sc->run({book("B1", 1, day_before("10:00")), book("B3", 3, day_before("10:01")),
             walk_in("W5", at("09:05"))});
    sc->run({check_in("B1", at("09:06")), check_in("B3", at("09:07")), call_next(at("09:15"))});
    ASSERT_EQ(sc->called(), "W5");
    sc->run({missed("W5", at("09:17"))});
    ASSERT_EQ(sc->state("W5"), TicketState::kMissed);
  }
  std::unique_ptr<Scenario> sc;
};

TEST_F(SpecExampleFour, ReturnOnTimeIsNext) {
  Result r = sc->run({ret("W5", at("09:40"))});
  EXPECT_EQ(find_event(r.events, EventType::kTicketReturned).placement, Placement::kMadeNext);
  EXPECT_EQ(sc->order(), ids("W5 B1 B3"));
}

TEST_F(SpecExampleFour, ReturnLateIsDemotedToEndOfLastSlot) {
  Result r = sc->run({ret("W5", at("10:20"))});
  Event e = find_event(r.events, EventType::kTicketReturned);
  EXPECT_EQ(e.placement, Placement::kDemoted);
  EXPECT_EQ(e.effective_slot, 3);
  EXPECT_EQ(sc->order(), ids("B1 B3 W5"));
}

// 5. A6 (slot 2) never comes: call_next only takes WAITING tickets. At
//    close_session it becomes NO_SHOW and its patient's no-show count goes up.
TEST(SpecExample, FiveNoShowAtClose) {
  EngineOptions o;
  o.noshow_threshold = 1;  // makes the count visible: one no-show bans
  Scenario sc(example_spec(), o);
  sc.run({book("A6", 2, day_before("10:00"), "p6")});
  Result r = sc.run({call_next(at("10:30"))});
  EXPECT_EQ(count_events(r.events, EventType::kNobodyWaiting), 1);
  EXPECT_EQ(sc.state("A6"), TicketState::kBooked);
  r = sc.run({close(at("12:00"))});
  Event e = find_event(r.events, EventType::kTicketNoShow);
  EXPECT_EQ(e.ticket_id, "A6");
  EXPECT_EQ(e.patient_ref, "p6");
  EXPECT_EQ(sc.state("A6"), TicketState::kNoShow);
  EXPECT_EQ(find_event(r.events, EventType::kPatientBlacklisted).patient_ref, "p6");
}

// 6. A7 cancels at 06:30: CANCELLED, its unit goes to W[s] (the conversion
//    time passed at 00:00). Cancelling at 07:30 is cancel_deadline_passed.
TEST(SpecExample, SixCancelAfterConversionGoesToWalkIns) {
  Scenario sc;
  sc.run({book("A7", 2, day_before("10:00")), book("A8", 2, day_before("10:01")),
          tick(at("00:00"))});
  std::int32_t w_before = sc.staff(at("06:00")).walkin_left[2];
  Result r = sc.run({cancel("A7", at("06:30"))});
  Event e = find_event(r.events, EventType::kTicketCancelled);
  EXPECT_EQ(e.count, 2);  // to W
  EXPECT_EQ(sc.state("A7"), TicketState::kCancelled);
  EXPECT_EQ(sc.staff(at("06:30")).walkin_left[2], w_before + 1);
  sc.reject(cancel("A8", at("07:30")), Error::kCancelDeadlinePassed);
}

}  // namespace
}  // namespace qc::test
