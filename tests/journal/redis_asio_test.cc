// queuecastd's Redis writer (gateway/redis_asio.h: hiredis's asynchronous
// client driven by Asio, our own timer per commit) against a real
// redis-server: what it appends is what the synchronous store reads, and a
// killed or hung server fails the commit cleanly, then service resumes.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "engine/journal/journal.h"
#include "gateway/redis_asio.h"
#include "tests/journal/test_redis.h"

namespace qc::journal {
namespace {

Record rec(std::uint64_t seq, bool keyed = false) {
  Record r;
  r.seq = seq;
  r.at = 1'795'400'000'000 + std::int64_t(seq);
  r.actor = "nurse:n1";
  r.session_id = "s1";
  r.command_name = "call_next";
  r.command = "command-" + std::to_string(seq);
  if (keyed) {
    r.idempotency_key = "nurse:n1\x1fk" + std::to_string(seq);
    r.response = "response-" + std::to_string(seq);
  }
  r.events.push_back(EventRow{"ticket_called", "t" + std::to_string(seq), "ev", ""});
  return r;
}

std::uint64_t count(Journal& j) {
  std::uint64_t n = 0, expect = 1;
  std::string error;
  EXPECT_TRUE(j.scan(0, [&](const Record& r) {
    EXPECT_EQ(r.seq, expect++);
    ++n;
    return true;
  }, &error)) << error;
  return n;
}

TEST(RedisAsio, WritesWhatTheSynchronousStoreReads) {
  testing::RedisServer redis;
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

TEST(RedisAsio, KilledAndRestartedThenReconnects) {
  testing::RedisServer redis;
  std::string error;
  ASSERT_TRUE(redis.start(&error)) << error;
  OpenOptions o;
  o.timeout_ms = 300;
  auto j = gw::open_redis_asio(redis.url("out"), o, nullptr, &error);
  ASSERT_TRUE(j) << error;
  std::uint64_t acked = 0;
  for (; acked < 50; ++acked) {
    std::vector<Record> b = {rec(acked + 1)};
    ASSERT_TRUE(j->append(b, &error)) << error;
  }
  redis.kill9();
  for (int i = 0; i < 3; ++i) {
    std::vector<Record> b = {rec(acked + 1)};
    EXPECT_FALSE(j->append(b, &error));
    EXPECT_EQ(j->status(), Status::kUnavailable);
    EXPECT_NE(error.find("redis 127.0.0.1:" + std::to_string(redis.port())), std::string::npos)
        << error;
    EXPECT_FALSE(j->sync(&error));
  }
  ASSERT_TRUE(redis.start(&error)) << error;  // same port, same AOF
  std::vector<Record> b = {rec(acked + 1)};
  ASSERT_TRUE(j->append(b, &error)) << error;  // reconnects by itself
  ++acked;
  EXPECT_EQ(j->status(), Status::kOk);
  EXPECT_EQ(j->last_seq(), acked);
  EXPECT_EQ(count(*j), acked);
}

TEST(RedisAsio, HungServerTimesOutAndSyncFindsTheOutcome) {
  testing::RedisServer redis;
  std::string error;
  ASSERT_TRUE(redis.start(&error)) << error;
  OpenOptions o;
  o.timeout_ms = 200;
  auto j = gw::open_redis_asio(redis.url("hang"), o, nullptr, &error);
  ASSERT_TRUE(j) << error;
  std::vector<Record> b1 = {rec(1), rec(2)};
  ASSERT_TRUE(j->append(b1, &error)) << error;
  redis.freeze();
  std::vector<Record> b2 = {rec(3), rec(4), rec(5)};
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(j->append(b2, &error));  // our timer: outcome unknown
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  EXPECT_EQ(j->status(), Status::kUnavailable);
  EXPECT_NE(error.find("timed out"), std::string::npos) << error;
  redis.thaw();
  ASSERT_TRUE(j->sync(&error)) << error;
  EXPECT_TRUE(j->last_seq() == 2 || j->last_seq() == 5) << j->last_seq();
  EXPECT_EQ(count(*j), j->last_seq());
  std::vector<Record> b3 = {rec(j->last_seq() + 1)};
  ASSERT_TRUE(j->append(b3, &error)) << error;
  EXPECT_EQ(count(*j), j->last_seq());
}

TEST(RedisAsio, BadUrlIsAClearError) {
  std::string error;
  EXPECT_FALSE(gw::open_redis_asio("redis://127.0.0.1:notaport/0", OpenOptions{}, nullptr, &error));
  EXPECT_NE(error.find("bad port"), std::string::npos) << error;
}

// Pipelined commits: several in flight, completed in order, all durable.
TEST(RedisAsio, PipelinedCommitsCompleteInOrder) {
  testing::RedisServer redis;
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
  testing::RedisServer redis;
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
  testing::RedisServer redis;
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
  testing::RedisServer redis;
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
