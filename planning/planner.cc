// Quota planning from history and the Erlang C calculator (planning/planner.h).
#include "planning/planner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "engine/command.h"

namespace qc::plan {

using qc::kMaxRooms;

// ---- Samples ----

std::int64_t SampleHistogram::samples() const {
  std::int64_t n = 0;
  for (std::int64_t c : counts) n += c;
  return n;
}

std::int64_t SampleHistogram::capped_arrivals() const {
  std::int64_t s = 0;
  for (std::size_t k = 0; k < counts.size(); ++k) s += static_cast<std::int64_t>(k) * counts[k];
  return s;
}

void SampleHistogram::add(std::int64_t arrivals_in_minute) {
  if (arrivals_in_minute < 0) arrivals_in_minute = 0;
  ++counts[static_cast<std::size_t>(std::min<std::int64_t>(arrivals_in_minute, 4))];
}

double arrival_rate_per_minute(const SampleHistogram& h) {
  const std::int64_t n = h.samples();
  return n == 0 ? 0.0 : static_cast<double>(h.capped_arrivals()) / static_cast<double>(n);
}

std::int32_t expected_arrivals(const SampleHistogram& h, std::int32_t minutes) {
  const std::int64_t n = h.samples();
  if (n == 0 || minutes <= 0) return 0;
  // round(x / n) with halves up, x = arrivals * minutes, all integers.
  const std::int64_t x = h.capped_arrivals() * minutes;
  return static_cast<std::int32_t>((2 * x + n) / (2 * n));
}

// ---- Quotas ----

std::vector<std::int32_t> Plan::appointment_quota() const {
  std::vector<std::int32_t> v;
  for (const SlotPlan& s : slots) v.push_back(s.appointment_quota);
  return v;
}

std::vector<std::int32_t> Plan::walkin_quota() const {
  std::vector<std::int32_t> v;
  for (const SlotPlan& s : slots) v.push_back(s.walkin_quota);
  return v;
}

namespace {
std::int32_t round_half_up(double x) { return static_cast<std::int32_t>(std::floor(x + 0.5 + 1e-9)); }
}  // namespace

bool plan_quotas(const PlanInput& in, std::int32_t appointments, std::int32_t walkin_total,
                 Plan* out, std::string* error) {
  const std::size_t m = in.walkin_arrivals.size();
  auto fail = [&](std::string msg) {
    if (error) *error = std::move(msg);
    return false;
  };
  if (m == 0) return fail("no slots");
  if (in.slot_minutes <= 0) return fail("slot_minutes must be positive");
  if (in.rooms < 1 || in.rooms > static_cast<std::int32_t>(kMaxRooms))
    return fail("rooms must be between 1 and " + std::to_string(kMaxRooms));
  if (in.mean_consult_minutes.size() != m) return fail("mean_consult_minutes must have one entry per slot");
  if (!in.actual_seen.empty() && in.actual_seen.size() != m)
    return fail("actual_seen must be empty or have one entry per slot");
  if (appointments < 0) return fail("appointments must not be negative");
  for (std::size_t i = 0; i < m; ++i) {
    if (in.walkin_arrivals[i] < 0) return fail("walk-in arrivals must not be negative");
    if (!(in.mean_consult_minutes[i] > 0) || !std::isfinite(in.mean_consult_minutes[i]))
      return fail("mean consultation minutes must be positive");
  }

  Plan p;
  p.slots.resize(m);
  std::int32_t backlog = 0;
  std::int32_t left = appointments;
  std::int32_t walkins_placed = 0;
  std::int32_t arrivals_total = 0;
  for (std::size_t i = 0; i < m; ++i) {
    SlotPlan& s = p.slots[i];
    s.walkin_arrivals = in.walkin_arrivals[i];
    arrivals_total += s.walkin_arrivals;
    s.expected_capacity = round_half_up(in.rooms * in.slot_minutes / in.mean_consult_minutes[i]);
    s.capacity = s.expected_capacity;
    if (i == 0 && !in.actual_seen.empty() && in.actual_seen[0] >= 0) {
      const std::int32_t seen = round_half_up(in.actual_seen[0]);
      if (seen < s.capacity) s.capacity = seen;
    }
    s.walkin_demand = s.walkin_arrivals + (in.carry_backlog ? backlog : 0);
    if (i + 1 < m) {
      const std::int32_t room = std::max(0, s.capacity - s.walkin_demand);
      s.appointment_quota = std::min(room, left);
      left -= s.appointment_quota;
      s.walkin_quota = s.walkin_arrivals;
      walkins_placed += s.walkin_quota;
    } else {
      s.appointment_quota = left;
    }
    backlog = std::max(0, s.walkin_demand - s.capacity);
  }
  const std::int32_t total = std::max(walkin_total, arrivals_total);
  SlotPlan& last = p.slots.back();
  last.walkin_quota = std::max(last.walkin_arrivals, total - walkins_placed);
  *out = std::move(p);
  return true;
}

std::string quotas_json(const Plan& plan) {
  auto list = [](const std::vector<std::int32_t>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i) s += ",";
      s += std::to_string(v[i]);
    }
    return s + "]";
  };
  return "{\"appointmentQuota\":" + list(plan.appointment_quota()) +
         ",\"walkinQuota\":" + list(plan.walkin_quota()) + "}";
}

