// Direct JSON writers for the views (see view_json.h for the contract).
#include "server/wire/view_json.h"

#include <charconv>
#include <cstdint>

namespace qc::gw {

namespace {

// ---- numbers ----

void append_i64(std::int64_t v, std::string* out) {
  char b[24];
  auto r = std::to_chars(b, b + sizeof b, v);
  out->append(b, static_cast<std::size_t>(r.ptr - b));
}

void append_u64_string(std::uint64_t v, std::string* out) {
  char b[24];
  b[0] = '"';
  auto r = std::to_chars(b + 1, b + sizeof b - 1, v);
  *r.ptr = '"';
  out->append(b, static_cast<std::size_t>(r.ptr + 1 - b));
}

// ---- enums ----

constexpr const char* kTicketKind[] = {"TICKET_KIND_APPOINTMENT", "TICKET_KIND_WALK_IN"};
constexpr const char* kTicketState[] = {
    "TICKET_STATE_BOOKED", "TICKET_STATE_WAITING", "TICKET_STATE_CALLED",  "TICKET_STATE_MISSED",
    "TICKET_STATE_DONE",   "TICKET_STATE_CANCELLED", "TICKET_STATE_NO_SHOW",
    "TICKET_STATE_AT_TESTS"};
constexpr const char* kPlacement[] = {"PLACEMENT_NONE", "PLACEMENT_NORMAL", "PLACEMENT_MADE_NEXT",
                                      "PLACEMENT_DEMOTED", "PLACEMENT_INSERTED"};
constexpr const char* kSessionStatus[] = {"SESSION_STATUS_OPEN", "SESSION_STATUS_PAUSED",
                                          "SESSION_STATUS_SUSPENDED", "SESSION_STATUS_CLOSED"};

template <typename E, std::size_t N>
void append_enum(E e, const char* const (&names)[N], std::string* out) {
  const auto v = static_cast<std::size_t>(e);
  if (v < N) {
    out->push_back('"');
    out->append(names[v]);
    out->push_back('"');
  } else {
    append_i64(static_cast<std::int64_t>(v), out);  // an unknown value prints as its number
  }
}

// ---- messages ----

// `key` is a literal holding the separator, the quoted name and the colon:
// ",\"label\":".
template <std::size_t N>
inline void key(std::string* out, const char (&k)[N]) {
  out->append(k, N - 1);
}

void entry(const DisplayEntry& e, std::string* out) {
  key(out, "{\"label\":");
  append_json_string_pb(e.label, out);
  key(out, ",\"maskedName\":");
  append_json_string_pb(e.masked_name, out);
  out->push_back('}');
}

// A JSON array of `list`, each element written by write(element, out).
template <typename T, typename Write>
void array(const std::vector<T>& list, Write write, std::string* out) {
  out->push_back('[');
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i) out->push_back(',');
    write(list[i], out);
  }
  out->push_back(']');
}

void room(const DisplayRoom& r, std::string* out) {
  key(out, "{\"sessionId\":");
  append_json_string_pb(r.session_id, out);
  key(out, ",\"room\":");
  append_json_string_pb(r.room, out);
  key(out, ",\"doctorName\":");
  append_json_string_pb(r.doctor_name, out);
  key(out, ",\"status\":");
  append_enum(r.status, kSessionStatus, out);
  if (r.has_called) {
    key(out, ",\"called\":");
    entry(r.called, out);
  }
  key(out, ",\"next\":");
  array(r.next, entry, out);
  key(out, ",\"missed\":");
  array(r.missed, entry, out);
  key(out, ",\"version\":");
  append_u64_string(r.version, out);
  if (r.has_called && r.called_at != kNoTime) {
    key(out, ",\"calledAt\":");
    append_json_timestamp(r.called_at, out);
  }
  out->push_back('}');
}

