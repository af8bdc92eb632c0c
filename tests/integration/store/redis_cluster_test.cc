// The cluster's lease and membership client (store/redis_cluster.h) against
// a real redis-server: the cluster's shape, leases with a growing epoch,
// renewal, loss, release, expiry, members, ids, and bounded waits when
// Redis is gone or hangs.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "store/redis_cluster.h"
#include "tests/integration/store/redis_client.h"
#include "tests/support/redis_server.h"

namespace qc::journal {
namespace {

using namespace std::chrono_literals;
using test::redis_text;

RedisAddress at(int port) {
  RedisAddress a;
  a.port = port;
  return a;
}

struct Fixture {
  test::RedisServer redis;
  std::unique_ptr<RedisCluster> cluster;
  void start(int timeout_ms = 1000) {
    std::string error;
    ASSERT_TRUE(redis.start(&error)) << error;
    cluster = RedisCluster::open(at(redis.port()), "qc", timeout_ms, &error);
    ASSERT_TRUE(cluster) << error;
  }
};

TEST(RedisCluster, OpenRefusesAMalformedAddress) {
  std::string error;
  RedisAddress a;
  a.port = 0;
  EXPECT_FALSE(RedisCluster::open(a, "qc", 100, &error));
  EXPECT_NE(error.find("bad port"), std::string::npos) << error;
  EXPECT_FALSE(RedisCluster::open(at(6379), "", 100, &error));
  EXPECT_NE(error.find("prefix"), std::string::npos) << error;
  EXPECT_TRUE(RedisCluster::open(at(6379), "qc", 100, &error));  // lazy: no connection yet
}

TEST(RedisCluster, InitKeepsTheNumberOfPartitions) {
  Fixture f;
  ASSERT_NO_FATAL_FAILURE(f.start());
  std::string error;
  ASSERT_TRUE(f.cluster->init(16, &error)) << error;
  ASSERT_TRUE(f.cluster->init(16, &error)) << error;
  EXPECT_FALSE(f.cluster->init(8, &error));
  EXPECT_NE(error.find("has 16 partitions, not 8"), std::string::npos) << error;
  EXPECT_FALSE(f.cluster->init(0, &error));
  auto c = test::redis_connect(f.redis);
  ASSERT_TRUE(c);
  EXPECT_EQ(redis_text(c.get(), {"HGET", "qc:cluster", "partitions"}), "16");
  EXPECT_EQ(redis_text(c.get(), {"HGET", "qc:cluster", "hash"}), "fnv1a64");
  EXPECT_EQ(redis_text(c.get(), {"HGET", "qc:cluster", "version"}), "1");
}

TEST(RedisCluster, OneHolderAtATimeAndEachTakeOverRaisesTheEpoch) {
  Fixture f;
  ASSERT_NO_FATAL_FAILURE(f.start());
  std::string error, holder;
  bool acquired = false;
  std::uint64_t epoch = 0;
  ASSERT_TRUE(f.cluster->acquire(3, "n1", 5000, &acquired, &epoch, &holder, &error)) << error;
  EXPECT_TRUE(acquired);
  EXPECT_EQ(epoch, 1u);
  ASSERT_TRUE(f.cluster->acquire(3, "n2", 5000, &acquired, &epoch, &holder, &error)) << error;
  EXPECT_FALSE(acquired);
  EXPECT_EQ(holder, "n1 1");
  ASSERT_TRUE(f.cluster->acquire(3, "n1", 5000, &acquired, &epoch, &holder, &error)) << error;
  EXPECT_FALSE(acquired);  // not even its holder takes it twice
  // Only the holder, with its epoch, releases it.
  bool released = true;
  ASSERT_TRUE(f.cluster->release(3, "n2", 1, &error, &released)) << error;
  EXPECT_FALSE(released);
  ASSERT_TRUE(f.cluster->release(3, "n1", 7, &error, &released)) << error;
  EXPECT_FALSE(released);
  ASSERT_TRUE(f.cluster->release(3, "n1", 1, &error, &released)) << error;
  EXPECT_TRUE(released);
  ASSERT_TRUE(f.cluster->acquire(3, "n2", 5000, &acquired, &epoch, &holder, &error)) << error;
  EXPECT_TRUE(acquired);
  EXPECT_EQ(epoch, 2u);
  EXPECT_EQ(holder, "n2 2");
  // Another partition has its own epoch.
  ASSERT_TRUE(f.cluster->acquire(4, "n1", 5000, &acquired, &epoch, &holder, &error)) << error;
  EXPECT_TRUE(acquired);
  EXPECT_EQ(epoch, 1u);
  EXPECT_FALSE(f.cluster->acquire(5, "bad name", 5000, &acquired, &epoch, &holder, &error));
  EXPECT_NE(error.find("without spaces"), std::string::npos) << error;
  EXPECT_FALSE(f.cluster->acquire(5, "n1", 0, &acquired, &epoch, &holder, &error));
  EXPECT_NE(error.find("lease_ms must be > 0"), std::string::npos) << error;
  std::vector<RedisCluster::Lease> leases;
  ASSERT_TRUE(f.cluster->leases(6, &leases, &error)) << error;
  EXPECT_EQ(leases[5].current_epoch, 0u);  // refused before anything was written
}

TEST(RedisCluster, ALeaseExpiresUnlessRenewed) {
  Fixture f;
  ASSERT_NO_FATAL_FAILURE(f.start());
  std::string error, holder;
  bool acquired = false;
  std::uint64_t e0 = 0, e1 = 0;
  ASSERT_TRUE(f.cluster->acquire(0, "n1", 250, &acquired, &e0, &holder, &error)) << error;
  ASSERT_TRUE(acquired);
  ASSERT_TRUE(f.cluster->acquire(1, "n1", 250, &acquired, &e1, &holder, &error)) << error;
  ASSERT_TRUE(acquired);
  std::vector<int> lost;
  // Partition 0 renewed for 3 lease lengths; partition 1 only at first.
  for (int i = 0; i < 8; ++i) {
    std::vector<std::pair<int, std::uint64_t>> held = {{0, e0}};
    if (i == 0) held.push_back({1, e1});
    ASSERT_TRUE(f.cluster->renew("n1", "10.0.0.1:8080", held, 250, &lost, &error)) << error;
    EXPECT_TRUE(lost.empty()) << i;
    std::this_thread::sleep_for(100ms);
  }
  std::vector<RedisCluster::Lease> leases;
  ASSERT_TRUE(f.cluster->leases(3, &leases, &error)) << error;
  ASSERT_EQ(leases.size(), 3u);
  EXPECT_EQ(leases[0].node, "n1");
  EXPECT_EQ(leases[0].epoch, e0);
  EXPECT_GT(leases[0].ttl_ms, 0);
  EXPECT_LE(leases[0].ttl_ms, 250);
  EXPECT_EQ(leases[0].current_epoch, e0);
  EXPECT_EQ(leases[1].node, "");  // expired
  EXPECT_EQ(leases[1].ttl_ms, -2);
  EXPECT_EQ(leases[1].current_epoch, e1);
  EXPECT_EQ(leases[2].node, "");
  EXPECT_EQ(leases[2].current_epoch, 0u);
  // The expired one is reported lost, and anyone may take it, with a new epoch.
  ASSERT_TRUE(f.cluster->renew("n1", "10.0.0.1:8080", {{0, e0}, {1, e1}}, 250, &lost, &error))
      << error;
  EXPECT_EQ(lost, std::vector<int>{1});
  std::uint64_t e = 0;
  ASSERT_TRUE(f.cluster->acquire(1, "n2", 250, &acquired, &e, &holder, &error)) << error;
  EXPECT_TRUE(acquired);
  EXPECT_EQ(e, e1 + 1);
}

TEST(RedisCluster, RenewReportsALeaseAnotherNodeTook) {
  Fixture f;
  ASSERT_NO_FATAL_FAILURE(f.start());
  std::string error, holder;
  bool acquired = false;
  std::uint64_t e0 = 0, e1 = 0, e2 = 0;
  ASSERT_TRUE(f.cluster->acquire(0, "n1", 5000, &acquired, &e0, &holder, &error)) << error;
  ASSERT_TRUE(f.cluster->acquire(1, "n1", 5000, &acquired, &e1, &holder, &error)) << error;
  ASSERT_TRUE(f.cluster->acquire(2, "n1", 5000, &acquired, &e2, &holder, &error)) << error;
  // Partition 2's lease vanished behind n1's back (its pause outlived the
  // lease) and n2 took it.
  auto c = test::redis_connect(f.redis);
  ASSERT_TRUE(c);
  ASSERT_EQ(redis_text(c.get(), {"DEL", "qc:{p2}:lease"}), "1");
  std::uint64_t e = 0;
  ASSERT_TRUE(f.cluster->acquire(2, "n2", 5000, &acquired, &e, &holder, &error)) << error;
  ASSERT_TRUE(acquired);
  std::vector<int> lost;
  ASSERT_TRUE(f.cluster->renew("n1", "a1", {{0, e0}, {1, e1}, {2, e2}}, 5000, &lost, &error))
      << error;
  EXPECT_EQ(lost, std::vector<int>{2});
  EXPECT_EQ(redis_text(c.get(), {"GET", "qc:{p2}:lease"}), "n2 " + std::to_string(e));
  // A renewal of an older epoch of one's own lease is lost too.
  ASSERT_TRUE(f.cluster->renew("n1", "a1", {{0, e0 + 1}}, 5000, &lost, &error)) << error;
  EXPECT_EQ(lost, std::vector<int>{0});
  // Renewing nothing is fine (membership only).
  ASSERT_TRUE(f.cluster->renew("n3", "a3", {}, 5000, &lost, &error)) << error;
  EXPECT_TRUE(lost.empty());
}

TEST(RedisCluster, MembersAppearAndExpire) {
  Fixture f;
  ASSERT_NO_FATAL_FAILURE(f.start());
  std::string error;
  std::vector<int> lost;
  ASSERT_TRUE(f.cluster->renew("n2", "10.0.0.2:8080", {}, 5000, &lost, &error)) << error;
  ASSERT_TRUE(f.cluster->renew("n1", "10.0.0.1:8080", {}, 250, &lost, &error)) << error;
  std::vector<RedisCluster::Member> members;
  ASSERT_TRUE(f.cluster->members(&members, &error)) << error;
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].node, "n1");  // sorted by node
  EXPECT_EQ(members[0].address, "10.0.0.1:8080");
  EXPECT_EQ(members[1].node, "n2");
  EXPECT_GT(members[1].expires_ms, members[0].expires_ms);
  std::this_thread::sleep_for(400ms);
  ASSERT_TRUE(f.cluster->members(&members, &error)) << error;
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].node, "n2");
  auto c = test::redis_connect(f.redis);
  ASSERT_TRUE(c);
  EXPECT_EQ(redis_text(c.get(), {"HLEN", "qc:members"}), "2");  // readers only skip it
  ASSERT_TRUE(f.cluster->renew("n2", "10.0.0.2:8080", {}, 5000, &lost, &error)) << error;
  EXPECT_EQ(redis_text(c.get(), {"HLEN", "qc:members"}), "1");  // renew drops it
  ASSERT_TRUE(f.cluster->leave("n2", &error)) << error;
  ASSERT_TRUE(f.cluster->members(&members, &error)) << error;
  EXPECT_TRUE(members.empty());
}

