// A discrete-event simulator of clinic days that drives the REAL engine
// (qc::Engine::apply: the same rules, not a copy), to compare quota
// strategies (paper 000) and to measure the engine's estimated call times.
//
// One simulated day: a session is created with the strategy's quotas; the
// day's appointments are booked the day before (earliest slot with A left);
// a tick at 00:00 performs the walk-in conversion; walk-ins arrive as a
// Poisson process with one rate per period (the hour(s) before service, then
// each slot) and register; appointments present with the survey's behaviour
// (early / late / around their slot start) or never (no-show); the doctor
// starts late (ward rounds) and calls `call_next` whenever free, with
// lognormal consultation times whose mean depends on the slot of the call.
// The session tells the engine the consultation mean (avg_consult_seed) and
// the usual late start (first_call_delay), as a clinic would from history.
//
// The clinical flow (spec "Priority, return after tests, several rooms"):
// `rooms` doctors serve the day, each in its own room, each calling
// call_next(session, room) when free (one shared queue), or, with
// `separate_queues`, one session per doctor (each patient picks a doctor at
// random; a doctor who has no number left sends them to the next). A share
// of walk-ins and of appointments carry a priority reason code (given to the
// engine when the clinic runs a priority lane); a share of patients are
// sent for tests by the doctor at the end of their consultation
// (send_for_tests), come back after a uniform test duration
// (return_from_tests) and are called a second time. The engine's
// ticket_overtaken events are checked against max_overtaken every day.
//
// Reproducibility: everything random comes from sim::Rng sub-streams seeded
// by (seed, replication, component), and the day's random "world" does not
// depend on the quotas, so strategies are compared with common random
// numbers. The same inputs give the same results, byte for byte.
//
// Thread-safety: none; the functions are pure apart from their outputs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "planning/planner.h"
#include "engine/types.h"

namespace qc::sim {

// Appointment arrival behaviour (paper 000, survey by Chen et al.):
// `early_share` come early_min..early_max minutes before their slot start,
// `late_share` come late_min..late_max minutes after it, the rest within
// +-around_minutes of it (all uniform).
struct ArrivalBehaviour {
  double early_share = 0.21;
  double late_share = 0.28;
  double early_min = 30, early_max = 120;
  double late_min = 30, late_max = 120;
  double around_minutes = 15;
};

struct Scenario {
  std::string name;
  // Session shape, local minutes after midnight.
  std::int32_t registration_open_minute = 7 * 60;
  std::int32_t start_minute = 8 * 60;
  std::int32_t end_minute = 12 * 60;
  std::int32_t slot_minutes = 60;
  Policy policy = Policy::kAppointmentsFirst;  // the paper: appointments first within a slot
  std::int32_t late_grace_minutes = 0;
  // Walk-ins per minute: [0] before service starts, then one per slot (size M+1).
  std::vector<double> walkin_rate_per_minute;
  std::int32_t walkin_capacity = 30;  // walk-in numbers issued a day (sum of W)
  // Day-to-day fluctuation: each day's walk-in rates are multiplied by one
  // lognormal factor with mean 1 and this coefficient of variation (0: none).
  double walkin_day_cv = 0;
  // Appointments.
  std::int32_t appointments_per_day = 10;
  double noshow_rate = 0;
  ArrivalBehaviour arrival;
  // Doctor.
  std::vector<double> consult_mean_minutes;  // by the slot of the call time (size M)
  double consult_cv = 0.5;                   // lognormal coefficient of variation
  double late_start_mean_minutes = 0;        // ward rounds before the first call
  double late_start_sd_minutes = 0;          // normal, truncated at 0
  // What the session tells the engine about the late start
  // (SessionSpec::first_call_delay, for the estimates); -1: the late start
  // mean, what `queuecast plan` learns from a history of such days.
  double first_call_delay_minutes = -1;
  // History figure for the planner: mean number seen in the first slot (-1: none).
  double first_slot_seen = -1;
  // Planner option (planning/planner.h): carry the walk-in backlog into later slots.
  bool carry_backlog = true;
  // Optimizer constraint: appointment mean wait may rise by at most this.
  double max_appointment_wait_increase_minutes = 2;
  // Several doctors (rooms "1".."rooms"), 1 to 16. One queue shared by
  // every room, or (separate_queues) one session per room, each with its
  // share of the quotas.
  std::int32_t rooms = 1;
  bool separate_queues = false;
  // Priority patients (elderly, military, disabled, pregnant): the share of
  // walk-ins and of appointments with a reason code. With priority_lane
  // false the same patients come but the clinic does not tell the engine
  // (the comparison "without a priority lane").
  double priority_walkin_share = 0;
  double priority_appointment_share = 0;
  bool priority_lane = true;
  // Test trips: this share of patients is sent for tests at the end of the
  // first consultation, for tests_min..tests_max minutes (uniform), then
  // returns and is seen again; the second consultation's mean is
  // return_consult_mean_minutes (0: the mean of the slot of the call).
  double tests_share = 0;
  double tests_min_minutes = 30, tests_max_minutes = 60;
  double return_consult_mean_minutes = 0;
  // The session's insertion settings (SessionSpec), 0 to 1000.
  std::int32_t priority_after = 1;
  std::int32_t return_after = 2;
  std::int32_t max_overtaken = 3;

