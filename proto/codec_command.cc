// Codec: commands (queuecast.v1.Command <-> qc::Command).
#include <type_traits>
#include <variant>

#include "proto/codec.h"
#include "proto/codec_internal.h"

namespace qc::codec {

using internal::invalid;
using internal::nested;

namespace {

constexpr std::int32_t kDefaultSlotMinutes = 60;
constexpr std::int32_t kDefaultUtcOffset = 480;
constexpr std::int32_t kDefaultDays = 7;
constexpr Duration kDefaultArrivalBuffer = 15 * kMinute;
// Insertion settings (engine/command.h SessionSpec): absent means these.
constexpr std::int32_t kDefaultPriorityAfter = 1;
constexpr std::int32_t kDefaultReturnAfter = 2;
constexpr std::int32_t kDefaultMaxOvertaken = 3;

void quotas_to(const std::vector<std::int32_t>& in,
               google::protobuf::RepeatedField<std::int32_t>* out) {
  out->Reserve(static_cast<int>(in.size()));
  for (std::int32_t q : in) out->Add(q);
}

std::vector<std::int32_t> quotas_from(const google::protobuf::RepeatedField<std::int32_t>& in) {
  return std::vector<std::int32_t>(in.begin(), in.end());
}

// The rooms and insertion settings SessionSpec and SessionTemplate share.
template <typename Engine, typename Wire>
void flow_to(const Engine& s, Wire* o) {
  for (const std::string& r : s.rooms) o->add_rooms(r);
  o->set_priority_after(s.priority_after);
  o->set_return_after(s.return_after);
  o->set_max_overtaken(s.max_overtaken);
}
template <typename Engine, typename Wire>
void flow_from(const Wire& w, Engine* s) {
  s->rooms.assign(w.rooms().begin(), w.rooms().end());
  s->priority_after = w.has_priority_after() ? w.priority_after() : kDefaultPriorityAfter;
  s->return_after = w.has_return_after() ? w.return_after() : kDefaultReturnAfter;
  s->max_overtaken = w.has_max_overtaken() ? w.max_overtaken() : kDefaultMaxOvertaken;
}

// ---- engine -> wire ----

void spec_to(const SessionSpec& s, pb::SessionSpec* o) {
  o->set_session_id(s.session_id);
  o->set_doctor_id(s.doctor_id);
  o->set_doctor_name(s.doctor_name);
  o->set_department(s.department);
  o->set_room(s.room);
  o->set_area(s.area);
  to_proto(s.start, o->mutable_start());
  to_proto(s.end, o->mutable_end());
  to_proto(s.registration_open, o->mutable_registration_open());
  o->set_slot_minutes(s.slot_minutes);
  quotas_to(s.appointment_quota, o->mutable_appointment_quota());
  quotas_to(s.walkin_quota, o->mutable_walkin_quota());
  o->set_policy(static_cast<pb::Policy>(s.policy));
  if (s.late_grace != 0) duration_to_proto(s.late_grace, o->mutable_late_grace());
  if (s.cancel_deadline != kNoTime) to_proto(s.cancel_deadline, o->mutable_cancel_deadline());
  if (s.walkin_conversion_time != kNoTime)
    to_proto(s.walkin_conversion_time, o->mutable_walkin_conversion_time());
  o->set_utc_offset_minutes(s.utc_offset_minutes);
  if (s.avg_consult_seed != 0) duration_to_proto(s.avg_consult_seed, o->mutable_avg_consult_seed());
  duration_to_proto(s.arrival_buffer, o->mutable_arrival_buffer());
  if (s.first_call_delay != 0) duration_to_proto(s.first_call_delay, o->mutable_first_call_delay());
  for (const Reservation& r : s.reservations) {
    pb::Reservation* w = o->add_reservations();
    w->set_channel(r.channel);
    quotas_to(r.units, w->mutable_units());
    if (r.release_at != kNoTime) to_proto(r.release_at, w->mutable_release_at());
  }
  flow_to(s, o);
}

void template_to(const SessionTemplate& t, pb::SessionTemplate* o) {
  o->set_template_id(t.template_id);
  o->set_doctor_id(t.doctor_id);
  o->set_doctor_name(t.doctor_name);
  o->set_department(t.department);
  o->set_room(t.room);
  o->set_area(t.area);
  o->set_weekday(t.weekday);
  o->set_start_minute(t.start_minute);
  o->set_end_minute(t.end_minute);
  o->set_registration_open_minute(t.registration_open_minute);
  o->set_slot_minutes(t.slot_minutes);
  quotas_to(t.appointment_quota, o->mutable_appointment_quota());
  quotas_to(t.walkin_quota, o->mutable_walkin_quota());
  o->set_policy(static_cast<pb::Policy>(t.policy));
  o->set_utc_offset_minutes(t.utc_offset_minutes);
  if (t.first_call_delay != 0) duration_to_proto(t.first_call_delay, o->mutable_first_call_delay());
  if (t.avg_consult_seed != 0) duration_to_proto(t.avg_consult_seed, o->mutable_avg_consult_seed());
  duration_to_proto(t.arrival_buffer, o->mutable_arrival_buffer());
  flow_to(t, o);
}

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

// ---- wire -> engine ----

Error spec_from(const pb::SessionSpec& w, SessionSpec* s, std::string* m) {
  s->session_id = w.session_id();
  s->doctor_id = w.doctor_id();
  s->doctor_name = w.doctor_name();
  s->department = w.department();
  s->room = w.room();
  s->area = w.area();
  Error e;
  if ((e = internal::required_time(w.has_start(), w.start(), &s->start, m, "start")) != Error::kOk)
    return e;
  if ((e = internal::required_time(w.has_end(), w.end(), &s->end, m, "end")) != Error::kOk) return e;
  if ((e = internal::required_time(w.has_registration_open(), w.registration_open(),
                                   &s->registration_open, m, "registration_open")) != Error::kOk)
    return e;
  s->slot_minutes = w.has_slot_minutes() ? w.slot_minutes() : kDefaultSlotMinutes;
  s->appointment_quota = quotas_from(w.appointment_quota());
  s->walkin_quota = quotas_from(w.walkin_quota());
  if ((e = internal::enum_from<Policy, pb::Policy, pb::Policy_IsValid>(w.policy(), &s->policy, m,
                                                                       "policy")) != Error::kOk)
    return e;
  if ((e = internal::optional_duration(w.has_late_grace(), w.late_grace(), &s->late_grace, m,
                                       "late_grace", 0)) != Error::kOk)
    return e;
  if ((e = internal::optional_time(w.has_cancel_deadline(), w.cancel_deadline(),
                                   &s->cancel_deadline, m, "cancel_deadline", kNoTime)) !=
      Error::kOk)
    return e;
  if ((e = internal::optional_time(w.has_walkin_conversion_time(), w.walkin_conversion_time(),
                                   &s->walkin_conversion_time, m, "walkin_conversion_time",
                                   kNoTime)) != Error::kOk)
    return e;
  s->utc_offset_minutes = w.has_utc_offset_minutes() ? w.utc_offset_minutes() : kDefaultUtcOffset;
  if ((e = internal::optional_duration(w.has_avg_consult_seed(), w.avg_consult_seed(),
                                       &s->avg_consult_seed, m, "avg_consult_seed", 0)) !=
      Error::kOk)
    return e;
  if ((e = internal::optional_duration(w.has_arrival_buffer(), w.arrival_buffer(),
                                       &s->arrival_buffer, m, "arrival_buffer",
                                       kDefaultArrivalBuffer)) != Error::kOk)
    return e;
  if ((e = internal::optional_duration(w.has_first_call_delay(), w.first_call_delay(),
                                       &s->first_call_delay, m, "first_call_delay", 0)) !=
      Error::kOk)
    return e;
  s->reservations.clear();
  s->reservations.reserve(static_cast<std::size_t>(w.reservations_size()));
  for (int i = 0; i < w.reservations_size(); ++i) {
    const pb::Reservation& wr = w.reservations(i);
    Reservation r;
    r.channel = wr.channel();
    r.units = quotas_from(wr.units());
    if ((e = internal::optional_time(wr.has_release_at(), wr.release_at(), &r.release_at, m,
                                     "release_at", kNoTime)) != Error::kOk)
      return nested(e, m, "reservations[" + std::to_string(i) + "]");
    s->reservations.push_back(std::move(r));
  }
  flow_from(w, s);
  return Error::kOk;
}

Error template_from(const pb::SessionTemplate& w, SessionTemplate* t, std::string* m) {
  t->template_id = w.template_id();
  t->doctor_id = w.doctor_id();
  t->doctor_name = w.doctor_name();
  t->department = w.department();
  t->room = w.room();
  t->area = w.area();
  t->weekday = w.weekday();
  t->start_minute = w.start_minute();
  t->end_minute = w.end_minute();
  t->registration_open_minute = w.registration_open_minute();
  t->slot_minutes = w.has_slot_minutes() ? w.slot_minutes() : kDefaultSlotMinutes;
  t->appointment_quota = quotas_from(w.appointment_quota());
  t->walkin_quota = quotas_from(w.walkin_quota());
  t->utc_offset_minutes = w.has_utc_offset_minutes() ? w.utc_offset_minutes() : kDefaultUtcOffset;
  flow_from(w, t);
  if (Error e = internal::optional_duration(w.has_first_call_delay(), w.first_call_delay(),
                                            &t->first_call_delay, m, "first_call_delay", 0);
      e != Error::kOk)
    return e;
  if (Error e = internal::optional_duration(w.has_avg_consult_seed(), w.avg_consult_seed(),
                                            &t->avg_consult_seed, m, "avg_consult_seed", 0);
      e != Error::kOk)
    return e;
  if (Error e = internal::optional_duration(w.has_arrival_buffer(), w.arrival_buffer(),
                                            &t->arrival_buffer, m, "arrival_buffer",
                                            kDefaultArrivalBuffer);
      e != Error::kOk)
    return e;
  return internal::enum_from<Policy, pb::Policy, pb::Policy_IsValid>(w.policy(), &t->policy, m,
                                                                    "policy");
}

Error body_from(const pb::Command& w, CommandBody* body, std::string* m) {
  using C = pb::Command;
  Error e = Error::kOk;
  switch (w.body_case()) {
    case C::kCreateSession: {
      CreateSession c;
      e = nested(spec_from(w.create_session().spec(), &c.spec, m), m, "create_session.spec");
      *body = std::move(c);
      return e;
    }
    case C::kDefineChannel: {
      const pb::Channel& wc = w.define_channel().channel();
      DefineChannel c;
      c.channel.channel_id = wc.channel_id();
      if ((e = internal::optional_duration(wc.has_window_opens_before(), wc.window_opens_before(),
                                           &c.channel.window_opens_before, m,
                                           "window_opens_before", 0)) != Error::kOk)
        return nested(e, m, "define_channel.channel");
      if ((e = internal::optional_duration(wc.has_window_closes_before(),
                                           wc.window_closes_before(),
                                           &c.channel.window_closes_before, m,
                                           "window_closes_before", 0)) != Error::kOk)
        return nested(e, m, "define_channel.channel");
      *body = std::move(c);
      return Error::kOk;
    }
    case C::kBook: {
      const pb::Book& x = w.book();
      *body = Book{x.session_id(), x.slot(),    x.patient_ref(), x.patient_name(),
                   x.ticket_id(),  x.channel(), x.token(),       x.priority()};
      return Error::kOk;
    }
    case C::kHold: {
      const pb::Hold& x = w.hold();
      Hold h{x.session_id(), x.slot(), x.patient_ref(), x.patient_name(), x.channel(), 0,
             x.hold_id(),    x.priority()};
      if ((e = internal::optional_duration(x.has_ttl(), x.ttl(), &h.ttl, m, "ttl", 0)) !=
          Error::kOk)
        return nested(e, m, "hold");
      *body = std::move(h);
      return Error::kOk;
    }
    case C::kConfirm:
      *body = Confirm{w.confirm().hold_id(), w.confirm().ticket_id(), w.confirm().token()};
      return Error::kOk;
    case C::kRelease: *body = Release{w.release().hold_id()}; return Error::kOk;
    case C::kCancel: *body = Cancel{w.cancel().ticket_id()}; return Error::kOk;
    case C::kRegisterWalkIn: {
      const pb::RegisterWalkIn& x = w.register_walk_in();
      *body = RegisterWalkIn{x.session_id(), x.patient_ref(), x.patient_name(), x.ticket_id(),
                             x.token(),      x.priority()};
      return Error::kOk;
    }
    case C::kCheckIn: *body = CheckIn{w.check_in().ticket_id()}; return Error::kOk;
    case C::kCallNext:
      *body = CallNext{w.call_next().session_id(), w.call_next().room()};
      return Error::kOk;
    case C::kCallTicket:
      *body = CallTicket{w.call_ticket().ticket_id(), w.call_ticket().room()};
      return Error::kOk;
    case C::kRecall: *body = Recall{w.recall().ticket_id()}; return Error::kOk;
    case C::kComplete: *body = Complete{w.complete().ticket_id()}; return Error::kOk;
    case C::kMarkMissed: *body = MarkMissed{w.mark_missed().ticket_id()}; return Error::kOk;
    case C::kReturn: *body = ReturnTicket{w.return_().ticket_id()}; return Error::kOk;
    case C::kMoveToNext: *body = MoveToNext{w.move_to_next().ticket_id()}; return Error::kOk;
    case C::kPause: *body = Pause{w.pause().session_id(), w.pause().room()}; return Error::kOk;
    case C::kResume: *body = Resume{w.resume().session_id(), w.resume().room()}; return Error::kOk;
    case C::kSuspendSession:
      *body = SuspendSession{w.suspend_session().session_id(), w.suspend_session().reason()};
      return Error::kOk;
    case C::kCloseSession: *body = CloseSession{w.close_session().session_id()}; return Error::kOk;
    case C::kTick: *body = Tick{}; return Error::kOk;
    case C::kDefineTemplate: {
      DefineTemplate d;
      e = nested(template_from(w.define_template().template_(), &d.tmpl, m), m,
                 "define_template.template");
      *body = std::move(d);
      return e;
    }
    case C::kGenerateSessions: {
      const pb::GenerateSessions& x = w.generate_sessions();
      GenerateSessions g;
      if ((e = internal::required_time(x.has_from(), x.from(), &g.from, m, "from")) != Error::kOk)
        return nested(e, m, "generate_sessions");
      g.days = x.has_days() ? x.days() : kDefaultDays;
      *body = g;
      return Error::kOk;
    }
    case C::kAdjustQuotas: {
      const pb::AdjustQuotas& x = w.adjust_quotas();
      AdjustQuotas a;
      a.doctor_id = x.doctor_id();
      if ((e = internal::required_time(x.has_from(), x.from(), &a.from, m, "from")) != Error::kOk ||
          (e = internal::required_time(x.has_to(), x.to(), &a.to, m, "to")) != Error::kOk)
        return nested(e, m, "adjust_quotas");
      a.appointment_quota = quotas_from(x.appointment_quota());
      a.walkin_quota = quotas_from(x.walkin_quota());
      *body = std::move(a);
      return Error::kOk;
    }
    case C::kDoctorLeave: {
      const pb::DoctorLeave& x = w.doctor_leave();
      DoctorLeave d;
      d.doctor_id = x.doctor_id();
      d.reason = x.reason();
      if ((e = internal::required_time(x.has_from(), x.from(), &d.from, m, "from")) != Error::kOk ||
          (e = internal::required_time(x.has_to(), x.to(), &d.to, m, "to")) != Error::kOk)
        return nested(e, m, "doctor_leave");
      *body = std::move(d);
      return Error::kOk;
    }
    case C::kUndo: *body = Undo{w.undo().session_id()}; return Error::kOk;
    case C::kSetPriority:
      *body = SetPriority{w.set_priority().ticket_id(), w.set_priority().priority()};
      return Error::kOk;
    case C::kSendForTests: *body = SendForTests{w.send_for_tests().ticket_id()}; return Error::kOk;
    case C::kReturnFromTests:
      *body = ReturnFromTests{w.return_from_tests().ticket_id()};
      return Error::kOk;
    case C::BODY_NOT_SET:
      break;
  }
  return invalid(m, "body", "missing: a command needs exactly one of create_session, book, ...");
}

}  // namespace

void to_proto(const Command& command, Time at, pb::Command* out) {
  out->Clear();
  to_proto(at, out->mutable_at());
  internal::actor_to_proto(command.actor, out->mutable_actor());
  std::visit(
      Overloaded{
          [&](const CreateSession& c) { spec_to(c.spec, out->mutable_create_session()->mutable_spec()); },
          [&](const DefineChannel& c) {
            pb::Channel* w = out->mutable_define_channel()->mutable_channel();
            w->set_channel_id(c.channel.channel_id);
            if (c.channel.window_opens_before != 0)
              duration_to_proto(c.channel.window_opens_before, w->mutable_window_opens_before());
            if (c.channel.window_closes_before != 0)
              duration_to_proto(c.channel.window_closes_before, w->mutable_window_closes_before());
          },
          [&](const Book& c) {
            pb::Book* w = out->mutable_book();
            w->set_session_id(c.session_id);
            w->set_slot(c.slot);
            w->set_patient_ref(c.patient_ref);
            w->set_patient_name(c.patient_name);
            w->set_ticket_id(c.ticket_id);
            w->set_channel(c.channel);
            w->set_token(c.token);
            w->set_priority(c.priority);
          },
          [&](const Hold& c) {
            pb::Hold* w = out->mutable_hold();
            w->set_session_id(c.session_id);
            w->set_slot(c.slot);
            w->set_patient_ref(c.patient_ref);
            w->set_patient_name(c.patient_name);
            w->set_channel(c.channel);
            if (c.ttl != 0) duration_to_proto(c.ttl, w->mutable_ttl());
            w->set_hold_id(c.hold_id);
            w->set_priority(c.priority);
          },
          [&](const Confirm& c) {
            pb::Confirm* w = out->mutable_confirm();
            w->set_hold_id(c.hold_id);
            w->set_ticket_id(c.ticket_id);
            w->set_token(c.token);
          },
          [&](const Release& c) { out->mutable_release()->set_hold_id(c.hold_id); },
          [&](const Cancel& c) { out->mutable_cancel()->set_ticket_id(c.ticket_id); },
          [&](const RegisterWalkIn& c) {
            pb::RegisterWalkIn* w = out->mutable_register_walk_in();
            w->set_session_id(c.session_id);
            w->set_patient_ref(c.patient_ref);
            w->set_patient_name(c.patient_name);
            w->set_ticket_id(c.ticket_id);
            w->set_token(c.token);
            w->set_priority(c.priority);
          },
          [&](const CheckIn& c) { out->mutable_check_in()->set_ticket_id(c.ticket_id); },
          [&](const CallNext& c) {
            out->mutable_call_next()->set_session_id(c.session_id);
            out->mutable_call_next()->set_room(c.room);
          },
          [&](const CallTicket& c) {
            out->mutable_call_ticket()->set_ticket_id(c.ticket_id);
            out->mutable_call_ticket()->set_room(c.room);
          },
          [&](const Recall& c) { out->mutable_recall()->set_ticket_id(c.ticket_id); },
          [&](const Complete& c) { out->mutable_complete()->set_ticket_id(c.ticket_id); },
          [&](const MarkMissed& c) { out->mutable_mark_missed()->set_ticket_id(c.ticket_id); },
          [&](const ReturnTicket& c) { out->mutable_return_()->set_ticket_id(c.ticket_id); },
          [&](const MoveToNext& c) { out->mutable_move_to_next()->set_ticket_id(c.ticket_id); },
          [&](const Pause& c) {
            out->mutable_pause()->set_session_id(c.session_id);
            out->mutable_pause()->set_room(c.room);
          },
          [&](const Resume& c) {
            out->mutable_resume()->set_session_id(c.session_id);
            out->mutable_resume()->set_room(c.room);
          },
          [&](const SuspendSession& c) {
            out->mutable_suspend_session()->set_session_id(c.session_id);
            out->mutable_suspend_session()->set_reason(c.reason);
          },
          [&](const CloseSession& c) { out->mutable_close_session()->set_session_id(c.session_id); },
          [&](const Tick&) { out->mutable_tick(); },
          [&](const DefineTemplate& c) {
            template_to(c.tmpl, out->mutable_define_template()->mutable_template_());
          },
          [&](const GenerateSessions& c) {
            to_proto(c.from, out->mutable_generate_sessions()->mutable_from());
            out->mutable_generate_sessions()->set_days(c.days);
          },
          [&](const AdjustQuotas& c) {
            pb::AdjustQuotas* w = out->mutable_adjust_quotas();
            w->set_doctor_id(c.doctor_id);
            to_proto(c.from, w->mutable_from());
            to_proto(c.to, w->mutable_to());
            quotas_to(c.appointment_quota, w->mutable_appointment_quota());
            quotas_to(c.walkin_quota, w->mutable_walkin_quota());
          },
          [&](const DoctorLeave& c) {
            pb::DoctorLeave* w = out->mutable_doctor_leave();
            w->set_doctor_id(c.doctor_id);
            to_proto(c.from, w->mutable_from());
            to_proto(c.to, w->mutable_to());
            w->set_reason(c.reason);
          },
          [&](const Undo& c) { out->mutable_undo()->set_session_id(c.session_id); },
          [&](const SetPriority& c) {
            out->mutable_set_priority()->set_ticket_id(c.ticket_id);
            out->mutable_set_priority()->set_priority(c.priority);
          },
          [&](const SendForTests& c) { out->mutable_send_for_tests()->set_ticket_id(c.ticket_id); },
          [&](const ReturnFromTests& c) {
            out->mutable_return_from_tests()->set_ticket_id(c.ticket_id);
          },
      },
      command.body);
}

Error from_proto(const pb::Command& in, Command* out, Time* at, std::string* message) {
  Error e = internal::required_time(in.has_at(), in.at(), at, message, "at");
  if (e != Error::kOk) return e;
  if ((e = nested(internal::actor_from_proto(in.actor(), &out->actor, message), message,
                  "actor")) != Error::kOk)
    return e;
  return body_from(in, &out->body, message);
}

}  // namespace qc::codec
