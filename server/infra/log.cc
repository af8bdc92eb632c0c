#include "server/infra/log.h"

#include <unistd.h>

#include <atomic>

#include "server/infra/clock.h"
#include "proto/codec.h"

namespace qc::gw {
namespace {
std::atomic<int> g_min_level{1};
int level_rank(std::string_view l) {
  if (l == "debug") return 0;
  if (l == "info") return 1;
  if (l == "warn") return 2;
  return 3;
}
}  // namespace

void set_log_level(std::string_view level) { g_min_level = level_rank(level); }

void log_event(std::string_view level, std::string_view event,
               std::initializer_list<LogField> fields) {
  if (level_rank(level) < g_min_level.load(std::memory_order_relaxed)) return;
  std::string line = "{\"ts\":\"" + format_rfc3339(RealClock().now()) + "\",\"level\":";
  codec::append_json_string(level, &line);
  line += ",\"event\":";
  codec::append_json_string(event, &line);
  for (const auto& [k, v] : fields) {
    line += ',';
    codec::append_json_string(k, &line);
    line += ':';
    codec::append_json_string(v, &line);
  }
  line += "}\n";
  std::size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::write(2, line.data() + off, line.size() - off);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
}

}  // namespace qc::gw