  std::int32_t slots() const;
  // An empty string if valid, else what is wrong.
  std::string validate() const;
  bool has_priority() const { return priority_walkin_share > 0 || priority_appointment_share > 0; }
  // The planner's inputs derived from the scenario's figures (rooms included).
  plan::PlanInput plan_input() const;
  // Mean consultation minutes over the slots (the engine's avg_consult seed).
  double mean_consult_minutes() const;
  // The session's first_call_delay in minutes (first_call_delay_minutes, or
  // the late start mean).
  double first_call_delay() const;
};

struct Quotas {
  std::vector<std::int32_t> appointment;
  std::vector<std::int32_t> walkin;
  bool operator==(const Quotas&) const = default;
};

struct WaitStats {
  std::int64_t n = 0;
  double mean = 0, median = 0, p90 = 0;  // minutes
};

struct Metrics {
  WaitStats walkin;       // wait = call - registration
  WaitStats appointment;  // wait = call - check-in
  // First visits by priority (a reason code, whether or not the clinic runs
  // a priority lane) and without; the second call of a patient back from
  // tests (wait = call - return_from_tests).
  WaitStats priority, non_priority, returning;
  WaitStats first_visit;  // every first visit (walk-ins and appointments together)
  // Priority first visits counted from when a doctor could first see them:
  // call - max(arrival, the first doctor's start after the late start). The
  // part of the wait that a place in the queue can change (a patient who
  // comes at 07:10 waits for the ward rounds whatever the queue does).
  WaitStats priority_from_start;
  double doctor_idle_minutes = 0;     // per day, summed over the doctors, within [doctor start, end)
  double overtime_minutes = 0;        // per day, last consultation end after `end`
  double demoted_per_day = 0;         // late appointments demoted
  double turned_away_per_day = 0;     // walk-ins refused (no walk-in capacity left)
  double noshow_per_day = 0;
  double too_late_per_day = 0;         // appointments arriving after the end: not seen
  double eta_mae_minutes = 0;         // |call - eta shown at check-in|
  double naive_mae_minutes = 0;       // |call - start of the booked/registered slot|
  std::vector<double> walkin_slot_mean;       // mean wait by registered slot (-1: nobody)
  std::vector<double> appointment_slot_mean;  // by booked slot
  std::int64_t days = 0;
  std::int64_t commands = 0;          // engine commands applied (for the benchmark)
  // The clinical flow, per day.
  double tests_per_day = 0;           // sent for tests
  double returned_per_day = 0;        // back from tests before the end (seen again)
  double tests_late_per_day = 0;      // back after the end: not seen again
  double inserted_per_day = 0;        // ticket_inserted events
  double overtaken_per_day = 0;       // ticket_overtaken events
  // The overtaking bound, checked on every day: the largest overtaken count
  // of any ticket (the engine's ticket_overtaken events), the days on which
  // it exceeded max_overtaken, and the days on which the staff view's
  // largest StaffTicket.overtaken disagreed with the events.
  std::int32_t max_overtaken_seen = 0;
  std::int64_t days_over_bound = 0;
  std::int64_t days_view_disagrees = 0;
};

// Runs `replications` days (replication r uses sub-streams of (seed, r)).
// Quotas must have one entry per slot; returns false with *error otherwise.
bool simulate(const Scenario& sc, const Quotas& q, std::int32_t replications, std::uint64_t seed,
              Metrics* out, std::string* error);

// Records the visits of `days` simulated days (weekdays from 2018-11-01 on)
// as a history that `queuecast plan` reads: one row per patient seen, with
// registration (check-in) time, call and consultation end.
bool simulate_history(const Scenario& sc, const Quotas& q, std::int32_t days, std::uint64_t seed,
                      std::vector<plan::Visit>* out, std::string* error);
// The history CSV (docs/planning.md) of `visits`.
std::string history_csv(const std::vector<plan::Visit>& visits);

}  // namespace qc::sim
