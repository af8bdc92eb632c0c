// Output of `queuecast simulate`: the text table and the SVG chart (waits by
// strategy and slot) of a strategy comparison, and of the clinical flow's
// comparison (--flow). Pure functions of the inputs.
#pragma once

#include <string>

#include "planning/sim_strategy.h"

namespace qc::cli {

// "08:00-09:00" for slot i of the scenario.
std::string slot_label(const sim::Scenario& sc, int slot);

// The table a clinic manager reads: one line per strategy, then the mean
// waits per slot.
std::string comparison_table(const sim::Scenario& sc, const sim::Comparison& c);

// A self-contained SVG (no scripts, no external resources): two panels,
// walk-ins and appointments, mean wait per slot grouped by strategy.
// `lang` "en" (default) or "zh" (zh-CN: title, axis texts and strategy
// names); `title` replaces the scenario's name when not empty.
std::string comparison_svg(const sim::Scenario& sc, const sim::Comparison& c, const std::string& lang = "en",
                           const std::string& title = "");

// `queuecast simulate --flow`: the clinical flow's comparison
// (sim::compare_flows): waits per class (mean / p90 and patients a day)
// for every variant, the day's flow counts, the overtaking check of every
// day, and the checks (the priority lane halves the priority
// patients' wait, the non-priority rise against the bound, pooling).
std::string flow_table(const sim::Scenario& sc, const sim::FlowComparison& c);
// The chart (English): mean and p90 wait per class that has patients, one
// bar per variant.
std::string flow_svg(const sim::Scenario& sc, const sim::FlowComparison& c, const std::string& title = "");

}  // namespace qc::cli
