// Codec: the views (PatientView, DisplayView, StaffView, Board).
#include "proto/codec.h"
#include "proto/codec_internal.h"

namespace qc::codec {

using internal::nested;

namespace {

template <typename E, typename W, bool (*V)(int)>
Error en(W w, E* out, std::string* m, const char* field) {
  return internal::enum_from<E, W, V>(w, out, m, field);
}

#define QC_TRY(expr)                         \
  do {                                       \
    if (Error qc_e_ = (expr); qc_e_ != Error::kOk) return qc_e_; \
  } while (0)

void entry_to(const DisplayEntry& e, pb::DisplayEntry* o) {
  o->set_label(e.label);
  o->set_masked_name(e.masked_name);
}

DisplayEntry entry_from(const pb::DisplayEntry& w) { return DisplayEntry{w.label(), w.masked_name()}; }


}  // namespace

void to_proto(const PatientView& v, pb::PatientView* o) {
  o->Clear();
  o->set_ticket_id(v.ticket_id);
  o->set_session_id(v.session_id);
  o->set_label(v.label);
  o->set_kind(static_cast<pb::TicketKind>(v.kind));
  o->set_state(static_cast<pb::TicketState>(v.state));
  o->set_placement(static_cast<pb::Placement>(v.placement));
  o->set_session_status(static_cast<pb::SessionStatus>(v.session_status));
  o->set_slot(v.slot);
  o->set_effective_slot(v.effective_slot);
  to_proto(v.slot_start, o->mutable_slot_start());
  to_proto(v.slot_end, o->mutable_slot_end());
  o->set_ahead(v.ahead);
  if (v.eta != kNoTime) to_proto(v.eta, o->mutable_eta());
  if (v.recommended_arrival != kNoTime)
    to_proto(v.recommended_arrival, o->mutable_recommended_arrival());
  o->set_called_label(v.called_label);
  o->set_room(v.room);
  o->set_doctor_name(v.doctor_name);
  o->set_version(v.version);
  o->set_priority(v.priority);
}

void to_proto(const DisplayView& v, pb::DisplayView* o) {
  o->Clear();
  o->set_area(v.area);
  o->mutable_rooms()->Reserve(static_cast<int>(v.rooms.size()));
  for (const DisplayRoom& r : v.rooms) {
    pb::DisplayRoom* w = o->add_rooms();
    w->set_session_id(r.session_id);
    w->set_room(r.room);
    w->set_doctor_name(r.doctor_name);
    w->set_status(static_cast<pb::SessionStatus>(r.status));
    if (r.has_called) entry_to(r.called, w->mutable_called());
    for (const DisplayEntry& e : r.next) entry_to(e, w->add_next());
    for (const DisplayEntry& e : r.missed) entry_to(e, w->add_missed());
    w->set_version(r.version);
    if (r.has_called && r.called_at != kNoTime) to_proto(r.called_at, w->mutable_called_at());
  }
  o->set_version(v.version);
}

void to_proto(const StaffView& v, pb::StaffView* o) {
  o->Clear();
  o->set_session_id(v.session_id);
  o->set_doctor_name(v.doctor_name);
  o->set_room(v.room);
  o->set_area(v.area);
  o->set_status(static_cast<pb::SessionStatus>(v.status));
  to_proto(v.start, o->mutable_start());
  to_proto(v.end, o->mutable_end());
  o->set_slot_minutes(v.slot_minutes);
  o->set_serving_slot(v.serving_slot);
  for (std::int32_t a : v.appointment_left) o->add_appointment_left(a);
  for (std::int32_t w : v.walkin_left) o->add_walkin_left(w);
  duration_to_proto(v.avg_consult, o->mutable_avg_consult());
  o->mutable_tickets()->Reserve(static_cast<int>(v.tickets.size()));
  for (const StaffTicket& t : v.tickets) {
    pb::StaffTicket* w = o->add_tickets();
    w->set_ticket_id(t.ticket_id);
    w->set_label(t.label);
    w->set_patient_ref(t.patient_ref);
    w->set_patient_name(t.patient_name);
    w->set_kind(static_cast<pb::TicketKind>(t.kind));
    w->set_state(static_cast<pb::TicketState>(t.state));
    w->set_placement(static_cast<pb::Placement>(t.placement));
    w->set_slot(t.slot);
    w->set_effective_slot(t.effective_slot);
    w->set_band(t.band);
    w->set_seq(t.seq);
    w->set_position(t.position);
    if (t.checked_in_at != kNoTime) to_proto(t.checked_in_at, w->mutable_checked_in_at());
    if (t.called_at != kNoTime) to_proto(t.called_at, w->mutable_called_at());
    w->set_priority(t.priority);
    w->set_room(t.room);
    w->set_overtaken(t.overtaken);
  }
  o->set_version(v.version);
  o->mutable_rooms()->Reserve(static_cast<int>(v.rooms.size()));
  for (const StaffRoom& r : v.rooms) {
    pb::StaffRoom* w = o->add_rooms();
    w->set_room(r.room);
    w->set_paused(r.paused);
    w->set_called_ticket(r.called_ticket);
    w->set_called_label(r.called_label);
    to_proto(r.available_at, w->mutable_available_at());
  }
  o->set_priority_after(v.priority_after);
  o->set_return_after(v.return_after);
  o->set_max_overtaken(v.max_overtaken);
}

void to_proto(const Board& v, pb::Board* o) {
  o->Clear();
  o->set_session_id(v.session_id);
  o->set_status(static_cast<pb::SessionStatus>(v.status));
  o->set_called_label(v.called_label);
  o->mutable_waiting()->Reserve(static_cast<int>(v.waiting.size()));
  for (const std::string& l : v.waiting) o->add_waiting(l);
  to_proto(v.doctor_available_at, o->mutable_doctor_available_at());
  duration_to_proto(v.avg_consult, o->mutable_avg_consult());
  o->set_version(v.version);
  o->mutable_eta_offsets_ms()->Reserve(static_cast<int>(v.eta_offsets_ms.size()));
  for (std::int32_t x : v.eta_offsets_ms) o->add_eta_offsets_ms(x);
}

Error from_proto(const pb::PatientView& w, PatientView* v, std::string* m) {
  *v = PatientView{};
  v->ticket_id = w.ticket_id();
  v->session_id = w.session_id();
  v->label = w.label();
  QC_TRY((en<TicketKind, pb::TicketKind, pb::TicketKind_IsValid>(w.kind(), &v->kind, m, "kind")));
  QC_TRY((en<TicketState, pb::TicketState, pb::TicketState_IsValid>(w.state(), &v->state, m,
                                                                    "state")));
  QC_TRY((en<Placement, pb::Placement, pb::Placement_IsValid>(w.placement(), &v->placement, m,
                                                              "placement")));
  QC_TRY((en<SessionStatus, pb::SessionStatus, pb::SessionStatus_IsValid>(
      w.session_status(), &v->session_status, m, "session_status")));
  v->slot = w.slot();
  v->effective_slot = w.effective_slot();
  QC_TRY(internal::optional_time(w.has_slot_start(), w.slot_start(), &v->slot_start, m,
                                 "slot_start", 0));
  QC_TRY(internal::optional_time(w.has_slot_end(), w.slot_end(), &v->slot_end, m, "slot_end", 0));
  v->ahead = w.ahead();
  QC_TRY(internal::optional_time(w.has_eta(), w.eta(), &v->eta, m, "eta", kNoTime));
  QC_TRY(internal::optional_time(w.has_recommended_arrival(), w.recommended_arrival(),
                                 &v->recommended_arrival, m, "recommended_arrival", kNoTime));
  v->called_label = w.called_label();
  v->room = w.room();
  v->doctor_name = w.doctor_name();
  v->version = w.version();
  v->priority = w.priority();
  return Error::kOk;
}

Error from_proto(const pb::DisplayView& w, DisplayView* v, std::string* m) {
  *v = DisplayView{};
  v->area = w.area();
  v->rooms.reserve(static_cast<std::size_t>(w.rooms_size()));
  for (int i = 0; i < w.rooms_size(); ++i) {
    const pb::DisplayRoom& wr = w.rooms(i);
    DisplayRoom r;
    r.session_id = wr.session_id();
    r.room = wr.room();
    r.doctor_name = wr.doctor_name();
    QC_TRY(nested((en<SessionStatus, pb::SessionStatus, pb::SessionStatus_IsValid>(
                      wr.status(), &r.status, m, "status")),
                  m, "rooms[" + std::to_string(i) + "]"));
    r.has_called = wr.has_called();
    if (r.has_called) r.called = entry_from(wr.called());
    for (const pb::DisplayEntry& e : wr.next()) r.next.push_back(entry_from(e));
    for (const pb::DisplayEntry& e : wr.missed()) r.missed.push_back(entry_from(e));
    r.version = wr.version();
    QC_TRY(nested(internal::optional_time(wr.has_called_at(), wr.called_at(), &r.called_at, m,
                                          "called_at", kNoTime),
                  m, "rooms[" + std::to_string(i) + "]"));
    v->rooms.push_back(std::move(r));
  }
  v->version = w.version();
  return Error::kOk;
}

Error from_proto(const pb::StaffView& w, StaffView* v, std::string* m) {
  *v = StaffView{};
  v->session_id = w.session_id();
  v->doctor_name = w.doctor_name();
  v->room = w.room();
  v->area = w.area();
  QC_TRY((en<SessionStatus, pb::SessionStatus, pb::SessionStatus_IsValid>(w.status(), &v->status,
                                                                          m, "status")));
  QC_TRY(internal::optional_time(w.has_start(), w.start(), &v->start, m, "start", 0));
  QC_TRY(internal::optional_time(w.has_end(), w.end(), &v->end, m, "end", 0));
  v->slot_minutes = w.slot_minutes();
  v->serving_slot = w.serving_slot();
  v->appointment_left.assign(w.appointment_left().begin(), w.appointment_left().end());
  v->walkin_left.assign(w.walkin_left().begin(), w.walkin_left().end());
  QC_TRY(internal::optional_duration(w.has_avg_consult(), w.avg_consult(), &v->avg_consult, m,
                                     "avg_consult", 0));
  v->tickets.reserve(static_cast<std::size_t>(w.tickets_size()));
  for (int i = 0; i < w.tickets_size(); ++i) {
    const pb::StaffTicket& wt = w.tickets(i);
    const std::string where = "tickets[" + std::to_string(i) + "]";
    StaffTicket t;
    t.ticket_id = wt.ticket_id();
    t.label = wt.label();
    t.patient_ref = wt.patient_ref();
    t.patient_name = wt.patient_name();
    QC_TRY(nested((en<TicketKind, pb::TicketKind, pb::TicketKind_IsValid>(wt.kind(), &t.kind, m,
                                                                          "kind")),
                  m, where));
    QC_TRY(nested((en<TicketState, pb::TicketState, pb::TicketState_IsValid>(wt.state(), &t.state,
                                                                             m, "state")),
                  m, where));
    QC_TRY(nested((en<Placement, pb::Placement, pb::Placement_IsValid>(wt.placement(),
                                                                       &t.placement, m,
                                                                       "placement")),
                  m, where));
    t.slot = wt.slot();
    t.effective_slot = wt.effective_slot();
    t.band = wt.band();
    t.seq = wt.seq();
    t.position = wt.position();
    QC_TRY(nested(internal::optional_time(wt.has_checked_in_at(), wt.checked_in_at(),
                                          &t.checked_in_at, m, "checked_in_at", kNoTime),
                  m, where));
    QC_TRY(nested(internal::optional_time(wt.has_called_at(), wt.called_at(), &t.called_at, m,
                                          "called_at", kNoTime),
                  m, where));
    t.priority = wt.priority();
    t.room = wt.room();
    t.overtaken = wt.overtaken();
    v->tickets.push_back(std::move(t));
  }
  v->version = w.version();
  v->rooms.reserve(static_cast<std::size_t>(w.rooms_size()));
  for (int i = 0; i < w.rooms_size(); ++i) {
    const pb::StaffRoom& wr = w.rooms(i);
    StaffRoom r;
    r.room = wr.room();
    r.paused = wr.paused();
    r.called_ticket = wr.called_ticket();
    r.called_label = wr.called_label();
    QC_TRY(nested(internal::optional_time(wr.has_available_at(), wr.available_at(),
                                          &r.available_at, m, "available_at", 0),
                  m, "rooms[" + std::to_string(i) + "]"));
    v->rooms.push_back(std::move(r));
  }
  v->priority_after = w.priority_after();
  v->return_after = w.return_after();
  v->max_overtaken = w.max_overtaken();
  return Error::kOk;
}

Error from_proto(const pb::Board& w, Board* v, std::string* m) {
  *v = Board{};
  v->session_id = w.session_id();
  QC_TRY((en<SessionStatus, pb::SessionStatus, pb::SessionStatus_IsValid>(w.status(), &v->status,
                                                                          m, "status")));
  v->called_label = w.called_label();
  v->waiting.assign(w.waiting().begin(), w.waiting().end());
  QC_TRY(internal::optional_time(w.has_doctor_available_at(), w.doctor_available_at(),
                                 &v->doctor_available_at, m, "doctor_available_at", 0));
  QC_TRY(internal::optional_duration(w.has_avg_consult(), w.avg_consult(), &v->avg_consult, m,
                                     "avg_consult", 0));
  v->version = w.version();
  v->eta_offsets_ms.assign(w.eta_offsets_ms().begin(), w.eta_offsets_ms().end());
  return Error::kOk;
}

// ---- view -> bytes, with reused scratch messages (one per thread and type) ----

namespace {
template <typename View, typename Wire>
void append_with(const View& v, std::string* out) {
  thread_local Wire scratch;
  to_proto(v, &scratch);  // Clear() keeps the allocated sub-objects for reuse
  scratch.AppendToString(out);
}

template <typename View, typename Wire>
void append_update_with(const View& v, Time sent_at, Wire* (pb::ViewUpdate::*view)(),
                        std::string* out) {
  // One message per view type: its oneofs always hold the same members, so
  // their sub-messages are reused too.
  thread_local pb::ServerMessage scratch;
  pb::ViewUpdate* u = scratch.mutable_view();
  to_proto(v, (u->*view)());
  u->set_version(v.version);
  to_proto(sent_at, u->mutable_sent_at());
  scratch.AppendToString(out);
}
}  // namespace

void serialize(const PatientView& v, std::string* out) { out->clear(); append_serialized(v, out); }
void serialize(const DisplayView& v, std::string* out) { out->clear(); append_serialized(v, out); }
void serialize(const StaffView& v, std::string* out) { out->clear(); append_serialized(v, out); }
void serialize(const Board& v, std::string* out) { out->clear(); append_serialized(v, out); }

void append_serialized(const PatientView& v, std::string* out) { append_with<PatientView, pb::PatientView>(v, out); }
void append_serialized(const DisplayView& v, std::string* out) { append_with<DisplayView, pb::DisplayView>(v, out); }
void append_serialized(const StaffView& v, std::string* out) { append_with<StaffView, pb::StaffView>(v, out); }
void append_serialized(const Board& v, std::string* out) { append_with<Board, pb::Board>(v, out); }

void append_serialized_update(const PatientView& v, Time sent_at, std::string* out) {
  append_update_with(v, sent_at, &pb::ViewUpdate::mutable_patient, out);
}
void append_serialized_update(const DisplayView& v, Time sent_at, std::string* out) {
  append_update_with(v, sent_at, &pb::ViewUpdate::mutable_display, out);
}
void append_serialized_update(const StaffView& v, Time sent_at, std::string* out) {
  append_update_with(v, sent_at, &pb::ViewUpdate::mutable_staff, out);
}
void append_serialized_update(const Board& v, Time sent_at, std::string* out) {
  append_update_with(v, sent_at, &pb::ViewUpdate::mutable_board, out);
}

}  // namespace qc::codec
