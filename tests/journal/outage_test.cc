// The store going away mid-run: appends fail cleanly (Status::kUnavailable,
// a clear error, nothing written), and succeed again by themselves once the
// store is back; nothing acknowledged is lost.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <sqlite3.h>

#include "engine/journal/journal.h"
#include "tests/journal/test_redis.h"

namespace qc::journal {
namespace {

Record rec(std::uint64_t seq) {
  Record r;
  r.seq = seq;
  r.at = 1'795'400'000'000 + std::int64_t(seq);
  r.actor = "nurse:n1";
  r.session_id = "s1";
  r.command_name = "call_next";
  r.command = "command-" + std::to_string(seq);
  r.events.push_back(EventRow{"ticket_called", "t", "ev", ""});
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

TEST(Outage, RedisKilledAndRestarted) {
  testing::RedisServer redis;
  std::string error;
  ASSERT_TRUE(redis.start(&error)) << error;
  OpenOptions o;
  o.timeout_ms = 300;
  auto j = open(redis.url("out"), o, nullptr, &error);
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

TEST(Outage, RedisHangsAndTheOutcomeIsFoundBySync) {
  testing::RedisServer redis;
  std::string error;
  ASSERT_TRUE(redis.start(&error)) << error;
  OpenOptions o;
  o.timeout_ms = 200;
  auto j = open(redis.url("hang"), o, nullptr, &error);
  ASSERT_TRUE(j) << error;
  std::vector<Record> b1 = {rec(1), rec(2)};
  ASSERT_TRUE(j->append(b1, &error)) << error;
  redis.freeze();
  std::vector<Record> b2 = {rec(3), rec(4), rec(5)};
  EXPECT_FALSE(j->append(b2, &error));  // timed out: outcome unknown
  EXPECT_EQ(j->status(), Status::kUnavailable);
  EXPECT_NE(error.find("timed out"), std::string::npos) << error;
  redis.thaw();
  ASSERT_TRUE(j->sync(&error)) << error;
  // The transaction is all or nothing; sync() says which.
  EXPECT_TRUE(j->last_seq() == 2 || j->last_seq() == 5) << j->last_seq();
  EXPECT_EQ(count(*j), j->last_seq());
  std::vector<Record> b3 = {rec(j->last_seq() + 1)};
  ASSERT_TRUE(j->append(b3, &error)) << error;
}

TEST(Outage, SqliteLockedBeyondTheTimeoutThenFree) {
  const std::string dir = testing::make_temp_dir("outage");
  const std::string db = dir + "/j.db";
  OpenOptions o;
  o.timeout_ms = 100;
  std::string error;
  auto j = open("sqlite://" + db, o, nullptr, &error);
  ASSERT_TRUE(j) << error;
  std::vector<Record> b1 = {rec(1)};
  ASSERT_TRUE(j->append(b1, &error)) << error;
  // Another process holds the write lock (e.g. a careless maintenance job).
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  std::vector<Record> b2 = {rec(2), rec(3)};
  EXPECT_FALSE(j->append(b2, &error));
  EXPECT_EQ(j->status(), Status::kUnavailable);
  EXPECT_NE(error.find("locked"), std::string::npos) << error;
  EXPECT_EQ(j->last_seq(), 1u);
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  ASSERT_TRUE(j->append(b2, &error)) << error;
  EXPECT_EQ(j->last_seq(), 3u);
  EXPECT_EQ(count(*j), 3u);
  j.reset();
  testing::remove_tree(dir);
}

TEST(Outage, RedisDownAtStartWithoutRequireConnection) {
  const int port = testing::free_port();
  OpenOptions o;
  o.timeout_ms = 200;
  o.require_connection = false;
  OpenReport report;
  std::string error;
  auto j = open("redis://127.0.0.1:" + std::to_string(port) + "/0", o, &report, &error);
  ASSERT_TRUE(j) << error;
  EXPECT_FALSE(report.notes.empty());
  std::vector<Record> b = {rec(1)};
  EXPECT_FALSE(j->append(b, &error));
  EXPECT_EQ(j->status(), Status::kUnavailable);
}

}  // namespace
}  // namespace qc::journal

namespace qc::journal {
namespace {

// Settings that weaken the guarantee are reported at open.
TEST(RedisSettings, WeakFsyncIsReported) {
  testing::RedisServer redis;
  std::string error;
  ASSERT_TRUE(redis.start(&error)) << error;
  OpenReport report;
  auto j = open(redis.url("cfg"), OpenOptions{}, &report, &error);
  ASSERT_TRUE(j) << error;
  EXPECT_TRUE(report.notes.empty()) << report.notes.front();  // appendonly yes, always
  timeval tv{1, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", redis.port(), tv);
  ASSERT_TRUE(c && !c->err);
  freeReplyObject(redisCommand(c, "CONFIG SET appendfsync everysec"));
  redisFree(c);
  OpenReport weak;
  auto j2 = open(redis.url("cfg"), OpenOptions{}, &weak, &error);
  ASSERT_TRUE(j2) << error;
  ASSERT_EQ(weak.notes.size(), 1u);
  EXPECT_NE(weak.notes[0].find("appendfsync is 'everysec'"), std::string::npos) << weak.notes[0];
}

}  // namespace
}  // namespace qc::journal
