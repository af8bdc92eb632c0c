// queuecast plan HISTORY.csv [--slot-minutes 60] [--start 08:00] [--end 12:00]
//                [--registration-open 07:00] [--appointments N]
//                [--walkin-total N] [--no-carry] [--rooms N]
// queuecast plan windows --lambda L --mu M (--n N | --target-wait T)
//
// Quota planning from a history of past visits (paper 000; the CSV format is
// in docs/planning.md) and the M/M/N registration-window calculator (paper
// 001). Exit codes: 0 done, 2 usage or a bad history file.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "cli/args.h"
#include "planning/planner.h"

namespace {

using qc::cli::parse_int;
using qc::cli::parse_double;
using qc::cli::read_file;

constexpr const char kUsage[] =
    "usage: queuecast plan HISTORY.csv [options]\n"
    "       queuecast plan windows --lambda L --mu M (--n N | --target-wait T)\n"
    "\n"
    "Plans appointment (A) and walk-in (W) quotas per slot from past visits:\n"
    "  --slot-minutes N        slot length (default 60)\n"
    "  --start HH:MM           service start (default 08:00)\n"
    "  --end HH:MM             service end (default 12:00)\n"
    "  --registration-open HH:MM  walk-in registration opens (default 07:00)\n"
    "  --appointments N        appointments a day (default: the history's mean)\n"
    "  --walkin-total N        walk-in numbers a day (default: the expected walk-ins)\n"
    "  --no-carry              the paper's formula without carrying the walk-in backlog\n"
    "  --rooms N               rooms (doctors) sharing the queue, 1-16 (default 1):\n"
    "                          NX = rooms * slot minutes / mean consultation\n"
    "\n"
    "windows: M/M/N (Erlang C) for N registration windows; lambda = arrivals per\n"
    "minute, mu = services per window per minute. Prints rho, P0, Lq, Wq (minutes)\n"
    "to 10 significant digits; with --target-wait T (minutes, > 0) the smallest N\n"
    "with Wq <= T.\n"
    "\n"
    "The history format is documented in docs/planning.md.\n";

bool parse_clock(const char* s, std::int32_t* minutes) {
  int h = 0, m = 0;
  char tail = 0;
  if (std::strlen(s) != 5 || std::sscanf(s, "%2d:%2d%c", &h, &m, &tail) != 2) return false;
  if (h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m)) return false;
  *minutes = h * 60 + m;
  return true;
}

std::string hhmm(int minutes) {
  char b[32];
  std::snprintf(b, sizeof b, "%02d:%02d", minutes / 60, minutes % 60);
  return b;
}

int usage_error(const std::string& what) {
  std::fprintf(stderr, "queuecast plan: %s\n", what.c_str());
  return 2;
}

int run_windows(int argc, char** argv) {
  double lambda = -1, mu = -1, target = -1;
  long long n = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (qc::cli::is_help(a)) return qc::cli::print_usage(kUsage);
    if (a == "--lambda") {
      if (!parse_double(v, &lambda) || lambda <= 0) return usage_error("--lambda needs a positive number");
    } else if (a == "--mu") {
      if (!parse_double(v, &mu) || mu <= 0) return usage_error("--mu needs a positive number");
    } else if (a == "--n") {
      if (!parse_int(v, 1, 100000, &n)) return usage_error("--n needs an integer between 1 and 100000");
    } else if (a == "--target-wait") {
      // Wq > 0 for every N: a target of 0 has no answer (it would only
      // match where the computed Wq underflows to 0).
      if (!parse_double(v, &target) || target <= 0)
        return usage_error("--target-wait needs a wait in minutes > 0");
    } else {
      return usage_error("windows: unknown option '" + a + "'");
    }
    ++i;
  }
  if (lambda <= 0 || mu <= 0) return usage_error("windows needs --lambda and --mu");
  if ((n > 0) == (target >= 0)) return usage_error("windows needs exactly one of --n and --target-wait");
  if (target >= 0) {
    const std::int32_t best = qc::plan::smallest_windows(lambda, mu, target, 100000);
    if (best < 0) return usage_error("no number of windows up to 100000 reaches that wait");
    n = best;
  }
  const qc::plan::WindowStats w = qc::plan::erlang_c(lambda, mu, static_cast<std::int32_t>(n));
  if (target >= 0) std::printf("smallest N with Wq <= %g min: %lld\n", target, n);
  std::printf("lambda %g/min  mu %g/min  N %lld\n", lambda, mu, n);
  std::printf("rho %.10g\n", w.rho);
  if (!w.stable) {
    std::printf("unstable: rho >= 1, the queue grows without bound (P0 = 0, Lq = Wq = infinite)\n");
    return 0;
  }
  // Full precision: P0 may be 1.7e-10 (four or six decimals would print 0).
  std::printf("P0  %.10g\nLq  %.10g patients\nWq  %.10g min\n", w.p0, w.lq, w.wq);
  return 0;
}

}  // namespace

