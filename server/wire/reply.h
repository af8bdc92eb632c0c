// The answer to an applied command (queuecast.v1.CommandResponse) as the
// engine's structs, and its encodings. The shard fills a CommandReply and
// encodes it once, in the format the client asked for
// (server/runtime/command_applier.h says why there).
//
// Contract
// - append_reply_json() is byte-identical to protobuf's JSON printer on
//   to_proto(reply) (codec::to_json with its default options: the rules listed
//   in server/wire/view_json.h; in addition the proto3 `optional` scalar
//   CommandResponse.slot is printed only when present and, like the
//   Timestamps, after the other fields). tests/unit/server/response_json_test.cc
//   checks it on randomized replies that set every field of every event.
// - A stored response (binary CommandResponse bytes, as the idempotency
//   records keep them: serialize_reply()) is answered by
//   render_stored_response(): the bytes, or protobuf's JSON of them.
//
// Thread-safety: pure functions on values; call from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/event.h"
#include "engine/view.h"
#include "server/wire/wire.h"

namespace queuecast::v1 {
class CommandResponse;
}

namespace qc::gw {

struct CommandReply {
  std::vector<Event> events;
  std::string ticket_id;  // book, confirm, register_walk_in, check_in
  std::string label;
  std::string token;      // the patient token of the new ticket
  std::string hold_id;    // hold
  Time expires_at = kNoTime;                // hold (kNoTime: absent)
  std::optional<std::int32_t> slot;
  std::optional<PatientView> ticket;        // the new ticket as its patient sees it
};

void to_proto(const CommandReply& r, ::queuecast::v1::CommandResponse* out);
// Binary CommandResponse, as an idempotency record stores it.
void serialize_reply(const CommandReply& r, ::queuecast::v1::CommandResponse* scratch,
                     std::string* out);
void append_reply_json(const CommandReply& r, std::string* out);
// The bytes of each event (field 1) of a binary CommandResponse, in order,
// as views into `binary_response` (each is the event's own serialization:
// the journal's event rows take them as they are). False if the bytes are
// not a CommandResponse.
bool reply_event_bytes(std::string_view binary_response, std::vector<std::string_view>* out);
// The reply in `format`.
std::string encode_reply(const CommandReply& r, Format format);
// A stored binary CommandResponse in `format` (protobuf's JSON printer).
std::string render_stored_response(const std::string& binary_response, Format format);

// One result of POST /v1/commands:batch (queuecast.v1.CommandBatchResult.Item):
// what POST /v1/commands would answer for the command.
struct BatchItemReply {
  int status = 200;      // its HTTP status
  std::string body;      // 2xx: the CommandResponse, in the batch answer's format
  std::string code;      // else: the error (code non-empty)
  std::string message;
  bool replayed = false; // answered from its idempotency key
};
// The CommandBatchResult of `items`, in `format`. The JSON is byte-identical
// to protobuf's JSON printer on the binary form (the same options as the
// reply above: `"replayed":false` is printed); the binary form is written
// around the bodies without parsing them again.
void append_batch_result(const std::vector<BatchItemReply>& items, Format format, std::string* out);

}  // namespace qc::gw
