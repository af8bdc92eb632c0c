// Direct binary protobuf writers for the views (see view_pb.h).
#include "server/wire/view_pb.h"

#include <cstdint>
#include <string_view>
#include <vector>

#include "server/wire/json_text.h"

namespace qc::gw {

namespace {

enum WireType : std::uint32_t { kVarint = 0, kLen = 2 };

void varint(std::uint64_t v, std::string* out) {
  char b[10];
  std::size_t n = 0;
  while (v >= 0x80) {
    b[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  b[n++] = static_cast<char>(v);
  out->append(b, n);
}

inline void tag(std::uint32_t field, WireType w, std::string* out) {
  const std::uint32_t t = (field << 3) | w;
  if (t < 0x80) {
    out->push_back(static_cast<char>(t));
  } else {
    varint(t, out);
  }
}

void string_field(std::uint32_t field, std::string_view s, std::string* out) {
  if (s.empty()) return;
  tag(field, kLen, out);
  varint(s.size(), out);
  out->append(s.data(), s.size());
}

// A repeated string element: written even when empty.
void string_element(std::uint32_t field, std::string_view s, std::string* out) {
  tag(field, kLen, out);
  varint(s.size(), out);
  out->append(s.data(), s.size());
}

// int32 and enums: sign-extended to 64 bits, as protobuf writes them.
void int_field(std::uint32_t field, std::int64_t v, std::string* out) {
  if (v == 0) return;
  tag(field, kVarint, out);
  varint(static_cast<std::uint64_t>(v), out);
}

void uint_field(std::uint32_t field, std::uint64_t v, std::string* out) {
  if (v == 0) return;
  tag(field, kVarint, out);
  varint(v, out);
}

// A length-delimited field whose body `body` appends. The length goes in a
// one-byte placeholder, widened in place when the body needs more.
template <typename Body>
void message_field(std::uint32_t field, std::string* out, Body body) {
  tag(field, kLen, out);
  const std::size_t at = out->size();
  out->push_back('\0');
  body();
  const std::size_t len = out->size() - at - 1;
  if (len < 0x80) {
    (*out)[at] = static_cast<char>(len);
    return;
  }
  char b[10];
  std::size_t n = 0;
  std::uint64_t v = len;
  while (v >= 0x80) {
    b[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  b[n++] = static_cast<char>(v);
  out->replace(at, 1, b, n);
}


// google.protobuf.Timestamp, as codec::to_proto(Time) fills it; the field is
// written even for kNoTime (an empty message), like a mutable_ field.
void timestamp_field(std::uint32_t field, Time t, std::string* out) {
  std::int64_t secs = 0;
  std::int32_t ms = 0;
  timestamp_parts(t, &secs, &ms);
  message_field(field, out, [&] {
    int_field(1, secs, out);
    int_field(2, std::int64_t{ms} * 1'000'000, out);
  });
}

void optional_timestamp_field(std::uint32_t field, Time t, std::string* out) {
  if (t != kNoTime) timestamp_field(field, t, out);
}

void duration_field(std::uint32_t field, Duration d, std::string* out) {
  std::int64_t secs;
  std::int32_t ms;
  duration_parts(d, &secs, &ms);
  message_field(field, out, [&] {
    int_field(1, secs, out);
    int_field(2, std::int64_t{ms} * 1'000'000, out);
  });
}

void packed_int32_field(std::uint32_t field, const std::vector<std::int32_t>& list,
                        std::string* out) {
  if (list.empty()) return;
  message_field(field, out, [&] {
    for (std::int32_t v : list) varint(static_cast<std::uint64_t>(static_cast<std::int64_t>(v)), out);
  });
}

void entry_body(const DisplayEntry& e, std::string* out) {
  string_field(1, e.label, out);
  string_field(2, e.masked_name, out);
}

void room_body(const DisplayRoom& r, std::string* out) {
  string_field(1, r.session_id, out);
  string_field(2, r.room, out);
  string_field(3, r.doctor_name, out);
  int_field(4, static_cast<std::int64_t>(r.status), out);
  if (r.has_called) message_field(5, out, [&] { entry_body(r.called, out); });
  for (const DisplayEntry& e : r.next) message_field(6, out, [&] { entry_body(e, out); });
  for (const DisplayEntry& e : r.missed) message_field(7, out, [&] { entry_body(e, out); });
  uint_field(8, r.version, out);
  if (r.has_called) optional_timestamp_field(200, r.called_at, out);
}

void staff_ticket_body(const StaffTicket& t, std::string* out) {
  string_field(1, t.ticket_id, out);
  string_field(2, t.label, out);
  string_field(3, t.patient_ref, out);
  string_field(4, t.patient_name, out);
  int_field(5, static_cast<std::int64_t>(t.kind), out);
  int_field(6, static_cast<std::int64_t>(t.state), out);
  int_field(7, static_cast<std::int64_t>(t.placement), out);
  int_field(8, t.slot, out);
  int_field(9, t.effective_slot, out);
  int_field(10, t.band, out);
  uint_field(11, t.seq, out);
  int_field(12, t.position, out);
  optional_timestamp_field(13, t.checked_in_at, out);
  optional_timestamp_field(14, t.called_at, out);
}

// ServerMessage{view (1): ViewUpdate{<member>: v, version (10), sent_at (11)}}.
template <typename View>
void update(std::uint32_t member, const View& v, Time sent_at, std::string* out) {
  message_field(1, out, [&] {
    message_field(member, out, [&] { append_proto(v, out); });
    uint_field(10, v.version, out);
    timestamp_field(11, sent_at, out);
  });
}

}  // namespace

void append_proto(const PatientView& v, std::string* out) {
  string_field(1, v.ticket_id, out);
  string_field(2, v.session_id, out);
  string_field(3, v.label, out);
  int_field(4, static_cast<std::int64_t>(v.kind), out);
  int_field(5, static_cast<std::int64_t>(v.state), out);
  int_field(6, static_cast<std::int64_t>(v.placement), out);
  int_field(7, static_cast<std::int64_t>(v.session_status), out);
  int_field(8, v.slot, out);
  int_field(9, v.effective_slot, out);
  timestamp_field(10, v.slot_start, out);
  timestamp_field(11, v.slot_end, out);
  int_field(12, v.ahead, out);
  optional_timestamp_field(13, v.eta, out);
  optional_timestamp_field(14, v.recommended_arrival, out);
  string_field(15, v.called_label, out);
  string_field(16, v.room, out);
  string_field(17, v.doctor_name, out);
  uint_field(18, v.version, out);
}

void append_proto(const DisplayView& v, std::string* out) {
  string_field(1, v.area, out);
  for (const DisplayRoom& r : v.rooms) message_field(2, out, [&] { room_body(r, out); });
  uint_field(3, v.version, out);
}

void append_proto(const StaffView& v, std::string* out) {
  string_field(1, v.session_id, out);
  string_field(2, v.doctor_name, out);
  string_field(3, v.room, out);
  string_field(4, v.area, out);
  int_field(5, static_cast<std::int64_t>(v.status), out);
  timestamp_field(6, v.start, out);
  timestamp_field(7, v.end, out);
  int_field(8, v.slot_minutes, out);
  int_field(9, v.serving_slot, out);
  packed_int32_field(10, v.appointment_left, out);
  packed_int32_field(11, v.walkin_left, out);
  duration_field(12, v.avg_consult, out);
  for (const StaffTicket& t : v.tickets) message_field(13, out, [&] { staff_ticket_body(t, out); });
  uint_field(14, v.version, out);
}

void append_proto(const Board& v, std::string* out) {
  string_field(1, v.session_id, out);
  int_field(2, static_cast<std::int64_t>(v.status), out);
  string_field(3, v.called_label, out);
  for (const std::string& l : v.waiting) string_element(4, l, out);
  timestamp_field(5, v.doctor_available_at, out);
  duration_field(6, v.avg_consult, out);
  uint_field(7, v.version, out);
  packed_int32_field(8, v.eta_offsets_ms, out);
}

void append_update_proto(const PatientView& v, Time sent_at, std::string* out) {
  update(1, v, sent_at, out);
}
void append_update_proto(const DisplayView& v, Time sent_at, std::string* out) {
  update(2, v, sent_at, out);
}
void append_update_proto(const StaffView& v, Time sent_at, std::string* out) {
  update(3, v, sent_at, out);
}
void append_update_proto(const Board& v, Time sent_at, std::string* out) {
  update(4, v, sent_at, out);
}

void append_ws_error_proto(std::string_view code, std::string_view message, std::string* out) {
  message_field(2, out, [&] {
    string_field(1, code, out);
    string_field(2, message, out);
  });
}

void append_error_reply_proto(std::string_view code, std::string_view message, std::string* out) {
  message_field(1, out, [&] {
    string_field(1, code, out);
    string_field(2, message, out);
  });
}

void append_pong_proto(Time at, std::string* out) {
  message_field(3, out, [&] { timestamp_field(1, at, out); });
}

}  // namespace qc::gw
