#include "server/infra/clock.h"

#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

namespace qc::gw {

Time RealClock::now() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

VirtualClock::VirtualClock(Time start, double speed)
    : start_(start), speed_(speed > 0 ? speed : 1.0), origin_(std::chrono::steady_clock::now()) {}

Time VirtualClock::now() const {
  auto real = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - origin_)
                  .count();
  Time t = start_ + static_cast<Time>(static_cast<double>(real) * speed_ / 1000.0);
  Time prev = last_.load(std::memory_order_relaxed);
  while (t > prev && !last_.compare_exchange_weak(prev, t, std::memory_order_relaxed)) {
  }
  return t > prev ? t : prev;
}

std::unique_ptr<Clock> make_clock(Time start, double speed) {
  if (start == kNoTime && speed == 1.0) return std::make_unique<RealClock>();
  if (start == kNoTime) start = RealClock().now();
  return std::make_unique<VirtualClock>(start, speed);
}

namespace {

void put2(char* p, int v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

char* write_rfc3339(std::int64_t seconds, std::int32_t nanos, int fraction_digits, char* b) {
  std::int64_t days = seconds / 86400;
  std::int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // Times printed one after the other mostly fall on one day: each thread
  // keeps the date text of the last day it printed.
  thread_local std::int64_t cached_days = std::numeric_limits<std::int64_t>::min();
  thread_local char cached_date[16];  // "YYYY-MM-DD", longer for years outside 0..9999
  thread_local std::size_t cached_size = 0;
  if (days != cached_days) {
    const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
    const int year = static_cast<int>(ymd.year());
    const int n = std::snprintf(cached_date, sizeof cached_date, "%04d-%02u-%02u", year,
                                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    cached_size = static_cast<std::size_t>(n);
    cached_days = days;
  }
  if (cached_size == 10) {
    std::memcpy(b, cached_date, 10);  // the usual case, at a fixed size
    b += 10;
  } else {
    std::memcpy(b, cached_date, cached_size);
    b += cached_size;
  }
  b[0] = 'T';
  put2(b + 1, static_cast<int>(rem / 3600));
  b[3] = ':';
  put2(b + 4, static_cast<int>(rem / 60 % 60));
  b[6] = ':';
  put2(b + 7, static_cast<int>(rem % 60));
  b += 9;
  if (fraction_digits > 0) {
    std::int32_t v = nanos;
    for (int k = fraction_digits; k < 9; ++k) v /= 10;
    *b++ = '.';
    for (int k = fraction_digits - 1; k >= 0; --k) {
      b[k] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    b += fraction_digits;
  }
  *b++ = 'Z';
  return b;
}

std::string format_rfc3339(Time t) {
  std::int64_t ms = ((t % 1000) + 1000) % 1000;
  char b[kRfc3339Max];
  return std::string(b, write_rfc3339((t - ms) / 1000, static_cast<std::int32_t>(ms * 1'000'000), 3, b));
}

bool parse_rfc3339(std::string_view s, Time* out) {
  int y, mo, d, h, mi, se;
  if (!digits(s, 0, 4, &y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, &mo) ||
      s[7] != '-' || !digits(s, 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !digits(s, 11, 2, &h) || s[13] != ':' || !digits(s, 14, 2, &mi) || s[16] != ':' ||
      !digits(s, 17, 2, &se))
    return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return false;
  std::size_t pos = 19;
  std::int64_t ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 3) ms = ms * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0) return false;
    for (int i = n; i < 3; ++i) ms *= 10;
  }
  std::int64_t offset_min = 0;
  if (pos >= s.size()) return false;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, &om))
      return false;
    offset_min = oh * 60 + om;
    if (s[pos] == '-') offset_min = -offset_min;
    pos += 6;
  } else {
    return false;
  }
  if (pos != s.size()) return false;
  // Days from 1970-01-01; a day past the month's end counts on into the next
  // month (2026-02-31 is 2026-03-03), as sys_days does for y/m/1 + (d - 1).
  const std::int64_t days =
      (std::chrono::sys_days{std::chrono::year{y} / mo / 1} + std::chrono::days{d - 1}).time_since_epoch().count();
  *out = ((days * 86400 + h * 3600 + mi * 60 + se) - offset_min * 60) * 1000 + ms;
  return true;
}

}  // namespace qc::gw
