// Pure decoders of untrusted input (fuzz targets live in tests/fuzz/):
// request line -> Route, request body -> engine Command, WebSocket message
// -> ClientRequest, query strings. No sockets, no engine, no clock.
//
// Contract: every function accepts any bytes and never crashes, throws or
// allocates without bound; malformed input gives Error::kInvalidArgument and
// a message naming what is wrong. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/command.h"
#include "engine/types.h"
#include "server/live/subscriptions.h"
#include "server/wire/wire.h"

namespace qc::gw {

enum class RouteId : std::uint8_t {
  kNotFound,
  kMethodNotAllowed,
  kCommands,       // POST /v1/commands
  kCommandBatch,   // POST /v1/commands:batch
  kSessionList,    // GET  /v1/sessions
  kSessionCreate,  // POST /v1/sessions
  kSessionGet,     // GET  /v1/sessions/{sid}
  kBoard,          // GET  /v1/sessions/{sid}/board
  kSessionCommand, // POST /v1/sessions/{sid}/{call-next|pause|resume|suspend|close|book|holds|walk-ins|undo}
  kHoldCommand,    // POST /v1/holds/{hid}/confirm, DELETE /v1/holds/{hid}
  kTicketCommand,  // POST /v1/tickets/{tid}/{check-in|cancel|call|recall|complete|missed|return|move-to-next|
                   //   set-priority|send-for-tests|return-from-tests}
  kTicketGet,      // GET  /v1/tickets/{tid}
  kMe,             // GET  /v1/me
  kDisplay,        // GET  /v1/areas/{area}/display
  kQr,             // GET  /v1/qr.svg
  kWebSocket,      // GET  /v1/ws (upgrade)
  kHealthz,
  kReadyz,
  kMetrics,
  kPage,           // GET  a static page: `file` names it
  kCheckInBy,      // POST /v1/check-in, POST /v1/sessions/{sid}/check-in (a CheckInBy body)
};

struct Route {
  RouteId id = RouteId::kNotFound;
  std::string id1;     // session, ticket, hold id or area (percent-decoded)
  std::string action;  // "call-next", "check-in", "confirm", "release", ...
  std::string file;    // kPage: file under the web root ("display.html", "static/app.css")
};

// `target` is the request target ("/v1/tickets/x/check-in?token=..."); the
// query is ignored here. Unknown paths are kNotFound; known paths with
// another method kMethodNotAllowed.
Route parse_route(std::string_view method, std::string_view target);

// The value of query parameter `name` (percent-decoded), or "" when absent.
std::string query_param(std::string_view target, std::string_view name);
// Percent-decoding; false on a malformed escape.
bool percent_decode(std::string_view in, std::string* out);

// The body format a Content-Type names: application/x-protobuf -> kProto,
// anything else (application/json, none) -> kJson.
Format body_format(std::string_view content_type);

// A command endpoint's request -> engine command (actor and time are set by
// the caller). The body may be empty for commands without parameters.
// For kCommands the body is a whole queuecast.v1.Command (its `at` and
// `actor` are ignored). Path ids override nothing: a body naming another
// session/ticket/hold than the path is invalid_argument.
Error decode_command(const Route& route, std::string_view body, Format format, Command* out,
                     std::string* message);

// One command of a POST /v1/commands:batch body.
struct BatchCommand {
  std::string idempotency_key;  // as sent ("" when none)
  // The command's decoding, exactly as a POST /v1/commands body's: kOk
  // (`command` is set) or the error a bad command gets there.
  Error error = Error::kOk;
  std::string message;
  Command command;
  // With an idempotency key: the command as binary queuecast.v1.Command,
  // what request_fingerprint() hashes for it.
  std::string bytes;
};
// A POST /v1/commands:batch body: a queuecast.v1.CommandBatch (JSON or
// binary). Returns "" and fills *out (one entry per item, in order), or the
// error code that refuses the whole batch (400): "invalid_argument" (not a
// CommandBatch), "batch_empty", "batch_too_large" (more than `max_commands`),
// with *message. A command that is not valid fails its own item only.
std::string_view decode_batch(std::string_view body, Format format, std::size_t max_commands,
                              std::vector<BatchCommand>* out, std::string* message);

// A WebSocket client message.
struct ClientRequest {
  enum Kind : std::uint8_t { kPing, kSubscribe } kind = kPing;
  enum Who : std::uint8_t { kPatient, kDisplay, kStaff, kBoard } who = kPatient;
  std::string token;       // patient token, display token or staff key
  std::string id;          // area (display) or session id (staff, board)
  std::uint64_t last_version = 0;
  // kPatient: follow the session's board; the ticket's own view only when
  // the ticket changes (docs/api.md, "Live push").
  bool board = false;
  // The client's request id, echoed in the answer ("" if none). Set as soon
  // as the message could be read, also when a later check refuses it.
  std::string request_id;
};
Error decode_client_message(std::string_view bytes, Format format, ClientRequest* out,
                            std::string* message);
// What a subscribe asks to follow (server/live/subscriptions.h).
FollowRequest follow_request(const ClientRequest& subscribe);

// The idempotency fingerprint of a request (server/runtime/idempotency.h).
// What a key stands for: SHA-256 (32 raw bytes) of the request as the
// client sent it: credential (principal name), method, canonical path (the
// target's path percent-decoded; the query, which carries at most the
// credential, is left out), body format (the Content-Type as
// body_format() reads it: JSON or protobuf) and body bytes. Each part is
// length-prefixed, so no two requests share an input. Server-filled fields
// (patient tokens) are not part of it. The same command sent as JSON with
// other spacing or key order, or as protobuf, is a different request (as
// with Stripe).
std::string request_fingerprint(std::string_view principal, std::string_view method,
                                std::string_view target, std::string_view content_type,
                                std::string_view body);

}  // namespace qc::gw
