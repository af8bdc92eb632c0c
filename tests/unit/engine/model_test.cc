// Randomized test of the engine against the reference model
// (reference_model.h): long seeded sequences of commands of every kind,
// valid and invalid, with moving time, several sessions per day over several
// days, booking-pool commands and the clinical flow (priority, tests,
// rooms) included. After every command the two must agree on: accepted or
// rejected (and the error code), the call order and the CALLED ticket of
// every session of the day, and every ticket's state; through the staff
// view: the session's status and serving slot, each room's pause and
// CALLED ticket, and each ticket's priority, room (CALLED, AT_TESTS),
// overtaken count and placement (WAITING); nobody's overtaken count may
// exceed the session's max_overtaken; an insertion's events name P and the
// tickets passed. Every 100 commands also the units left per slot, the
// patients' views (own priority, room, place or projected place) and the
// displays (a card per room). Every 250 commands the engine goes on from
// its own snapshot, as after a restart.
//
// QC_SEED=<n> chooses another seed (default fixed for CI); QC_MODEL_COMMANDS
// the total number of commands (default 200,000: about 760 clinic days, twice
// the days of the test before the clinical flow). On a disagreement the test
// prints the seed and the shortest failing prefix it could find, as JSON
// Lines that `queuecast replay` reads.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "engine/engine.h"
#include "tests/support/command_generator.h"
#include "tests/support/reference_model.h"

namespace qc::model_test {
namespace {

// ------------------------------------------------------------ comparison --

std::string state_name(std::optional<TicketState> s) {
  return s ? std::string(to_string(*s)) : std::string("(none)");
}

std::string join(const std::vector<std::string>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? " " : "") + v[i];
  return out + "]";
}


std::string ints_of(const std::vector<std::int32_t>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? " " : "") + std::to_string(v[i]);
  return out + "]";
}

// The clinical flow through the staff view (spec "Priority, return after
// tests, several rooms"); empty string when they agree.
std::string compare_flow(const StaffView& v, const model::Model& m, const model::Session& s) {
  const std::string& sid = s.spec.session_id;
  if (v.status != s.status)
    return "session " + sid + ": status engine " + std::string(to_string(v.status)) + " model " +
           std::string(to_string(s.status));
  if (v.serving_slot != s.serving_slot)
    return "session " + sid + ": serving slot engine " + std::to_string(v.serving_slot) +
           " model " + std::to_string(s.serving_slot);
  if (v.rooms.size() != s.rooms.size())
    return "session " + sid + ": rooms engine " + std::to_string(v.rooms.size()) + " model " +
           std::to_string(s.rooms.size());
  for (std::size_t i = 0; i < s.rooms.size(); ++i) {
    const StaffRoom& er = v.rooms[i];
    const model::Room& mr = s.rooms[i];
    std::string called = m.called_in(sid, mr.name);
    if (er.room != mr.name || er.paused != mr.paused || er.called_ticket != called)
      return "session " + sid + ": room " + std::to_string(i) + " engine " + er.room +
             (er.paused ? " paused" : "") + " called " + er.called_ticket + ", model " + mr.name +
             (mr.paused ? " paused" : "") + " called " + called;
  }
  // docs/engine.md, Views: CALLED (in room order), WAITING in call order,
  // AT_TESTS, MISSED, BOOKED, then the final states, each group in creation
  // order.
  std::vector<std::string> expected, shown;
  for (const model::Room& r : s.rooms)
    if (std::string id = m.called_in(sid, r.name); !id.empty()) expected.push_back(id);
  for (const std::string& id : m.waiting_order(sid)) expected.push_back(id);
  for (TicketState group : {TicketState::kAtTests, TicketState::kMissed, TicketState::kBooked})
    for (const model::Ticket& t : s.tickets)
      if (t.state == group) expected.push_back(t.id);
  for (const model::Ticket& t : s.tickets)
    if (t.state == TicketState::kDone || t.state == TicketState::kCancelled ||
        t.state == TicketState::kNoShow)
      expected.push_back(t.id);
  for (const StaffTicket& t : v.tickets) shown.push_back(t.ticket_id);
  if (shown != expected)
    return "session " + sid + ": staff view lists " + join(shown) + ", model " + join(expected);
  std::map<std::string, const model::Ticket*> by_id;
  for (const model::Ticket& t : s.tickets) by_id[t.id] = &t;
  for (const StaffTicket& et : v.tickets) {
    if (et.overtaken > s.spec.max_overtaken)
      return "ticket " + et.ticket_id + ": overtaken " + std::to_string(et.overtaken) +
             " times, more than max_overtaken " + std::to_string(s.spec.max_overtaken);
    auto it = by_id.find(et.ticket_id);
    if (it == by_id.end()) return "ticket " + et.ticket_id + ": not in the model";
    const model::Ticket& mt = *it->second;
    if (et.priority != mt.priority)
      return "ticket " + et.ticket_id + ": priority engine '" + et.priority + "' model '" +
             mt.priority + "'";
    if (et.overtaken != mt.overtaken)
      return "ticket " + et.ticket_id + ": overtaken engine " + std::to_string(et.overtaken) +
             " model " + std::to_string(mt.overtaken);
    bool in_room = mt.state == TicketState::kCalled || mt.state == TicketState::kAtTests;
    if (in_room && et.room != mt.room)
      return "ticket " + et.ticket_id + ": room engine '" + et.room + "' model '" + mt.room + "'";
    if (mt.state == TicketState::kWaiting && et.placement != mt.placement)
      return "ticket " + et.ticket_id + ": placement engine " +
             std::string(to_string(et.placement)) + " model " + std::string(to_string(mt.placement));
  }
  return "";
}

// What a command that may insert a ticket (register_walk_in, check_in,
// return, return_from_tests, set_priority) finds in the model before it.
struct BeforeInsertion {
  std::map<std::string, std::int32_t> overtaken;  // ticket id -> count
  std::map<std::string, std::uint64_t> insertions;  // session id -> Session::next_sub
};

bool may_insert(const CommandBody& b) {
  return std::holds_alternative<RegisterWalkIn>(b) || std::holds_alternative<CheckIn>(b) ||
         std::holds_alternative<ReturnTicket>(b) || std::holds_alternative<ReturnFromTests>(b) ||
         std::holds_alternative<SetPriority>(b);
}

