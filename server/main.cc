// queuecastd: the queue server. See docs/operations.md.
#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>

#include "store/journal.h"
#include "server/runtime/auth.h"
#include "server/infra/clock.h"
#include "server/infra/config.h"
#include "proto/codec.h"
#include "server/demo_clinic.h"
#include "server/net/http_server.h"
#include "server/net/peer_client.h"
#include "server/api/cluster_handler.h"
#include "server/runtime/cluster_member.h"
#include "store/redis_cluster.h"
#include "store/redis_pubsub.h"
#include "server/live/mirror.h"
#include "server/infra/log.h"
#include "server/infra/metrics.h"
#include "server/infra/sched.h"
#include "store/redis_asio.h"
#include "store/threaded_journal.h"
#include "server/runtime/runtime.h"
#include "server/api/service.h"

namespace {

using namespace qc;
using namespace qc::gw;

// The store URL of shard i (shard 0: the URL itself).
std::string shard_url(const std::string& url, int i) {
  if (i == 0 || url.rfind("memory:", 0) == 0) return url;
  if (url.rfind("redis://", 0) == 0 || url.rfind("sentinel://", 0) == 0) {
    auto q = url.find("?key=");
    if (q != std::string::npos) return url + "-" + std::to_string(i);
    return url + "?key=queuecast-" + std::to_string(i);
  }
  auto dot = url.rfind(".db");
  if (dot != std::string::npos && dot + 3 == url.size())
    return url.substr(0, dot) + "-" + std::to_string(i) + ".db";
  return url + "-" + std::to_string(i);
}

void create_demo_clinic(Runtime& runtime) {
  for (Command& c : demo_clinic_commands(runtime.clock().now())) {
    std::promise<CommandOutcome> p;
    auto f = p.get_future();
    CommandRequest r;
    r.command = std::move(c);
    r.principal.role = Role::kAdmin;
    r.principal.id = "demo";
    r.done = [&p](CommandOutcome o) { p.set_value(std::move(o)); };
    std::string name(command_name(r.command.body));
    runtime.submit(std::move(r));
    CommandOutcome o = f.get();
    if (o.error != Error::kOk && o.error != Error::kAlreadyExists)
      log_event("warn", "demo_clinic", {{"command", name}, {"error", to_string(o.error)}, {"message", o.message}});
  }
  log_event("info", "demo_clinic_ready", {});
}

// Binds the server to config.listen; *bound = the address it got ("host:port").
// On failure says why and stops the runtime.
bool listen_on(Server& server, const Config& config, Runtime& runtime, std::string* bound) {
  std::string error;
  if (!server.listen(config.listen, &error)) {
    std::fprintf(stderr, "queuecastd: %s\n", error.c_str());
    runtime.stop();
    return false;
  }
  *bound = config.listen.substr(0, config.listen.rfind(':')) + ":" + std::to_string(server.port());
  return true;
}

RuntimeOptions runtime_options(const Config& config) {
  RuntimeOptions ro;
  ro.shards = config.shards;
  ro.engine = config.engine;
  ro.snapshot_every = static_cast<std::uint64_t>(config.snapshot_every);
  ro.commit_depth = static_cast<std::size_t>(config.commit_depth);
  ro.commit_wake = config.commit_wake;
  ro.push_backlog = static_cast<std::size_t>(config.push_backlog);
  return ro;
}

// Cluster mode (docs/cluster.md): one journal per partition in the
// cluster's Redis, served while this node holds the partition's lease;
// requests for partitions served elsewhere are forwarded there.
int run_cluster_node(Config& config) {
  const ClusterConfig& cc = config.cluster;
  const char* secret = std::getenv("QUEUECAST_CLUSTER_SECRET");
  if (!secret || std::string_view(secret).size() < 16) {
    std::fprintf(stderr, "queuecastd: cluster mode needs QUEUECAST_CLUSTER_SECRET (16 characters or more), "
                         "the same on every node\n");
    return 2;
  }
  if (!config.store.empty() || config.shards != 1) {
    std::fprintf(stderr, "queuecastd: in cluster mode the partitions are the store and the shards: "
                         "leave \"store\" and \"shards\" out\n");
    return 2;
  }
  std::string error;
  // sentinel://: the primary now (every connection asks the Sentinels again
  // when it reconnects).
  journal::RedisAddress primary;
  if (!journal::resolve_redis(cc.redis, &primary, &error)) {
    std::fprintf(stderr, "queuecastd: cluster redis %s: %s\n", cc.redis.c_str(), error.c_str());
    return 1;
  }
  if (!primary.sentinels.empty())
    log_event("info", "redis_primary", {{"master", primary.master},
                                        {"address", primary.host + ":" + std::to_string(primary.port)}});
  std::vector<std::unique_ptr<journal::Journal>> journals;
  for (int p = 0; p < cc.partitions; ++p) {
    const std::string url = cc.redis + "?key=" + journal::partition_key(cc.key, p);
    journal::OpenReport report;
    journal::OpenOptions oo;
    // WAIT after each commit's EVAL (and after a probe write): a commit is
    // durable once the replicas confirm it. Every commit's deadline leaves
    // room for its WAIT.
    oo.redis_wait_replicas = cc.wait_replicas;
    oo.redis_wait_timeout_ms = cc.wait_timeout_ms;
    if (cc.wait_replicas > 0) oo.timeout_ms = std::max(oo.timeout_ms, cc.wait_timeout_ms + 1000);
    auto j = open_redis_asio(url, oo, &report, &error);
    if (!j) {
      std::fprintf(stderr, "queuecastd: cannot open partition %d at %s: %s\n", p, url.c_str(), error.c_str());
      return 1;
    }
    if (p == 0)
      for (const auto& n : report.notes) log_event("warn", "store_note", {{"store", url}, {"detail", n}});
    journals.push_back(std::move(j));
  }
  auto clock = make_clock(config.clock_start, config.clock_speed);
  KeyStore keys(config.keys);
  Metrics metrics;
  // Views across nodes: each owner publishes the views other nodes follow
  // (one message per group) to its partition's channel; every node takes
  // all channels into its mirror (server/live/relay.h, mirror.h).
  journal::RedisAddress redis_address;
  if (!journal::parse_redis_url(cc.redis, &redis_address, &error)) {
    std::fprintf(stderr, "queuecastd: %s\n", error.c_str());
    return 2;
  }
  journal::RedisPublisher publisher(redis_address, 1000);
  Mirror mirror(cc.partitions, &metrics.pubsub_lag);
  journal::RedisSubscriber subscriber(
      redis_address, cc.key + ":{p*}:views", 1000,
      [&mirror](std::string_view, std::string_view message) { mirror.on_message(message); },
      [&mirror] {
        log_event("warn", "pubsub_resync", {{"reason", "subscription lost"}});
        mirror.reset_all();
      });
  RuntimeOptions ro = runtime_options(config);
  ro.shards = cc.partitions;
  ro.cluster = true;
  ro.cluster_prefix = cc.key;
  ro.publish_views = [&publisher, prefix = cc.key](int p, std::string message) {
    publisher.publish(journal::partition_key(prefix, p) + ":views", std::move(message));
  };
  Runtime runtime(ro, *clock, metrics,
                  [&journals](int i) { return std::move(journals[static_cast<std::size_t>(i)]); });
  if (!runtime.recover(&error)) {
    std::fprintf(stderr, "queuecastd: %s\n", error.c_str());
    return 1;
  }
  runtime.start();
  Service service(config, runtime, keys, metrics);
  ClusterOptions co;
  co.redis = cc.redis;
  co.prefix = cc.key;
  co.node_id = cc.node_id;
  co.partitions = cc.partitions;
  co.lease_ms = cc.lease_ms;
  co.renew_ms = cc.renew_ms;
  co.forward_wait_ms = cc.forward_wait_ms;
  co.wait_replicas = cc.wait_replicas;
  co.wait_timeout_ms = cc.wait_timeout_ms;
  ClusterMember member(co, runtime, metrics);
  member.on_owner_change = [&mirror](int p, std::uint64_t epoch) { mirror.reset(p, epoch); };
  metrics.extra = [&member, &mirror, &publisher](std::string* out) {
    member.render_metrics(out);
    *out += "# HELP queuecast_stale_views_dropped_total Views from other nodes dropped as not newer.\n"
            "# TYPE queuecast_stale_views_dropped_total counter\nqueuecast_stale_views_dropped_total " +
            std::to_string(mirror.stale_dropped()) + "\n";
    *out += "# HELP queuecast_views_published_total View messages published for other nodes.\n"
            "# TYPE queuecast_views_published_total counter\nqueuecast_views_published_total " +
            std::to_string(publisher.published()) + "\n";
    *out += "# HELP queuecast_views_publish_dropped_total View messages that could not be published.\n"
            "# TYPE queuecast_views_publish_dropped_total counter\nqueuecast_views_publish_dropped_total " +
            std::to_string(publisher.dropped()) + "\n";
  };
  member.on_member_left = [&runtime](const std::string& node) {
    runtime.read_all(
        [node](ShardContext& ctx) {
          if (ctx.relays) ctx.relays->forget_node(ctx.hub, node);
        },
        [] {});
  };
  PeerClient peers;
  ClusterHandler handler(
      service, member,
      [&peers](const std::string& address, HttpRequest req,
               std::vector<std::pair<std::string, std::string>> headers,
               std::function<void(ForwardResult)> done) {
        peers.forward(address, std::move(req), std::move(headers),
                      [done = std::move(done)](PeerClient::Result r) {
                        ForwardResult f;
                        f.ok = r.ok;
                        f.maybe_sent = r.maybe_sent;
                        f.why = std::move(r.why);
                        f.response = std::move(r.response);
                        done(std::move(f));
                      });
      },
      secret, &mirror);
  Server server(handler, config.limits, config.trusted_proxies, metrics);
  std::string bound;
  if (!listen_on(server, config, runtime, &bound)) return 1;
  co.advertise = cc.advertise_address.empty() ? bound : cc.advertise_address;
  // The member learns its address only now (port 0 = any free port).
  if (!member.start(co.advertise, &error)) {
    std::fprintf(stderr, "queuecastd: cluster: %s\n", error.c_str());
    runtime.stop();
    return 1;
  }
  log_event("info", "listening",
            {{"address", bound}, {"node", cc.node_id}, {"advertise", co.advertise},
             {"cluster", cc.redis}, {"partitions", std::to_string(cc.partitions)},
             {"keys", std::to_string(keys.size())}, {"now", format_rfc3339(clock->now())}});
  std::printf("listening %s\n", bound.c_str());
  std::fflush(stdout);
  // SIGTERM: hand the partitions over first (their successors take them at
  // once), then drain the connections.
  server.run(config.io_threads, [&member] { member.stop(); });
  member.stop();
  runtime.stop();
  log_event("info", "stopped", {});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // The network and shard threads allocate and free a few KiB per command in
  // their own malloc arenas; glibc's default trims an arena's top as soon as
  // 128 KiB are free and grows it again moments later (an mprotect and page
  // faults every few groups). Keep up to 16 MiB, grow by 1 MiB.
  mallopt(M_TRIM_THRESHOLD, 16 << 20);
  mallopt(M_TOP_PAD, 1 << 20);
  Config config;
  std::string error;
  int rc = parse_flags(argc, argv, &config, &error);
  if (rc == 2) return 0;
  if (rc != 0) {
    std::fprintf(stderr, "queuecastd: %s\n", error.c_str());
    return 2;
  }
  if (config.print_demo_commands) {
    // The demo clinic for a cluster (scripts/run --cluster): its nodes do
    // not create it in-process; the script sends these through the API.
    const Time now = make_clock(config.clock_start, config.clock_speed)->now();
    for (const Command& c : demo_clinic_commands(now))
      std::printf("%s\n", codec::command_to_json(c, now).c_str());
    return 0;
  }
  set_log_level(config.log_level);
  // Before any thread starts (they inherit it): server/infra/sched.h.
  {
    bool applied = false;
    std::string serr;
    if (!set_thread_slice(config.sched_slice_us, &applied, &serr))
      log_event("warn", "sched_slice_refused", {{"sched_slice_us", std::to_string(config.sched_slice_us)}, {"error", serr}});
  }

  if (config.cluster.enabled()) return run_cluster_node(config);
  if (config.store.empty()) config.store = "sqlite://" + config.data_dir + "/queuecast.db";
  if (config.store.rfind("sqlite://", 0) == 0) {
    std::error_code ec;
    std::filesystem::path p(config.store.substr(9));
    if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  }
  std::vector<std::unique_ptr<journal::Journal>> journals;
  for (int i = 0; i < config.shards; ++i) {
    std::string url = shard_url(config.store, i);
    journal::OpenReport report;
    journal::OpenOptions oo;
    oo.truncate_damaged = config.truncate_damaged_journal;
    oo.redis_wait_replicas = config.redis_wait_replicas;
    oo.redis_wait_timeout_ms = config.redis_wait_timeout_ms;
    if (config.redis_wait_replicas > 0)
      oo.timeout_ms = std::max(oo.timeout_ms, config.redis_wait_timeout_ms + 1000);
    // Redis: queuecastd writes through the Asio-driven client (redis_asio.h).
    const bool redis = url.rfind("redis://", 0) == 0 || url.rfind("sentinel://", 0) == 0;
    auto j = redis && !config.redis_sync
                 ? open_redis_asio(url, oo, &report, &error)
                 : journal::open(url, oo, &report, &error);
    if (!j) {
      log_event("error", "store_open_failed", {{"store", url}, {"error", error}});
      std::fprintf(stderr, "queuecastd: cannot open store %s: %s\n", url.c_str(), error.c_str());
      return 1;
    }
    // SQLite's append() blocks (inserts, WAL fsync): its commits run on a
    // thread of their own, so the shard applies and answers meanwhile.
    if (report.store == "sqlite" && config.sqlite_commit_thread) j = journal::with_commit_thread(std::move(j));
    for (const auto& d : report.dropped) log_event("warn", "store_dropped_tail", {{"store", url}, {"detail", d}});
    for (const auto& n : report.notes) log_event("warn", "store_note", {{"store", url}, {"detail", n}});
    journals.push_back(std::move(j));
  }

  auto clock = make_clock(config.clock_start, config.clock_speed);
  KeyStore keys(config.keys);
  Metrics metrics;
  RuntimeOptions ro = runtime_options(config);
  Runtime runtime(ro, *clock, metrics,
                  [&journals](int i) { return std::move(journals[static_cast<std::size_t>(i)]); });
  if (!runtime.recover(&error)) {
    std::fprintf(stderr, "queuecastd: recovery failed: %s\n", error.c_str());
    return 1;
  }
  runtime.start();
  if (config.demo_clinic) create_demo_clinic(runtime);

  Service service(config, runtime, keys, metrics);
  Server server(service, config.limits, config.trusted_proxies, metrics);
  std::string bound;
  if (!listen_on(server, config, runtime, &bound)) return 1;
  log_event("info", "listening",
            {{"address", bound}, {"store", config.store}, {"shards", std::to_string(config.shards)},
             {"keys", std::to_string(keys.size())}, {"clock_speed", std::to_string(config.clock_speed)},
             {"sched_slice_us", std::to_string(thread_slice_us())},
             {"now", format_rfc3339(clock->now())}});
  std::printf("listening %s\n", bound.c_str());
  std::fflush(stdout);

  server.run(config.io_threads, nullptr);
  runtime.stop();  // commits and answers whatever is still queued
  log_event("info", "stopped", {});
  return 0;
}
