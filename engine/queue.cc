// The queue: check_in, call_next, call_ticket, recall, complete,
// mark_missed, return, move_to_next, pause, resume, suspend, close, undo.
#include <algorithm>

#include "engine/ops.h"

namespace qc {

namespace {

// Looks up a ticket and its session; rejects unknown tickets and tickets of
// closed or suspended sessions.
Error open_ticket(State& st, const std::string& id, Loc* loc, std::string* msg) {
  if (!find_ticket(st, id, loc)) return reject(msg, Error::kUnknownTicket, "unknown ticket", id);
  return check_not_closed(st.sessions[loc->session], msg);
}

Error wrong_state(std::string* msg, const TicketRec& t, std::string_view need) {
  if (msg) {
    msg->assign("ticket ");
    msg->append(t.id);
    msg->append(" is ");
    msg->append(to_string(t.state));
    msg->append(", needs ");
    msg->append(need);
  }
  return Error::kWrongState;
}

// Undo records (UndoRec): undo_begin() before an undoable action's first
// change, undo_ticket() before each ticket it changes, undo_seal() at its end
// (touches the session and stamps the record with the new version).
void undo_begin(SessionRec& s, UndoAction action) {
  UndoRec& u = s.undo;
  u = UndoRec{};
  u.action = action;
  u.called = s.called;
  u.serving_slot = s.serving_slot;
  u.last_call = s.last_call;
  u.consult_sum = s.consult_sum;
  u.consult_n = s.consult_n;
  u.paused_since_call = s.paused_since_call;
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
  Loc loc;
  if (Error e = open_ticket(st, c.ticket_id, &loc, msg); e != Error::kOk) return e;
  SessionRec& s = st.sessions[loc.session];
  TicketRec& t = s.tickets[loc.index];
  if (t.state != TicketState::kBooked) return wrong_state(msg, t, "booked");
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
}

Error op_call_next(State& st, const Actor& actor, const CallNext& c, Time now, Events* ev,
                   std::string* msg) {
  SessionIdx si = find_session(st, c.session_id);
  if (si == kNoSession)
    return reject(msg, Error::kUnknownSession, "unknown session", c.session_id);
  SessionRec& s = st.sessions[si];
  if (Error e = check_not_closed(s, msg); e != Error::kOk) return e;
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
  Loc loc;
  if (Error e = open_ticket(st, c.ticket_id, &loc, msg); e != Error::kOk) return e;
  SessionRec& s = st.sessions[loc.session];
  TicketRec& t = s.tickets[loc.index];
  if (t.state != TicketState::kWaiting) return wrong_state(msg, t, "waiting");
  undo_begin(s, UndoAction::kCallTicket);
  complete_called(s, actor, now, ev);
  queue_erase(s, t.key);
  undo_ticket(s, loc.index);
  call(s, loc.index, actor, now, "call_ticket", ev);
  undo_seal(st, loc.session, now);
  return Error::kOk;
}

Error op_recall(State& st, const Actor& actor, const Recall& c, Time now, Events* ev,
                std::string* msg) {
  Loc loc;
  if (Error e = open_ticket(st, c.ticket_id, &loc, msg); e != Error::kOk) return e;
  SessionRec& s = st.sessions[loc.session];
  TicketRec& t = s.tickets[loc.index];
  if (t.state != TicketState::kCalled) return wrong_state(msg, t, "called");
  add_ticket_event(ev, EventType::kTicketRecalled, now, actor, s, t, TicketState::kCalled);
  touch(st, loc.session);
  return Error::kOk;
}

namespace {
// complete and mark_missed: allowed on a suspended session for its CALLED ticket.
Error called_ticket(State& st, const std::string& id, Loc* loc, std::string* msg) {
  if (!find_ticket(st, id, loc)) return reject(msg, Error::kUnknownTicket, "unknown ticket", id);
  const SessionRec& s = st.sessions[loc->session];
  const TicketRec& t = s.tickets[loc->index];
  if (s.status == SessionStatus::kClosed ||
      (s.status == SessionStatus::kSuspended && t.state != TicketState::kCalled))
    return check_not_closed(s, msg);
  if (t.state != TicketState::kCalled) return wrong_state(msg, t, "called");
  return Error::kOk;
}
}  // namespace

Error op_complete(State& st, const Actor& actor, const Complete& c, Time now, Events* ev,
                  std::string* msg) {
  Loc loc;
  if (Error e = called_ticket(st, c.ticket_id, &loc, msg); e != Error::kOk) return e;
  SessionRec& s = st.sessions[loc.session];
  TicketRec& t = s.tickets[loc.index];
  undo_begin(s, UndoAction::kComplete);
  undo_ticket(s, loc.index);
  t.state = TicketState::kDone;
  s.called = -1;
  add_ticket_event(ev, EventType::kTicketCompleted, now, actor, s, t,
      TicketState::kCalled, {}, "complete");
  undo_seal(st, loc.session, now);
  return Error::kOk;
}

Error op_mark_missed(State& st, const Actor& actor, const MarkMissed& c, Time now, Events* ev,
                     std::string* msg) {
  Loc loc;
  if (Error e = called_ticket(st, c.ticket_id, &loc, msg); e != Error::kOk) return e;
  SessionRec& s = st.sessions[loc.session];
  TicketRec& t = s.tickets[loc.index];
  undo_begin(s, UndoAction::kMarkMissed);
  undo_ticket(s, loc.index);
  t.state = TicketState::kMissed;
  s.called = -1;
  add_ticket_event(ev, EventType::kTicketMissed, now, actor, s, t, TicketState::kCalled);
  undo_seal(st, loc.session, now);
  return Error::kOk;
}

Error op_return(State& st, const Actor& actor, const ReturnTicket& c, Time now, Events* ev,
                std::string* msg) {
  Loc loc;
  if (Error e = open_ticket(st, c.ticket_id, &loc, msg); e != Error::kOk) return e;
  SessionRec& s = st.sessions[loc.session];
  TicketRec& t = s.tickets[loc.index];
  if (t.state != TicketState::kMissed) return wrong_state(msg, t, "missed");
  if (now >= s.spec.end)
    return reject(msg, Error::kSessionClosed, "the session has ended", c.ticket_id);
  present(s, loc.index, true, now);
  add_ticket_event(ev, EventType::kTicketReturned, now, actor, s, t, TicketState::kMissed);
  touch(st, loc.session);
  return Error::kOk;
}

Error op_move_to_next(State& st, const Actor& actor, const MoveToNext& c, Time now, Events* ev,
                      std::string* msg) {
  Loc loc;
  if (Error e = open_ticket(st, c.ticket_id, &loc, msg); e != Error::kOk) return e;
  SessionRec& s = st.sessions[loc.session];
  TicketRec& t = s.tickets[loc.index];
  if (t.state != TicketState::kWaiting) return wrong_state(msg, t, "waiting");
  queue_erase(s, t.key);
  t.key = make_key(0, 0, 0, s.next_seq++);
  t.placement = Placement::kMadeNext;
  queue_insert(s, loc.index, t.key);
  add_ticket_event(ev, EventType::kMovedToNext, now, actor, s, t, TicketState::kWaiting);
  touch(st, loc.session);
  return Error::kOk;
}

namespace {
Error open_session(State& st, const std::string& id, SessionIdx* si, std::string* msg) {
  *si = find_session(st, id);
  if (*si == kNoSession) return reject(msg, Error::kUnknownSession, "unknown session", id);
  return check_not_closed(st.sessions[*si], msg);
}
}  // namespace

Error op_pause(State& st, const Actor& actor, const Pause& c, Time now, Events* ev,
               std::string* msg) {
  SessionIdx si;
  if (Error e = open_session(st, c.session_id, &si, msg); e != Error::kOk) return e;
  SessionRec& s = st.sessions[si];
  if (s.status == SessionStatus::kPaused) return Error::kOk;
  s.status = SessionStatus::kPaused;
  s.paused_since_call = true;
  add_event(ev, EventType::kSessionPaused, now, actor, s);
  touch(st, si);
  return Error::kOk;
}

Error op_resume(State& st, const Actor& actor, const Resume& c, Time now, Events* ev,
                std::string* msg) {
  SessionIdx si;
  if (Error e = open_session(st, c.session_id, &si, msg); e != Error::kOk) return e;
  SessionRec& s = st.sessions[si];
  if (s.status == SessionStatus::kOpen) return Error::kOk;
  s.status = SessionStatus::kOpen;
  add_event(ev, EventType::kSessionResumed, now, actor, s);
  touch(st, si);
  return Error::kOk;
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
  SessionIdx si = find_session(st, c.session_id);
  if (si == kNoSession)
    return reject(msg, Error::kUnknownSession, "unknown session", c.session_id);
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
  SessionIdx si = find_session(st, c.session_id);
  if (si == kNoSession)
    return reject(msg, Error::kUnknownSession, "unknown session", c.session_id);
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
  s.called = u.called;
  s.serving_slot = u.serving_slot;
  s.last_call = u.last_call;
  s.consult_sum = u.consult_sum;
  s.consult_n = u.consult_n;
  s.paused_since_call = u.paused_since_call;
  s.undo = UndoRec{};
  touch(st, si);
  return Error::kOk;
}

}  // namespace qc