// ---- History ----

namespace {

bool parse_uint(std::string_view s, std::int32_t* out) {
  if (s.empty() || s.size() > 9) return false;
  std::int32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool parse_date(std::string_view s, std::int32_t* out) {
  std::int32_t y = 0, mo = 0, d = 0;
  if (s.size() == 10 && s[4] == '-' && s[7] == '-') {
    if (!parse_uint(s.substr(0, 4), &y) || !parse_uint(s.substr(5, 2), &mo) ||
        !parse_uint(s.substr(8, 2), &d))
      return false;
  } else if (s.size() == 8) {
    std::int32_t v = 0;
    if (!parse_uint(s, &v)) return false;
    y = v / 10000, mo = v / 100 % 100, d = v % 100;
  } else {
    return false;
  }
  // A real calendar date: 2018-02-30 and 2019-02-29 are refused.
  if (y < 1900 || !std::chrono::year_month_day{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(mo)},
                                                std::chrono::day{static_cast<unsigned>(d)}}
                       .ok())
    return false;
  *out = y * 10000 + mo * 100 + d;
  return true;
}

// HH:MM or HH:MM:SS -> seconds after midnight.
bool parse_clock(std::string_view s, std::int32_t* out) {
  std::int32_t h = 0, mi = 0, se = 0;
  const std::size_t c1 = s.find(':');
  if (c1 == std::string_view::npos || c1 == 0 || c1 > 2) return false;
  if (!parse_uint(s.substr(0, c1), &h)) return false;
  std::string_view rest = s.substr(c1 + 1);
  const std::size_t c2 = rest.find(':');
  if (c2 == std::string_view::npos) {
    if (rest.size() != 2 || !parse_uint(rest, &mi)) return false;
  } else {
    if (c2 != 2 || rest.size() != 5 || !parse_uint(rest.substr(0, 2), &mi) ||
        !parse_uint(rest.substr(3, 2), &se))
      return false;
  }
  if (h > 23 || mi > 59 || se > 59) return false;
  *out = h * 3600 + mi * 60 + se;
  return true;
}

bool parse_kind(std::string_view s, VisitKind* out) {
  if (s == "walk_in" || s == "walkin" || s == "walk-in" || s == "W") {
    *out = VisitKind::kWalkIn;
    return true;
  }
  if (s == "appointment" || s == "A") {
    *out = VisitKind::kAppointment;
    return true;
  }
  return false;
}

}  // namespace

