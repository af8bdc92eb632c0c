// Quota planning (paper 000) and the Erlang C calculator (paper 001).
#include "planning/planner.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

namespace qc::plan {
namespace {

SampleHistogram paper_histogram() {
  SampleHistogram h;
  h.counts = {450, 34, 10, 3, 3};
  return h;
}

TEST(Planner, PaperArrivalRateIsPointFifteenPerMinute) {
  const SampleHistogram h = paper_histogram();
  EXPECT_EQ(h.samples(), 500);
  EXPECT_EQ(h.capped_arrivals(), 0 * 450 + 1 * 34 + 2 * 10 + 3 * 3 + 4 * 3);
  EXPECT_DOUBLE_EQ(arrival_rate_per_minute(h), 0.15);
  EXPECT_EQ(expected_arrivals(h, 60), 9);
  EXPECT_EQ(expected_arrivals(h, 30), 5);  // 4.5 rounds half up
  EXPECT_EQ(expected_arrivals(SampleHistogram{}, 60), 0);
}

TEST(Planner, SamplesAreCappedAtFour) {
  SampleHistogram h;
  h.add(0);
  h.add(7);  // counts as 4
  h.add(4);
  h.add(-1);  // nonsense counts as 0
  EXPECT_EQ(h.counts[4], 2);
  EXPECT_EQ(h.counts[0], 2);
  EXPECT_EQ(h.capped_arrivals(), 8);
}

TEST(Planner, PaperQuotasWithFirstSlotCorrection) {
  // Tongji neurology: NX = 2 (ward rounds), 12, 10, and the rest in 11-12.
  PlanInput in;
  in.slot_minutes = 60;
  in.walkin_arrivals = {0, 0, 0, 0};
  in.mean_consult_minutes = {5, 5, 6, 6};
  in.actual_seen = {2.2, 11, 9, 7};  // only the first slot is corrected
  in.carry_backlog = false;
  Plan p;
  std::string err;
  ASSERT_TRUE(plan_quotas(in, 30, 0, &p, &err)) << err;
  EXPECT_EQ(p.slots[0].expected_capacity, 12);
  EXPECT_EQ(p.slots[0].capacity, 2);
  EXPECT_EQ(p.slots[1].capacity, 12);
  EXPECT_EQ(p.slots[2].capacity, 10);
  EXPECT_EQ(p.appointment_quota(), (std::vector<std::int32_t>{2, 12, 10, 6}));
}

TEST(Planner, AppointmentsGoWhereWalkInsLeaveRoomAndTheRestIntoTheLastSlot) {
  PlanInput in;
  in.walkin_arrivals = {15, 3, 2, 1};
  in.mean_consult_minutes = {6, 5, 6, 6};
  in.actual_seen = {2, 12, 10, 5};
  in.carry_backlog = false;
  Plan p;
  std::string err;
  ASSERT_TRUE(plan_quotas(in, 10, 30, &p, &err)) << err;
  // A[0] = max(0, 2 - 15) = 0; A[1] = 12 - 3 = 9 -> 9; A[2] = min(8, 1) = 1; last: 0.
  EXPECT_EQ(p.appointment_quota(), (std::vector<std::int32_t>{0, 9, 1, 0}));
  // W follows NX'; the last slot takes the rest of the walk-in capacity (30).
  EXPECT_EQ(p.walkin_quota(), (std::vector<std::int32_t>{15, 3, 2, 10}));
  EXPECT_EQ(quotas_json(p), "{\"appointmentQuota\":[0,9,1,0],\"walkinQuota\":[15,3,2,10]}");

  // More appointments than room: the leftover goes into the last slot.
  ASSERT_TRUE(plan_quotas(in, 25, 0, &p, &err)) << err;
  EXPECT_EQ(p.appointment_quota(), (std::vector<std::int32_t>{0, 9, 8, 8}));
  EXPECT_EQ(p.walkin_quota(), (std::vector<std::int32_t>{15, 3, 2, 1}));
}

TEST(Planner, CarriedBacklogDelaysAppointments) {
  PlanInput in;
  in.walkin_arrivals = {15, 3, 2, 1};
  in.mean_consult_minutes = {6, 5, 6, 6};
  in.actual_seen = {2, 12, 10, 5};
  in.carry_backlog = true;
  Plan p;
  std::string err;
  ASSERT_TRUE(plan_quotas(in, 10, 0, &p, &err)) << err;
  // Backlog 13 after slot 0 fills slot 1 (3 + 13 > 12), 4 spill into slot 2.
  EXPECT_EQ(p.slots[1].walkin_demand, 16);
  EXPECT_EQ(p.slots[2].walkin_demand, 6);
  EXPECT_EQ(p.appointment_quota(), (std::vector<std::int32_t>{0, 0, 4, 6}));
}

TEST(Planner, RejectsMalformedInput) {
  PlanInput in;
  Plan p;
  std::string err;
  EXPECT_FALSE(plan_quotas(in, 1, 0, &p, &err));
  in.walkin_arrivals = {1, 2};
  in.mean_consult_minutes = {5};
  EXPECT_FALSE(plan_quotas(in, 1, 0, &p, &err));
  in.mean_consult_minutes = {5, 0};
  EXPECT_FALSE(plan_quotas(in, 1, 0, &p, &err));
  EXPECT_NE(err.find("positive"), std::string::npos);
  in.mean_consult_minutes = {5, 5};
  EXPECT_FALSE(plan_quotas(in, -1, 0, &p, &err));
  EXPECT_TRUE(plan_quotas(in, 1, 0, &p, &err));
}

TEST(History, AcceptsEveryCalendarDay) {
  // Leap days of leap years and month ends are dates.
  for (const char* d : {"2020-02-29", "2000-02-29", "2018-01-31", "2018-04-30", "2018-12-31"}) {
    HistoryParse h = parse_history(std::string(d) + ",walk_in,07:12,,\n");
    EXPECT_TRUE(h.ok) << d << ": " << h.error;
  }
}

TEST(History, ParsesRowsHeaderAndComments) {
  const char* csv =
      "# Tongji neurology, November\n"
      "date,kind,registration,call,end\n"
      "2018-11-01,walk_in,07:12,08:50,08:56:30\n"
      "20181101,appointment,08:40:10,,\r\n"
      "\n";
  HistoryParse h = parse_history(csv);
  ASSERT_TRUE(h.ok) << h.error;
  ASSERT_EQ(h.rows.size(), 2u);
  EXPECT_EQ(h.rows[0].date, 20181101);
  EXPECT_EQ(h.rows[0].kind, VisitKind::kWalkIn);
  EXPECT_EQ(h.rows[0].registration, 7 * 3600 + 12 * 60);
  EXPECT_EQ(h.rows[0].end, 8 * 3600 + 56 * 60 + 30);
  EXPECT_EQ(h.rows[1].kind, VisitKind::kAppointment);
  EXPECT_EQ(h.rows[1].call, -1);
}

TEST(History, BadRowsNameTheirLine) {
  struct Case {
    const char* text;
    int line;
    const char* what;
  } cases[] = {
      {"date,kind,registration,call,end\n2018-11-01,walk_in,07:12\n", 2, "expected 5 fields"},
      {"2018-11-01,walk_in,07:12,,\n2018-13-01,walk_in,07:12,,\n", 2, "bad date"},
      // Days that are not on the calendar.
      {"2018-02-30,walk_in,07:12,,\n", 1, "bad date"},
      {"2019-02-29,walk_in,07:12,,\n", 1, "bad date"},
      {"2018-04-31,walk_in,07:12,,\n", 1, "bad date"},
      {"20180230,walk_in,07:12,,\n", 1, "bad date"},
      {"2018-00-10,walk_in,07:12,,\n", 1, "bad date"},
      {"\n\n2018-11-01,doctor,07:12,,\n", 3, "bad kind"},
      {"2018-11-01,walk_in,7:6x,,\n", 1, "bad registration time"},
      {"2018-11-01,walk_in,07:12,08:00,\n", 1, "both"},
      {"2018-11-01,walk_in,07:12,08:00,07:59\n", 1, "before call"},
      {"2018-11-01,walk_in,09:12,08:00,08:10\n", 1, "before registration"},
      {"2018-11-01,walk_in,07:12,25:00,25:10\n", 1, "bad call time"},
  };
  for (const Case& c : cases) {
    HistoryParse h = parse_history(c.text);
    EXPECT_FALSE(h.ok) << c.text;
    EXPECT_EQ(h.error_line, c.line) << c.text;
    EXPECT_NE(h.error.find("line " + std::to_string(c.line) + ": "), std::string::npos) << h.error;
    EXPECT_NE(h.error.find(c.what), std::string::npos) << h.error;
    EXPECT_TRUE(h.rows.empty());
  }
}

// Ten days whose 07:00-08:00 walk-in registrations reproduce the paper's
// samples minute by minute: 600 samples, 90 arrivals -> 0.15/min -> 9.
TEST(History, EstimatesReproduceThePaperFromRawVisits) {
  std::string csv = "date,kind,registration,call,end\n";
  auto clock = [](int sec) {
    char b[16];
    std::snprintf(b, sizeof b, "%02d:%02d:%02d", sec / 3600, sec / 60 % 60, sec % 60);
    return std::string(b);
  };
  for (int day = 1; day <= 10; ++day) {
    const std::string date = "2018-11-" + std::string(day < 10 ? "0" : "") + std::to_string(day);
    // 9 walk-ins in the hour before service: minutes 0..8 one each.
    for (int k = 0; k < 9; ++k) {
      const int reg = 7 * 3600 + k * 60 + 5;
      // Ward rounds: 2 seen in 08-09 (8:45, 8:52), 12 in 09-10, 10 in 10-11.
      csv += date + ",walk_in," + clock(reg) + ",,\n";
    }
    csv += date + ",appointment,08:30," + clock(8 * 3600 + 45 * 60) + "," + clock(8 * 3600 + 51 * 60) + "\n";
    csv += date + ",appointment,08:30," + clock(8 * 3600 + 52 * 60) + "," + clock(8 * 3600 + 58 * 60) + "\n";
    for (int k = 0; k < 12; ++k) {
      const int call = 9 * 3600 + k * 300;
      csv += date + ",appointment,08:55," + clock(call) + "," + clock(call + 300) + "\n";
    }
    for (int k = 0; k < 10; ++k) {
      const int call = 10 * 3600 + k * 360;
      csv += date + ",appointment,09:55," + clock(call) + "," + clock(call + 360) + "\n";
    }
  }
  HistoryParse h = parse_history(csv);
  ASSERT_TRUE(h.ok) << h.error;
  HistoryEstimate e;
  std::string err;
  ASSERT_TRUE(estimate_from_history(h.rows, SessionShape{}, &e, &err)) << err;
  EXPECT_EQ(e.days, 10);
  EXPECT_DOUBLE_EQ(e.appointments_per_day, 24);
  EXPECT_EQ(e.histograms[0].samples(), 600);
  EXPECT_DOUBLE_EQ(arrival_rate_per_minute(e.histograms[0]), 0.15);
  EXPECT_EQ(e.input.walkin_arrivals, (std::vector<std::int32_t>{9, 0, 0, 0}));
  Plan p;
  ASSERT_TRUE(plan_quotas(e.input, 24, 0, &p, &err)) << err;
  EXPECT_EQ(p.slots[0].expected_capacity, 10);  // 60 / 6 minutes
  EXPECT_EQ(p.slots[0].capacity, 2);            // ward rounds: actual 2 seen
  EXPECT_EQ(p.slots[1].capacity, 12);
  EXPECT_EQ(p.slots[2].capacity, 10);
  // Walk-ins 9 in slot 0, backlog 7 carried into slot 1: A = 0, 5, 10, rest 9.
  EXPECT_EQ(p.appointment_quota(), (std::vector<std::int32_t>{0, 5, 10, 9}));
  // Patients waiting from 07:00, first call 08:45 every day.
  EXPECT_EQ(e.first_call_days, 10);
  EXPECT_EQ(e.first_call_delay_seconds, 45 * 60);
}

TEST(History, FirstCallDelayIsTheMedianDayCountedFromTheFirstPatient) {
  // Day 1: first call 08:50 (patients from 07:10): 50 min. Day 2: 08:20: 20
  // min. Day 3: the first patient came at 08:40, called 08:45: 5 min (a lower
  // bound: nobody was there to call). Day 4: nobody seen (no call): ignored.
  // Day 5: called at 07:58, before the start: 0.
  const char* csv =
      "2018-11-01,walk_in,07:10,09:10,09:15\n"
      "2018-11-01,appointment,08:30,08:50,08:55\n"
      "2018-11-02,walk_in,07:30,08:20,08:30\n"
      "2018-11-03,walk_in,08:40,08:45,08:50\n"
      "2018-11-04,walk_in,08:40,,\n"
      "2018-11-05,walk_in,07:50,07:58,08:05\n";
  HistoryParse h = parse_history(csv);
  ASSERT_TRUE(h.ok) << h.error;
  HistoryEstimate e;
  std::string err;
  ASSERT_TRUE(estimate_from_history(h.rows, SessionShape{}, &e, &err)) << err;
  EXPECT_EQ(e.days, 5);
  EXPECT_EQ(e.first_call_days, 4);
  // 0, 5, 20, 50 min: median (5 + 20) / 2 = 12.5 min.
  EXPECT_EQ(e.first_call_delay_seconds, 750);
  h.rows.pop_back();  // 5, 20, 50: 20 min
  ASSERT_TRUE(estimate_from_history(h.rows, SessionShape{}, &e, &err)) << err;
  EXPECT_EQ(e.first_call_delay_seconds, 20 * 60);
}

// Random text from the CSV's alphabet: never a crash; an error always names
// a line within the text.
TEST(History, RandomTextNeverCrashes) {
  const char alphabet[] = "0123456789:,-\n#walk_inpotmeW A\r";
  std::uint64_t x = 12345;
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    const int len = static_cast<int>(x % 120);
    int lines = 1;
    for (int i = 0; i < len; ++i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      const char c = alphabet[(x >> 33) % (sizeof alphabet - 1)];
      lines += c == '\n';
      text.push_back(c);
    }
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    HistoryParse h = parse_history(text);
    if (!h.ok) {
      EXPECT_GE(h.error_line, 1) << text;
      EXPECT_LE(h.error_line, lines) << text;
      EXPECT_EQ(h.error.rfind("line " + std::to_string(h.error_line) + ": ", 0), 0u);
    }
    HistoryEstimate e;
    std::string err;
    if (h.ok && !estimate_from_history(h.rows, SessionShape{}, &e, &err)) {
      EXPECT_FALSE(err.empty());
    }
  }
}

TEST(History, EstimateRejectsBadShapesAndEmptyHistories) {
  HistoryEstimate e;
  std::string err;
  EXPECT_FALSE(estimate_from_history({}, SessionShape{}, &e, &err));
  SessionShape bad;
  bad.slot_minutes = 50;
  Visit v;
  v.date = 20181101;
  v.registration = 7 * 3600;
  EXPECT_FALSE(estimate_from_history({v}, bad, &e, &err));
  EXPECT_FALSE(estimate_from_history({v}, SessionShape{}, &e, &err));  // no consultations
  EXPECT_NE(err.find("consultation"), std::string::npos);
}

TEST(Windows, ErlangCMatchesHandComputedValues) {
  // M/M/1: Lq = rho^2 / (1 - rho).
  WindowStats w = erlang_c(0.5, 1.0, 1);
  ASSERT_TRUE(w.stable);
  EXPECT_NEAR(w.rho, 0.5, 1e-12);
  EXPECT_NEAR(w.p0, 0.5, 1e-12);
  EXPECT_NEAR(w.lq, 0.5, 1e-12);
  EXPECT_NEAR(w.wq, 1.0, 1e-12);
  // M/M/2, lambda 1, mu 1: a = 1, rho = 0.5, P0 = 1/3, Lq = 1/3, Wq = 1/3.
  w = erlang_c(1.0, 1.0, 2);
  EXPECT_NEAR(w.p0, 1.0 / 3, 1e-12);
  EXPECT_NEAR(w.lq, 1.0 / 3, 1e-12);
  EXPECT_NEAR(w.wq, 1.0 / 3, 1e-12);
  // Unstable.
  EXPECT_FALSE(erlang_c(2.0, 1.0, 2).stable);
  EXPECT_FALSE(erlang_c(-1, 1.0, 2).stable);
  // Large loads do not overflow.
  w = erlang_c(600, 1.0, 650);
  EXPECT_TRUE(w.stable);
  EXPECT_TRUE(std::isfinite(w.wq));
  EXPECT_GE(w.wq, 0);
}

TEST(Windows, SmallestNForTargetWait) {
  // lambda 1/min, mu 0.5/min: N = 2 is unstable, 3 gives Wq ~ 0.889 min.
  EXPECT_EQ(smallest_windows(1.0, 0.5, 1.0), 3);
  EXPECT_EQ(smallest_windows(1.0, 0.5, 0.5), 4);
  EXPECT_EQ(smallest_windows(1.0, 0.5, 0.0, 10), -1);
  // 0 is unreachable for any n (not the n where Wq underflows to 0), nor is a negative wait.
  EXPECT_EQ(smallest_windows(1.0, 0.5, 0.0), -1);
  EXPECT_EQ(smallest_windows(1.0, 0.5, -1.0), -1);
  EXPECT_EQ(smallest_windows(0, 0.5, 1.0), -1);
}

}  // namespace
}  // namespace qc::plan

