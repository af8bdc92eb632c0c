// Every store behind journal.h behaves the same: memory, SQLite, Redis (a
// real redis-server on a free port).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <string>
#include <vector>

#include "store/journal.h"
#include "tests/integration/store/record_checks.h"
#include "tests/support/redis_server.h"

namespace qc::journal {
namespace {

using test::all;
using test::expect_same;
using test::RedisServer;

Record make_record(std::uint64_t seq, int events) {
  Record r;
  r.seq = seq;
  r.at = 1'700'000'000'000 + std::int64_t(seq) * 1000;
  r.actor = "nurse:n" + std::to_string(seq % 7);
  r.session_id = "s" + std::to_string(seq % 3);
  r.command_name = "call_next";
  r.command = std::string("cmd\0bytes-", 10) + std::to_string(seq);
  if (seq % 2 == 0) r.idempotency_key = "key-" + std::to_string(seq);
  if (seq % 2 == 0) r.response = std::string("resp\0", 5) + std::to_string(seq);
  // Some keyed records without a fingerprint (written before there were any).
  if (seq % 4 == 0) r.request_fingerprint = std::string(31, '\xab') + char(seq);
  for (int i = 0; i < events; ++i) {
    EventRow e;
    e.type = i == 0 ? "ticket_called" : "ticket_completed";
    e.ticket_id = "t" + std::to_string(seq) + "-" + std::to_string(i);
    e.bytes = std::string("\x08\x00\xff", 3) + std::to_string(seq * 10 + i);
    if (i == 1) e.session_id = "other";
    r.events.push_back(std::move(e));
  }
  return r;
}

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = test::make_temp_dir("store");
    if (GetParam() == "redis") {
      redis_ = std::make_unique<RedisServer>();
      std::string error;
      ASSERT_TRUE(redis_->start(&error)) << error;
    }
  }
  void TearDown() override {
    redis_.reset();
    test::remove_tree(dir_);
  }
  std::string url() const {
    if (GetParam() == "memory") return "memory:";
    if (GetParam() == "redis") return redis_->url("t");
    return "sqlite://" + dir_ + "/journal.db";
  }
  std::unique_ptr<Journal> open_journal() {
    std::string error;
    auto j = open(url(), &error);
    EXPECT_TRUE(j) << error;
    return j;
  }
  bool durable() const { return GetParam() != "memory"; }

  std::string dir_;
  std::unique_ptr<RedisServer> redis_;
};

TEST_P(StoreTest, EmptyJournal) {
  auto j = open_journal();
  ASSERT_TRUE(j);
  EXPECT_EQ(j->last_seq(), 0u);
  EXPECT_TRUE(all(*j).empty());
  std::uint64_t seq = 7;
  std::string image = "x", error;
  EXPECT_FALSE(j->load_snapshot(&seq, &image, &error));
  EXPECT_EQ(seq, 0u);
  EXPECT_TRUE(image.empty());
}

TEST_P(StoreTest, AppendScanAndReopen) {
  std::vector<Record> written;
  {
    auto j = open_journal();
    ASSERT_TRUE(j);
    std::string error;
    std::uint64_t seq = 0;
    for (int batch = 0; batch < 20; ++batch) {
      std::vector<Record> b;
      for (int i = 0; i <= batch % 5; ++i) {
        ++seq;
        b.push_back(make_record(seq, int(seq % 4)));
      }
      ASSERT_TRUE(j->append(b, &error)) << error;
      EXPECT_EQ(j->status(), Status::kOk);
      written.insert(written.end(), b.begin(), b.end());
      EXPECT_EQ(j->last_seq(), seq);
    }
    const auto got = all(*j);
    ASSERT_EQ(got.size(), written.size());
    for (std::size_t i = 0; i < got.size(); ++i) expect_same(got[i], written[i]);
    // Scanning from the middle, and stopping early.
    const auto tail = all(*j, 10);
    ASSERT_EQ(tail.size(), written.size() - 10);
    expect_same(tail.front(), written[10]);
    int seen = 0;
    EXPECT_TRUE(j->scan(0, [&](const Record&) { return ++seen < 3; }, &error));
    EXPECT_EQ(seen, 3);
    // Without events.
    std::vector<Record> cmds;
    EXPECT_TRUE(j->scan_commands(0, [&](const Record& r) { cmds.push_back(r); return true; }, &error));
    ASSERT_EQ(cmds.size(), written.size());
    for (std::size_t i = 0; i < cmds.size(); ++i) expect_same(cmds[i], written[i], false);
    EXPECT_TRUE(j->sync(&error)) << error;
    EXPECT_EQ(j->last_seq(), seq);
  }
  if (!durable()) return;
  auto j = open_journal();
  ASSERT_TRUE(j);
  EXPECT_EQ(j->last_seq(), written.back().seq);
  const auto got = all(*j);
  ASSERT_EQ(got.size(), written.size());
  for (std::size_t i = 0; i < got.size(); ++i) expect_same(got[i], written[i]);
}