HistoryParse parse_history(std::string_view text) {
  HistoryParse r;
  std::int32_t line_no = 0;
  bool seen_data = false;
  auto fail = [&](const std::string& msg) {
    r.ok = false;
    r.error_line = line_no;
    r.error = "line " + std::to_string(line_no) + ": " + msg;
    r.rows.clear();
    return r;
  };
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    if (!seen_data && line.substr(0, 4) == "date") {
      seen_data = true;  // the header
      continue;
    }
    seen_data = true;
    std::vector<std::string_view> f;
    while (true) {
      const std::size_t c = line.find(',');
      f.push_back(trim(line.substr(0, c)));
      if (c == std::string_view::npos) break;
      line = line.substr(c + 1);
    }
    if (f.size() != 5)
      return fail("expected 5 fields (date,kind,registration,call,end), got " + std::to_string(f.size()));
    Visit v;
    if (!parse_date(f[0], &v.date)) return fail("bad date \"" + std::string(f[0]) + "\" (YYYY-MM-DD)");
    if (!parse_kind(f[1], &v.kind))
      return fail("bad kind \"" + std::string(f[1]) + "\" (walk_in or appointment)");
    if (!parse_clock(f[2], &v.registration))
      return fail("bad registration time \"" + std::string(f[2]) + "\" (HH:MM or HH:MM:SS)");
    if (f[3].empty() != f[4].empty()) return fail("call and end must both be given or both be empty");
    if (!f[3].empty()) {
      if (!parse_clock(f[3], &v.call)) return fail("bad call time \"" + std::string(f[3]) + "\"");
      if (!parse_clock(f[4], &v.end)) return fail("bad end time \"" + std::string(f[4]) + "\"");
      if (v.call < v.registration) return fail("call time is before registration time");
      if (v.end < v.call) return fail("consultation end is before call time");
    }
    r.rows.push_back(v);
  }
  return r;
}

bool estimate_from_history(const std::vector<Visit>& rows, const SessionShape& shape,
                           HistoryEstimate* out, std::string* error) {
  auto fail = [&](std::string msg) {
    if (error) *error = std::move(msg);
    return false;
  };
  const SessionShape& sh = shape;
  if (sh.slot_minutes <= 0 || sh.end_minute <= sh.start_minute ||
      (sh.end_minute - sh.start_minute) % sh.slot_minutes != 0)
    return fail("the slot length must divide the service period");
  if (sh.registration_open_minute > sh.start_minute || sh.registration_open_minute < 0 ||
      sh.end_minute > 24 * 60)
    return fail("registration must open at or before the start, within the day");
  const std::int32_t m = (sh.end_minute - sh.start_minute) / sh.slot_minutes;
  const std::int32_t window = sh.end_minute - sh.registration_open_minute;

  // Per day, walk-in registrations per minute of [registration_open, end).
  std::map<std::int32_t, std::vector<std::int32_t>> per_day;
  // Per day: the first registration and the first call (seconds; -1: none).
  std::map<std::int32_t, std::pair<std::int32_t, std::int32_t>> firsts;
  std::int64_t appointments = 0;
  std::vector<std::int64_t> consult_sum(static_cast<std::size_t>(m), 0);
  std::vector<std::int64_t> consult_n(static_cast<std::size_t>(m), 0);
  for (const Visit& v : rows) {
    auto& minutes = per_day[v.date];
    if (minutes.empty()) minutes.assign(static_cast<std::size_t>(window), 0);
    if (v.kind == VisitKind::kAppointment) ++appointments;
    auto [f, added] = firsts.try_emplace(v.date, v.registration, v.call);
    if (!added) {
      f->second.first = std::min(f->second.first, v.registration);
      if (v.call >= 0 && (f->second.second < 0 || v.call < f->second.second)) f->second.second = v.call;
    }
    if (v.kind == VisitKind::kWalkIn) {
      const std::int32_t minute = v.registration / 60 - sh.registration_open_minute;
      if (minute >= 0 && minute < window) ++minutes[static_cast<std::size_t>(minute)];
    }
    if (v.call >= 0) {
      std::int32_t s = (v.call / 60 - sh.start_minute) / sh.slot_minutes;
      if (v.call / 60 < sh.start_minute) s = 0;
      s = std::min(s, m - 1);
      consult_sum[static_cast<std::size_t>(s)] += v.end - v.call;
      ++consult_n[static_cast<std::size_t>(s)];
    }
  }
  if (per_day.empty()) return fail("the history holds no visit");

  HistoryEstimate e;
  e.days = static_cast<std::int32_t>(per_day.size());
  e.appointments_per_day = static_cast<double>(appointments) / e.days;
  e.histograms.assign(static_cast<std::size_t>(m) + 1, SampleHistogram{});
  const std::int32_t pre = sh.start_minute - sh.registration_open_minute;
  for (const auto& [date, minutes] : per_day) {
    for (std::int32_t i = 0; i < window; ++i) {
      const std::size_t p = i < pre ? 0 : 1 + static_cast<std::size_t>((i - pre) / sh.slot_minutes);
      e.histograms[p].add(minutes[static_cast<std::size_t>(i)]);
    }
  }

  std::int64_t all_sum = 0, all_n = 0;
  for (std::int32_t s = 0; s < m; ++s) all_sum += consult_sum[s], all_n += consult_n[s];
  if (all_n == 0) return fail("the history holds no consultation (call and end times)");
  if (all_sum == 0) return fail("every consultation in the history lasted zero seconds");

  std::vector<std::int32_t> delays;
  for (const auto& [date, f] : firsts) {
    if (f.second < 0) continue;
    delays.push_back(std::max(0, f.second - std::max(sh.start_minute * 60, f.first)));
  }
  std::sort(delays.begin(), delays.end());
  e.first_call_days = static_cast<std::int32_t>(delays.size());
  if (!delays.empty()) {
    const std::size_t n = delays.size();
    e.first_call_delay_seconds = n % 2 ? delays[n / 2] : (delays[n / 2 - 1] + delays[n / 2] + 1) / 2;
  }

  PlanInput& in = e.input;
  in.slot_minutes = sh.slot_minutes;
  for (std::int32_t s = 0; s < m; ++s) {
    std::int32_t arrivals = expected_arrivals(e.histograms[static_cast<std::size_t>(s) + 1], sh.slot_minutes);
    if (s == 0) arrivals += expected_arrivals(e.histograms[0], pre);
    in.walkin_arrivals.push_back(arrivals);
    const double mean = consult_n[s] > 0 && consult_sum[s] > 0
                            ? static_cast<double>(consult_sum[s]) / consult_n[s] / 60.0
                            : static_cast<double>(all_sum) / all_n / 60.0;
    in.mean_consult_minutes.push_back(mean);
    in.actual_seen.push_back(static_cast<double>(consult_n[s]) / e.days);
  }
  *out = std::move(e);
  return true;
}

