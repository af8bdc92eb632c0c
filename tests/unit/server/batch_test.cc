// The one batching mechanism of the hand-offs between threads
// (server/infra/batch.h): deferred functions run once per key, at the end of
// the outermost batch of the thread, after it closed; nothing is deferred
// outside a batch or on another thread.
#include "server/infra/batch.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace qc::gw {
namespace {

struct Counter {
  int runs = 0;
  static void run(void* self) { ++static_cast<Counter*>(self)->runs; }
};

TEST(Batch, DefersToTheEndOfTheOutermostBatchOncePerKey) {
  Counter a, b;
  EXPECT_FALSE(Batch::open());
  EXPECT_FALSE(Batch::defer(&a, &Counter::run, &a));  // no batch: the caller hands over itself
  {
    Batch outer;
    EXPECT_TRUE(Batch::open());
    EXPECT_TRUE(Batch::defer(&a, &Counter::run, &a));
    {
      Batch inner;
      EXPECT_TRUE(Batch::defer(&a, &Counter::run, &a));
      EXPECT_TRUE(Batch::defer(&b, &Counter::run, &b));
    }
    EXPECT_EQ(a.runs, 0);  // the inner end is not the end
    EXPECT_EQ(b.runs, 0);
    EXPECT_TRUE(Batch::defer(&a, &Counter::run, &a));
  }
  EXPECT_EQ(a.runs, 1);
  EXPECT_EQ(b.runs, 1);
  EXPECT_FALSE(Batch::open());
  EXPECT_FALSE(Batch::defer(&a, &Counter::run, &a));
  EXPECT_EQ(a.runs, 1);
}

// The order of first deferral; a function runs with the batch closed, so
// what it does is handed over at once (here: a second defer returns false).
struct Log {
  std::vector<std::string> lines;
  bool open_inside = true;
  bool deferred_inside = true;
};
Log* g_log = nullptr;
void first(void*) { g_log->lines.push_back("first"); }
void second(void*) {
  g_log->lines.push_back("second");
  g_log->open_inside = Batch::open();
  g_log->deferred_inside = Batch::defer(&g_log, &first, nullptr);
}

TEST(Batch, RunsInOrderOfFirstDeferralWithTheBatchClosed) {
  Log log;
  g_log = &log;
  const int key1 = 0, key2 = 0;
  {
    Batch b;
    Batch::defer(&key1, &first, nullptr);
    Batch::defer(&key2, &second, nullptr);
    Batch::defer(&key1, &second, nullptr);  // same key: keeps the first function
  }
  EXPECT_EQ(log.lines, (std::vector<std::string>{"first", "second"}));
  EXPECT_FALSE(log.open_inside);
  EXPECT_FALSE(log.deferred_inside);
  g_log = nullptr;
}

// A batch held outside the stack (the network thread's pass over new
// requests: std::optional<Batch>, reset by a later handler) counts the same.
TEST(Batch, ABatchHeldInAnOptionalNestsWithScopedOnes) {
  Counter c;
  std::optional<Batch> pass;
  pass.emplace();
  {
    Batch scoped;
    EXPECT_TRUE(Batch::defer(&c, &Counter::run, &c));
  }
  EXPECT_EQ(c.runs, 0);
  pass.reset();
  EXPECT_EQ(c.runs, 1);
}

TEST(Batch, IsPerThread) {
  Counter c;
  Batch b;
  bool other_open = true, other_deferred = true;
  std::thread t([&] {
    other_open = Batch::open();
    other_deferred = Batch::defer(&c, &Counter::run, &c);
  });
  t.join();
  EXPECT_FALSE(other_open);
  EXPECT_FALSE(other_deferred);
  EXPECT_EQ(c.runs, 0);
}

}  // namespace
}  // namespace qc::gw