BeforeInsertion before_insertion(const model::Model& m) {
  BeforeInsertion b;
  for (const model::Session& s : m.sessions()) {
    if (s.status == SessionStatus::kClosed || s.status == SessionStatus::kSuspended) continue;
    b.insertions[s.spec.session_id] = s.next_sub;
    for (const model::Ticket& t : s.tickets)
      if (t.overtaken) b.overtaken[t.id] = t.overtaken;
  }
  return b;
}

// The events say which rule applied (docs/engine.md "The clinical flow",
// Events): a ticket_inserted exactly when the model inserted a ticket,
// naming P (the ticket now right before it; "" when it heads band 1) and
// the number overtaken; then one ticket_overtaken per ticket whose count the
// model raised, in call order, with the count now, each followed by
// ticket_protected when that count reached max_overtaken.
std::string check_insertion_events(const std::vector<Event>& events, const BeforeInsertion& before,
                                   const model::Model& m) {
  for (const auto& [sid, subs] : before.insertions) {
    const model::Session& s = *m.session(sid);
    std::vector<std::string> passed;  // by the model, in call order
    std::vector<std::string> order = m.waiting_order(sid);
    for (const std::string& id : order) {
      auto it = before.overtaken.find(id);
      std::int32_t was = it == before.overtaken.end() ? 0 : it->second;
      for (const model::Ticket& t : s.tickets)
        if (t.id == id && t.overtaken > was) passed.push_back(id);
    }
    std::vector<const Event*> inserted, overtaken;
    for (std::size_t i = 0; i < events.size(); ++i) {
      const Event& e = events[i];
      if (e.session_id != sid) continue;
      if (e.type == EventType::kTicketInserted) inserted.push_back(&e);
      if (e.type != EventType::kTicketOvertaken) continue;
      overtaken.push_back(&e);
      bool is_protected = i + 1 < events.size() &&
                          events[i + 1].type == EventType::kTicketProtected &&
                          events[i + 1].ticket_id == e.ticket_id;
      if (is_protected != (e.count == s.spec.max_overtaken))
        return "ticket " + e.ticket_id + ": overtaken " + std::to_string(e.count) +
               (is_protected ? " times and protected" : " times and not protected") +
               " with max_overtaken " + std::to_string(s.spec.max_overtaken);
    }
    bool model_inserted = s.next_sub != subs;
    if (inserted.size() != (model_inserted ? 1u : 0u))
      return "session " + sid + ": " + std::to_string(inserted.size()) +
             " ticket_inserted events, the model inserted " + (model_inserted ? "one" : "none");
    std::vector<std::string> said;
    for (const Event* e : overtaken) {
      said.push_back(e->ticket_id);
      for (const model::Ticket& t : s.tickets)
        if (t.id == e->ticket_id && t.overtaken != e->count)
          return "ticket " + t.id + ": ticket_overtaken count " + std::to_string(e->count) +
                 ", model " + std::to_string(t.overtaken);
    }
    if (said != passed)
      return "session " + sid + ": ticket_overtaken for " + join(said) + ", the model passed " +
             join(passed);
    if (inserted.empty()) continue;
    const Event& ins = *inserted.front();
    if (ins.count != static_cast<std::int32_t>(passed.size()))
      return "ticket " + ins.ticket_id + ": ticket_inserted count " + std::to_string(ins.count) +
             ", overtaken " + std::to_string(passed.size());
    // P is the ticket right before it (band 1), or none when it heads band 1.
    std::string before_it;
    for (std::size_t i = 0; i < order.size(); ++i) {
      if (order[i] != ins.ticket_id) continue;
      for (const model::Ticket& t : s.tickets)
        if (i > 0 && t.id == order[i - 1] && t.key.band == 1) before_it = t.id;
    }
    if (ins.other_ticket != before_it)
      return "ticket " + ins.ticket_id + ": inserted after '" + ins.other_ticket +
             "', right before it waits '" + before_it + "'";
  }
  return "";
}

// What the patients see (docs/engine.md, Views): each ticket's state, its
// own priority, its place (WAITING: its rank; BOOKED: the place it would
// take by checking in now, an insertion included) and its room (the calling
// room when CALLED or AT_TESTS, else the session's rooms).
std::string compare_patients(const Engine& engine, const model::Model& m, const model::Session& s,
                             Time now) {
  const std::string& sid = s.spec.session_id;
  std::vector<PatientView> views;
  if (!engine.patient_views(sid, now, &views)) return "session " + sid + ": no patient views";
  if (views.size() != s.tickets.size())
    return "session " + sid + ": " + std::to_string(views.size()) + " patient views, model " +
           std::to_string(s.tickets.size()) + " tickets";
  std::string rooms = s.spec.room;
  for (std::size_t i = 0; i < s.spec.rooms.size(); ++i)
    rooms = (i ? rooms + " / " : "") + s.spec.rooms[i];
  std::vector<std::string> order = m.waiting_order(sid);
  for (std::size_t i = 0; i < views.size(); ++i) {
    const PatientView& v = views[i];
    const model::Ticket& t = s.tickets[i];
    std::int32_t ahead = -1;
    if (t.state == TicketState::kWaiting) {
      ahead = static_cast<std::int32_t>(std::find(order.begin(), order.end(), t.id) - order.begin());
    } else if (t.state == TicketState::kBooked && s.status != SessionStatus::kClosed) {
      ahead = m.projected_ahead(t.id, now);
    }
    bool in_room = t.state == TicketState::kCalled || t.state == TicketState::kAtTests;
    std::string room = in_room ? t.room : rooms;
    if (v.ticket_id != t.id || v.state != t.state || v.priority != t.priority ||
        v.ahead != ahead || v.room != room)
      return "ticket " + t.id + ": patient view " + std::string(to_string(v.state)) + " ahead " +
             std::to_string(v.ahead) + " priority '" + v.priority + "' room '" + v.room +
             "', model " + std::string(to_string(t.state)) + " ahead " + std::to_string(ahead) +
             " priority '" + t.priority + "' room '" + room + "'";
  }
  return "";
}