TEST(RedisCluster, LooksUpGlobalIds) {
  Fixture f;
  ASSERT_NO_FATAL_FAILURE(f.start());
  auto c = test::redis_connect(f.redis);
  ASSERT_TRUE(c);
  ASSERT_EQ(redis_text(c.get(), {"HSET", "qc:ids", "s:s1", "7"}), "1");
  std::string error;
  bool found = false;
  int p = -1;
  ASSERT_TRUE(f.cluster->lookup_id("s:s1", &found, &p, &error)) << error;
  EXPECT_TRUE(found);
  EXPECT_EQ(p, 7);
  ASSERT_TRUE(f.cluster->lookup_id("s:nope", &found, &p, &error)) << error;
  EXPECT_FALSE(found);
}

// Nobody listening: refused at once. A hung server: each call gives up
// within its timeout; the next call after it recovers reconnects.
TEST(RedisCluster, AnUnreachableRedisFailsWithinTheTimeout) {
  std::string error;
  auto dead = RedisCluster::open(at(test::free_port()), "qc", 300, &error);
  ASSERT_TRUE(dead) << error;
  bool acquired = true;
  std::uint64_t epoch = 0;
  std::string holder;
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(dead->acquire(0, "n1", 1000, &acquired, &epoch, &holder, &error));
  EXPECT_FALSE(acquired);
  EXPECT_NE(error.find("cannot connect"), std::string::npos) << error;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1000ms);

  Fixture f;
  ASSERT_NO_FATAL_FAILURE(f.start(300));
  ASSERT_TRUE(f.cluster->init(4, &error)) << error;
  f.redis.freeze();
  std::vector<int> lost;
  t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(f.cluster->renew("n1", "a1", {{0, 1}}, 1000, &lost, &error));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1000ms);
  EXPECT_NE(error.find("timed out"), std::string::npos) << error;
  f.redis.thaw();
  ASSERT_TRUE(f.cluster->init(4, &error)) << error;
}

}  // namespace
}  // namespace qc::journal
