// The codec: conversions between the engine's plain structs (engine/*.h) and
// the wire schema queuecast.v1 (proto/queuecast/v1/queuecast.proto), plus the
// JSON helpers every client of the schema uses (gateway, journal, replay
// tool, fuzz targets).
//
// Contract
// - Pure functions: no I/O, no clock, no global state except protobuf's own
//   descriptor pool and one thread_local scratch message per view type on the
//   view -> bytes path (reused, so a steady stream of views allocates only
//   the output string's growth).
// - Engine -> proto (`to_proto`) always succeeds: every engine value has a
//   wire form. kNoTime becomes an absent Timestamp.
// - Proto -> engine (`from_proto`, `parse_*`) never throws and never crashes
//   on any input (binary decoding may carry enum numbers outside the enum,
//   timestamps out of range, missing required fields): a failure returns
//   Error::kInvalidArgument and sets *message to a text naming the field
//   ("create_session.spec.start: required"). On failure *out is unspecified
//   (partly filled); callers must not use it.
// - Absent fields mean the engine's default where the schema says so
//   (e.g. SessionSpec.slot_minutes absent = 60, Hold.ttl absent = the
//   engine's default TTL); required fields are Command.at, SessionSpec.start,
//   end, registration_open, GenerateSessions.from, AdjustQuotas.from/to,
//   DoctorLeave.from/to.
// - Times: Timestamp -> milliseconds truncates sub-millisecond digits
//   (toward the past); Duration -> milliseconds truncates toward zero.
//
// Thread-safety: every function may be called from any thread concurrently.
#pragma once

#include <string>
#include <string_view>

#include "engine/command.h"
#include "engine/event.h"
#include "engine/types.h"
#include "engine/view.h"
#include "queuecast/v1/queuecast.pb.h"

