#include "server/api/cluster_handler.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "proto/codec.h"
#include "server/api/decode.h"
#include "server/runtime/authorizer.h"
#include "server/runtime/command_facts.h"
#include "server/runtime/directory.h"
#include "server/runtime/partition.h"
#include "server/runtime/subscribe.h"
#include "server/wire/wire.h"

namespace qc::gw {

namespace pb = ::queuecast::v1;

namespace {

using Steady = std::chrono::steady_clock;

bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

HttpResponse retry_later(int status, std::string_view code, std::string_view message, Format f) {
  HttpResponse r = error_response(status, code, message, f);
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

bool is_not_owner(const HttpResponse& r) {
  return r.status == 503 && r.body.find("not_owner") != std::string::npos;
}

}  // namespace

struct ClusterHandler::Pending {
  HttpRequest req;
  Respond respond;
  int partition = 0;
  Steady::time_point until;
  bool resend_ok = false;  // keyed or a read: may be sent again after a broken forward
};

ClusterHandler::ClusterHandler(Service& inner, ClusterMember& member, ForwardFn forward,
                               std::string secret, Mirror* mirror)
    : inner_(inner),
      member_(member),
      forward_(std::move(forward)),
      secret_(std::move(secret)),
      metrics_(inner.metrics()),
      mirror_(mirror) {}

std::vector<std::pair<std::string, std::string>> ClusterHandler::peer_headers(const std::string& client,
                                                                            int partition) const {
  return {{"Queuecast-Forwarded", member_.options().node_id + " " + secret_ + " " +
                                      std::to_string(partition) + " " + client}};
}

int ClusterHandler::lookup(int map, const std::string& id) {
  if (id.empty()) return kAny;
  const int known = inner_.runtime().known_partition(map, id);
  if (known >= 0) return known;
  const int p = member_.lookup(map, id);
  if (p == ClusterMember::kUnreachable) return kNoRedis;
  return p >= 0 && p < member_.partitions() ? p : kAny;
}

int ClusterHandler::partition_of(const HttpRequest& req, Command* decoded, bool* have) {
  Command scratch;
  bool scratch_have = false;
  if (!decoded) decoded = &scratch, have = &scratch_have;
  *have = false;
  // The request's command, as Service would decode it (decode_command()).
  auto decode = [](const Route& route, const HttpRequest& r, Command* out, bool* ok) {
    std::string msg;
    *ok = decode_command(route, r.body, body_format(r.content_type), out, &msg) == Error::kOk;
    return *ok;
  };
  const Route route = parse_route(req.method, req.target);
  Runtime& rt = inner_.runtime();
  // The partition of one command; sessions created earlier in the same
  // batch are in `created`.
  auto of_body = [&](const CommandBody& b, std::unordered_map<std::string, int>* created) -> int {
    if (const auto* cs = std::get_if<CreateSession>(&b)) {
      const int p = rt.partition_of_area(cs->spec.area);
      if (created) (*created)[cs->spec.session_id] = p;
      return p;
    }
    if (const std::string* s = session_of(b)) {
      if (created)
        if (auto it = created->find(*s); it != created->end()) return it->second;
      return lookup(Directory::kSession, *s);
    }
    if (const std::string* t = ticket_of(b)) return lookup(Directory::kTicket, *t);
    if (const std::string* h = hold_of(b)) return lookup(Directory::kHold, *h);
    return kAny;
  };
  switch (route.id) {
    case RouteId::kSessionGet:
    case RouteId::kBoard:
      return lookup(Directory::kSession, route.id1);
    case RouteId::kSessionCommand: {
      const int p = lookup(Directory::kSession, route.id1);
      if (p >= 0 && decode(route, req, decoded, have)) note_ids_elsewhere(decoded->body, p);
      return p;
    }
    case RouteId::kHoldCommand:
      return lookup(Directory::kHold, route.id1);
    case RouteId::kTicketCommand:
    case RouteId::kTicketGet:
      return lookup(Directory::kTicket, route.id1);
    case RouteId::kDisplay:
      return rt.partition_of_area(route.id1);
    case RouteId::kMe:
      return lookup(Directory::kToken, bearer_credential(req));
    case RouteId::kCheckInBy: {
      if (!route.id1.empty()) return lookup(Directory::kSession, route.id1);
      pb::CheckInBy by;
      std::string msg;
      if (body_format(req.content_type) == Format::kProto) {
        if (!by.ParseFromArray(req.body.data(), static_cast<int>(req.body.size()))) return kAny;
      } else if (codec::parse_json(req.body, &by, &msg) != Error::kOk) {
        return kAny;
      }
      if (!by.token().empty()) return lookup(Directory::kToken, by.token());
      if (!by.session_id().empty()) return lookup(Directory::kSession, by.session_id());
      return kAny;
    }
    case RouteId::kCommands:
    case RouteId::kSessionCreate: {
      if (!decode(route, req, decoded, have)) return kAny;
      const int p = of_body(decoded->body, nullptr);
      if (p >= 0) note_ids_elsewhere(decoded->body, p);
      return p;
    }
    case RouteId::kCommandBatch: {
      std::vector<BatchCommand> items;
      std::string msg;
      if (!decode_batch(req.body, body_format(req.content_type), inner_.config().limits.batch_commands,
                        &items, &msg)
               .empty())
        return kAny;
      std::unordered_map<std::string, int> created;
      int p = kAny;
      for (const BatchCommand& c : items) {
        if (c.error != Error::kOk) continue;
        const int q = of_body(c.command.body, &created);
        if (q == kNoRedis) return q;
        if (q == kAny) continue;
        if (p == kAny) p = q;
        else if (p != q) return kSpans;
      }
      return p;
    }
    default:
      return kAny;
  }
}

// A command that creates a chosen id (a session, ticket or hold id) which
// the cluster's id map gives to another partition: this node's directory
// learns it, so the shard refuses the command (409 already_exists) instead
// of its commit being refused by the fence script (QCID, a 503).
void ClusterHandler::note_ids_elsewhere(const CommandBody& b, int partition) {
  const auto [map, id] = server_wide_id(b);
  if (!id || inner_.runtime().known_partition(map, *id) >= 0) return;
  const int other = member_.lookup(map, *id);
  if (other >= 0 && other != partition) inner_.runtime().note_partition(map, *id, other);
}

bool ClusterHandler::forwarded_by_peer(HttpRequest& req, int* partition) const {
  // "<node> <secret> <partition> <client>": the partition as the entry node
  // found it (-1: none), so that the owner does not decode the request again.
  std::string_view v = req.forwarded;
  const auto a = v.find(' ');
  if (a == std::string_view::npos) return false;
  const auto b = v.find(' ', a + 1);
  const std::string_view secret = v.substr(a + 1, b == std::string_view::npos ? v.npos : b - a - 1);
  if (secret_.empty() || !same_secret(secret, secret_)) return false;
  if (partition) *partition = kAny;
  if (b == std::string_view::npos) return true;
  const auto c = v.find(' ', b + 1);
  const std::string_view p = v.substr(b + 1, c == std::string_view::npos ? v.npos : c - b - 1);
  int n = -1;
  const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
  if (partition && ec == std::errc() && end == p.data() + p.size() && n >= 0 && n < member_.partitions())
    *partition = n;
  if (c != std::string_view::npos && c + 1 < v.size()) req.client.assign(v.substr(c + 1));
  return true;
}

void ClusterHandler::local(HttpRequest req, Respond respond, int partition, Command* decoded) {
  std::string epoch;
  if (partition >= 0)
    if (const Ownership* own = inner_.runtime().ownership(partition))
      epoch = std::to_string(own->serving.load(std::memory_order_acquire));
  inner_.handle(std::move(req), [respond = std::move(respond), node = member_.options().node_id,
                                 epoch = std::move(epoch),
                                 partition = std::to_string(partition)](HttpResponse r) {
    r.headers.emplace_back("Queuecast-Node", node);
    if (!epoch.empty()) {
      r.headers.emplace_back("Queuecast-Epoch", epoch);
      r.headers.emplace_back("Queuecast-Partition", partition);
    }
    respond(std::move(r));
  }, decoded);
}

void ClusterHandler::handle(HttpRequest req, Respond respond) {
  const Format out = response_format(req.accept);
  if (req.method == "GET" && (req.target == "/v1/cluster" || req.target.rfind("/v1/cluster?", 0) == 0)) {
    // Admins only: which node serves what (docs/cluster.md, "Operations").
    std::string_view why;
    if (Error e = may_ask(inner_.authenticate(req), Ask::kCluster, &why); e != Error::kOk)
      return respond(error_response(e, why, out));
    HttpResponse r;
    r.body = member_.status_json();
    r.headers.emplace_back("Queuecast-Node", member_.options().node_id);
    return respond(std::move(r));
  }
  if (req.target.rfind("/internal/", 0) == 0) {
    if (req.forwarded.empty() || req.method != "POST" || !forwarded_by_peer(req))
      return respond(error_response(404, "not_found", "no such endpoint", out));
    if (req.target == "/internal/v1/follow") return follow_for_peer(req, std::move(respond));
    if (req.target == "/internal/v1/unfollow") return unfollow_for_peer(req, std::move(respond));
    return respond(error_response(404, "not_found", "no such endpoint", out));
  }
  if (!req.forwarded.empty()) {
    int p = kAny;
    if (!forwarded_by_peer(req, &p))
      return respond(error_response(Error::kForbidden, "not a cluster peer", out));
    // Never forwarded again: served here, or the entry node asks again.
    if (p >= 0 && !member_.owner(p).local)
      return respond(retry_later(503, "not_owner", "this node does not serve the partition", out));
    return local(std::move(req), std::move(respond), p, nullptr);
  }
  // The command is decoded once, here, and handed to Service with the request.
  Command cmd;
  bool decoded = false;
  const int p = partition_of(req, &cmd, &decoded);
  if (decoded && std::holds_alternative<DefineChannel>(cmd.body))
    return to_every_node(std::move(req), std::move(respond));
  // Not "unknown": whether the id exists is for Redis to say (a failover).
  if (p == kNoRedis)
    return respond(retry_later(503, "unavailable", "the cluster's Redis did not answer; retry", out));
  if (p == kSpans)
    return respond(error_response(400, "batch_spans_partitions",
                                  "in a cluster a batch addresses the sessions of one partition "
                                  "(one waiting area); send one batch per area",
                                  out));
  if (p == kAny || member_.owner(p).local)
    return local(std::move(req), std::move(respond), p, decoded ? &cmd : nullptr);
  auto pending = std::make_shared<Pending>();
  pending->partition = p;
  pending->until = Steady::now() + std::chrono::milliseconds(member_.options().forward_wait_ms);
  pending->resend_ok = req.method == "GET" || !req.idempotency_key.empty();
  pending->req = std::move(req);
  pending->respond = std::move(respond);
  attempt(std::move(pending));
}

// A channel definition goes into every partition's journal: each node
// applies it to the partitions it serves. The answer is the first error,
// else one node's answer.
void ClusterHandler::to_every_node(HttpRequest req, Respond respond) {
  const Format out = response_format(req.accept);
  std::vector<std::string> remote;
  bool here = false;
  for (int p = 0; p < member_.partitions(); ++p) {
    const ClusterMember::Owner o = member_.owner(p);
    if (o.local) {
      here = true;
    } else if (o.address.empty()) {
      return respond(retry_later(503, "unavailable",
                                 "a partition is being taken over; retry the channel definition", out));
    } else if (std::find(remote.begin(), remote.end(), o.address) == remote.end()) {
      remote.push_back(o.address);
    }
  }
  struct Join {
    std::mutex mu;
    std::size_t left = 0;
    std::optional<HttpResponse> error, ok;
    Respond respond;
  };
  auto join = std::make_shared<Join>();
  join->left = remote.size() + (here ? 1 : 0);
  join->respond = std::move(respond);
  auto answer = [join](HttpResponse r) {
    std::unique_lock lock(join->mu);
    if (r.status >= 300) {
      if (!join->error) join->error = std::move(r);
    } else if (!join->ok) {
      join->ok = std::move(r);
    }
    if (--join->left != 0) return;
    HttpResponse final = join->error ? std::move(*join->error) : std::move(*join->ok);
    lock.unlock();
    join->respond(std::move(final));
  };
  for (const std::string& address : remote) {
    metrics_.forwarded.fetch_add(1, std::memory_order_relaxed);
    forward_(address, req, peer_headers(req.client, kAny), [answer, out](ForwardResult f) {
      answer(f.ok ? std::move(f.response)
                  : retry_later(503, "unavailable", "a node did not answer; retry the channel definition", out));
    });
  }
  if (here) local(std::move(req), answer, kAny, nullptr);
}

void ClusterHandler::attempt(std::shared_ptr<Pending> p) {
  const Format out = response_format(p->req.accept);
  const ClusterMember::Owner o = member_.owner(p->partition);
  if (o.local) return local(std::move(p->req), std::move(p->respond), p->partition, nullptr);
  auto again = [this](std::shared_ptr<Pending> q, const char* code, const char* message) {
    // Waits for an owner within the budget, unless this node is stopping.
    if (Steady::now() + std::chrono::milliseconds(50) < q->until &&
        member_.defer(std::chrono::milliseconds(50), [this, q] { attempt(q); }))
      return;
    q->respond(retry_later(503, code, message, response_format(q->req.accept)));
  };
  if (o.address.empty())
    return again(std::move(p), "unavailable",
                 "the partition is being taken over by another node; retry with the same Idempotency-Key");
  metrics_.forwarded.fetch_add(1, std::memory_order_relaxed);
  forward_(o.address, p->req, peer_headers(p->req.client, p->partition),
           [this, p, again, out](ForwardResult r) mutable {
    if (r.ok) {
      if (is_not_owner(r.response))
        return again(std::move(p), "unavailable", "the partition moved to another node; retry");
      return p->respond(std::move(r.response));
    }
    metrics_.forward_failures.fetch_add(1, std::memory_order_relaxed);
    if (!r.maybe_sent || p->resend_ok)
      return again(std::move(p), "unavailable",
                   "the node serving the partition did not answer; retry with the same Idempotency-Key");
    p->respond(retry_later(503, "unavailable",
                           "the node serving the partition did not answer; the command may have "
                           "been applied (send an Idempotency-Key to retry safely)",
                           out));
  });
}

// ---- Live views across nodes ----

namespace {

const char* content_type_of(Format f) {
  return f == Format::kProto ? "application/x-protobuf" : "application/json";
}

}  // namespace

void ClusterHandler::client_message(std::string_view bytes, const std::shared_ptr<WsClient>& client) {
  ClientRequest req;
  std::string msg;
  if (!mirror_ || decode_client_message(bytes, client->format(), &req, &msg) != Error::kOk)
    return inner_.client_message(bytes, client);  // answers the error
  if (req.kind != ClientRequest::kSubscribe) return inner_.client_request(req, client);
  const FollowRequest fr = follow_request(req);
  int p = kAny;
  switch (fr.kind) {
    case TopicKind::kPatient:
    case TopicKind::kOwn:
      p = lookup(Directory::kToken, fr.token);
      break;
    case TopicKind::kBoard:
    case TopicKind::kStaff:
      p = lookup(Directory::kSession, fr.id);
      break;
    case TopicKind::kDisplay:
      p = inner_.runtime().partition_of_area(fr.id);
      break;
  }
  if (p < 0 || member_.owner(p).local) return inner_.client_request(req, client);
  remote_subscribe(p, std::string(bytes), req.request_id, client);
}

void ClusterHandler::remote_subscribe(int p, std::string bytes, std::string request_id,
                                      const std::shared_ptr<WsClient>& client) {
  const Format format = client->format();
  if (!client->reserve_subscribe()) {
    client->send_control(std::make_shared<const std::string>(encode_ws_error(
        "invalid_argument", "too many subscriptions on one connection", format, request_id)));
    return;
  }
  std::shared_ptr<const std::string> confirmation;
  if (!request_id.empty())
    confirmation = std::make_shared<const std::string>(encode_subscribed(request_id, format));
  // A refusal is told as on one node; a transient failure (no owner yet,
  // the owner did not answer, the partition moved) also closes the
  // connection with 1012, so that the client reconnects and subscribes again
  // (web/api.js does) instead of staying without its view.
  auto fail = [client, format, request_id](const std::string& code, const std::string& message) {
    client->subscribe_failed([&] { return encode_ws_error(code, message, format, request_id); },
                             code == "unauthorized" || code == "forbidden");
    if (code == "unavailable") client->reconnect_elsewhere();
  };
  const ClusterMember::Owner o = member_.owner(p);
  if (o.address.empty())
    return fail("unavailable", "the view's partition is being taken over; subscribe again");
  mirror_->expect(p, o.epoch);
  HttpRequest fr;
  fr.method = "POST";
  fr.target = "/internal/v1/follow";
  fr.body = std::move(bytes);
  fr.content_type = content_type_of(format);
  fr.host = o.address;
  metrics_.forwarded.fetch_add(1, std::memory_order_relaxed);
  forward_(o.address, std::move(fr), peer_headers("", p),
           [this, p, client, confirmation, fail, format, owner = o.address](ForwardResult r) mutable {
             FollowAnswer a;
             if (!r.ok || r.response.status != 200 || !decode_follow_answer(r.response.body, &a)) {
               metrics_.forward_failures.fetch_add(1, std::memory_order_relaxed);
               mirror_->abandon(p);
               return fail("unavailable", "the node serving this view did not answer; subscribe again");
             }
             if (!a.error.empty()) {
               mirror_->abandon(p);
               return fail(a.error, a.message);
             }
             if (!mirror_->add(p, a, client)) {
               for (const Topic& t : a.topics) send_unfollow(owner, t, format);
               return fail("unavailable", "the view's partition moved; subscribe again");
             }
             if (client->subscribe_ok(a.topics, std::move(confirmation))) return;
             std::weak_ptr<Subscriber> weak = client;
             for (const Topic& t : a.topics) unsubscribe(t, weak);
           });
}

void ClusterHandler::send_unfollow(const std::string& address, const Topic& topic, Format format) {
  HttpRequest req;
  req.method = "POST";
  req.target = "/internal/v1/unfollow";
  req.body = encode_unfollow(topic, format);
  req.content_type = "application/octet-stream";
  req.host = address;
  forward_(address, std::move(req), peer_headers("", kAny), [](ForwardResult) {});
}

void ClusterHandler::unsubscribe(const Topic& topic, const std::weak_ptr<Subscriber>& sub) {
  int p = -1;
  Format format = Format::kJson;
  bool last = false;
  if (mirror_ && mirror_->remove(topic, sub, &p, &format, &last)) {
    if (!last) return;
    const ClusterMember::Owner o = member_.owner(p);
    if (!o.local && !o.address.empty()) send_unfollow(o.address, topic, format);
    return;
  }
  inner_.unsubscribe(topic, sub);
}

void ClusterHandler::follow_for_peer(HttpRequest& req, Respond respond) {
  const Format format = body_format(req.content_type);
  const std::string node = req.forwarded.substr(0, req.forwarded.find(' '));
  ClientRequest cr;
  std::string msg;
  FollowAnswer a;
  if (Error e = decode_client_message(req.body, format, &cr, &msg); e != Error::kOk) {
    a.error = std::string(to_string(e));
    a.message = std::move(msg);
  } else if (cr.kind != ClientRequest::kSubscribe) {
    a.error = "invalid_argument";
    a.message = "not a subscribe";
  }
  auto answer = [respond = std::move(respond)](FollowAnswer a) {
    HttpResponse r;
    r.content_type = "application/octet-stream";
    r.body = encode_follow_answer(a);
    respond(std::move(r));
  };
  if (!a.error.empty()) return answer(std::move(a));
  inner_.relay_subscribe(follow_request(cr), format, node, std::move(answer));
}

void ClusterHandler::unfollow_for_peer(HttpRequest& req, Respond respond) {
  const std::string node = req.forwarded.substr(0, req.forwarded.find(' '));
  Topic t;
  Format f;
  if (!decode_unfollow(req.body, &t, &f))
    return respond(error_response(400, "invalid_argument", "not an unfollow", Format::kJson));
  relay_unsubscribe(inner_.runtime(), t, f, node);
  HttpResponse r;
  r.status = 204;
  respond(std::move(r));
}

}  // namespace qc::gw
