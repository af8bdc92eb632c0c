// Quota planning from history (paper 000) and the registration-window
// calculator (paper 001). Pure functions on plain data: no I/O, no clock.
//
//   HistoryParse h = parse_history(csv_text);          // rows, or an error + line
//   PlanInput in = estimate_from_history(h.rows, cfg);  // NX', NX per slot
//   Plan p = plan_quotas(in, appointments);             // A, W per slot
//
// The arithmetic is the spec's "Slot planning":
// - walk-in arrival rate from one-minute samples with counts capped at 4
//   (450x0, 34x1, 10x2, 3x3, 3x(>=4) -> 0.15/min -> 9 in a 60-minute slot);
// - NX[i] = rooms * slot_minutes / mean consult minutes of slot i, except
//   the first slot, where the actual mean number seen (by all rooms) is
//   taken when it is lower (the doctor does ward rounds first);
// - A[i] = max(0, NX[i] - NX'[i]) for the first M-1 slots, filled from the
//   first slot on until the day's appointments are placed; the rest goes into
//   the last slot;
// - W[i] = NX'[i] (walk-ins keep arriving in their own slot), the last slot
//   takes the remaining walk-in capacity.
// Choices the paper leaves open are documented in docs/planning.md.
//
// Thread-safety: none needed; every function is pure.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qc::plan {

// ---- Arrival rate from one-minute samples ----

// counts[k] = number of one-minute samples that saw k walk-in registrations;
// counts[4] holds every sample with 4 or more (the cap).
struct SampleHistogram {
  std::array<std::int64_t, 5> counts{};
  std::int64_t samples() const;
  std::int64_t capped_arrivals() const;  // sum of k * counts[k]
  void add(std::int64_t arrivals_in_minute);  // caps at 4
};

// Arrivals per minute: capped_arrivals / samples (0 when there are no samples).
double arrival_rate_per_minute(const SampleHistogram& h);
// Expected arrivals in `minutes`, rounded to the nearest integer (halves up),
// in exact integer arithmetic: round(capped_arrivals * minutes / samples).
std::int32_t expected_arrivals(const SampleHistogram& h, std::int32_t minutes);

// ---- Quotas ----

struct PlanInput {
  std::int32_t slot_minutes = 60;
  // Walk-ins expected to arrive per slot (NX'); entry 0 includes those who
  // register before service starts (between registration_open and start).
  std::vector<std::int32_t> walkin_arrivals;
  // Mean consultation minutes per slot (> 0), for NX = slot_minutes / mean.
  std::vector<double> mean_consult_minutes;
  // Actual mean number seen per slot in the history (-1: unknown). Used for
  // the first slot only, when lower than the expected number.
  std::vector<double> actual_seen;
  // Rooms (doctors) serving the session's queue: NX = rooms * slot / mean.
  std::int32_t rooms = 1;
  // Walk-ins the doctor cannot see in slot i are still waiting in slot i+1:
  // when true, NX'[i+1] used for A includes that backlog.
  bool carry_backlog = true;
};

struct SlotPlan {
  std::int32_t walkin_arrivals = 0;  // NX'[i] as estimated
  std::int32_t walkin_demand = 0;    // NX'[i] plus the carried backlog (what A is computed from)
  std::int32_t capacity = 0;         // NX[i] after the first-slot correction
  std::int32_t expected_capacity = 0;  // rooms * slot_minutes / mean consult, before the correction
  std::int32_t appointment_quota = 0;  // A[i]
  std::int32_t walkin_quota = 0;       // W[i]
};

struct Plan {
  std::vector<SlotPlan> slots;
  std::vector<std::int32_t> appointment_quota() const;
  std::vector<std::int32_t> walkin_quota() const;
};

// `appointments`: how many appointments a day the session must offer (>= 0).
// `walkin_total`: total walk-in capacity of the day; when smaller than the
// sum of NX', the sum of NX' is used (every expected walk-in gets a slot).
// Returns false with `*error` set when the input is malformed (empty,
// mismatched sizes, non-positive consult times or slot length, rooms
// outside 1..16).
bool plan_quotas(const PlanInput& in, std::int32_t appointments, std::int32_t walkin_total,
                 Plan* out, std::string* error);

// The JSON block that session creation and templates accept:
// {"appointmentQuota":[...],"walkinQuota":[...]}
std::string quotas_json(const Plan& plan);

// ---- History ----

enum class VisitKind : std::uint8_t { kAppointment = 0, kWalkIn = 1 };

// One past visit; times are local seconds after midnight (-1: absent).
struct Visit {
  std::int32_t date = 0;  // YYYYMMDD
  VisitKind kind = VisitKind::kWalkIn;
  std::int32_t registration = -1;  // registration / check-in time (seconds after midnight)
  std::int32_t call = -1;          // called into the room (seconds), -1 if never seen
  std::int32_t end = -1;           // consultation end (seconds), -1 if never seen
};

struct HistoryParse {
  std::vector<Visit> rows;
  bool ok = true;
  std::int32_t error_line = 0;  // 1-based line of the first error
  std::string error;            // "line 7: bad call time \"9:6x\""
};

// Parses the history CSV (format in docs/planning.md): columns
// date,kind,registration,call,end; '#' comments and blank lines ignored; an
// optional header line starting with "date". Times HH:MM or HH:MM:SS.
HistoryParse parse_history(std::string_view text);

struct SessionShape {
  std::int32_t start_minute = 8 * 60;
  std::int32_t end_minute = 12 * 60;
  std::int32_t registration_open_minute = 7 * 60;
  std::int32_t slot_minutes = 60;
};

struct HistoryEstimate {
  PlanInput input;
  std::int32_t days = 0;                  // distinct session dates
  double appointments_per_day = 0;        // mean appointment visits a day
  std::vector<SampleHistogram> histograms;  // [0] before start, then one per slot
  // The doctor's usual first call after the start (SessionSpec::first_call_delay):
  // the median over days with a call of first_call - max(start, first
  // registration of the day), at least 0, in seconds (0 without calls). A day
  // whose first patient came after the start gives a lower bound.
  std::int32_t first_call_delay_seconds = 0;
  std::int32_t first_call_days = 0;  // days that had a call
};

// Estimates NX', mean consult times, the actual numbers seen per slot and the
// first-call delay.
// Walk-in registrations are sampled minute by minute over every minute of
// [registration_open, end) of every day (counts capped at 4). Returns false
// with `*error` when the shape is invalid or the history holds no day.
bool estimate_from_history(const std::vector<Visit>& rows, const SessionShape& shape,
                           HistoryEstimate* out, std::string* error);

// ---- Registration windows: M/M/N (Erlang C) ----

struct WindowStats {
  bool stable = false;  // rho < 1; otherwise p0, lq, wq are meaningless
  double rho = 0;
  double p0 = 0;
  double lq = 0;  // mean number waiting
  double wq = 0;  // mean wait, in the time unit of lambda and mu
};

// lambda: arrivals per unit time, mu: services per window per unit time, n >= 1.
WindowStats erlang_c(double lambda, double mu, std::int32_t n);
// The smallest n (<= max_n) with a stable queue and wq <= target_wait; -1 if none.
std::int32_t smallest_windows(double lambda, double mu, double target_wait, std::int32_t max_n = 1000);

}  // namespace qc::plan
