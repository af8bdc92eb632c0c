#include "server/runtime/subscribe.h"

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

// The authorization of a subscribe, part 1, before any shard: what the
// credential alone decides. Sets *who for the kinds that need a key.
Error may_ask(const FollowRequest& req, const KeyStore& keys, Principal* who, std::string* message) {
  switch (req.kind) {
    case TopicKind::kPatient:
      // The token itself is the credential: the shard resolves it (follow()).
      if (req.token.empty()) {
        *message = "a patient token is needed";
        return Error::kUnauthorized;
      }
      return Error::kOk;
    case TopicKind::kStaff:
      *who = keys.authenticate(req.token);
      if (who->role != Role::kAdmin && who->role != Role::kNurse) {
        *message = "a staff key is needed";
        return who->role == Role::kNone ? Error::kUnauthorized : Error::kForbidden;
      }
      return Error::kOk;
    case TopicKind::kDisplay:
      *who = keys.authenticate(req.token);
      return Error::kOk;
    case TopicKind::kBoard:  // public
    case TopicKind::kOwn:
      return Error::kOk;
  }
  return Error::kOk;
}

// Part 2, on the owning shard: authorize() with the target's facts.
Error may_follow(const FollowRequest& req, const Principal& who, ShardContext& ctx,
                 std::string* message) {
  Error e = Error::kOk;
  switch (req.kind) {
    case TopicKind::kDisplay:
      e = authorize(who, Op::kReadDisplay, ctx.target_of_area(req.id));
      if (e != Error::kOk) *message = "a display token of this area or staff working here needed";
      return e;
    case TopicKind::kStaff:
      e = authorize(who, Op::kReadStaff, ctx.target_of_session(req.id));
      if (e != Error::kOk) *message = "this key may not follow that session";
      return e;
    case TopicKind::kPatient:
    case TopicKind::kOwn:
    case TopicKind::kBoard:
      return Error::kOk;
  }
  return e;
}

}  // namespace

void live_subscribe(Runtime& runtime, const KeyStore& keys, const FollowRequest& req,
                    const std::shared_ptr<Subscriber>& sub, std::function<void(SubscribeResult)> done) {
  Principal who;
  SubscribeResult refused;
  refused.error = may_ask(req, keys, &who, &refused.message);
  if (refused.error != Error::kOk) return done(std::move(refused));
  std::weak_ptr<Subscriber> weak = sub;
  ReadFn on_shard = [req, who = std::move(who), weak = std::move(weak), done = std::move(done)](ShardContext& ctx) {
    auto s = weak.lock();
    if (!s) return;
    SubscribeResult r;
    r.error = may_follow(req, who, ctx, &r.message);
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