// The displays (docs/engine.md, Views): a session on the screens has one
// card per room, in the order of its rooms, each with that room's CALLED
// label, the session's next labels in call order and its missed list.
std::string compare_display(const DisplayView& d, const model::Model& m,
                            std::int32_t next_count) {
  std::map<std::string, std::vector<const DisplayRoom*>> cards;  // by session
  for (const DisplayRoom& r : d.rooms) cards[r.session_id].push_back(&r);
  for (const auto& [sid, rooms] : cards) {
    const model::Session* s = m.session(sid);
    if (!s) return "display: unknown session " + sid;
    if (rooms.size() != s->rooms.size())
      return "display: session " + sid + " has " + std::to_string(rooms.size()) + " cards, " +
             std::to_string(s->rooms.size()) + " rooms";
    std::map<std::string, std::string> label;
    for (const model::Ticket& t : s->tickets) label[t.id] = t.label;
    std::vector<std::string> next, missed;
    for (const std::string& id : m.waiting_order(sid))
      if (static_cast<std::int32_t>(next.size()) < next_count) next.push_back(label[id]);
    for (const model::Ticket& t : s->tickets)
      if (t.state == TicketState::kMissed) missed.push_back(t.label);
    for (std::size_t i = 0; i < rooms.size(); ++i) {
      const DisplayRoom& card = *rooms[i];
      std::string called = m.called_in(sid, s->rooms[i].name);
      std::vector<std::string> card_next, card_missed;
      for (const DisplayEntry& e : card.next) card_next.push_back(e.label);
      for (const DisplayEntry& e : card.missed) card_missed.push_back(e.label);
      if (card.room != s->rooms[i].name || card.has_called != !called.empty() ||
          (card.has_called && card.called.label != label[called]) || card_next != next ||
          card_missed != missed)
        return "display: session " + sid + " room '" + card.room + "' calls '" +
               (card.has_called ? card.called.label : "") + "' next " + join(card_next) +
               " missed " + join(card_missed) + ", model room '" + s->rooms[i].name +
               "' calls '" + (called.empty() ? "" : label[called]) + "' next " + join(next) +
               " missed " + join(missed);
    }
  }
  return "";
}

// Compares one session; empty string when they agree. With `capacity`, also
// the units left per slot (docs/engine.md "Views": appointment_left is the
// general pool, reserved_left the unreleased reserved shares, walkin_left
// the free walk-in units).
std::string compare_session(const Engine& engine, const model::Model& m, const model::Session& s,
                            bool capacity, Time now) {
  const std::string& sid = s.spec.session_id;
  std::optional<StaffView> v = engine.staff_view(sid, now);
  if (!v) return "session " + sid + ": no staff view";
  if (std::string d = compare_flow(*v, m, s); !d.empty()) return d;
  if (capacity) {
    if (std::string d = compare_patients(engine, m, s, now); !d.empty()) return d;
    const std::vector<std::int32_t>& a = s.a_left;
    std::vector<std::int32_t> r(a.size(), 0);
    for (const model::Reserve& res : s.reserves)
      if (!res.released)
        for (std::size_t i = 0; i < r.size(); ++i) r[i] += res.left[i];
    if (v->appointment_left != a || v->reserved_left != r || v->walkin_left != s.w_left)
      return "session " + sid + ": units left engine A" + ints_of(v->appointment_left) + " R" +
             ints_of(v->reserved_left) + " W" + ints_of(v->walkin_left) + ", model A" + ints_of(a) +
             " R" + ints_of(r) + " W" + ints_of(s.w_left);
  }
  std::vector<std::string> eo = engine.waiting_order(sid);
  std::vector<std::string> mo = m.waiting_order(sid);
  if (eo != mo) return "session " + sid + ": call order engine " + join(eo) + " model " + join(mo);
  // With several rooms, called_ticket() names one of the CALLED tickets
  // (each room's is compared through the staff view).
  std::optional<std::string> ec = engine.called_ticket(sid);
  std::optional<std::string> mc = m.called_ticket(sid);
  bool agree = ec == mc;
  if (s.rooms.size() > 1 && ec && mc) agree = m.ticket_state(*ec) == TicketState::kCalled;
  if (!agree)
    return "session " + sid + ": CALLED engine " + ec.value_or("(none)") + " model " + mc.value_or("(none)");
  for (const model::Ticket& t : s.tickets) {
    std::optional<TicketState> es = engine.ticket_state(t.id);
    if (es != std::optional<TicketState>(t.state))
      return "ticket " + t.id + ": engine " + state_name(es) + " model " + state_name(t.state);
  }
  return "";
}

// The engine and the model side by side.
class Pair {
 public:
  explicit Pair(EngineOptions options = {}) : engine_(options), model_(options), options_(options) {}

  // After a step, the engine's snapshot (docs/engine.md, Snapshots) is
  // checked to load, or the engine goes on from it as after a restart (the
  // image keeps all that the model compares).
  enum class Snapshot { kNone, kCheck, kRestart };

  // Applies one step to both; returns a description of the first
  // disagreement, or "" when they agree. `full` compares every session,
  // otherwise the sessions not closed in the model (closed ones never change)
  // and those this step closed; `capacity` adds the units left per slot and
  // the patients' views.
  std::string apply(const Step& st, bool full, bool capacity, Snapshot snapshot) {
    std::string d = apply_and_compare(st, full, capacity);
    if (!d.empty() || snapshot == Snapshot::kNone) return d;
    Engine restarted(options_);
    if (!restarted.load(engine_.save())) return "the engine's snapshot does not load";
    if (snapshot == Snapshot::kRestart) engine_ = std::move(restarted);
    return "";
  }
  const model::Model& model() const { return model_; }
  const Engine& engine() const { return engine_; }
  const std::vector<Event>& events() const { return events_; }
  Error last_error() const { return last_error_; }

 private:
  std::string apply_and_compare(const Step& st, bool full, bool capacity) {
    events_.clear();
    std::optional<BeforeInsertion> before;
    if (may_insert(st.cmd.body)) before = before_insertion(model_);
    Error ee = engine_.apply_into(st.cmd, st.now, &events_, &message_);
    Error me = model_.apply(st.cmd, st.now);
    last_error_ = ee;
    if (ee != me) {
      return std::string("result: engine ") + std::string(to_string(ee)) +
             (ee != Error::kOk ? " (" + message_ + ")" : "") + ", model " +
             std::string(to_string(me));
    }
    if (before && ee == Error::kOk) {
      if (std::string d = check_insertion_events(events_, *before, model_); !d.empty()) return d;
    }
    for (const model::Session& s : model_.sessions()) {
      if (!full && s.status == SessionStatus::kClosed && !just_closed(s)) continue;
      std::string d = compare_session(engine_, model_, s, capacity, st.now);
      if (!d.empty()) return d;
    }
    if (engine_.session_ids().size() != model_.sessions().size())
      return "session count: engine " + std::to_string(engine_.session_ids().size()) + " model " +
             std::to_string(model_.sessions().size());
    if (capacity) {  // the generator's sessions all share one waiting area
      DisplayView d = engine_.display_view("area", st.now);
      if (std::string e = compare_display(d, model_, options_.display_next_count); !e.empty())
        return e;
    }
    return "";
  }

