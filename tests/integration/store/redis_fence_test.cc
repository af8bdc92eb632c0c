// The partition fence in the Redis journal (docs/design/cluster.md section
// 3; store/journal.h Fence) against a real redis-server: a commit lands only
// while the partition's epoch is the writer's, records its claimed ids in
// the same script, and writes nothing when refused; the same through the
// pipelined writer (store/redis_asio.h) and for snapshots.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/journal.h"
#include "store/redis_asio.h"
#include "store/redis_cluster.h"
#include "store/redis_journal.h"
#include "store/threaded_journal.h"
#include "tests/integration/store/outage_scenarios.h"
#include "tests/integration/store/redis_client.h"
#include "tests/support/redis_server.h"

namespace qc::journal {
namespace {

using scenarios::count;
using scenarios::rec;
using test::redis_text;

Record claiming(std::uint64_t seq, std::vector<std::string> claims) {
  Record r = rec(seq);
  r.claims = std::move(claims);
  return r;
}

struct Fixture {
  test::RedisServer redis;
  test::RedisCtx c;
  std::string key = partition_key("qc", 3);  // "qc:{p3}"
  Fence fence;

  // Starts redis and sets partition 3's epoch to 5.
  void start() {
    std::string error;
    ASSERT_TRUE(redis.start(&error)) << error;
    c = test::redis_connect(redis);
    ASSERT_TRUE(c);
    ASSERT_EQ(redis_text(c.get(), {"SET", key + ":epoch", "5"}), "OK");
    fence = partition_fence("qc", 3, 5);
  }
  std::string xlen() { return redis_text(c.get(), {"XLEN", key + ":log"}); }
  // The synchronous store (or queuecastd's pipelined writer) on partition
  // 3's journal key, fenced with epoch 5.
  std::unique_ptr<Journal> fenced_journal(bool pipelined = false) {
    std::string error;
    auto j = pipelined ? gw::open_redis_asio(redis.url(key), OpenOptions{}, nullptr, &error)
                       : open(redis.url(key), OpenOptions{}, nullptr, &error);
    EXPECT_TRUE(j) << error;
    if (j) j->set_fence(fence);
    return j;
  }
};

TEST(RedisFence, PartitionKeysFollowTheLayout) {
  EXPECT_EQ(partition_key("qc", 7), "qc:{p7}");
  const Fence f = partition_fence("qc", 7, 9);
  EXPECT_EQ(f.epoch, 9u);
  EXPECT_EQ(f.epoch_key, "qc:{p7}:epoch");
  EXPECT_EQ(f.ids_key, "qc:ids");
  EXPECT_EQ(f.partition, 7);
}

TEST(RedisFence, ACommitLandsWithItsEpochThenAnotherTakeOverFencesIt) {
  Fixture f;
  ASSERT_NO_FATAL_FAILURE(f.start());
  std::string error;
  auto j = f.fenced_journal();
  ASSERT_TRUE(j);
  ASSERT_TRUE(j->append(std::vector<Record>{claiming(1, {"s:s1", "t:A001"}), rec(2, true)},
                        &error))
      << error;
  EXPECT_EQ(j->status(), Status::kOk);
  // The entry carries the epoch; the claims are the partition's.
  auto x = test::redis_run(f.c.get(), {"XRANGE", f.key + ":log", "-", "+"});
  ASSERT_TRUE(x && x->type == REDIS_REPLY_ARRAY && x->elements == 1);
  const redisReply* fields = x->element[0]->element[1];
  ASSERT_EQ(fields->elements, 4u);
  EXPECT_STREQ(fields->element[0]->str, "g");
  EXPECT_STREQ(fields->element[2]->str, "e");
  EXPECT_STREQ(fields->element[3]->str, "5");
  EXPECT_EQ(redis_text(f.c.get(), {"HGET", "qc:ids", "s:s1"}), "3");
  EXPECT_EQ(redis_text(f.c.get(), {"HGET", "qc:ids", "t:A001"}), "3");
  EXPECT_EQ(redis_text(f.c.get(), {"ZCARD", f.key + ":keys"}), "1");
  EXPECT_EQ(count(*j), 2u);  // readers take entries with an epoch

  // Another node takes the partition over.
  ASSERT_EQ(redis_text(f.c.get(), {"INCR", f.key + ":epoch"}), "6");
  EXPECT_FALSE(j->append(std::vector<Record>{claiming(3, {"s:s2"}), rec(4, true)}, &error));
  EXPECT_EQ(j->status(), Status::kFenced);
  EXPECT_NE(error.find("QCFENCED epoch is 6, not 5"), std::string::npos) << error;
  EXPECT_EQ(f.xlen(), "1");
  EXPECT_EQ(redis_text(f.c.get(), {"HEXISTS", "qc:ids", "s:s2"}), "0");
  EXPECT_EQ(redis_text(f.c.get(), {"ZCARD", f.key + ":keys"}), "1");
  EXPECT_EQ(j->last_seq(), 2u);
  // Also with the epoch key gone (a wiped Redis): refused.
  ASSERT_EQ(redis_text(f.c.get(), {"DEL", f.key + ":epoch"}), "1");
  EXPECT_FALSE(j->append(std::vector<Record>{rec(3)}, &error));
  EXPECT_EQ(j->status(), Status::kFenced);
  EXPECT_NE(error.find("QCFENCED epoch is none"), std::string::npos) << error;
  EXPECT_EQ(f.xlen(), "1");
}

TEST(RedisFence, AClaimOfAnotherPartitionIsAConflictAndWritesNothing) {
  Fixture f;
  ASSERT_NO_FATAL_FAILURE(f.start());
  std::string error;
  auto j = f.fenced_journal();
  ASSERT_TRUE(j);
  ASSERT_EQ(redis_text(f.c.get(), {"HSET", "qc:ids", "t:A007", "11", "s:mine", "3"}), "2");
  EXPECT_FALSE(j->append(std::vector<Record>{claiming(1, {"s:new"}),
                                             claiming(2, {"t:A007", "h:h1"})},
                         &error));
  EXPECT_EQ(j->status(), Status::kConflict);
  std::string field;
  int partition = -1;
  ASSERT_TRUE(parse_conflict(error, &field, &partition)) << error;
  EXPECT_EQ(field, "t:A007");
  EXPECT_EQ(partition, 11);
  EXPECT_EQ(f.xlen(), "0");
  EXPECT_EQ(redis_text(f.c.get(), {"HLEN", "qc:ids"}), "2");  // s:new, h:h1 not recorded
  EXPECT_EQ(j->last_seq(), 0u);
  // A claim that is already ours passes (a retry, a second ticket of a
  // session), and a field claimed twice in one commit is recorded once.
  ASSERT_TRUE(j->append(std::vector<Record>{claiming(1, {"s:mine", "t:A008"}),
                                            claiming(2, {"t:A008"})},
                        &error))
      << error;
  EXPECT_EQ(redis_text(f.c.get(), {"HGET", "qc:ids", "t:A008"}), "3");
  EXPECT_EQ(redis_text(f.c.get(), {"HGET", "qc:ids", "t:A007"}), "11");
  EXPECT_EQ(f.xlen(), "1");
}

TEST(RedisFence, AnIdempotencyKeyOfAnotherPartitionIsAConflictAndWritesNothing) {
  Fixture f;
  ASSERT_NO_FATAL_FAILURE(f.start());
  std::string error;
  auto j = f.fenced_journal();
  ASSERT_TRUE(j);
  Record keyed = rec(1);
  keyed.idempotency_key = "nurse:n1\x1fk 1";
  ASSERT_TRUE(j->append(std::vector<Record>{keyed}, &error)) << error;
  EXPECT_EQ(redis_text(f.c.get(), {"GET", "qc:ik:nurse:n1\x1fk 1"}), "3");
  const std::string ttl = redis_text(f.c.get(), {"PTTL", "qc:ik:nurse:n1\x1fk 1"});
  EXPECT_GT(std::stoll(ttl), 86'000'000);  // about a day
  // Another partition took a key: the commit carrying it writes nothing.
  ASSERT_EQ(redis_text(f.c.get(), {"SET", "qc:ik:nurse:n1\x1fk 2", "9"}), "OK");
  Record other = rec(3);
  other.idempotency_key = "nurse:n1\x1fk 2";
  EXPECT_FALSE(j->append(std::vector<Record>{rec(2), other}, &error));
  EXPECT_EQ(j->status(), Status::kConflict);
  std::string key;
  int partition = -1;
  ASSERT_TRUE(parse_key_conflict(error, "qc:ik:", &key, &partition)) << error;
  EXPECT_EQ(key, "nurse:n1\x1fk 2");
  EXPECT_EQ(partition, 9);
  EXPECT_EQ(f.xlen(), "1");
  // Our own key again (a retry after a take-over) passes.
  Record again = rec(2);
  again.idempotency_key = "nurse:n1\x1fk 1";
  EXPECT_TRUE(j->append(std::vector<Record>{again}, &error)) << error;
}

TEST(RedisFence, ParseConflictReadsFieldAndPartition) {
  std::string field;
  int p = -1;
  EXPECT_TRUE(parse_conflict("redis EVAL: QCID k:abc 12", &field, &p));
  EXPECT_EQ(field, "k:abc");
  EXPECT_EQ(p, 12);
  EXPECT_TRUE(parse_conflict("QCID s:x 0", &field, &p));
  EXPECT_EQ(field, "s:x");
  EXPECT_EQ(p, 0);
  EXPECT_FALSE(parse_conflict("redis EVAL: QCGAP the stream ends at 3, not at 2", &field, &p));
  EXPECT_FALSE(parse_conflict("QCID s:x", &field, &p));
  EXPECT_FALSE(parse_conflict("QCID s:x y", &field, &p));
  EXPECT_FALSE(parse_conflict("QCID ", &field, &p));
}

TEST(RedisFence, ASnapshotNeedsTheEpochAndNeverGoesBack) {
  Fixture f;
  ASSERT_NO_FATAL_FAILURE(f.start());
  std::string error;
  auto j = f.fenced_journal();
  ASSERT_TRUE(j);
  std::uint64_t seq = 0;
  std::string image;
  ASSERT_TRUE(j->save_snapshot(10, "ten", &error)) << error;
  ASSERT_TRUE(j->save_snapshot(5, "five", &error)) << error;  // older: kept out
  ASSERT_TRUE(j->load_snapshot(&seq, &image, &error)) << error;
  EXPECT_EQ(seq, 10u);
  EXPECT_EQ(image, "ten");
  ASSERT_TRUE(j->save_snapshot(12, std::string("twelve\0x", 8), &error)) << error;
  ASSERT_TRUE(j->load_snapshot(&seq, &image, &error)) << error;
  EXPECT_EQ(seq, 12u);
  EXPECT_EQ(image, std::string("twelve\0x", 8));
  ASSERT_EQ(redis_text(f.c.get(), {"INCR", f.key + ":epoch"}), "6");
  EXPECT_FALSE(j->save_snapshot(20, "twenty", &error));
  EXPECT_EQ(j->status(), Status::kFenced);
  EXPECT_NE(error.find("QCFENCED"), std::string::npos) << error;
  ASSERT_TRUE(j->load_snapshot(&seq, &image, &error)) << error;
  EXPECT_EQ(seq, 12u);
}

TEST(RedisFence, EpochZeroIsTheUnfencedScript) {
  Fixture f;
  ASSERT_NO_FATAL_FAILURE(f.start());
  std::string error;
  auto j = open(f.redis.url(f.key), OpenOptions{}, nullptr, &error);
  ASSERT_TRUE(j) << error;
  Fence none = f.fence;
  none.epoch = 0;
  j->set_fence(none);
  ASSERT_EQ(redis_text(f.c.get(), {"INCR", f.key + ":epoch"}), "6");
  ASSERT_TRUE(j->append(std::vector<Record>{claiming(1, {"s:s1"})}, &error)) << error;
  auto x = test::redis_run(f.c.get(), {"XRANGE", f.key + ":log", "-", "+"});
  ASSERT_TRUE(x && x->elements == 1);
  EXPECT_EQ(x->element[0]->element[1]->elements, 2u);  // g only
  EXPECT_EQ(redis_text(f.c.get(), {"EXISTS", "qc:ids"}), "0");
  ASSERT_TRUE(j->save_snapshot(1, "one", &error)) << error;
  ASSERT_TRUE(j->save_snapshot(0, "zero", &error)) << error;  // unfenced: as before, replaced
  std::uint64_t seq = 9;
  std::string image;
  EXPECT_FALSE(j->load_snapshot(&seq, &image, &error));  // seq 0 = none
}

// The pipelined writer: commits sent after the partition was taken over
// fail as fenced, every one of them, and none lands; snapshots (through its
// synchronous connection) are fenced too.
TEST(RedisFence, PipelinedCommitsAfterATakeOverAllFail) {
  Fixture f;
  ASSERT_NO_FATAL_FAILURE(f.start());
  std::string error;
  auto j = f.fenced_journal(/*pipelined=*/true);
  ASSERT_TRUE(j);
  j->send(std::vector<Record>{claiming(1, {"s:s1"})});
  j->send(std::vector<Record>{rec(2), rec(3)});
  ASSERT_EQ(j->complete(true, &error), Journal::Commit::kDurable) << error;
  ASSERT_EQ(j->complete(true, &error), Journal::Commit::kDurable) << error;
  EXPECT_EQ(redis_text(f.c.get(), {"HGET", "qc:ids", "s:s1"}), "3");
  ASSERT_EQ(redis_text(f.c.get(), {"INCR", f.key + ":epoch"}), "6");
  j->send(std::vector<Record>{rec(4)});
  j->send(std::vector<Record>{claiming(5, {"s:s5"})});
  j->send(std::vector<Record>{rec(6)});
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(j->complete(true, &error), Journal::Commit::kFailed) << i;
    EXPECT_EQ(j->status(), Status::kFenced) << i << ": " << error;
  }
  EXPECT_EQ(j->in_flight(), 0u);
  EXPECT_EQ(f.xlen(), "2");
  EXPECT_EQ(redis_text(f.c.get(), {"HEXISTS", "qc:ids", "s:s5"}), "0");
  EXPECT_EQ(j->last_seq(), 3u);
  EXPECT_FALSE(j->save_snapshot(3, "image", &error));
  EXPECT_EQ(j->status(), Status::kFenced);
  EXPECT_EQ(redis_text(f.c.get(), {"EXISTS", f.key + ":snapshot"}), "0");
  // A new owner with epoch 6 writes on.
  auto next = gw::open_redis_asio(f.redis.url(f.key), OpenOptions{}, nullptr, &error);
  ASSERT_TRUE(next) << error;
  next->set_fence(partition_fence("qc", 3, 6));
  ASSERT_TRUE(next->append(std::vector<Record>{claiming(4, {"s:s1"})}, &error)) << error;
  EXPECT_EQ(count(*next), 4u);
}

// store/threaded_journal.h passes the fence on to the store it wraps.
TEST(RedisFence, ACommitThreadPassesTheFenceOn) {
  Fixture f;
  ASSERT_NO_FATAL_FAILURE(f.start());
  std::string error;
  auto j = with_commit_thread(open(f.redis.url(f.key), OpenOptions{}, nullptr, &error));
  j->set_fence(f.fence);
  j->send(std::vector<Record>{claiming(1, {"s:s1"})});
  ASSERT_EQ(j->complete(true, &error), Journal::Commit::kDurable) << error;
  ASSERT_EQ(redis_text(f.c.get(), {"INCR", f.key + ":epoch"}), "6");
  j->send(std::vector<Record>{rec(2)});
  EXPECT_EQ(j->complete(true, &error), Journal::Commit::kFailed);
  EXPECT_EQ(j->status(), Status::kFenced) << error;
  EXPECT_EQ(f.xlen(), "1");
}

// The epoch changes while commits are in flight: whatever landed before the
// take-over is a prefix; after the first refused commit nothing lands.
TEST(RedisFence, ATakeOverWhileCommitsAreInFlightLeavesAPrefix) {
  Fixture f;
  ASSERT_NO_FATAL_FAILURE(f.start());
  std::string error;
  auto j = f.fenced_journal(/*pipelined=*/true);
  ASSERT_TRUE(j);
  ASSERT_TRUE(j->append(std::vector<Record>{rec(1)}, &error)) << error;  // connected
  std::uint64_t seq = 2;
  for (int c = 0; c < 50; ++c) {
    std::vector<Record> b;
    for (int i = 0; i < 3; ++i) b.push_back(rec(seq++));
    j->send(b);
    if (c == 10) {
      ASSERT_EQ(redis_text(f.c.get(), {"INCR", f.key + ":epoch"}), "6");
    }
  }
  std::uint64_t landed = 1;
  bool failed = false;
  for (int c = 0; c < 50; ++c) {
    const auto outcome = j->complete(true, &error);
    if (outcome == Journal::Commit::kDurable) {
      EXPECT_FALSE(failed) << "commit " << c << " landed after a refused one";
      landed += 3;
    } else {
      failed = true;
      EXPECT_EQ(j->status(), Status::kFenced) << c << ": " << error;
    }
  }
  EXPECT_TRUE(failed);
  EXPECT_LE(landed, 34u);
  auto reader = open(f.redis.url(f.key), OpenOptions{}, nullptr, &error);
  ASSERT_TRUE(reader) << error;
  EXPECT_EQ(count(*reader), landed);
}

}  // namespace
}  // namespace qc::journal