// The idempotency keys come back with their request fingerprints after a
// restart (scan_keys(), what recovery reads), and keys without one stay
// without one.
TEST_P(StoreTest, KeysKeepTheirRequestFingerprintsAcrossReopen) {
  std::vector<Record> written;
  {
    auto j = open_journal();
    ASSERT_TRUE(j);
    std::string error;
    for (std::uint64_t seq = 1; seq <= 12; seq += 3) {
      std::vector<Record> b = {make_record(seq, 1), make_record(seq + 1, 0), make_record(seq + 2, 2)};
      ASSERT_TRUE(j->append(b, &error)) << error;
      written.insert(written.end(), b.begin(), b.end());
    }
    if (!durable()) {
      std::vector<Record> keyed;
      ASSERT_TRUE(j->scan_keys(0, [&](const Record& r) { return keyed.push_back(r), true; }, &error));
      ASSERT_EQ(keyed.size(), 6u);
      for (const Record& k : keyed) expect_same(k, written[k.seq - 1], false);
      return;
    }
  }
  auto j = open_journal();
  ASSERT_TRUE(j);
  std::string error;
  std::vector<Record> keyed;
  ASSERT_TRUE(j->scan_keys(0, [&](const Record& r) { return keyed.push_back(r), true; }, &error))
      << error;
  ASSERT_EQ(keyed.size(), 6u);  // seqs 2, 4, ..., 12
  for (const Record& k : keyed) {
    const Record& w = written[k.seq - 1];
    EXPECT_EQ(k.idempotency_key, w.idempotency_key);
    EXPECT_EQ(k.response, w.response);
    EXPECT_EQ(k.request_fingerprint, w.request_fingerprint) << "seq " << k.seq;
    EXPECT_EQ(k.request_fingerprint.empty(), k.seq % 4 != 0);
  }
}

TEST_P(StoreTest, RejectsNonIncreasingSequenceAndWritesNothing) {
  auto j = open_journal();
  ASSERT_TRUE(j);
  std::string error;
  std::vector<Record> b = {make_record(1, 1), make_record(2, 1)};
  ASSERT_TRUE(j->append(b, &error)) << error;
  std::vector<Record> bad = {make_record(3, 1), make_record(3, 1)};
  EXPECT_FALSE(j->append(bad, &error));
  EXPECT_FALSE(error.empty());
  if (GetParam() != "memory") {
    EXPECT_EQ(j->status(), Status::kInvalidArgument);
  }
  std::vector<Record> old = {make_record(2, 0)};
  EXPECT_FALSE(j->append(old, &error));
  EXPECT_EQ(j->last_seq(), 2u);
  EXPECT_EQ(all(*j).size(), 2u);
  // Gaps are allowed; an empty batch is a no-op.
  std::vector<Record> gap = {make_record(5, 2)};
  EXPECT_TRUE(j->append(gap, &error)) << error;
  EXPECT_TRUE(j->append({}, &error)) << error;
  EXPECT_EQ(j->last_seq(), 5u);
}

