// CommandReply -> CommandResponse (binary, JSON). See reply.h.
//
// The JSON printer being matched (protobuf 3.21's JSON printer with
// always_print_primitive_fields) prints a message's fields in declaration
// order, every scalar even when default, repeated fields as lists (empty:
// []), message fields only when present; Timestamps and proto3 `optional`
// scalars come after all of those, in field order. The tables below mirror
// proto/queuecast/v1/queuecast.proto and, for the event bodies, which
// qc::Event member proto/codec_event.cc puts in each field.
#include "server/wire/reply.h"

#include <charconv>
#include <cstdint>
#include <iterator>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>

#include "server/infra/utf8.h"
#include "server/wire/json_text.h"
#include "server/wire/view_json.h"
#include "proto/codec.h"

namespace qc::gw {
namespace pb = ::queuecast::v1;

namespace {

// Where a body field's value comes from in qc::Event.
enum class Src : std::uint8_t {
  kTicketId,    // ticket_id (also a hold, channel or template id)
  kLabel,
  kPatientRef,
  kReason,      // reason (a `channel` field in some messages)
  kSlot,
  kEffectiveSlot,
  kCount,
  kKind,        // TicketKind
  kPlacement,
  kFrom,        // TicketState
  kTo,          // TicketState
  kUnit,        // UnitReturn from count (codec_event.cc unit_to())
  kUntil,       // Timestamp when set: printed after the others
  kRoom,
  kOtherTicket,
};

struct Field {
  const char* key;  // "\"ticketId\":"
  Src src;
};

struct MsgDef {
  const char* key;  // the Event's oneof field: "\"ticketBooked\":"
  const Field* fields;
  std::uint32_t n;
};

struct EnumDef {
  const char* const* names;  // values 0..n-1
  std::uint32_t n;
};

constexpr const char* kTicketKindNames[] = {"TICKET_KIND_APPOINTMENT", "TICKET_KIND_WALK_IN"};
constexpr const char* kTicketStateNames[] = {
    "TICKET_STATE_BOOKED", "TICKET_STATE_WAITING",   "TICKET_STATE_CALLED", "TICKET_STATE_MISSED",
    "TICKET_STATE_DONE",   "TICKET_STATE_CANCELLED", "TICKET_STATE_NO_SHOW",
    "TICKET_STATE_AT_TESTS"};
constexpr const char* kPlacementNames[] = {"PLACEMENT_NONE", "PLACEMENT_NORMAL",
                                           "PLACEMENT_MADE_NEXT", "PLACEMENT_DEMOTED",
                                           "PLACEMENT_INSERTED"};
constexpr const char* kActorKindNames[] = {
    "ACTOR_KIND_SYSTEM",  "ACTOR_KIND_NURSE",   "ACTOR_KIND_ADMIN", "ACTOR_KIND_CHANNEL",
    "ACTOR_KIND_PATIENT", "ACTOR_KIND_DISPLAY", "ACTOR_KIND_KIOSK"};
constexpr const char* kUnitReturnNames[] = {"UNIT_RETURN_NONE", "UNIT_RETURN_APPOINTMENT",
                                            "UNIT_RETURN_WALK_IN"};
constexpr EnumDef kTicketKind{kTicketKindNames, std::size(kTicketKindNames)};
constexpr EnumDef kTicketState{kTicketStateNames, std::size(kTicketStateNames)};
constexpr EnumDef kPlacement{kPlacementNames, std::size(kPlacementNames)};
constexpr EnumDef kActorKind{kActorKindNames, std::size(kActorKindNames)};
constexpr EnumDef kUnitReturn{kUnitReturnNames, std::size(kUnitReturnNames)};

#define F(name, src) Field{"\"" name "\":", Src::src}
#define MSG(var, key, ...)                         \
  constexpr Field var##Fields[] = {__VA_ARGS__}; \
  constexpr MsgDef var{"\"" key "\":", var##Fields, std::size(var##Fields)}
#define EMPTY_MSG(var, key) constexpr MsgDef var{"\"" key "\":", nullptr, 0}

EMPTY_MSG(kSessionCreated, "sessionCreated");
MSG(kChannelDefined, "channelDefined", F("channelId", kTicketId));
MSG(kHoldPlaced, "holdPlaced", F("holdId", kTicketId), F("slot", kSlot),
    F("patientRef", kPatientRef), F("until", kUntil), F("channel", kReason));
MSG(kHoldReleased, "holdReleased", F("holdId", kTicketId), F("slot", kSlot),
    F("patientRef", kPatientRef), F("reason", kReason), F("unit", kUnit));
MSG(kHoldExpired, "holdExpired", F("holdId", kTicketId), F("slot", kSlot),
    F("patientRef", kPatientRef), F("reason", kReason), F("unit", kUnit));
MSG(kTicketBooked, "ticketBooked", F("ticketId", kTicketId), F("label", kLabel), F("slot", kSlot),
    F("kind", kKind), F("patientRef", kPatientRef), F("channel", kReason),
    F("effectiveSlot", kEffectiveSlot), F("placement", kPlacement), F("from", kFrom),
    F("to", kTo));
MSG(kTicketCancelled, "ticketCancelled", F("ticketId", kTicketId), F("label", kLabel),
    F("from", kFrom), F("reason", kReason), F("unit", kUnit), F("kind", kKind), F("slot", kSlot),
    F("effectiveSlot", kEffectiveSlot), F("placement", kPlacement), F("to", kTo),
    F("patientRef", kPatientRef));
MSG(kWalkInRegistered, "walkInRegistered", F("ticketId", kTicketId), F("label", kLabel),
    F("slot", kSlot), F("patientRef", kPatientRef), F("placement", kPlacement), F("kind", kKind),
    F("effectiveSlot", kEffectiveSlot), F("from", kFrom), F("to", kTo), F("reason", kReason));
MSG(kCheckedIn, "checkedIn", F("ticketId", kTicketId), F("label", kLabel), F("slot", kSlot),
    F("effectiveSlot", kEffectiveSlot), F("placement", kPlacement), F("kind", kKind),
    F("from", kFrom), F("to", kTo), F("patientRef", kPatientRef), F("reason", kReason));
MSG(kTicketCalled, "ticketCalled", F("ticketId", kTicketId), F("label", kLabel), F("slot", kSlot),
    F("effectiveSlot", kEffectiveSlot), F("reason", kReason), F("kind", kKind),
    F("placement", kPlacement), F("from", kFrom), F("to", kTo), F("patientRef", kPatientRef),
    F("room", kRoom));
MSG(kTicketRecalled, "ticketRecalled", F("ticketId", kTicketId), F("label", kLabel),
    F("kind", kKind), F("slot", kSlot), F("effectiveSlot", kEffectiveSlot),
    F("placement", kPlacement), F("from", kFrom), F("to", kTo), F("patientRef", kPatientRef),
    F("reason", kReason), F("room", kRoom));
MSG(kTicketCompleted, "ticketCompleted", F("ticketId", kTicketId), F("label", kLabel),
    F("reason", kReason), F("kind", kKind), F("slot", kSlot), F("effectiveSlot", kEffectiveSlot),
    F("placement", kPlacement), F("from", kFrom), F("to", kTo), F("patientRef", kPatientRef),
    F("room", kRoom));
MSG(kTicketMissed, "ticketMissed", F("ticketId", kTicketId), F("label", kLabel), F("kind", kKind),
    F("slot", kSlot), F("effectiveSlot", kEffectiveSlot), F("placement", kPlacement),
    F("from", kFrom), F("to", kTo), F("patientRef", kPatientRef), F("reason", kReason),
    F("room", kRoom));
MSG(kTicketReturned, "ticketReturned", F("ticketId", kTicketId), F("label", kLabel),
    F("effectiveSlot", kEffectiveSlot), F("placement", kPlacement), F("kind", kKind),
    F("slot", kSlot), F("from", kFrom), F("to", kTo), F("patientRef", kPatientRef),
    F("reason", kReason));
MSG(kMovedToNext, "movedToNext", F("ticketId", kTicketId), F("label", kLabel),
    F("placement", kPlacement), F("kind", kKind), F("slot", kSlot),
    F("effectiveSlot", kEffectiveSlot), F("from", kFrom), F("to", kTo),
    F("patientRef", kPatientRef), F("reason", kReason));
EMPTY_MSG(kNobodyWaiting, "nobodyWaiting");
MSG(kSessionPaused, "sessionPaused", F("room", kRoom), F("count", kCount));
MSG(kSessionResumed, "sessionResumed", F("room", kRoom), F("count", kCount));
MSG(kSessionSuspended, "sessionSuspended", F("reason", kReason));
MSG(kSessionClosed, "sessionClosed", F("reason", kReason));
MSG(kTicketNoShow, "ticketNoShow", F("ticketId", kTicketId), F("label", kLabel),
    F("patientRef", kPatientRef), F("kind", kKind), F("slot", kSlot),
    F("effectiveSlot", kEffectiveSlot), F("placement", kPlacement), F("from", kFrom),
    F("to", kTo), F("reason", kReason));
MSG(kCapacityConverted, "capacityConverted", F("slot", kSlot), F("count", kCount));
MSG(kReservedReleased, "reservedReleased", F("slot", kSlot), F("count", kCount),
    F("channel", kReason));
MSG(kPatientBlacklisted, "patientBlacklisted", F("patientRef", kPatientRef), F("until", kUntil),
    F("count", kCount));
MSG(kTemplateDefined, "templateDefined", F("templateId", kTicketId));
MSG(kQuotasAdjusted, "quotasAdjusted", F("reason", kReason));
MSG(kActionUndone, "actionUndone", F("ticketId", kTicketId), F("label", kLabel),
    F("reason", kReason), F("kind", kKind), F("slot", kSlot), F("effectiveSlot", kEffectiveSlot),
    F("placement", kPlacement), F("from", kFrom), F("to", kTo), F("patientRef", kPatientRef),
    F("room", kRoom));
// The clinical flow's ticket events: the ticket fields in ActionUndone's
// order, and `count` for the insertion events.
// (PrioritySet names its reason `priority`.)
#define QC_FLOW_TICKET(reason)                                                               \
  F("ticketId", kTicketId), F("label", kLabel), F(reason, kReason), F("kind", kKind),        \
      F("slot", kSlot), F("effectiveSlot", kEffectiveSlot), F("placement", kPlacement),      \
      F("from", kFrom), F("to", kTo), F("patientRef", kPatientRef)
MSG(kPrioritySet, "prioritySet", QC_FLOW_TICKET("priority"));
MSG(kTicketInserted, "ticketInserted", QC_FLOW_TICKET("reason"), F("count", kCount),
    F("otherTicket", kOtherTicket));
MSG(kTicketOvertaken, "ticketOvertaken", QC_FLOW_TICKET("reason"), F("count", kCount),
    F("otherTicket", kOtherTicket));
MSG(kTicketProtected, "ticketProtected", QC_FLOW_TICKET("reason"), F("count", kCount));
MSG(kSentForTests, "sentForTests", QC_FLOW_TICKET("reason"), F("room", kRoom));
MSG(kReturnedFromTests, "returnedFromTests", QC_FLOW_TICKET("reason"));
#undef QC_FLOW_TICKET

#undef F
#undef MSG
#undef EMPTY_MSG

// By EventType (engine/event.h), in its order.
constexpr const MsgDef* kBodies[] = {
    &kSessionCreated,    &kChannelDefined,  &kHoldPlaced,     &kHoldReleased,
    &kHoldExpired,       &kTicketBooked,    &kTicketCancelled, &kWalkInRegistered,
    &kCheckedIn,         &kTicketCalled,    &kTicketRecalled, &kTicketCompleted,
    &kTicketMissed,      &kTicketReturned,  &kMovedToNext,    &kNobodyWaiting,
    &kSessionPaused,     &kSessionResumed,  &kSessionSuspended, &kSessionClosed,
    &kTicketNoShow,      &kCapacityConverted, &kReservedReleased, &kPatientBlacklisted,
    &kTemplateDefined,   &kQuotasAdjusted,  &kActionUndone,   &kPrioritySet,
    &kTicketInserted,    &kTicketOvertaken, &kTicketProtected, &kSentForTests,
    &kReturnedFromTests};
static_assert(std::size(kBodies) == kEventTypeCount);

void append_int(std::int64_t v, std::string* out) {
  char b[24];
  auto r = std::to_chars(b, b + sizeof b, v);
  out->append(b, static_cast<std::size_t>(r.ptr - b));
}

void append_enum(const EnumDef& e, std::int32_t v, std::string* out) {
  if (v >= 0 && static_cast<std::uint32_t>(v) < e.n) {
    out->push_back('"');
    out->append(e.names[v]);
    out->push_back('"');
  } else {
    append_int(v, out);  // an unknown value prints as its number
  }
}

std::int32_t unit_of(std::int32_t count) { return count == 1 || count == 2 ? count : 0; }

void append_value(const Event& e, Src src, std::string* out) {
  switch (src) {
    case Src::kTicketId: return append_json_string_pb(e.ticket_id, out);
    case Src::kLabel: return append_json_string_pb(e.label, out);
    case Src::kPatientRef: return append_json_string_pb(e.patient_ref, out);
    case Src::kReason: return append_json_string_pb(e.reason, out);
    case Src::kSlot: return append_int(e.slot, out);
    case Src::kEffectiveSlot: return append_int(e.effective_slot, out);
    case Src::kCount: return append_int(e.count, out);
    case Src::kKind: return append_enum(kTicketKind, static_cast<std::int32_t>(e.kind), out);
    case Src::kPlacement: return append_enum(kPlacement, static_cast<std::int32_t>(e.placement), out);
    case Src::kFrom: return append_enum(kTicketState, static_cast<std::int32_t>(e.from), out);
    case Src::kTo: return append_enum(kTicketState, static_cast<std::int32_t>(e.to), out);
    case Src::kUnit: return append_enum(kUnitReturn, unit_of(e.count), out);
    case Src::kUntil: return append_json_timestamp(e.until, out);
    case Src::kRoom: return append_json_string_pb(e.room, out);
    case Src::kOtherTicket: return append_json_string_pb(e.other_ticket, out);
  }
}

void append_body(const Event& e, const MsgDef& def, std::string* out) {
  out->push_back('{');
  bool first = true;
  auto field = [&](const Field& f) {
    if (!first) out->push_back(',');
    first = false;
    out->append(f.key);
    append_value(e, f.src, out);
  };
  for (std::uint32_t i = 0; i < def.n; ++i)
    if (def.fields[i].src != Src::kUntil) field(def.fields[i]);
  // A Timestamp after the others, when set.
  for (std::uint32_t i = 0; i < def.n; ++i)
    if (def.fields[i].src == Src::kUntil && e.until != kNoTime) field(def.fields[i]);
  out->push_back('}');
}

// queuecast.v1.Event: actor, sessionId, the body, then the Timestamp `at`.
void append_event(const Event& e, std::string* out) {
  out->append("{\"actor\":{\"kind\":");
  append_enum(kActorKind, static_cast<std::int32_t>(e.actor.kind), out);
  out->append(",\"id\":");
  append_json_string_pb(e.actor.id, out);
  out->append("},\"sessionId\":");
  append_json_string_pb(e.session_id, out);
  const auto type = static_cast<std::size_t>(e.type);
  if (type < std::size(kBodies)) {
    out->push_back(',');
    out->append(kBodies[type]->key);
    append_body(e, *kBodies[type], out);
  }
  out->append(",\"at\":");
  append_json_timestamp(e.at, out);
  out->push_back('}');
}

}  // namespace

void to_proto(const CommandReply& r, pb::CommandResponse* out) {
  out->Clear();
  for (const Event& ev : r.events) codec::to_proto(ev, out->add_events());
  out->set_ticket_id(r.ticket_id);
  out->set_label(r.label);
  out->set_token(r.token);
  out->set_hold_id(r.hold_id);
  if (r.expires_at != kNoTime) codec::to_proto(r.expires_at, out->mutable_expires_at());
  if (r.slot) out->set_slot(*r.slot);
  if (r.ticket) codec::to_proto(*r.ticket, out->mutable_ticket());
}

bool reply_event_bytes(std::string_view binary_response, std::vector<std::string_view>* out) {
  using google::protobuf::internal::WireFormatLite;
  out->clear();
  google::protobuf::io::CodedInputStream in(
      reinterpret_cast<const std::uint8_t*>(binary_response.data()), static_cast<int>(binary_response.size()));
  for (std::uint32_t tag; (tag = in.ReadTag()) != 0;) {
    if (tag == WireFormatLite::MakeTag(1, WireFormatLite::WIRETYPE_LENGTH_DELIMITED)) {
      std::uint32_t len = 0;
      if (!in.ReadVarint32(&len)) return false;
      const int at = in.CurrentPosition();
      if (len > binary_response.size() - static_cast<std::size_t>(at) || !in.Skip(static_cast<int>(len)))
        return false;
      out->push_back(binary_response.substr(static_cast<std::size_t>(at), len));
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return false;
    }
  }
  return in.ConsumedEntireMessage();
}

void serialize_reply(const CommandReply& r, pb::CommandResponse* scratch, std::string* out) {
  to_proto(r, scratch);
  scratch->SerializeToString(out);
}

void append_reply_json(const CommandReply& r, std::string* out) {
  out->append("{\"events\":[");
  for (std::size_t i = 0; i < r.events.size(); ++i) {
    if (i) out->push_back(',');
    append_event(r.events[i], out);
  }
  out->append("],\"ticketId\":");
  append_json_string_pb(r.ticket_id, out);
  out->append(",\"label\":");
  append_json_string_pb(r.label, out);
  out->append(",\"token\":");
  append_json_string_pb(r.token, out);
  out->append(",\"holdId\":");
  append_json_string_pb(r.hold_id, out);
  if (r.ticket) {
    out->append(",\"ticket\":");
    append_json(*r.ticket, out);
  }
  if (r.expires_at != kNoTime) {
    out->append(",\"expiresAt\":");
    append_json_timestamp(r.expires_at, out);
  }
  if (r.slot) {
    out->append(",\"slot\":");
    append_int(*r.slot, out);
  }
  out->push_back('}');
}

std::string encode_reply(const CommandReply& r, Format format) {
  std::string out;
  if (format == Format::kProto) {
    pb::CommandResponse m;
    serialize_reply(r, &m, &out);
  } else {
    out.reserve(256 + 192 * r.events.size());
    append_reply_json(r, &out);
  }
  return out;
}

void append_batch_result(const std::vector<BatchItemReply>& items, Format format,
                         std::string* out) {
  // One allocation for the whole answer (it holds every reply's bytes).
  std::size_t size = out->size() + 16;
  for (const BatchItemReply& r : items) size += r.body.size() + r.message.size() + 64;
  out->reserve(size);
  if (format == Format::kProto) {
    // CommandBatchResult{repeated Item results = 1}: each item is
    // length-delimited, its CommandResponse (field 2) is the body's bytes,
    // written once.
    using google::protobuf::io::CodedOutputStream;
    google::protobuf::io::StringOutputStream stream(out);
    CodedOutputStream coded(&stream);
    pb::Error e;
    for (const BatchItemReply& r : items) {
      std::size_t field = r.body.size();  // the response, or the error
      if (!r.code.empty()) {
        e.set_code(r.code);
        e.set_message(utf8_text(r.message));
        field = e.ByteSizeLong();
      }
      const std::size_t size = (r.status != 0 ? 1 + CodedOutputStream::VarintSize32SignExtended(r.status) : 0) +
                               1 + CodedOutputStream::VarintSize64(field) + field + (r.replayed ? 2 : 0);
      coded.WriteTag(1 << 3 | 2);
      coded.WriteVarint64(size);
      if (r.status != 0) {
        coded.WriteTag(1 << 3 | 0);
        coded.WriteVarint32SignExtended(r.status);
      }
      coded.WriteTag((r.code.empty() ? 2 : 3) << 3 | 2);
      coded.WriteVarint64(field);
      if (r.code.empty()) coded.WriteString(r.body);
      else e.SerializeWithCachedSizes(&coded);
      if (r.replayed) {
        coded.WriteTag(4 << 3 | 0);
        coded.WriteVarint32(1);
      }
    }
    return;
  }
  out->append("{\"results\":[");
  for (std::size_t i = 0; i < items.size(); ++i) {
    const BatchItemReply& r = items[i];
    if (i) out->push_back(',');
    out->append("{\"status\":");
    append_int(r.status, out);
    if (r.code.empty()) {
      out->append(",\"response\":");
      out->append(r.body);
    } else {
      out->append(",\"error\":{\"code\":");
      append_json_string_pb(r.code, out);
      out->append(",\"message\":");
      append_json_string_pb(utf8_text(r.message), out);
      out->push_back('}');
    }
    out->append(r.replayed ? ",\"replayed\":true}" : ",\"replayed\":false}");
  }
  out->append("]}");
}

std::string render_stored_response(const std::string& binary_response, Format format) {
  if (format == Format::kProto) return binary_response;
  pb::CommandResponse r;
  r.ParseFromString(binary_response);
  std::string out;
  codec::to_json(r, &out);
  return out;
}

}  // namespace qc::gw
