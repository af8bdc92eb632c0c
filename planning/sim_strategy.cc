// Quota strategies and their comparison (planning/sim_strategy.h).
#include "planning/sim_strategy.h"

#include <algorithm>
#include <utility>

namespace qc::sim {

Quotas baseline_quotas(const Scenario& sc) {
  Quotas q;
  const std::int32_t m = sc.slots();
  if (m <= 0) return q;
  for (std::int32_t i = 0; i < m; ++i) {
    q.appointment.push_back(sc.appointments_per_day / m + (i < sc.appointments_per_day % m ? 1 : 0));
    q.walkin.push_back(sc.walkin_capacity / m + (i < sc.walkin_capacity % m ? 1 : 0));
  }
  return q;
}

Quotas planner_quotas(const Scenario& sc, plan::Plan* plan_out) {
  plan::Plan p;
  std::string err;
  Quotas q;
  if (!plan::plan_quotas(sc.plan_input(), sc.appointments_per_day, sc.walkin_capacity, &p, &err))
    return baseline_quotas(sc);
  q.appointment = p.appointment_quota();
  q.walkin = p.walkin_quota();
  if (plan_out) *plan_out = std::move(p);
  return q;
}

Quotas optimize_quotas(const Scenario& sc, const Quotas& baseline, const Quotas& start,
                       const OptimizeOptions& opt, OptimizeTrace* trace) {
  OptimizeTrace tr;
  auto eval = [&](const Quotas& q, Metrics* mt) {
    ++tr.evaluations;
    return simulate(sc, q, opt.replications, opt.seed, mt, nullptr);
  };
  Metrics base;
  if (!eval(baseline, &base)) return baseline;
  tr.appointment_limit = base.appointment.mean + sc.max_appointment_wait_increase_minutes;
  const double turned_limit = base.turned_away_per_day;
  auto feasible = [&](const Metrics& mt) {
    return mt.appointment.mean <= tr.appointment_limit + 1e-9 && mt.turned_away_per_day <= turned_limit + 1e-9;
  };
  Quotas cur = baseline;
  Metrics cur_m = base;
  Metrics start_m;
  if (eval(start, &start_m) && feasible(start_m) && start_m.walkin.mean < cur_m.walkin.mean) {
    cur = start;
    cur_m = start_m;
  }
  tr.start_walkin_mean = cur_m.walkin.mean;
  const std::int32_t m = sc.slots();
  // Moves: (vector, from, to, step); steps 2 then 1 so early passes move fast.
  struct Move {
    int vec;
    std::int32_t from, to, step;
  };
  std::vector<Move> moves;
  for (std::int32_t step : {2, 1})
    for (int vec = 0; vec < 2; ++vec)
      for (std::int32_t i = 0; i < m; ++i)
        for (std::int32_t j = 0; j < m; ++j)
          if (i != j) moves.push_back({vec, i, j, step});
  std::size_t since_improvement = 0, k = 0;
  while (since_improvement < moves.size() && tr.evaluations < opt.max_evaluations) {
    const Move& mv = moves[k];
    k = (k + 1) % moves.size();
    ++since_improvement;
    Quotas cand = cur;
    std::vector<std::int32_t>& v = mv.vec == 0 ? cand.appointment : cand.walkin;
    if (v[static_cast<std::size_t>(mv.from)] < mv.step) continue;
    v[static_cast<std::size_t>(mv.from)] -= mv.step;
    v[static_cast<std::size_t>(mv.to)] += mv.step;
    Metrics mt;
    if (!eval(cand, &mt)) continue;
    if (feasible(mt) && mt.walkin.mean < cur_m.walkin.mean - 1e-9) {
      cur = std::move(cand);
      cur_m = mt;
      since_improvement = 0;
    }
  }
  tr.best_walkin_mean = cur_m.walkin.mean;
  if (trace) *trace = tr;
  return cur;
}

bool compare_strategies(const Scenario& sc, std::int32_t replications, std::uint64_t seed,
                        const OptimizeOptions& opt_in, Comparison* out, std::string* error) {
  if (std::string v = sc.validate(); !v.empty()) {
    if (error) *error = v;
    return false;
  }
  Comparison c;
  c.replications = replications;
  c.seed = seed;
  OptimizeOptions opt = opt_in;
  opt.seed = seed + 1000003;
  c.optimize_seed = opt.seed;
  const Quotas base = baseline_quotas(sc);
  Scenario literal = sc;
  literal.carry_backlog = false;
  const Quotas paper = planner_quotas(literal);
  const Quotas planned = planner_quotas(sc, &c.plan);
  const Quotas best = optimize_quotas(sc, base, planned, opt, &c.optimize);
  std::vector<std::pair<const char*, const Quotas*>> runs = {{"baseline", &base}};
  if (sc.carry_backlog) runs.push_back({"paper", &paper});
  runs.push_back({"planner", &planned});
  runs.push_back({"optimizer", &best});
  for (const auto& [name, q] : runs) {
    StrategyResult r;
    r.name = name;
    r.quotas = *q;
    if (!simulate(sc, *q, replications, seed, &r.metrics, error)) return false;
    c.strategies.push_back(std::move(r));
  }
  *out = std::move(c);
  return true;
}

const FlowVariant* FlowComparison::find(bool priority_lane, bool separate_queues) const {
  for (const FlowVariant& v : variants)
    if (v.scenario.priority_lane == priority_lane && v.scenario.separate_queues == separate_queues) return &v;
  return nullptr;
}

std::string flow_variant_name(const Scenario& sc) {
  std::string name;
  if (sc.rooms > 1)
    name = sc.separate_queues ? "a queue per room" : "one queue for " + std::to_string(sc.rooms) + " rooms";
  if (sc.has_priority()) name += std::string(name.empty() ? "" : ", ") + (sc.priority_lane ? "priority lane" : "no priority lane");
  return name.empty() ? "as given" : name;
}

bool compare_flows(const Scenario& sc, const Quotas& q, std::int32_t replications, std::uint64_t seed,
                   FlowComparison* out, std::string* error) {
  if (std::string v = sc.validate(); !v.empty()) {
    if (error) *error = v;
    return false;
  }
  std::vector<Scenario> worlds;
  for (bool lane : {false, true}) {
    if (!sc.has_priority() && lane != sc.priority_lane) continue;
    Scenario s = sc;
    s.priority_lane = sc.has_priority() ? lane : sc.priority_lane;
    worlds.push_back(s);
    if (sc.rooms > 1) {
      s.separate_queues = !sc.separate_queues;
      worlds.push_back(s);
    }
  }
  // The scenario's own arrangement first, the other one after it.
  std::stable_sort(worlds.begin(), worlds.end(), [&](const Scenario& a, const Scenario& b) {
    return (a.separate_queues != sc.separate_queues) < (b.separate_queues != sc.separate_queues);
  });
  FlowComparison c;
  c.quotas = q;
  c.replications = replications;
  c.seed = seed;
  c.overtaking_bound_minutes = sc.max_overtaken * sc.mean_consult_minutes();
  for (const Scenario& s : worlds) {
    FlowVariant v;
    v.name = flow_variant_name(s);
    v.scenario = s;
    if (!simulate(s, q, replications, seed, &v.metrics, error)) return false;
    c.variants.push_back(std::move(v));
  }
  *out = std::move(c);
  return true;
}

}  // namespace qc::sim