TEST_P(StoreTest, SnapshotsNewestWins) {
  std::string image(300'000, '\0');
  for (std::size_t i = 0; i < image.size(); ++i) image[i] = char(i * 7);
  {
    auto j = open_journal();
    ASSERT_TRUE(j);
    std::string error;
    ASSERT_TRUE(j->save_snapshot(10, "old image", &error)) << error;
    ASSERT_TRUE(j->save_snapshot(20, image, &error)) << error;
    std::uint64_t seq = 0;
    std::string got;
    ASSERT_TRUE(j->load_snapshot(&seq, &got, &error)) << error;
    EXPECT_EQ(seq, 20u);
    EXPECT_EQ(got, image);
  }
  if (!durable()) return;
  auto j = open_journal();
  std::uint64_t seq = 0;
  std::string got, error;
  ASSERT_TRUE(j->load_snapshot(&seq, &got, &error)) << error;
  EXPECT_EQ(seq, 20u);
  EXPECT_EQ(got, image);
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreTest, ::testing::Values("memory", "sqlite", "redis"),
                         [](const auto& info) { return info.param; });

TEST(OpenTest, RejectsMalformedUrls) {
  std::string error;
  for (const char* url : {"", "postgres://x", "redis://h:99999/0", "redis://h:1/x",
                          "redis://h:1/0?foo=bar", "sqlite://", "ftp:thing"}) {
    error.clear();
    EXPECT_FALSE(open(url, &error)) << url;
    EXPECT_FALSE(error.empty()) << url;
  }
}

TEST(OpenTest, RedisDownIsAClearError) {
  std::string error;
  const int port = test::free_port();
  EXPECT_FALSE(open("redis://127.0.0.1:" + std::to_string(port) + "/0", &error));
  EXPECT_NE(error.find("cannot connect"), std::string::npos) << error;
}

TEST(OpenTest, SqliteInMissingDirectoryIsAClearError) {
  std::string error;
  EXPECT_FALSE(open("sqlite:///nonexistent-dir-qc/x/journal.db", &error));
  EXPECT_NE(error.find("sqlite"), std::string::npos) << error;
}

// A SQLite journal written before request fingerprints (its commands table
// has no request_fingerprint column): read-only openers read its keys
// without fingerprints; a writer adds the column and goes on; old and new
// keyed records both come back after a restart.
TEST(SqliteUpgrade, AJournalWithoutFingerprintsGainsTheColumn) {
  const std::string dir = test::make_temp_dir("sqlite-upgrade");
  const std::string path = dir + "/old.db";
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const char* old_schema = R"sql(
      PRAGMA journal_mode=WAL;
      CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
      CREATE TABLE commands(seq INTEGER PRIMARY KEY, at INTEGER NOT NULL,
        session_id TEXT NOT NULL, actor TEXT NOT NULL, command_name TEXT NOT NULL,
        idempotency_key TEXT, command BLOB NOT NULL, response BLOB);
      CREATE TABLE events(seq INTEGER NOT NULL, idx INTEGER NOT NULL, at INTEGER NOT NULL,
        session_id TEXT NOT NULL, actor TEXT NOT NULL, type TEXT NOT NULL,
        ticket_id TEXT NOT NULL, event BLOB NOT NULL, PRIMARY KEY(seq, idx)) WITHOUT ROWID;
      CREATE TABLE snapshots(seq INTEGER PRIMARY KEY, taken_at INTEGER NOT NULL, image BLOB NOT NULL);
      INSERT INTO meta VALUES('schema_version', '1');
      INSERT INTO commands VALUES(1, 1700000000000, 's1', 'nurse:n1', 'call_next',
        'nurse:n1' || char(31) || 'k1', x'0a00', x'1234');
    )sql";
    char* msg = nullptr;
    ASSERT_EQ(sqlite3_exec(db, old_schema, nullptr, nullptr, &msg), SQLITE_OK) << (msg ? msg : "");
    sqlite3_close(db);
  }
  auto keys_of = [](Journal& j) {
    std::vector<Record> keyed;
    std::string error;
    EXPECT_TRUE(j.scan_keys(0, [&](const Record& r) { return keyed.push_back(r), true; }, &error))
        << error;
    return keyed;
  };
  std::string error;
  {
    OpenOptions ro;
    ro.read_only = true;
    auto reader = open("sqlite://" + path, ro, nullptr, &error);
    ASSERT_TRUE(reader) << error;
    auto keyed = keys_of(*reader);
    ASSERT_EQ(keyed.size(), 1u);
    EXPECT_EQ(keyed[0].response, "\x12\x34");
    EXPECT_TRUE(keyed[0].request_fingerprint.empty());
    EXPECT_EQ(all(*reader).size(), 1u);
  }
  {
    auto j = open("sqlite://" + path, &error);
    ASSERT_TRUE(j) << error;
    Record r = make_record(4, 1);  // keyed, with a fingerprint
    ASSERT_FALSE(r.request_fingerprint.empty());
    ASSERT_TRUE(j->append(std::span<const Record>(&r, 1), &error)) << error;
  }
  auto j = open("sqlite://" + path, &error);
  ASSERT_TRUE(j) << error;
  auto keyed = keys_of(*j);
  ASSERT_EQ(keyed.size(), 2u);
  EXPECT_TRUE(keyed[0].request_fingerprint.empty());
  EXPECT_EQ(keyed[1].request_fingerprint, make_record(4, 1).request_fingerprint);
  const auto got = all(*j);
  ASSERT_EQ(got.size(), 2u);
  expect_same(got[1], make_record(4, 1));
  test::remove_tree(dir);
}

}  // namespace
}  // namespace qc::journal

namespace qc::journal {
namespace {

// Long scans read on a second thread: order, completeness, stopping early
// (the replies in flight are drained, the connection stays usable).
TEST_P(StoreTest, LongScanInOrderAndStopsEarly) {
  auto j = open_journal();
  ASSERT_TRUE(j);
  std::string error;
  constexpr std::uint64_t kN = 30'000;
  std::vector<Record> b;
  for (std::uint64_t s = 1; s <= kN; ++s) {
    Record r;
    r.seq = s;
    r.at = std::int64_t(s);
    r.command = "c" + std::to_string(s);
    r.events.push_back(EventRow{"t", "x", "e" + std::to_string(s), ""});
    b.push_back(std::move(r));
    if (b.size() == 5000) {
      ASSERT_TRUE(j->append(b, &error)) << error;
      b.clear();
    }
  }
  std::uint64_t next = 101;
  ASSERT_TRUE(j->scan(100, [&](const Record& r) {
    EXPECT_EQ(r.seq, next);
    EXPECT_EQ(r.command, "c" + std::to_string(next));
    EXPECT_EQ(r.events.size(), 1u);
    ++next;
    return true;
  }, &error)) << error;
  EXPECT_EQ(next, kN + 1);
  std::uint64_t seen = 0;
  ASSERT_TRUE(j->scan_commands(0, [&](const Record&) { return ++seen < 12'345; }, &error)) << error;
  EXPECT_EQ(seen, 12'345u);
  std::vector<Record> more = {make_record(kN + 1, 1)};
  ASSERT_TRUE(j->append(more, &error)) << error;
  EXPECT_EQ(j->last_seq(), kN + 1);
}

}  // namespace
}  // namespace qc::journal
