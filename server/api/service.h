// Request handling of queuecastd, independent of Beast: an HttpRequest in,
// an HttpResponse out (through a callback, because most answers come from
// a shard after its group commit); and the WebSocket subscriptions, handed
// on to server/runtime/subscribe.h.
//
// The Beast units (http_server.cc, ws_session.cc) only move bytes: they fill
// an HttpRequest, call handle(), and write what comes back; they see Service
// only as a Handler (server/api/handler.h, which names no engine type).
//
// Thread-safety: handle() and subscribe() may be called from any network
// thread concurrently; callbacks run on a shard thread or the caller's
// thread and must only post onward.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "server/runtime/auth.h"
#include "server/infra/config.h"
#include "server/api/decode.h"
#include "server/api/handler.h"
#include "server/live/hub.h"
#include "server/infra/metrics.h"
#include "server/api/rate_limit.h"
#include "server/runtime/runtime.h"
#include "server/runtime/subscribe.h"

namespace qc::gw {

class Service final : public Handler {
 public:
  Service(const Config& config, Runtime& runtime, const KeyStore& keys, Metrics& metrics);

  // Answers one request, exactly once, through `respond`.
  void handle(HttpRequest request, Respond respond) override { handle(std::move(request), std::move(respond), nullptr); }
  // The same with the request's command already decoded by the caller
  // (decode_command() of its route and body: cluster_handler.h decodes it
  // to route the request), so that it is not decoded twice. Null: decode it.
  void handle(HttpRequest request, Respond respond, Command* decoded);

  // Whether a request with this Origin (may be empty) to this Host may use
  // the API / open a WebSocket.
  bool origin_allowed(std::string_view origin, std::string_view host) const;

  // Handler: the network side's own error answers (JSON), WebSocket
  // upgrades and client messages (ping, subscribe; ws_messages.cc).
  HttpResponse refusal(int status, std::string_view code, std::string_view message) const override;
  std::optional<HttpResponse> refuse_upgrade(std::string_view target, std::string_view origin,
                                             std::string_view host) const override;
  void client_message(std::string_view bytes, const std::shared_ptr<WsClient>& client) override;
  // The same once decoded (a ping or a subscribe).
  void client_request(const ClientRequest& req, const std::shared_ptr<WsClient>& client);

  // WebSocket: live push, server/runtime/subscribe.h (routing and
  // authorization) and server/live/subscriptions.h (the subscription).
  void subscribe(const ClientRequest& req, const std::shared_ptr<Subscriber>& sub,
                 std::function<void(SubscribeResult)> done) {
    live_subscribe(runtime_, keys_, follow_request(req), sub, std::move(done));
  }
  void unsubscribe(const Topic& topic, const std::weak_ptr<Subscriber>& sub) override {
    live_unsubscribe(runtime_, topic, sub);
  }
  // Cluster mode: another node follows `req` for one of its clients
  // (server/runtime/subscribe.h relay_subscribe()).
  void relay_subscribe(const FollowRequest& req, Format f, const std::string& node,
                       std::function<void(FollowAnswer)> done) {
    qc::gw::relay_subscribe(runtime_, keys_, req, f, node, std::move(done));
  }

  // Readiness: false once shutting down.
  void set_draining() override { draining_ = true; }
  bool draining() const { return draining_; }

  const Config& config() const { return config_; }
  Metrics& metrics() { return metrics_; }
  // The principal of the request's credential (kNone: none or unknown).
  Principal authenticate(const HttpRequest& req) const { return principal_of(req); }
  Runtime& runtime() { return runtime_; }

 private:
  void command(const Route& route, HttpRequest& req, Format out, Respond respond, Command* decoded);
  // An engine command from `req`'s credential: authorization, idempotency,
  // rate limits, then the shard.
  void submit(Command cmd, HttpRequest& req, Format out, Respond respond);
  // What submit() checks before any shard, for a command of `who` from
  // `client` with this Idempotency-Key (may be empty) and, with a key, the
  // request's fingerprint: what the credential alone decides, the key, the
  // channel, the booking limits (charged on the shard), the patient token.
  // kOk: *cr is ready for the runtime but for its `done`; else *message.
  Error prepare(Command cmd, Principal who, const std::string& client, std::string_view key,
                std::string fingerprint, Format out, CommandRequest* cr, std::string* message);
  // A kiosk's check-in by ticket id counts like one by label (check_in_by()):
  // false when the per-address lookup limit refuses it.
  bool kiosk_lookup_allowed(const Command& cmd, const Principal& who, const HttpRequest& req);
  // POST /v1/commands:batch (command_batch.cc).
  void command_batch(HttpRequest& req, Format out, Respond respond);
  // POST /v1/check-in, /v1/sessions/{sid}/check-in: resolves what the
  // patient holds (label, token, patientRef) to a ticket, then submits CheckIn.
  void check_in_by(const Route& route, HttpRequest& req, Format out, Respond respond);
  bool guessable_lookup_allowed(const HttpRequest& req);
  void read(const Route& route, HttpRequest& req, Format out, Respond respond);
  HttpResponse page(const Route& route) const;
  HttpResponse qr(const HttpRequest& req) const;
  Principal principal_of(const HttpRequest& req) const;

  const Config& config_;
  Runtime& runtime_;
  const KeyStore& keys_;
  Metrics& metrics_;
  RateLimiter booking_by_patient_;
  RateLimiter booking_by_address_;
  RateLimiter requests_by_address_;
  std::atomic<bool> draining_{false};
};

// The messages of the per-address limits.
inline constexpr std::string_view kTooManyRequests = "too many requests from this address";
inline constexpr std::string_view kLookupsLimited =
    "too many check-ins by number or patient id; retry later";

// What POST /v1/commands answers for `o` (status, body or error, replayed),
// the reply in format `out`; `kiosk`: with no patientRef.
BatchItemReply command_answer(CommandOutcome o, Format out, bool kiosk);

// A 2xx answer of `body`, written in format `f`.
HttpResponse ok_response(std::string body, Format f, int status = 200);
// Error response in the format asked for.
HttpResponse error_response(Error e, std::string_view message, Format format);
HttpResponse error_response(int status, std::string_view code, std::string_view message,
                            Format format);
// The request's credential: its Authorization Bearer token, or ?token=
// when it has no Authorization header (docs/api.md, "Credentials").
std::string bearer_credential(const HttpRequest& req);
// The format a response should use from the request's Accept header.
Format response_format(std::string_view accept);

}  // namespace qc::gw
