// The clinic-day simulator (planning/simulator.h): one day at a time through
// the real engine.
#include "planning/simulator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>

#include "planning/sim_random.h"

namespace qc::sim {

namespace {

constexpr Time kInf = std::numeric_limits<Time>::max();

// Days since 1970-01-01 of a civil date.
std::int64_t days_from_civil(std::chrono::year_month_day date) {
  return std::chrono::sys_days{date}.time_since_epoch().count();
}

// Every simulated day is Monday 2018-11-05 (local UTC+8): the engine only
// sees times, and a fresh engine per day.
constexpr std::int32_t kUtcOffset = 480;
const Time kMidnight = days_from_civil(std::chrono::year{2018} / 11 / 5) * kDay - Time{kUtcOffset} * kMinute;

Duration minutes(double m) { return static_cast<Duration>(std::llround(m * 60000.0)); }
double to_minutes(Duration d) { return static_cast<double>(d) / 60000.0; }

// The random "world" of one day; independent of the quotas (common random numbers).
struct World {
  std::vector<Time> walkins;              // registration times, sorted
  std::vector<Duration> appt_offset;      // arrival relative to the slot start
  std::vector<bool> appt_noshow;
  Duration late_start = 0;
};

World make_world(const Scenario& sc, std::uint64_t seed, std::int32_t rep) {
  World w;
  const std::int32_t m = sc.slots();
  Rng walk(mix_seed(seed, static_cast<std::uint64_t>(rep), 1));
  const double day_factor = walk.lognormal_mean_cv(1.0, sc.walkin_day_cv);
  for (std::int32_t p = 0; p <= m; ++p) {
    const double rate = sc.walkin_rate_per_minute[static_cast<std::size_t>(p)] * day_factor;
    const double a = p == 0 ? sc.registration_open_minute : sc.start_minute + (p - 1) * sc.slot_minutes;
    const double b = p == 0 ? sc.start_minute : a + sc.slot_minutes;
    if (!(rate > 0) || b <= a) continue;
    for (double t = a + walk.exponential(rate); t < b; t += walk.exponential(rate))
      w.walkins.push_back(kMidnight + minutes(t));
  }
  Rng appt(mix_seed(seed, static_cast<std::uint64_t>(rep), 2));
  const ArrivalBehaviour& ab = sc.arrival;
  for (std::int32_t j = 0; j < sc.appointments_per_day; ++j) {
    const double u = appt.uniform();
    const double early = appt.uniform(ab.early_min, ab.early_max);
    const double late = appt.uniform(ab.late_min, ab.late_max);
    const double around = appt.uniform(-ab.around_minutes, ab.around_minutes);
    const double off = u < ab.early_share ? -early : u < ab.early_share + ab.late_share ? late : around;
    w.appt_offset.push_back(minutes(off));
    w.appt_noshow.push_back(appt.bernoulli(sc.noshow_rate));
  }
  Rng ls(mix_seed(seed, static_cast<std::uint64_t>(rep), 3));
  w.late_start = minutes(std::max(0.0, sc.late_start_mean_minutes + sc.late_start_sd_minutes * ls.normal()));
  return w;
}

struct TicketInfo {
  std::string id;
  Time arrived = 0;
  Time eta = kNoTime;
  Time naive = 0;
  std::int32_t slot = 0;
  bool walkin = false;
};

struct Accumulator {
  explicit Accumulator(std::size_t slots)
      : walkin_slot_sum(slots, 0), appt_slot_sum(slots, 0), walkin_slot_n(slots, 0), appt_slot_n(slots, 0) {}
  std::vector<double> walkin_waits, appt_waits;
  std::vector<double> walkin_slot_sum, appt_slot_sum;
  std::vector<std::int64_t> walkin_slot_n, appt_slot_n;
  double idle = 0, overtime = 0, eta_err = 0, naive_err = 0;
  std::int64_t eta_n = 0, demoted = 0, turned_away = 0, noshows = 0, too_late = 0, commands = 0;
  std::vector<plan::Visit>* visits = nullptr;  // when recording a history
  std::int32_t date = 0;                       // YYYYMMDD of the day being recorded
};

WaitStats stats_of(std::vector<double>* v) {
  WaitStats s;
  s.n = static_cast<std::int64_t>(v->size());
  if (v->empty()) return s;
  double sum = 0;
  for (double x : *v) sum += x;
  s.mean = sum / static_cast<double>(v->size());
  std::sort(v->begin(), v->end());
  const std::size_t n = v->size();
  s.median = n % 2 ? (*v)[n / 2] : ((*v)[n / 2 - 1] + (*v)[n / 2]) / 2;
  const std::size_t rank = static_cast<std::size_t>(std::ceil(0.9 * static_cast<double>(n)));
  s.p90 = (*v)[std::max<std::size_t>(rank, 1) - 1];
  return s;
}

// Runs one day through a fresh engine. Returns false if the engine rejects
// the session (bad quotas).
bool run_day(const Scenario& sc, const Quotas& q, const World& w, std::uint64_t seed,
             std::int32_t rep, Accumulator* acc, std::string* error) {
  const std::int32_t m = sc.slots();
  const Time start = kMidnight + Time{sc.start_minute} * kMinute;
  const Time end = kMidnight + Time{sc.end_minute} * kMinute;
  const Time reg_open = kMidnight + Time{sc.registration_open_minute} * kMinute;
  const Duration slot_len = Time{sc.slot_minutes} * kMinute;
  auto slot_start = [&](std::int32_t s) { return start + s * slot_len; };

  Engine eng;
  std::vector<Event> ev;
  ev.reserve(8);
  std::string msg;
  Actor nurse{ActorKind::kNurse, "n1"};
  Actor system{};
  auto apply = [&](const CommandBody& body, const Actor& actor, Time now) {
    ev.clear();
    ++acc->commands;
    return eng.apply_into(Command{actor, body}, now, &ev, &msg);
  };

  SessionSpec sp;
  sp.session_id = "sim";
  sp.doctor_id = "doctor";
  sp.doctor_name = "Doctor";
  sp.room = "1";
  sp.area = "clinic";
  sp.start = start;
  sp.end = end;
  sp.registration_open = reg_open;
  sp.slot_minutes = sc.slot_minutes;
  sp.appointment_quota = q.appointment;
  sp.walkin_quota = q.walkin;
  sp.policy = sc.policy;
  sp.late_grace = Time{sc.late_grace_minutes} * kMinute;
  sp.utc_offset_minutes = kUtcOffset;
  sp.avg_consult_seed = minutes(sc.mean_consult_minutes());
  sp.first_call_delay = minutes(sc.first_call_delay());
  if (apply(CreateSession{sp}, Actor{ActorKind::kAdmin, "admin"}, kMidnight - kDay) != Error::kOk) {
    if (error) *error = "the engine rejected the session: " + msg;
    return false;
  }

  std::vector<TicketInfo> tickets;
  tickets.reserve(64);
  struct Arrival {
    Time t;
    std::int32_t kind;  // 0 appointment check-in, 1 walk-in
    std::int32_t index;  // ticket index (appointments) or walk-in number
  };
  std::vector<Arrival> arrivals;
  arrivals.reserve(w.walkins.size() + w.appt_offset.size());

  // Bookings the day before: earliest slot with A left.
  std::vector<std::int32_t> a_left = q.appointment;
  for (std::size_t j = 0; j < w.appt_offset.size(); ++j) {
    std::int32_t slot = 0;
    while (slot < m && a_left[static_cast<std::size_t>(slot)] <= 0) ++slot;
    if (slot == m) break;  // no appointment capacity left
    --a_left[static_cast<std::size_t>(slot)];
    Book b;
    b.session_id = "sim";
    b.slot = slot;
    b.patient_ref = "a" + std::to_string(j);
    if (apply(b, Actor{ActorKind::kChannel, "web"}, kMidnight - kDay + static_cast<Time>(j + 1) * kSecond) !=
        Error::kOk)
      continue;
    TicketInfo t;
    for (const Event& e : ev)
      if (e.type == EventType::kTicketBooked) t.id = e.ticket_id;
    t.slot = slot;
    tickets.push_back(std::move(t));
    if (w.appt_noshow[j]) {
      ++acc->noshows;
      continue;
    }
    Time at = std::max(slot_start(slot) + w.appt_offset[j], reg_open);
    if (at >= end) {  // too late to check in: the session is over, gone home
      ++acc->too_late;
      continue;
    }
    arrivals.push_back({at, 0, static_cast<std::int32_t>(tickets.size() - 1)});
  }
  apply(Tick{}, system, kMidnight);  // walk-in conversion of unbooked A
  for (std::size_t i = 0; i < w.walkins.size(); ++i)
    arrivals.push_back({w.walkins[i], 1, static_cast<std::int32_t>(i)});
  std::sort(arrivals.begin(), arrivals.end(), [](const Arrival& a, const Arrival& b) {
    if (a.t != b.t) return a.t < b.t;
    if (a.kind != b.kind) return a.kind < b.kind;
    return a.index < b.index;
  });

  Rng consult(mix_seed(seed, static_cast<std::uint64_t>(rep), 4));
  const Time doctor_start = start + w.late_start;
  Time ready = doctor_start;  // the doctor can call the next patient from then
  Time clock = kMidnight;
  std::int32_t waiting = 0;
  bool has_called = false;
  std::string called_id;
  std::size_t ai = 0;
  auto idle_between = [&](Time a, Time b) {
    a = std::max(a, doctor_start);
    b = std::min(b, end);
    if (b > a) acc->idle += to_minutes(b - a);
  };
  auto finish_consult = [&]() {
    // Nobody waiting when the consultation ended: the doctor completes it.
    if (has_called) {
      CommandBody c = Complete{called_id};
      apply(c, nurse, std::max(ready, clock));
      has_called = false;
    }
  };

  while (true) {
    const Time next_arrival = ai < arrivals.size() ? arrivals[ai].t : kInf;
    if (waiting > 0) {
      const Time call_at = std::max(ready, clock);
      if (next_arrival > call_at) {
        if (apply(CallNext{"sim"}, nurse, call_at) != Error::kOk) break;
        for (const Event& e : ev) {
          if (e.type != EventType::kTicketCalled) continue;
          auto it = std::find_if(tickets.begin(), tickets.end(),
                                 [&](const TicketInfo& t) { return t.id == e.ticket_id; });
          if (it == tickets.end()) continue;
          const double wait = to_minutes(call_at - it->arrived);
          const std::size_t s = static_cast<std::size_t>(it->slot);
          if (it->walkin) {
            acc->walkin_waits.push_back(wait);
            acc->walkin_slot_sum[s] += wait;
            ++acc->walkin_slot_n[s];
          } else {
            acc->appt_waits.push_back(wait);
            acc->appt_slot_sum[s] += wait;
            ++acc->appt_slot_n[s];
          }
          if (it->eta != kNoTime) {
            acc->eta_err += to_minutes(std::llabs(call_at - it->eta));
            acc->naive_err += to_minutes(std::llabs(call_at - it->naive));
            ++acc->eta_n;
          }
          called_id = it->id;
          has_called = true;
        }
        --waiting;
        idle_between(ready, call_at);
        const std::int32_t s = std::clamp<std::int32_t>(
            static_cast<std::int32_t>((call_at - start) / slot_len), 0, m - 1);
        const double mean = sc.consult_mean_minutes[static_cast<std::size_t>(s)];
        ready = call_at + std::max<Duration>(kSecond, minutes(consult.lognormal_mean_cv(mean, sc.consult_cv)));
        if (acc->visits && has_called) {
          const TicketInfo& t = *std::find_if(tickets.begin(), tickets.end(),
                                              [&](const TicketInfo& x) { return x.id == called_id; });
          plan::Visit v;
          v.date = acc->date;
          v.kind = t.walkin ? plan::VisitKind::kWalkIn : plan::VisitKind::kAppointment;
          v.registration = static_cast<std::int32_t>((t.arrived - kMidnight) / kSecond);
          v.call = static_cast<std::int32_t>((call_at - kMidnight) / kSecond);
          v.end = static_cast<std::int32_t>((ready - kMidnight) / kSecond);
          if (v.end < 24 * 3600) acc->visits->push_back(v);
        }
        clock = call_at;
        continue;
      }
    }
    if (next_arrival == kInf) break;
    const Arrival a = arrivals[ai++];
    if (waiting == 0 && has_called && ready <= a.t) finish_consult();
    clock = a.t;
    std::int32_t ticket = -1;
    if (a.kind == 1) {
      RegisterWalkIn r;
      r.session_id = "sim";
      r.patient_ref = "w" + std::to_string(a.index);
      if (apply(r, Actor{ActorKind::kKiosk, "k1"}, a.t) != Error::kOk) {
        ++acc->turned_away;
        continue;
      }
      TicketInfo t;
      t.walkin = true;
      for (const Event& e : ev) {
        if (e.type == EventType::kWalkInRegistered) {
          t.id = e.ticket_id;
          t.slot = e.slot;
        }
      }
      tickets.push_back(std::move(t));
      ticket = static_cast<std::int32_t>(tickets.size() - 1);
    } else {
      ticket = a.index;
      if (apply(CheckIn{tickets[static_cast<std::size_t>(ticket)].id}, Actor{ActorKind::kKiosk, "k1"}, a.t) !=
          Error::kOk)
        continue;
      for (const Event& e : ev)
        if (e.type == EventType::kCheckedIn && e.placement == Placement::kDemoted) ++acc->demoted;
    }
    TicketInfo& t = tickets[static_cast<std::size_t>(ticket)];
    t.arrived = a.t;
    t.naive = slot_start(t.slot);  // what a paper ticket says: "your slot starts at ..."
    if (auto pv = eng.patient_view(t.id, a.t)) t.eta = pv->eta;
    ++waiting;
  }
  finish_consult();
  idle_between(ready, end);
  if (ready > end) acc->overtime += to_minutes(ready - end);
  return true;
}

}  // namespace

std::int32_t Scenario::slots() const {
  if (slot_minutes <= 0 || end_minute <= start_minute) return 0;
  return (end_minute - start_minute) / slot_minutes;
}

std::string Scenario::validate() const {
  if (slot_minutes <= 0) return "slotMinutes must be positive";
  if (start_minute < 0 || end_minute > 24 * 60 || end_minute <= start_minute)
    return "start and end must lie within the day, end after start";
  if ((end_minute - start_minute) % slot_minutes != 0) return "slotMinutes must divide the service period";
  if (registration_open_minute < 0 || registration_open_minute > start_minute)
    return "registration must open at or before the start";
  const std::size_t m = static_cast<std::size_t>(slots());
  if (m > 96) return "too many slots (at most 96)";
  if (walkin_rate_per_minute.size() != m + 1)
    return "walkinRatePerMinute needs " + std::to_string(m + 1) +
           " entries (the period before the start, then one per slot)";
  for (double r : walkin_rate_per_minute)
    if (!(r >= 0) || r > 100) return "walk-in rates must be between 0 and 100 per minute";
  if (consult_mean_minutes.size() != m)
    return "consultMeanMinutes needs " + std::to_string(m) + " entries (one per slot)";
  for (double c : consult_mean_minutes)
    if (!(c >= 0.1) || c > 600) return "consultation means must be between 0.1 and 600 minutes";
  if (appointments_per_day < 0 || appointments_per_day > 10000) return "appointmentsPerDay out of range";
  if (walkin_capacity < 0 || walkin_capacity > 10000) return "walkinCapacity out of range";
  if (!(noshow_rate >= 0 && noshow_rate <= 1)) return "noShowRate must be between 0 and 1";
  const ArrivalBehaviour& a = arrival;
  if (!(a.early_share >= 0 && a.late_share >= 0 && a.early_share + a.late_share <= 1))
    return "early and late shares must be >= 0 and sum to at most 1";
  if (!(a.early_min >= 0 && a.early_min <= a.early_max && a.late_min >= 0 && a.late_min <= a.late_max &&
        a.around_minutes >= 0 && a.early_max <= 1440 && a.late_max <= 1440 && a.around_minutes <= 1440))
    return "arrival minutes must satisfy 0 <= min <= max <= 1440";
  if (!(consult_cv >= 0 && consult_cv <= 10)) return "consultCv must be between 0 and 10";
  if (!(walkin_day_cv >= 0 && walkin_day_cv <= 10)) return "walkinDayCv must be between 0 and 10";
  if (!(late_start_mean_minutes >= 0 && late_start_mean_minutes <= 1440 && late_start_sd_minutes >= 0 &&
        late_start_sd_minutes <= 1440))
    return "late start figures must be between 0 and 1440 minutes";
  if (late_grace_minutes < 0 || late_grace_minutes > 1440) return "lateGraceMinutes out of range";
  if (!(max_appointment_wait_increase_minutes >= 0)) return "maxAppointmentWaitIncreaseMinutes must be >= 0";
  if (!std::isfinite(first_slot_seen)) return "firstSlotSeen must be a number";
  if (!(first_call_delay_minutes == -1 || (first_call_delay_minutes >= 0 && first_call_delay_minutes <= 1440)))
    return "firstCallDelayMinutes must be -1 (the late start mean) or between 0 and 1440";
  return {};
}

double Scenario::first_call_delay() const {
  return first_call_delay_minutes >= 0 ? first_call_delay_minutes : late_start_mean_minutes;
}

double Scenario::mean_consult_minutes() const {
  if (consult_mean_minutes.empty()) return 10;
  double s = 0;
  for (double c : consult_mean_minutes) s += c;
  return s / static_cast<double>(consult_mean_minutes.size());
}

plan::PlanInput Scenario::plan_input() const {
  plan::PlanInput in;
  in.slot_minutes = slot_minutes;
  const std::int32_t m = slots();
  for (std::int32_t i = 0; i < m; ++i) {
    double expected = walkin_rate_per_minute[static_cast<std::size_t>(i) + 1] * slot_minutes;
    if (i == 0) expected += walkin_rate_per_minute[0] * (start_minute - registration_open_minute);
    in.walkin_arrivals.push_back(static_cast<std::int32_t>(std::floor(expected + 0.5 + 1e-9)));
    in.mean_consult_minutes.push_back(consult_mean_minutes[static_cast<std::size_t>(i)]);
    in.actual_seen.push_back(i == 0 ? first_slot_seen : -1);
  }
  in.carry_backlog = carry_backlog;
  return in;
}

bool simulate(const Scenario& sc, const Quotas& q, std::int32_t replications, std::uint64_t seed,
              Metrics* out, std::string* error) {
  if (std::string v = sc.validate(); !v.empty()) {
    if (error) *error = v;
    return false;
  }
  const std::size_t m = static_cast<std::size_t>(sc.slots());
  if (q.appointment.size() != m || q.walkin.size() != m) {
    if (error) *error = "quotas must have one entry per slot";
    return false;
  }
  if (replications < 1) {
    if (error) *error = "replications must be at least 1";
    return false;
  }
  Accumulator acc(m);
  for (std::int32_t r = 0; r < replications; ++r) {
    const World w = make_world(sc, seed, r);
    if (!run_day(sc, q, w, seed, r, &acc, error)) return false;
  }
  Metrics mt;
  mt.days = replications;
  mt.walkin = stats_of(&acc.walkin_waits);
  mt.appointment = stats_of(&acc.appt_waits);
  const double days = replications;
  mt.doctor_idle_minutes = acc.idle / days;
  mt.overtime_minutes = acc.overtime / days;
  mt.demoted_per_day = static_cast<double>(acc.demoted) / days;
  mt.turned_away_per_day = static_cast<double>(acc.turned_away) / days;
  mt.noshow_per_day = static_cast<double>(acc.noshows) / days;
  mt.too_late_per_day = static_cast<double>(acc.too_late) / days;
  if (acc.eta_n > 0) {
    mt.eta_mae_minutes = acc.eta_err / static_cast<double>(acc.eta_n);
    mt.naive_mae_minutes = acc.naive_err / static_cast<double>(acc.eta_n);
  }
  for (std::size_t s = 0; s < m; ++s) {
    mt.walkin_slot_mean.push_back(acc.walkin_slot_n[s] ? acc.walkin_slot_sum[s] / acc.walkin_slot_n[s] : -1);
    mt.appointment_slot_mean.push_back(acc.appt_slot_n[s] ? acc.appt_slot_sum[s] / acc.appt_slot_n[s] : -1);
  }
  mt.commands = acc.commands;
  *out = std::move(mt);
  return true;
}

bool simulate_history(const Scenario& sc, const Quotas& q, std::int32_t days, std::uint64_t seed,
                      std::vector<plan::Visit>* out, std::string* error) {
  if (std::string v = sc.validate(); !v.empty()) {
    if (error) *error = v;
    return false;
  }
  const std::size_t m = static_cast<std::size_t>(sc.slots());
  if (q.appointment.size() != m || q.walkin.size() != m || days < 1) {
    if (error) *error = days < 1 ? "days must be at least 1" : "quotas must have one entry per slot";
    return false;
  }
  Accumulator acc(m);
  out->clear();
  acc.visits = out;
  // Weekdays from Thursday 2018-11-01 on.
  std::int64_t day = days_from_civil(std::chrono::year{2018} / 11 / 1);
  for (std::int32_t r = 0; r < days; ++r, ++day) {
    while ((day + 4) % 7 == 0 || (day + 4) % 7 == 6) ++day;  // skip Sunday (0) and Saturday (6)
    const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
    acc.date = static_cast<std::int32_t>(static_cast<int>(ymd.year()) * 10000 +
                                         static_cast<int>(static_cast<unsigned>(ymd.month())) * 100 +
                                         static_cast<int>(static_cast<unsigned>(ymd.day())));
    const World w = make_world(sc, seed, r);
    if (!run_day(sc, q, w, seed, r, &acc, error)) return false;
  }
  std::stable_sort(out->begin(), out->end(), [](const plan::Visit& a, const plan::Visit& b) {
    return a.date != b.date ? a.date < b.date : a.registration < b.registration;
  });
  return true;
}

std::string history_csv(const std::vector<plan::Visit>& visits) {
  auto clock = [](std::int32_t s) {
    char b[32];
    std::snprintf(b, sizeof b, "%02d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    return std::string(b);
  };
  std::string o = "date,kind,registration,call,end\n";
  for (const plan::Visit& v : visits) {
    char date[32];
    std::snprintf(date, sizeof date, "%04d-%02d-%02d", v.date / 10000, v.date / 100 % 100, v.date % 100);
    o += date;
    o += v.kind == plan::VisitKind::kWalkIn ? ",walk_in," : ",appointment,";
    o += clock(v.registration) + ",";
    if (v.call >= 0) o += clock(v.call) + "," + clock(v.end);
    else o += ",";
    o += "\n";
  }
  return o;
}

}  // namespace qc::sim
