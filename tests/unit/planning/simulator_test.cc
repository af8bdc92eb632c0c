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