namespace qc::plan {
namespace {

TEST(Planner, RoomsMultiplyTheCapacity) {
  PlanInput in;
  in.walkin_arrivals = {15, 3, 2, 1};
  in.mean_consult_minutes = {6, 5, 6, 6};
  in.actual_seen = {4, -1, -1, -1};
  in.carry_backlog = true;
  in.rooms = 2;
  Plan p;
  std::string err;
  ASSERT_TRUE(plan_quotas(in, 30, 0, &p, &err)) << err;
  // NX = 2 * 60 / mean: 20, 24, 20, 20; the first slot corrected to the 4 seen (by both rooms).
  EXPECT_EQ(p.slots[0].expected_capacity, 20);
  EXPECT_EQ(p.slots[0].capacity, 4);
  EXPECT_EQ(p.slots[1].capacity, 24);
  EXPECT_EQ(p.slots[2].capacity, 20);
  // Backlog 11 into slot 1: A[1] = 24 - 14 = 10; A[2] = 20 - 2 = 18 -> 18; the last slot 2.
  EXPECT_EQ(p.appointment_quota(), (std::vector<std::int32_t>{0, 10, 18, 2}));
  in.rooms = 0;
  EXPECT_FALSE(plan_quotas(in, 30, 0, &p, &err));
  EXPECT_NE(err.find("rooms"), std::string::npos) << err;
  in.rooms = 17;
  EXPECT_FALSE(plan_quotas(in, 30, 0, &p, &err));
}

}  // namespace
}  // namespace qc::plan
