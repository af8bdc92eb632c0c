// Compact scenarios for engine tests:
//
//   Scenario sc;                       // session "S", 08:00-12:00, 60-min slots
//   sc.run({walk_in("W1", at("07:10")), check_in("A1", at("07:20"))});
//   EXPECT_EQ(sc.order(), ids("W1 A1"));
//
// Times are local (UTC+8) on 2026-11-23 (a Monday); the sessions and times
// (example_spec, late_doctor, at, day_before) are tests/support/sessions.h.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "tests/support/sessions.h"

namespace qc::test {

inline Actor nurse() { return Actor{ActorKind::kNurse, "n1"}; }

struct Step {
  Command cmd;
  Time now;
};

inline Step step(CommandBody body, Time now) { return Step{Command{nurse(), std::move(body)}, now}; }


inline Step book(std::string id, int slot, Time now, std::string ref = "",
                 std::string channel = "", std::string sid = kSid) {
  if (ref.empty()) ref = "p-" + id;
  return step(Book{sid, slot, ref, "Name " + id, id, channel, ""}, now);
}
inline Step walk_in(std::string id, Time now, std::string ref = "", std::string sid = kSid) {
  return step(RegisterWalkIn{sid, ref.empty() ? "p-" + id : ref, "Name " + id, id, ""}, now);
}
inline Step check_in(std::string id, Time now) { return step(CheckIn{id}, now); }
inline Step call_next(Time now, std::string sid = kSid) { return step(CallNext{sid}, now); }
inline Step call_ticket(std::string id, Time now) { return step(CallTicket{id}, now); }
inline Step recall(std::string id, Time now) { return step(Recall{id}, now); }
inline Step complete(std::string id, Time now) { return step(Complete{id}, now); }
inline Step missed(std::string id, Time now) { return step(MarkMissed{id}, now); }
inline Step ret(std::string id, Time now) { return step(ReturnTicket{id}, now); }
inline Step move_next(std::string id, Time now) { return step(MoveToNext{id}, now); }
inline Step cancel(std::string id, Time now) { return step(Cancel{id}, now); }
inline Step pause(Time now, std::string sid = kSid) { return step(Pause{sid}, now); }
inline Step resume(Time now, std::string sid = kSid) { return step(Resume{sid}, now); }
inline Step suspend(Time now, std::string reason = "sick", std::string sid = kSid) {
  return step(SuspendSession{sid, reason}, now);
}
inline Step close(Time now, std::string sid = kSid) { return step(CloseSession{sid}, now); }
inline Step tick(Time now) { return step(Tick{}, now); }
inline Step hold(std::string hold_id, int slot, Time now, std::string ref,
                 std::string channel = "", Duration ttl = 0, std::string sid = kSid) {
  return step(Hold{sid, slot, ref, "Name " + ref, channel, ttl, hold_id}, now);
}
inline Step confirm(std::string hold_id, std::string ticket_id, Time now) {
  return step(Confirm{hold_id, ticket_id, ""}, now);
}
inline Step release(std::string hold_id, Time now) { return step(Release{hold_id}, now); }
// The clinical flow (spec "Priority, return after tests, several rooms").
inline Step priority_walk_in(std::string id, Time now, std::string reason = "elderly",
                             std::string sid = kSid) {
  return step(RegisterWalkIn{sid, "p-" + id, "Name " + id, id, "", reason}, now);
}
inline Step priority_book(std::string id, int slot, Time now, std::string reason = "elderly",
                          std::string sid = kSid) {
  return step(Book{sid, slot, "p-" + id, "Name " + id, id, "", "", reason}, now);
}
inline Step set_priority(std::string id, std::string reason, Time now) {
  return step(SetPriority{id, reason}, now);
}
inline Step send_for_tests(std::string id, Time now) { return step(SendForTests{id}, now); }
inline Step return_from_tests(std::string id, Time now) { return step(ReturnFromTests{id}, now); }
inline Step call_next_in(std::string room, Time now, std::string sid = kSid) {
  return step(CallNext{sid, room}, now);
}
inline Step call_ticket_in(std::string id, std::string room, Time now) {
  return step(CallTicket{id, room}, now);
}
inline Step pause_room(std::string room, Time now, std::string sid = kSid) {
  return step(Pause{sid, room}, now);
}
inline Step resume_room(std::string room, Time now, std::string sid = kSid) {
  return step(Resume{sid, room}, now);
}

// "A B C" -> {"A", "B", "C"}.
inline std::vector<std::string> ids(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

struct Scenario {
  Engine engine;
  std::vector<Event> log;  // every event so far

  explicit Scenario(SessionSpec spec = example_spec(), EngineOptions o = {}) : engine(o) {
    Result r = engine.apply(Command{Actor{ActorKind::kAdmin, "a1"}, CreateSession{spec}},
                            spec.registration_open - 2 * kDay);
    EXPECT_TRUE(r.ok()) << r.message;
  }
  struct Empty {};
  explicit Scenario(Empty, EngineOptions o = {}) : engine(o) {}

  // Applies one step; returns its result (events appended to the log).
  Result apply(const Step& s) {
    Result r = engine.apply(s.cmd, s.now);
    log.insert(log.end(), r.events.begin(), r.events.end());
    return r;
  }
  // Applies steps that must all succeed; returns the last result.
  Result run(std::initializer_list<Step> steps) {
    Result last;
    for (const Step& s : steps) {
      last = apply(s);
      EXPECT_TRUE(last.ok()) << command_name(s.cmd.body) << ": " << to_string(last.error)
                             << " " << last.message;
    }
    return last;
  }
  // Applies a step that must be rejected with `e`; checks nothing changed.
  void reject(const Step& s, Error e) {
    std::string before = engine.save();
    std::uint64_t v = engine.session_version(kSid);
    Result r = apply(s);
    EXPECT_EQ(r.error, e) << command_name(s.cmd.body) << ": got " << to_string(r.error) << " "
                          << r.message;
    EXPECT_TRUE(r.events.empty());
    EXPECT_FALSE(r.message.empty());
    EXPECT_EQ(engine.session_version(kSid), v);
    EXPECT_EQ(engine.save(), before) << "a rejected command changed the state";
  }

  std::vector<std::string> order(std::string sid = kSid) const { return engine.waiting_order(sid); }
  std::string called(std::string sid = kSid) const {
    auto c = engine.called_ticket(sid);
    return c ? *c : "";
  }
  TicketState state(const std::string& id) const {
    auto s = engine.ticket_state(id);
    EXPECT_TRUE(s.has_value()) << id;
    return s.value_or(TicketState::kBooked);
  }
  PatientView view(const std::string& id, Time now) const {
    auto v = engine.patient_view(id, now);
    EXPECT_TRUE(v.has_value()) << id;
    return v.value_or(PatientView{});
  }
  StaffView staff(Time now) const { return engine.staff_view(kSid, now).value_or(StaffView{}); }
};

// The first event of `type` in `events` (fails the test if none).
inline Event find_event(const std::vector<Event>& events, EventType type) {
  for (const Event& e : events)
    if (e.type == type) return e;
  ADD_FAILURE() << "no event " << to_string(type);
  return Event{};
}
inline int count_events(const std::vector<Event>& events, EventType type) {
  int n = 0;
  for (const Event& e : events) n += e.type == type;
  return n;
}

}  // namespace qc::test
