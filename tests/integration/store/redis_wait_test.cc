// Redis with a replica and Sentinel (docs/operations.md "Redis for a
// cluster"): sentinel:// URLs, the WAIT option of the journals
// (OpenOptions::redis_wait_replicas) and of ACQUIRE, the primary's run_id.
// Real redis-servers: a primary, a replica, a Sentinel.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "store/journal.h"
#include "store/redis_asio.h"
#include "store/redis_cluster.h"
#include "store/redis_journal.h"
#include "tests/integration/store/outage_scenarios.h"
#include "tests/integration/store/redis_client.h"
#include "tests/support/redis_server.h"

namespace qc::journal {
namespace {

using scenarios::rec;
using Steady = std::chrono::steady_clock;

TEST(RedisUrl, ParsesSentinelUrls) {
  RedisAddress a;
  std::string error;
  ASSERT_TRUE(
      parse_redis_url("sentinel://h1:26380,h2,10.0.0.3:5/queuecast/2?key=qc:{p3}", &a, &error))
      << error;
  ASSERT_EQ(a.sentinels.size(), 3u);
  EXPECT_EQ(a.sentinels[0], std::make_pair(std::string("h1"), 26380));
  EXPECT_EQ(a.sentinels[1], std::make_pair(std::string("h2"), 26379));
  EXPECT_EQ(a.sentinels[2], std::make_pair(std::string("10.0.0.3"), 5));
  EXPECT_EQ(a.master, "queuecast");
  EXPECT_EQ(a.db, 2);
  EXPECT_EQ(a.key, "qc:{p3}");
  RedisAddress b;
  ASSERT_TRUE(parse_redis_url("sentinel://h1/queuecast", &b, &error)) << error;
  EXPECT_EQ(b.db, 0);
  EXPECT_TRUE(b.key.empty());
  for (const char* bad :
       {"sentinel://h1", "sentinel://h1/", "sentinel:///name", "sentinel://h1:x/name",
        "sentinel://h1,/name", "sentinel://h1/name/x", "sentinel://h1/name?k=1"}) {
    RedisAddress c;
    EXPECT_FALSE(parse_redis_url(bad, &c, &error)) << bad;
    EXPECT_NE(error.find("journal url"), std::string::npos) << error;
  }
  // redis:// passes through resolve_redis() without asking anyone.
  RedisAddress d;
  ASSERT_TRUE(resolve_redis("redis://10.1.2.3:7000/1", &d, &error)) << error;
  EXPECT_EQ(d.host, "10.1.2.3");
  EXPECT_EQ(d.port, 7000);
  EXPECT_TRUE(d.sentinels.empty());
}

TEST(RedisSentinel, ResolvesThePrimaryAndReportsWhenNoSentinelKnowsIt) {
  test::RedisServer primary, sentinel;
  std::string error;
  ASSERT_TRUE(primary.start(&error)) << error;
  sentinel.set_sentinel({"sentinel monitor qm 127.0.0.1 " + std::to_string(primary.port()) + " 1"});
  ASSERT_TRUE(sentinel.start(&error)) << error;
  const int dead = test::free_port();
  const std::string hosts =
      "127.0.0.1:" + std::to_string(dead) + ",127.0.0.1:" + std::to_string(sentinel.port());
  RedisAddress a;
  ASSERT_TRUE(resolve_redis("sentinel://" + hosts + "/qm/0", &a, &error)) << error;
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, primary.port());
  // The journal opens through it and writes to the primary.
  auto j = gw::open_redis_asio("sentinel://" + hosts + "/qm?key=s", OpenOptions{}, nullptr, &error);
  ASSERT_TRUE(j) << error;
  EXPECT_EQ(j->describe(), "redis://127.0.0.1:" + std::to_string(primary.port()) +
                               "/0 key s (primary of sentinel master qm)");
  std::vector<Record> b = {rec(1)};
  ASSERT_TRUE(j->append(b, &error)) << error;
  auto c = test::redis_connect(primary);
  EXPECT_EQ(test::redis_text(c.get(), {"XLEN", "s:log"}), "1");
  RedisAddress none;
  EXPECT_FALSE(resolve_redis("sentinel://" + hosts + "/other", &none, &error));
  EXPECT_NE(error.find("no Sentinel named the primary of \"other\""), std::string::npos) << error;
}

// The lease client on `server`, prefix "qc", 2 s timeout.
std::unique_ptr<RedisCluster> cluster_on(const test::RedisServer& server, std::string* error) {
  RedisAddress a;
  if (!parse_redis_url(server.url(), &a, error)) return nullptr;
  return RedisCluster::open(a, "qc", 2000, error);
}

OpenOptions wait_one() {
  OpenOptions o;
  o.redis_wait_replicas = 1;
  o.redis_wait_timeout_ms = 1000;  // generous: a busy machine may delay the replica
  o.timeout_ms = 3000;
  return o;
}

TEST(RedisWait, CommitsAreDurableOnceTheReplicaHasThemAndFailWhileItIsStopped) {
  test::RedisServer primary, replica;
  std::string error;
  ASSERT_TRUE(primary.start(&error)) << error;
  ASSERT_TRUE(replica.start_replica(primary.port(), &error)) << error;
  auto j = gw::open_redis_asio(primary.url("w"), wait_one(), nullptr, &error);
  ASSERT_TRUE(j) << error;
  // Pipelined: several commits in flight, each EVAL followed by its WAIT.
  std::uint64_t seq = 0;
  for (int round = 0; round < 20; ++round) {
    for (int k = 0; k < 3; ++k) {
      std::vector<Record> b = {rec(++seq), rec(++seq)};
      j->send(b);
    }
    for (int k = 0; k < 3; ++k)
      ASSERT_EQ(j->complete(true, &error), Journal::Commit::kDurable) << error;
  }
  EXPECT_EQ(j->last_seq(), seq);
  auto rc = test::redis_connect(replica);
  EXPECT_EQ(test::redis_text(rc.get(), {"XLEN", "w:log"}), "60");
  // The replica stops: the next commit lands on the primary but is not
  // confirmed: it fails after the WAIT's timeout, and so do the commits
  // behind it.
  replica.freeze();
  const auto t0 = Steady::now();
  std::vector<Record> b1 = {rec(++seq)}, b2 = {rec(++seq)};
  j->send(b1);
  j->send(b2);
  EXPECT_EQ(j->complete(true, &error), Journal::Commit::kFailed);
  EXPECT_EQ(j->status(), Status::kUnavailable);
  EXPECT_NE(error.find("0 of 1 replicas confirmed within 1000 ms (the replica did not confirm)"),
            std::string::npos)
      << error;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - t0).count();
  EXPECT_GE(ms, 950);
  EXPECT_LT(ms, 3000);
  EXPECT_EQ(j->complete(true, &error), Journal::Commit::kFailed);
  // A write is not "taken" while the replica does not confirm it.
  EXPECT_FALSE(j->probe_write(&error));
  EXPECT_NE(error.find("the replica did not confirm"), std::string::npos) << error;
  replica.thaw();
  ASSERT_TRUE(j->probe_write(&error)) << error;
  // The failed commit had landed on the primary (a failed commit's outcome
  // is for sync() to tell); the journal goes on after it.
  // (The commit behind it, blocked behind the WAIT when the connection
  // was dropped, may not have.)
  EXPECT_GE(j->last_seq(), seq - 1);
  std::vector<Record> b3 = {rec(++seq)};
  ASSERT_TRUE(j->append(b3, &error)) << error;
  // The synchronous store (--redis-sync) waits the same way.
  auto s = open(primary.url("ws"), wait_one(), nullptr, &error);
  ASSERT_TRUE(s) << error;
  std::vector<Record> c1 = {rec(1)};
  ASSERT_TRUE(s->append(c1, &error)) << error;
  replica.freeze();
  std::vector<Record> c2 = {rec(2)};
  EXPECT_FALSE(s->append(c2, &error));
  EXPECT_NE(error.find("the replica did not confirm"), std::string::npos) << error;
  replica.thaw();
}

