// What the network side (server/net) asks of request handling: the HTTP
// message types and the handler interface that Service implements. Names no
// engine type (the network layer knows nothing of the engine; the build
// checks it: scripts/check-layers), so server/net includes this header of
// server/api and nothing else of it but rate_limit.h.
//
// Thread-safety: every Handler function may be called from any network
// thread concurrently; callbacks run on a shard thread or the caller's
// thread and must only post onward.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/live/subscriber.h"
#include "server/live/topic.h"
#include "server/wire/format.h"

namespace qc::gw {

struct HttpRequest {
  std::string method;
  std::string target;  // path and query
  std::string body;
  std::string content_type;
  std::string accept;
  std::string authorization;
  std::string idempotency_key;
  std::string origin;
  std::string host;
  std::string client;  // client address ("127.0.0.1")
  // Queuecast-Forwarded: set when a peer node forwarded the request to this
  // node, the partition's owner (docs/design/cluster.md section 5); "" when
  // it came from a client.
  std::string forwarded;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

using Respond = std::function<void(HttpResponse)>;

// A WebSocket connection, as the handler of its client messages sees it
// (server/net/ws_session.cc): a live subscriber with a cap on its
// subscriptions. Thread-safe.
class WsClient : public Subscriber {
 public:
  // Counts a subscribe about to go to a shard; false (nothing counted) when
  // the connection's subscriptions already reach their cap.
  virtual bool reserve_subscribe() = 0;
  // The answers to a reserved subscribe (any thread):
  // - refused: `encode_error()` (called only while the connection is open)
  //   is the error frame; `auth_failure`: a credential was refused;
  virtual void subscribe_failed(const std::function<std::string()>& encode_error,
                                bool auth_failure) = 0;
  // - accepted: the topics are the connection's, `confirmation` (null: none)
  //   is queued. False when the connection is closing: the caller
  //   unsubscribes the topics.
  virtual bool subscribe_ok(const std::vector<Topic>& topics,
                            std::shared_ptr<const std::string> confirmation) = 0;
};

class Handler {
 public:
  virtual ~Handler() = default;

  // Answers one request, exactly once, through `respond`.
  virtual void handle(HttpRequest request, Respond respond) = 0;
  // Readiness: false once shutting down.
  virtual void set_draining() = 0;
  // An error answer (JSON) the network side writes itself (a request it
  // could not read, a refused upgrade).
  virtual HttpResponse refusal(int status, std::string_view code,
                               std::string_view message) const = 0;

  // A WebSocket upgrade of `target` with this Origin (may be empty) to this
  // Host: the error answer when refused (not /v1/ws: 404; origin: 403).
  virtual std::optional<HttpResponse> refuse_upgrade(std::string_view target,
                                                     std::string_view origin,
                                                     std::string_view host) const = 0;
  // One message a WebSocket client sent (in client->format()): a ping or a
  // subscribe, answered through `client`.
  virtual void client_message(std::string_view bytes, const std::shared_ptr<WsClient>& client) = 0;
  // The connection no longer follows `topic`.
  virtual void unsubscribe(const Topic& topic, const std::weak_ptr<Subscriber>& sub) = 0;
};

}  // namespace qc::gw
