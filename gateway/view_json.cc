// Direct JSON writers for the views (see view_json.h for the contract).
#include "gateway/view_json.h"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>

namespace qc::gw {

namespace {

// ---- strings: protobuf 3.21's JsonEscaping, without its ByteSource ----

constexpr char kHex[] = "0123456789abcdef";

// The escape of each ASCII byte, or nullptr when it is copied as is.
struct AsciiEscapes {
  const char* e[128] = {};
  constexpr AsciiEscapes() {
    constexpr const char* kControls[32] = {
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
        "\\b",     "\\t",     "\\n",     "\\u000b", "\\f",     "\\r",     "\\u000e", "\\u000f",
        "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
        "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f"};
    for (int i = 0; i < 32; ++i) e[i] = kControls[i];
    e[static_cast<int>('"')] = "\\\"";
    e[static_cast<int>('\\')] = "\\\\";
    e[static_cast<int>('<')] = "\\u003c";
    e[static_cast<int>('>')] = "\\u003e";
    e[0x7f] = "\\u007f";
  }
};
constexpr AsciiEscapes kAscii;

char* put_u16_escape(std::uint32_t u, char* b) {
  b[0] = '\\';
  b[1] = 'u';
  b[2] = kHex[(u >> 12) & 15];
  b[3] = kHex[(u >> 8) & 15];
  b[4] = kHex[(u >> 4) & 15];
  b[5] = kHex[u & 15];
  return b + 6;
}

// The printer's escape of code point cp, written to b (at least 12 bytes):
// its length, or 0 when cp is copied as is. cp < 0x80 reaches here only from
// an overlong form.
std::size_t escape_code_point(std::uint32_t cp, char* b) {
  if (cp < 0x80) {
    const char* e = kAscii.e[cp];
    if (!e) return 0;
    std::size_t n = std::strlen(e);
    std::memcpy(b, e, n);
    return n;
  }
  if (cp < 0xa0 || cp == 0xad || cp == 0x06dd || cp == 0x070f || cp == 0x17b4 || cp == 0x17b5 ||
      cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb) || (cp >= 0x0600 && cp <= 0x0603) ||
      (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
      (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x206a && cp <= 0x206f)) {
    put_u16_escape(cp, b);
    return 6;
  }
  if (cp == 0xe0001 || (cp >= 0x1d173 && cp <= 0x1d17a) || (cp >= 0xe0020 && cp <= 0xe007f)) {
    put_u16_escape(0xdc00 + (cp & 0x3ff), put_u16_escape(0xd800 + ((cp - 0x10000) >> 10), b));
    return 12;
  }
  return 0;
}

// ---- numbers and times ----

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

// google.protobuf.Timestamp's range, as proto/codec_basic.cc clamps to it.
constexpr std::int64_t kMinSeconds = -62135596800LL;
constexpr std::int64_t kMaxSeconds = 253402300799LL;
constexpr std::int64_t kMaxDurationSeconds = 315576000000LL;

void put2(char* p, int v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

void append_ms_fraction(int ms, char* b, std::size_t* n) {  // ".250"
  b[(*n)++] = '.';
  b[(*n)++] = static_cast<char>('0' + ms / 100);
  b[(*n)++] = static_cast<char>('0' + ms / 10 % 10);
  b[(*n)++] = static_cast<char>('0' + ms % 10);
}

// ---- enums ----

constexpr const char* kTicketKind[] = {"TICKET_KIND_APPOINTMENT", "TICKET_KIND_WALK_IN"};
constexpr const char* kTicketState[] = {
    "TICKET_STATE_BOOKED", "TICKET_STATE_WAITING", "TICKET_STATE_CALLED",  "TICKET_STATE_MISSED",
    "TICKET_STATE_DONE",   "TICKET_STATE_CANCELLED", "TICKET_STATE_NO_SHOW"};
constexpr const char* kPlacement[] = {"PLACEMENT_NONE", "PLACEMENT_NORMAL", "PLACEMENT_MADE_NEXT",
                                      "PLACEMENT_DEMOTED"};
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

void entries(const std::vector<DisplayEntry>& list, std::string* out) {
  out->push_back('[');
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i) out->push_back(',');
    entry(list[i], out);
  }
  out->push_back(']');
}

void int_list(const std::vector<std::int32_t>& list, std::string* out) {
  out->push_back('[');
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i) out->push_back(',');
    append_i64(list[i], out);
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
  entries(r.next, out);
  key(out, ",\"missed\":");
  entries(r.missed, out);
  key(out, ",\"version\":");
  append_u64_string(r.version, out);
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

void append_json_string_pb(std::string_view s, std::string* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n && p[i] < 0x80 && kAscii.e[p[i]] == nullptr) ++i;
  if (i == n) {  // plain ASCII, nothing escaped: the common case (labels, ids)
    const std::size_t at = out->size();
    out->resize(at + n + 2);
    char* d = out->data() + at;
    d[0] = '"';
    if (n) std::memcpy(d + 1, s.data(), n);
    d[n + 1] = '"';
    return;
  }
  out->push_back('"');
  std::size_t run = 0;  // start of the bytes not yet copied
  auto flush = [&](std::size_t end) {
    if (end > run) out->append(s.data() + run, end - run);
  };
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      if (const char* e = kAscii.e[c]) {
        flush(i);
        out->append(e);
        run = i + 1;
      }
      ++i;
      continue;
    }
    // A multi-byte sequence, read as protobuf's ReadCodePoint reads it.
    std::size_t left;
    std::uint32_t cp;
    if (c <= 0xbf || c >= 0xf8) {
      flush(i);  // a bad lead byte: dropped alone
      run = ++i;
      continue;
    } else if (c <= 0xdf) {
      cp = c & 0x1f;
      left = 1;
    } else if (c <= 0xef) {
      cp = c & 0x0f;
      left = 2;
    } else {
      cp = c & 0x07;
      left = 3;
    }
    std::size_t j = i + 1;
    bool ok = true;
    while (left > 0 && j < n) {
      const unsigned char ch = p[j++];
      --left;
      cp = (cp << 6) | (ch & 0x3f);
      if (ch < 0x80 || ch > 0xbf) {
        ok = false;
        break;
      }
    }
    if (!ok || left > 0 || (cp & 0xfffff800u) == 0xd800u || cp > 0x10ffff) {
      flush(i);  // dropped: the bytes read, including a bad continuation byte
      run = i = j;
      continue;
    }
    char esc[12];
    if (std::size_t k = escape_code_point(cp, esc)) {
      flush(i);
      out->append(esc, k);
      run = j;
    }
    i = j;
  }
  flush(n);
  out->push_back('"');
}

