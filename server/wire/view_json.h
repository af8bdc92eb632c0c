// Direct JSON writers for the views queuecastd pushes and answers.
//
// Contract
// - Output is byte-identical to the protobuf path it replaces: the view
//   converted by proto/codec.h (to_proto) and printed by codec::to_json with
//   its default options (protobuf 3.21's JSON printer, lowerCamelCase names,
//   always_print_primitive_fields): fields in field-number order except that
//   the Timestamp and Duration fields come after all the others (still in
//   field order among themselves: that printer's DefaultValueObjectWriter
//   re-orders them so); every scalar field printed even when
//   default (0, "", first enum value), empty repeated fields as [], absent
//   message fields (an unknown eta, a display room with nobody called)
//   omitted, uint64 as decimal strings, enums as their names (a number
//   outside the enum as the number), Timestamps as RFC 3339 UTC with 0 or 3
//   fractional digits ("2026-11-23T01:00:00.250Z"; clamped to the
//   Timestamp's range exactly as codec::to_proto does; a field the codec
//   always sets prints kNoTime as the epoch), Durations as "900s" / "-1.500s",
//   strings escaped exactly as that printer escapes them (the pieces are in
//   server/wire/json_text.h). tests/unit/server/view_json_test.cc checks the
//   equality on randomized views.
// - No protobuf, no reflection, no allocation besides the output string's
//   growth. Functions append to *out (they never clear it).
//
// Thread-safety: pure functions on values; call from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/types.h"
#include "engine/view.h"
#include "server/wire/json_text.h"

namespace qc::gw {

// The bare view (queuecast.v1.PatientView etc.): HTTP GET answers.
void append_json(const PatientView& v, std::string* out);
void append_json(const DisplayView& v, std::string* out);
void append_json(const StaffView& v, std::string* out);
void append_json(const Board& v, std::string* out);

// ServerMessage{view{<v>, version = v.version, sent_at}}: the WebSocket push.
void append_update_json(const PatientView& v, Time sent_at, std::string* out);
void append_update_json(const DisplayView& v, Time sent_at, std::string* out);
void append_update_json(const StaffView& v, Time sent_at, std::string* out);
void append_update_json(const Board& v, Time sent_at, std::string* out);

// The small messages around them: ServerMessage{error{code, message}},
// ErrorReply{error{code, message}} (HTTP error bodies), ServerMessage{pong{at}}.
void append_ws_error_json(std::string_view code, std::string_view message, std::string* out);
void append_error_reply_json(std::string_view code, std::string_view message, std::string* out);
void append_pong_json(Time at, std::string* out);

}  // namespace qc::gw
