// Cluster mode: any node serves any client (docs/cluster.md, "Forwarding").
//
// ClusterHandler stands in front of Service. For each request it finds the
// partition the request addresses (the area's hash; a session, ticket,
// hold or patient token through this node's directory, else the cluster's
// id map in Redis) and:
//   - served here: Service answers it, with Queuecast-Node and
//     Queuecast-Epoch headers;
//   - served by another node: the request is forwarded as it came (same
//     credential, key and bytes: the owner authenticates, scopes the key and
//     fingerprints it itself) and the owner's answer relayed as is;
//   - no owner yet (a take-over in progress): the request waits for one up
//     to forward_wait_ms, then gets 503 with Retry-After.
// A forwarded request carries
// `Queuecast-Forwarded: <node> <secret> <partition> <client>`
// and is never forwarded again: a node that does not serve its partition
// answers 503 `not_owner`, and the entry node asks again. A keyed request
// whose forward broke after it was sent is re-sent within the wait (the
// owner answers it from its journal or applies it once); an unkeyed one is
// not (503).
//
// WebSocket subscriptions work on any node: one for a partition served
// elsewhere is authorized by the owner, which then publishes the topic's
// views to Redis for this node (server/live/relay.h, mirror.h).
// Not across nodes: lists over all sessions and check-in by patientRef alone
// see the partitions served here (docs/cluster.md).
//
// Thread-safety: as Handler.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "server/api/handler.h"
#include "server/api/service.h"
#include "server/live/mirror.h"
#include "server/runtime/cluster_member.h"

namespace qc::gw {

// What a forward to another node gave (server/net/peer_client.h fills it).
struct ForwardResult {
  bool ok = false;          // an HTTP answer came back
  bool maybe_sent = false;  // !ok: the request may have reached the peer
  std::string why;
  HttpResponse response;
};
using ForwardFn = std::function<void(const std::string& address, HttpRequest req,
                                     std::vector<std::pair<std::string, std::string>> headers,
                                     std::function<void(ForwardResult)> done)>;

class ClusterHandler final : public Handler {
 public:
  // `secret`: shared by the nodes (QUEUECAST_CLUSTER_SECRET); a request
  // claiming to be forwarded without it is refused.
  // `mirror`: the views of partitions served elsewhere (null: WebSocket
  // subscriptions are served only for partitions served here).
  ClusterHandler(Service& inner, ClusterMember& member, ForwardFn forward, std::string secret,
                 Mirror* mirror = nullptr);

  void handle(HttpRequest request, Respond respond) override;
  void set_draining() override { inner_.set_draining(); }
  HttpResponse refusal(int status, std::string_view code, std::string_view message) const override {
    return inner_.refusal(status, code, message);
  }
  std::optional<HttpResponse> refuse_upgrade(std::string_view target, std::string_view origin,
                                             std::string_view host) const override {
    return inner_.refuse_upgrade(target, origin, host);
  }
  // A subscribe to a partition served elsewhere is asked of its owner
  // (POST /internal/v1/follow); the client then follows the partition's
  // mirror here (server/live/mirror.h).
  void client_message(std::string_view bytes, const std::shared_ptr<WsClient>& client) override;
  void unsubscribe(const Topic& topic, const std::weak_ptr<Subscriber>& sub) override;

  // The partition `req` addresses: >= 0; kAny (no partition: pages,
  // health, lists, unknown ids: answered here); kSpans (a batch over
  // several partitions); kNoRedis (an id this node does not know and
  // Redis could not be asked about: 503). Public for tests.
  static constexpr int kAny = -1;
  static constexpr int kSpans = -2;
  static constexpr int kNoRedis = -3;  // an id's partition unknown here and Redis unreachable
  // With `decoded`: the request's command when it had to be decoded
  // (*have), for Service to use as is.
  int partition_of(const HttpRequest& req, Command* decoded = nullptr, bool* have = nullptr);

 private:
  struct Pending;
  void local(HttpRequest req, Respond respond, int partition, Command* decoded);
  void attempt(std::shared_ptr<Pending> p);
  void to_every_node(HttpRequest req, Respond respond);
  bool forwarded_by_peer(HttpRequest& req, int* partition = nullptr) const;
  int lookup(int map, const std::string& id);
  void note_ids_elsewhere(const CommandBody& b, int partition);
  void remote_subscribe(int partition, std::string bytes, std::string request_id,
                        const std::shared_ptr<WsClient>& client);
  // The internal endpoints another node calls (peer-authenticated).
  void follow_for_peer(HttpRequest& req, Respond respond);
  void send_unfollow(const std::string& address, const Topic& topic, Format format);
  void unfollow_for_peer(HttpRequest& req, Respond respond);
  std::vector<std::pair<std::string, std::string>> peer_headers(const std::string& client,
                                                                int partition) const;

  Service& inner_;
  ClusterMember& member_;
  ForwardFn forward_;
  std::string secret_;
  Metrics& metrics_;
  Mirror* mirror_;
};

}  // namespace qc::gw
