// Binary CommandResponse -> JSON (see response_json.h for the contract).
//
// The printer being matched (protobuf 3.21's JSON printer with
// always_print_primitive_fields) prints a message's fields in declaration
// order, every scalar even when absent (its default), repeated fields as
// lists (empty: []), message fields only when present; Timestamps and
// proto3 `optional` scalars are added after all of those, in the order they
// come on the wire. The tables below mirror proto/queuecast/v1/queuecast.proto.
#include "server/wire/response_json.h"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <iterator>

#include "server/wire/json_text.h"

namespace qc::gw {

namespace {

enum class K : std::uint8_t {
  kString,
  kInt32,
  kEnum,
  kUint64,
  kMessage,    // printed in place when present
  kRepeated,   // repeated message, printed in place as a list
  kTimestamp,  // printed after the others when present
  kOptInt32,   // proto3 optional int32: printed after the others when present
};

struct EnumDef {
  const char* const* names;  // values 0..n-1
  std::uint32_t n;
};

struct MsgDef;

struct Field {
  std::uint32_t number;
  const char* key;  // "\"ticketId\":"
  K kind;
  const void* ref;  // EnumDef* or MsgDef*
};

struct MsgDef {
  const Field* fields;
  std::uint32_t n;
};

constexpr std::uint32_t kMaxNumber = 36;  // the largest field number below

// ---- enums ----

constexpr const char* kTicketKindNames[] = {"TICKET_KIND_APPOINTMENT", "TICKET_KIND_WALK_IN"};
constexpr const char* kTicketStateNames[] = {
    "TICKET_STATE_BOOKED", "TICKET_STATE_WAITING",   "TICKET_STATE_CALLED", "TICKET_STATE_MISSED",
    "TICKET_STATE_DONE",   "TICKET_STATE_CANCELLED", "TICKET_STATE_NO_SHOW"};
constexpr const char* kPlacementNames[] = {"PLACEMENT_NONE", "PLACEMENT_NORMAL",
                                           "PLACEMENT_MADE_NEXT", "PLACEMENT_DEMOTED"};
constexpr const char* kSessionStatusNames[] = {"SESSION_STATUS_OPEN", "SESSION_STATUS_PAUSED",
                                               "SESSION_STATUS_SUSPENDED", "SESSION_STATUS_CLOSED"};
constexpr const char* kActorKindNames[] = {
    "ACTOR_KIND_SYSTEM",  "ACTOR_KIND_NURSE",   "ACTOR_KIND_ADMIN", "ACTOR_KIND_CHANNEL",
    "ACTOR_KIND_PATIENT", "ACTOR_KIND_DISPLAY", "ACTOR_KIND_KIOSK"};
constexpr const char* kUnitReturnNames[] = {"UNIT_RETURN_NONE", "UNIT_RETURN_APPOINTMENT",
                                            "UNIT_RETURN_WALK_IN"};

#define QC_ENUM(var, names) constexpr EnumDef var{names, std::size(names)}
QC_ENUM(kTicketKind, kTicketKindNames);
QC_ENUM(kTicketState, kTicketStateNames);
QC_ENUM(kPlacement, kPlacementNames);
QC_ENUM(kSessionStatus, kSessionStatusNames);
QC_ENUM(kActorKind, kActorKindNames);
QC_ENUM(kUnitReturn, kUnitReturnNames);
#undef QC_ENUM

// ---- messages ----

#define S(n, name) Field{n, "\"" name "\":", K::kString, nullptr}
#define I(n, name) Field{n, "\"" name "\":", K::kInt32, nullptr}
#define U64(n, name) Field{n, "\"" name "\":", K::kUint64, nullptr}
#define E(n, name, e) Field{n, "\"" name "\":", K::kEnum, &e}
#define M(n, name, m) Field{n, "\"" name "\":", K::kMessage, &m}
#define R(n, name, m) Field{n, "\"" name "\":", K::kRepeated, &m}
#define TS(n, name) Field{n, "\"" name "\":", K::kTimestamp, nullptr}
#define OPT_I(n, name) Field{n, "\"" name "\":", K::kOptInt32, nullptr}
#define MSG(var, ...)                              \
  constexpr Field var##Fields[] = {__VA_ARGS__}; \
  constexpr MsgDef var{var##Fields, std::size(var##Fields)}
#define EMPTY_MSG(var) constexpr MsgDef var{nullptr, 0}

MSG(kActor, E(1, "kind", kActorKind), S(2, "id"));

EMPTY_MSG(kSessionCreated);
MSG(kChannelDefined, S(1, "channelId"));
MSG(kHoldPlaced, S(1, "holdId"), I(2, "slot"), S(3, "patientRef"), TS(4, "until"),
    S(5, "channel"));
MSG(kHoldReleased, S(1, "holdId"), I(2, "slot"), S(3, "patientRef"), S(4, "reason"),
    E(5, "unit", kUnitReturn));
MSG(kHoldExpired, S(1, "holdId"), I(2, "slot"), S(3, "patientRef"), S(4, "reason"),
    E(5, "unit", kUnitReturn));
MSG(kTicketBooked, S(1, "ticketId"), S(2, "label"), I(3, "slot"), E(4, "kind", kTicketKind),
    S(5, "patientRef"), S(6, "channel"), I(7, "effectiveSlot"), E(8, "placement", kPlacement),
    E(9, "from", kTicketState), E(10, "to", kTicketState));
MSG(kTicketCancelled, S(1, "ticketId"), S(2, "label"), E(3, "from", kTicketState),
    S(4, "reason"), E(5, "unit", kUnitReturn), E(6, "kind", kTicketKind), I(7, "slot"),
    I(8, "effectiveSlot"), E(9, "placement", kPlacement), E(10, "to", kTicketState),
    S(11, "patientRef"));
MSG(kWalkInRegistered, S(1, "ticketId"), S(2, "label"), I(3, "slot"), S(4, "patientRef"),
    E(5, "placement", kPlacement), E(6, "kind", kTicketKind), I(7, "effectiveSlot"),
    E(8, "from", kTicketState), E(9, "to", kTicketState), S(10, "reason"));
MSG(kCheckedIn, S(1, "ticketId"), S(2, "label"), I(3, "slot"), I(4, "effectiveSlot"),
    E(5, "placement", kPlacement), E(6, "kind", kTicketKind), E(7, "from", kTicketState),
    E(8, "to", kTicketState), S(9, "patientRef"), S(10, "reason"));
MSG(kTicketCalled, S(1, "ticketId"), S(2, "label"), I(3, "slot"), I(4, "effectiveSlot"),
    S(5, "reason"), E(6, "kind", kTicketKind), E(7, "placement", kPlacement),
    E(8, "from", kTicketState), E(9, "to", kTicketState), S(10, "patientRef"));
MSG(kTicketRecalled, S(1, "ticketId"), S(2, "label"), E(3, "kind", kTicketKind), I(4, "slot"),
    I(5, "effectiveSlot"), E(6, "placement", kPlacement), E(7, "from", kTicketState),
    E(8, "to", kTicketState), S(9, "patientRef"), S(10, "reason"));
MSG(kTicketCompleted, S(1, "ticketId"), S(2, "label"), S(3, "reason"), E(4, "kind", kTicketKind),
    I(5, "slot"), I(6, "effectiveSlot"), E(7, "placement", kPlacement),
    E(8, "from", kTicketState), E(9, "to", kTicketState), S(10, "patientRef"));
MSG(kTicketMissed, S(1, "ticketId"), S(2, "label"), E(3, "kind", kTicketKind), I(4, "slot"),
    I(5, "effectiveSlot"), E(6, "placement", kPlacement), E(7, "from", kTicketState),
    E(8, "to", kTicketState), S(9, "patientRef"), S(10, "reason"));
MSG(kTicketReturned, S(1, "ticketId"), S(2, "label"), I(3, "effectiveSlot"),
    E(4, "placement", kPlacement), E(5, "kind", kTicketKind), I(6, "slot"),
    E(7, "from", kTicketState), E(8, "to", kTicketState), S(9, "patientRef"), S(10, "reason"));
MSG(kMovedToNext, S(1, "ticketId"), S(2, "label"), E(3, "placement", kPlacement),
    E(4, "kind", kTicketKind), I(5, "slot"), I(6, "effectiveSlot"), E(7, "from", kTicketState),
    E(8, "to", kTicketState), S(9, "patientRef"), S(10, "reason"));
EMPTY_MSG(kNobodyWaiting);
EMPTY_MSG(kSessionPaused);
EMPTY_MSG(kSessionResumed);
MSG(kSessionSuspended, S(1, "reason"));
MSG(kSessionClosed, S(1, "reason"));
MSG(kTicketNoShow, S(1, "ticketId"), S(2, "label"), S(3, "patientRef"), E(4, "kind", kTicketKind),
    I(5, "slot"), I(6, "effectiveSlot"), E(7, "placement", kPlacement),
    E(8, "from", kTicketState), E(9, "to", kTicketState), S(10, "reason"));
MSG(kCapacityConverted, I(1, "slot"), I(2, "count"));
MSG(kReservedReleased, I(1, "slot"), I(2, "count"), S(3, "channel"));
MSG(kPatientBlacklisted, S(1, "patientRef"), TS(2, "until"), I(3, "count"));
MSG(kTemplateDefined, S(1, "templateId"));
MSG(kQuotasAdjusted, S(1, "reason"));
MSG(kActionUndone, S(1, "ticketId"), S(2, "label"), S(3, "reason"), E(4, "kind", kTicketKind),
    I(5, "slot"), I(6, "effectiveSlot"), E(7, "placement", kPlacement),
    E(8, "from", kTicketState), E(9, "to", kTicketState), S(10, "patientRef"));

MSG(kEvent, TS(1, "at"), M(2, "actor", kActor), S(3, "sessionId"),
    M(10, "sessionCreated", kSessionCreated), M(11, "channelDefined", kChannelDefined),
    M(12, "holdPlaced", kHoldPlaced), M(13, "holdReleased", kHoldReleased),
    M(14, "holdExpired", kHoldExpired), M(15, "ticketBooked", kTicketBooked),
    M(16, "ticketCancelled", kTicketCancelled), M(17, "walkInRegistered", kWalkInRegistered),
    M(18, "checkedIn", kCheckedIn), M(19, "ticketCalled", kTicketCalled),
    M(20, "ticketRecalled", kTicketRecalled), M(21, "ticketCompleted", kTicketCompleted),
    M(22, "ticketMissed", kTicketMissed), M(23, "ticketReturned", kTicketReturned),
    M(24, "movedToNext", kMovedToNext), M(25, "nobodyWaiting", kNobodyWaiting),
    M(26, "sessionPaused", kSessionPaused), M(27, "sessionResumed", kSessionResumed),
    M(28, "sessionSuspended", kSessionSuspended), M(29, "sessionClosed", kSessionClosed),
    M(30, "ticketNoShow", kTicketNoShow), M(31, "capacityConverted", kCapacityConverted),
    M(32, "reservedReleased", kReservedReleased),
    M(33, "patientBlacklisted", kPatientBlacklisted),
    M(34, "templateDefined", kTemplateDefined), M(35, "quotasAdjusted", kQuotasAdjusted),
    M(36, "actionUndone", kActionUndone));

MSG(kPatientView, S(1, "ticketId"), S(2, "sessionId"), S(3, "label"), E(4, "kind", kTicketKind),
    E(5, "state", kTicketState), E(6, "placement", kPlacement),
    E(7, "sessionStatus", kSessionStatus), I(8, "slot"), I(9, "effectiveSlot"),
    TS(10, "slotStart"), TS(11, "slotEnd"), I(12, "ahead"), TS(13, "eta"),
    TS(14, "recommendedArrival"), S(15, "calledLabel"), S(16, "room"), S(17, "doctorName"),
    U64(18, "version"));

MSG(kCommandResponse, R(1, "events", kEvent), S(2, "ticketId"), S(3, "label"), S(4, "token"),
    S(5, "holdId"), TS(6, "expiresAt"), OPT_I(7, "slot"), M(8, "ticket", kPatientView));

#undef S
#undef I
#undef U64
#undef E
#undef M
#undef R
#undef TS
#undef OPT_I
#undef MSG
#undef EMPTY_MSG

// ---- the wire format ----

struct Reader {
  const unsigned char* p;
  const unsigned char* end;

  bool varint(std::uint64_t* v) {
    std::uint64_t r = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (p == end) return false;
      const unsigned char b = *p++;
      r |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (b < 0x80) {
        *v = r;
        return true;
      }
    }
    return false;
  }

  // One field: its number, wire type and value (varint) or bytes (LEN).
  bool next(std::uint32_t* number, std::uint32_t* wire, std::uint64_t* value,
            std::string_view* bytes) {
    std::uint64_t tag;
    if (!varint(&tag)) return false;
    *number = static_cast<std::uint32_t>(tag >> 3);
    *wire = static_cast<std::uint32_t>(tag & 7);
    if (*number == 0) return false;
    switch (*wire) {
      case 0: return varint(value);
      case 1:
        if (end - p < 8) return false;
        p += 8;
        return true;
      case 2: {
        std::uint64_t len;
        if (!varint(&len) || len > static_cast<std::uint64_t>(end - p)) return false;
        *bytes = std::string_view(reinterpret_cast<const char*>(p), static_cast<std::size_t>(len));
        p += len;
        return true;
      }
      case 5:
        if (end - p < 4) return false;
        p += 4;
        return true;
      default: return false;
    }
  }
};

Reader reader_of(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  return Reader{p, p + s.size()};
}

// The last occurrence of each field number on the wire.
struct Seen {
  std::uint64_t value;
  std::string_view bytes;
  std::uint8_t wire;
  bool present;
};

// Strict UTF-8, as protobuf's parser checks proto3 strings: a response that
// fails it fails ParseFromString, and the caller's fallback prints what
// protobuf prints then.
bool valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p != end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    std::size_t n;
    unsigned char lo = 0x80, hi = 0xbf;  // bounds of the second byte
    if (c >= 0xc2 && c <= 0xdf) {
      n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (static_cast<std::size_t>(end - p) < n) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (std::size_t k = 2; k < n; ++k)
      if (p[k] < 0x80 || p[k] > 0xbf) return false;
    p += n;
  }
  return true;
}

void append_int(std::int64_t v, std::string* out) {
  char b[24];
  auto r = std::to_chars(b, b + sizeof b, v);
  out->append(b, static_cast<std::size_t>(r.ptr - b));
}

bool timestamp(std::string_view bytes, std::string* out) {
  Reader r = reader_of(bytes);
  std::int64_t seconds = 0;
  std::int32_t nanos = 0;
  std::uint32_t number, wire;
  std::uint64_t value = 0;
  std::string_view b;
  while (r.p != r.end) {
    if (!r.next(&number, &wire, &value, &b)) return false;
    if (number == 1 && wire == 0) seconds = static_cast<std::int64_t>(value);
    else if (number == 2 && wire == 0) nanos = static_cast<std::int32_t>(value);
    else if (number <= 2) return false;
  }
  return append_json_timestamp_parts(seconds, nanos, out);
}

bool message(const MsgDef& def, std::string_view bytes, std::string* out);

bool value(const Field& f, const Seen& s, std::string* out) {
  switch (f.kind) {
    case K::kString:
      if (s.present && (s.wire != 2 || !valid_utf8(s.bytes))) return false;
      append_json_string_pb(s.present ? s.bytes : std::string_view(), out);
      return true;
    case K::kInt32:
    case K::kOptInt32:
      if (s.present && s.wire != 0) return false;
      append_int(static_cast<std::int32_t>(s.present ? s.value : 0), out);
      return true;
    case K::kUint64: {
      if (s.present && s.wire != 0) return false;
      char b[24];
      auto r = std::to_chars(b, b + sizeof b, s.present ? s.value : 0);
      out->push_back('"');
      out->append(b, static_cast<std::size_t>(r.ptr - b));
      out->push_back('"');
      return true;
    }
    case K::kEnum: {
      if (s.present && s.wire != 0) return false;
      const auto* e = static_cast<const EnumDef*>(f.ref);
      const std::int32_t v = static_cast<std::int32_t>(s.present ? s.value : 0);
      if (v >= 0 && static_cast<std::uint32_t>(v) < e->n) {
        out->push_back('"');
        out->append(e->names[v]);
        out->push_back('"');
      } else {
        append_int(v, out);  // an unknown value prints as its number
      }
      return true;
    }
    case K::kMessage:
      if (s.wire != 2) return false;
      return message(*static_cast<const MsgDef*>(f.ref), s.bytes, out);
    case K::kTimestamp:
      if (s.wire != 2) return false;
      return timestamp(s.bytes, out);
    case K::kRepeated: break;  // printed by message()
  }
  return false;
}

bool message(const MsgDef& def, std::string_view bytes, std::string* out) {
  Seen seen[kMaxNumber + 1];
  for (Seen& s : seen) s.present = false;
  Reader r = reader_of(bytes);
  while (r.p != r.end) {
    std::uint32_t number, wire;
    std::uint64_t v = 0;
    std::string_view b;
    if (!r.next(&number, &wire, &v, &b)) return false;
    if (number <= kMaxNumber) seen[number] = Seen{v, b, static_cast<std::uint8_t>(wire), true};
  }
  out->push_back('{');
  bool first = true;
  auto key = [&](const Field& f) {
    if (!first) out->push_back(',');
    first = false;
    out->append(f.key);
  };
  for (std::uint32_t i = 0; i < def.n; ++i) {
    const Field& f = def.fields[i];
    const Seen& s = seen[f.number];
    if (f.kind == K::kTimestamp || f.kind == K::kOptInt32) continue;  // after the others
    if (f.kind == K::kRepeated) {
      key(f);
      out->push_back('[');
      Reader all = reader_of(bytes);
      bool first_item = true;
      while (all.p != all.end) {
        std::uint32_t number, wire;
        std::uint64_t v = 0;
        std::string_view b;
        all.next(&number, &wire, &v, &b);  // checked by the first pass
        if (number != f.number) continue;
        if (wire != 2) return false;
        if (!first_item) out->push_back(',');
        first_item = false;
        if (!message(*static_cast<const MsgDef*>(f.ref), b, out)) return false;
      }
      out->push_back(']');
      continue;
    }
    if (f.kind == K::kMessage && !s.present) continue;
    key(f);
    if (!value(f, s, out)) return false;
  }
  for (std::uint32_t i = 0; i < def.n; ++i) {
    const Field& f = def.fields[i];
    if ((f.kind != K::kTimestamp && f.kind != K::kOptInt32) || !seen[f.number].present) continue;
    key(f);
    if (!value(f, seen[f.number], out)) return false;
  }
  out->push_back('}');
  return true;
}

}  // namespace

bool append_response_json(std::string_view binary, std::string* out) {
  return message(kCommandResponse, binary, out);
}

}  // namespace qc::gw
