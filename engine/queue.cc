// The queue: check_in, call_next, call_ticket, recall, complete,
// mark_missed, return, move_to_next, pause, resume, suspend, close, undo.
#include <algorithm>

#include "engine/ops.h"

namespace qc {

namespace {

// The session's queue bookkeeping that an undo restores (the serving slot,
// the consultation statistics, and the fields of the action's room), from a
// SessionRec to an UndoRec (undo_begin) or back (op_undo).
void save_undone_fields(const SessionRec& s, std::uint8_t room, UndoRec& u) {
  const RoomRec& r = s.rooms[room];
  u.room = room;
  u.called = r.called;
  u.last_call = r.last_call;
  u.paused_since_call = r.paused_since_call;
  u.serving_slot = s.serving_slot;
  u.consult_sum = s.consult_sum;
  u.consult_n = s.consult_n;
}
void restore_undone_fields(const UndoRec& u, SessionRec& s) {
  RoomRec& r = s.rooms[u.room];
  r.called = u.called;
  r.last_call = u.last_call;
  r.paused_since_call = u.paused_since_call;
  s.serving_slot = u.serving_slot;
  s.consult_sum = u.consult_sum;
  s.consult_n = u.consult_n;
}

// Undo records (UndoRec): undo_begin() before an undoable action's first
// change, undo_ticket() before each ticket it changes, undo_seal() at its end
// (touches the session and stamps the record with the new version).
void undo_begin(SessionRec& s, std::uint8_t room, UndoAction action) {
  UndoRec& u = s.undo;
  u = UndoRec{};
  u.action = action;
  save_undone_fields(s, room, u);
}

void undo_ticket(SessionRec& s, std::uint32_t ti) {
  UndoRec& u = s.undo;
  const TicketRec& t = s.tickets[ti];
  u.tickets[u.n++] = UndoTicket{ti, t.state, t.called_at};
}

void undo_seal(State& st, SessionIdx si, Time now) {
  touch(st, si);
  UndoRec& u = st.sessions[si].undo;
  if (u.n == 0) {  // nothing changed (call_next with nobody called or waiting)
    u = UndoRec{};
    return;
  }
  u.version = st.sessions[si].version;
  u.at = now;
}

std::string_view undo_reason(UndoAction a) {
  switch (a) {
    case UndoAction::kCallNext: return "call_next";
    case UndoAction::kCallTicket: return "call_ticket";
    case UndoAction::kComplete: return "complete";
    case UndoAction::kMarkMissed: return "mark_missed";
    case UndoAction::kNone: break;
  }
  return {};
}

// The room's CALLED ticket, if any, becomes DONE (reason next_call).
void complete_called(SessionRec& s, std::uint8_t room, const Actor& actor, Time now, Events* ev) {
  RoomRec& r = s.rooms[room];
  if (r.called < 0) return;
  undo_ticket(s, static_cast<std::uint32_t>(r.called));
  TicketRec& t = s.tickets[r.called];
  t.state = TicketState::kDone;
  r.called = -1;
  add_ticket_event(ev, EventType::kTicketCompleted, now, actor, s, t,
      TicketState::kCalled, {}, "next_call").room = r.name;
}

// WAITING ticket `ti` (already out of the queue) becomes CALLED in `room`.
// The consultation time is learned per room: the time since the room's
// previous call, unless the room was paused in between.
void call(SessionRec& s, std::uint8_t room, std::uint32_t ti, const Actor& actor, Time now,
          const char* reason, Events* ev) {
  RoomRec& r = s.rooms[room];
  if (r.last_call != kNoTime && !r.paused_since_call && now >= r.last_call &&
      now - r.last_call <= kMaxConsultInterval) {
    s.consult_sum += now - r.last_call;
    s.consult_n += 1;
  }
  r.last_call = now;
  r.paused_since_call = false;
  TicketRec& t = s.tickets[ti];
  t.state = TicketState::kCalled;
  t.called_at = now;
  t.room = room;
  t.recalls = 0;
  r.called = static_cast<std::int32_t>(ti);
  add_ticket_event(ev, EventType::kTicketCalled, now, actor, s, t,
      TicketState::kWaiting, {}, reason).room = r.name;
}

// A BOOKED or MISSED ticket presents: the presenting rule (and, for a
// priority ticket, the insertion) puts it in the queue. The caller appends
// its event, then insertion_events().
Entry present(SessionRec& s, std::uint32_t ti, bool missed, Time now) {
  TicketRec& t = s.tickets[ti];
  const Presenting p = presenting(s, t, missed, now, s.next_seq++);
  const Entry e = queue_entry(s, t, p, EntryKind::kPresent, 0);
  enter_queue(s, ti, e);
  t.checked_in_at = now;
  return e;
}

// The room a call names (`name` empty: the only room); invalid_argument
// when the session has several rooms and none is named, or no such room.
Error find_room(const SessionRec& s, std::string_view name, std::uint8_t* room,
                std::string* msg) {
  if (name.empty()) {
    if (s.rooms.size() == 1) {
      *room = 0;
      return Error::kOk;
    }
    return reject(msg, Error::kInvalidArgument, "room required: the session has several rooms",
                  s.spec.session_id);
  }
  for (std::size_t i = 0; i < s.rooms.size(); ++i) {
    if (s.rooms[i].name == name) {
      *room = static_cast<std::uint8_t>(i);
      return Error::kOk;
    }
  }
  return reject(msg, Error::kInvalidArgument, "unknown room", name);
}

}  // namespace

Error op_check_in(State& st, const Actor& actor, const CheckIn& c, Time now, Events* ev,
                  std::string* msg) {
  return on_ticket(st, c.ticket_id, TicketState::kBooked, msg,
                   [&](SessionRec& s, TicketRec& t, Loc loc) {
    if (now < s.spec.registration_open)
      return reject(msg, Error::kNotOpenYet, "check-in is not open yet", c.ticket_id);
    if (now >= s.spec.end)
      return reject(msg, Error::kSessionClosed, "the session has ended", c.ticket_id);
    if (t.patient < st.patients.size()) prefetch(&st.patients[t.patient]);
    s.booked[t.slot] -= 1;
    const Entry e = present(s, loc.index, false, now);
    patient_remove_active(st, t.patient, loc.session);
    add_ticket_event(ev, EventType::kCheckedIn, now, actor, s, t, TicketState::kBooked);
    insertion_events(s, loc.index, e, ~std::uint64_t{0}, actor, now, ev);
    touch(st, loc.session);
    return Error::kOk;
  });
}

Error op_call_next(State& st, const Actor& actor, const CallNext& c, Time now, Events* ev,
                   std::string* msg) {
  SessionIdx si;
  if (Error e = known_session(st, c.session_id, &si, msg); e != Error::kOk) return e;
  SessionRec& s = st.sessions[si];
  std::uint8_t room;
  if (Error e = find_room(s, c.room, &room, msg); e != Error::kOk) return e;
  if (Error e = check_not_closed(s, msg); e != Error::kOk) return e;
  if (s.rooms[room].paused)
    return reject(msg, Error::kSessionPaused,
                  s.rooms.size() == 1 ? "session is paused" : "room is paused",
                  s.rooms.size() == 1 ? std::string_view(c.session_id) : std::string_view(c.room));
  // Both tickets are needed below; load them at once.
  if (s.rooms[room].called >= 0) prefetch(&s.tickets[s.rooms[room].called]);
  if (!s.waiting.empty()) prefetch(&s.tickets[s.waiting.back().ticket]);
  undo_begin(s, room, UndoAction::kCallNext);
  complete_called(s, room, actor, now, ev);
  if (s.waiting.empty()) {
    add_event(ev, EventType::kNobodyWaiting, now, actor, s);
  } else {
    WaitEntry next = s.waiting.back();
    s.waiting.pop_back();
    undo_ticket(s, next.ticket);
    if (key_band(next.key)) s.serving_slot = s.tickets[next.ticket].effective_slot;
    call(s, room, next.ticket, actor, now, "call_next", ev);
  }
  undo_seal(st, si, now);
  return Error::kOk;
}

Error op_call_ticket(State& st, const Actor& actor, const CallTicket& c, Time now, Events* ev,
                     std::string* msg) {
  Loc loc;
  if (!find_ticket(st, c.ticket_id, &loc))
    return reject(msg, Error::kUnknownTicket, "unknown ticket", c.ticket_id);
  SessionRec& s = st.sessions[loc.session];
  TicketRec& t = s.tickets[loc.index];
  std::uint8_t room;
  if (Error e = find_room(s, c.room, &room, msg); e != Error::kOk) return e;
  if (Error e = check_not_closed(s, msg); e != Error::kOk) return e;
  if (t.state != TicketState::kWaiting) return wrong_state(msg, t, TicketState::kWaiting);
  undo_begin(s, room, UndoAction::kCallTicket);
  complete_called(s, room, actor, now, ev);
  queue_erase(s, t.key);
  undo_ticket(s, loc.index);
  call(s, room, loc.index, actor, now, "call_ticket", ev);
  undo_seal(st, loc.session, now);
  return Error::kOk;
}

Error op_recall(State& st, const Actor& actor, const Recall& c, Time now, Events* ev,
                std::string* msg) {
  return on_ticket(st, c.ticket_id, TicketState::kCalled, msg,
                   [&](SessionRec& s, TicketRec& t, Loc loc) {
    if (t.recalls < 0xFF) ++t.recalls;
    add_ticket_event(ev, EventType::kTicketRecalled, now, actor, s, t, TicketState::kCalled)
        .room = room_name(s, t.room);
    touch(st, loc.session);
    return Error::kOk;
  });
}

namespace {
// complete and mark_missed (allowed on a suspended session for its CALLED
// ticket): the CALLED ticket becomes `to` with event `type` (reason
// "complete" for a completion).
Error finish_called(State& st, const Actor& actor, const std::string& id, UndoAction action,
                    TicketState to, EventType type, std::string_view reason, Time now,
                    Events* ev, std::string* msg) {
  Loc loc;
  if (!find_ticket(st, id, &loc)) return reject(msg, Error::kUnknownTicket, "unknown ticket", id);
  SessionRec& s = st.sessions[loc.session];
  TicketRec& t = s.tickets[loc.index];
  // complete also ends a visit AT_TESTS (the results were enough).
  const bool at_tests = t.state == TicketState::kAtTests && action == UndoAction::kComplete;
  if (s.status == SessionStatus::kClosed ||
      (s.status == SessionStatus::kSuspended && t.state != TicketState::kCalled))
    return check_not_closed(s, msg);
  if (t.state != TicketState::kCalled && !at_tests)
    return wrong_state(msg, t, TicketState::kCalled);
  const TicketState from = t.state;
  undo_begin(s, t.room < s.rooms.size() ? t.room : 0, action);
  undo_ticket(s, loc.index);
  t.state = to;
  if (at_tests) s.at_tests -= 1;
  else s.rooms[t.room].called = -1;
  add_ticket_event(ev, type, now, actor, s, t, from, {}, reason).room = room_name(s, t.room);
  undo_seal(st, loc.session, now);
  return Error::kOk;
}
}  // namespace

Error op_complete(State& st, const Actor& actor, const Complete& c, Time now, Events* ev,
                  std::string* msg) {
  return finish_called(st, actor, c.ticket_id, UndoAction::kComplete, TicketState::kDone,
                       EventType::kTicketCompleted, "complete", now, ev, msg);
}

Error op_mark_missed(State& st, const Actor& actor, const MarkMissed& c, Time now, Events* ev,
                     std::string* msg) {
  return finish_called(st, actor, c.ticket_id, UndoAction::kMarkMissed, TicketState::kMissed,
                       EventType::kTicketMissed, {}, now, ev, msg);
}

Error op_return(State& st, const Actor& actor, const ReturnTicket& c, Time now, Events* ev,
                std::string* msg) {
  return on_ticket(st, c.ticket_id, TicketState::kMissed, msg,
                   [&](SessionRec& s, TicketRec& t, Loc loc) {
    if (now >= s.spec.end)
      return reject(msg, Error::kSessionClosed, "the session has ended", c.ticket_id);
    const Entry e = present(s, loc.index, true, now);
    add_ticket_event(ev, EventType::kTicketReturned, now, actor, s, t, TicketState::kMissed);
    insertion_events(s, loc.index, e, ~std::uint64_t{0}, actor, now, ev);
    touch(st, loc.session);
    return Error::kOk;
  });
}

Error op_move_to_next(State& st, const Actor& actor, const MoveToNext& c, Time now, Events* ev,
                      std::string* msg) {
  return on_ticket(st, c.ticket_id, TicketState::kWaiting, msg,
                   [&](SessionRec& s, TicketRec& t, Loc loc) {
    queue_erase(s, t.key);
    t.key = make_key(0, 0, 0, s.next_seq++);
    t.placement = Placement::kMadeNext;
    queue_insert(s, loc.index, t.key);
    add_ticket_event(ev, EventType::kMovedToNext, now, actor, s, t, TicketState::kWaiting);
    touch(st, loc.session);
    return Error::kOk;
  });
}

namespace {
// pause and resume of one room, or of every room (`room` empty); the
// session is PAUSED when every room is. Nothing happens (no event) if the
// rooms are so already.
Error set_paused(State& st, const Actor& actor, const std::string& id, const std::string& room,
                 bool paused, Time now, Events* ev, std::string* msg) {
  SessionIdx si;
  if (Error e = known_session(st, id, &si, msg); e != Error::kOk) return e;
  SessionRec& s = st.sessions[si];
  std::uint8_t only = kNoRoom;
  if (!room.empty())
    if (Error e = find_room(s, room, &only, msg); e != Error::kOk) return e;
  if (Error e = check_not_closed(s, msg); e != Error::kOk) return e;
  bool changed = false;
  std::int32_t n = 0;
  for (std::size_t i = 0; i < s.rooms.size(); ++i) {
    RoomRec& r = s.rooms[i];
    if ((only == kNoRoom || only == i) && r.paused != paused) {
      r.paused = paused;
      if (paused) r.paused_since_call = true;
      changed = true;
    }
    n += r.paused ? 1 : 0;
  }
  if (!changed) return Error::kOk;
  s.status = n == static_cast<std::int32_t>(s.rooms.size()) ? SessionStatus::kPaused
                                                            : SessionStatus::kOpen;
  Event& e = add_event(ev, paused ? EventType::kSessionPaused : EventType::kSessionResumed, now,
                       actor, s);
  e.room = room;
  e.count = n;
  touch(st, si);
  return Error::kOk;
}
}  // namespace

Error op_pause(State& st, const Actor& actor, const Pause& c, Time now, Events* ev,
               std::string* msg) {
  return set_paused(st, actor, c.session_id, c.room, true, now, ev, msg);
}

Error op_resume(State& st, const Actor& actor, const Resume& c, Time now, Events* ev,
                std::string* msg) {
  return set_paused(st, actor, c.session_id, c.room, false, now, ev, msg);
}

Error op_suspend(State& st, const Actor& actor, const SuspendSession& c, Time now, Events* ev,
                 std::string* msg) {
  SessionIdx si;
  if (Error e = open_session(st, c.session_id, &si, msg); e != Error::kOk) return e;
  suspend_session(st, si, actor, c.reason, {}, now, ev);
  return Error::kOk;
}

Error op_close(State& st, const Actor& actor, const CloseSession& c, Time now, Events* ev,
               std::string* msg) {
  SessionIdx si;
  if (Error e = known_session(st, c.session_id, &si, msg); e != Error::kOk) return e;
  if (st.sessions[si].status == SessionStatus::kClosed)
    return reject(msg, Error::kSessionClosed, "session is closed", c.session_id);
  close_session_now(st, si, actor, now, ev);
  return Error::kOk;
}

// Undo: the session's last call_next / call_ticket / complete / mark_missed,
// while nothing else changed the session (its version is the one the action
// left) and for kUndoWindow after it. Tickets are restored newest change
// first, each with its state, called_at and (WAITING) its old queue key, so
// it takes its old place; the session's called ticket, serving slot and
// consultation statistics return to their values before the action.
Error op_undo(State& st, const Actor& actor, const Undo& c, Time now, Events* ev,
              std::string* msg) {
  SessionIdx si;
  if (Error e = known_session(st, c.session_id, &si, msg); e != Error::kOk) return e;
  SessionRec& s = st.sessions[si];
  if (!s.undo_valid())
    return reject(msg, Error::kNothingToUndo,
                  "nothing to undo: no call, complete or missed since the session last changed",
                  c.session_id);
  if (now - s.undo.at > kUndoWindow)
    return reject(msg, Error::kUndoExpired, "the last action is older than 60 s",
                  c.session_id);
  const UndoRec u = s.undo;
  const std::string_view reason = undo_reason(u.action);
  for (int i = u.n - 1; i >= 0; --i) {
    const UndoTicket& x = u.tickets[i];
    TicketRec& t = s.tickets[x.index];
    const TicketState from = t.state;
    t.state = x.state;
    t.called_at = x.called_at;
    if (t.called_at == kNoTime) t.room = kNoRoom;  // never called before the action
    if (t.state == TicketState::kWaiting) queue_insert(s, x.index, t.key);
    if (t.state == TicketState::kAtTests) s.at_tests += 1;
    add_ticket_event(ev, EventType::kActionUndone, now, actor, s, t, from, {}, reason).room =
        room_name(s, t.room);
  }
  restore_undone_fields(u, s);
  s.undo = UndoRec{};
  touch(st, si);
  return Error::kOk;
}

}  // namespace qc
