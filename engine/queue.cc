// The queue: check_in, call_next, call_ticket, recall, complete,
// mark_missed, return, move_to_next, pause, resume, suspend, close, undo.
#include <algorithm>

#include "engine/ops.h"

namespace qc {

namespace {

Error wrong_state(std::string* msg, const TicketRec& t, TicketState need) {
  if (msg) {
    msg->assign("ticket ");
    msg->append(t.id);
    msg->append(" is ");
    msg->append(to_string(t.state));
    msg->append(", needs ");
    msg->append(to_string(need));
  }
  return Error::kWrongState;
}

// The preamble of a ticket command, in the spec's rule order: unknown_ticket,
// session_closed (closed or suspended session), wrong_state unless the ticket
// is in state `need`; then `body(s, t, loc)` runs and returns the result.
template <class Body>
Error on_ticket(State& st, const std::string& id, TicketState need, std::string* msg,
                Body&& body) {
  Loc loc;
  if (Error e = open_ticket(st, id, &loc, msg); e != Error::kOk) return e;
  SessionRec& s = st.sessions[loc.session];
  TicketRec& t = s.tickets[loc.index];
  if (t.state != need) return wrong_state(msg, t, need);
  return body(s, t, loc);
}

// The session's queue bookkeeping that an undo restores, from a SessionRec
// to an UndoRec (undo_begin) or back (op_undo).
template <class From, class To>
void copy_undone_fields(const From& from, To& to) {
  to.called = from.called;
  to.serving_slot = from.serving_slot;
  to.last_call = from.last_call;
  to.consult_sum = from.consult_sum;
  to.consult_n = from.consult_n;
  to.paused_since_call = from.paused_since_call;
}

// Undo records (UndoRec): undo_begin() before an undoable action's first
// change, undo_ticket() before each ticket it changes, undo_seal() at its end
// (touches the session and stamps the record with the new version).
void undo_begin(SessionRec& s, UndoAction action) {
  UndoRec& u = s.undo;
  u = UndoRec{};
  u.action = action;
  copy_undone_fields(s, u);
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

// The CALLED ticket, if any, becomes DONE (reason next_call).
void complete_called(SessionRec& s, const Actor& actor, Time now, Events* ev) {
  if (s.called < 0) return;
  undo_ticket(s, static_cast<std::uint32_t>(s.called));
  TicketRec& t = s.tickets[s.called];
  t.state = TicketState::kDone;
  s.called = -1;
  add_ticket_event(ev, EventType::kTicketCompleted, now, actor, s, t,
      TicketState::kCalled, {}, "next_call");
}

// WAITING ticket `ti` (already out of the queue) becomes CALLED.
void call(SessionRec& s, std::uint32_t ti, const Actor& actor, Time now, const char* reason,
          Events* ev) {
  if (s.last_call != kNoTime && !s.paused_since_call && now >= s.last_call &&
      now - s.last_call <= kMaxConsultInterval) {
    s.consult_sum += now - s.last_call;
    s.consult_n += 1;
  }
  s.last_call = now;
  s.paused_since_call = false;
  TicketRec& t = s.tickets[ti];
  t.state = TicketState::kCalled;
  t.called_at = now;
  s.called = static_cast<std::int32_t>(ti);
  add_ticket_event(ev, EventType::kTicketCalled, now, actor, s, t,
      TicketState::kWaiting, {}, reason);
}

// A BOOKED or MISSED ticket presents: the presenting rule puts it in the queue.
void present(SessionRec& s, std::uint32_t ti, bool missed, Time now) {
  TicketRec& t = s.tickets[ti];
  Presenting p = presenting(s, t, missed, now, s.next_seq++);
  t.key = p.key;
  t.effective_slot = p.effective_slot;
  t.placement = p.placement;
  t.state = TicketState::kWaiting;
  t.checked_in_at = now;
  queue_insert(s, ti, t.key);
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
    present(s, loc.index, false, now);
    patient_remove_active(st, t.patient, loc.session);
    add_ticket_event(ev, EventType::kCheckedIn, now, actor, s, t, TicketState::kBooked);
    touch(st, loc.session);
    return Error::kOk;
  });
}

Error op_call_next(State& st, const Actor& actor, const CallNext& c, Time now, Events* ev,
                   std::string* msg) {
  SessionIdx si;
  if (Error e = open_session(st, c.session_id, &si, msg); e != Error::kOk) return e;
  SessionRec& s = st.sessions[si];
  if (s.status == SessionStatus::kPaused)
    return reject(msg, Error::kSessionPaused, "session is paused", c.session_id);
  // Both tickets are needed below; load them at once.
  if (s.called >= 0) prefetch(&s.tickets[s.called]);
  if (!s.waiting.empty()) prefetch(&s.tickets[s.waiting.back().ticket]);
  undo_begin(s, UndoAction::kCallNext);
  complete_called(s, actor, now, ev);
  if (s.waiting.empty()) {
    add_event(ev, EventType::kNobodyWaiting, now, actor, s);
  } else {
    WaitEntry next = s.waiting.back();
    s.waiting.pop_back();
    undo_ticket(s, next.ticket);
    if (next.key >> 63) s.serving_slot = s.tickets[next.ticket].effective_slot;
    call(s, next.ticket, actor, now, "call_next", ev);
  }
  undo_seal(st, si, now);
  return Error::kOk;
}

Error op_call_ticket(State& st, const Actor& actor, const CallTicket& c, Time now, Events* ev,
                     std::string* msg) {
  return on_ticket(st, c.ticket_id, TicketState::kWaiting, msg,
                   [&](SessionRec& s, TicketRec& t, Loc loc) {
    undo_begin(s, UndoAction::kCallTicket);
    complete_called(s, actor, now, ev);
    queue_erase(s, t.key);
    undo_ticket(s, loc.index);
    call(s, loc.index, actor, now, "call_ticket", ev);
    undo_seal(st, loc.session, now);
    return Error::kOk;
  });
}

Error op_recall(State& st, const Actor& actor, const Recall& c, Time now, Events* ev,
                std::string* msg) {
  return on_ticket(st, c.ticket_id, TicketState::kCalled, msg,
                   [&](SessionRec& s, TicketRec& t, Loc loc) {
    add_ticket_event(ev, EventType::kTicketRecalled, now, actor, s, t, TicketState::kCalled);
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
  if (s.status == SessionStatus::kClosed ||
      (s.status == SessionStatus::kSuspended && t.state != TicketState::kCalled))
    return check_not_closed(s, msg);
  if (t.state != TicketState::kCalled) return wrong_state(msg, t, TicketState::kCalled);
  undo_begin(s, action);
  undo_ticket(s, loc.index);
  t.state = to;
  s.called = -1;
  add_ticket_event(ev, type, now, actor, s, t, TicketState::kCalled, {}, reason);
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
    present(s, loc.index, true, now);
    add_ticket_event(ev, EventType::kTicketReturned, now, actor, s, t, TicketState::kMissed);
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
// pause and resume: the session (open or paused) takes status `to`; nothing
// happens if it has it already.
Error set_paused(State& st, const Actor& actor, const std::string& id, bool paused, Time now,
                 Events* ev, std::string* msg) {
  SessionIdx si;
  if (Error e = open_session(st, id, &si, msg); e != Error::kOk) return e;
  SessionRec& s = st.sessions[si];
  const SessionStatus to = paused ? SessionStatus::kPaused : SessionStatus::kOpen;
  if (s.status == to) return Error::kOk;
  s.status = to;
  if (paused) s.paused_since_call = true;
  add_event(ev, paused ? EventType::kSessionPaused : EventType::kSessionResumed, now, actor, s);
  touch(st, si);
  return Error::kOk;
}
}  // namespace

Error op_pause(State& st, const Actor& actor, const Pause& c, Time now, Events* ev,
               std::string* msg) {
  return set_paused(st, actor, c.session_id, true, now, ev, msg);
}

Error op_resume(State& st, const Actor& actor, const Resume& c, Time now, Events* ev,
                std::string* msg) {
  return set_paused(st, actor, c.session_id, false, now, ev, msg);
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
    if (t.state == TicketState::kWaiting) queue_insert(s, x.index, t.key);
    add_ticket_event(ev, EventType::kActionUndone, now, actor, s, t, from, {}, reason);
  }
  copy_undone_fields(u, s);
  s.undo = UndoRec{};
  touch(st, si);
  return Error::kOk;
}

}  // namespace qc
