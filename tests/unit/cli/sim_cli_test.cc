// The scenario files (read with Boost.JSON) and the report of `queuecast simulate`.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cli/sim_report.h"
#include "cli/sim_scenario.h"
#include "planning/sim_strategy.h"

namespace qc::cli {
namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The smallest valid scenario, with `extra` members first.
std::string minimal(const std::string& extra) {
  return "{" + extra + R"("walkinRatePerMinute": [0, 0, 0, 0, 0], "consultMeanMinutes": [5, 5, 5, 5]})";
}

TEST(Scenario, ReadsJsonValuesAndEscapes) {
  sim::Scenario sc;
  std::string err;
  ASSERT_TRUE(parse_scenario(minimal(R"("name": "\u5f20\"\n\ud83d\ude00", "_c": [1, -2.5e1, true, null, {}],)"), &sc,
                             &err)) << err;
  EXPECT_EQ(sc.name, "\xe5\xbc\xa0\"\n\xf0\x9f\x98\x80");
  ASSERT_TRUE(parse_scenario(minimal(R"("noShowRate": 1e-1, "consultCv": 0.96649511920467688, "slotMinutes": 6e1,)"),
                             &sc, &err)) << err;
  EXPECT_EQ(sc.noshow_rate, 0.1);
  // Correctly rounded, as strtod reads it (Boost 1.81 alone gives 0.96649511920467679).
  EXPECT_EQ(sc.consult_cv, std::strtod("0.96649511920467688", nullptr));
  EXPECT_EQ(sc.slot_minutes, 60);
}

TEST(Scenario, SyntaxErrorsNameLineAndColumn) {
  sim::Scenario sc;
  std::string err;
  EXPECT_FALSE(parse_scenario("{\n  \"a\": 1,\n  \"b\": x\n}", &sc, &err));
  EXPECT_EQ(err.rfind("line 3, column 8: ", 0), 0u) << err;
  EXPECT_FALSE(parse_scenario(minimal("\"noShowRate\": 0.1, \"noShowRate\": 0.2,"), &sc, &err));
  EXPECT_NE(err.find("duplicate key \"noShowRate\""), std::string::npos) << err;
  for (const char* bad : {"", "[1,]", "{\"a\" 1}", "\"abc", "01x", "[1] 2", "\"\\ud800\"", "{\"_x\": 1e999}"}) {
    EXPECT_FALSE(parse_scenario(bad, &sc, &err)) << bad;
    EXPECT_EQ(err.rfind("line 1, column ", 0), 0u) << bad << ": " << err;
  }
  EXPECT_FALSE(parse_scenario(std::string(100, '['), &sc, &err));
  EXPECT_EQ(err.rfind("line 1, column ", 0), 0u) << err;
}

TEST(Scenario, TheShippedTongjiScenarioParses) {
  sim::Scenario sc;
  std::string err;
  ASSERT_TRUE(parse_scenario(read(QC_SOURCE_DIR "/docs/scenarios/tongji-neurology.json"), &sc, &err)) << err;
  EXPECT_EQ(sc.slots(), 4);
  EXPECT_EQ(sc.registration_open_minute, 7 * 60);
  EXPECT_EQ(sc.policy, Policy::kAppointmentsFirst);
  EXPECT_DOUBLE_EQ(sc.walkin_rate_per_minute[0], 0.15);  // the paper's 07:00-08:00 figure
  EXPECT_EQ(sc.appointments_per_day, 10);                // 212 in the month / 21 weekdays
  EXPECT_DOUBLE_EQ(sc.first_slot_seen, 2);
  EXPECT_DOUBLE_EQ(sc.noshow_rate, 0);
  EXPECT_DOUBLE_EQ(sc.arrival.early_share, 0.21);
  EXPECT_DOUBLE_EQ(sc.arrival.late_share, 0.28);
  // The planner's NX for the slots after the first: 12 and 10, as in the paper.
  plan::Plan p;
  sim::planner_quotas(sc, &p);
  EXPECT_EQ(p.slots[0].capacity, 2);
  EXPECT_EQ(p.slots[1].capacity, 12);
  EXPECT_EQ(p.slots[2].capacity, 10);
}

TEST(Scenario, BadValuesNameTheirKey) {
  sim::Scenario sc;
  std::string err;
  EXPECT_FALSE(parse_scenario("{\"start\": \"8:00\"}", &sc, &err));
  EXPECT_NE(err.find("\"start\""), std::string::npos) << err;
  EXPECT_FALSE(parse_scenario("{\"slotMinutes\": 30.5}", &sc, &err));
  EXPECT_NE(err.find("integer"), std::string::npos) << err;
  EXPECT_FALSE(parse_scenario("{\"arrival\": {\"earlyShar\": 0.2}}", &sc, &err));
  EXPECT_NE(err.find("arrival.earlyShar"), std::string::npos) << err;
  EXPECT_FALSE(parse_scenario("{\"policy\": \"fifo\"}", &sc, &err));
  EXPECT_FALSE(parse_scenario("[1, 2]", &sc, &err));
  // Parsed but invalid as a whole: validate() speaks.
  EXPECT_FALSE(parse_scenario("{\"walkinRatePerMinute\": [0.1], \"consultMeanMinutes\": [5, 5, 5, 5]}", &sc, &err));
  EXPECT_NE(err.find("walkinRatePerMinute needs 5 entries"), std::string::npos) << err;
  // Comments are allowed.
  EXPECT_TRUE(parse_scenario(R"({"_note": "x", "description": "y", "walkinRatePerMinute": [0, 0, 0, 0, 0],
                                 "consultMeanMinutes": [5, 5, 5, 5]})", &sc, &err)) << err;
}

// The issue's targets on the shipped scenario, at a test's size (300 days,
// seed 1; docs/planning.md has the 1000-day figures). A regression guard:
// a change in the engine's queue rules or in the planner shows up here.
TEST(Scenario, PlannerBeatsBaselineOnThePaperScenario) {
  sim::Scenario sc;
  std::string err;
  ASSERT_TRUE(parse_scenario(read(QC_SOURCE_DIR "/docs/scenarios/tongji-neurology.json"), &sc, &err)) << err;
  sim::Metrics base, planned;
  ASSERT_TRUE(sim::simulate(sc, sim::baseline_quotas(sc), 300, 1, &base, &err)) << err;
  ASSERT_TRUE(sim::simulate(sc, sim::planner_quotas(sc), 300, 1, &planned, &err)) << err;
  EXPECT_GE(base.walkin.mean - planned.walkin.mean, 20.0);
  EXPECT_LE(planned.appointment.mean, base.appointment.mean + 2.0);
  EXPECT_LE(planned.eta_mae_minutes, planned.naive_mae_minutes / 2);
  EXPECT_LE(planned.turned_away_per_day, base.turned_away_per_day + 0.2);
  // The estimate's target holds whatever the quotas (here: the baseline's, and
  // the optimizer's shape with every appointment in the last slot), with
  // margin (about 0.2 on 1000 days).
  EXPECT_LE(base.eta_mae_minutes, base.naive_mae_minutes * 0.3);
  sim::Metrics last;
  ASSERT_TRUE(sim::simulate(sc, sim::Quotas{{0, 0, 0, 10}, {7, 6, 6, 5}}, 300, 1, &last, &err)) << err;
  EXPECT_LE(last.eta_mae_minutes, last.naive_mae_minutes * 0.3);
  // Without the late start (firstCallDelayMinutes 0) the target is missed.
  sc.first_call_delay_minutes = 0;
  ASSERT_TRUE(sim::simulate(sc, sim::Quotas{{0, 0, 0, 10}, {7, 6, 6, 5}}, 300, 1, &last, &err)) << err;
  EXPECT_GT(last.eta_mae_minutes, last.naive_mae_minutes / 2);
}

TEST(Report, TableAndSvgShowEveryStrategyAndSlot) {
  sim::Scenario sc;
  std::string err;
  ASSERT_TRUE(parse_scenario(read(QC_SOURCE_DIR "/docs/scenarios/tongji-neurology.json"), &sc, &err)) << err;
  sc.name = "A <test> & co";
  sim::OptimizeOptions opt;
  opt.replications = 10;
  opt.max_evaluations = 5;
  sim::Comparison c;
  ASSERT_TRUE(sim::compare_strategies(sc, 20, 1, opt, &c, &err)) << err;
  ASSERT_EQ(c.strategies.size(), 4u);
  const std::string table = comparison_table(sc, c);
  for (const char* s : {"baseline ", "paper ", "planner ", "optimizer ", "08:00-09:00", "11:00-12:00"})
    EXPECT_NE(table.find(s), std::string::npos) << s << "\n" << table;
  const std::string svg = comparison_svg(sc, c);
  EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("A &lt;test&gt; &amp; co"), std::string::npos);  // escaped
  EXPECT_EQ(svg.find("<test>"), std::string::npos);
  EXPECT_NE(svg.find(">optimizer</text>"), std::string::npos);
  // The legend has a line of its own under the subtitle (it was drawn over
  // the subtitle's end, at the subtitle's height).
  EXPECT_NE(svg.find("<rect x=\"60\" y=\"56\" width=\"12\""), std::string::npos) << svg.substr(0, 900);
  EXPECT_EQ(svg.find("y=\"34\" width=\"12\""), std::string::npos);
  // In Chinese for the Chinese pages, with the page's own title.
  const std::string zh = comparison_svg(sc, c, "zh", "同济医院 神经内科");
  for (const char* s : {">同济医院 神经内科</text>", ">现场挂号（按挂号时段）</text>", ">预约（按预约时段）</text>",
                        ">优化器</text>", ">全天</text>", "模拟 20 天"})
    EXPECT_NE(zh.find(s), std::string::npos) << s;
  for (const char* s : {"Walk-ins", "Appointments", "A &lt;test&gt;", ">all<", ">optimizer<"})
    EXPECT_EQ(zh.find(s), std::string::npos) << s;
  EXPECT_EQ(slot_label(sc, 3), "11:00-12:00");
}

