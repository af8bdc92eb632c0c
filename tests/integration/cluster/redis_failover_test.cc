// The cluster's Redis itself (docs/operations.md "Redis for a cluster"):
//   6. with `wait_replicas: 1` and a sentinel:// URL, kill -9 of the Redis
//      primary under keyed load: Sentinel promotes a replica, the nodes take
//      their partitions again on it, and every acknowledged command is
//      there exactly once;
//   with `wait_replicas: 1` and the replica stopped (SIGSTOP), commands
//   fail with 503 after wait_timeout_ms: nothing is acknowledged that the
//   replica lacks;
//   and a new Redis server behind the address (another run_id) makes every
//   node step down and take its partitions again with new epochs.
// Real redis-servers and Sentinels (`redis-server conf --sentinel`) on
// loopback, three queuecastd nodes.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/cluster/cluster_harness.h"
#include "tests/integration/store/redis_client.h"

namespace {

using namespace qc::test::cluster;

// Field `name` of SENTINEL MASTER's reply (a flat field/value array).
std::string master_field(redisContext* c, const std::string& name) {
  auto r = qc::test::redis_run(c, {"SENTINEL", "MASTER", "queuecast"});
  if (!r || r->type != REDIS_REPLY_ARRAY) return "";
  for (std::size_t i = 0; i + 1 < r->elements; i += 2)
    if (std::string(r->element[i]->str, r->element[i]->len) == name)
      return std::string(r->element[i + 1]->str, r->element[i + 1]->len);
  return "";
}

// A primary, two replicas, three Sentinels (quorum 2, down-after 1000 ms).
// Two replicas: with wait_replicas 1 the promoted replica needs a replica
// of its own before any commit succeeds again, and Sentinel repoints the
// other one at it as part of the failover (the killed primary would come
// back as a replica only seconds after it restarts).
struct RedisSet {
  qc::test::RedisServer primary, replicas[2], sentinels[3];

  void start() {
    std::string error;
    ASSERT_TRUE(primary.start(&error)) << error;
    for (auto& r : replicas) ASSERT_TRUE(r.start_replica(primary.port(), &error)) << error;
    for (auto& s : sentinels) {
      s.set_sentinel(
          {"sentinel monitor queuecast 127.0.0.1 " + std::to_string(primary.port()) + " 2",
           "sentinel down-after-milliseconds queuecast 1000",
           "sentinel failover-timeout queuecast 10000"});
      ASSERT_TRUE(s.start(&error)) << error;
    }
    // Each Sentinel knows the replicas and the two other Sentinels.
    const auto until = Steady::now() + 20s;
    for (auto& s : sentinels) {
      auto c = qc::test::redis_connect(s);
      ASSERT_TRUE(c);
      while (Steady::now() < until && (master_field(c.get(), "num-other-sentinels") != "2" ||
                                       master_field(c.get(), "num-slaves") != "2"))
        std::this_thread::sleep_for(100ms);
      ASSERT_EQ(master_field(c.get(), "num-other-sentinels"), "2");
      ASSERT_EQ(master_field(c.get(), "num-slaves"), "2");
    }
  }
  std::string url() const {
    std::string hosts;
    for (const auto& s : sentinels)
      hosts += (hosts.empty() ? "" : ",") + ("127.0.0.1:" + std::to_string(s.port()));
    return "sentinel://" + hosts + "/queuecast/0";
  }
  // The primary's port as Sentinel 0 names it (0: no answer).
  int primary_port() {
    auto c = qc::test::redis_connect(sentinels[0]);
    if (!c) return 0;
    auto r = qc::test::redis_run(c.get(), {"SENTINEL", "get-master-addr-by-name", "queuecast"});
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) return 0;
    return std::atoi(r->element[1]->str);
  }
};

// How many times the session's view holds ticket `id`.
int copies(int port, const std::string& sid, const std::string& id) {
  qc::test::HttpClient http(port);
  auto r = http.request("GET", "/v1/sessions/" + sid, "", kAdmin);
  const std::string needle = "\"ticketId\":\"" + id + "\"";
  int n = 0;
  for (std::size_t at = 0; (at = r.body.find(needle, at)) != std::string::npos; ++at) ++n;
  return n;
}

