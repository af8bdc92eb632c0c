// A torn or corrupt tail (power cut mid-write): the journal is truncated at
// every byte of its last record; every open must keep everything before it,
// lose only that unacknowledged record, and say so.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "store/journal.h"
#include "store/wal_check.h"
#include "tests/integration/store/outage_scenarios.h"
#include "tests/support/redis_server.h"

namespace qc::journal {
namespace {

namespace fs = std::filesystem;

using scenarios::rec;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void spit(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

// An empty database "j.db" in `dir` with 1 KiB pages: small pages keep a
// transaction's frames (and these tests) short; the WAL rules do not
// depend on the page size.
std::string small_page_db(const std::string& dir) {
  const std::string db = dir + "/j.db";
  sqlite3* raw = nullptr;
  EXPECT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  sqlite3_exec(raw, "PRAGMA page_size=1024; VACUUM;", nullptr, nullptr, nullptr);
  sqlite3_close(raw);
  return db;
}

void expect_records(Journal& j, std::uint64_t n) {
  std::uint64_t next = 1;
  std::string error;
  ASSERT_TRUE(j.scan(0, [&](const Record& r) {
    EXPECT_EQ(r.seq, next);
    EXPECT_EQ(r.command, rec(next).command);
    EXPECT_EQ(r.events.size(), 1u);
    ++next;
    return true;
  }, &error)) << error;
  EXPECT_EQ(next, n + 1);
}

TEST(TornTail, SqliteWalTruncatedAtEveryByteOfTheLastRecord) {
  const std::string dir = test::make_temp_dir("torn-sqlite", /*memory_fs=*/true);
  const std::string db = small_page_db(dir);
  constexpr std::uint64_t kN = 30;
  std::string db_bytes, wal_before, wal_after;
  {
    std::string error;
    auto j = open("sqlite://" + db, &error);
    ASSERT_TRUE(j) << error;
    for (std::uint64_t s = 1; s < kN; ++s) {
      std::vector<Record> b = {rec(s)};
      ASSERT_TRUE(j->append(b, &error)) << error;
    }
    wal_before = slurp(db + "-wal");
    std::vector<Record> last = {rec(kN)};
    ASSERT_TRUE(j->append(last, &error)) << error;
    // Copies taken while the journal is open: what a kill -9 leaves.
    db_bytes = slurp(db);
    wal_after = slurp(db + "-wal");
  }
  ASSERT_GT(wal_after.size(), wal_before.size());
  std::printf("WAL of the last record: %zu bytes\n", wal_after.size() - wal_before.size());
  ASSERT_EQ(wal_after.substr(0, wal_before.size()), wal_before);
  const std::string work = dir + "/w.db";
  int dropped_reports = 0;
  for (std::size_t len = wal_before.size(); len <= wal_after.size(); ++len) {
    fs::remove(work + "-shm");
    spit(work, db_bytes);
    spit(work + "-wal", std::string_view(wal_after).substr(0, len));
    OpenReport report;
    std::string error;
    auto j = open("sqlite://" + work, OpenOptions{}, &report, &error);
    ASSERT_TRUE(j) << "len " << len << ": " << error;
    const std::uint64_t want = len == wal_after.size() ? kN : kN - 1;
    ASSERT_EQ(j->last_seq(), want) << "WAL cut at " << len;
    if (len == wal_before.size() || len == wal_after.size()) {
      EXPECT_TRUE(report.dropped.empty()) << len;
    } else {
      ASSERT_EQ(report.dropped.size(), 1u) << "nothing reported at " << len;
      ++dropped_reports;
    }
    if (len % 97 == 0 || len + 1 >= wal_after.size()) expect_records(*j, want);
  }
  EXPECT_EQ(dropped_reports, int(wal_after.size() - wal_before.size() - 1));

  // A corrupt byte in the last transaction's frames drops that transaction
  // only; the report says where.
  for (std::size_t at : {wal_before.size() + 30, wal_after.size() - 1}) {
    std::string bad = wal_after;
    bad[at] = char(bad[at] ^ 0x40);
    fs::remove(work + "-shm");
    spit(work, db_bytes);
    spit(work + "-wal", bad);
    OpenReport report;
    std::string error;
    auto j = open("sqlite://" + work, OpenOptions{}, &report, &error);
    ASSERT_TRUE(j) << error;
    EXPECT_EQ(j->last_seq(), kN - 1);
    ASSERT_EQ(report.dropped.size(), 1u);
    EXPECT_NE(report.dropped[0].find("checksum"), std::string::npos) << report.dropped[0];
    expect_records(*j, kN - 1);
  }
  test::remove_tree(dir);
}

// A flipped bit in an early, committed frame is not a torn tail: the
// transactions after it were committed and acknowledged, and SQLite would
// drop them with it. The store refuses to open, naming the damage; opened
// with truncate_damaged it drops them and says so; the read-only opener
// (queuecast replay) reads up to the damage and reports it.
TEST(TornTail, SqliteWalDamagedBeforeLaterCommitsIsRefused) {
  const std::string dir = test::make_temp_dir("damaged-sqlite", /*memory_fs=*/true);
  const std::string db = small_page_db(dir);
  constexpr std::uint64_t kN = 15, kDamaged = 10;
  std::string db_bytes, wal, wal_before_damaged;
  {
    std::string error;
    auto j = open("sqlite://" + db, &error);
    ASSERT_TRUE(j) << error;
    for (std::uint64_t s = 1; s <= kN; ++s) {
      if (s == kDamaged) wal_before_damaged = slurp(db + "-wal");
      std::vector<Record> b = {rec(s)};
      ASSERT_TRUE(j->append(b, &error)) << error;
    }
    db_bytes = slurp(db);
    wal = slurp(db + "-wal");
  }
  ASSERT_EQ(wal.substr(0, wal_before_damaged.size()), wal_before_damaged);
  // A bit in the page of the first frame of record kDamaged's transaction.
  std::string bad = wal;
  bad[wal_before_damaged.size() + 24 + 100] ^= 0x10;
  const std::string work = dir + "/w.db";
  auto place = [&] {
    fs::remove(work + "-shm");
    spit(work, db_bytes);
    spit(work + "-wal", bad);
  };
  place();
  const WalCheck c = check_wal(work + "-wal");
  EXPECT_TRUE(c.damaged) << c.problem;
  EXPECT_EQ(c.damaged_at, wal_before_damaged.size());
  EXPECT_EQ(c.commits_after, kN - kDamaged);
  {
    OpenReport report;
    std::string error;
    auto j = open("sqlite://" + work, OpenOptions{}, &report, &error);
    EXPECT_FALSE(j) << "opened a WAL damaged before 5 acknowledged commits";
    EXPECT_NE(error.find("damaged"), std::string::npos) << error;
    EXPECT_NE(error.find(std::to_string(kN - kDamaged) + " committed transaction(s)"),
              std::string::npos) << error;
    EXPECT_NE(error.find("--truncate-damaged-journal"), std::string::npos) << error;
    EXPECT_EQ(error.find("never acknowledged"), std::string::npos) << error;
  }
  // Refusing left the files as they were (SQLite did not recover the WAL).
  EXPECT_EQ(slurp(work + "-wal"), bad);
  {
    OpenOptions ro;
    ro.read_only = true;
    OpenReport report;
    std::string error;
    auto j = open("sqlite://" + work, ro, &report, &error);
    ASSERT_TRUE(j) << error;
    EXPECT_EQ(j->last_seq(), kDamaged - 1);
    ASSERT_EQ(report.dropped.size(), 1u);
    EXPECT_NE(report.dropped[0].find("damaged"), std::string::npos) << report.dropped[0];
  }
  place();
  {
    OpenOptions o;
    o.truncate_damaged = true;
    OpenReport report;
    std::string error;
    auto j = open("sqlite://" + work, o, &report, &error);
    ASSERT_TRUE(j) << error;
    EXPECT_EQ(j->last_seq(), kDamaged - 1);
    expect_records(*j, kDamaged - 1);
    ASSERT_EQ(report.dropped.size(), 1u);
    EXPECT_NE(report.dropped[0].find("acknowledged"), std::string::npos) << report.dropped[0];
    EXPECT_EQ(report.dropped[0].find("never acknowledged"), std::string::npos) << report.dropped[0];
    // Writing goes on from there; the dropped frames are gone from the WAL,
    // so a crash now (copies taken while open) is not taken for damage.
    std::vector<Record> next = {rec(kDamaged)};
    ASSERT_TRUE(j->append(next, &error)) << error;
    const std::string db_now = slurp(work), wal_now = slurp(work + "-wal");
    j.reset();
    fs::remove(work + "-shm");
    spit(work, db_now);
    spit(work + "-wal", wal_now);
    OpenReport again;
    auto k = open("sqlite://" + work, OpenOptions{}, &again, &error);
    ASSERT_TRUE(k) << error;
    EXPECT_TRUE(again.dropped.empty()) << again.dropped[0];
    EXPECT_EQ(k->last_seq(), kDamaged);
  }
  // A damaged WAL header before committed frames: the same.
  bad = wal;
  bad[25] ^= 0x01;  // the header's checksum
  place();
  EXPECT_TRUE(check_wal(work + "-wal").damaged);
  {
    std::string error;
    EXPECT_FALSE(open("sqlite://" + work, OpenOptions{}, nullptr, &error));
    EXPECT_NE(error.find("header is damaged"), std::string::npos) << error;
  }
  test::remove_tree(dir);
}

TEST(TornTail, WalCheckOfAMissingOrCleanWal) {
  EXPECT_FALSE(check_wal("/nonexistent/qc.db-wal").present);
  const std::string dir = test::make_temp_dir("walcheck");
  spit(dir + "/x-wal", "short");
  const WalCheck c = check_wal(dir + "/x-wal");
  EXPECT_TRUE(c.present);
  EXPECT_FALSE(c.problem.empty());
  test::remove_tree(dir);
}

TEST(TornTail, RedisAofTruncatedAtEveryByteOfTheLastRecord) {
  test::RedisServer redis;
  std::string error;
  ASSERT_TRUE(redis.start(&error)) << error;
  constexpr std::uint64_t kN = 12;
  std::string aof_path;
  std::size_t before = 0;
  {
    auto j = open(redis.url("torn"), &error);
    ASSERT_TRUE(j) << error;
    for (std::uint64_t s = 1; s < kN; ++s) {
      std::vector<Record> b = {rec(s)};
      ASSERT_TRUE(j->append(b, &error)) << error;
    }
    aof_path = redis.incr_aof();
    ASSERT_FALSE(aof_path.empty());
    before = fs::file_size(aof_path);
    std::vector<Record> last = {rec(kN)};
    ASSERT_TRUE(j->append(last, &error)) << error;
  }
  redis.kill9();
  const std::string full = slurp(aof_path);
  ASSERT_GT(full.size(), before);
  for (std::size_t len = before; len <= full.size(); ++len) {
    spit(aof_path, std::string_view(full).substr(0, len));
    ASSERT_TRUE(redis.start(&error)) << "cut at " << len << ": " << error;
    auto j = open(redis.url("torn"), &error);
    ASSERT_TRUE(j) << error;
    const std::uint64_t want = len == full.size() ? kN : kN - 1;
    ASSERT_EQ(j->last_seq(), want) << "AOF cut at " << len << " of " << full.size();
    if (len == before || len == full.size() || len % 16 == 0) expect_records(*j, want);
    j.reset();
    redis.kill9();
  }
}

}  // namespace
}  // namespace qc::journal
