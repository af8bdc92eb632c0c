// Quota strategies compared by the simulator (planning/simulator.h): (a) the
// baseline, (b) the paper's planner (planning/planner.h), (c) an optimizer that
// searches quota vectors with the simulator, and the comparison of them all
// that `queuecast simulate` prints. Deterministic for given seeds.
//
// Thread-safety: none; the functions are pure apart from their outputs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "planning/planner.h"
#include "planning/simulator.h"

namespace qc::sim {

// (a) Baseline: appointments and walk-in numbers spread evenly over the slots
// (remainders to the earliest slots).
Quotas baseline_quotas(const Scenario& sc);
// (b) The paper's planner on the scenario's figures (planning/planner.h).
Quotas planner_quotas(const Scenario& sc, plan::Plan* plan_out = nullptr);

struct OptimizeOptions {
  std::int32_t replications = 200;  // per candidate (common random numbers)
  std::uint64_t seed = 1;
  std::int32_t max_evaluations = 400;
};
struct OptimizeTrace {
  std::int32_t evaluations = 0;
  double start_walkin_mean = 0, best_walkin_mean = 0;
  double appointment_limit = 0;  // baseline appointment mean + allowed increase
};
// (c) Local search from `start` over quota vectors (moving one unit of A or
// of W between two slots; sums fixed) that minimizes the walk-in mean wait
// subject to: appointment mean wait <= baseline's + the allowed increase, and
// no more walk-ins turned away than the baseline. Deterministic.
Quotas optimize_quotas(const Scenario& sc, const Quotas& baseline, const Quotas& start,
                       const OptimizeOptions& opt, OptimizeTrace* trace = nullptr);

struct StrategyResult {
  std::string name;  // "baseline", "paper", "planner", "optimizer"
  Quotas quotas;
  Metrics metrics;
};

struct Comparison {
  std::vector<StrategyResult> strategies;
  plan::Plan plan;
  OptimizeTrace optimize;
  std::int32_t replications = 0;
  std::uint64_t seed = 0;
  std::uint64_t optimize_seed = 0;
};

// Runs the strategies on `replications` days with `seed`: baseline, "paper"
// (the planner's formula without the carried backlog, only listed when the
// scenario's planner carries it), planner, optimizer (started from the
// planner). The optimizer searches on a different seed (seed + 1000003) so
// the reported figures are out of sample. Returns false with *error for a
// bad scenario.
bool compare_strategies(const Scenario& sc, std::int32_t replications, std::uint64_t seed,
                        const OptimizeOptions& opt, Comparison* out, std::string* error);

// ---- The clinical flow (issue 17) ----

struct FlowVariant {
  std::string name;  // "one queue, priority lane", ...
  Scenario scenario;
  Metrics metrics;
};

struct FlowComparison {
  Quotas quotas;
  std::vector<FlowVariant> variants;
  std::int32_t replications = 0;
  std::uint64_t seed = 0;
  // How much a priority lane (and returns from tests) may delay a patient:
  // each is passed by insertion at most max_overtaken times and each pass
  // puts one more consultation ahead of them, so the wait rises by at most
  // about max_overtaken * the mean consultation (minutes).
  double overtaking_bound_minutes = 0;
  // The variant with that lane and queue arrangement, or nullptr.
  const FlowVariant* find(bool priority_lane, bool separate_queues) const;
};

// "a queue per room, no priority lane": the parts of the scenario that the
// flow comparison varies ("as given" when there are none).
std::string flow_variant_name(const Scenario& sc);

// Runs the scenario with quotas `q` as given, beside: the same world
// without a priority lane (when it has priority patients; with the lane
// when it is given without), and the other queue arrangement (when it has
// several rooms: one queue shared by the rooms against a queue per room).
// Every variant sees the same days (common random numbers).
bool compare_flows(const Scenario& sc, const Quotas& q, std::int32_t replications, std::uint64_t seed,
                   FlowComparison* out, std::string* error);

}  // namespace qc::sim
