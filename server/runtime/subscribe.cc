#include "server/runtime/subscribe.h"

#include "server/runtime/authorizer.h"

#include <string>
#include <utility>

namespace qc::gw {

namespace {

// Runs `fn` on the shard that owns the topic (kind, key).
void read_owner(Runtime& runtime, TopicKind kind, std::string_view key, ReadFn fn) {
  switch (kind) {
    case TopicKind::kPatient:
    case TopicKind::kOwn:
      return runtime.read_ticket(key, std::move(fn));
    case TopicKind::kDisplay:
      return runtime.read_area(key, std::move(fn));
    case TopicKind::kBoard:
    case TopicKind::kStaff:
      return runtime.read_session(key, std::move(fn));
  }
}

}  // namespace

void live_subscribe(Runtime& runtime, const KeyStore& keys, const FollowRequest& req,
                    const std::shared_ptr<Subscriber>& sub, std::function<void(SubscribeResult)> done) {
  Principal who;
  SubscribeResult refused;
  refused.error = may_follow(req, keys, &who, &refused.message);
  if (refused.error != Error::kOk) return done(std::move(refused));
  std::weak_ptr<Subscriber> weak = sub;
  ReadFn on_shard = [req, who = std::move(who), weak = std::move(weak), done = std::move(done)](ShardContext& ctx) {
    auto s = weak.lock();
    if (!s) return;
    SubscribeResult r;
    r.error = Authorizer(ctx.engine).follow(who, req, &r.message);
    if (r.error == Error::kOk) r = follow(ctx.engine, ctx.hub, ctx.now, req, s);
    done(std::move(r));
  };
  // A patient's subscription is found by its token (the shard of its ticket).
  if (req.kind == TopicKind::kPatient) return runtime.read_token(req.token, std::move(on_shard));
  read_owner(runtime, req.kind, req.id, std::move(on_shard));
}

void live_unsubscribe(Runtime& runtime, const Topic& topic, const std::weak_ptr<Subscriber>& sub) {
  read_owner(runtime, topic.kind, topic.key, [topic, sub](ShardContext& ctx) { ctx.hub.remove(topic, sub); });
}

}  // namespace qc::gw