int run_plan(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "windows") return run_windows(argc - 1, argv + 1);
  qc::plan::SessionShape shape;
  std::string path;
  long long appointments = -1, walkin_total = 0, rooms = 1;
  bool carry = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (qc::cli::is_help(a)) return qc::cli::print_usage(kUsage);
    if (a == "--no-carry") {
      carry = false;
      continue;
    } else if (a == "--slot-minutes") {
      long long s = 0;
      if (!parse_int(v, 1, 1440, &s)) return usage_error("--slot-minutes needs an integer between 1 and 1440");
      shape.slot_minutes = static_cast<std::int32_t>(s);
    } else if (a == "--start" || a == "--end" || a == "--registration-open") {
      std::int32_t m = 0;
      if (!v || !parse_clock(v, &m)) return usage_error(a + " needs a time HH:MM");
      (a == "--start" ? shape.start_minute : a == "--end" ? shape.end_minute : shape.registration_open_minute) = m;
    } else if (a == "--appointments") {
      if (!parse_int(v, 0, 100000, &appointments)) return usage_error("--appointments needs an integer >= 0");
    } else if (a == "--rooms") {
      if (!parse_int(v, 1, 16, &rooms)) return usage_error("--rooms needs an integer between 1 and 16");
    } else if (a == "--walkin-total") {
      if (!parse_int(v, 0, 100000, &walkin_total)) return usage_error("--walkin-total needs an integer >= 0");
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "queuecast plan: unknown option '%s'\n\n%s", a.c_str(), kUsage);
      return 2;
    } else if (path.empty()) {
      path = a;
      continue;
    } else {
      return usage_error("more than one history file");
    }
    ++i;
  }
  if (path.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string text;
  if (!read_file(path, &text)) return usage_error("cannot read " + path + ": " + std::strerror(errno));
  const qc::plan::HistoryParse h = qc::plan::parse_history(text);
  if (!h.ok) return usage_error(path + ": " + h.error);
  qc::plan::HistoryEstimate e;
  std::string err;
  if (!qc::plan::estimate_from_history(h.rows, shape, &e, &err)) return usage_error(path + ": " + err);
  e.input.carry_backlog = carry;
  e.input.rooms = static_cast<std::int32_t>(rooms);
  if (appointments < 0) appointments = std::llround(e.appointments_per_day);
  qc::plan::Plan p;
  if (!qc::plan::plan_quotas(e.input, static_cast<std::int32_t>(appointments),
                             static_cast<std::int32_t>(walkin_total), &p, &err))
    return usage_error(err);

  std::printf("history: %s, %d days, %.1f appointments a day\n", path.c_str(), e.days, e.appointments_per_day);
  std::printf("walk-in arrivals per minute (one-minute samples, counts capped at 4):\n");
  const int m = static_cast<int>(p.slots.size());
  for (std::size_t k = 0; k < e.histograms.size(); ++k) {
    const int a = k == 0 ? shape.registration_open_minute
                         : shape.start_minute + static_cast<int>(k - 1) * shape.slot_minutes;
    const int b = k == 0 ? shape.start_minute : a + shape.slot_minutes;
    if (b <= a) continue;
    std::printf("  %s-%s  %.3f  (%lld samples)\n", hhmm(a).c_str(), hhmm(b).c_str(),
                qc::plan::arrival_rate_per_minute(e.histograms[k]),
                static_cast<long long>(e.histograms[k].samples()));
  }
  std::printf("\n%-12s %5s %8s %6s %8s %5s %5s %5s\n", "slot", "NX'", "backlog", "mean", "NX(exp)", "NX", "A", "W");
  for (int i = 0; i < m; ++i) {
    const qc::plan::SlotPlan& s = p.slots[static_cast<std::size_t>(i)];
    const int a = shape.start_minute + i * shape.slot_minutes;
    std::printf("%s-%s %5d %8d %6.1f %8d %5d %5d %5d\n", hhmm(a).c_str(), hhmm(a + shape.slot_minutes).c_str(),
                s.walkin_arrivals, s.walkin_demand - s.walkin_arrivals,
                e.input.mean_consult_minutes[static_cast<std::size_t>(i)], s.expected_capacity, s.capacity,
                s.appointment_quota, s.walkin_quota);
  }
  if (p.slots[0].capacity < p.slots[0].expected_capacity)
    std::printf("first-slot correction: NX = %d (actual mean seen %.1f < %d expected)\n", p.slots[0].capacity,
                e.input.actual_seen[0], p.slots[0].expected_capacity);
  std::printf("(NX' includes registrations before the start in the first slot; mean = consultation minutes;\n"
              " backlog = walk-ins carried from earlier slots%s%s)\n",
              carry ? "" : ", off with --no-carry",
              rooms > 1 ? "; NX counts the rooms: rooms x slot / mean" : "");
  if (e.first_call_days > 0)
    std::printf("first call: %.1f min after the start (median of %d days); for the patients' estimates,\n"
                " session creation takes it as \"firstCallDelay\":\"%ds\"\n",
                e.first_call_delay_seconds / 60.0, e.first_call_days, e.first_call_delay_seconds);
  std::printf("\n");
  std::printf("%s\n", qc::plan::quotas_json(p).c_str());
  return 0;
}
