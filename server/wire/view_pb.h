// Direct binary protobuf writers for the views queuecastd pushes and answers.
//
// Contract
// - Output is byte-identical to SerializeToString of the message that
//   proto/codec.h (to_proto) builds for the view: fields in field-number
//   order, proto3 scalars omitted when 0 / "" (enums when their first
//   value), packed repeated int32, minimal varints (negative int32 as ten
//   bytes), every sub-message the codec sets written even when empty (the
//   always-set Timestamps and Durations, a display room's `called` when
//   has_called), optional times omitted when kNoTime, Timestamps and
//   Durations converted and clamped exactly as codec::to_proto /
//   duration_to_proto do. Strings are copied as they are (no UTF-8 check).
//   tests/gateway/view_json_test.cc checks the equality on randomized views.
// - No protobuf library, no reflection. Functions append to *out (they never
//   clear it); a nested message is written after a one-byte length
//   placeholder that is widened in place when the body is 128 bytes or more.
//
// Thread-safety: pure functions on values; call from any thread.
#pragma once

#include <string>
#include <string_view>

#include "engine/types.h"
#include "engine/view.h"

namespace qc::gw {

// The bare view (queuecast.v1.PatientView etc.).
void append_proto(const PatientView& v, std::string* out);
void append_proto(const DisplayView& v, std::string* out);
void append_proto(const StaffView& v, std::string* out);
void append_proto(const Board& v, std::string* out);

// ServerMessage{view{<v>, version = v.version, sent_at}}.
void append_update_proto(const PatientView& v, Time sent_at, std::string* out);
void append_update_proto(const DisplayView& v, Time sent_at, std::string* out);
void append_update_proto(const StaffView& v, Time sent_at, std::string* out);
void append_update_proto(const Board& v, Time sent_at, std::string* out);

// The small messages around them: ServerMessage{error{code, message}},
// ErrorReply{error{code, message}} (HTTP error bodies), ServerMessage{pong{at}}.
void append_ws_error_proto(std::string_view code, std::string_view message, std::string* out);
void append_error_reply_proto(std::string_view code, std::string_view message, std::string* out);
void append_pong_proto(Time at, std::string* out);

}  // namespace qc::gw