TEST(RedisFailover, WithWaitNothingAcknowledgedIsLostWhenSentinelPromotesTheReplica) {
  RedisSet redis;
  redis.start();
  if (HasFatalFailure()) return;
  const int old_primary = redis.primary.port();
  Cluster c(3, 1500, redis.url(), R"("wait_replicas":1,"wait_timeout_ms":500,)");
  ASSERT_TRUE(ready(c));
  const std::vector<std::string> sids{"fo0", "fo1", "fo2"};
  for (std::size_t a = 0; a < sids.size(); ++a)
    create_session(c.node(0).port(), sids[a], "area-fo-" + std::to_string(a));
  const std::vector<int> ports{c.node(0).port(), c.node(1).port(), c.node(2).port()};
  std::atomic<bool> stop{false}, killed{false};
  std::atomic<int> after_kill{0};
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> acknowledged;  // (session, ticket)
  std::vector<std::string> problems;
  std::thread load([&] {
    for (int i = 0; !stop; ++i) {
      const std::string sid = sids[static_cast<std::size_t>(i) % sids.size()];
      const std::string id = sid + "-t" + std::to_string(i);
      const bool late = killed;
      Sent s =
          send_until_done(ports, static_cast<std::size_t>(i), "k-" + id, walk_in(sid, id), 40s);
      std::lock_guard lock(mu);
      if (!s.unexpected.empty()) problems.push_back(s.unexpected);
      if (s.answer.status != 201) {
        problems.push_back(id + " never acknowledged");
        continue;
      }
      acknowledged.emplace_back(sid, id);
      if (late) ++after_kill;
    }
  });
  std::this_thread::sleep_for(1500ms);
  const auto kill_at = Steady::now();
  redis.primary.kill9();
  killed = true;
  // Sentinel promotes a replica; the nodes serve again on it.
  while (Steady::now() - kill_at < 30s && (redis.primary_port() == old_primary || after_kill < 30))
    std::this_thread::sleep_for(100ms);
  const auto back_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - kill_at).count();
  stop = true;
  load.join();
  EXPECT_NE(redis.primary_port(), old_primary) << "Sentinel promoted no replica";
  EXPECT_GE(after_kill.load(), 30) << "the cluster did not serve again on the new primary";
  std::printf(
      "redis failover: %zu commands acknowledged, %d after the kill; 30 of them within %lld ms\n",
      acknowledged.size(), after_kill.load(), static_cast<long long>(back_ms));
  for (const auto& p : problems) ADD_FAILURE() << p;
  // Every acknowledged walk-in exactly once, through every node.
  for (const auto& [sid, id] : acknowledged)
    for (int port : ports) EXPECT_EQ(copies(port, sid, id), 1) << id << " via " << port;
}

TEST(RedisFailover, WithWaitAndTheReplicaStoppedCommandsFailAndNothingIsAcknowledged) {
  qc::test::RedisServer primary, replica;
  std::string error;
  ASSERT_TRUE(primary.start(&error)) << error;
  ASSERT_TRUE(replica.start_replica(primary.port(), &error)) << error;
  Cluster c(3, 1500, primary.url(), R"("wait_replicas":1,"wait_timeout_ms":500,)");
  ASSERT_TRUE(ready(c));
  create_session(c.node(0).port(), "ws", "area-ws");
  const std::vector<int> ports{c.node(0).port(), c.node(1).port(), c.node(2).port()};
  ASSERT_EQ(send_until_done(ports, 0, "k-ws-0", walk_in("ws", "ws-0")).answer.status, 201);
  replica.freeze();
  // Every command while the replica is stopped: 503 (the first after the
  // WAIT's timeout; the shard then stays degraded until a probe write is
  // confirmed).
  for (int i = 1; i <= 6; ++i) {
    const std::string id = "ws-" + std::to_string(i);
    qc::test::HttpClient http(ports[static_cast<std::size_t>(i) % 3], 5000);
    auto r = http.request("POST", "/v1/commands", walk_in("ws", id),
                          kAdmin + "Idempotency-Key: k-" + id + "\r\n");
    EXPECT_EQ(r.status, 503) << id << ": " << r.body;
  }
  replica.thaw();
  // Retried with their keys: each applied once (the first had landed on the
  // primary before its WAIT failed).
  for (int i = 1; i <= 6; ++i) {
    const std::string id = "ws-" + std::to_string(i);
    Sent s = send_until_done(ports, static_cast<std::size_t>(i), "k-" + id, walk_in("ws", id));
    EXPECT_EQ(s.answer.status, 201) << id << ": " << s.answer.body;
  }
  for (int i = 0; i <= 6; ++i) EXPECT_EQ(copies(ports[0], "ws", "ws-" + std::to_string(i)), 1) << i;
  // And the replica has what was acknowledged: its copy of the session's
  // journal holds every ticket.
  auto r = qc::test::redis_connect(replica);
  std::string all;
  for (int part = 0; part < kPartitions; ++part) {
    auto x = qc::test::redis_run(r.get(),
                                 {"XRANGE", "qc:{p" + std::to_string(part) + "}:log", "-", "+"});
    for (std::size_t e = 0; x && x->type == REDIS_REPLY_ARRAY && e < x->elements; ++e) {
      const redisReply* fields = x->element[e]->element[1];
      for (std::size_t f = 0; f < fields->elements; ++f)
        all.append(fields->element[f]->str, fields->element[f]->len);
    }
  }
  for (int i = 0; i <= 6; ++i)
    EXPECT_NE(all.find("ws-" + std::to_string(i)), std::string::npos) << i;
}

