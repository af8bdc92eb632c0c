// The Redis store's layout (store/redis_journal.h) against a real
// redis-server: one stream entry per commit, readers that also take the
// per-record entries of journals written before groups, keyed records found
// inside groups, and a corrupt entry reported, not trusted.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

#include "store/journal.h"
#include "tests/integration/store/outage_scenarios.h"
#include "tests/integration/store/redis_client.h"
#include "tests/integration/store/record_checks.h"
#include "tests/support/redis_server.h"

namespace qc::journal {
namespace {

using scenarios::rec;
using test::all;
using test::expect_same;

using Ctx = test::RedisCtx;
using Reply = test::RedisReplyPtr;

Ctx connect(const test::RedisServer& redis) { return test::redis_connect(redis); }
Reply run(redisContext* c, const std::vector<std::string>& args) {
  return test::redis_run(c, args);
}

// The per-record entry of journals written before groups (the format is
// fixed: this is what such a journal holds on disk).
void varint(std::string* out, std::uint64_t v) {
  while (v >= 0x80) {
    out->push_back(char(v | 0x80));
    v >>= 7;
  }
  out->push_back(char(v));
}
void lp(std::string* out, const std::string& s) {
  varint(out, s.size());
  out->append(s);
}
std::string pack_command(const Record& r) {
  std::string packed;
  varint(&packed, std::uint64_t(r.at));
  for (const std::string* s : {&r.session_id, &r.actor, &r.command_name, &r.command,
                               &r.idempotency_key, &r.response})
    lp(&packed, *s);
  return packed;
}
std::string pack_events(const Record& r) {
  std::string ev;
  for (const EventRow& e : r.events) {
    lp(&ev, e.type);
    lp(&ev, e.ticket_id);
    lp(&ev, e.session_id);
    lp(&ev, e.bytes);
  }
  return ev;
}
void xadd_per_record(redisContext* c, const std::string& key, const Record& r) {
  auto x = run(c, {"XADD", key + ":log", std::to_string(r.seq) + "-0", "r", pack_command(r), "ev",
                   pack_events(r)});
  ASSERT_TRUE(x && x->type == REDIS_REPLY_STRING);
  if (!r.idempotency_key.empty())
    run(c, {"ZADD", key + ":keys", std::to_string(r.at), std::to_string(r.seq)});
}
// A group entry's field, records in the order given.
std::string pack_group(const std::vector<Record>& records) {
  std::string g;
  for (const Record& r : records) {
    varint(&g, r.seq);
    lp(&g, pack_command(r));
    lp(&g, pack_events(r));
  }
  return g;
}

TEST(RedisLayout, OneStreamEntryPerCommitNamedByItsLastSeq) {
  test::RedisServer redis;
  std::string error;
  ASSERT_TRUE(redis.start(&error)) << error;
  auto j = open(redis.url("grp"), OpenOptions{}, nullptr, &error);
  ASSERT_TRUE(j) << error;
  std::vector<Record> b1 = {rec(1), rec(2, true), rec(3, true)};
  std::vector<Record> b2 = {rec(4, true)};
  std::vector<Record> b3 = {rec(7), rec(9, true)};  // seqs may skip
  for (auto* b : {&b1, &b2, &b3}) ASSERT_TRUE(j->append(*b, &error)) << error;
  auto c = connect(redis);
  ASSERT_TRUE(c);
  auto r = run(c.get(), {"XRANGE", "grp:log", "-", "+"});
  ASSERT_TRUE(r && r->type == REDIS_REPLY_ARRAY);
  ASSERT_EQ(r->elements, 3u);
  const char* ids[] = {"3-0", "4-0", "9-0"};
  for (std::size_t i = 0; i < 3; ++i) {
    const redisReply* e = r->element[i];
    EXPECT_STREQ(e->element[0]->str, ids[i]);
    ASSERT_EQ(e->element[1]->elements, 2u);  // one field: g
    EXPECT_STREQ(e->element[1]->element[0]->str, "g");
  }
  auto keys = run(c.get(), {"ZRANGE", "grp:keys", "0", "-1"});
  // Each keyed record names its entry, so a scan of the keys reads each
  // entry once.
  ASSERT_EQ(keys->elements, 4u);
  EXPECT_STREQ(keys->element[0]->str, "2/3");
  EXPECT_STREQ(keys->element[1]->str, "3/3");
  EXPECT_STREQ(keys->element[2]->str, "4/4");
  EXPECT_STREQ(keys->element[3]->str, "9/9");
  EXPECT_EQ(j->last_seq(), 9u);
  // Scans start inside a group, and idempotency keys are found there.
  const auto tail = all(*j, 2);
  ASSERT_EQ(tail.size(), 4u);
  expect_same(tail[0], b1[2]);
  expect_same(tail[3], b3[1]);
  EXPECT_EQ(all(*j, 8).size(), 1u);
  std::vector<std::uint64_t> keyed;
  ASSERT_TRUE(j->scan_keys(0, [&](const Record& k) {
    EXPECT_EQ(k.idempotency_key, "nurse:n1\x1fk" + std::to_string(k.seq));
    EXPECT_EQ(k.response, "response-" + std::to_string(k.seq));
    EXPECT_EQ(k.request_fingerprint, std::string("fp\0", 3) + std::to_string(k.seq));
    keyed.push_back(k.seq);
    return true;
  }, &error)) << error;
  EXPECT_EQ(keyed, (std::vector<std::uint64_t>{2, 3, 4, 9}));
}

TEST(RedisLayout, ReadsAJournalWrittenOneEntryPerRecord) {
  test::RedisServer redis;
  std::string error;
  ASSERT_TRUE(redis.start(&error)) << error;
  std::vector<Record> written;
  {
    auto c = connect(redis);
    ASSERT_TRUE(c);
    for (std::uint64_t s = 1; s <= 5; ++s) {
      written.push_back(rec(s, s % 2 == 0));
      written.back().request_fingerprint.clear();  // the old format has none
      xadd_per_record(c.get(), "old", written.back());
    }
  }
  auto j = open(redis.url("old"), OpenOptions{}, nullptr, &error);
  ASSERT_TRUE(j) << error;
  EXPECT_EQ(j->last_seq(), 5u);
  // The upgraded server goes on appending groups to the same stream.
  std::vector<Record> b = {rec(6), rec(7, true), rec(8)};
  ASSERT_TRUE(j->append(b, &error)) << error;
  written.insert(written.end(), b.begin(), b.end());
  auto reopened = open(redis.url("old"), OpenOptions{}, nullptr, &error);
  ASSERT_TRUE(reopened) << error;
  EXPECT_EQ(reopened->last_seq(), 8u);
  const auto got = all(*reopened);
  ASSERT_EQ(got.size(), written.size());
  for (std::size_t i = 0; i < got.size(); ++i) expect_same(got[i], written[i]);
  EXPECT_EQ(all(*reopened, 3).size(), 5u);
  EXPECT_EQ(all(*reopened, 6).size(), 2u);
  std::vector<std::uint64_t> keyed;
  ASSERT_TRUE(reopened->scan_keys(0, [&](const Record& k) { return keyed.push_back(k.seq), true; }, &error))
      << error;
  EXPECT_EQ(keyed, (std::vector<std::uint64_t>{2, 4, 7}));
}

TEST(RedisLayout, ABigCommitIsOneEntryWithAllItsKeys) {
  test::RedisServer redis;
  std::string error;
  ASSERT_TRUE(redis.start(&error)) << error;
  auto j = open(redis.url("big"), OpenOptions{}, nullptr, &error);
  ASSERT_TRUE(j) << error;
  // More keyed records than one ZADD of the script takes (it adds them in
  // slices of 1,000).
  std::vector<Record> b;
  for (std::uint64_t s = 1; s <= 2'500; ++s) b.push_back(rec(s, true));
  ASSERT_TRUE(j->append(b, &error)) << error;
  std::uint64_t n = 0;
  ASSERT_TRUE(j->scan_keys(0, [&](const Record& k) {
    EXPECT_EQ(k.seq, ++n);
    return true;
  }, &error)) << error;
  EXPECT_EQ(n, 2'500u);
  EXPECT_EQ(all(*j, 1'234).size(), 1'266u);
}

TEST(RedisLayout, ACorruptGroupIsReportedNotTrusted) {
  test::RedisServer redis;
  std::string error;
  ASSERT_TRUE(redis.start(&error)) << error;
  auto j = open(redis.url("bad"), OpenOptions{}, nullptr, &error);
  ASSERT_TRUE(j) << error;
  std::vector<Record> b = {rec(1), rec(2)};
  ASSERT_TRUE(j->append(b, &error)) << error;
  auto c = connect(redis);
  ASSERT_TRUE(c);
  const std::string good = pack_group({rec(1), rec(2)});
  struct Bad {
    const char* what;
    std::string id, g;
  } bad[] = {
      {"cut short", "2-0", good.substr(0, good.size() - 1)},
      {"seqs out of order", "2-0", pack_group({rec(2), rec(1)})},
      {"last seq is not the entry's id", "5-0", good},
      {"no field g or r", "2-0", ""},
  };
  int n = 0;
  for (const Bad& x : bad) {
    const std::string key = "bad" + std::to_string(++n);
    if (*x.what == 'n') run(c.get(), {"XADD", key + ":log", x.id, "other", "x"});
    else run(c.get(), {"XADD", key + ":log", x.id, "g", x.g});
    auto k = open(redis.url(key), OpenOptions{}, nullptr, &error);
    ASSERT_TRUE(k) << error;
    EXPECT_FALSE(k->scan(0, [](const Record&) { return true; }, &error)) << x.what;
    EXPECT_EQ(k->status(), Status::kUnavailable) << x.what;
    EXPECT_NE(error.find("corrupt"), std::string::npos) << x.what << ": " << error;
  }
  // The same group, well formed, reads back.
  run(c.get(), {"XADD", "fine:log", "2-0", "g", good});
  auto fine = open(redis.url("fine"), OpenOptions{}, nullptr, &error);
  ASSERT_TRUE(fine) << error;
  const auto got = all(*fine);
  ASSERT_EQ(got.size(), 2u);
  expect_same(got[1], rec(2));
  // The good journal beside them is untouched.
  EXPECT_EQ(all(*j).size(), 2u);
}

// A corrupt entry before valid later ones is not a torn tail: the scan
// (and so recovery: queuecastd does not start) fails naming where, and never
// goes on past it with the later entries as if nothing were missing.
TEST(RedisLayout, ACorruptEntryBeforeValidOnesStopsTheScan) {
  test::RedisServer redis;
  std::string error;
  ASSERT_TRUE(redis.start(&error)) << error;
  auto c = connect(redis);
  ASSERT_TRUE(c);
  const std::string two = pack_group({rec(2)});
  run(c.get(), {"XADD", "mid:log", "1-0", "g", pack_group({rec(1)})});
  run(c.get(), {"XADD", "mid:log", "2-0", "g", two.substr(0, two.size() - 3)});
  run(c.get(), {"XADD", "mid:log", "3-0", "g", pack_group({rec(3)})});
  auto j = open(redis.url("mid"), OpenOptions{}, nullptr, &error);
  ASSERT_TRUE(j) << error;
  EXPECT_EQ(j->last_seq(), 3u);
  for (bool with_events : {true, false}) {
    std::vector<std::uint64_t> seen;
    auto fn = [&](const Record& r) { seen.push_back(r.seq); return true; };
    const bool ok = with_events ? j->scan(0, fn, &error) : j->scan_commands(0, fn, &error);
    EXPECT_FALSE(ok) << "a scan went past a corrupt entry";
    EXPECT_NE(error.find("corrupt entry after seq 1"), std::string::npos) << error;
    EXPECT_EQ(seen, (std::vector<std::uint64_t>{1}));
  }
}

}  // namespace
}  // namespace qc::journal