  // A session closed by this step still gets compared once.
  bool just_closed(const model::Session& s) const {
    for (const Event& e : events_)
      if (e.session_id == s.spec.session_id) return true;
    return false;
  }

  Engine engine_;
  model::Model model_;
  EngineOptions options_;
  std::vector<Event> events_;
  std::string message_;
  Error last_error_ = Error::kOk;
};

// The engine restarts from its snapshot after every 250th command of a
// sequence; `every`: the snapshot is checked to load after the others too.
Pair::Snapshot snapshot_at(std::size_t i, bool every) {
  if (i % 250 == 249) return Pair::Snapshot::kRestart;
  return every ? Pair::Snapshot::kCheck : Pair::Snapshot::kNone;
}

struct Failure {
  std::size_t index = 0;  // the step that disagreed
  std::string what;
};

// Replays `steps` on a fresh pair; the first disagreement, if any.
std::optional<Failure> run_steps(const std::vector<Step>& steps, const EngineOptions& options) {
  Pair p(options);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    // Every check at every step; the restarts where the run made them.
    std::string d = p.apply(steps[i], /*full=*/false, /*capacity=*/true, snapshot_at(i, true));
    if (!d.empty()) return Failure{i, d};
  }
  return std::nullopt;
}

// Shrinks a failing sequence: cut after the first failing step, then drop
// earlier steps one by one (last to first) while that step still fails.
std::vector<Step> shrink(std::vector<Step> steps, Failure* failure, const EngineOptions& options) {
  // The run checks some things only now and then; with every check at every
  // step the first failing command may come earlier.
  if (std::optional<Failure> exact = run_steps(steps, options)) *failure = *exact;
  steps.resize(failure->index + 1);
  // Only the quality of the report depends on this deadline, never the verdict.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (bool changed = true; changed;) {  // passes until nothing more can go
    changed = false;
    for (std::size_t j = steps.size() - 1; j-- > 0;) {
      if (std::chrono::steady_clock::now() > deadline) return steps;  // keep what we have
      std::vector<Step> trial = steps;
      trial.erase(trial.begin() + static_cast<std::ptrdiff_t>(j));
      // Keep the removal only if the same (last) command still fails.
      std::optional<Failure> f = run_steps(trial, options);
      if (f && f->index + 1 == trial.size()) {
        steps = std::move(trial);
        *failure = *f;
        changed = true;
      }
    }
  }
  return steps;
}

constexpr std::size_t kSequenceLength = 2000;

// Engine options of sequence k: every third sequence the defaults, the
// others small limits and short windows so that booking limits, bans and
// their expiry, hold expiry and the automatic close all happen often.
EngineOptions options_for(std::uint64_t seed, std::uint64_t k) {
  EngineOptions o;
  if (k % 3 == 0) return o;
  std::mt19937_64 rng(seed ^ 0x5eed);
  o.max_active_bookings = 1 + static_cast<std::int32_t>(rng() % 3);
  o.noshow_threshold = 1 + static_cast<std::int32_t>(rng() % 3);
  o.noshow_window = (rng() % 2 ? 5 : 90) * kDay;
  o.ban = (rng() % 2 ? 3 : 30) * kDay;
  o.default_hold_ttl = (rng() % 2 ? 40 : 15) * kMinute;
  o.auto_close_grace = (rng() % 2 ? 30 : 240) * kMinute;
  return o;
}

std::string replay_flags(const EngineOptions& o) {
  return "--max-active-bookings " + std::to_string(o.max_active_bookings) +
         " --noshow-threshold " + std::to_string(o.noshow_threshold) +
         " --noshow-window-days " + std::to_string(o.noshow_window / kDay) + " --ban-days " +
         std::to_string(o.ban / kDay) + " --hold-ttl-minutes " +
         std::to_string(o.default_hold_ttl / kMinute) + " --auto-close-grace-minutes " +
         std::to_string(o.auto_close_grace / kMinute);
}

// What the run exercised (a generator that only produces rejections, or
// never reaches a rule, tests little).
struct Coverage {
  std::map<std::string, std::pair<int, int>> commands;  // name -> (accepted, rejected)
  std::map<Error, int> results;
  std::map<EventType, int> events;
  std::size_t accepted = 0;
  int days = 0;
};

// Generates one sequence against a fresh pair; on a disagreement returns the
// steps up to and including the failing one.
std::optional<std::pair<std::vector<Step>, Failure>> run_sequence(std::uint64_t seed,
                                                                  std::size_t length,
                                                                  const EngineOptions& options,
                                                                  Coverage* coverage) {
  Generator gen(seed);
  Pair pair(options);
  std::vector<Step> steps;
  steps.reserve(length);
  for (std::size_t i = 0; i < length; ++i) {
    steps.push_back(gen.next(pair.model()));
    bool full = (i % 500 == 499) || i + 1 == length;
    bool capacity = (i % 100 == 99) || i + 1 == length;
    std::string d = pair.apply(steps.back(), full, capacity, snapshot_at(i, false));
    if (!d.empty()) return std::make_pair(std::move(steps), Failure{i, d});
    Error e = pair.last_error();
    auto& c = coverage->commands[std::string(command_name(steps.back().cmd.body))];
    (e == Error::kOk ? c.first : c.second)++;
    coverage->results[e]++;
    if (e == Error::kOk) ++coverage->accepted;
    for (const Event& ev : pair.events()) coverage->events[ev.type]++;
  }
  coverage->days += gen.days();
  return std::nullopt;
}

// ------------------------------------------------------------------ tests --

