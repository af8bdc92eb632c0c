// Binary queuecast.v1.CommandResponse -> JSON, without protobuf: a reader of
// the wire format driven by hand-written tables of the messages a response
// holds (CommandResponse, Event and its 26 bodies, Actor, PatientView).
//
// Contract
// - For a response serialized by protobuf (SerializeToString: fields in
//   field-number order, each singular field at most once), the output is
//   byte-identical to what render_response's protobuf path prints
//   (ParseFromString, then codec::to_json with its default options: the rules
//   listed in server/wire/view_json.h; in addition a proto3 `optional` scalar,
//   CommandResponse.slot, is printed only when present and, like the
//   Timestamps, after the other fields).
//   tests/gateway/response_json_test.cc checks it on randomized responses
//   that set every field of every message.
// - Returns false when the bytes are not a well-formed response (bad varint,
//   length past the end, wrong wire type for a known field, a Timestamp out
//   of range): *out is then unspecified and the caller falls back to the
//   protobuf path. Unknown fields are skipped, as protobuf's printer does.
//
// Thread-safety: pure function; call from any thread.
#pragma once

#include <string>
#include <string_view>

namespace qc::gw {

// Appends the JSON of the binary CommandResponse `binary` to *out.
bool append_response_json(std::string_view binary, std::string* out);

}  // namespace qc::gw
