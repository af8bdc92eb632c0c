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

void relay_subscribe(Runtime& runtime, const KeyStore& keys, const FollowRequest& req, Format f,
                     std::string node, std::function<void(FollowAnswer)> done) {
  Principal who;
  std::string message;
  if (Error e = may_follow(req, keys, &who, &message); e != Error::kOk) {
    FollowAnswer a;
    a.error = std::string(to_string(e));
    a.message = std::move(message);
    return done(std::move(a));
  }
  ReadFn on_shard = [req, f, who = std::move(who), node = std::move(node),
                     done = std::move(done)](ShardContext& ctx) {
    FollowAnswer a;
    if (!ctx.relays || ctx.epoch == 0) {
      a.error = "unavailable";
      a.message = "the partition is not served by this node; retry";
      return done(std::move(a));
    }
    Error e = Authorizer(ctx.engine).follow(who, req, &a.message);
    auto collector = std::make_shared<Collector>(f);
    SubscribeResult r;
    if (e == Error::kOk) {
      r = follow(ctx.engine, ctx.hub, ctx.now, req, collector);
      e = r.error;
      a.message = std::move(r.message);
    }
    if (e != Error::kOk) {
      a.error = std::string(to_string(e));
      return done(std::move(a));
    }
    for (const Topic& t : r.topics) {
      ctx.relays->follow(ctx.hub, t, ctx.hub.session_of(t), f, node);
      ctx.hub.remove(t, collector);
    }
    a.topics = std::move(r.topics);
    a.views = std::move(collector->views);
    a.epoch = ctx.epoch;
    a.seq = ctx.last_seq;
    done(std::move(a));
  };
  if (req.kind == TopicKind::kPatient) return runtime.read_token(req.token, std::move(on_shard));
  read_owner(runtime, req.kind, req.id, std::move(on_shard));
}

void relay_unsubscribe(Runtime& runtime, const Topic& topic, Format f, std::string node) {
  read_owner(runtime, topic.kind, topic.key, [topic, f, node = std::move(node)](ShardContext& ctx) {
    if (ctx.relays) ctx.relays->unfollow(ctx.hub, topic, f, node);
  });
}

void live_unsubscribe(Runtime& runtime, const Topic& topic, const std::weak_ptr<Subscriber>& sub) {
  read_owner(runtime, topic.kind, topic.key, [topic, sub](ShardContext& ctx) { ctx.hub.remove(topic, sub); });
}

}  // namespace qc::gw
