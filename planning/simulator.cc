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

// What one patient brings beyond the arrival time: whether they carry a
// priority reason, whether the doctor will send them for tests and for how
// long, which doctor they would pick (separate queues). Drawn for every
// patient whatever the shares (so a scenario with and without a priority
// lane, or with other shares, sees the same patients).
struct PatientDraws {
  double priority = 1, tests = 1, tests_minutes = 0, doctor = 0;  // uniforms in [0, 1)
};

// The random "world" of one day; independent of the quotas (common random numbers).
struct World {
  std::vector<Time> walkins;              // registration times, sorted
  std::vector<Duration> appt_offset;      // arrival relative to the slot start
  std::vector<bool> appt_noshow;
  std::vector<Duration> late_start;       // per doctor (room)
  std::vector<PatientDraws> walkin_draws, appt_draws;
};

PatientDraws draw_patient(Rng& r) {
  PatientDraws d;
  d.priority = r.uniform();
  d.tests = r.uniform();
  d.tests_minutes = r.uniform();
  d.doctor = r.uniform();
  return d;
}

World make_world(const Scenario& sc, std::uint64_t seed, std::int32_t rep) {
  World w;
  const std::int32_t m = sc.slots();
  const std::uint64_t r = static_cast<std::uint64_t>(rep);
  Rng walk(mix_seed(seed, r, 1));
  const double day_factor = walk.lognormal_mean_cv(1.0, sc.walkin_day_cv);
  for (std::int32_t p = 0; p <= m; ++p) {
    const double rate = sc.walkin_rate_per_minute[static_cast<std::size_t>(p)] * day_factor;
    const double a = p == 0 ? sc.registration_open_minute : sc.start_minute + (p - 1) * sc.slot_minutes;
    const double b = p == 0 ? sc.start_minute : a + sc.slot_minutes;
    if (!(rate > 0) || b <= a) continue;
    for (double t = a + walk.exponential(rate); t < b; t += walk.exponential(rate))
      w.walkins.push_back(kMidnight + minutes(t));
  }
  Rng appt(mix_seed(seed, r, 2));
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
  // Doctor 1's late start from sub-stream 3 (as with one doctor), the others' from 7.
  Rng ls(mix_seed(seed, r, 3)), ls_more(mix_seed(seed, r, 7));
  for (std::int32_t d = 0; d < sc.rooms; ++d) {
    Rng& g = d == 0 ? ls : ls_more;
    w.late_start.push_back(minutes(std::max(0.0, sc.late_start_mean_minutes + sc.late_start_sd_minutes * g.normal())));
  }
  Rng wd(mix_seed(seed, r, 5)), ad(mix_seed(seed, r, 6));
  for (std::size_t i = 0; i < w.walkins.size(); ++i) w.walkin_draws.push_back(draw_patient(wd));
  for (std::int32_t j = 0; j < sc.appointments_per_day; ++j) w.appt_draws.push_back(draw_patient(ad));
  return w;
}

struct TicketInfo {
  std::string id;
  Time arrived = 0;
  Time eta = kNoTime;
  Time naive = 0;
  std::int32_t slot = 0;
  std::int32_t queue = 0;        // the session (separate queues: the doctor's)
  bool walkin = false;
  bool priority = false;         // carries a priority reason (told to the engine or not)
  bool tests = false;            // the doctor sends them for tests after the first consultation
  bool back = false;             // back from tests, waiting for (or in) the second consultation
  Duration tests_duration = 0;
  Time returned_at = 0;
};

