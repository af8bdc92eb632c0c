// queuecast simulate SCENARIO.json [--replications N] [--seed S] [--svg OUT.svg]
//                   [--opt-replications N] [--max-evaluations N]
// queuecast simulate SCENARIO.json --flow [--quotas planner|baseline] [--replications N]
//                   [--seed S] [--svg OUT.svg] [--svg-title TEXT]
//
// Runs the three quota strategies (baseline, the paper's planner, the
// optimizer) on simulated clinic days through the real engine and prints a
// table; --svg writes the chart (waits by strategy and slot). With --flow:
// the clinical flow's comparison (priority lane, tests, rooms; see
// sim::compare_flows) with one set of quotas. Exit codes:
// 0 done, 1 an output could not be written, 2 usage or a bad scenario file.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "cli/args.h"
#include "cli/sim_report.h"
#include "cli/sim_scenario.h"
#include "planning/sim_strategy.h"

namespace {

using qc::cli::parse_int;
using qc::cli::read_file;

constexpr const char kUsage[] =
    "usage: queuecast simulate SCENARIO.json [options]\n"
    "\n"
    "Simulates clinic days through the engine and compares three quota strategies:\n"
    "baseline (spread evenly), planner (paper 000), optimizer (local search).\n"
    "\n"
    "Options:\n"
    "  --replications N      simulated days per strategy (default 1000)\n"
    "  --seed S              random seed (default 1)\n"
    "  --svg FILE            write the chart of waits by strategy and slot\n"
    "  --svg-lang en|zh      the chart's language (default en)\n"
    "  --svg-title TEXT      the chart's title (default: the scenario's name)\n"
    "  --opt-replications N  days per optimizer candidate (default 200)\n"
    "  --max-evaluations N   optimizer budget in candidates (default 400)\n"
    "  --history-out FILE    instead: write the visits of --days N (default 21)\n"
    "                        baseline days as a history CSV for 'queuecast plan'\n"
    "  --flow                instead: the clinical flow with one set of quotas, beside\n"
    "                        the same days without a priority lane and with the other\n"
    "                        queue arrangement (rooms > 1): waits per class, overtaking\n"
    "  --quotas planner|baseline  the quotas of --flow (default planner); its chart\n"
    "                        (--svg) is in English\n"
    "\n"
    "The scenario format is documented in docs/planning.md.\n";

int write_svg(const std::string& path, const std::string& svg) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << svg;
  out.close();
  if (!out) {
    std::fprintf(stderr, "queuecast simulate: cannot write %s\n", path.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int run_simulate(int argc, char** argv) {
  std::string scenario_path, svg_path, history_path, svg_lang = "en", svg_title;
  long long replications = 1000, seed = 1, opt_reps = 200, max_evals = 400, days = 21;
  bool flow = false;
  std::string quotas = "planner";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](long long lo, long long hi, long long* out) {
      if (i + 1 >= argc || !parse_int(argv[i + 1], lo, hi, out)) {
        std::fprintf(stderr, "queuecast simulate: %s needs an integer between %lld and %lld\n", a.c_str(), lo, hi);
        return false;
      }
      ++i;
      return true;
    };
    if (qc::cli::is_help(a)) return qc::cli::print_usage(kUsage);
    if (a == "--replications") {
      if (!value(1, 10000000, &replications)) return 2;
    } else if (a == "--seed") {
      if (!value(0, 9007199254740991LL, &seed)) return 2;
    } else if (a == "--opt-replications") {
      if (!value(1, 1000000, &opt_reps)) return 2;
    } else if (a == "--max-evaluations") {
      if (!value(1, 1000000, &max_evals)) return 2;
    } else if (a == "--days") {
      if (!value(1, 100000, &days)) return 2;
    } else if (a == "--flow") {
      flow = true;
    } else if (a == "--quotas") {
      if (i + 1 >= argc || (std::string(argv[i + 1]) != "planner" && std::string(argv[i + 1]) != "baseline")) {
        std::fputs("queuecast simulate: --quotas is planner or baseline\n", stderr);
        return 2;
      }
      quotas = argv[++i];
    } else if (a == "--history-out") {
      if (i + 1 >= argc) {
        std::fputs("queuecast simulate: --history-out needs a file name\n", stderr);
        return 2;
      }
      history_path = argv[++i];
    } else if (a == "--svg-lang" || a == "--svg-title") {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "queuecast simulate: %s needs a value\n", a.c_str());
        return 2;
      }
      (a == "--svg-lang" ? svg_lang : svg_title) = argv[++i];
      if (svg_lang != "en" && svg_lang != "zh") {
        std::fputs("queuecast simulate: --svg-lang is en or zh\n", stderr);
        return 2;
      }
    } else if (a == "--svg") {
      if (i + 1 >= argc) {
        std::fputs("queuecast simulate: --svg needs a file name\n", stderr);
        return 2;
      }
      svg_path = argv[++i];
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "queuecast simulate: unknown option '%s'\n\n%s", a.c_str(), kUsage);
      return 2;
    } else if (scenario_path.empty()) {
      scenario_path = a;
    } else {
      std::fprintf(stderr, "queuecast simulate: more than one scenario file\n");
      return 2;
    }
  }
  if (scenario_path.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string text;
  if (!read_file(scenario_path, &text)) {
    std::fprintf(stderr, "queuecast simulate: cannot read %s: %s\n", scenario_path.c_str(), std::strerror(errno));
    return 2;
  }
  qc::sim::Scenario sc;
  std::string err;
  if (!qc::cli::parse_scenario(text, &sc, &err)) {
    std::fprintf(stderr, "queuecast simulate: %s: %s\n", scenario_path.c_str(), err.c_str());
    return 2;
  }
  if (!history_path.empty()) {
    std::vector<qc::plan::Visit> visits;
    if (!qc::sim::simulate_history(sc, qc::sim::baseline_quotas(sc), static_cast<std::int32_t>(days),
                                   static_cast<std::uint64_t>(seed), &visits, &err)) {
      std::fprintf(stderr, "queuecast simulate: %s: %s\n", scenario_path.c_str(), err.c_str());
      return 2;
    }
    std::ofstream out(history_path, std::ios::binary | std::ios::trunc);
    out << qc::sim::history_csv(visits);
    out.close();
    if (!out) {
      std::fprintf(stderr, "queuecast simulate: cannot write %s\n", history_path.c_str());
      return 1;
    }
    std::printf("wrote %zu visits of %lld days to %s\n", visits.size(), days, history_path.c_str());
    return 0;
  }
  if (flow) {
    const qc::sim::Quotas q = quotas == "baseline" ? qc::sim::baseline_quotas(sc) : qc::sim::planner_quotas(sc);
    qc::sim::FlowComparison fc;
    if (!qc::sim::compare_flows(sc, q, static_cast<std::int32_t>(replications), static_cast<std::uint64_t>(seed), &fc,
                                &err)) {
      std::fprintf(stderr, "queuecast simulate: %s: %s\n", scenario_path.c_str(), err.c_str());
      return 2;
    }
    std::fputs(qc::cli::flow_table(sc, fc).c_str(), stdout);
    return svg_path.empty() ? 0 : write_svg(svg_path, qc::cli::flow_svg(sc, fc, svg_title));
  }
  qc::sim::OptimizeOptions opt;
  opt.replications = static_cast<std::int32_t>(opt_reps);
  opt.max_evaluations = static_cast<std::int32_t>(max_evals);
  qc::sim::Comparison c;
  if (!qc::sim::compare_strategies(sc, static_cast<std::int32_t>(replications), static_cast<std::uint64_t>(seed),
                                   opt, &c, &err)) {
    std::fprintf(stderr, "queuecast simulate: %s: %s\n", scenario_path.c_str(), err.c_str());
    return 2;
  }
  std::fputs(qc::cli::comparison_table(sc, c).c_str(), stdout);
  return svg_path.empty() ? 0 : write_svg(svg_path, qc::cli::comparison_svg(sc, c, svg_lang, svg_title));
}