TEST(Scenario, ReadsTheClinicalFlowKeys) {
  sim::Scenario sc;
  std::string err;
  ASSERT_TRUE(parse_scenario(minimal(R"("rooms": 3, "separateQueues": true, "priorityWalkinShare": 0.1,
      "priorityAppointmentShare": 0.05, "priorityLane": false, "testsShare": 0.2, "testsMinMinutes": 20,
      "testsMaxMinutes": 40, "returnConsultMeanMinutes": 3, "priorityAfter": 2, "returnAfter": 4,
      "maxOvertaken": 5,)"), &sc, &err)) << err;
  EXPECT_EQ(sc.rooms, 3);
  EXPECT_TRUE(sc.separate_queues);
  EXPECT_EQ(sc.priority_walkin_share, 0.1);
  EXPECT_EQ(sc.priority_appointment_share, 0.05);
  EXPECT_FALSE(sc.priority_lane);
  EXPECT_EQ(sc.tests_share, 0.2);
  EXPECT_EQ(sc.tests_min_minutes, 20);
  EXPECT_EQ(sc.tests_max_minutes, 40);
  EXPECT_EQ(sc.return_consult_mean_minutes, 3);
  EXPECT_EQ(sc.priority_after, 2);
  EXPECT_EQ(sc.return_after, 4);
  EXPECT_EQ(sc.max_overtaken, 5);
  EXPECT_FALSE(parse_scenario(minimal(R"("rooms": 1.5,)"), &sc, &err));
  EXPECT_NE(err.find("\"rooms\": must be an integer"), std::string::npos) << err;
  EXPECT_FALSE(parse_scenario(minimal(R"("priorityLane": 1,)"), &sc, &err));
  EXPECT_NE(err.find("\"priorityLane\""), std::string::npos) << err;
  EXPECT_FALSE(parse_scenario(minimal(R"("rooms": 20,)"), &sc, &err));
  EXPECT_NE(err.find("rooms must be between 1 and 16"), std::string::npos) << err;
  EXPECT_FALSE(parse_scenario(minimal(R"("testsMinMinutes": 50, "testsMaxMinutes": 40,)"), &sc, &err));
  EXPECT_NE(err.find("testsMinMinutes"), std::string::npos) << err;
  // The shipped flow scenarios parse.
  ASSERT_TRUE(parse_scenario(read(QC_SOURCE_DIR "/docs/scenarios/tongji-neurology-flow.json"), &sc, &err)) << err;
  EXPECT_EQ(sc.priority_walkin_share, 0.1);
  EXPECT_EQ(sc.tests_share, 0.2);
  ASSERT_TRUE(parse_scenario(read(QC_SOURCE_DIR "/docs/scenarios/general-clinic-flow.json"), &sc, &err)) << err;
  EXPECT_EQ(sc.priority_walkin_share, 0.1);
  ASSERT_TRUE(parse_scenario(read(QC_SOURCE_DIR "/docs/scenarios/general-clinic.json"), &sc, &err)) << err;
  EXPECT_EQ(sc.rooms, 2);
  EXPECT_EQ(sc.plan_input().rooms, 2);
}

TEST(Report, FlowTableAndSvgShowEveryVariantAndCheck) {
  sim::Scenario sc;
  std::string err;
  ASSERT_TRUE(parse_scenario(read(QC_SOURCE_DIR "/docs/scenarios/tongji-neurology-flow.json"), &sc, &err)) << err;
  sc.rooms = 2;
  sim::FlowComparison c;
  ASSERT_TRUE(sim::compare_flows(sc, sim::planner_quotas(sc), 20, 1, &c, &err)) << err;
  ASSERT_EQ(c.variants.size(), 4u);
  const std::string table = flow_table(sc, c);
  for (const char* s : {"one queue for 2 rooms, no priority lane", "one queue for 2 rooms, priority lane",
                        "a queue per room, no priority lane", "a queue per room, priority lane", "back from tests",
                        "non-priority", "most overtaken", "on every day: yes", "one queue: priority mean wait",
                        "a queue per room: priority mean wait", "bound: maxOvertaken 3 x mean consultation 5.75 = 17.2 min",
                        "- pooling (priority lane): one queue"})
    EXPECT_NE(table.find(s), std::string::npos) << s << "\n" << table;
  const std::string svg = flow_svg(sc, c, "T & t");
  EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
  EXPECT_NE(svg.find(">T &amp; t</text>"), std::string::npos);
  for (const char* s : {">Mean wait</text>", ">90th percentile of the wait</text>", ">back from tests</text>",
                        ">a queue per room, priority lane</text>"})
    EXPECT_NE(svg.find(s), std::string::npos) << s;
  // Four long names: the legend takes a second line (nothing past the right edge).
  EXPECT_NE(svg.find("y=\"78\" width=\"12\""), std::string::npos) << svg.substr(0, 1200);
  // Without priority patients or test trips, no empty groups for them.
  sc.priority_walkin_share = 0;
  sc.tests_share = 0;
  ASSERT_TRUE(sim::compare_flows(sc, sim::planner_quotas(sc), 5, 1, &c, &err)) << err;
  const std::string plain = flow_svg(sc, c);
  EXPECT_EQ(plain.find(">priority</text>"), std::string::npos);
  EXPECT_EQ(plain.find(">back from tests</text>"), std::string::npos);
  EXPECT_NE(plain.find(">every first visit</text>"), std::string::npos);
}

}  // namespace
}  // namespace qc::cli