struct Accumulator {
  explicit Accumulator(std::size_t slots)
      : walkin_slot_sum(slots, 0), appt_slot_sum(slots, 0), walkin_slot_n(slots, 0), appt_slot_n(slots, 0) {}
  std::vector<double> walkin_waits, appt_waits, priority_waits, non_priority_waits, returning_waits;
  std::vector<double> priority_from_start;
  std::vector<double> walkin_slot_sum, appt_slot_sum;
  std::vector<std::int64_t> walkin_slot_n, appt_slot_n;
  double idle = 0, overtime = 0, eta_err = 0, naive_err = 0;
  std::int64_t eta_n = 0, demoted = 0, turned_away = 0, noshows = 0, too_late = 0, commands = 0;
  std::int64_t tests = 0, returned = 0, tests_late = 0, inserted = 0, overtaken = 0;
  std::int32_t max_overtaken = 0;
  std::int64_t days_over_bound = 0, days_view_disagrees = 0;
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

// Quota `v` split over `parts` sessions: session `k` gets its share of
// every slot (remainders to the first sessions).
std::vector<std::int32_t> share_of(const std::vector<std::int32_t>& v, std::int32_t parts, std::int32_t k) {
  std::vector<std::int32_t> out;
  for (std::int32_t x : v) out.push_back(x / parts + (k < x % parts ? 1 : 0));
  return out;
}

constexpr const char kPriorityCode[] = "elderly";

// Runs one day through a fresh engine. Returns false if the engine rejects
// the session (bad quotas) or a flow command it must accept.
bool run_day(const Scenario& sc, const Quotas& q, const World& w, std::uint64_t seed,
             std::int32_t rep, Accumulator* acc, std::string* error) {
  const std::int32_t m = sc.slots();
  const Time start = kMidnight + Time{sc.start_minute} * kMinute;
  const Time end = kMidnight + Time{sc.end_minute} * kMinute;
  const Time reg_open = kMidnight + Time{sc.registration_open_minute} * kMinute;
  const Duration slot_len = Time{sc.slot_minutes} * kMinute;
  auto slot_start = [&](std::int32_t s) { return start + s * slot_len; };
  const std::int32_t n_rooms = sc.rooms;
  // One session for all rooms, or one per room.
  const std::int32_t n_queues = sc.separate_queues ? n_rooms : 1;
  const bool lane = sc.priority_lane;

  Engine eng;
  std::vector<Event> ev;
  ev.reserve(16);
  std::string msg;
  Actor nurse{ActorKind::kNurse, "n1"};
  Actor kiosk{ActorKind::kKiosk, "k1"};
  Actor system{};
  std::int32_t day_overtaken = 0;  // the largest overtaken count of the day (events)
  auto apply = [&](const CommandBody& body, const Actor& actor, Time now) {
    ev.clear();
    ++acc->commands;
    const Error e = eng.apply_into(Command{actor, body}, now, &ev, &msg);
    for (const Event& x : ev) {
      if (x.type == EventType::kTicketOvertaken) {
        ++acc->overtaken;
        day_overtaken = std::max(day_overtaken, x.count);
      } else if (x.type == EventType::kTicketInserted) {
        ++acc->inserted;
      }
    }
    return e;
  };
  auto refused = [&](const char* what, const std::string& ticket) {
    if (error) *error = std::string("the engine refused ") + what + " of " + ticket + ": " + msg;
    return false;
  };

  std::vector<std::string> session_ids;
  for (std::int32_t k = 0; k < n_queues; ++k) {
    SessionSpec sp;
    sp.session_id = n_queues == 1 ? "sim" : "sim-" + std::to_string(k + 1);
    sp.doctor_id = "doctor";
    sp.doctor_name = "Doctor";
    sp.room = std::to_string(k + 1);
    if (n_queues == 1 && n_rooms > 1)
      for (std::int32_t r = 0; r < n_rooms; ++r) sp.rooms.push_back(std::to_string(r + 1));
    sp.area = "clinic";
    sp.start = start;
    sp.end = end;
    sp.registration_open = reg_open;
    sp.slot_minutes = sc.slot_minutes;
    sp.appointment_quota = n_queues == 1 ? q.appointment : share_of(q.appointment, n_queues, k);
    sp.walkin_quota = n_queues == 1 ? q.walkin : share_of(q.walkin, n_queues, k);
    sp.policy = sc.policy;
    sp.late_grace = Time{sc.late_grace_minutes} * kMinute;
    sp.utc_offset_minutes = kUtcOffset;
    sp.avg_consult_seed = minutes(sc.mean_consult_minutes());
    sp.first_call_delay = minutes(sc.first_call_delay());
    sp.priority_after = sc.priority_after;
    sp.return_after = sc.return_after;
    sp.max_overtaken = sc.max_overtaken;
    if (apply(CreateSession{sp}, Actor{ActorKind::kAdmin, "admin"}, kMidnight - kDay) != Error::kOk) {
      if (error) *error = "the engine rejected the session: " + msg;
      return false;
    }
    session_ids.push_back(sp.session_id);
  }
  // The doctor a patient picks (separate queues), then the others in turn.
  auto first_queue = [&](const PatientDraws& d) {
    return std::min(n_queues - 1, static_cast<std::int32_t>(d.doctor * n_queues));
  };
  auto fill = [&](TicketInfo* t, const PatientDraws& d, double priority_share) {
    t->priority = d.priority < priority_share;
    t->tests = d.tests < sc.tests_share;
    t->tests_duration = minutes(sc.tests_min_minutes + (sc.tests_max_minutes - sc.tests_min_minutes) * d.tests_minutes);
  };

  std::vector<TicketInfo> tickets;
  tickets.reserve(64);
  struct Arrival {
    Time t;
    std::int32_t kind;  // 0 appointment check-in, 1 walk-in
    std::int32_t index;  // ticket index (appointments) or walk-in number
  };
  std::vector<Arrival> arrivals;
  arrivals.reserve(w.walkins.size() + w.appt_offset.size());

  // Bookings the day before: earliest slot with A left (at the doctor the
  // patient picked, else the next one).
  std::vector<std::vector<std::int32_t>> a_left;
  for (std::int32_t k = 0; k < n_queues; ++k)
    a_left.push_back(n_queues == 1 ? q.appointment : share_of(q.appointment, n_queues, k));
  for (std::size_t j = 0; j < w.appt_offset.size(); ++j) {
    const PatientDraws& d = w.appt_draws[j];
    std::int32_t queue = -1, slot = 0;
    for (std::int32_t i = 0; i < n_queues && queue < 0; ++i) {
      const std::int32_t k = (first_queue(d) + i) % n_queues;
      slot = 0;
      while (slot < m && a_left[static_cast<std::size_t>(k)][static_cast<std::size_t>(slot)] <= 0) ++slot;
      if (slot < m) queue = k;
    }
    if (queue < 0) break;  // no appointment capacity left
    --a_left[static_cast<std::size_t>(queue)][static_cast<std::size_t>(slot)];
    TicketInfo t;
    fill(&t, d, sc.priority_appointment_share);
    Book b;
    b.session_id = session_ids[static_cast<std::size_t>(queue)];
    b.slot = slot;
    b.patient_ref = "a" + std::to_string(j);
    if (lane && t.priority) b.priority = kPriorityCode;
    if (apply(b, Actor{ActorKind::kChannel, "web"}, kMidnight - kDay + static_cast<Time>(j + 1) * kSecond) !=
        Error::kOk)
      continue;
    for (const Event& e : ev)
      if (e.type == EventType::kTicketBooked) t.id = e.ticket_id;
    t.slot = slot;
    t.queue = queue;
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
  auto ticket_index = [&](const std::string& id) {
    for (std::size_t i = 0; i < tickets.size(); ++i)
      if (tickets[i].id == id) return static_cast<std::int32_t>(i);
    return std::int32_t{-1};
  };

  Rng consult(mix_seed(seed, static_cast<std::uint64_t>(rep), 4));
  struct Doctor {
    Time start = 0;           // after the late start
    Time ready = 0;           // free to call the next patient from then
    std::int32_t called = -1;  // ticket index of the patient in the room
    bool to_tests = false;     // the patient in the room goes for tests at `ready`
    std::int32_t queue = 0;
    std::string room;          // call_next's room ("" with one room per session)
  };
  std::vector<Doctor> doctors(static_cast<std::size_t>(n_rooms));
  for (std::int32_t r = 0; r < n_rooms; ++r) {
    Doctor& d = doctors[static_cast<std::size_t>(r)];
    d.start = d.ready = start + w.late_start[static_cast<std::size_t>(r)];
    d.queue = n_queues == 1 ? 0 : r;
    d.room = n_queues == 1 && n_rooms > 1 ? std::to_string(r + 1) : std::string();
  }
  Time first_start = kInf;
  for (const Doctor& d : doctors) first_start = std::min(first_start, d.start);
  // Patients at tests: (return time, ticket index), earliest first.
  std::vector<std::pair<Time, std::int32_t>> at_tests;
  Time clock = kMidnight;
  std::vector<std::int32_t> waiting(static_cast<std::size_t>(n_queues), 0);
  std::size_t ai = 0;
  auto idle_between = [&](const Doctor& d, Time a, Time b) {
    a = std::max(a, d.start);
    b = std::min(b, end);
    if (b > a) acc->idle += to_minutes(b - a);
  };
  // A doctor whose consultation has ended and who has nobody to call
  // completes it (otherwise the next call_next does).
  auto finish_idle_consults = [&](Time t, bool all) {
    for (Doctor& d : doctors) {
      if (d.called < 0 || d.to_tests) continue;
      if (!all && (d.ready > t || waiting[static_cast<std::size_t>(d.queue)] > 0)) continue;
      apply(Complete{tickets[static_cast<std::size_t>(d.called)].id}, nurse, std::max(d.ready, clock));
      d.called = -1;
    }
  };

  while (true) {
    const Time next_arrival = ai < arrivals.size() ? arrivals[ai].t : kInf;
    const Time next_return = at_tests.empty() ? kInf : at_tests.front().first;
    // A consultation that ends in tests: the doctor sends the patient.
    Doctor* sender = nullptr;
    for (Doctor& d : doctors)
      if (d.to_tests && (!sender || d.ready < sender->ready)) sender = &d;
    // The doctor who can call first.
    Doctor* caller = nullptr;
    Time call_at = kInf;
    for (Doctor& d : doctors) {
      if (d.to_tests || waiting[static_cast<std::size_t>(d.queue)] == 0) continue;
      const Time t = std::max(d.ready, clock);
      if (t < call_at) caller = &d, call_at = t;
    }
    const Time next_entry = std::min(next_arrival, next_return);
    if (sender && sender->ready <= std::min(next_entry, call_at)) {
      TicketInfo& t = tickets[static_cast<std::size_t>(sender->called)];
      clock = std::max(clock, sender->ready);
      if (apply(SendForTests{t.id}, nurse, clock) != Error::kOk) return refused("send_for_tests", t.id);
      ++acc->tests;
      t.back = true;
      at_tests.emplace_back(clock + t.tests_duration, sender->called);
      std::sort(at_tests.begin(), at_tests.end());
      sender->called = -1;
      sender->to_tests = false;
      continue;
    }
    if (caller && next_entry > call_at) {
      const std::size_t qi = static_cast<std::size_t>(caller->queue);
      if (apply(CallNext{session_ids[qi], caller->room}, nurse, call_at) != Error::kOk) break;
      caller->called = -1;
      for (const Event& e : ev) {
        if (e.type != EventType::kTicketCalled) continue;
        const std::int32_t idx = ticket_index(e.ticket_id);
        if (idx < 0) continue;
        const TicketInfo& t = tickets[static_cast<std::size_t>(idx)];
        caller->called = idx;
        if (t.back) {
          acc->returning_waits.push_back(to_minutes(call_at - t.returned_at));
          continue;
        }
        const double wait = to_minutes(call_at - t.arrived);
        const std::size_t s = static_cast<std::size_t>(t.slot);
        if (t.walkin) {
          acc->walkin_waits.push_back(wait);
          acc->walkin_slot_sum[s] += wait;
          ++acc->walkin_slot_n[s];
        } else {
          acc->appt_waits.push_back(wait);
          acc->appt_slot_sum[s] += wait;
          ++acc->appt_slot_n[s];
        }
        (t.priority ? acc->priority_waits : acc->non_priority_waits).push_back(wait);
        if (t.priority) acc->priority_from_start.push_back(to_minutes(call_at - std::max(t.arrived, first_start)));
        if (t.eta != kNoTime) {
          acc->eta_err += to_minutes(std::llabs(call_at - t.eta));
          acc->naive_err += to_minutes(std::llabs(call_at - t.naive));
          ++acc->eta_n;
        }
      }
      --waiting[qi];
      idle_between(*caller, caller->ready, call_at);
      const std::int32_t s = std::clamp<std::int32_t>(
          static_cast<std::int32_t>((call_at - start) / slot_len), 0, m - 1);
      const TicketInfo* called = caller->called >= 0 ? &tickets[static_cast<std::size_t>(caller->called)] : nullptr;
      const double mean = called && called->back && sc.return_consult_mean_minutes > 0
                              ? sc.return_consult_mean_minutes
                              : sc.consult_mean_minutes[static_cast<std::size_t>(s)];
      caller->ready = call_at + std::max<Duration>(kSecond, minutes(consult.lognormal_mean_cv(mean, sc.consult_cv)));
      caller->to_tests = called && called->tests && !called->back;
      if (acc->visits && called && !called->back) {  // first consultations only
        plan::Visit v;
        v.date = acc->date;
        v.kind = called->walkin ? plan::VisitKind::kWalkIn : plan::VisitKind::kAppointment;
        v.registration = static_cast<std::int32_t>((called->arrived - kMidnight) / kSecond);
        v.call = static_cast<std::int32_t>((call_at - kMidnight) / kSecond);
        v.end = static_cast<std::int32_t>((caller->ready - kMidnight) / kSecond);
        if (v.end < 24 * 3600) acc->visits->push_back(v);
      }
      clock = call_at;
      continue;
    }
    if (next_entry == kInf) break;
    if (next_return <= next_arrival) {  // back from tests
      const std::int32_t idx = at_tests.front().second;
      at_tests.erase(at_tests.begin());
      finish_idle_consults(next_return, false);
      clock = next_return;
      TicketInfo& t = tickets[static_cast<std::size_t>(idx)];
      if (clock >= end) {  // the session is over (the engine refuses it): not seen again
        ++acc->tests_late;
        continue;
      }
      if (apply(ReturnFromTests{t.id}, kiosk, clock) != Error::kOk) return refused("return_from_tests", t.id);
      ++acc->returned;
      t.returned_at = clock;
      ++waiting[static_cast<std::size_t>(t.queue)];
      continue;
    }
    const Arrival a = arrivals[ai++];
    finish_idle_consults(a.t, false);
    clock = a.t;
    std::int32_t ticket = -1;
    if (a.kind == 1) {
      const PatientDraws& d = w.walkin_draws[static_cast<std::size_t>(a.index)];
      TicketInfo t;
      t.walkin = true;
      fill(&t, d, sc.priority_walkin_share);
      RegisterWalkIn r;
      r.patient_ref = "w" + std::to_string(a.index);
      if (lane && t.priority) r.priority = kPriorityCode;
      bool ok = false;
      for (std::int32_t i = 0; i < n_queues && !ok; ++i) {
        t.queue = (first_queue(d) + i) % n_queues;
        r.session_id = session_ids[static_cast<std::size_t>(t.queue)];
        ok = apply(r, kiosk, a.t) == Error::kOk;
      }
      if (!ok) {
        ++acc->turned_away;
        continue;
      }
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
      if (apply(CheckIn{tickets[static_cast<std::size_t>(ticket)].id}, kiosk, a.t) != Error::kOk) continue;
      for (const Event& e : ev)
        if (e.type == EventType::kCheckedIn && e.placement == Placement::kDemoted) ++acc->demoted;
    }
    TicketInfo& t = tickets[static_cast<std::size_t>(ticket)];
    t.arrived = a.t;
    t.naive = slot_start(t.slot);  // what a paper ticket says: "your slot starts at ..."
    if (auto pv = eng.patient_view(t.id, a.t)) t.eta = pv->eta;
    ++waiting[static_cast<std::size_t>(t.queue)];
  }
  finish_idle_consults(clock, true);
  Time last = 0;
  for (const Doctor& d : doctors) {
    idle_between(d, d.ready, end);
    last = std::max(last, d.ready);
  }
  if (last > end) acc->overtime += to_minutes(last - end);
  // The overtaking bound, from the events and from the staff view.
  std::int32_t view_max = 0;
  for (const std::string& sid : session_ids)
    if (auto sv = eng.staff_view(sid, clock))
      for (const StaffTicket& st : sv->tickets) view_max = std::max(view_max, st.overtaken);
  if (view_max != day_overtaken) ++acc->days_view_disagrees;
  if (day_overtaken > sc.max_overtaken) ++acc->days_over_bound;
  acc->max_overtaken = std::max({acc->max_overtaken, day_overtaken, view_max});
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
  if (rooms < 1 || rooms > static_cast<std::int32_t>(kMaxRooms))
    return "rooms must be between 1 and " + std::to_string(kMaxRooms);
  if (!(priority_walkin_share >= 0 && priority_walkin_share <= 1))
    return "priorityWalkinShare must be between 0 and 1";
  if (!(priority_appointment_share >= 0 && priority_appointment_share <= 1))
    return "priorityAppointmentShare must be between 0 and 1";
  if (!(tests_share >= 0 && tests_share <= 1)) return "testsShare must be between 0 and 1";
  if (!(tests_min_minutes >= 0 && tests_min_minutes <= tests_max_minutes && tests_max_minutes <= 1440))
    return "testsMinMinutes and testsMaxMinutes must satisfy 0 <= min <= max <= 1440";
  if (!(return_consult_mean_minutes == 0 ||
        (return_consult_mean_minutes >= 0.1 && return_consult_mean_minutes <= 600)))
    return "returnConsultMeanMinutes must be 0 (the slot's mean) or between 0.1 and 600";
  for (auto [name, v] : {std::pair{"priorityAfter", priority_after}, std::pair{"returnAfter", return_after},
                         std::pair{"maxOvertaken", max_overtaken}})
    if (v < 0 || v > 1000) return std::string(name) + " must be between 0 and 1000";
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
  in.rooms = rooms;
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
  mt.priority = stats_of(&acc.priority_waits);
  mt.non_priority = stats_of(&acc.non_priority_waits);
  mt.returning = stats_of(&acc.returning_waits);
  mt.priority_from_start = stats_of(&acc.priority_from_start);
  std::vector<double> all = acc.priority_waits;
  all.insert(all.end(), acc.non_priority_waits.begin(), acc.non_priority_waits.end());
  mt.first_visit = stats_of(&all);
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
  mt.tests_per_day = static_cast<double>(acc.tests) / days;
  mt.returned_per_day = static_cast<double>(acc.returned) / days;
  mt.tests_late_per_day = static_cast<double>(acc.tests_late) / days;
  mt.inserted_per_day = static_cast<double>(acc.inserted) / days;
  mt.overtaken_per_day = static_cast<double>(acc.overtaken) / days;
  mt.max_overtaken_seen = acc.max_overtaken;
  mt.days_over_bound = acc.days_over_bound;
  mt.days_view_disagrees = acc.days_view_disagrees;
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
