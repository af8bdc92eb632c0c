// The clinic-day simulator (planning/simulator.h) and its random numbers.
// Few replications: these tests check mechanics and determinism, not the
// paper's figures (those are in docs/planning.md, from `queuecast simulate`).
#include "planning/sim_strategy.h"

#include <gtest/gtest.h>

#include "planning/sim_random.h"

namespace qc::sim {
namespace {

TEST(SimRandom, SameSeedSameNumbers) {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    const std::uint64_t x = a.next();
    EXPECT_EQ(x, b.next());
    EXPECT_NE(x, c.next());
  }
  // Pinned values: the generator must not change silently (reproducible figures).
  Rng d(1);
  EXPECT_EQ(d.next(), Rng(1).next());
  EXPECT_NE(mix_seed(1, 2, 3), mix_seed(1, 3, 2));
}

TEST(SimRandom, DistributionsHaveTheirMeans) {
  Rng r(7);
  const int n = 50000;
  double u = 0, e = 0, l = 0, p = 0;
  for (int i = 0; i < n; ++i) {
    const double x = r.uniform();
    ASSERT_GE(x, 0.0);
    ASSERT_LT(x, 1.0);
    u += x;
    e += r.exponential(0.5);
    l += r.lognormal_mean_cv(6.0, 0.5);
    p += static_cast<double>(r.poisson(3.0));
  }
  EXPECT_NEAR(u / n, 0.5, 0.01);
  EXPECT_NEAR(e / n, 2.0, 0.05);
  EXPECT_NEAR(l / n, 6.0, 0.08);
  EXPECT_NEAR(p / n, 3.0, 0.05);
  EXPECT_EQ(r.lognormal_mean_cv(6.0, 0), 6.0);
  EXPECT_EQ(r.poisson(0), 0);
}

// A quiet clinic: appointments only, all exactly on time, fixed 10-minute
// consultations, no late start.
Scenario quiet() {
  Scenario sc;
  sc.walkin_rate_per_minute = {0, 0, 0, 0, 0};
  sc.consult_mean_minutes = {10, 10, 10, 10};
  sc.consult_cv = 0;
  sc.appointments_per_day = 4;
  sc.arrival.early_share = 0;
  sc.arrival.late_share = 0;
  sc.arrival.around_minutes = 0;
  sc.walkin_capacity = 0;
  return sc;
}

TEST(Simulator, QuietClinicHasNoWaitAndExactEstimates) {
  Scenario sc = quiet();
  Metrics m;
  std::string err;
  ASSERT_TRUE(simulate(sc, Quotas{{1, 1, 1, 1}, {0, 0, 0, 0}}, 3, 1, &m, &err)) << err;
  EXPECT_EQ(m.appointment.n, 12);
  EXPECT_EQ(m.walkin.n, 0);
  EXPECT_DOUBLE_EQ(m.appointment.mean, 0);
  EXPECT_DOUBLE_EQ(m.appointment.p90, 0);
  // Four 10-minute visits in a 240-minute session.
  EXPECT_NEAR(m.doctor_idle_minutes, 200, 1e-6);
  EXPECT_DOUBLE_EQ(m.overtime_minutes, 0);
  EXPECT_DOUBLE_EQ(m.eta_mae_minutes, 0);
  EXPECT_DOUBLE_EQ(m.naive_mae_minutes, 0);
  EXPECT_EQ(m.appointment_slot_mean, (std::vector<double>{0, 0, 0, 0}));
  EXPECT_EQ(m.walkin_slot_mean, (std::vector<double>{-1, -1, -1, -1}));
}

TEST(Simulator, LateStartDelaysTheFirstPatient) {
  Scenario sc = quiet();
  sc.appointments_per_day = 2;
  sc.late_start_mean_minutes = 30;
  Metrics m;
  std::string err;
  // Both booked into slot 0, arriving at 08:00: called 08:30 and 08:40.
  ASSERT_TRUE(simulate(sc, Quotas{{2, 0, 0, 0}, {0, 0, 0, 0}}, 1, 1, &m, &err)) << err;
  EXPECT_EQ(m.appointment.n, 2);
  EXPECT_NEAR(m.appointment.mean, 35, 1e-9);
  EXPECT_NEAR(m.appointment.p90, 40, 1e-9);
  EXPECT_NEAR(m.naive_mae_minutes, 35, 1e-9);  // "your slot's start" is 08:00
  // The session is told the usual late start (first_call_delay = the late
  // start mean by default): the estimates are exact.
  EXPECT_NEAR(m.eta_mae_minutes, 0, 1e-9);
  // Not told: both are told 30 minutes too early.
  sc.first_call_delay_minutes = 0;
  ASSERT_TRUE(simulate(sc, Quotas{{2, 0, 0, 0}, {0, 0, 0, 0}}, 1, 1, &m, &err)) << err;
  EXPECT_NEAR(m.eta_mae_minutes, 30, 1e-9);
  sc.first_call_delay_minutes = -2;
  EXPECT_FALSE(simulate(sc, Quotas{{2, 0, 0, 0}, {0, 0, 0, 0}}, 1, 1, &m, &err));
  EXPECT_NE(err.find("firstCallDelayMinutes"), std::string::npos) << err;
}

TEST(Simulator, LateAppointmentsAreDemotedAndNoShowsNeverCome) {
  Scenario sc = quiet();
  sc.appointments_per_day = 2;
  sc.arrival.late_share = 1;
  sc.arrival.late_min = sc.arrival.late_max = 70;  // 09:10 for slot 0
  Metrics m;
  std::string err;
  ASSERT_TRUE(simulate(sc, Quotas{{1, 0, 1, 0}, {0, 0, 0, 0}}, 2, 1, &m, &err)) << err;
  EXPECT_DOUBLE_EQ(m.demoted_per_day, 2);  // both come after their slot ended
  EXPECT_DOUBLE_EQ(m.too_late_per_day, 0);
  // Booked into the last slot, 70 minutes late is after the end: not seen.
  ASSERT_TRUE(simulate(sc, Quotas{{0, 0, 1, 1}, {0, 0, 0, 0}}, 2, 1, &m, &err)) << err;
  EXPECT_DOUBLE_EQ(m.too_late_per_day, 1);
  EXPECT_EQ(m.appointment.n, 2);  // only the slot-2 appointments (one a day)
  sc.noshow_rate = 1;
  ASSERT_TRUE(simulate(sc, Quotas{{1, 0, 1, 0}, {0, 0, 0, 0}}, 2, 1, &m, &err)) << err;
  EXPECT_DOUBLE_EQ(m.noshow_per_day, 2);
  EXPECT_EQ(m.appointment.n, 0);
}

TEST(Simulator, WalkInsBeyondCapacityAreTurnedAway) {
  Scenario sc = quiet();
  sc.appointments_per_day = 0;
  sc.walkin_rate_per_minute = {0.2, 0.2, 0.2, 0.2, 0.2};
  Metrics m;
  std::string err;
  ASSERT_TRUE(simulate(sc, Quotas{{0, 0, 0, 0}, {0, 0, 0, 0}}, 2, 5, &m, &err)) << err;
  EXPECT_EQ(m.walkin.n, 0);
  EXPECT_GT(m.turned_away_per_day, 20);
  ASSERT_TRUE(simulate(sc, Quotas{{0, 0, 0, 0}, {100, 100, 100, 100}}, 2, 5, &m, &err)) << err;
  EXPECT_DOUBLE_EQ(m.turned_away_per_day, 0);
  EXPECT_GT(m.walkin.n, 40);
  EXPECT_GT(m.walkin.mean, 0);
}

Scenario paperish() {
  Scenario sc;
  sc.walkin_rate_per_minute = {0.15, 0.10, 0.05, 0.03, 0.02};
  sc.consult_mean_minutes = {6, 5, 6, 6};
  sc.late_start_mean_minutes = 45;
  sc.late_start_sd_minutes = 8;
  sc.first_slot_seen = 2;
  sc.walkin_capacity = 24;
  sc.appointments_per_day = 10;
  return sc;
}

TEST(Simulator, SameSeedSameFiguresOtherSeedOtherFigures) {
  const Scenario sc = paperish();
  const Quotas q = baseline_quotas(sc);
  Metrics a, b, c;
  std::string err;
  ASSERT_TRUE(simulate(sc, q, 20, 9, &a, &err)) << err;
  ASSERT_TRUE(simulate(sc, q, 20, 9, &b, &err)) << err;
  ASSERT_TRUE(simulate(sc, q, 20, 10, &c, &err)) << err;
  EXPECT_EQ(a.walkin.mean, b.walkin.mean);
  EXPECT_EQ(a.appointment.p90, b.appointment.p90);
  EXPECT_EQ(a.eta_mae_minutes, b.eta_mae_minutes);
  EXPECT_EQ(a.commands, b.commands);
  EXPECT_NE(a.walkin.mean, c.walkin.mean);
}

TEST(Simulator, RejectsBadScenariosAndQuotas) {
  Scenario sc = paperish();
  Metrics m;
  std::string err;
  EXPECT_FALSE(simulate(sc, Quotas{{1, 1, 1}, {1, 1, 1, 1}}, 1, 1, &m, &err));
  EXPECT_NE(err.find("one entry per slot"), std::string::npos);
  EXPECT_FALSE(simulate(sc, baseline_quotas(sc), 0, 1, &m, &err));
  sc.walkin_rate_per_minute.pop_back();
  EXPECT_FALSE(simulate(sc, baseline_quotas(sc), 1, 1, &m, &err));
  EXPECT_NE(err.find("walkinRatePerMinute"), std::string::npos);
  sc = paperish();
  sc.arrival.early_share = 0.8;
  EXPECT_NE(sc.validate(), "");
  sc = paperish();
  sc.slot_minutes = 50;
  EXPECT_NE(sc.validate(), "");
  sc = paperish();
  sc.consult_mean_minutes[2] = 0;
  EXPECT_NE(sc.validate(), "");
}

TEST(Strategies, BaselineSpreadsEvenlyPlannerFollowsThePaper) {
  const Scenario sc = paperish();
  const Quotas b = baseline_quotas(sc);
  EXPECT_EQ(b.appointment, (std::vector<std::int32_t>{3, 3, 2, 2}));
  EXPECT_EQ(b.walkin, (std::vector<std::int32_t>{6, 6, 6, 6}));
  plan::Plan p;
  const Quotas q = planner_quotas(sc, &p);
  // NX' = 9 + 6, 3, 2, 1; NX = 2 (ward rounds), 12, 10, 10; backlog 13 -> slot 1, 4 -> slot 2.
  EXPECT_EQ(p.slots[0].walkin_arrivals, 15);
  EXPECT_EQ(p.slots[0].capacity, 2);
  EXPECT_EQ(q.appointment, (std::vector<std::int32_t>{0, 0, 4, 6}));
  EXPECT_EQ(q.walkin, (std::vector<std::int32_t>{15, 3, 2, 4}));
}

TEST(Strategies, OptimizerKeepsItsConstraintAndNeverDoesWorse) {
  const Scenario sc = paperish();
  OptimizeOptions opt;
  opt.replications = 30;
  opt.max_evaluations = 40;
  opt.seed = 3;
  OptimizeTrace tr;
  const Quotas base = baseline_quotas(sc);
  const Quotas start = planner_quotas(sc);
  const Quotas best = optimize_quotas(sc, base, start, opt, &tr);
  EXPECT_LE(tr.evaluations, 40);
  Metrics m;
  std::string err;
  ASSERT_TRUE(simulate(sc, best, opt.replications, opt.seed, &m, &err)) << err;
  EXPECT_LE(m.appointment.mean, tr.appointment_limit + 1e-9);
  EXPECT_LE(m.walkin.mean, tr.start_walkin_mean + 1e-9);
  EXPECT_DOUBLE_EQ(m.walkin.mean, tr.best_walkin_mean);
  // Sums are kept: the same appointments and walk-in numbers, moved around.
  auto sum = [](const std::vector<std::int32_t>& v) { int s = 0; for (int x : v) s += x; return s; };
  EXPECT_EQ(sum(best.appointment), sum(start.appointment));
  EXPECT_EQ(sum(best.walkin), sum(start.walkin));
  // Deterministic.
  EXPECT_EQ(optimize_quotas(sc, base, start, opt), best);
}

}  // namespace
}  // namespace qc::sim