TEST(ReferenceModel, RandomizedSequencesAgreeWithTheEngine) {
  const std::uint64_t seed = env_u64("QC_SEED", 20261123);
  const std::size_t total = env_u64("QC_MODEL_COMMANDS", 200000);
  std::size_t done = 0;
  Coverage coverage;
  for (std::uint64_t k = 0; done < total; ++k) {
    std::size_t length = std::min(kSequenceLength, total - done);
    std::uint64_t sub = mix(seed ^ mix(k));
    EngineOptions options = options_for(sub, k);
    auto failed = run_sequence(sub, length, options, &coverage);
    done += length;
    if (!failed) continue;
    Failure f = failed->second;
    std::string first = f.what;
    std::size_t first_index = f.index;
    std::vector<Step> shortest = shrink(std::move(failed->first), &f, options);
    std::ostringstream out;
    out << "engine and reference model disagree.\n  QC_SEED=" << seed << " sequence " << k
        << ", command " << first_index << ": " << first << "\n  shortest failing prefix ("
        << shortest.size() << " commands; the last one fails: " << f.what
        << "), replay with `queuecast replay " << replay_flags(options) << "`:\n";
    for (const Step& st : shortest) out << to_json_line(st) << "\n";
    FAIL() << out.str();
  }
  if (std::getenv("QC_MODEL_STATS")) {
    std::printf("%d clinic days\n", coverage.days);
    for (auto& [name, c] : coverage.commands)
      std::printf("%-18s ok %7d rejected %7d\n", name.c_str(), c.first, c.second);
    for (auto& [e, n] : coverage.results)
      std::printf("%-24s %7d\n", std::string(to_string(e)).c_str(), n);
    for (auto& [t, n] : coverage.events)
      std::printf("%-24s %7d\n", std::string(to_string(t)).c_str(), n);
  }
  if (total < 50000) return;  // a short run (QC_MODEL_COMMANDS) proves nothing about coverage
  EXPECT_GE(coverage.days, 200) << "too few clinic days";
  EXPECT_GT(coverage.accepted, total / 3) << "too few commands were accepted";
  for (EventType t : {EventType::kPrioritySet, EventType::kTicketInserted,
                      EventType::kTicketOvertaken, EventType::kTicketProtected,
                      EventType::kSentForTests, EventType::kReturnedFromTests}) {
    EXPECT_GT(coverage.events[t], 0) << to_string(t) << " never happened";
  }
  for (const char* name : {"book", "hold", "confirm", "release", "cancel", "register_walk_in",
                           "check_in", "call_next", "call_ticket", "recall", "complete",
                           "mark_missed", "return", "move_to_next", "pause", "resume",
                           "suspend_session", "close_session", "create_session", "doctor_leave",
                           "undo", "set_priority", "send_for_tests", "return_from_tests"}) {
    EXPECT_GT(coverage.commands[name].first, 0) << name << " never accepted";
    EXPECT_GT(coverage.commands[name].second, 0) << name << " never rejected";
  }
  for (Error e : {Error::kUnknownSession, Error::kUnknownTicket, Error::kWrongState,
                  Error::kNotOpenYet, Error::kSessionClosed, Error::kSessionPaused,
                  Error::kNoCapacity, Error::kCancelDeadlinePassed, Error::kAlreadyBooked,
                  Error::kBlacklisted, Error::kHoldExpired, Error::kInvalidArgument,
                  Error::kAlreadyExists, Error::kUnknownHold, Error::kBookingLimit,
                  Error::kWindowClosed, Error::kUnknownChannel, Error::kNothingToUndo,
                  Error::kUndoExpired}) {
    EXPECT_GT(coverage.results[e], 0) << to_string(e) << " never produced";
  }
}

}  // namespace
}  // namespace qc::model_test

namespace qc::model_test {
namespace {

// ---------------------------------------------- the model on the spec's examples --
// The model must itself follow the spec: its worked examples, on the model alone.

constexpr Time kD = kBaseDay;  // 2026-11-23 00:00 local
Time local(int h, int m) { return kD + h * kHour + m * kMinute; }

class ModelExamples : public ::testing::Test {
 protected:
  void SetUp() override {
    SessionSpec s;
    s.session_id = "S";
    s.start = local(8, 0);
    s.end = local(12, 0);
    s.registration_open = local(7, 0);
    s.slot_minutes = 60;
    s.appointment_quota = {5, 5, 5, 5};
    s.walkin_quota = {5, 5, 5, 5};
    spec = s;
  }
  void create() { ASSERT_EQ(ok(CreateSession{spec}, local(8, 0) - kDay), Error::kOk); }
  Error ok(CommandBody b, Time now) { return m.apply(Command{Actor{}, std::move(b)}, now); }
  void book(const std::string& id, int slot, const std::string& patient,
            const std::string& priority = "") {
    ASSERT_EQ(ok(Book{"S", slot, patient, "", id, "", "", priority}, local(10, 0) - kDay),
              Error::kOk);
  }
  std::vector<std::string> order() { return m.waiting_order("S"); }
  using V = std::vector<std::string>;

