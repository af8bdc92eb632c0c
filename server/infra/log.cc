#include "server/infra/log.h"

#include <unistd.h>

#include <atomic>

#include <boost/json/serialize.hpp>

#include "server/infra/clock.h"
#include "server/infra/utf8.h"

namespace qc::gw {
namespace {
std::atomic<int> g_min_level{1};
int level_rank(std::string_view l) {
  if (l == "debug") return 0;
  if (l == "info") return 1;
  if (l == "warn") return 2;
  return 3;
}
// A JSON string literal: bytes that are not UTF-8 become U+FFFD, then
// Boost.JSON escapes quotes, backslashes and control characters.
void append_quoted(std::string_view s, std::string* out) {
  out->append(boost::json::serialize(boost::json::string_view(utf8_text(s))));
}
}  // namespace

void set_log_level(std::string_view level) { g_min_level = level_rank(level); }

void log_event(std::string_view level, std::string_view event,
               std::initializer_list<LogField> fields) {
  if (level_rank(level) < g_min_level.load(std::memory_order_relaxed)) return;
  std::string line = "{\"ts\":\"" + format_rfc3339(RealClock().now()) + "\",\"level\":";
  append_quoted(level, &line);
  line += ",\"event\":";
  append_quoted(event, &line);
  for (const auto& [k, v] : fields) {
    line += ',';
    append_quoted(k, &line);
    line += ':';
    append_quoted(v, &line);
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