// Partition -> the epoch its key holds, as GET /v1/cluster on `port` says.
std::map<int, long long> epochs(int port) {
  qc::test::HttpClient http(port, 2000);
  auto r = http.request("GET", "/v1/cluster", "", kAdmin);
  std::map<int, long long> out;
  for (std::size_t at = 0; (at = r.body.find("{\"partition\":", at)) != std::string::npos; ++at) {
    const int p = std::atoi(r.body.c_str() + at + 13);
    const auto e = r.body.find("\"epoch\":", at);
    if (e != std::string::npos) out[p] = std::atoll(r.body.c_str() + e + 8);
  }
  return out;
}

// Another Redis server behind the same address (here redis-server
// restarted from its AOF, with the leases still unexpired in it): the
// nodes see a new run_id, step down from every partition, release it and
// take it again with a new epoch, well before the leases would expire.
TEST(RedisFailover, ANewRedisServerMakesEveryNodeTakeItsPartitionsAgain) {
  Cluster c(3, 8000);
  ASSERT_TRUE(c.settled(c.ids(), 30s));
  define_web_channel(c.node(0).port());
  create_session(c.node(0).port(), "rs", "area-rs");
  const std::vector<int> ports{c.node(0).port(), c.node(1).port(), c.node(2).port()};
  ASSERT_EQ(send_until_done(ports, 0, "k-rs-0", walk_in("rs", "rs-0")).answer.status, 201);
  const auto before = epochs(ports[0]);
  ASSERT_EQ(before.size(), static_cast<std::size_t>(kPartitions));
  c.redis().kill9();
  std::string error;
  ASSERT_TRUE(c.redis().start(&error)) << error;
  const auto restarted = Steady::now();
  // Every partition taken again (a new epoch, an owner), within less than
  // the 8 s lease: released, not expired.
  bool again = false;
  while (!again && Steady::now() - restarted < 7s) {
    std::this_thread::sleep_for(200ms);
    const auto now = epochs(ports[0]);
    const auto owners = c.owners();
    again = now.size() == before.size() && owners.size() == before.size();
    for (const auto& [p, e] : before) again = again && now.count(p) && now.at(p) > e;
  }
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - restarted).count();
  EXPECT_TRUE(again) << "the partitions were not all taken again within 7 s";
  std::printf("new redis server: every partition taken again within %lld ms (lease 8000 ms)\n",
              static_cast<long long>(ms));
  for (int i = 1; i <= 5; ++i) {
    Sent s = send_until_done(ports, static_cast<std::size_t>(i), "k-rs-" + std::to_string(i),
                             walk_in("rs", "rs-" + std::to_string(i)));
    EXPECT_EQ(s.answer.status, 201) << s.answer.body;
  }
  for (int i = 0; i <= 5; ++i) EXPECT_EQ(copies(ports[1], "rs", "rs-" + std::to_string(i)), 1) << i;
}

}  // namespace
