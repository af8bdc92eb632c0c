// Where queuecastd's `now` comes from. The engine never reads a clock; the
// runtime stamps every command with Clock::now().
//
// - RealClock: the system clock (milliseconds since the epoch, UTC).
// - VirtualClock: starts at `start` and runs `speed` times as fast as the
//   steady clock (demos play a clinic morning in minutes; tests jump ahead).
//   It never goes backwards.
//
// Thread-safety: now() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine/types.h"

namespace qc::gw {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Time now() const = 0;
};

class RealClock final : public Clock {
 public:
  Time now() const override;
};

class VirtualClock final : public Clock {
 public:
  VirtualClock(Time start, double speed);
  Time now() const override;

 private:
  Time start_;
  double speed_;
  std::chrono::steady_clock::time_point origin_;
  mutable std::atomic<Time> last_{0};
};

// RealClock when speed == 1 and start == kNoTime, else a VirtualClock
// (start kNoTime = the real now).
std::unique_ptr<Clock> make_clock(Time start, double speed);

// RFC 3339 in UTC of `seconds` since the epoch and `nanos` (0..999,999,999),
// written to b (room for kRfc3339Max chars); returns the end of the text:
// "2026-11-23T01:02:03Z", with `fraction_digits` (0, 3, 6 or 9) digits of the
// fraction before the Z ("...:03.456Z" for 3). Years outside 0..9999 print
// as "%04d" prints them; valid for years -32767..32767
// (std::chrono::year_month_day). The one RFC 3339 writer: format_rfc3339 and
// the JSON Timestamps (server/wire/json_text.h) use it.
inline constexpr std::size_t kRfc3339Max = 48;
char* write_rfc3339(std::int64_t seconds, std::int32_t nanos, int fraction_digits, char* b);
// RFC 3339 with milliseconds, UTC ("2026-11-23T01:02:03.456Z").
std::string format_rfc3339(Time t);
// Parses RFC 3339 ("2026-11-23T08:00:00+08:00", "...Z", fractional seconds
// optional) into *out; false if malformed.
bool parse_rfc3339(std::string_view s, Time* out);

}  // namespace qc::gw