  SessionSpec spec;
  model::Model m;
};

TEST_F(ModelExamples, Example1ArrivalOrder) {
  create();
  book("A1", 1, "p1");
  book("A2", 0, "p2");
  ASSERT_EQ(ok(RegisterWalkIn{"S", "w1", "", "W1", "", ""}, local(7, 10)), Error::kOk);
  ASSERT_EQ(ok(CheckIn{"A1"}, local(7, 20)), Error::kOk);
  ASSERT_EQ(ok(CheckIn{"A2"}, local(7, 30)), Error::kOk);
  EXPECT_EQ(order(), (V{"W1", "A2", "A1"}));
}

TEST_F(ModelExamples, Example2LateArrivalIsDemotedBehindAppointmentsFirst) {
  spec.policy = Policy::kAppointmentsFirst;
  create();
  book("A3", 0, "p3");
  book("A9", 3, "p9");
  ASSERT_EQ(ok(CheckIn{"A3"}, local(9, 10)), Error::kOk);  // late: slot 3, walk-in class
  ASSERT_EQ(ok(RegisterWalkIn{"S", "w1", "", "W1", "", ""}, local(11, 1)), Error::kOk);  // slot 3 too
  ASSERT_EQ(ok(CheckIn{"A9"}, local(11, 5)), Error::kOk);
  EXPECT_EQ(order(), (V{"A9", "A3", "W1"}));
}

TEST_F(ModelExamples, Example3OnTimeButPassedIsNext) {
  create();
  book("A4", 1, "p4");
  book("A5", 2, "p5");
  book("A6", 2, "p6");
  ASSERT_EQ(ok(CheckIn{"A5"}, local(9, 0)), Error::kOk);
  ASSERT_EQ(ok(CheckIn{"A6"}, local(9, 1)), Error::kOk);
  ASSERT_EQ(ok(CallNext{"S", ""}, local(9, 35)), Error::kOk);  // takes A5 (slot 2)
  ASSERT_EQ(ok(CheckIn{"A4"}, local(9, 40)), Error::kOk);
  EXPECT_EQ(order(), (V{"A4", "A6"}));
}

TEST_F(ModelExamples, Example4ReturnOfAMissedTicket) {
  create();
  for (int i = 0; i < 5; ++i)  // fill W[0] so that W5 lands in slot 1
    ASSERT_EQ(ok(RegisterWalkIn{"S", "x", "", "X" + std::to_string(i), "", ""}, local(7, 0)), Error::kOk);
  ASSERT_EQ(ok(RegisterWalkIn{"S", "w5", "", "W5", "", ""}, local(7, 5)), Error::kOk);
  book("A7", 3, "p7");
  ASSERT_EQ(ok(CheckIn{"A7"}, local(7, 6)), Error::kOk);
  ASSERT_EQ(ok(CallTicket{"W5", ""}, local(9, 15)), Error::kOk);
  ASSERT_EQ(ok(MarkMissed{"W5"}, local(9, 17)), Error::kOk);
  model::Model late = m;
  ASSERT_EQ(ok(ReturnTicket{"W5"}, local(9, 40)), Error::kOk);
  EXPECT_EQ(order().front(), "W5");
  ASSERT_EQ(late.apply(Command{Actor{}, ReturnTicket{"W5"}}, local(10, 20)), Error::kOk);
  EXPECT_EQ(late.waiting_order("S").back(), "W5");  // demoted behind A7 (slot 3)
}

TEST_F(ModelExamples, Example5NoShowAtClose) {
  create();
  book("A6", 2, "p6");
  ASSERT_EQ(ok(CallNext{"S", ""}, local(8, 0)), Error::kOk);
  EXPECT_EQ(m.called_ticket("S"), std::nullopt);
  ASSERT_EQ(ok(CloseSession{"S"}, local(12, 0)), Error::kOk);
  EXPECT_EQ(m.ticket_state("A6"), TicketState::kNoShow);
}

TEST_F(ModelExamples, Example6CancelDeadline) {
  create();
  book("A7", 1, "p7");
  book("A8", 1, "p8");
  ASSERT_EQ(ok(Cancel{"A7"}, local(6, 30)), Error::kOk);
  EXPECT_EQ(m.ticket_state("A7"), TicketState::kCancelled);
  EXPECT_EQ(m.session("S")->w_left[1], 6);  // after the conversion time: to W[s]
  EXPECT_EQ(m.session("S")->a_left[1], 3);
  EXPECT_EQ(ok(Cancel{"A8"}, local(7, 30)), Error::kCancelDeadlinePassed);
}

// ---- the clinical flow (spec "Priority, return after tests, several rooms")

class ModelFlow : public ModelExamples {
 protected:
  void walk_in(const std::string& id, Time now, const std::string& priority = "") {
    ASSERT_EQ(ok(RegisterWalkIn{"S", "p-" + id, "", id, "", priority}, now), Error::kOk);
  }
  const model::Ticket& ticket(const std::string& id) {
    for (const model::Ticket& t : m.session("S")->tickets)
      if (t.id == id) return t;
    ADD_FAILURE() << "no ticket " << id;
    return m.session("S")->tickets.front();
  }
  std::vector<std::int32_t> overtaken(const V& ids) {
    std::vector<std::int32_t> out;
    for (const std::string& id : ids) out.push_back(ticket(id).overtaken);
    return out;
  }
  using I = std::vector<std::int32_t>;
};

TEST_F(ModelFlow, Example7PriorityLaneAndTheOvertakingBound) {
  spec.walkin_quota = {9, 5, 5, 5};
  create();
  for (int i = 1; i <= 4; ++i) walk_in("W" + std::to_string(i), local(7, 30 + i));
  walk_in("P1", local(7, 40), "elderly");
  EXPECT_EQ(order(), (V{"W1", "P1", "W2", "W3", "W4"}));
  EXPECT_EQ(ticket("P1").placement, Placement::kInserted);
  EXPECT_EQ(overtaken({"W1", "W2", "W3", "W4"}), (I{0, 1, 1, 1}));
  walk_in("P2", local(7, 41), "military");
  EXPECT_EQ(order(), (V{"W1", "P1", "P2", "W2", "W3", "W4"}));
  walk_in("P3", local(7, 42), "pregnant");
  EXPECT_EQ(order(), (V{"W1", "P1", "P2", "P3", "W2", "W3", "W4"}));
  EXPECT_EQ(overtaken({"W2", "W3", "W4"}), (I{3, 3, 3}));  // protected
  walk_in("P4", local(7, 43), "disabled");
  EXPECT_EQ(order(), (V{"W1", "P1", "P2", "P3", "W2", "W3", "W4", "P4"}));
  EXPECT_EQ(overtaken({"W2", "W3", "W4"}), (I{3, 3, 3}));
  // A walk-in arriving later still queues behind the inserted tickets.
  walk_in("W5", local(7, 44));
  EXPECT_EQ(order().back(), "W5");
}

TEST_F(ModelFlow, Example8ReturnAfterTests) {
  create();
  for (int i = 1; i <= 4; ++i) walk_in("W" + std::to_string(i), local(7, 30 + i));
  ASSERT_EQ(ok(CallNext{"S", ""}, local(8, 0)), Error::kOk);
  ASSERT_EQ(ok(SendForTests{"W1"}, local(8, 5)), Error::kOk);
  EXPECT_EQ(m.ticket_state("W1"), TicketState::kAtTests);
  EXPECT_EQ(m.called_ticket("S"), std::nullopt);  // the room is free
  EXPECT_EQ(order(), (V{"W2", "W3", "W4"}));
  ASSERT_EQ(ok(ReturnFromTests{"W1"}, local(9, 0)), Error::kOk);
  EXPECT_EQ(order(), (V{"W2", "W3", "W1", "W4"}));
  EXPECT_EQ(overtaken({"W2", "W3", "W4"}), (I{0, 0, 1}));
  EXPECT_EQ(ok(ReturnFromTests{"W1"}, local(9, 1)), Error::kWrongState);
}

TEST_F(ModelFlow, Example9SeveralRoomsShareOneQueue) {
  spec.rooms = {"3", "5"};
  create();
  for (int i = 1; i <= 6; ++i) walk_in("W" + std::to_string(i), local(7, 30 + i));
  EXPECT_EQ(ok(CallNext{"S", ""}, local(8, 0)), Error::kInvalidArgument);  // room required
  EXPECT_EQ(ok(CallNext{"S", "4"}, local(8, 0)), Error::kInvalidArgument);  // unknown room
  ASSERT_EQ(ok(CallNext{"S", "3"}, local(8, 0)), Error::kOk);
  ASSERT_EQ(ok(CallNext{"S", "5"}, local(8, 1)), Error::kOk);
  EXPECT_EQ(m.called_in("S", "3"), "W1");
  EXPECT_EQ(m.called_in("S", "5"), "W2");
  ASSERT_EQ(ok(CallNext{"S", "3"}, local(8, 10)), Error::kOk);
  EXPECT_EQ(m.ticket_state("W1"), TicketState::kDone);
  EXPECT_EQ(m.called_in("S", "3"), "W3");
  EXPECT_EQ(m.called_in("S", "5"), "W2");
  EXPECT_EQ(order(), (V{"W4", "W5", "W6"}));
}

TEST_F(ModelFlow, PausesPerRoom) {
  spec.rooms = {"3", "5"};
  create();
  walk_in("W1", local(7, 30));
  walk_in("W2", local(7, 31));
  ASSERT_EQ(ok(Pause{"S", "3"}, local(8, 0)), Error::kOk);
  EXPECT_EQ(m.session("S")->status, SessionStatus::kOpen);  // room 5 still works
  EXPECT_EQ(ok(CallNext{"S", "3"}, local(8, 1)), Error::kSessionPaused);
  EXPECT_EQ(ok(CallTicket{"W2", "3"}, local(8, 1)), Error::kOk);  // an explicit call still works
  ASSERT_EQ(ok(CallNext{"S", "5"}, local(8, 2)), Error::kOk);
  EXPECT_EQ(m.called_in("S", "5"), "W1");
  ASSERT_EQ(ok(Pause{"S", "5"}, local(8, 3)), Error::kOk);
  EXPECT_EQ(m.session("S")->status, SessionStatus::kPaused);  // every room is
  ASSERT_EQ(ok(Resume{"S", ""}, local(8, 4)), Error::kOk);
  EXPECT_EQ(m.session("S")->status, SessionStatus::kOpen);
  EXPECT_FALSE(m.session("S")->rooms[0].paused);
  EXPECT_EQ(ok(Pause{"S", "4"}, local(8, 5)), Error::kInvalidArgument);
}

TEST_F(ModelFlow, OneRoomAcceptsItsNameOrNone) {
  spec.room = "3诊室";
  create();
  walk_in("W1", local(7, 30));
  walk_in("W2", local(7, 31));
  EXPECT_EQ(ok(CallNext{"S", "5"}, local(8, 0)), Error::kInvalidArgument);
  ASSERT_EQ(ok(CallNext{"S", "3诊室"}, local(8, 0)), Error::kOk);
  ASSERT_EQ(ok(CallNext{"S", ""}, local(8, 1)), Error::kOk);
  EXPECT_EQ(m.called_in("S", "3诊室"), "W2");
  EXPECT_EQ(ticket("W2").room, "3诊室");
}

TEST_F(ModelFlow, PriorityAfterZeroGoesToTheHeadAndLaterTicketsStayBehind) {
  spec.priority_after = 0;
  create();
  book("A1", 0, "a1");
  walk_in("W1", local(7, 30));
  walk_in("P1", local(7, 31), "elderly");
  EXPECT_EQ(order(), (V{"P1", "W1"}));
  ASSERT_EQ(ok(CheckIn{"A1"}, local(7, 32)), Error::kOk);  // slot 0, on time
  EXPECT_EQ(order(), (V{"P1", "W1", "A1"}));
  walk_in("P2", local(7, 33), "elderly");  // inserted tickets keep their order
  EXPECT_EQ(order(), (V{"P1", "P2", "W1", "A1"}));
  EXPECT_EQ(overtaken({"W1", "A1"}), (I{2, 1}));
}

TEST_F(ModelFlow, NormalPlaceWinsWhenItIsNotBehind) {
  spec.priority_after = 2;
  create();
  book("A1", 0, "a1");
  book("A2", 1, "a2");
  walk_in("W1", local(7, 30));  // slot 0
  ASSERT_EQ(ok(CheckIn{"A2"}, local(7, 31)), Error::kOk);
  ASSERT_EQ(ok(SetPriority{"A1", "elderly"}, local(7, 32)), Error::kOk);
  ASSERT_EQ(ok(CheckIn{"A1"}, local(7, 33)), Error::kOk);  // slot 0: after W1, as after 2 would
  EXPECT_EQ(order(), (V{"W1", "A1", "A2"}));
  EXPECT_EQ(ticket("A1").placement, Placement::kNormal);
  EXPECT_EQ(overtaken({"W1", "A2"}), (I{0, 0}));
}

TEST_F(ModelFlow, LatePriorityIsInsertedNotDemoted) {
  create();
  book("A1", 0, "a1", "elderly");
  walk_in("W1", local(7, 30));
  walk_in("W2", local(7, 31));
  walk_in("W3", local(7, 32));
  ASSERT_EQ(ok(CheckIn{"A1"}, local(9, 30)), Error::kOk);  // late: would be demoted
  EXPECT_EQ(order(), (V{"W1", "A1", "W2", "W3"}));
  EXPECT_EQ(ticket("A1").placement, Placement::kInserted);
}

TEST_F(ModelFlow, SetPriorityMovesAWaitingTicketAndRemovingLeavesIt) {
  create();
  for (int i = 1; i <= 4; ++i) walk_in("W" + std::to_string(i), local(7, 30 + i));
  EXPECT_EQ(ok(SetPriority{"W4", "Elderly"}, local(7, 40)), Error::kInvalidArgument);
  ASSERT_EQ(ok(SetPriority{"W4", "elderly"}, local(7, 40)), Error::kOk);
  EXPECT_EQ(order(), (V{"W1", "W4", "W2", "W3"}));
  ASSERT_EQ(ok(SetPriority{"W4", ""}, local(7, 41)), Error::kOk);
  EXPECT_EQ(order(), (V{"W1", "W4", "W2", "W3"}));
  EXPECT_EQ(ticket("W4").priority, "");
  ASSERT_EQ(ok(SetPriority{"W2", "elderly"}, local(7, 42)), Error::kOk);  // behind W4 (inserted)
  EXPECT_EQ(order(), (V{"W1", "W4", "W2", "W3"}));
}

// docs/engine.md: back from tests is always inserted, also with nobody to
// pass; with an empty queue it heads band 1 and later tickets queue behind.
TEST_F(ModelFlow, BackFromTestsIsInsertedEvenInAShortQueue) {
  create();
  walk_in("W1", local(7, 0));
  walk_in("W2", local(7, 1));
  ASSERT_EQ(ok(CallNext{"S", ""}, local(8, 0)), Error::kOk);
  ASSERT_EQ(ok(SendForTests{"W1"}, local(8, 5)), Error::kOk);
  ASSERT_EQ(ok(ReturnFromTests{"W1"}, local(8, 30)), Error::kOk);
  EXPECT_EQ(order(), (V{"W2", "W1"}));
  EXPECT_EQ(ticket("W1").placement, Placement::kInserted);
  ASSERT_EQ(ok(CallNext{"S", ""}, local(8, 31)), Error::kOk);
  ASSERT_EQ(ok(SendForTests{"W2"}, local(8, 35)), Error::kOk);
  ASSERT_EQ(ok(CallNext{"S", ""}, local(8, 36)), Error::kOk);
  ASSERT_EQ(ok(ReturnFromTests{"W2"}, local(9, 0)), Error::kOk);
  walk_in("W3", local(9, 1));
  EXPECT_EQ(order(), (V{"W2", "W3"}));
}

// docs/engine.md: set_priority on a WAITING ticket passes only the tickets
// between the insertion point and where it was.
TEST_F(ModelFlow, SetPriorityCountsOnlyTheTicketsItPasses) {
  create();
  for (int i = 1; i <= 5; ++i) walk_in("W" + std::to_string(i), local(7, i));
  ASSERT_EQ(ok(SetPriority{"W4", "elderly"}, local(7, 30)), Error::kOk);
  EXPECT_EQ(order(), (V{"W1", "W4", "W2", "W3", "W5"}));
  EXPECT_EQ(overtaken({"W1", "W2", "W3", "W5"}), (I{0, 1, 1, 0}));
}

// docs/engine.md: a ticket inserted after P takes P's effective slot (the
// serving slot for one heading band 1), so calling it never moves the
// serving slot back.
TEST_F(ModelFlow, InsertedTicketsKeepTheServingSlot) {
  spec.priority_after = 0;
  create();
  book("A1", 2, "a1");
  book("A2", 1, "a2");
  ASSERT_EQ(ok(CheckIn{"A1"}, local(7, 0)), Error::kOk);
  ASSERT_EQ(ok(CallNext{"S", ""}, local(8, 0)), Error::kOk);  // serving slot 2
  walk_in("W1", local(8, 1));
  walk_in("P1", local(8, 2), "elderly");
  walk_in("P2", local(8, 3), "elderly");
  EXPECT_EQ(order(), (V{"P1", "P2", "W1"}));
  ASSERT_EQ(ok(CallNext{"S", ""}, local(8, 10)), Error::kOk);
  ASSERT_EQ(ok(CallNext{"S", ""}, local(8, 20)), Error::kOk);
  EXPECT_EQ(m.session("S")->serving_slot, 2);
  ASSERT_EQ(ok(CheckIn{"A2"}, local(8, 30)), Error::kOk);  // passed: made next
  EXPECT_EQ(order(), (V{"A2", "W1"}));
}

TEST_F(ModelFlow, AtTestsIsDoneAtCloseAndHoldsOffTheAutomaticClose) {
  create();
  walk_in("W1", local(7, 30));
  ASSERT_EQ(ok(CallNext{"S", ""}, local(8, 0)), Error::kOk);
  ASSERT_EQ(ok(SendForTests{"W1"}, local(8, 5)), Error::kOk);
  EXPECT_EQ(ok(SendForTests{"W1"}, local(8, 6)), Error::kWrongState);
  ASSERT_EQ(ok(Tick{}, local(12, 30)), Error::kOk);
  EXPECT_EQ(m.session("S")->status, SessionStatus::kOpen);  // waits for W1
  model::Model back = m;  // the patient comes back after the end: still seen
  ASSERT_EQ(back.apply(Command{Actor{}, ReturnFromTests{"W1"}}, local(12, 31)), Error::kOk);
  EXPECT_EQ(back.waiting_order("S"), (V{"W1"}));
  ASSERT_EQ(ok(Tick{}, local(16, 0)), Error::kOk);  // end + auto_close_grace
  EXPECT_EQ(m.session("S")->status, SessionStatus::kClosed);
  EXPECT_EQ(m.ticket_state("W1"), TicketState::kDone);
  EXPECT_EQ(ok(ReturnFromTests{"W1"}, local(16, 1)), Error::kSessionClosed);
}

}  // namespace
}  // namespace qc::model_test

