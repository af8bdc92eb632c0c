// Command handlers and small helpers shared by the engine's .cc files.
// INTERNAL: not part of the API.
//
// Every handler has the same contract: check every precondition first (in
// the order of docs/engine.md), then mutate; on a rejection return the error,
// set *msg (if not null), append nothing and change nothing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/engine_state.h"

namespace qc {

// ---- helpers (engine_state.cc) ----

Error reject(std::string* msg, Error e, std::string_view text, std::string_view id = {});

inline Event& add_event(std::vector<Event>* ev, EventType t, Time now, const Actor& actor,
                        const SessionRec& s) {
  return ev->emplace_back(t, now, actor, s.spec.session_id);
}

// A ticket event, built in place: the fields fill_ticket() sets, `from`, and
// patient_ref and reason when given.
inline Event& add_ticket_event(std::vector<Event>* ev, EventType type, Time now,
                               const Actor& actor, const SessionRec& s, const TicketRec& t,
                               TicketState from, std::string_view patient_ref = {},
                               std::string_view reason = {}) {
  return ev->emplace_back(type, now, actor, s.spec.session_id, t.id,
                          std::string(t.label.view()), std::string(patient_ref),
                          std::string(reason), t.kind, from, t.state, t.placement, t.slot,
                          t.effective_slot);
}

// A hold event: ticket_id = the hold's id, slot, patient_ref, reason, count.
inline Event& add_hold_event(std::vector<Event>* ev, EventType type, Time now,
                             const Actor& actor, const SessionRec& s, const HoldRec& h,
                             std::string_view reason, std::int32_t count) {
  Event& e = ev->emplace_back(type, now, actor, s.spec.session_id);
  e.ticket_id = h.id;
  e.slot = h.slot;
  e.patient_ref = h.patient_ref;
  e.reason = reason;
  e.count = count;
  return e;
}

// Sets ticket_id, label, kind, slot, effective_slot, placement, to (= state).
void fill_ticket(Event& e, const TicketRec& t);

// The class a ticket of `kind` gets (0, or 1 for a walk-in under APPOINTMENTS_FIRST).
inline int kind_class(const SessionRec& s, TicketKind kind) {
  return (s.spec.policy == Policy::kAppointmentsFirst && kind == TicketKind::kWalkIn) ? 1 : 0;
}


// session_closed when the session is closed or suspended.
Error check_not_closed(const SessionRec& s, std::string* msg);

// The lookups that open most commands, with their rejections in the spec's
// rule order. On kOk *si / *loc is set.
// unknown_session.
Error known_session(const Engine::State& st, std::string_view id, SessionIdx* si,
                    std::string* msg);
// unknown_session, then session_closed (check_not_closed).
Error open_session(const Engine::State& st, std::string_view id, SessionIdx* si,
                   std::string* msg);
// unknown_ticket, then session_closed (check_not_closed) for its session.
Error open_ticket(const Engine::State& st, std::string_view id, Loc* loc, std::string* msg);

// wrong_state: "ticket T is S, needs N".
Error wrong_state(std::string* msg, const TicketRec& t, TicketState need);

// The preamble of a ticket command, in the spec's rule order: unknown_ticket,
// session_closed (closed or suspended session), wrong_state unless the ticket
// is in state `need`; then `body(s, t, loc)` runs and returns the result.
template <class Body>
Error on_ticket(Engine::State& st, const std::string& id, TicketState need, std::string* msg,
                Body&& body) {
  Loc loc;
  if (Error e = open_ticket(st, id, &loc, msg); e != Error::kOk) return e;
  SessionRec& s = st.sessions[loc.session];
  TicketRec& t = s.tickets[loc.index];
  if (t.state != need) return wrong_state(msg, t, need);
  return body(s, t, loc);
}

// Waiting-queue primitives (descending vector, next at back()).
void queue_insert(SessionRec& s, std::uint32_t ticket, std::uint64_t key);
void queue_erase(SessionRec& s, std::uint64_t key);
// Number of WAITING tickets whose key is smaller than `key`.
std::int32_t queue_rank(const SessionRec& s, std::uint64_t key);

// The presenting rule for ticket `t` at `now` (missed: a MISSED ticket
// returning). Computes the key it would take with sequence number `seq`.
struct Presenting {
  std::uint64_t key;
  std::int32_t effective_slot;
  Placement placement;
};
Presenting presenting(const SessionRec& s, const TicketRec& t, bool missed, Time now,
                      std::uint64_t seq);

// Entering WAITING with insertion (flow.cc, spec "Insertion and the
// overtaking bound"). queue_entry() decides where ticket `t` goes given its
// normal place: that place, or inserted after k when it is a priority ticket
// or back from tests (the ticket with key `skip`, itself when it is already
// waiting, is ignored). enter_queue() puts it there (state WAITING);
// insertion_events(), called after the entering event, counts the tickets it
// passed (keys between its key and `upto`: every ticket behind it for a
// ticket entering the queue, those it moved past for set_priority) and
// appends ticket_inserted, ticket_overtaken and ticket_protected.
// kPresent: check-in, registration, return of a missed ticket; kFromTests:
// return_from_tests; kMove: set_priority on a WAITING ticket.
enum class EntryKind : std::uint8_t { kPresent = 0, kFromTests = 1, kMove = 2 };
struct Entry {
  std::uint64_t key;
  std::int32_t effective_slot;
  Placement placement;
  bool inserted = false;
  std::int32_t after = -1;       // ticket index of P; -1: head of band 1
  std::string_view reason;       // "priority" | "return_from_tests"
};
Entry queue_entry(const SessionRec& s, const TicketRec& t, const Presenting& normal,
                  EntryKind kind, std::uint64_t skip);
void enter_queue(SessionRec& s, std::uint32_t ti, const Entry& e);
void insertion_events(SessionRec& s, std::uint32_t ti, const Entry& e, std::uint64_t upto,
                      const Actor& actor, Time now, std::vector<Event>* ev);

// A priority code given with a command: "" or valid and within the table
// (invalid_argument otherwise).
Error check_priority(const Engine::State& st, std::string_view priority, std::string* msg);

// Patient booking bookkeeping.
// Returns the patient's index.
std::uint32_t patient_add_active(Engine::State& st, const std::string& ref, SessionIdx si);
// No-op for kNoPatient.
void patient_remove_active(Engine::State& st, std::uint32_t patient, SessionIdx si);

// Gives one appointment unit of slot `slot` back: to the reservation it came
// from if still unreleased, else to A[slot] before the conversion time, else
// to W[slot]. Returns 1 (A or reservation) or 2 (W).
std::int32_t return_appointment_unit(SessionRec& s, std::int32_t slot,
                                     std::uint8_t reservation, Time now);

// Ends an open hold (released or expired): marks it finished and removes it
// from the patient's active bookings. Its unit is not touched.
void finish_hold(Engine::State& st, SessionIdx si, std::uint32_t hi);

// Closes a session (close_session and tick): CALLED -> DONE, WAITING ->
// CANCELLED, BOOKED -> NO_SHOW (+ blacklist), holds released, then
// kSessionClosed.
void close_session_now(Engine::State& st, SessionIdx si, const Actor& actor, Time now,
                       std::vector<Event>* ev);

// ---- command handlers ----
using Events = std::vector<Event>;
using State = Engine::State;

// booking.cc
Error op_create_session(State&, const Actor&, const CreateSession&, Time, Events*, std::string*);
Error op_define_channel(State&, const Actor&, const DefineChannel&, Time, Events*, std::string*);
Error op_book(State&, const Actor&, const Book&, Time, Events*, std::string*);
Error op_hold(State&, const Actor&, const Hold&, Time, Events*, std::string*);
Error op_confirm(State&, const Actor&, const Confirm&, Time, Events*, std::string*);
Error op_release(State&, const Actor&, const Release&, Time, Events*, std::string*);
Error op_cancel(State&, const Actor&, const Cancel&, Time, Events*, std::string*);
Error op_register_walk_in(State&, const Actor&, const RegisterWalkIn&, Time, Events*,
                          std::string*);
Error op_tick(State&, const Actor&, const Tick&, Time, Events*, std::string*);

// queue.cc
Error op_check_in(State&, const Actor&, const CheckIn&, Time, Events*, std::string*);
Error op_call_next(State&, const Actor&, const CallNext&, Time, Events*, std::string*);
Error op_call_ticket(State&, const Actor&, const CallTicket&, Time, Events*, std::string*);
Error op_recall(State&, const Actor&, const Recall&, Time, Events*, std::string*);
Error op_complete(State&, const Actor&, const Complete&, Time, Events*, std::string*);
Error op_mark_missed(State&, const Actor&, const MarkMissed&, Time, Events*, std::string*);
Error op_return(State&, const Actor&, const ReturnTicket&, Time, Events*, std::string*);
Error op_move_to_next(State&, const Actor&, const MoveToNext&, Time, Events*, std::string*);
Error op_pause(State&, const Actor&, const Pause&, Time, Events*, std::string*);
Error op_resume(State&, const Actor&, const Resume&, Time, Events*, std::string*);
Error op_suspend(State&, const Actor&, const SuspendSession&, Time, Events*, std::string*);
Error op_close(State&, const Actor&, const CloseSession&, Time, Events*, std::string*);
Error op_undo(State&, const Actor&, const Undo&, Time, Events*, std::string*);

// flow.cc (priority, return after tests)
Error op_set_priority(State&, const Actor&, const SetPriority&, Time, Events*, std::string*);
Error op_send_for_tests(State&, const Actor&, const SendForTests&, Time, Events*, std::string*);
Error op_return_from_tests(State&, const Actor&, const ReturnFromTests&, Time, Events*,
                           std::string*);

}  // namespace qc