void staff_ticket(const StaffTicket& t, std::string* out) {
  key(out, "{\"ticketId\":");
  append_json_string_pb(t.ticket_id, out);
  key(out, ",\"label\":");
  append_json_string_pb(t.label, out);
  key(out, ",\"patientRef\":");
  append_json_string_pb(t.patient_ref, out);
  key(out, ",\"patientName\":");
  append_json_string_pb(t.patient_name, out);
  key(out, ",\"kind\":");
  append_enum(t.kind, kTicketKind, out);
  key(out, ",\"state\":");
  append_enum(t.state, kTicketState, out);
  key(out, ",\"placement\":");
  append_enum(t.placement, kPlacement, out);
  key(out, ",\"slot\":");
  append_i64(t.slot, out);
  key(out, ",\"effectiveSlot\":");
  append_i64(t.effective_slot, out);
  key(out, ",\"band\":");
  append_i64(t.band, out);
  key(out, ",\"seq\":");
  append_u64_string(t.seq, out);
  key(out, ",\"position\":");
  append_i64(t.position, out);
  key(out, ",\"priority\":");
  append_json_string_pb(t.priority, out);
  key(out, ",\"room\":");
  append_json_string_pb(t.room, out);
  key(out, ",\"overtaken\":");
  append_i64(t.overtaken, out);
  if (t.checked_in_at != kNoTime) {
    key(out, ",\"checkedInAt\":");
    append_json_timestamp(t.checked_in_at, out);
  }
  if (t.called_at != kNoTime) {
    key(out, ",\"calledAt\":");
    append_json_timestamp(t.called_at, out);
  }
  out->push_back('}');
}

void staff_room(const StaffRoom& r, std::string* out) {
  key(out, "{\"room\":");
  append_json_string_pb(r.room, out);
  out->append(r.paused ? ",\"paused\":true" : ",\"paused\":false");
  key(out, ",\"calledTicket\":");
  append_json_string_pb(r.called_ticket, out);
  key(out, ",\"calledLabel\":");
  append_json_string_pb(r.called_label, out);
  key(out, ",\"availableAt\":");
  append_json_timestamp(r.available_at, out);
  out->push_back('}');
}

// The tail every ViewUpdate shares: version and sent_at, closing ViewUpdate
// and ServerMessage.
void update_tail(std::uint64_t version, Time sent_at, std::string* out) {
  key(out, ",\"version\":");
  append_u64_string(version, out);
  key(out, ",\"sentAt\":");
  append_json_timestamp(sent_at, out);
  out->append("}}", 2);
}

}  // namespace

void append_json(const PatientView& v, std::string* out) {
  key(out, "{\"ticketId\":");
  append_json_string_pb(v.ticket_id, out);
  key(out, ",\"sessionId\":");
  append_json_string_pb(v.session_id, out);
  key(out, ",\"label\":");
  append_json_string_pb(v.label, out);
  key(out, ",\"kind\":");
  append_enum(v.kind, kTicketKind, out);
  key(out, ",\"state\":");
  append_enum(v.state, kTicketState, out);
  key(out, ",\"placement\":");
  append_enum(v.placement, kPlacement, out);
  key(out, ",\"sessionStatus\":");
  append_enum(v.session_status, kSessionStatus, out);
  key(out, ",\"slot\":");
  append_i64(v.slot, out);
  key(out, ",\"effectiveSlot\":");
  append_i64(v.effective_slot, out);
  key(out, ",\"ahead\":");
  append_i64(v.ahead, out);
  key(out, ",\"calledLabel\":");
  append_json_string_pb(v.called_label, out);
  key(out, ",\"room\":");
  append_json_string_pb(v.room, out);
  key(out, ",\"doctorName\":");
  append_json_string_pb(v.doctor_name, out);
  key(out, ",\"version\":");
  append_u64_string(v.version, out);
  key(out, ",\"priority\":");
  append_json_string_pb(v.priority, out);
  key(out, ",\"slotStart\":");
  append_json_timestamp(v.slot_start, out);
  key(out, ",\"slotEnd\":");
  append_json_timestamp(v.slot_end, out);
  if (v.eta != kNoTime) {
    key(out, ",\"eta\":");
    append_json_timestamp(v.eta, out);
  }
  if (v.recommended_arrival != kNoTime) {
    key(out, ",\"recommendedArrival\":");
    append_json_timestamp(v.recommended_arrival, out);
  }
  out->push_back('}');
}

void append_json(const DisplayView& v, std::string* out) {
  key(out, "{\"area\":");
  append_json_string_pb(v.area, out);
  key(out, ",\"rooms\":");
  array(v.rooms, room, out);
  key(out, ",\"version\":");
  append_u64_string(v.version, out);
  out->push_back('}');
}

