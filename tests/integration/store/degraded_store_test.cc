// A store that can be read but not written (a write lock held by someone
// else, a full disk, Redis maxmemory with noeviction), behind queuecastd's
// runtime: the shard stays degraded (/readyz 503) and answers commands
// `unavailable` without touching the engine; once the store takes writes
// again a tick makes it ready, with nothing lost and nothing doubled
// (docs/durability.md "When an append fails").
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <sqlite3.h>

#include <chrono>
#include <future>
#include <thread>

#include "store/journal.h"
#include "server/infra/clock.h"
#include "store/redis_asio.h"
#include "server/runtime/runtime.h"
#include "queuecast/v1/queuecast.pb.h"
#include "tests/support/clinic.h"
#include "tests/integration/store/outage_scenarios.h"
#include "tests/support/redis_server.h"

namespace qc::journal {
namespace {

using gw::CommandOutcome;
using gw::CommandRequest;
using gw::Principal;
using gw::Role;
using gw::Runtime;

CommandOutcome run(Runtime& rt, CommandBody body) {
  std::promise<CommandOutcome> p;
  auto f = p.get_future();
  CommandRequest r;
  r.principal = Principal{Role::kAdmin, "boss", {}, {}};
  r.command.actor = r.principal.actor();
  r.command.body = std::move(body);
  r.done = [&p](CommandOutcome o) { p.set_value(std::move(o)); };
  rt.submit(std::move(r));
  return f.get();
}

std::string label_of(const CommandOutcome& o) {
  queuecast::v1::CommandResponse resp;
  return resp.ParseFromString(o.encode(gw::Format::kProto)) ? resp.label() : std::string();
}

bool wait_ready(Runtime& rt, bool want = true) {
  for (int i = 0; i < 500 && rt.ready() != want; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return rt.ready() == want;
}

// The whole story against one store: `block` makes it read-only in effect,
// `unblock` gives it back; `reader` reads the journal afterwards.
void degraded_until_writable(std::unique_ptr<Journal> journal, const std::function<void()>& block,
                             const std::function<void()>& unblock, Journal& reader) {
  constexpr Time kNow = 1'795'330'800'000;
  gw::VirtualClock clock{kNow, 1.0};
  gw::Metrics metrics;
  gw::RuntimeOptions o;
  Runtime rt(o, clock, metrics, std::move(journal));
  std::string err;
  ASSERT_TRUE(rt.recover(&err)) << err;
  rt.start();
  ASSERT_EQ(run(rt, CreateSession{qc::test::load_session("s1", "Dr. Li", "neuro", kNow)}).error,
            Error::kOk);
  ASSERT_EQ(run(rt, RegisterWalkIn{"s1", "P1", "A", "", ""}).error, Error::kOk);
  ASSERT_TRUE(rt.ready());
  block();
  EXPECT_EQ(run(rt, RegisterWalkIn{"s1", "P2", "B", "", ""}).error, Error::kUnavailable);
  EXPECT_FALSE(rt.ready()) << "readable but not writable: /readyz must answer 503";
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(run(rt, RegisterWalkIn{"s1", "P3", "C", "", ""}).error, Error::kUnavailable);
  // Several ticks later, still not writable: still degraded.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_FALSE(rt.ready());
  EXPECT_EQ(run(rt, RegisterWalkIn{"s1", "P3", "C", "", ""}).error, Error::kUnavailable);
  unblock();
  ASSERT_TRUE(wait_ready(rt)) << "the store takes writes again but the shard stays degraded";
  CommandOutcome ok = run(rt, RegisterWalkIn{"s1", "P4", "D", "", ""});
  ASSERT_EQ(ok.error, Error::kOk) << ok.message;
  EXPECT_EQ(label_of(ok), "W002");  // W001 kept; nothing of the refused ones
  rt.stop();
  ASSERT_TRUE(reader.sync(&err)) << err;
  EXPECT_EQ(scenarios::count(reader), 3u);  // seqs 1, 2, 3: nothing lost, nothing doubled
}

TEST(DegradedStore, SqliteWriteLockedButReadable) {
  const std::string dir = test::make_temp_dir("degraded");
  const std::string url = "sqlite://" + dir + "/j.db";
  OpenOptions o;
  o.timeout_ms = 100;
  std::string error;
  auto j = open(url, o, nullptr, &error);
  ASSERT_TRUE(j) << error;
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open((dir + "/j.db").c_str(), &other), SQLITE_OK);
  degraded_until_writable(
      std::move(j),
      [&] { ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK); },
      [&] { sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr); },
      *open(url, OpenOptions{.read_only = true}, nullptr, &error));
  sqlite3_close(other);
  test::remove_tree(dir);
}

TEST(DegradedStore, RedisAtMaxmemoryButReadable) {
  test::RedisServer redis;
  std::string error;
  ASSERT_TRUE(redis.start(&error)) << error;
  OpenOptions o;
  o.timeout_ms = 500;
  auto j = gw::open_redis_asio(redis.url("full"), o, nullptr, &error);
  ASSERT_TRUE(j) << error;
  timeval tv{2, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", redis.port(), tv);
  ASSERT_TRUE(c && !c->err);
  auto config = [&](const char* cmd) {
    redisReply* r = static_cast<redisReply*>(redisCommand(c, cmd));
    ASSERT_TRUE(r);
    EXPECT_NE(r->type, REDIS_REPLY_ERROR) << cmd << ": " << (r->str ? r->str : "");
    freeReplyObject(r);
  };
  config("CONFIG SET maxmemory-policy noeviction");
  degraded_until_writable(
      std::move(j), [&] { config("CONFIG SET maxmemory 1"); },
      [&] { config("CONFIG SET maxmemory 0"); }, *open(redis.url("full"), OpenOptions{}, nullptr, &error));
  redisFree(c);
}

}  // namespace
}  // namespace qc::journal
