// Simulator throughput: session-days per second on one core (target: >= 1,000),
// each day a fresh engine driven through every command of a clinic morning
// (create, bookings, tick, walk-ins, check-ins, calls, completions) plus a
// patient view per arrival. Scenario: docs/scenarios/tongji-neurology.json.
//
//   build/bin/sim_bench [--benchmark_filter=...]
//
// items_per_second is simulated session-days per second.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/sim_scenario.h"
#include "planning/sim_strategy.h"

namespace {

const qc::sim::Scenario& tongji() {
  static const qc::sim::Scenario sc = [] {
    std::ifstream in(QC_SOURCE_DIR "/docs/scenarios/tongji-neurology.json");
    std::ostringstream ss;
    ss << in.rdbuf();
    qc::sim::Scenario s;
    std::string err;
    if (!qc::cli::parse_scenario(ss.str(), &s, &err)) {
      std::fprintf(stderr, "sim_bench: scenario: %s\n", err.c_str());
      std::abort();
    }
    return s;
  }();
  return sc;
}

void run(benchmark::State& state, const qc::sim::Quotas& q) {
  const qc::sim::Scenario& sc = tongji();
  const auto days = static_cast<std::int32_t>(state.range(0));
  std::uint64_t seed = 1;
  std::int64_t commands = 0;
  for (auto _ : state) {
    qc::sim::Metrics m;
    std::string err;
    if (!qc::sim::simulate(sc, q, days, seed++, &m, &err)) state.SkipWithError(err.c_str());
    commands += m.commands;
    benchmark::DoNotOptimize(m.walkin.mean);
  }
  state.SetItemsProcessed(state.iterations() * days);
  state.counters["commands_per_day"] =
      benchmark::Counter(static_cast<double>(commands) / (static_cast<double>(state.iterations()) * days));
}

void BM_SessionDaysBaseline(benchmark::State& state) { run(state, qc::sim::baseline_quotas(tongji())); }
void BM_SessionDaysPlanner(benchmark::State& state) { run(state, qc::sim::planner_quotas(tongji())); }

// The whole `queuecast simulate` comparison at small sizes (optimizer included).
void BM_CompareStrategies(benchmark::State& state) {
  qc::sim::OptimizeOptions opt;
  opt.replications = 50;
  for (auto _ : state) {
    qc::sim::Comparison c;
    std::string err;
    if (!qc::sim::compare_strategies(tongji(), 200, 1, opt, &c, &err)) state.SkipWithError(err.c_str());
    benchmark::DoNotOptimize(c.strategies.size());
  }
}

}  // namespace

BENCHMARK(BM_SessionDaysBaseline)->Arg(100)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SessionDaysPlanner)->Arg(100)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CompareStrategies)->Unit(benchmark::kMillisecond)->Iterations(1);

BENCHMARK_MAIN();
