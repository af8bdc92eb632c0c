// Structured logs: one JSON object per line on stderr,
//   {"ts":"2026-11-23T01:02:03.456Z","level":"info","event":"listening","address":"127.0.0.1:8080"}
// Thread-safe (one write(2) per line). Timestamps are the real clock.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace qc::gw {

using LogField = std::pair<std::string_view, std::string_view>;
void log_event(std::string_view level, std::string_view event, std::initializer_list<LogField> fields);
// Minimum level written: "debug" < "info" < "warn" < "error". Default "info".
void set_log_level(std::string_view level);

}  // namespace qc::gw
