// Engine benchmarks (Google Benchmark). Figures and the command line are in
// docs/benchmarks.md, "Engine".
//
// - BM_Mixed: a whole clinic day over 1,000 sessions of 300 tickets each
//   (book, cancel, check-in, walk-in, call_next, complete, mark_missed,
//   return, recall, move_to_next, tick, plus one patient_view per 8
//   commands), recorded once and replayed through apply_into on a fresh
//   engine per iteration. Counter `commands/s` counts commands only; with
//   views:1 the views' time is included, views:0 skips them. flow:1 is the
//   same day with the clinical flow (issue 17): 10% of bookings and walk-ins
//   carry a priority reason, 10% of the patients the doctor finishes are
//   sent for tests instead and come back 20-60 minutes later
//   (return_from_tests) to be called again, and every fourth session has two
//   rooms calling in turn. flow:0 draws the same random numbers and gives
//   the same commands without priority, rooms or tests (a patient who would
//   go for tests is completed).
// - BM_CallNextLatency: call_next with 300 WAITING, each call timed alone;
//   counters p50/p99/p999 in ns. flow:1: two rooms calling in turn, 10% of
//   the waiting (and of the walk-ins that keep it at 300) with a priority.
// - BM_PatientViewsRefresh: patient_views() of a 300-ticket session.
// - BM_MemoryPerTicket: heap bytes (mallinfo2) held by an engine after the
//   mixed day, divided by the number of tickets.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "engine/engine.h"

