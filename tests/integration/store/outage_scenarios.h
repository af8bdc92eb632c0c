// Store outages that every Redis writer must survive the same way, written
// once and run against each (outage_test.cc: the synchronous hiredis store;
// redis_asio_test.cc: queuecastd's Asio-driven writer).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "store/journal.h"
#include "tests/support/redis_server.h"

namespace qc::journal::scenarios {

// A call_next record with one event; `keyed` adds an idempotency key, its
// request fingerprint and its response.
inline Record rec(std::uint64_t seq, bool keyed = false) {
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
    r.request_fingerprint = std::string("fp\0", 3) + std::to_string(seq);
  }
  r.events.push_back(EventRow{"ticket_called", "t" + std::to_string(seq), "ev", ""});
  return r;
}

// The records a journal holds, checking that their seqs run 1, 2, 3, ...
inline std::uint64_t count(Journal& j) {
  std::uint64_t n = 0, expect = 1;
  std::string error;
  EXPECT_TRUE(j.scan(0, [&](const Record& r) {
    EXPECT_EQ(r.seq, expect++);
    ++n;
    return true;
  }, &error)) << error;
  return n;
}

using Opener = std::function<std::unique_ptr<Journal>(const std::string& url, const OpenOptions& options,
                                                      std::string* error)>;

// redis-server killed (-9) after 50 acknowledged appends: appends fail
// `unavailable` naming the server, sync() fails; once it is back on the same
// port and AOF, the next append reconnects by itself and nothing is lost.
inline void killed_and_restarted(const Opener& open_journal) {
  test::RedisServer redis;
  std::string error;
  ASSERT_TRUE(redis.start(&error)) << error;
  OpenOptions o;
  o.timeout_ms = 300;
  auto j = open_journal(redis.url("out"), o, &error);
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

// redis-server frozen (SIGSTOP) during a commit: the append times out within
// the store's timeout (outcome unknown), and once it thaws sync() finds
// whether the all-or-nothing commit landed; appends go on from there.
inline void hung_then_sync_finds_the_outcome(const Opener& open_journal) {
  test::RedisServer redis;
  std::string error;
  ASSERT_TRUE(redis.start(&error)) << error;
  OpenOptions o;
  o.timeout_ms = 200;
  auto j = open_journal(redis.url("hang"), o, &error);
  ASSERT_TRUE(j) << error;
  std::vector<Record> b1 = {rec(1), rec(2)};
  ASSERT_TRUE(j->append(b1, &error)) << error;
  redis.freeze();
  std::vector<Record> b2 = {rec(3), rec(4), rec(5)};
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(j->append(b2, &error));  // timed out: outcome unknown
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

}  // namespace qc::journal::scenarios