// ---- Erlang C ----

WindowStats erlang_c(double lambda, double mu, std::int32_t n) {
  WindowStats w;
  if (!(lambda > 0) || !(mu > 0) || n < 1 || !std::isfinite(lambda) || !std::isfinite(mu)) return w;
  const double a = lambda / mu;  // offered load
  w.rho = a / n;
  if (w.rho >= 1) return w;
  w.stable = true;
  // Terms t_k = a^k / k! in log space: sum_{k<n} t_k + t_n / (1 - rho).
  const double log_a = std::log(a);
  std::vector<double> logs;
  logs.reserve(static_cast<std::size_t>(n) + 1);
  for (std::int32_t k = 0; k < n; ++k) logs.push_back(k * log_a - std::lgamma(k + 1.0));
  const double log_tail = n * log_a - std::lgamma(n + 1.0) - std::log(1 - w.rho);
  logs.push_back(log_tail);
  const double mx = *std::max_element(logs.begin(), logs.end());
  double sum = 0;
  for (double l : logs) sum += std::exp(l - mx);
  const double log_p0 = -(mx + std::log(sum));
  w.p0 = std::exp(log_p0);
  // Probability of waiting C = t_n / (1 - rho) * P0; Lq = C * rho / (1 - rho).
  const double c = std::exp(log_tail + log_p0);
  w.lq = c * w.rho / (1 - w.rho);
  w.wq = w.lq / lambda;
  return w;
}

std::int32_t smallest_windows(double lambda, double mu, double target_wait, std::int32_t max_n) {
  // A target of 0 (or less) is unreachable: Wq > 0 for every finite n (a
  // computed 0 would only be floating-point underflow).
  if (!(lambda > 0) || !(mu > 0) || !(target_wait > 0)) return -1;
  for (std::int32_t n = 1; n <= max_n; ++n) {
    const WindowStats w = erlang_c(lambda, mu, n);
    if (w.stable && w.wq <= target_wait) return n;
  }
  return -1;
}

}  // namespace qc::plan