namespace {

using namespace qc;

constexpr Time kDay0 = 1795363200000;  // 2026-11-23 00:00 UTC+8
constexpr int kSlots = 10;             // 08:00-18:00, 60-min slots
constexpr int kApptPerSlot = 20;       // 200 appointments
constexpr int kWalkinPerSlot = 10;     // 100 walk-ins

struct Timed {
  Command cmd;
  Time now;
  bool view = false;  // a patient_view of cmd's ticket instead of a command
};

std::string sid_of(int i) {
  char b[16];
  std::snprintf(b, sizeof b, "s%04d", i);
  return b;
}

std::string token_of(std::mt19937_64& rng) {
  static const char* hex = "0123456789abcdef";
  std::string t(32, '0');
  for (char& c : t) c = hex[rng() & 15];
  return t;
}

SessionSpec spec_of(int i, bool flow = false) {
  SessionSpec s;
  s.session_id = sid_of(i);
  s.doctor_id = "d" + std::to_string(i);
  s.doctor_name = "Dr. Wang";
  s.room = std::to_string(i % 40) + "诊室";
  s.area = "area-" + std::to_string(i % 25);
  s.start = kDay0 + 8 * kHour;
  s.end = kDay0 + 18 * kHour;
  s.registration_open = kDay0 + 7 * kHour;
  s.slot_minutes = 60;
  s.appointment_quota.assign(kSlots, kApptPerSlot);
  s.walkin_quota.assign(kSlots, kWalkinPerSlot);
  s.avg_consult_seed = 2 * kMinute;
  if (flow && i % 4 == 0) s.rooms = {"1", "2"};
  return s;
}

Actor nurse() { return Actor{ActorKind::kNurse, "n1"}; }

// One session's day, generated against a live engine so that every
// complete/mark_missed names the ticket really called.
void gen_session(Engine& g, int i, bool flow, std::mt19937_64& rng, std::vector<std::vector<Timed>>* pre,
                 std::vector<Timed>* day) {
  const std::string sid = sid_of(i);
  const bool two_rooms = flow && i % 4 == 0;
  std::vector<Event> ev;
  // The ticket a command is about: the called one for a call, else the
  // first event's (a priority insertion adds overtaken events after it).
  auto apply = [&](std::vector<Timed>* out, CommandBody body, Time now) {
    Command c{nurse(), std::move(body)};
    ev.clear();
    g.apply_into(c, now, &ev);
    const bool call = std::holds_alternative<CallNext>(c.body);
    out->push_back(Timed{std::move(c), now});
    for (const Event& e : ev)
      if (e.type == EventType::kTicketCalled) return e.ticket_id;
    return ev.empty() || call ? std::string() : ev.front().ticket_id;
  };
  // 10% priority: drawn whatever `flow` (the same random numbers).
  auto priority = [&]() { return rng() % 10 == 0 && flow ? std::string("elderly") : std::string(); };
  // The day before: 220 bookings, 20 of them cancelled again.
  Time t = kDay0 - 14 * kHour;
  std::vector<std::pair<std::string, int>> booked;  // ticket id, slot
  std::vector<Timed>& p = (*pre)[i];
  int n = 0;
  for (int s = 0; s < kSlots; ++s) {
    for (int k = 0; k < kApptPerSlot + 2; ++k, ++n) {
      std::string ref = "p" + std::to_string(i) + "-" + std::to_string(n);
      Book b{sid, s, ref, "Zhang San", "", "", token_of(rng)};
      b.priority = priority();
      std::string id = apply(&p, b, t += kSecond);
      if (k < 2) {
        apply(&p, Cancel{id}, t += kSecond);
      } else {
        booked.push_back({id, s});
      }
    }
  }
  // The day: arrivals and the doctor, merged in time order.
  struct Arrival { Time at; std::string id; };
  std::vector<Arrival> arrivals;
  for (auto& [id, s] : booked) {
    Time slot_start = kDay0 + 8 * kHour + s * kHour;
    Time at = rng() % 20 == 0 ? slot_start + kHour + static_cast<Time>(rng() % 30) * kMinute
                              : slot_start - static_cast<Time>(rng() % 60) * kMinute;
    arrivals.push_back({std::max(at, kDay0 + 7 * kHour), id});
  }
  for (int w = 0; w < kSlots * kWalkinPerSlot; ++w)
    arrivals.push_back({kDay0 + 7 * kHour + static_cast<Time>(rng() % (10 * 60)) * kMinute, ""});
  std::sort(arrivals.begin(), arrivals.end(),
            [](const Arrival& a, const Arrival& b) { return a.at < b.at; });
  // Missed patients coming back (return_ticket) and patients back from
  // tests (return_from_tests): (time, ticket, from tests).
  std::vector<std::tuple<Time, std::string, bool>> returns;
  std::string called[2];  // the ticket each room called ("" none)
  Time doctor = kDay0 + 8 * kHour;
  std::size_t a = 0;
  int calls = 0;
  int walkins = 0;
  for (;;) {
    Time next_return = returns.empty() ? kNoTime : std::get<0>(returns.front());
    bool arrivals_left = a < arrivals.size();
    if (arrivals_left && arrivals[a].at <= doctor &&
        (next_return == kNoTime || arrivals[a].at <= next_return)) {
      const Arrival& x = arrivals[a++];
      if (x.id.empty()) {
        ++walkins;
        RegisterWalkIn r{sid, "w" + std::to_string(i) + "-" + std::to_string(walkins), "李四", "",
                         token_of(rng)};
        r.priority = priority();
        apply(day, r, x.at);
      } else {
        apply(day, CheckIn{x.id}, x.at);
      }
      if (rng() % 8 == 0) day->push_back(Timed{Command{nurse(), CheckIn{x.id}}, x.at, true});
      continue;
    }
    if (next_return != kNoTime && next_return <= doctor) {
      const auto& [at, id, tests] = returns.front();
      if (tests) apply(day, ReturnFromTests{id}, at);
      else apply(day, ReturnTicket{id}, at);
      returns.erase(returns.begin());
      continue;
    }
    if (g.waiting_order(sid).empty() && !arrivals_left && returns.empty()) break;
    // The doctor's turn (with two rooms, the rooms call in turn).
    const int room = two_rooms ? calls % 2 : 0;
    const std::string room_name = two_rooms ? std::to_string(room + 1) : std::string();
    std::string& in_room = called[room];
    if (!in_room.empty() && g.ticket_state(in_room) == TicketState::kCalled) {
      int r = static_cast<int>(rng() % 100);
      if (r < 85) {
        const bool tests = rng() % 10 == 0;  // drawn whatever `flow`
        if (tests && flow) {
          apply(day, SendForTests{in_room}, doctor);
          returns.push_back({doctor + static_cast<Time>(20 + rng() % 40) * kMinute, in_room, true});
          std::sort(returns.begin(), returns.end());
        } else {
          apply(day, Complete{in_room}, doctor);
        }
      } else if (r < 95) {
        apply(day, MarkMissed{in_room}, doctor);
        if (rng() % 3 != 0)
          returns.push_back({doctor + static_cast<Time>(5 + rng() % 20) * kMinute, in_room, false});
        std::sort(returns.begin(), returns.end());
      }
    }
    if (calls % 20 == 7 && !g.waiting_order(sid).empty()) {
      apply(day, MoveToNext{g.waiting_order(sid).back()}, doctor);
    }
    in_room = apply(day, CallNext{sid, room_name}, doctor);
    ++calls;
    if (calls % 15 == 3 && !in_room.empty()) apply(day, Recall{in_room}, doctor);
    if (!in_room.empty()) day->push_back(Timed{Command{nurse(), CheckIn{in_room}}, doctor, true});
    // Two rooms see twice as many patients: half the time between calls.
    doctor += static_cast<Time>(60 + rng() % 60) * kSecond / (two_rooms ? 2 : 1);
    if (g.waiting_order(sid).empty() && arrivals_left) doctor = std::max(doctor, arrivals[a].at);
  }
  for (const std::string& id : called)
    if (!id.empty() && g.ticket_state(id) == TicketState::kCalled) apply(day, Complete{id}, doctor);
}

struct Workload {
  std::vector<Command> setup;  // create_session commands
  std::vector<Timed> stream;   // everything else, sessions interleaved
  std::size_t commands = 0;
  std::size_t views = 0;
};

Workload make_workload(bool flow) {
    Workload w;
    const int kSessions = 1000;
    Engine g;
    std::mt19937_64 rng(42);
    std::vector<std::vector<Timed>> pre(kSessions), day(kSessions);
    for (int i = 0; i < kSessions; ++i) {
      w.setup.push_back(Command{Actor{ActorKind::kAdmin, "a"}, CreateSession{spec_of(i, flow)}});
      g.apply(w.setup.back(), kDay0 - 2 * kDay);
    }
    for (int i = 0; i < kSessions; ++i) gen_session(g, i, flow, rng, &pre, &day[i]);
    // Interleave: bookings round-robin, then the day round-robin, a tick
    // every 5,000 commands.
    for (auto* phase : {&pre, &day}) {
      std::vector<std::size_t> pos(kSessions, 0);
      for (bool more = true; more;) {
        more = false;
        for (int i = 0; i < kSessions; ++i) {
          if (pos[i] >= (*phase)[i].size()) continue;
          more = true;
          w.stream.push_back((*phase)[i][pos[i]++]);
          if (w.stream.size() % 5000 == 0)
            w.stream.push_back(Timed{Command{Actor{}, Tick{}}, w.stream.back().now});
        }
      }
    }
    for (const Timed& t : w.stream) (t.view ? w.views : w.commands) += 1;
    return w;
}

// Generated on first use (a few seconds each).
const Workload& workload(bool flow = false) {
  if (flow) {
    static const Workload w = make_workload(true);
    return w;
  }
  static const Workload w = make_workload(false);
  return w;
}

void prepare(Engine& e, const Workload& w) {
  for (const Command& c : w.setup) e.apply(c, kDay0 - 2 * kDay);
}

void run_stream(Engine& e, const Workload& w, std::size_t* rejected, std::size_t from = 0,
                std::size_t to = ~std::size_t{0}, bool with_views = true) {
  std::vector<Event> ev;
  ev.reserve(64);
  std::size_t bad = 0;
  to = std::min(to, w.stream.size());
  for (std::size_t i = from; i < to; ++i) {
    const Timed& t = w.stream[i];
    if (t.view) {
      if (!with_views) continue;
      auto v = e.patient_view(std::get<CheckIn>(t.cmd.body).ticket_id, t.now);
      benchmark::DoNotOptimize(v);
      continue;
    }
    ev.clear();
    bad += e.apply_into(t.cmd, t.now, &ev) != Error::kOk;
  }
  *rejected = bad;
}

// state.range(0): 1 = with the patient views interleaved, 0 = commands only;
// state.range(1): 1 = the clinical flow's day, 0 = the plain day.
void BM_Mixed(benchmark::State& state) {
  const Workload& w = workload(state.range(1) != 0);
  const bool with_views = state.range(0) != 0;
  std::size_t rejected = 0;
  for (auto _ : state) {
    state.PauseTiming();
    {
      Engine e;
      prepare(e, w);
      state.ResumeTiming();
      run_stream(e, w, &rejected, 0, ~std::size_t{0}, with_views);
      state.PauseTiming();
    }  // the engine's destruction is not timed
    state.ResumeTiming();
  }
  state.counters["commands/s"] = benchmark::Counter(
      static_cast<double>(w.commands) * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["commands"] = static_cast<double>(w.commands);
  state.counters["views"] = with_views ? static_cast<double>(w.views) : 0.0;
  state.counters["rejected"] = static_cast<double>(rejected);
}
BENCHMARK(BM_Mixed)
    ->ArgNames({"views", "flow"})
    ->Args({1, 0})
    ->Args({0, 0})
    ->Args({1, 1})
    ->Args({0, 1})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

std::size_t count_tickets(const Engine& e) {
  std::size_t n = 0;
  std::vector<PatientView> v;
  for (const std::string& sid : e.session_ids()) {
    e.patient_views(sid, kDay0, &v);
    n += v.size();
  }
  return n;
}

// Heap bytes held by the engine per ticket: at the peak of bookings (every
// appointment BOOKED: patients, tokens and holds indexed) and at the end of
// the day.
void BM_MemoryPerTicket(benchmark::State& state) {
  const Workload& w = workload();
  std::size_t head = 0;  // the bookings: everything before the first check-in or walk-in
  while (head < w.stream.size() && !std::holds_alternative<CheckIn>(w.stream[head].cmd.body) &&
         !std::holds_alternative<RegisterWalkIn>(w.stream[head].cmd.body))
    ++head;
  double peak = 0, end = 0, tickets = 0;
  for (auto _ : state) {
    std::size_t rejected;
    {
      std::size_t before = mallinfo2().uordblks;
      Engine e;
      prepare(e, w);
      run_stream(e, w, &rejected, 0, head);
      std::size_t after = mallinfo2().uordblks;
      peak = static_cast<double>(after - before) / static_cast<double>(count_tickets(e));
    }
    {
      std::size_t before = mallinfo2().uordblks;
      Engine e;
      prepare(e, w);
      run_stream(e, w, &rejected);
      std::size_t after = mallinfo2().uordblks;
      tickets = static_cast<double>(count_tickets(e));
      end = static_cast<double>(after - before) / tickets;
    }
  }
  state.counters["bytes/ticket_booked_peak"] = peak;
  state.counters["bytes/ticket_end_of_day"] = end;
  state.counters["tickets"] = tickets;
}
BENCHMARK(BM_MemoryPerTicket)->Unit(benchmark::kMillisecond)->Iterations(1);

// A walk-in for the latency session; with `flow`, one in ten has a priority.
RegisterWalkIn latency_walk_in(const std::string& sid, int i, bool flow) {
  RegisterWalkIn r{sid, "w" + std::to_string(i), "李四", "", ""};
  if (flow && i % 10 == 0) r.priority = "elderly";
  return r;
}

// A session with 300 WAITING walk-ins (one big slot, W large); with `flow`,
// two rooms (spec_of(0, true)) and 10% priority walk-ins.
Engine waiting_session(int waiting, bool flow = false) {
  Engine e;
  SessionSpec s = spec_of(0, flow);
  s.appointment_quota.assign(kSlots, 0);
  s.walkin_quota.assign(kSlots, 0);
  s.walkin_quota[kSlots - 1] = 100000;
  e.apply(Command{nurse(), CreateSession{s}}, kDay0);
  for (int i = 0; i < waiting; ++i)
    e.apply(Command{nurse(), latency_walk_in(s.session_id, i, flow)}, kDay0 + 7 * kHour + i);
  return e;
}

// state.range(0): 1 = two rooms calling in turn and 10% priority walk-ins.
void BM_CallNextLatency(benchmark::State& state) {
  const bool flow = state.range(0) != 0;
  Engine e = waiting_session(300, flow);
  const std::string sid = sid_of(0);
  Command calls[2] = {Command{nurse(), CallNext{sid, flow ? "1" : ""}},
                      Command{nurse(), CallNext{sid, flow ? "2" : ""}}};
  std::int64_t n = 0;
  std::vector<Event> ev;
  ev.reserve(16);
  std::vector<std::int64_t> ns;
  ns.reserve(1 << 21);
  Time now = kDay0 + 8 * kHour;
  for (auto _ : state) {
    ev.clear();
    const Command& call = calls[n % 2];
    auto t0 = std::chrono::steady_clock::now();
    e.apply_into(call, now, &ev);
    auto t1 = std::chrono::steady_clock::now();
    state.PauseTiming();
    ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
    ev.clear();
    e.apply_into(Command{nurse(), latency_walk_in(sid, static_cast<int>(300 + n), flow)}, now,
                 &ev);  // back to 300 waiting
    ++n;
    now += 1;
    state.ResumeTiming();
  }
  auto pct = [&](double p) {
    std::vector<std::int64_t> v = ns;
    std::size_t k = std::min(v.size() - 1, static_cast<std::size_t>(p * v.size()));
    std::nth_element(v.begin(), v.begin() + k, v.end());
    return static_cast<double>(v[k]);
  };
  if (!ns.empty()) {
    state.counters["p50_ns"] = pct(0.50);
    state.counters["p99_ns"] = pct(0.99);
    state.counters["p999_ns"] = pct(0.999);
    state.counters["waiting"] = static_cast<double>(e.waiting_order(sid).size());
  }
}
BENCHMARK(BM_CallNextLatency)->ArgName("flow")->Arg(0)->Arg(1)->Iterations(50000);

void BM_PatientViewsRefresh(benchmark::State& state) {
  // 300 tickets: 200 booked appointments (half checked in), 100 walk-ins,
  // 30 called and done.
  Engine e;
  SessionSpec s = spec_of(0);
  e.apply(Command{nurse(), CreateSession{s}}, kDay0 - 2 * kDay);
  std::mt19937_64 rng(1);
  std::vector<std::string> ids;
  for (int slot = 0; slot < kSlots; ++slot)
    for (int k = 0; k < kApptPerSlot; ++k) {
      Result r = e.apply(Command{nurse(), Book{s.session_id, slot, "p" + std::to_string(ids.size()),
                                               "Zhang San", "", "", token_of(rng)}},
                         kDay0 - kDay);
      ids.push_back(r.events.at(0).ticket_id);
    }
  for (std::size_t i = 0; i < ids.size(); i += 2)
    e.apply(Command{nurse(), CheckIn{ids[i]}}, kDay0 + 7 * kHour);
  for (int k = 0; k < 100; ++k)
    e.apply(Command{nurse(), RegisterWalkIn{s.session_id, "w" + std::to_string(k), "李四", "", ""}},
            kDay0 + 7 * kHour + k);
  for (int k = 0; k < 30; ++k) e.apply(Command{nurse(), CallNext{s.session_id}}, kDay0 + 8 * kHour + k);
  std::vector<PatientView> out;
  for (auto _ : state) {
    e.patient_views(s.session_id, kDay0 + 9 * kHour, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["tickets"] = static_cast<double>(out.size());
}
BENCHMARK(BM_PatientViewsRefresh)->Unit(benchmark::kMicrosecond);

}  // namespace

// A long-running shard has a warm heap: keep freed memory in the process
// (no munmap/trim between iterations), so that the mixed benchmark measures
// command work rather than first-touch page faults of a fresh process.
// BM_MemoryPerTicket measures heap in use (uordblks), unaffected by this.
int main(int argc, char** argv) {
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