namespace qc::codec {

namespace pb = ::queuecast::v1;

// ---- Time ----

// google.protobuf.Timestamp's range (0001-01-01 .. 9999-12-31) and
// google.protobuf.Duration's (+-10,000 years), in seconds.
inline constexpr std::int64_t kMinTimestampSeconds = -62135596800LL;
inline constexpr std::int64_t kMaxTimestampSeconds = 253402300799LL;
inline constexpr std::int64_t kMaxDurationSeconds = 315576000000LL;

// The Timestamp of `t`: seconds (floor) and milliseconds, clamped to the
// Timestamp's range; (0, 0) for kNoTime. Pure arithmetic, inline: the direct
// JSON writers (server/wire/json_text.h) convert with it too.
inline void timestamp_parts(Time t, std::int64_t* seconds, std::int32_t* millis) {
  std::int64_t secs = 0;
  std::int32_t ms = 0;
  if (t != kNoTime) {
    secs = t / 1000;  // floor division, without overflow near the int64 limits
    ms = static_cast<std::int32_t>(t % 1000);
    if (ms < 0) {
      --secs;
      ms += 1000;
    }
    if (secs < kMinTimestampSeconds) {
      secs = kMinTimestampSeconds;
      ms = 0;
    } else if (secs > kMaxTimestampSeconds) {
      secs = kMaxTimestampSeconds;
      ms = 999;
    }
  }
  *seconds = secs;
  *millis = ms;
}

// The Duration of `d`: seconds and milliseconds, both toward zero, clamped.
inline void duration_parts(Duration d, std::int64_t* seconds, std::int32_t* millis) {
  std::int64_t secs = d / 1000;  // truncates toward zero: secs and millis share the sign
  std::int32_t ms = static_cast<std::int32_t>(d % 1000);
  if (secs > kMaxDurationSeconds) {
    secs = kMaxDurationSeconds;
    ms = 0;
  } else if (secs < -kMaxDurationSeconds) {
    secs = -kMaxDurationSeconds;
    ms = 0;
  }
  *seconds = secs;
  *millis = ms;
}

// kNoTime clears *out (the caller leaves the field absent instead).
void to_proto(Time t, google::protobuf::Timestamp* out);
Error from_proto(const google::protobuf::Timestamp& in, Time* out, std::string* message);
void duration_to_proto(Duration d, google::protobuf::Duration* out);
Error duration_from_proto(const google::protobuf::Duration& in, Duration* out,
                          std::string* message);

// ---- Errors ----

pb::ErrorCode to_proto(Error e);
// False for a number that is not a qc::Error.
bool from_proto(pb::ErrorCode code, Error* out);

// ---- Commands ----

// `at` is the command's now.
void to_proto(const Command& command, Time at, pb::Command* out);
// Command.at is required. The body must be set.
Error from_proto(const pb::Command& in, Command* out, Time* at, std::string* message);

// ---- Events ----

void to_proto(const Event& event, pb::Event* out);
// Fills the common fields and those of the event's oneof member; the others
// keep qc::Event's defaults. For every event the engine produces,
// from_proto(to_proto(e)) == e.
Error from_proto(const pb::Event& in, Event* out, std::string* message);

// ---- Views ----

void to_proto(const PatientView& v, pb::PatientView* out);
void to_proto(const DisplayView& v, pb::DisplayView* out);
void to_proto(const StaffView& v, pb::StaffView* out);
void to_proto(const Board& v, pb::Board* out);
Error from_proto(const pb::PatientView& in, PatientView* out, std::string* message);
Error from_proto(const pb::DisplayView& in, DisplayView* out, std::string* message);
Error from_proto(const pb::StaffView& in, StaffView* out, std::string* message);
Error from_proto(const pb::Board& in, Board* out, std::string* message);

// View -> binary protobuf (SerializeToString of to_proto's message):
// serialize replaces *out, append_serialized appends to it. Reuse a
// thread_local scratch message (no per-call message allocation).
void serialize(const PatientView& v, std::string* out);
void serialize(const DisplayView& v, std::string* out);
void serialize(const StaffView& v, std::string* out);
void serialize(const Board& v, std::string* out);
void append_serialized(const PatientView& v, std::string* out);
void append_serialized(const DisplayView& v, std::string* out);
void append_serialized(const StaffView& v, std::string* out);
void append_serialized(const Board& v, std::string* out);
// ServerMessage{view{<v>, version = v.version, sent_at}} in binary, appended
// to *out; the same scratch reuse. (The push of a view to a subscriber.)
void append_serialized_update(const PatientView& v, Time sent_at, std::string* out);
void append_serialized_update(const DisplayView& v, Time sent_at, std::string* out);
void append_serialized_update(const StaffView& v, Time sent_at, std::string* out);
void append_serialized_update(const Board& v, Time sent_at, std::string* out);

// ---- JSON ----

struct JsonOptions {
  // Print fields that hold their default (0, "", false, first enum value).
  // On by default: "slot":0 is information, not noise. Unset message fields
  // (an absent Timestamp) and unset oneof members are never printed.
  bool always_print_primitive_fields = true;
};

// One JSON object (protobuf JSON mapping; lowerCamelCase or original field
// names; RFC 3339 timestamps with any offset) into `out`. Unknown fields are
// rejected. Error::kInvalidArgument with the parser's reason on failure,
// without the excerpt of the input the parser adds (a request body carries
// patient references and tokens, which error messages never repeat).
Error parse_json(std::string_view json, google::protobuf::Message* out, std::string* message);

// One line of JSON -> an engine command and its `at`.
Error parse_command_json(std::string_view json, Command* out, Time* at, std::string* message);

// A message as one line of JSON (no newline). Never fails for messages built
// by this codec; returns false (and "{}") only if protobuf refuses.
bool to_json(const google::protobuf::Message& m, std::string* out, JsonOptions options = {});

std::string command_to_json(const Command& command, Time at, JsonOptions options = {});
std::string event_to_json(const Event& event, JsonOptions options = {});

// Appends `s` as a JSON string literal (with quotes) to *out. Escapes `"`,
// `\` and control characters; valid UTF-8 passes through, any byte that is
// not part of valid UTF-8 becomes U+FFFD, so the result is always valid JSON.
void append_json_string(std::string_view s, std::string* out);

}  // namespace qc::codec