// ---- The clinical flow (issue 17): rooms, priority, test trips ----

namespace qc::sim {
namespace {

TEST(SimulatorFlow, TwoRoomsCallTwoPatientsAtOnce) {
  Scenario sc = quiet();
  sc.appointments_per_day = 2;
  Metrics one, two;
  std::string err;
  // Both booked into slot 0, on time at 08:00, 10-minute consultations.
  ASSERT_TRUE(simulate(sc, Quotas{{2, 0, 0, 0}, {0, 0, 0, 0}}, 1, 1, &one, &err)) << err;
  EXPECT_NEAR(one.appointment.mean, 5, 1e-9);  // 0 and 10
  sc.rooms = 2;
  ASSERT_TRUE(simulate(sc, Quotas{{2, 0, 0, 0}, {0, 0, 0, 0}}, 1, 1, &two, &err)) << err;
  EXPECT_EQ(two.appointment.n, 2);
  EXPECT_NEAR(two.appointment.mean, 0, 1e-9);  // room 1 and room 2 at 08:00
  EXPECT_NEAR(two.doctor_idle_minutes, 2 * 240 - 2 * 10, 1e-6);
}

TEST(SimulatorFlow, SeparateQueuesSplitTheQuotasAndSendPatientsOn) {
  Scenario sc = quiet();
  sc.appointments_per_day = 0;
  sc.walkin_rate_per_minute = {0, 0.2, 0.2, 0.2, 0.2};  // about 48 a day
  sc.rooms = 2;
  sc.separate_queues = true;
  Metrics m;
  std::string err;
  // 30 numbers a slot for the clinic, 15 for each doctor: a patient whose
  // doctor has none left is sent to the other, nobody is turned away.
  ASSERT_TRUE(simulate(sc, Quotas{{0, 0, 0, 0}, {30, 30, 30, 30}}, 5, 2, &m, &err)) << err;
  EXPECT_EQ(m.turned_away_per_day, 0);
  EXPECT_GT(m.walkin.n, 5 * 40);
  // 5 numbers a slot for the clinic: 20 a day, whatever the doctors' shares (3 + 2).
  ASSERT_TRUE(simulate(sc, Quotas{{0, 0, 0, 0}, {5, 5, 5, 5}}, 5, 2, &m, &err)) << err;
  EXPECT_EQ(m.walkin.n, 5 * 20);
  EXPECT_GT(m.turned_away_per_day, 20);
}

TEST(SimulatorFlow, PriorityAppointmentsAreCountedAsPriority) {
  Scenario sc = quiet();
  sc.priority_appointment_share = 1;
  Metrics m;
  std::string err;
  ASSERT_TRUE(simulate(sc, Quotas{{1, 1, 1, 1}, {0, 0, 0, 0}}, 2, 1, &m, &err)) << err;
  EXPECT_EQ(m.priority.n, 8);
  EXPECT_EQ(m.non_priority.n, 0);
  EXPECT_EQ(m.first_visit.n, 8);
  EXPECT_NEAR(m.priority_from_start.mean, 0, 1e-9);
  sc.priority_appointment_share = 0;
  sc.priority_walkin_share = 1;  // no walk-ins here
  ASSERT_TRUE(simulate(sc, Quotas{{1, 1, 1, 1}, {0, 0, 0, 0}}, 2, 1, &m, &err)) << err;
  EXPECT_EQ(m.priority.n, 0);
  EXPECT_EQ(m.non_priority.n, 8);
}

TEST(SimulatorFlow, TestTripsReturnAndAreSeenAgain) {
  Scenario sc = quiet();  // one appointment per slot, on time, 10 minutes each
  sc.tests_share = 1;
  sc.tests_min_minutes = sc.tests_max_minutes = 30;
  Metrics m;
  std::string err;
  const Quotas q{{1, 1, 1, 1}, {0, 0, 0, 0}};
  ASSERT_TRUE(simulate(sc, q, 2, 1, &m, &err)) << err;
  // 08:00 seen, 08:10 sent for tests, 08:40 back and called at once; the
  // second consultation (10 minutes) counts.
  EXPECT_DOUBLE_EQ(m.tests_per_day, 4);
  EXPECT_DOUBLE_EQ(m.returned_per_day, 4);
  EXPECT_DOUBLE_EQ(m.tests_late_per_day, 0);
  EXPECT_EQ(m.returning.n, 8);
  EXPECT_NEAR(m.returning.mean, 0, 1e-9);
  EXPECT_NEAR(m.doctor_idle_minutes, 240 - 8 * 10, 1e-6);
  // A shorter second consultation.
  sc.return_consult_mean_minutes = 4;
  ASSERT_TRUE(simulate(sc, q, 1, 1, &m, &err)) << err;
  EXPECT_NEAR(m.doctor_idle_minutes, 240 - 4 * 14, 1e-6);
  // Results back after the end (11:10 + 60 min): the last patient is not seen again.
  sc.tests_min_minutes = sc.tests_max_minutes = 60;
  ASSERT_TRUE(simulate(sc, q, 1, 1, &m, &err)) << err;
  EXPECT_DOUBLE_EQ(m.returned_per_day, 3);
  EXPECT_DOUBLE_EQ(m.tests_late_per_day, 1);
  EXPECT_EQ(m.returning.n, 3);
}

TEST(SimulatorFlow, ScenarioFieldsAreValidated) {
  Scenario sc = paperish();
  EXPECT_EQ(sc.validate(), "");
  // Each change makes the scenario invalid with a message naming its key.
  const std::vector<std::pair<const char*, void (*)(Scenario*)>> cases = {
      {"rooms", [](Scenario* s) { s->rooms = 0; }},
      {"rooms", [](Scenario* s) { s->rooms = 17; }},
      {"priorityWalkinShare", [](Scenario* s) { s->priority_walkin_share = 1.5; }},
      {"priorityAppointmentShare", [](Scenario* s) { s->priority_appointment_share = -0.1; }},
      {"testsShare", [](Scenario* s) { s->tests_share = 2; }},
      {"testsMinMinutes", [](Scenario* s) { s->tests_min_minutes = 60, s->tests_max_minutes = 30; }},
      {"returnConsultMeanMinutes", [](Scenario* s) { s->return_consult_mean_minutes = 0.01; }},
      {"maxOvertaken", [](Scenario* s) { s->max_overtaken = 1001; }},
      {"priorityAfter", [](Scenario* s) { s->priority_after = -1; }},
      {"returnAfter", [](Scenario* s) { s->return_after = 5000; }},
  };
  for (const auto& [key, change] : cases) {
    Scenario s = sc;
    change(&s);
    const std::string v = s.validate();
    EXPECT_NE(v.find(key), std::string::npos) << key << ": " << v;
  }
}

// A busy morning with many priority patients and test trips: the engine's
// bound holds every day, and it is reached (so the check can fail).
TEST(SimulatorFlow, NobodyIsOvertakenMoreThanMaxOvertaken) {
  Scenario sc = paperish();
  sc.priority_walkin_share = 0.4;
  sc.priority_appointment_share = 0.2;
  sc.tests_share = 0.3;
  sc.max_overtaken = 2;
  Metrics m;
  std::string err;
  ASSERT_TRUE(simulate(sc, planner_quotas(sc), 40, 3, &m, &err)) << err;
  EXPECT_GT(m.inserted_per_day, 0);
  EXPECT_GT(m.overtaken_per_day, 0);
  EXPECT_EQ(m.max_overtaken_seen, 2);
  EXPECT_EQ(m.days_over_bound, 0);
  EXPECT_EQ(m.days_view_disagrees, 0);
  // Without a lane and without tests nobody is inserted.
  sc.priority_lane = false;
  sc.tests_share = 0;
  ASSERT_TRUE(simulate(sc, planner_quotas(sc), 10, 3, &m, &err)) << err;
  EXPECT_EQ(m.inserted_per_day, 0);
  EXPECT_EQ(m.max_overtaken_seen, 0);
}

// The scenario at a test's size: 10% priority walk-ins, 20% sent
// for tests (30-60 min). The lane halves the part of the priority patients'
// wait that a queue can change (counted from the doctor's start: before it
// everybody waits for the ward rounds), and the others' mean wait rises by
// less than max_overtaken consultations.
TEST(SimulatorFlow, PriorityLaneHalvesThePriorityWaitWithinTheBound) {
  Scenario sc = paperish();
  sc.priority_walkin_share = 0.1;
  sc.tests_share = 0.2;
  FlowComparison c;
  std::string err;
  ASSERT_TRUE(compare_flows(sc, planner_quotas(sc), 200, 1, &c, &err)) << err;
  ASSERT_EQ(c.variants.size(), 2u);
  const FlowVariant* off = c.find(false, false);
  const FlowVariant* on = c.find(true, false);
  ASSERT_TRUE(off && on);
  EXPECT_EQ(off->name, "no priority lane");
  EXPECT_EQ(on->name, "priority lane");
  // The same patients in both worlds.
  EXPECT_EQ(off->metrics.priority.n, on->metrics.priority.n);
  EXPECT_GT(on->metrics.priority.n, 100);
  EXPECT_LT(on->metrics.priority.mean, off->metrics.priority.mean * 0.7);
  EXPECT_LE(on->metrics.priority_from_start.mean, off->metrics.priority_from_start.mean / 2);
  const double rise = on->metrics.non_priority.mean - off->metrics.non_priority.mean;
  EXPECT_GT(rise, 0);
  EXPECT_NEAR(c.overtaking_bound_minutes, 3 * 5.75, 1e-9);
  EXPECT_LE(rise, c.overtaking_bound_minutes);
  EXPECT_EQ(on->metrics.days_over_bound, 0);
  EXPECT_GT(on->metrics.returning.n, 0);
}

// The classic pooling result: two doctors sharing one queue against the
// same two doctors with a queue each (patients pick one at random).
TEST(SimulatorFlow, OneQueueForTwoRoomsBeatsAQueueEach) {
  Scenario sc;
  sc.rooms = 2;
  sc.walkin_rate_per_minute = {0.1, 0.25, 0.25, 0.22, 0.12};
  sc.walkin_capacity = 120;
  sc.appointments_per_day = 16;
  sc.consult_mean_minutes = {6, 6, 6, 6};
  sc.consult_cv = 0.6;
  sc.late_start_mean_minutes = 5;
  sc.late_start_sd_minutes = 3;
  FlowComparison c;
  std::string err;
  ASSERT_TRUE(compare_flows(sc, planner_quotas(sc), 100, 1, &c, &err)) << err;
  ASSERT_EQ(c.variants.size(), 2u);
  const FlowVariant* one = c.find(true, false);
  const FlowVariant* each = c.find(true, true);
  ASSERT_TRUE(one && each);
  EXPECT_EQ(one->name, "one queue for 2 rooms");
  EXPECT_EQ(each->name, "a queue per room");
  EXPECT_EQ(one->metrics.turned_away_per_day, 0);
  EXPECT_EQ(each->metrics.turned_away_per_day, 0);
  EXPECT_LT(one->metrics.first_visit.mean, each->metrics.first_visit.mean);
  EXPECT_LT(one->metrics.first_visit.p90, each->metrics.first_visit.p90);
}

TEST(SimulatorFlow, SameSeedSameFigures) {
  Scenario sc = paperish();
  sc.rooms = 2;
  sc.priority_walkin_share = 0.2;
  sc.tests_share = 0.2;
  Metrics a, b;
  std::string err;
  ASSERT_TRUE(simulate(sc, planner_quotas(sc), 20, 9, &a, &err)) << err;
  ASSERT_TRUE(simulate(sc, planner_quotas(sc), 20, 9, &b, &err)) << err;
  EXPECT_EQ(a.priority.mean, b.priority.mean);
  EXPECT_EQ(a.returning.p90, b.returning.p90);
  EXPECT_EQ(a.overtaken_per_day, b.overtaken_per_day);
  EXPECT_EQ(a.commands, b.commands);
}

}  // namespace
}  // namespace qc::sim
