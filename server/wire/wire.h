// Encoding of what queuecastd sends: views as WebSocket ServerMessages,
// errors; and the HTTP status of each error code (command replies:
// server/wire/reply.h). JSON is written directly (server/wire/view_json.h),
// with the bytes protobuf's JSON printer would produce for the codec's
// message (proto/codec.h); binary is the codec's message through
// SerializeToString (views: codec::append_serialized*, with reused scratch
// messages). The protobuf JSON path stays below as the *_reference functions.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/types.h"
#include "engine/view.h"
#include "server/wire/format.h"

namespace qc::gw {

// HTTP status for an engine error code (docs/api.md, "Errors").
int http_status(Error e);

// ServerMessage{view{<v>, version, sent_at}} in `format`.
std::string encode_view(const PatientView& v, Time sent_at, Format format);
std::string encode_view(const DisplayView& v, Time sent_at, Format format);
std::string encode_view(const StaffView& v, Time sent_at, Format format);
std::string encode_view(const Board& v, Time sent_at, Format format);
// The same, appended to *out (which is not cleared): lets a transport write
// the WebSocket frame header first and the payload after it, with no copy.
void append_view(const PatientView& v, Time sent_at, Format format, std::string* out);
void append_view(const DisplayView& v, Time sent_at, Format format, std::string* out);
void append_view(const StaffView& v, Time sent_at, Format format, std::string* out);
void append_view(const Board& v, Time sent_at, Format format, std::string* out);
// ServerMessage{error{code, message}}.
std::string encode_ws_error(std::string_view code, std::string_view message, Format format);
// The same answering a client message with a request id ("": as above).
std::string encode_ws_error(std::string_view code, std::string_view message, Format format,
                            std::string_view request_id);
// ServerMessage{subscribed{}, request_id}: a subscribe was accepted.
std::string encode_subscribed(std::string_view request_id, Format format);
// ServerMessage{pong{at}}.
std::string encode_pong(Time at, Format format);

// HTTP error body: ErrorReply {"error":{"code","message"}}.
std::string encode_error_body(std::string_view code, std::string_view message, Format format);

// Any view as a bare message (HTTP GET answers).
std::string encode_plain(const PatientView& v, Format format);
std::string encode_plain(const DisplayView& v, Format format);
std::string encode_plain(const StaffView& v, Format format);
std::string encode_plain(const Board& v, Format format);

// The protobuf path the functions above replace (codec::to_proto or
// ParseFromString, then protobuf's JSON printer via codec::to_json, or
// SerializeToString): the reference that tests/unit/server/view_json_test.cc
// and bench/wire_bench.cc compare them with. Same
// output, many times the cost; not for serving.
std::string encode_view_reference(const PatientView& v, Time sent_at, Format format);
std::string encode_view_reference(const DisplayView& v, Time sent_at, Format format);
std::string encode_view_reference(const StaffView& v, Time sent_at, Format format);
std::string encode_view_reference(const Board& v, Time sent_at, Format format);
std::string encode_plain_reference(const PatientView& v, Format format);
std::string encode_plain_reference(const DisplayView& v, Format format);
std::string encode_plain_reference(const StaffView& v, Format format);
std::string encode_plain_reference(const Board& v, Format format);
std::string encode_ws_error_reference(std::string_view code, std::string_view message,
                                      Format format);
std::string encode_pong_reference(Time at, Format format);
std::string encode_error_body_reference(std::string_view code, std::string_view message,
                                        Format format);

}  // namespace qc::gw