void append_json(const StaffView& v, std::string* out) {
  key(out, "{\"sessionId\":");
  append_json_string_pb(v.session_id, out);
  key(out, ",\"doctorName\":");
  append_json_string_pb(v.doctor_name, out);
  key(out, ",\"room\":");
  append_json_string_pb(v.room, out);
  key(out, ",\"area\":");
  append_json_string_pb(v.area, out);
  key(out, ",\"status\":");
  append_enum(v.status, kSessionStatus, out);
  key(out, ",\"slotMinutes\":");
  append_i64(v.slot_minutes, out);
  key(out, ",\"servingSlot\":");
  append_i64(v.serving_slot, out);
  key(out, ",\"appointmentLeft\":");
  array(v.appointment_left, append_i64, out);
  key(out, ",\"walkinLeft\":");
  array(v.walkin_left, append_i64, out);
  key(out, ",\"tickets\":");
  array(v.tickets, staff_ticket, out);
  key(out, ",\"version\":");
  append_u64_string(v.version, out);
  key(out, ",\"rooms\":");
  array(v.rooms, staff_room, out);
  key(out, ",\"priorityAfter\":");
  append_i64(v.priority_after, out);
  key(out, ",\"returnAfter\":");
  append_i64(v.return_after, out);
  key(out, ",\"maxOvertaken\":");
  append_i64(v.max_overtaken, out);
  key(out, ",\"start\":");
  append_json_timestamp(v.start, out);
  key(out, ",\"end\":");
  append_json_timestamp(v.end, out);
  key(out, ",\"avgConsult\":");
  append_json_duration(v.avg_consult, out);
  out->push_back('}');
}

void append_json(const Board& v, std::string* out) {
  key(out, "{\"sessionId\":");
  append_json_string_pb(v.session_id, out);
  key(out, ",\"status\":");
  append_enum(v.status, kSessionStatus, out);
  key(out, ",\"calledLabel\":");
  append_json_string_pb(v.called_label, out);
  key(out, ",\"waiting\":");
  array(v.waiting, append_json_string_pb, out);
  key(out, ",\"version\":");
  append_u64_string(v.version, out);
  key(out, ",\"etaOffsetsMs\":");
  array(v.eta_offsets_ms, append_i64, out);
  key(out, ",\"doctorAvailableAt\":");
  append_json_timestamp(v.doctor_available_at, out);
  key(out, ",\"avgConsult\":");
  append_json_duration(v.avg_consult, out);
  out->push_back('}');
}

void append_update_json(const PatientView& v, Time sent_at, std::string* out) {
  key(out, "{\"view\":{\"patient\":");
  append_json(v, out);
  update_tail(v.version, sent_at, out);
}
void append_update_json(const DisplayView& v, Time sent_at, std::string* out) {
  key(out, "{\"view\":{\"display\":");
  append_json(v, out);
  update_tail(v.version, sent_at, out);
}
void append_update_json(const StaffView& v, Time sent_at, std::string* out) {
  key(out, "{\"view\":{\"staff\":");
  append_json(v, out);
  update_tail(v.version, sent_at, out);
}
void append_update_json(const Board& v, Time sent_at, std::string* out) {
  key(out, "{\"view\":{\"board\":");
  append_json(v, out);
  update_tail(v.version, sent_at, out);
}

namespace {
void error_object(std::string_view code, std::string_view message, std::string* out) {
  key(out, "{\"code\":");
  append_json_string_pb(code, out);
  key(out, ",\"message\":");
  append_json_string_pb(message, out);
  out->push_back('}');
}
}  // namespace

void append_ws_error_json(std::string_view code, std::string_view message, std::string* out) {
  key(out, "{\"error\":");
  error_object(code, message, out);
  out->push_back('}');
}

void append_error_reply_json(std::string_view code, std::string_view message, std::string* out) {
  append_ws_error_json(code, message, out);  // ErrorReply has the same shape
}

void append_pong_json(Time at, std::string* out) {
  key(out, "{\"pong\":{\"at\":");
  append_json_timestamp(at, out);
  out->append("}}", 2);
}

}  // namespace qc::gw
