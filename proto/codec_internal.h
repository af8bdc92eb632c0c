// Helpers shared by the codec's .cc files. Not part of the codec's API.
#pragma once

#include <string>
#include <string_view>

#include "proto/codec.h"

namespace qc::codec::internal {

// Sets *message to "<field>: <why>" and returns kInvalidArgument.
inline Error invalid(std::string* message, std::string_view field, std::string_view why) {
  if (message) {
    message->assign(field);
    message->append(": ");
    message->append(why);
  }
  return Error::kInvalidArgument;
}

// Prefixes *message with "<prefix>." (for nested fields) and returns e.
inline Error nested(Error e, std::string* message, std::string_view prefix) {
  if (e != Error::kOk && message) message->insert(0, std::string(prefix) + ".");
  return e;
}

// Required timestamp: absent is invalid.
inline Error required_time(bool has, const google::protobuf::Timestamp& ts, Time* out,
                           std::string* message, std::string_view field) {
  if (!has) return invalid(message, field, "required");
  return nested(from_proto(ts, out, message), message, field);
}

// Optional timestamp: absent is `fallback`.
inline Error optional_time(bool has, const google::protobuf::Timestamp& ts, Time* out,
                           std::string* message, std::string_view field, Time fallback) {
  if (!has) {
    *out = fallback;
    return Error::kOk;
  }
  return nested(from_proto(ts, out, message), message, field);
}

inline Error optional_duration(bool has, const google::protobuf::Duration& d, Duration* out,
                               std::string* message, std::string_view field,
                               Duration fallback) {
  if (!has) {
    *out = fallback;
    return Error::kOk;
  }
  return nested(duration_from_proto(d, out, message), message, field);
}

// Enum range checks (proto3 enums are open: binary input may hold any int).
template <typename Engine, typename Wire, bool (*IsValid)(int)>
inline Error enum_from(Wire w, Engine* out, std::string* message, std::string_view field) {
  if (!IsValid(static_cast<int>(w))) return invalid(message, field, "unknown enum value");
  *out = static_cast<Engine>(static_cast<int>(w));
  return Error::kOk;
}

Error actor_from_proto(const pb::Actor& in, Actor* out, std::string* message);
void actor_to_proto(const Actor& in, pb::Actor* out);

}  // namespace qc::codec::internal