// An EVAL refused (fenced) with its WAIT pipelined behind it: the refusal
// is the outcome (kFenced, not an unconfirmed WAIT), for the commits behind
// it too; the WAIT's late reply changes nothing.
TEST(RedisWait, AFencedCommitIsFencedNotUnconfirmed) {
  test::RedisServer primary, replica;
  std::string error;
  ASSERT_TRUE(primary.start(&error)) << error;
  ASSERT_TRUE(replica.start_replica(primary.port(), &error)) << error;
  auto c = test::redis_connect(primary);
  ASSERT_EQ(test::redis_text(c.get(), {"SET", "qc:{p1}:epoch", "4"}), "OK");
  auto j = gw::open_redis_asio(primary.url("qc:{p1}"), wait_one(), nullptr, &error);
  ASSERT_TRUE(j) << error;
  j->set_fence(partition_fence("qc", 1, 4));
  std::vector<Record> b1 = {rec(1)};
  ASSERT_TRUE(j->append(b1, &error)) << error;
  ASSERT_EQ(test::redis_text(c.get(), {"INCR", "qc:{p1}:epoch"}), "5");
  std::vector<Record> b2 = {rec(2)}, b3 = {rec(3)};
  j->send(b2);
  j->send(b3);
  EXPECT_EQ(j->complete(true, &error), Journal::Commit::kFailed);
  EXPECT_EQ(j->status(), Status::kFenced);
  EXPECT_NE(error.find("QCFENCED"), std::string::npos) << error;
  EXPECT_EQ(j->complete(true, &error), Journal::Commit::kFailed);
  EXPECT_EQ(j->status(), Status::kFenced);
  EXPECT_EQ(test::redis_text(c.get(), {"XLEN", "qc:{p1}:log"}), "1");
  // With the epoch back (as a new owner would hold it), commits go on.
  j->set_fence(partition_fence("qc", 1, 5));
  ASSERT_TRUE(j->sync(&error)) << error;
  std::vector<Record> b4 = {rec(2)};
  ASSERT_TRUE(j->append(b4, &error)) << error;
}

