// The store going away mid-run: appends fail cleanly (Status::kUnavailable,
// a clear error, nothing written), and succeed again by themselves once the
// store is back; nothing acknowledged is lost.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <sqlite3.h>

#include "store/journal.h"
#include "tests/integration/store/outage_scenarios.h"
#include "tests/support/redis_server.h"

namespace qc::journal {
namespace {

using scenarios::count;
using scenarios::rec;

std::unique_ptr<Journal> open_sync(const std::string& url, const OpenOptions& o, std::string* error) {
  return open(url, o, nullptr, error);
}

TEST(Outage, RedisKilledAndRestarted) { scenarios::killed_and_restarted(open_sync); }

TEST(Outage, RedisHangsAndTheOutcomeIsFoundBySync) {
  scenarios::hung_then_sync_finds_the_outcome(open_sync);
}

TEST(Outage, SqliteLockedBeyondTheTimeoutThenFree) {
  const std::string dir = test::make_temp_dir("outage");
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
  test::remove_tree(dir);
}

TEST(Outage, RedisDownAtStartWithoutRequireConnection) {
  const int port = test::free_port();
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
  test::RedisServer redis;
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
  // An eviction policy that may drop the journal's own keys.
  c = redisConnectWithTimeout("127.0.0.1", redis.port(), tv);
  ASSERT_TRUE(c && !c->err);
  freeReplyObject(redisCommand(c, "CONFIG SET appendfsync always"));
  freeReplyObject(redisCommand(c, "CONFIG SET maxmemory-policy volatile-lru"));
  OpenReport volatile_only;
  auto j3 = open(redis.url("cfg"), OpenOptions{}, &volatile_only, &error);
  ASSERT_TRUE(j3) << error;
  EXPECT_TRUE(volatile_only.notes.empty()) << volatile_only.notes.front();  // our keys have no TTL
  freeReplyObject(redisCommand(c, "CONFIG SET maxmemory-policy allkeys-lru"));
  redisFree(c);
  OpenReport evicting;
  auto j4 = open(redis.url("cfg"), OpenOptions{}, &evicting, &error);
  ASSERT_TRUE(j4) << error;
  ASSERT_EQ(evicting.notes.size(), 1u);
  EXPECT_NE(evicting.notes[0].find("maxmemory-policy is 'allkeys-lru'"), std::string::npos)
      << evicting.notes[0];
}

}  // namespace
}  // namespace qc::journal
