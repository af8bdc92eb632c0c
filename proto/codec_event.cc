// Codec: events (queuecast.v1.Event <-> qc::Event). Every field the engine
// sets for an event type has a place in that type's message, so
// from_proto(to_proto(e)) == e for every event the engine produces
// (tests/unit/proto/codec_test.cc checks it on randomized runs).
#include "proto/codec.h"
#include "proto/codec_internal.h"

namespace qc::codec {

using internal::invalid;
using internal::nested;

namespace {

pb::UnitReturn unit_to(std::int32_t count) {
  return count == 1 ? pb::UNIT_RETURN_APPOINTMENT
         : count == 2 ? pb::UNIT_RETURN_WALK_IN
                      : pb::UNIT_RETURN_NONE;
}

Error unit_from(pb::UnitReturn u, std::int32_t* count, std::string* m) {
  if (!pb::UnitReturn_IsValid(u)) return invalid(m, "unit", "unknown enum value");
  *count = static_cast<std::int32_t>(u);
  return Error::kOk;
}

// Ticket events: the ticket after the change, plus patient_ref and reason
// (named `channel` in TicketBooked, `priority` in PrioritySet), for a
// cancellation where the unit went, and the room, count and other ticket
// where the message has them.
template <typename M>
void put_ticket(const Event& e, M* w) {
  w->set_ticket_id(e.ticket_id);
  w->set_label(e.label);
  w->set_kind(static_cast<pb::TicketKind>(e.kind));
  w->set_slot(e.slot);
  w->set_effective_slot(e.effective_slot);
  w->set_placement(static_cast<pb::Placement>(e.placement));
  w->set_from(static_cast<pb::TicketState>(e.from));
  w->set_to(static_cast<pb::TicketState>(e.to));
  w->set_patient_ref(e.patient_ref);
  if constexpr (requires { w->set_reason(e.reason); }) {
    w->set_reason(e.reason);
  } else if constexpr (requires { w->set_priority(e.reason); }) {
    w->set_priority(e.reason);
  } else {
    w->set_channel(e.reason);
  }
  if constexpr (requires { w->set_unit(pb::UNIT_RETURN_NONE); }) w->set_unit(unit_to(e.count));
  if constexpr (requires { w->set_count(e.count); }) w->set_count(e.count);
  if constexpr (requires { w->set_room(e.room); }) w->set_room(e.room);
  if constexpr (requires { w->set_other_ticket(e.other_ticket); })
    w->set_other_ticket(e.other_ticket);
}

template <typename M>
Error get_ticket(const M& w, Event* e, std::string* m, const char* where) {
  e->ticket_id = w.ticket_id();
  e->label = w.label();
  e->slot = w.slot();
  e->effective_slot = w.effective_slot();
  e->patient_ref = w.patient_ref();
  if constexpr (requires { w.reason(); }) {
    e->reason = w.reason();
  } else if constexpr (requires { w.priority(); }) {
    e->reason = w.priority();
  } else {
    e->reason = w.channel();
  }
  if constexpr (requires { w.room(); }) e->room = w.room();
  if constexpr (requires { w.other_ticket(); }) e->other_ticket = w.other_ticket();
  Error err;
  if ((err = internal::enum_from<TicketKind, pb::TicketKind, pb::TicketKind_IsValid>(
           w.kind(), &e->kind, m, "kind")) != Error::kOk ||
      (err = internal::enum_from<Placement, pb::Placement, pb::Placement_IsValid>(
           w.placement(), &e->placement, m, "placement")) != Error::kOk ||
      (err = internal::enum_from<TicketState, pb::TicketState, pb::TicketState_IsValid>(
           w.from(), &e->from, m, "from")) != Error::kOk ||
      (err = internal::enum_from<TicketState, pb::TicketState, pb::TicketState_IsValid>(
           w.to(), &e->to, m, "to")) != Error::kOk)
    return nested(err, m, where);
  if constexpr (requires { w.unit(); }) {
    if ((err = unit_from(w.unit(), &e->count, m)) != Error::kOk) return nested(err, m, where);
  }
  if constexpr (requires { w.count(); }) e->count = w.count();
  return Error::kOk;
}

// Hold events: hold id in ticket_id.
template <typename M>
void put_hold(const Event& e, M* w) {
  w->set_hold_id(e.ticket_id);
  w->set_slot(e.slot);
  w->set_patient_ref(e.patient_ref);
  if constexpr (requires { w->set_reason(e.reason); }) {
    w->set_reason(e.reason);
    w->set_unit(unit_to(e.count));
  } else {
    w->set_channel(e.reason);
    if (e.until != kNoTime) to_proto(e.until, w->mutable_until());
  }
}

template <typename M>
Error get_hold(const M& w, Event* e, std::string* m, const char* where) {
  e->ticket_id = w.hold_id();
  e->slot = w.slot();
  e->patient_ref = w.patient_ref();
  if constexpr (requires { w.reason(); }) {
    e->reason = w.reason();
    return nested(unit_from(w.unit(), &e->count, m), m, where);
  } else {
    e->reason = w.channel();
    return nested(internal::optional_time(w.has_until(), w.until(), &e->until, m, "until",
                                          kNoTime),
                  m, where);
  }
}

}  // namespace

void to_proto(const Event& e, pb::Event* out) {
  out->Clear();
  to_proto(e.at, out->mutable_at());
  internal::actor_to_proto(e.actor, out->mutable_actor());
  out->set_session_id(e.session_id);
  switch (e.type) {
    case EventType::kSessionCreated: out->mutable_session_created(); break;
    case EventType::kChannelDefined:
      out->mutable_channel_defined()->set_channel_id(e.ticket_id);
      break;
    case EventType::kHoldPlaced: put_hold(e, out->mutable_hold_placed()); break;
    case EventType::kHoldReleased: put_hold(e, out->mutable_hold_released()); break;
    case EventType::kHoldExpired: put_hold(e, out->mutable_hold_expired()); break;
    case EventType::kTicketBooked: put_ticket(e, out->mutable_ticket_booked()); break;
    case EventType::kTicketCancelled: put_ticket(e, out->mutable_ticket_cancelled()); break;
    case EventType::kWalkInRegistered: put_ticket(e, out->mutable_walk_in_registered()); break;
    case EventType::kCheckedIn: put_ticket(e, out->mutable_checked_in()); break;
    case EventType::kTicketCalled: put_ticket(e, out->mutable_ticket_called()); break;
    case EventType::kTicketRecalled: put_ticket(e, out->mutable_ticket_recalled()); break;
    case EventType::kTicketCompleted: put_ticket(e, out->mutable_ticket_completed()); break;
    case EventType::kTicketMissed: put_ticket(e, out->mutable_ticket_missed()); break;
    case EventType::kTicketReturned: put_ticket(e, out->mutable_ticket_returned()); break;
    case EventType::kMovedToNext: put_ticket(e, out->mutable_moved_to_next()); break;
    case EventType::kTicketNoShow: put_ticket(e, out->mutable_ticket_no_show()); break;
    case EventType::kNobodyWaiting: out->mutable_nobody_waiting(); break;
    case EventType::kSessionPaused:
      out->mutable_session_paused()->set_room(e.room);
      out->mutable_session_paused()->set_count(e.count);
      break;
    case EventType::kSessionResumed:
      out->mutable_session_resumed()->set_room(e.room);
      out->mutable_session_resumed()->set_count(e.count);
      break;
    case EventType::kSessionSuspended:
      out->mutable_session_suspended()->set_reason(e.reason);
      break;
    case EventType::kSessionClosed: out->mutable_session_closed()->set_reason(e.reason); break;
    case EventType::kCapacityConverted:
      out->mutable_capacity_converted()->set_slot(e.slot);
      out->mutable_capacity_converted()->set_count(e.count);
      break;
    case EventType::kReservedReleased: {
      pb::ReservedReleased* w = out->mutable_reserved_released();
      w->set_slot(e.slot);
      w->set_count(e.count);
      w->set_channel(e.reason);
      break;
    }
    case EventType::kPatientBlacklisted: {
      pb::PatientBlacklisted* w = out->mutable_patient_blacklisted();
      w->set_patient_ref(e.patient_ref);
      if (e.until != kNoTime) to_proto(e.until, w->mutable_until());
      w->set_count(e.count);
      break;
    }
    case EventType::kTemplateDefined:
      out->mutable_template_defined()->set_template_id(e.ticket_id);
      break;
    case EventType::kQuotasAdjusted: out->mutable_quotas_adjusted()->set_reason(e.reason); break;
    case EventType::kActionUndone: put_ticket(e, out->mutable_action_undone()); break;
    case EventType::kPrioritySet: put_ticket(e, out->mutable_priority_set()); break;
    case EventType::kTicketInserted: put_ticket(e, out->mutable_ticket_inserted()); break;
    case EventType::kTicketOvertaken: put_ticket(e, out->mutable_ticket_overtaken()); break;
    case EventType::kTicketProtected: put_ticket(e, out->mutable_ticket_protected()); break;
    case EventType::kSentForTests: put_ticket(e, out->mutable_sent_for_tests()); break;
    case EventType::kReturnedFromTests: put_ticket(e, out->mutable_returned_from_tests()); break;
  }
}

Error from_proto(const pb::Event& in, Event* out, std::string* m) {
  using P = pb::Event;
  *out = Event{};
  Error err = internal::required_time(in.has_at(), in.at(), &out->at, m, "at");
  if (err != Error::kOk) return err;
  if ((err = nested(internal::actor_from_proto(in.actor(), &out->actor, m), m, "actor")) !=
      Error::kOk)
    return err;
  out->session_id = in.session_id();
  Event& e = *out;
  switch (in.body_case()) {
    case P::kSessionCreated: e.type = EventType::kSessionCreated; return Error::kOk;
    case P::kChannelDefined:
      e.type = EventType::kChannelDefined;
      e.ticket_id = in.channel_defined().channel_id();
      return Error::kOk;
    case P::kHoldPlaced:
      e.type = EventType::kHoldPlaced;
      return get_hold(in.hold_placed(), &e, m, "hold_placed");
    case P::kHoldReleased:
      e.type = EventType::kHoldReleased;
      return get_hold(in.hold_released(), &e, m, "hold_released");
    case P::kHoldExpired:
      e.type = EventType::kHoldExpired;
      return get_hold(in.hold_expired(), &e, m, "hold_expired");
    case P::kTicketBooked:
      e.type = EventType::kTicketBooked;
      return get_ticket(in.ticket_booked(), &e, m, "ticket_booked");
    case P::kTicketCancelled:
      e.type = EventType::kTicketCancelled;
      return get_ticket(in.ticket_cancelled(), &e, m, "ticket_cancelled");
    case P::kWalkInRegistered:
      e.type = EventType::kWalkInRegistered;
      return get_ticket(in.walk_in_registered(), &e, m, "walk_in_registered");
    case P::kCheckedIn:
      e.type = EventType::kCheckedIn;
      return get_ticket(in.checked_in(), &e, m, "checked_in");
    case P::kTicketCalled:
      e.type = EventType::kTicketCalled;
      return get_ticket(in.ticket_called(), &e, m, "ticket_called");
    case P::kTicketRecalled:
      e.type = EventType::kTicketRecalled;
      return get_ticket(in.ticket_recalled(), &e, m, "ticket_recalled");
    case P::kTicketCompleted:
      e.type = EventType::kTicketCompleted;
      return get_ticket(in.ticket_completed(), &e, m, "ticket_completed");
    case P::kTicketMissed:
      e.type = EventType::kTicketMissed;
      return get_ticket(in.ticket_missed(), &e, m, "ticket_missed");
    case P::kTicketReturned:
      e.type = EventType::kTicketReturned;
      return get_ticket(in.ticket_returned(), &e, m, "ticket_returned");
    case P::kMovedToNext:
      e.type = EventType::kMovedToNext;
      return get_ticket(in.moved_to_next(), &e, m, "moved_to_next");
    case P::kTicketNoShow:
      e.type = EventType::kTicketNoShow;
      return get_ticket(in.ticket_no_show(), &e, m, "ticket_no_show");
    case P::kNobodyWaiting: e.type = EventType::kNobodyWaiting; return Error::kOk;
    case P::kSessionPaused:
      e.type = EventType::kSessionPaused;
      e.room = in.session_paused().room();
      e.count = in.session_paused().count();
      return Error::kOk;
    case P::kSessionResumed:
      e.type = EventType::kSessionResumed;
      e.room = in.session_resumed().room();
      e.count = in.session_resumed().count();
      return Error::kOk;
    case P::kSessionSuspended:
      e.type = EventType::kSessionSuspended;
      e.reason = in.session_suspended().reason();
      return Error::kOk;
    case P::kSessionClosed:
      e.type = EventType::kSessionClosed;
      e.reason = in.session_closed().reason();
      return Error::kOk;
    case P::kCapacityConverted:
      e.type = EventType::kCapacityConverted;
      e.slot = in.capacity_converted().slot();
      e.count = in.capacity_converted().count();
      return Error::kOk;
    case P::kReservedReleased:
      e.type = EventType::kReservedReleased;
      e.slot = in.reserved_released().slot();
      e.count = in.reserved_released().count();
      e.reason = in.reserved_released().channel();
      return Error::kOk;
    case P::kPatientBlacklisted: {
      const pb::PatientBlacklisted& w = in.patient_blacklisted();
      e.type = EventType::kPatientBlacklisted;
      e.patient_ref = w.patient_ref();
      e.count = w.count();
      return nested(internal::optional_time(w.has_until(), w.until(), &e.until, m, "until",
                                            kNoTime),
                    m, "patient_blacklisted");
    }
    case P::kTemplateDefined:
      e.type = EventType::kTemplateDefined;
      e.ticket_id = in.template_defined().template_id();
      return Error::kOk;
    case P::kQuotasAdjusted:
      e.type = EventType::kQuotasAdjusted;
      e.reason = in.quotas_adjusted().reason();
      return Error::kOk;
    case P::kActionUndone:
      e.type = EventType::kActionUndone;
      return get_ticket(in.action_undone(), &e, m, "action_undone");
    case P::kPrioritySet:
      e.type = EventType::kPrioritySet;
      return get_ticket(in.priority_set(), &e, m, "priority_set");
    case P::kTicketInserted:
      e.type = EventType::kTicketInserted;
      return get_ticket(in.ticket_inserted(), &e, m, "ticket_inserted");
    case P::kTicketOvertaken:
      e.type = EventType::kTicketOvertaken;
      return get_ticket(in.ticket_overtaken(), &e, m, "ticket_overtaken");
    case P::kTicketProtected:
      e.type = EventType::kTicketProtected;
      return get_ticket(in.ticket_protected(), &e, m, "ticket_protected");
    case P::kSentForTests:
      e.type = EventType::kSentForTests;
      return get_ticket(in.sent_for_tests(), &e, m, "sent_for_tests");
    case P::kReturnedFromTests:
      e.type = EventType::kReturnedFromTests;
      return get_ticket(in.returned_from_tests(), &e, m, "returned_from_tests");
    case P::BODY_NOT_SET: break;
  }
  return invalid(m, "body", "missing: an event needs exactly one of session_created, ...");
}

}  // namespace qc::codec
