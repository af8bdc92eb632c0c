// Codec: events (queuecast.v1.Event <-> qc::Event).
#include "proto/codec.h"
#include "proto/codec_internal.h"

namespace qc::codec {

using internal::invalid;
using internal::nested;

namespace {

pb::TicketKind kind_to(TicketKind k) { return static_cast<pb::TicketKind>(k); }
pb::TicketState state_to(TicketState s) { return static_cast<pb::TicketState>(s); }
pb::Placement placement_to(Placement p) { return static_cast<pb::Placement>(p); }

Error placement_from(pb::Placement p, Placement* out, std::string* m) {
  return internal::enum_from<Placement, pb::Placement, pb::Placement_IsValid>(p, out, m,
                                                                               "placement");
}

void states(Event* e, TicketState from, TicketState to) {
  e->from = from;
  e->to = to;
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
    case EventType::kHoldPlaced: {
      pb::HoldPlaced* w = out->mutable_hold_placed();
      w->set_hold_id(e.ticket_id);
      w->set_slot(e.slot);
      w->set_patient_ref(e.patient_ref);
      if (e.until != kNoTime) to_proto(e.until, w->mutable_until());
      break;
    }
    case EventType::kHoldReleased:
      out->mutable_hold_released()->set_hold_id(e.ticket_id);
      out->mutable_hold_released()->set_slot(e.slot);
      break;
    case EventType::kHoldExpired:
      out->mutable_hold_expired()->set_hold_id(e.ticket_id);
      out->mutable_hold_expired()->set_slot(e.slot);
      break;
    case EventType::kTicketBooked: {
      pb::TicketBooked* w = out->mutable_ticket_booked();
      w->set_ticket_id(e.ticket_id);
      w->set_label(e.label);
      w->set_slot(e.slot);
      w->set_kind(kind_to(e.kind));
      w->set_patient_ref(e.patient_ref);
      w->set_channel(e.reason);
      break;
    }
    case EventType::kTicketCancelled: {
      pb::TicketCancelled* w = out->mutable_ticket_cancelled();
      w->set_ticket_id(e.ticket_id);
      w->set_label(e.label);
      w->set_from(state_to(e.from));
      w->set_reason(e.reason);
      w->set_unit(e.count == 1   ? pb::UNIT_RETURN_APPOINTMENT
                  : e.count == 2 ? pb::UNIT_RETURN_WALK_IN
                                 : pb::UNIT_RETURN_NONE);
      break;
    }
    case EventType::kWalkInRegistered: {
      pb::WalkInRegistered* w = out->mutable_walk_in_registered();
      w->set_ticket_id(e.ticket_id);
      w->set_label(e.label);
      w->set_slot(e.slot);
      w->set_patient_ref(e.patient_ref);
      w->set_placement(placement_to(e.placement));
      break;
    }
    case EventType::kCheckedIn: {
      pb::CheckedIn* w = out->mutable_checked_in();
      w->set_ticket_id(e.ticket_id);
      w->set_label(e.label);
      w->set_slot(e.slot);
      w->set_effective_slot(e.effective_slot);
      w->set_placement(placement_to(e.placement));
      break;
    }
    case EventType::kTicketCalled: {
      pb::TicketCalled* w = out->mutable_ticket_called();
      w->set_ticket_id(e.ticket_id);
      w->set_label(e.label);
      w->set_slot(e.slot);
      w->set_effective_slot(e.effective_slot);
      w->set_reason(e.reason);
      break;
    }
    case EventType::kTicketRecalled:
      out->mutable_ticket_recalled()->set_ticket_id(e.ticket_id);
      out->mutable_ticket_recalled()->set_label(e.label);
      break;
    case EventType::kTicketCompleted: {
      pb::TicketCompleted* w = out->mutable_ticket_completed();
      w->set_ticket_id(e.ticket_id);
      w->set_label(e.label);
      w->set_reason(e.reason);
      break;
    }
    case EventType::kTicketMissed:
      out->mutable_ticket_missed()->set_ticket_id(e.ticket_id);
      out->mutable_ticket_missed()->set_label(e.label);
      break;
    case EventType::kTicketReturned: {
      pb::TicketReturned* w = out->mutable_ticket_returned();
      w->set_ticket_id(e.ticket_id);
      w->set_label(e.label);
      w->set_effective_slot(e.effective_slot);
      w->set_placement(placement_to(e.placement));
      break;
    }
    case EventType::kMovedToNext: {
      pb::MovedToNext* w = out->mutable_moved_to_next();
      w->set_ticket_id(e.ticket_id);
      w->set_label(e.label);
      w->set_placement(placement_to(e.placement));
      break;
    }
    case EventType::kNobodyWaiting: out->mutable_nobody_waiting(); break;
    case EventType::kSessionPaused: out->mutable_session_paused(); break;
    case EventType::kSessionResumed: out->mutable_session_resumed(); break;
    case EventType::kSessionSuspended:
      out->mutable_session_suspended()->set_reason(e.reason);
      break;
    case EventType::kSessionClosed: out->mutable_session_closed()->set_reason(e.reason); break;
    case EventType::kTicketNoShow: {
      pb::TicketNoShow* w = out->mutable_ticket_no_show();
      w->set_ticket_id(e.ticket_id);
      w->set_label(e.label);
      w->set_patient_ref(e.patient_ref);
      break;
    }
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
      break;
    }
    case EventType::kTemplateDefined:
      out->mutable_template_defined()->set_template_id(e.ticket_id);
      break;
    case EventType::kQuotasAdjusted: out->mutable_quotas_adjusted(); break;
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
    case P::kHoldPlaced: {
      const pb::HoldPlaced& w = in.hold_placed();
      e.type = EventType::kHoldPlaced;
      e.ticket_id = w.hold_id();
      e.slot = w.slot();
      e.patient_ref = w.patient_ref();
      return nested(internal::optional_time(w.has_until(), w.until(), &e.until, m, "until",
                                            kNoTime),
                    m, "hold_placed");
    }
    case P::kHoldReleased:
      e.type = EventType::kHoldReleased;
      e.ticket_id = in.hold_released().hold_id();
      e.slot = in.hold_released().slot();
      return Error::kOk;
    case P::kHoldExpired:
      e.type = EventType::kHoldExpired;
      e.ticket_id = in.hold_expired().hold_id();
      e.slot = in.hold_expired().slot();
      return Error::kOk;
    case P::kTicketBooked: {
      const pb::TicketBooked& w = in.ticket_booked();
      e.type = EventType::kTicketBooked;
      e.ticket_id = w.ticket_id();
      e.label = w.label();
      e.slot = w.slot();
      e.patient_ref = w.patient_ref();
      e.reason = w.channel();
      states(&e, TicketState::kBooked, TicketState::kBooked);
      return nested(internal::enum_from<TicketKind, pb::TicketKind, pb::TicketKind_IsValid>(
                        w.kind(), &e.kind, m, "kind"),
                    m, "ticket_booked");
    }
    case P::kTicketCancelled: {
      const pb::TicketCancelled& w = in.ticket_cancelled();
      e.type = EventType::kTicketCancelled;
      e.ticket_id = w.ticket_id();
      e.label = w.label();
      e.reason = w.reason();
      e.to = TicketState::kCancelled;
      if (!pb::UnitReturn_IsValid(w.unit()))
        return invalid(m, "ticket_cancelled.unit", "unknown enum value");
      e.count = static_cast<std::int32_t>(w.unit());
      return nested(internal::enum_from<TicketState, pb::TicketState, pb::TicketState_IsValid>(
                        w.from(), &e.from, m, "from"),
                    m, "ticket_cancelled");
    }
    case P::kWalkInRegistered: {
      const pb::WalkInRegistered& w = in.walk_in_registered();
      e.type = EventType::kWalkInRegistered;
      e.ticket_id = w.ticket_id();
      e.label = w.label();
      e.kind = TicketKind::kWalkIn;
      e.slot = w.slot();
      e.effective_slot = w.slot();
      e.patient_ref = w.patient_ref();
      states(&e, TicketState::kWaiting, TicketState::kWaiting);
      return nested(placement_from(w.placement(), &e.placement, m), m, "walk_in_registered");
    }
    case P::kCheckedIn: {
      const pb::CheckedIn& w = in.checked_in();
      e.type = EventType::kCheckedIn;
      e.ticket_id = w.ticket_id();
      e.label = w.label();
      e.slot = w.slot();
      e.effective_slot = w.effective_slot();
      states(&e, TicketState::kBooked, TicketState::kWaiting);
      return nested(placement_from(w.placement(), &e.placement, m), m, "checked_in");
    }
    case P::kTicketCalled: {
      const pb::TicketCalled& w = in.ticket_called();
      e.type = EventType::kTicketCalled;
      e.ticket_id = w.ticket_id();
      e.label = w.label();
      e.slot = w.slot();
      e.effective_slot = w.effective_slot();
      e.reason = w.reason();
      states(&e, TicketState::kWaiting, TicketState::kCalled);
      return Error::kOk;
    }
    case P::kTicketRecalled:
      e.type = EventType::kTicketRecalled;
      e.ticket_id = in.ticket_recalled().ticket_id();
      e.label = in.ticket_recalled().label();
      states(&e, TicketState::kCalled, TicketState::kCalled);
      return Error::kOk;
    case P::kTicketCompleted:
      e.type = EventType::kTicketCompleted;
      e.ticket_id = in.ticket_completed().ticket_id();
      e.label = in.ticket_completed().label();
      e.reason = in.ticket_completed().reason();
      states(&e, TicketState::kCalled, TicketState::kDone);
      return Error::kOk;
    case P::kTicketMissed:
      e.type = EventType::kTicketMissed;
      e.ticket_id = in.ticket_missed().ticket_id();
      e.label = in.ticket_missed().label();
      states(&e, TicketState::kCalled, TicketState::kMissed);
      return Error::kOk;
    case P::kTicketReturned: {
      const pb::TicketReturned& w = in.ticket_returned();
      e.type = EventType::kTicketReturned;
      e.ticket_id = w.ticket_id();
      e.label = w.label();
      e.effective_slot = w.effective_slot();
      states(&e, TicketState::kMissed, TicketState::kWaiting);
      return nested(placement_from(w.placement(), &e.placement, m), m, "ticket_returned");
    }
    case P::kMovedToNext: {
      const pb::MovedToNext& w = in.moved_to_next();
      e.type = EventType::kMovedToNext;
      e.ticket_id = w.ticket_id();
      e.label = w.label();
      states(&e, TicketState::kWaiting, TicketState::kWaiting);
      return nested(placement_from(w.placement(), &e.placement, m), m, "moved_to_next");
    }
    case P::kNobodyWaiting: e.type = EventType::kNobodyWaiting; return Error::kOk;
    case P::kSessionPaused: e.type = EventType::kSessionPaused; return Error::kOk;
    case P::kSessionResumed: e.type = EventType::kSessionResumed; return Error::kOk;
    case P::kSessionSuspended:
      e.type = EventType::kSessionSuspended;
      e.reason = in.session_suspended().reason();
      return Error::kOk;
    case P::kSessionClosed:
      e.type = EventType::kSessionClosed;
      e.reason = in.session_closed().reason();
      return Error::kOk;
    case P::kTicketNoShow:
      e.type = EventType::kTicketNoShow;
      e.ticket_id = in.ticket_no_show().ticket_id();
      e.label = in.ticket_no_show().label();
      e.patient_ref = in.ticket_no_show().patient_ref();
      states(&e, TicketState::kBooked, TicketState::kNoShow);
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
      return nested(internal::optional_time(w.has_until(), w.until(), &e.until, m, "until",
                                            kNoTime),
                    m, "patient_blacklisted");
    }
    case P::kTemplateDefined:
      e.type = EventType::kTemplateDefined;
      e.ticket_id = in.template_defined().template_id();
      return Error::kOk;
    case P::kQuotasAdjusted: e.type = EventType::kQuotasAdjusted; return Error::kOk;
    case P::BODY_NOT_SET: break;
  }
  return invalid(m, "body", "missing: an event needs exactly one of session_created, ...");
}

}  // namespace qc::codec
