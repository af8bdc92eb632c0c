// Scenario files of `queuecast simulate` (format in docs/planning.md):
// a JSON object whose keys map onto qc::sim::Scenario. Unknown keys are
// errors (typos must not silently fall back to defaults); keys starting with
// "_" and "description" are comments.
#pragma once

#include <string>
#include <string_view>

#include "planning/simulator.h"

namespace qc::cli {

// Parses (Boost.JSON; a key given twice is an error) and validates; on
// failure returns false with *error naming the line/column (syntax) or the
// key (values).
bool parse_scenario(std::string_view json, sim::Scenario* out, std::string* error);

}  // namespace qc::cli
