// Codec: time, error codes, actors and the JSON helpers.
#include <google/protobuf/util/json_util.h>

#include <cstdint>

#include "proto/codec.h"
#include "proto/codec_internal.h"

namespace qc::codec {

void to_proto(Time t, google::protobuf::Timestamp* out) {
  if (t == kNoTime) {
    out->Clear();
    return;
  }
  std::int64_t secs;
  std::int32_t ms;
  timestamp_parts(t, &secs, &ms);
  out->set_seconds(secs);
  out->set_nanos(ms * 1'000'000);
}

Error from_proto(const google::protobuf::Timestamp& in, Time* out, std::string* message) {
  if (in.seconds() < kMinTimestampSeconds || in.seconds() > kMaxTimestampSeconds)
    return internal::invalid(message, "seconds", "timestamp out of range");
  if (in.nanos() < 0 || in.nanos() > 999'999'999)
    return internal::invalid(message, "nanos", "must be in [0, 999999999]");
  *out = in.seconds() * 1000 + in.nanos() / 1'000'000;
  return Error::kOk;
}

void duration_to_proto(Duration d, google::protobuf::Duration* out) {
  std::int64_t secs;
  std::int32_t ms;
  duration_parts(d, &secs, &ms);
  out->set_seconds(secs);
  out->set_nanos(ms * 1'000'000);
}

Error duration_from_proto(const google::protobuf::Duration& in, Duration* out,
                          std::string* message) {
  if (in.seconds() < -kMaxDurationSeconds || in.seconds() > kMaxDurationSeconds)
    return internal::invalid(message, "seconds", "duration out of range");
  if (in.nanos() < -999'999'999 || in.nanos() > 999'999'999 ||
      (in.seconds() > 0 && in.nanos() < 0) || (in.seconds() < 0 && in.nanos() > 0))
    return internal::invalid(message, "nanos", "out of range or of the wrong sign");
  *out = in.seconds() * 1000 + in.nanos() / 1'000'000;
  return Error::kOk;
}

pb::ErrorCode to_proto(Error e) { return static_cast<pb::ErrorCode>(static_cast<int>(e)); }

bool from_proto(pb::ErrorCode code, Error* out) {
  int v = static_cast<int>(code);
  if (v < 0 || v >= kErrorCount) return false;
  *out = static_cast<Error>(v);
  return true;
}

namespace internal {

Error actor_from_proto(const pb::Actor& in, Actor* out, std::string* message) {
  if (Error e = enum_from<ActorKind, pb::ActorKind, pb::ActorKind_IsValid>(in.kind(), &out->kind,
                                                                          message, "kind");
      e != Error::kOk)
    return e;
  out->id = in.id();
  return Error::kOk;
}

void actor_to_proto(const Actor& in, pb::Actor* out) {
  out->set_kind(static_cast<pb::ActorKind>(in.kind));
  out->set_id(in.id);
}

}  // namespace internal

// ---- JSON ----

Error parse_json(std::string_view json, google::protobuf::Message* out, std::string* message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  out->Clear();
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), out, options);
  if (!status.ok()) {
    if (message) {
      message->assign("invalid JSON for ");
      message->append(out->GetDescriptor()->full_name());
      message->append(": ");
      std::string_view why(status.message().data(), status.message().size());
      message->append(why.substr(0, why.find('\n')));  // the excerpt follows the first line
    }
    return Error::kInvalidArgument;
  }
  return Error::kOk;
}

Error parse_command_json(std::string_view json, Command* out, Time* at, std::string* message) {
  pb::Command wire;
  if (Error e = parse_json(json, &wire, message); e != Error::kOk) return e;
  return from_proto(wire, out, at, message);
}

bool to_json(const google::protobuf::Message& m, std::string* out, JsonOptions options) {
  google::protobuf::util::JsonPrintOptions print;
  print.add_whitespace = false;
  print.always_print_primitive_fields = options.always_print_primitive_fields;
  print.preserve_proto_field_names = false;
  out->clear();
  auto status = google::protobuf::util::MessageToJsonString(m, out, print);
  if (!status.ok()) {
    out->assign("{}");
    return false;
  }
  return true;
}

std::string command_to_json(const Command& command, Time at, JsonOptions options) {
  pb::Command wire;
  to_proto(command, at, &wire);
  std::string out;
  to_json(wire, &out, options);
  return out;
}

std::string event_to_json(const Event& event, JsonOptions options) {
  pb::Event wire;
  to_proto(event, &wire);
  std::string out;
  to_json(wire, &out, options);
  return out;
}

namespace {
// Length of the valid UTF-8 sequence at s[i], or 0 if it is not valid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
std::size_t utf8_length(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  std::size_t n;
  std::uint32_t cp;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3f);
  }
  if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
      (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0;
  return n;
}
}  // namespace

void append_json_string(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (std::size_t i = 0; i < s.size();) {
    char c = s[i];
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      std::size_t n = utf8_length(s, i);
      if (n == 0) {
        out->append("\ufffd");  // not UTF-8: the replacement character
        ++i;
      } else {
        out->append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out->append("\\u00");
          out->push_back(kHex[u >> 4]);
          out->push_back(kHex[u & 0xf]);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

}  // namespace qc::codec
