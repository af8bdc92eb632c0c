// Live-push subscriptions, routed and authorized: a subscribe goes to the
// shard that owns what it names (a patient's token, a session, an area);
// the Authorizer (authorizer.h: may_follow() before, Authorizer::follow()
// there) decides whether the credential may follow it;
// then server/live/subscriptions.h follow() registers the subscriber and
// sends its first views. An unsubscribe goes to the shard that owns the
// topic. (The subscription itself lives in server/live/; this file is only
// what needs the runtime: shards and authorization.)
//
// Thread-safety: both may be called from any thread; `done` runs on a shard
// thread (or the caller's, for a request refused before any shard) and must
// only post onward.
#pragma once

#include <functional>
#include <memory>

#include "server/live/relay.h"
#include "server/live/subscriptions.h"
#include "server/live/topic.h"
#include "server/runtime/auth.h"
#include "server/runtime/runtime.h"

namespace qc::gw {

void live_subscribe(Runtime& runtime, const KeyStore& keys, const FollowRequest& req,
                    const std::shared_ptr<Subscriber>& sub, std::function<void(SubscribeResult)> done);
void live_unsubscribe(Runtime& runtime, const Topic& topic, const std::weak_ptr<Subscriber>& sub);

// Cluster mode (server/live/relay.h): node `node` asks, for one of its
// clients, to follow `req` in format `f` on this node's partition. The same
// routing and authorization as live_subscribe(); then the partition's relay
// follows the topics for that node, and `done` gets the topics and the
// first views (or the refusal), the partition's epoch and views seq.
void relay_subscribe(Runtime& runtime, const KeyStore& keys, const FollowRequest& req, Format f,
                     std::string node, std::function<void(FollowAnswer)> done);
void relay_unsubscribe(Runtime& runtime, const Topic& topic, Format f, std::string node);

}  // namespace qc::gw
