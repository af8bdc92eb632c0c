// Service: POST /v1/commands:batch (docs/api.md "Batches"). Each command of
// the batch is decoded, checked and answered exactly as POST /v1/commands
// would (decode_batch() -> prepare() -> the shard -> command_answer()); the
// runtime applies a shard's share of the batch, in order, in one group
// commit (Runtime::submit_batch()). The answer, one result per command in
// the batch's order, goes out when the last of them is known: after the
// commit, like /v1/commands.
#include <atomic>
#include <cstdint>
#include <utility>
#include <vector>

#include "server/api/service.h"

namespace qc::gw {

namespace {

// The results of one batch, filled from the shard threads (one slot each);
// the last to arrive answers and deletes it.
struct BatchAnswer {
  std::vector<BatchItemReply> items;
  std::atomic<std::size_t> left;  // items not answered yet, +1 while submitting
  Format format;
  bool kiosk;
  Respond respond;

  BatchAnswer(std::size_t n, Format f, bool kiosk, Respond r)
      : items(n), left(n + 1), format(f), kiosk(kiosk), respond(std::move(r)) {}

  void arrived() {
    if (left.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    std::string body;
    append_batch_result(items, format, &body);
    Respond r = std::move(respond);
    delete this;
    r(ok_response(std::move(body), format, 200));
  }
  // Refused before any shard: answered as /v1/commands answers the error.
  void refuse(std::size_t i, Error e, std::string message) {
    CommandOutcome o;
    o.error = e;
    o.message = std::move(message);
    items[i] = command_answer(std::move(o), format, kiosk);
    arrived();
  }
};

}  // namespace

void Service::command_batch(HttpRequest& req, Format out, Respond respond) {
  if (draining_)
    return respond(error_response(Error::kUnavailable, "server is shutting down", out));
  // A retry of the batch must not run its commands again: each command
  // carries its own key, a key for the whole batch would protect nothing.
  if (!req.idempotency_key.empty())
    return respond(error_response(Error::kInvalidArgument,
                                  "a batch takes an idempotencyKey per command, not the "
                                  "Idempotency-Key header",
                                  out));
  std::vector<BatchCommand> cmds;
  std::string msg;
  if (std::string_view code = decode_batch(req.body, body_format(req.content_type),
                                           config_.limits.batch_commands, &cmds, &msg);
      !code.empty())
    return respond(error_response(400, code, msg, out));
  metrics_.batches.fetch_add(1, std::memory_order_relaxed);
  metrics_.batch_commands.fetch_add(cmds.size(), std::memory_order_relaxed);
  const Principal who = principal_of(req);
  auto* answer = new BatchAnswer(cmds.size(), out, who.role == Role::kKiosk, std::move(respond));
  std::vector<CommandRequest> requests;
  requests.reserve(cmds.size());
  const Time now = runtime_.clock().now();
  for (std::size_t i = 0; i < cmds.size(); ++i) {
    BatchCommand& c = cmds[i];
    if (c.error != Error::kOk) {
      answer->refuse(i, c.error, std::move(c.message));
      continue;
    }
    // Each command counts as one request (Service::handle() counted the first).
    if (i > 0 && !requests_by_address_.allow(req.client, now)) {
      metrics_.rate_limited.fetch_add(1, std::memory_order_relaxed);
      answer->refuse(i, Error::kRateLimited, std::string(kTooManyRequests));
      continue;
    }
    if (!kiosk_lookup_allowed(c.command, who, req)) {
      answer->refuse(i, Error::kRateLimited, std::string(kLookupsLimited));
      continue;
    }
    // What the key stands for: this command (binary), sent in a batch.
    std::string fingerprint;
    if (!c.idempotency_key.empty())
      fingerprint = request_fingerprint(who.name(), "POST", "/v1/commands:batch",
                                        "application/x-protobuf", c.bytes);
    CommandRequest cr;
    if (Error e = prepare(std::move(c.command), who, req.client, c.idempotency_key,
                          std::move(fingerprint), out, &cr, &msg);
        e != Error::kOk) {
      answer->refuse(i, e, std::move(msg));
      continue;
    }
    cr.done = [answer, i](CommandOutcome o) {
      answer->items[i] = command_answer(std::move(o), answer->format, answer->kiosk);
      answer->arrived();
    };
    requests.push_back(std::move(cr));
  }
  runtime_.submit_batch(std::move(requests));
  answer->arrived();  // submitted: the last result answers
}

}  // namespace qc::gw