void append_json_timestamp(Time t, std::string* out) {
  std::int64_t secs = 0;
  int ms = 0;
  if (t != kNoTime) {
    secs = t / 1000;  // floor division, without overflow near the int64 limits
    ms = static_cast<int>(t % 1000);
    if (ms < 0) {
      --secs;
      ms += 1000;
    }
    if (secs < kMinSeconds) {
      secs = kMinSeconds;
      ms = 0;
    } else if (secs > kMaxSeconds) {
      secs = kMaxSeconds;
      ms = 999;
    }
  }
  append_json_timestamp_parts(secs, ms * 1'000'000, out);
}

bool append_json_timestamp_parts(std::int64_t secs, std::int32_t nanos, std::string* out) {
  if (secs < kMinSeconds || secs > kMaxSeconds || nanos < 0 || nanos > 999'999'999) return false;
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // The times of one view (and of one thread's views) mostly fall on one day:
  // the date text of the last day is kept.
  thread_local std::int64_t cached_days = std::numeric_limits<std::int64_t>::min();
  thread_local char cached_date[10];  // "YYYY-MM-DD"
  if (days != cached_days) {
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    const std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    const int year = static_cast<int>(yoe + era * 400 + (month <= 2 ? 1 : 0));
    char* c = cached_date;
    c[0] = static_cast<char>('0' + year / 1000);
    c[1] = static_cast<char>('0' + year / 100 % 10);
    put2(c + 2, year % 100);
    c[4] = '-';
    put2(c + 5, month);
    c[7] = '-';
    put2(c + 8, day);
    cached_days = days;
  }
  const int hh = static_cast<int>(rem / 3600);
  const int mi = static_cast<int>(rem / 60 % 60);
  const int ss = static_cast<int>(rem % 60);

  char b[40] = "\"0000-00-00T00:00:00";
  std::memcpy(b + 1, cached_date, 10);
  put2(b + 12, hh);
  put2(b + 15, mi);
  put2(b + 18, ss);
  std::size_t n = 20;
  if (nanos != 0) {
    // 3, 6 or 9 digits, as protobuf's FormatNanos.
    int digits = nanos % 1'000'000 == 0 ? 3 : nanos % 1'000 == 0 ? 6 : 9;
    std::int32_t v = nanos / (digits == 3 ? 1'000'000 : digits == 6 ? 1'000 : 1);
    b[n++] = '.';
    for (int k = digits - 1; k >= 0; --k) {
      b[n + static_cast<std::size_t>(k)] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    n += static_cast<std::size_t>(digits);
  }
  b[n++] = 'Z';
  b[n++] = '"';
  out->append(b, n);
  return true;
}

void append_json_duration(Duration d, std::string* out) {
  std::int64_t secs = d / 1000;  // toward zero, as codec::duration_to_proto
  int ms = static_cast<int>(d % 1000);
  if (secs > kMaxDurationSeconds) {
    secs = kMaxDurationSeconds;
    ms = 0;
  } else if (secs < -kMaxDurationSeconds) {
    secs = -kMaxDurationSeconds;
    ms = 0;
  }
  char b[40];
  std::size_t n = 0;
  b[n++] = '"';
  if (secs < 0 || ms < 0) {
    b[n++] = '-';
    secs = -secs;
    ms = -ms;
  }
  auto r = std::to_chars(b + n, b + sizeof b, secs);
  n = static_cast<std::size_t>(r.ptr - b);
  if (ms != 0) append_ms_fraction(ms, b, &n);
  b[n++] = 's';
  b[n++] = '"';
  out->append(b, n);
}

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
  key(out, ",\"rooms\":[");
  for (std::size_t i = 0; i < v.rooms.size(); ++i) {
    if (i) out->push_back(',');
    room(v.rooms[i], out);
  }
  key(out, "],\"version\":");
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
  int_list(v.appointment_left, out);
  key(out, ",\"walkinLeft\":");
  int_list(v.walkin_left, out);
  key(out, ",\"tickets\":[");
  for (std::size_t i = 0; i < v.tickets.size(); ++i) {
    if (i) out->push_back(',');
    staff_ticket(v.tickets[i], out);
  }
  key(out, "],\"version\":");
  append_u64_string(v.version, out);
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
  key(out, ",\"waiting\":[");
  for (std::size_t i = 0; i < v.waiting.size(); ++i) {
    if (i) out->push_back(',');
    append_json_string_pb(v.waiting[i], out);
  }
  key(out, "],\"version\":");
  append_u64_string(v.version, out);
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