namespace qc::model_test {
namespace {

// The engine is deterministic: the same commands at the same times give the
// same events, byte for byte; a copy taken half-way continues identically.
TEST(EngineDeterminism, SameCommandsSameEventsAndCopiesAgree) {
  Generator gen(mix(env_u64("QC_SEED", 20261123) + 1));
  model::Model steering;  // the generator aims with the model's state
  std::vector<Step> steps;
  for (int i = 0; i < 6000; ++i) {
    steps.push_back(gen.next(steering));
    steering.apply(steps.back().cmd, steps.back().now);
  }
  Engine a, b;
  std::optional<Engine> copy;
  std::vector<Event> ea, eb, ec;
  std::string ma, mb, mc;
  std::size_t events = 0;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (i == steps.size() / 2) copy.emplace(a);
    ea.clear();
    eb.clear();
    Error ra = a.apply_into(steps[i].cmd, steps[i].now, &ea, &ma);
    Error rb = b.apply_into(steps[i].cmd, steps[i].now, &eb, &mb);
    ASSERT_EQ(ra, rb) << "command " << i;
    ASSERT_EQ(ma, mb) << "command " << i;
    ASSERT_EQ(ea, eb) << "command " << i << ": " << to_json_line(steps[i]);
    if (copy) {
      ec.clear();
      Error rc = copy->apply_into(steps[i].cmd, steps[i].now, &ec, &mc);
      ASSERT_EQ(ra, rc) << "command " << i;
      ASSERT_EQ(ea, ec) << "command " << i;
    }
    events += ea.size();
  }
  EXPECT_GT(events, steps.size() / 4);  // the run did things
  for (const std::string& sid : a.session_ids()) {
    EXPECT_EQ(a.waiting_order(sid), copy->waiting_order(sid));
    EXPECT_EQ(a.called_ticket(sid), copy->called_ticket(sid));
  }
}

}  // namespace
}  // namespace qc::model_test