TEST(RedisWait, WithoutAReplicaAnAcquireIsNotConfirmedAndItsLeaseIsReleased) {
  test::RedisServer primary, replica;
  std::string error;
  ASSERT_TRUE(primary.start(&error)) << error;
  auto cluster = cluster_on(primary, &error);
  ASSERT_TRUE(cluster) << error;
  bool acquired = true;
  std::uint64_t epoch = 0;
  std::string holder;
  EXPECT_FALSE(cluster->acquire(0, "n1", 3000, &acquired, &epoch, &holder, &error, 1, 1000));
  EXPECT_FALSE(acquired);
  EXPECT_NE(error.find("the replica did not confirm"), std::string::npos) << error;
  std::vector<RedisCluster::Lease> leases;
  ASSERT_TRUE(cluster->leases(1, &leases, &error)) << error;
  EXPECT_TRUE(leases[0].node.empty()) << "the unconfirmed lease stays taken";
  ASSERT_TRUE(replica.start_replica(primary.port(), &error)) << error;
  ASSERT_TRUE(cluster->acquire(0, "n1", 3000, &acquired, &epoch, &holder, &error, 1, 1000))
      << error;
  EXPECT_TRUE(acquired);
  EXPECT_EQ(epoch, 2u);
  auto rc = test::redis_connect(replica);
  EXPECT_EQ(test::redis_text(rc.get(), {"GET", "qc:{p0}:epoch"}), "2");
}

TEST(RedisCluster, TheServerIdChangesWhenRedisIsAnotherServer) {
  test::RedisServer primary;
  std::string error;
  ASSERT_TRUE(primary.start(&error)) << error;
  auto cluster = cluster_on(primary, &error);
  ASSERT_TRUE(cluster) << error;
  std::string first, again;
  ASSERT_TRUE(cluster->server_id(&first, &error)) << error;
  EXPECT_EQ(first.size(), 40u) << first;
  ASSERT_TRUE(cluster->server_id(&again, &error)) << error;
  EXPECT_EQ(first, again);
  primary.kill9();
  ASSERT_TRUE(primary.start(&error)) << error;
  std::string other;
  // The old connection broke (the first call may fail); the next connects.
  if (!cluster->server_id(&other, &error)) {
    ASSERT_TRUE(cluster->server_id(&other, &error)) << error;
  }
  EXPECT_NE(other, first);
}

}  // namespace
}  // namespace qc::journal
