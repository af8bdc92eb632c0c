// The commit thread (store/threaded_journal.h) over a real SQLite file and
// over the fault-injecting journal: pipelined commits land in order (those
// queued behind a running one as one append), a failure fails every commit
// after it without writing and a new send writes again, wake() ends a wait,
// the other calls wait for the commits in flight, and the destructor joins
// with commits in flight and leaves no gap.
#include "store/threaded_journal.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "store/journal.h"
#include "tests/integration/store/outage_scenarios.h"
#include "tests/integration/store/record_checks.h"
#include "tests/support/fault_journal.h"
#include "tests/support/redis_server.h"

namespace qc::journal {
namespace {

using scenarios::rec;
using test::all;
using test::expect_same;
using test::FaultJournal;
using Commit = Journal::Commit;
using namespace std::chrono_literals;

std::vector<Record> recs(std::uint64_t first, std::uint64_t last) {
  std::vector<Record> out;
  for (std::uint64_t s = first; s <= last; ++s) out.push_back(rec(s, s % 2 == 0));
  return out;
}

std::vector<std::uint64_t> seqs(Journal& j) {
  std::vector<std::uint64_t> out;
  for (const Record& r : all(j)) out.push_back(r.seq);
  return out;
}

// Waits until the fault journal's append() was called n times (the commit
// thread is then inside the n-th, held while hold_appends()).
bool wait_appends(const FaultJournal& f, int n) {
  for (int i = 0; i < 500; ++i) {
    if (f.appends >= n) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

// The adapter over a fault journal over `inner` (both borrowed: the fault
// journal outlives the adapter, so a test may still release it while the
// adapter's destructor joins).
struct Rig {
  explicit Rig(Journal* inner)
      : faults(inner, &fail), fault(&faults), j(with_commit_thread(std::make_unique<FaultJournal>(&faults))) {}
  std::atomic<bool> fail{false};
  FaultJournal faults;
  FaultJournal* fault;
  std::unique_ptr<Journal> j;
};

class ThreadedJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::make_temp_dir("threaded");
    std::string error;
    store_ = open(url(), &error);
    ASSERT_TRUE(store_) << error;
  }
  void TearDown() override {
    store_.reset();
    test::remove_tree(dir_);
  }
  std::string url() const { return "sqlite://" + dir_ + "/journal.db"; }

  std::string dir_;
  std::unique_ptr<Journal> store_;
};

TEST_F(ThreadedJournalTest, PipelinedCommitsLandInOrderAndTheQueuedOnesAsOneAppend) {
  Rig r(store_.get());
  std::string error;
  r.fault->hold_appends();
  std::vector<Record> batch = recs(1, 5);
  r.j->send(batch);
  ASSERT_TRUE(wait_appends(*r.fault, 1));
  // The caller reuses its batch at once: the adapter sent a copy.
  batch = recs(6, 10);
  r.j->send(batch);
  batch = recs(11, 15);
  r.j->send(batch);
  batch.clear();
  EXPECT_EQ(r.j->in_flight(), 3u);
  EXPECT_EQ(r.j->complete(/*block=*/false, &error), Commit::kPending);
  r.fault->release_appends();
  for (int c = 0; c < 3; ++c) ASSERT_EQ(r.j->complete(true, &error), Commit::kDurable) << error;
  EXPECT_EQ(r.j->in_flight(), 0u);
  EXPECT_EQ(r.j->complete(true, &error), Commit::kPending);
  EXPECT_EQ(r.fault->appends.load(), 2);  // [1..5], then [6..10] + [11..15] together
  EXPECT_EQ(r.fault->largest_batch.load(), 10u);
  // Many more rounds, the pipeline kept full.
  std::uint64_t s = 16;
  for (int round = 0; round < 50; ++round) {
    for (int c = 0; c < 3; ++c, s += 4) r.j->send(recs(s, s + 3));
    for (int c = 0; c < 3; ++c) ASSERT_EQ(r.j->complete(true, &error), Commit::kDurable) << error;
  }
  EXPECT_EQ(r.j->last_seq(), s - 1);
  r.j.reset();
  // Durable: another connection to the file reads every record, in order.
  auto reader = open(url(), &error);
  ASSERT_TRUE(reader) << error;
  const std::vector<Record> got = all(*reader);
  ASSERT_EQ(got.size(), s - 1);
  for (std::uint64_t i = 0; i < got.size(); ++i) expect_same(got[i], rec(i + 1, (i + 1) % 2 == 0));
}

TEST_F(ThreadedJournalTest, AFailureFailsEveryLaterCommitWithoutWritingThenASendWritesAgain) {
  Rig r(store_.get());
  std::string error;
  r.j->send(recs(1, 2));
  ASSERT_EQ(r.j->complete(true, &error), Commit::kDurable) << error;
  r.fault->hold_appends();
  r.j->send(recs(3, 3));
  ASSERT_TRUE(wait_appends(*r.fault, 2));
  r.j->send(recs(4, 4));  // queued behind the one being written
  r.j->send(recs(5, 6));
  r.fail = true;
  r.fault->release_appends();
  EXPECT_EQ(r.j->complete(true, &error), Commit::kFailed);
  EXPECT_EQ(error, "disk on fire");
  // The store would take writes again, but [4] and [5,6] are still in
  // flight behind the failure, so a new send fails too.
  r.fail = false;
  r.j->send(recs(7, 7));
  for (int c = 0; c < 3; ++c) {
    error.clear();
    EXPECT_EQ(r.j->complete(true, &error), Commit::kFailed);
    EXPECT_EQ(error, "an earlier commit failed");
  }
  EXPECT_EQ(r.j->in_flight(), 0u);
  EXPECT_EQ(r.fault->appends.load(), 2);  // none of them was written
  EXPECT_EQ(seqs(*r.j), (std::vector<std::uint64_t>{1, 2}));
  // Every failed outcome taken: the next commit is written.
  r.j->send(recs(3, 4));
  EXPECT_EQ(r.j->complete(true, &error), Commit::kDurable) << error;
  EXPECT_EQ(seqs(*store_), (std::vector<std::uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(r.fault->appends.load(), 3);
}

TEST_F(ThreadedJournalTest, WakeEndsAWaitingCompleteOrTheNextOne) {
  Rig r(store_.get());
  std::string error;
  r.fault->hold_appends();
  r.j->send(recs(1, 1));
  std::thread waker([&] {
    std::this_thread::sleep_for(50ms);
    r.j->wake();
  });
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(r.j->complete(true, &error), Commit::kPending);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms);
  waker.join();
  // A wake() before the wait ends the next one at once.
  r.j->wake();
  t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(r.j->complete(true, &error), Commit::kPending);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms);
  EXPECT_EQ(r.j->in_flight(), 1u);
  r.fault->release_appends();
  EXPECT_EQ(r.j->complete(true, &error), Commit::kDurable) << error;
  EXPECT_EQ(r.j->last_seq(), 1u);
}

TEST_F(ThreadedJournalTest, OtherCallsWaitForTheCommitsInFlightAndCommitsWaitForThem) {
  Rig r(store_.get());
  std::string error;
  r.fault->hold_appends();
  r.j->send(recs(1, 3));
  ASSERT_TRUE(wait_appends(*r.fault, 1));
  auto last = std::async(std::launch::async, [&] { return r.j->last_seq(); });
  auto records = std::async(std::launch::async, [&] { return seqs(*r.j); });
  EXPECT_EQ(last.wait_for(50ms), std::future_status::timeout);
  EXPECT_EQ(records.wait_for(0ms), std::future_status::timeout);
  r.fault->release_appends();
  EXPECT_EQ(last.get(), 3u);  // after the commit, not before
  EXPECT_EQ(records.get(), (std::vector<std::uint64_t>{1, 2, 3}));
  ASSERT_EQ(r.j->complete(true, &error), Commit::kDurable) << error;
  // A commit sent while a scan runs is written after the scan.
  std::promise<void> scanning, go_on;
  auto scan = std::async(std::launch::async, [&] {
    bool first = true;
    return r.j->scan(0, [&](const Record&) {
      if (first) {
        first = false;
        scanning.set_value();
        go_on.get_future().wait();
      }
      return true;
    }, nullptr);
  });
  scanning.get_future().wait();
  r.j->send(recs(4, 4));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(r.fault->appends.load(), 1);
  EXPECT_EQ(r.j->complete(false, &error), Commit::kPending);
  go_on.set_value();
  EXPECT_TRUE(scan.get());
  EXPECT_EQ(r.j->complete(true, &error), Commit::kDurable) << error;
  EXPECT_EQ(r.fault->appends.load(), 2);
  EXPECT_EQ(r.j->last_seq(), 4u);
}

TEST_F(ThreadedJournalTest, TheDestructorFinishesTheCommitBeingWrittenAndFailsTheRest) {
  Rig r(store_.get());
  r.fault->hold_appends();
  r.j->send(recs(1, 2));
  ASSERT_TRUE(wait_appends(*r.fault, 1));
  r.j->send(recs(3, 3));
  r.j->send(recs(4, 5));
  std::thread releaser([&] {
    std::this_thread::sleep_for(50ms);
    r.fault->release_appends();
  });
  r.j.reset();  // joins the commit thread
  releaser.join();
  // The commit being written landed; the queued ones were not written: no gap.
  EXPECT_EQ(seqs(*store_), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(store_->last_seq(), 2u);
}

}  // namespace
}  // namespace qc::journal
