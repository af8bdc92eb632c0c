// Service as the network side's Handler (server/api/handler.h): its own
// error answers, WebSocket upgrades and what a WebSocket client sends (ping,
// subscribe). See docs/api.md, "Live push".
#include <memory>
#include <string>
#include <utility>

#include "server/api/decode.h"
#include "server/api/service.h"
#include "server/wire/wire.h"

namespace qc::gw {

HttpResponse Service::refusal(int status, std::string_view code, std::string_view message) const {
  return error_response(status, code, message, Format::kJson);
}

std::optional<HttpResponse> Service::refuse_upgrade(std::string_view target,
                                                    std::string_view origin,
                                                    std::string_view host) const {
  if (parse_route("GET", target).id != RouteId::kWebSocket)
    return error_response(404, "not_found", "WebSocket only at /v1/ws", Format::kJson);
  if (!origin_allowed(origin, host))
    return error_response(Error::kForbidden, "origin not allowed", Format::kJson);
  return std::nullopt;
}

void Service::client_message(std::string_view bytes, const std::shared_ptr<WsClient>& client) {
  const Format format = client->format();
  ClientRequest req;
  std::string msg;
  Error e = decode_client_message(bytes, format, &req, &msg);
  if (e != Error::kOk) {
    client->send_control(std::make_shared<const std::string>(
        encode_ws_error(to_string(e), msg, format, req.request_id)));
    return;
  }
  client_request(req, client);
}

void Service::client_request(const ClientRequest& req, const std::shared_ptr<WsClient>& client) {
  const Format format = client->format();
  if (req.kind == ClientRequest::kPing) {
    client->send_control(
        std::make_shared<const std::string>(encode_pong(runtime_.clock().now(), format)));
    return;
  }
  // Subscribes still waiting for their shard count as well as confirmed
  // ones: pipelined subscribes cannot pass the cap while the server is busy.
  if (!client->reserve_subscribe()) {
    client->send_control(std::make_shared<const std::string>(
        encode_ws_error("invalid_argument", "too many subscriptions on one connection", format,
                        req.request_id)));
    return;
  }
  // The confirmation is encoded now: its answer then takes the connection's
  // lock at once (between the first view's delivery, which adds the topic,
  // and the answer, the subscribe counts twice against the cap).
  std::shared_ptr<const std::string> confirmation;
  if (!req.request_id.empty())
    confirmation = std::make_shared<const std::string>(encode_subscribed(req.request_id, format));
  // The answer, on any thread (usually the shard's).
  subscribe(req, client,
            [this, client, format, id = req.request_id, confirmation](SubscribeResult r) mutable {
              if (r.error != Error::kOk) {
                const bool auth = r.error == Error::kUnauthorized || r.error == Error::kForbidden;
                client->subscribe_failed(
                    [&] { return encode_ws_error(to_string(r.error), r.message, format, id); },
                    auth);
                return;
              }
              if (client->subscribe_ok(r.topics, std::move(confirmation))) return;
              std::weak_ptr<Subscriber> weak = client;
              for (const Topic& t : r.topics) unsubscribe(t, weak);
            });
}

}  // namespace qc::gw
