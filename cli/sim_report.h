// Output of `queuecast simulate`: the text table and the SVG chart (waits by
// strategy and slot) of a strategy comparison. Pure functions of the inputs.
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

}  // namespace qc::cli
