// queuecastd's Redis writer (store/redis_asio.h: hiredis's asynchronous
// client driven by Asio, our own timer per commit) against a real
// redis-server: what it appends is what the synchronous store reads, and a
// killed or hung server fails the commit cleanly, then service resumes.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "store/journal.h"
#include "store/redis_asio.h"
#include "tests/integration/store/outage_scenarios.h"
#include "tests/support/redis_server.h"

namespace qc::journal {
namespace {

using scenarios::count;
using scenarios::rec;

std::unique_ptr<Journal> open_asio(const std::string& url, const OpenOptions& o, std::string* error) {
  return gw::open_redis_asio(url, o, nullptr, error);
}

TEST(RedisAsio, WritesWhatTheSynchronousStoreReads) {
  test::RedisServer redis;
  std::string error;
  ASSERT_TRUE(redis.start(&error)) << error;
  auto j = gw::open_redis_asio(redis.url("asio"), OpenOptions{}, nullptr, &error);
  ASSERT_TRUE(j) << error;
  std::vector<Record> all;
  for (std::uint64_t s = 1; s <= 300;) {
    std::vector<Record> b;
    for (int i = 0; i < 7; ++i, ++s) b.push_back(rec(s, s % 3 == 0));
    ASSERT_TRUE(j->append(b, &error)) << error;
    all.insert(all.end(), b.begin(), b.end());
  }
  EXPECT_EQ(j->last_seq(), all.size());
  std::vector<Record> stale = {rec(5)};
  EXPECT_FALSE(j->append(stale, &error));
  EXPECT_EQ(j->status(), Status::kInvalidArgument);
  ASSERT_TRUE(j->save_snapshot(all.size(), "image", &error)) << error;

  auto reader = open(redis.url("asio"), OpenOptions{}, nullptr, &error);
  ASSERT_TRUE(reader) << error;
  EXPECT_EQ(reader->last_seq(), all.size());
  std::size_t i = 0;
  ASSERT_TRUE(reader->scan(0, [&](const Record& r) {
    EXPECT_EQ(r.seq, all[i].seq);
    EXPECT_EQ(r.at, all[i].at);
    EXPECT_EQ(r.command, all[i].command);
    EXPECT_EQ(r.idempotency_key, all[i].idempotency_key);
    EXPECT_EQ(r.response, all[i].response);
    EXPECT_EQ(r.events.size(), 1u);
    if (!r.events.empty()) EXPECT_EQ(r.events[0].ticket_id, all[i].events[0].ticket_id);
    ++i;
    return true;
  }, &error)) << error;
  EXPECT_EQ(i, all.size());
  std::size_t keyed = 0;
  ASSERT_TRUE(reader->scan_keys(0, [&](const Record&) { return ++keyed, true; }, &error)) << error;
  EXPECT_EQ(keyed, all.size() / 3);
  std::uint64_t seq = 0;
  std::string image;
  ASSERT_TRUE(reader->load_snapshot(&seq, &image, &error)) << error;
  EXPECT_EQ(seq, all.size());
  EXPECT_EQ(image, "image");
  EXPECT_EQ(count(*j), all.size());  // its own reads follow its writes
}

TEST(RedisAsio, KilledAndRestartedThenReconnects) { scenarios::killed_and_restarted(open_asio); }

// Our own timer per commit (hiredis's asynchronous client has none).
TEST(RedisAsio, HungServerTimesOutAndSyncFindsTheOutcome) {
  scenarios::hung_then_sync_finds_the_outcome(open_asio);
}

TEST(RedisAsio, BadUrlIsAClearError) {
  std::string error;
  EXPECT_FALSE(gw::open_redis_asio("redis://127.0.0.1:notaport/0", OpenOptions{}, nullptr, &error));
  EXPECT_NE(error.find("bad port"), std::string::npos) << error;
}

// Pipelined commits: several in flight, completed in order, all durable.
TEST(RedisAsio, PipelinedCommitsCompleteInOrder) {
  test::RedisServer redis;
  std::string error;
  ASSERT_TRUE(redis.start(&error)) << error;
  auto j = gw::open_redis_asio(redis.url("pipe"), OpenOptions{}, nullptr, &error);
  ASSERT_TRUE(j) << error;
  std::uint64_t s = 1;
  for (int round = 0; round < 20; ++round) {
    for (int c = 0; c < 4; ++c) {
      std::vector<Record> b;
      for (int i = 0; i < 5; ++i, ++s) b.push_back(rec(s, s % 2 == 0));
      j->send(b);
    }
    EXPECT_EQ(j->in_flight(), 4u);
    for (int c = 0; c < 4; ++c)
      ASSERT_EQ(j->complete(true, &error), Journal::Commit::kDurable) << error;
    EXPECT_EQ(j->in_flight(), 0u);
    EXPECT_EQ(j->complete(true, &error), Journal::Commit::kPending);
  }
  EXPECT_EQ(j->last_seq(), s - 1);
  auto reader = open(redis.url("pipe"), OpenOptions{}, nullptr, &error);
  ASSERT_TRUE(reader) << error;
  EXPECT_EQ(count(*reader), s - 1);
}

// The first commit in flight fails at Redis; the ones sent after it (which
// the store would accept on their own) must not land: no gap, ever.
TEST(RedisAsio, ACommitAfterAFailedOneDoesNotLand) {
  test::RedisServer redis;
  std::string error;
  ASSERT_TRUE(redis.start(&error)) << error;
  auto j = gw::open_redis_asio(redis.url("gap"), OpenOptions{}, nullptr, &error);
  ASSERT_TRUE(j) << error;
  ASSERT_TRUE(j->append(std::vector<Record>{rec(1), rec(2)}, &error)) << error;
  // Another writer (or a commit whose reply was lost) put record 3 there.
  auto other = open(redis.url("gap"), OpenOptions{}, nullptr, &error);
  ASSERT_TRUE(other) << error;
  ASSERT_TRUE(other->append(std::vector<Record>{rec(3)}, &error)) << error;
  // In flight: [3,4] (3 exists: fails), then [5,6] and [7] (alone they
  // would be accepted: 5 > 3).
  j->send(std::vector<Record>{rec(3), rec(4)});
  j->send(std::vector<Record>{rec(5), rec(6)});
  j->send(std::vector<Record>{rec(7)});
  EXPECT_EQ(j->complete(true, &error), Journal::Commit::kFailed);
  EXPECT_EQ(j->status(), Status::kUnavailable);
  EXPECT_EQ(j->complete(true, &error), Journal::Commit::kFailed);
  EXPECT_EQ(j->complete(true, &error), Journal::Commit::kFailed);
  EXPECT_EQ(j->in_flight(), 0u);
  ASSERT_TRUE(other->sync(&error)) << error;
  EXPECT_EQ(other->last_seq(), 3u);
  EXPECT_EQ(count(*other), 3u);  // 1, 2, 3 and nothing after
  // sync() tells where the stream ends; commits go on from there.
  ASSERT_TRUE(j->sync(&error)) << error;
  EXPECT_EQ(j->last_seq(), 3u);
  j->send(std::vector<Record>{rec(4)});
  j->send(std::vector<Record>{rec(5), rec(6)});
  EXPECT_EQ(j->complete(true, &error), Journal::Commit::kDurable) << error;
  EXPECT_EQ(j->complete(true, &error), Journal::Commit::kDurable) << error;
  EXPECT_EQ(count(*other), 6u);
}

// Without sync(), a writer that believes the stream ends earlier than it
// does cannot land anything either (the check is on the stream's end).
TEST(RedisAsio, ACommitExpectingAnotherStreamEndFails) {
  test::RedisServer redis;
  std::string error;
  ASSERT_TRUE(redis.start(&error)) << error;
  auto j = gw::open_redis_asio(redis.url("end"), OpenOptions{}, nullptr, &error);
  ASSERT_TRUE(j) << error;
  auto other = open(redis.url("end"), OpenOptions{}, nullptr, &error);
  ASSERT_TRUE(other) << error;
  ASSERT_TRUE(other->append(std::vector<Record>{rec(1)}, &error)) << error;
  // j expects an empty stream: record 2 alone would fit after 1, but not
  // where j thinks the stream ends.
  EXPECT_FALSE(j->append(std::vector<Record>{rec(2)}, &error));
  EXPECT_NE(error.find("QCGAP"), std::string::npos) << error;
  EXPECT_EQ(count(*other), 1u);
}

// complete(block) returns kPending after wake() (another thread's), and the
// commit completes later.
TEST(RedisAsio, WakeEndsAWaitForACommit) {
  test::RedisServer redis;
  std::string error;
  ASSERT_TRUE(redis.start(&error)) << error;
  auto j = gw::open_redis_asio(redis.url("wake"), OpenOptions{}, nullptr, &error);
  ASSERT_TRUE(j) << error;
  redis.freeze();  // the commit stays in flight
  j->send(std::vector<Record>{rec(1)});
  std::thread waker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    j->wake();
  });
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(j->complete(true, &error), Journal::Commit::kPending);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1500));
  waker.join();
  redis.thaw();
  EXPECT_EQ(j->complete(true, &error), Journal::Commit::kDurable) << error;
  EXPECT_EQ(j->last_seq(), 1u);
}

}  // namespace
}  // namespace qc::journal
