// The runtime: group commit into the journal, acknowledgement after the
// append, idempotency keys that survive a restart, authorization on the
// shard, a failing journal, publication to subscribers.
#include "server/runtime/runtime.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <thread>

#include "store/journal.h"
#include "store/recovery.h"
#include "store/threaded_journal.h"
#include "server/runtime/command_facts.h"
#include "server/runtime/directory.h"
#include "server/live/hub.h"
#include "tests/support/fault_journal.h"
#include "tests/support/sessions.h"
#include "queuecast/v1/queuecast.pb.h"

namespace qc::gw {
namespace {

constexpr Time kT0 = 1'795'330'800'000;  // 2026-11-22T08:00:00Z

// A journal that outlives the runtime (restarts), failing on demand.
using qc::test::FaultJournal;

SessionSpec spec(std::string id, std::string dept) {
  return qc::test::test_session(std::move(id), std::move(dept), "neuro-2f", kT0, 4);
}

Principal admin() { return Principal{Role::kAdmin, "boss", {}, {}}; }
Principal nurse(std::string dept) { return Principal{Role::kNurse, "n1", {std::move(dept)}, {}}; }

// A runtime recovered from its journals and started (every fixture's last step).
std::unique_ptr<Runtime> recovered_and_started(std::unique_ptr<Runtime> rt) {
  std::string err;
  EXPECT_TRUE(rt->recover(&err)) << err;
  rt->start();
  return rt;
}

CommandOutcome run(Runtime& rt, CommandBody body, Principal who, std::string key = "") {
  std::promise<CommandOutcome> p;
  auto f = p.get_future();
  CommandRequest r;
  r.command.actor = who.actor();
  r.command.body = std::move(body);
  r.principal = std::move(who);
  r.idempotency_key = std::move(key);
  r.done = [&p](CommandOutcome o) { p.set_value(std::move(o)); };
  rt.submit(std::move(r));
  return f.get();
}

// A degraded shard becomes ready again at a tick once its store takes
// writes; true when it did within 10 s.
bool wait_ready(Runtime& rt) {
  for (int i = 0; i < 500 && !rt.ready(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return rt.ready();
}

struct Fixture {
  std::unique_ptr<journal::Journal> store = journal::make_memory_journal();
  std::atomic<bool> fail{false};
  VirtualClock clock{kT0, 1.0};
  Metrics metrics;
  FaultJournal* journal = nullptr;
  std::unique_ptr<Runtime> start() {
    auto j = std::make_unique<FaultJournal>(store.get(), &fail);
    journal = j.get();
    auto rt = std::make_unique<Runtime>(RuntimeOptions{}, clock, metrics, std::move(j));
    return recovered_and_started(std::move(rt));
  }
};

TEST(Runtime, AcknowledgesAfterTheJournalAndRecordsTheActor) {
  Fixture f;
  auto rt = f.start();
  ASSERT_EQ(run(*rt, CreateSession{spec("s1", "neuro")}, admin()).error, Error::kOk);
  CommandOutcome o = run(*rt, RegisterWalkIn{"s1", "P1", "Zhang San", "", "tok1"}, nurse("neuro"));
  ASSERT_EQ(o.error, Error::kOk) << o.message;
  EXPECT_TRUE(o.created);
  queuecast::v1::CommandResponse resp;
  ASSERT_TRUE(resp.ParseFromString(o.encode(Format::kProto)));
  EXPECT_EQ(resp.label(), "W001");
  EXPECT_EQ(resp.token(), "tok1");
  EXPECT_EQ(resp.ticket().ahead(), 0);
  // Both commands are durable, with who did them.
  std::vector<journal::Record> records;
  f.store->scan(0, [&](const journal::Record& r) { records.push_back(r); return true; }, nullptr);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].actor, "nurse:n1");
  EXPECT_EQ(records[1].session_id, "s1");
  EXPECT_EQ(records[1].command_name, "register_walk_in");
  ASSERT_EQ(records[1].events.size(), 1u);
  EXPECT_EQ(records[1].events[0].type, "walk_in_registered");
}

// The journal's snapshot: after `snapshot_every` records, once their commands
// weigh as much as the engine's image (docs/durability.md, "Snapshots").
TEST(Runtime, AJournalSnapshotWaitsForItsCountAndForTheCommandsToWeighAsMuchAsTheImage) {
  std::unique_ptr<journal::Journal> store = journal::make_memory_journal();
  VirtualClock clock{kT0, 1.0};
  Metrics metrics;
  RuntimeOptions o;
  o.snapshot_every = 20;
  auto rt = recovered_and_started(
      std::make_unique<Runtime>(o, clock, metrics, std::make_unique<FaultJournal>(store.get())));
  auto snapshot = [&] {
    std::uint64_t seq = 0;
    std::string image, err;
    store->load_snapshot(&seq, &image, &err);
    return std::make_pair(seq, image.size());
  };
  // The snapshot is written after the group's answer, once the shard is idle.
  auto snapshot_after = [&](std::uint64_t seq) {
    for (int i = 0; i < 200 && snapshot().first <= seq; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return snapshot();
  };
  auto bytes_after = [&](std::uint64_t seq) {
    std::size_t n = 0;
    store->scan(seq, [&](const journal::Record& r) { n += r.command.size(); return true; }, nullptr);
    return n;
  };
  int tickets = 0;
  auto walk_in = [&] {
    const std::string n = std::to_string(++tickets);
    ASSERT_EQ(run(*rt, RegisterWalkIn{"s1", "P" + n, "Patient " + n, "", "tok" + n}, nurse("neuro")).error,
              Error::kOk);
  };
  ASSERT_EQ(run(*rt, CreateSession{qc::test::test_session("s1", "neuro", "neuro-2f", kT0, 500)}, admin())
                .error,
            Error::kOk);
  for (int i = 0; i < 19; ++i) walk_in();
  // 20 records, and the image they are weighed against was the empty engine's.
  const auto [first, image] = snapshot_after(0);
  ASSERT_EQ(first, 20u);
  // 20 more records, lighter than the image: no snapshot yet.
  for (int i = 0; i < 20; ++i) walk_in();
  ASSERT_LT(bytes_after(first), image);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(snapshot().first, first);
  // Once they weigh as much, the next commit takes it.
  while (bytes_after(first) < image) walk_in();
  walk_in();
  EXPECT_GT(snapshot_after(first).first, first);
}

TEST(Runtime, ManyConcurrentCommandsShareGroupCommits) {
  Fixture f;
  auto rt = f.start();
  ASSERT_EQ(run(*rt, CreateSession{spec("s1", "neuro")}, admin()).error, Error::kOk);
  int before = f.journal->appends;
  // A slow disk: every append waits until all the commands are queued, so
  // the commands behind the first commit are at hand together. A shard that
  // grouped nothing would still append once per applied command (16 appends
  // of one record each); grouping carries many in one append.
  f.journal->hold_appends();
  constexpr int kN = 200;
  std::vector<std::promise<CommandOutcome>> ps(kN);
  for (int i = 0; i < kN; ++i) {
    CommandRequest r;
    r.command.body = RegisterWalkIn{"s1", "P" + std::to_string(i), "x", "", ""};
    r.principal = admin();
    r.command.actor = r.principal.actor();
    r.done = [&ps, i](CommandOutcome o) { ps[i].set_value(std::move(o)); };
    rt->submit(std::move(r));
  }
  f.journal->release_appends();
  int ok = 0;
  for (auto& p : ps) ok += p.get_future().get().error == Error::kOk;
  EXPECT_EQ(ok, 16);  // W = 4 x 4
  EXPECT_EQ(f.store->last_seq(), 1u + 16u);
  EXPECT_LT(f.journal->appends - before, 16);  // fewer appends than applied commands
  EXPECT_GT(f.journal->largest_batch.load(), 1u);  // an append carried several commands
}

TEST(Runtime, IdempotencyKeysSurviveARestart) {
  Fixture f;
  std::string first;
  {
    auto rt = f.start();
    ASSERT_EQ(run(*rt, CreateSession{spec("s1", "neuro")}, admin()).error, Error::kOk);
    CommandOutcome a = run(*rt, Book{"s1", 1, "P1", "Zhang", "", "", "tokA"}, admin(), "admin:boss\x1fk1");
    ASSERT_EQ(a.error, Error::kOk) << a.message;
    CommandOutcome b = run(*rt, Book{"s1", 1, "P1", "Zhang", "", "", "tokB"}, admin(), "admin:boss\x1fk1");
    EXPECT_TRUE(b.replayed);
    EXPECT_EQ(b.encode(Format::kProto), a.encode(Format::kProto));  // same ticket, same token
    first = a.encode(Format::kProto);
    rt->stop();
  }
  auto rt = f.start();  // recovery from the same journal
  CommandOutcome c = run(*rt, Book{"s1", 1, "P1", "Zhang", "", "", "tokC"}, admin(), "admin:boss\x1fk1");
  EXPECT_TRUE(c.replayed);
  EXPECT_EQ(c.encode(Format::kProto), first);
  EXPECT_EQ(f.store->last_seq(), 2u);  // nothing booked twice
  // The state came back too: the patient already holds a booking.
  CommandOutcome d = run(*rt, Book{"s1", 2, "P1", "Zhang", "", "", "tokD"}, admin());
  EXPECT_EQ(d.error, Error::kAlreadyBooked);
}

TEST(Runtime, ScopesAndPatientTokensAreCheckedOnTheShard) {
  Fixture f;
  auto rt = f.start();
  ASSERT_EQ(run(*rt, CreateSession{spec("s1", "neuro")}, admin()).error, Error::kOk);
  ASSERT_EQ(run(*rt, Book{"s1", 1, "P1", "A", "t1", "", "0123456789abcdef0123456789abcdef"}, admin()).error,
            Error::kOk);
  ASSERT_EQ(run(*rt, Book{"s1", 1, "P2", "B", "t2", "", "fedcba9876543210fedcba9876543210"}, admin()).error,
            Error::kOk);
  EXPECT_EQ(run(*rt, CallNext{"s1"}, nurse("cardio")).error, Error::kForbidden);
  EXPECT_EQ(run(*rt, CallNext{"s1"}, nurse("neuro")).error, Error::kOk);
  Principal p1{Role::kPatient, "0123456789abcdef0123456789abcdef", {}, {}};
  EXPECT_EQ(run(*rt, Cancel{"t2"}, p1).error, Error::kForbidden);
  Principal stranger{Role::kPatient, "00000000000000000000000000000000", {}, {}};
  EXPECT_EQ(run(*rt, Cancel{"t1"}, stranger).error, Error::kUnauthorized);
  EXPECT_EQ(run(*rt, Cancel{"t1"}, p1).error, Error::kCancelDeadlinePassed);  // deadline = reg. open
  EXPECT_EQ(run(*rt, Tick{}, admin()).error, Error::kForbidden);
}

// A store that can be read but not written (disk full, Redis maxmemory):
// the shard stays degraded (not ready) and answers every command
// `unavailable` without touching the engine or replaying the journal; it
// probes the store every tick, and once the store takes writes it is
// rebuilt once and ready, with nothing lost and nothing doubled.
TEST(Runtime, AReadableButFullStoreKeepsTheShardDegradedUntilItTakesWrites) {
  Fixture f;
  auto rt = f.start();
  ASSERT_EQ(run(*rt, CreateSession{spec("s1", "neuro")}, admin()).error, Error::kOk);
  ASSERT_EQ(run(*rt, RegisterWalkIn{"s1", "P1", "A", "", ""}, admin()).error, Error::kOk);
  f.fail = true;
  EXPECT_EQ(run(*rt, RegisterWalkIn{"s1", "P2", "B", "", ""}, admin()).error, Error::kUnavailable);
  EXPECT_FALSE(rt->ready()) << "a store that takes no writes: /readyz must say 503";
  const int recoveries = f.journal->recoveries.load();
  const int appends = f.journal->appends;
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(run(*rt, RegisterWalkIn{"s1", "P3", "C", "", ""}, admin()).error, Error::kUnavailable);
  EXPECT_FALSE(rt->ready());
  EXPECT_EQ(f.journal->recoveries.load(), recoveries) << "the journal was replayed for refused commands";
  EXPECT_EQ(f.journal->appends.load(), appends) << "commands were applied while degraded";
  // Probed at the ticks, still failing: still degraded.
  const int probes = f.journal->probes.load();
  for (int i = 0; i < 200 && f.journal->probes.load() < probes + 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_GE(f.journal->probes.load(), probes + 2);
  EXPECT_FALSE(rt->ready());
  f.fail = false;
  ASSERT_TRUE(wait_ready(*rt));
  EXPECT_EQ(f.journal->recoveries.load(), recoveries + 1);  // rebuilt once
  CommandOutcome o = run(*rt, RegisterWalkIn{"s1", "P4", "D", "", ""}, admin());
  ASSERT_EQ(o.error, Error::kOk) << o.message;
  queuecast::v1::CommandResponse resp;
  ASSERT_TRUE(resp.ParseFromString(o.encode(Format::kProto)));
  EXPECT_EQ(resp.label(), "W002");  // W001 kept, nothing of the refused ones
  std::vector<std::uint64_t> seqs;
  f.store->scan(0, [&](const journal::Record& r) { seqs.push_back(r.seq); return true; }, nullptr);
  EXPECT_EQ(seqs, (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST(Runtime, AFailingJournalAnswersUnavailableAndChangesNothing) {
  Fixture f;
  auto rt = f.start();
  ASSERT_EQ(run(*rt, CreateSession{spec("s1", "neuro")}, admin()).error, Error::kOk);
  f.fail = true;
  EXPECT_EQ(run(*rt, RegisterWalkIn{"s1", "P1", "A", "", ""}, admin()).error, Error::kUnavailable);
  f.fail = false;
  ASSERT_TRUE(wait_ready(*rt));
  // The failed walk-in was undone: the next one is W001 again.
  CommandOutcome o = run(*rt, RegisterWalkIn{"s1", "P2", "B", "", ""}, admin());
  ASSERT_EQ(o.error, Error::kOk) << o.message;
  queuecast::v1::CommandResponse resp;
  ASSERT_TRUE(resp.ParseFromString(o.encode(Format::kProto)));
  EXPECT_EQ(resp.label(), "W001");
  EXPECT_TRUE(rt->ready());
}

class Collect final : public Subscriber {
 public:
  Format format() const override { return Format::kJson; }
  void deliver(const Topic& topic, Frame frame) override {
    std::lock_guard lock(mu);
    frames.emplace_back(to_string(topic), *frame.bytes);
  }
  void send_control(std::shared_ptr<const std::string>) override {}
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> frames;
};

// `sub` follows `topics` in the hub of the shard that owns session `sid`.
void follow(Runtime& rt, const char* sid, std::vector<Topic> topics, std::shared_ptr<Subscriber> sub) {
  std::promise<void> added;
  rt.read_session(sid, [&](ShardContext& ctx) {
    for (const Topic& t : topics) ctx.hub.add(t, "", sub);
    added.set_value();
  });
  added.get_future().get();
}

TEST(Runtime, PublishesChangedViewsToSubscribersAfterTheCommit) {
  Fixture f;
  auto rt = f.start();
  ASSERT_EQ(run(*rt, CreateSession{spec("s1", "neuro")}, admin()).error, Error::kOk);
  auto sub = std::make_shared<Collect>();
  follow(*rt, "s1", {board_topic("s1"), display_topic("neuro-2f")}, sub);
  ASSERT_EQ(run(*rt, RegisterWalkIn{"s1", "P1", "Zhang San", "", ""}, admin()).error, Error::kOk);
  ASSERT_EQ(run(*rt, CallNext{"s1"}, admin()).error, Error::kOk);
  std::promise<void> done;
  rt->read_session("s1", [&](ShardContext&) { done.set_value(); });
  done.get_future().get();
  std::lock_guard lock(sub->mu);
  ASSERT_EQ(sub->frames.size(), 4u);  // board + display, twice
  EXPECT_EQ(sub->frames[2].first, "b/s1");
  EXPECT_NE(sub->frames[2].second.find("\"calledLabel\":\"W001\""), std::string::npos);
  EXPECT_NE(sub->frames[3].second.find("\"maskedName\":\"Z*** S.\""), std::string::npos);
  EXPECT_EQ(sub->frames[3].second.find("Zhang San"), std::string::npos);  // displays never see names
}

// At local midnight a display's rooms change with no command (yesterday's
// room leaves): the display is pushed, with a higher version, although no
// session changed.
TEST(Runtime, DisplaysArePushedWhenTheDayChanges) {
  Fixture f;
  // The next local midnight of the sessions (UTC+8) after kT0.
  const Time midnight = (kT0 + 8 * kHour) / kDay * kDay + kDay - 8 * kHour;
  VirtualClock clock{midnight - 3500, 1.0};
  auto rt = std::make_unique<Runtime>(RuntimeOptions{}, clock, f.metrics,
                                      std::make_unique<FaultJournal>(f.store.get()));
  std::string err;
  ASSERT_TRUE(rt->recover(&err)) << err;
  rt->start();
  ASSERT_EQ(run(*rt, CreateSession{spec("s1", "neuro")}, admin()).error, Error::kOk);
  // A tick closes the session (it ended at noon): the last change by a command.
  bool closed = false;
  for (int i = 0; i < 100 && !closed; ++i) {
    std::promise<bool> p;
    rt->read_session("s1", [&](ShardContext& ctx) {
      p.set_value(ctx.engine.staff_view("s1", ctx.now)->status == SessionStatus::kClosed);
    });
    closed = p.get_future().get();
    if (!closed) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(closed);
  auto sub = std::make_shared<Collect>();
  std::promise<std::uint64_t> added;
  rt->read_area("neuro-2f", [&](ShardContext& ctx) {
    ctx.hub.add(display_topic("neuro-2f"), "", sub);
    ASSERT_LT(ctx.now, midnight);
    added.set_value(ctx.engine.display_view("neuro-2f", ctx.now).version);
  });
  const std::uint64_t before = added.get_future().get();
  std::string frame;
  for (int i = 0; i < 200 && frame.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::lock_guard lock(sub->mu);
    for (const auto& [topic, bytes] : sub->frames)
      if (topic == "d/neuro-2f") frame = bytes;
  }
  ASSERT_FALSE(frame.empty()) << "no display pushed at midnight";
  EXPECT_NE(frame.find("\"rooms\":[]"), std::string::npos) << frame;
  EXPECT_EQ(frame.find("\"version\":\"" + std::to_string(before) + "\""), std::string::npos)
      << frame;
  rt->stop();
}

// ---- Pipelined group commits ----

// A journal whose commits stay in flight until the test settles them, in
// order; like the Redis store, a commit lands only if the one before it
// landed (a failure fails every commit in flight after it).
class GatedJournal final : public FaultJournal {
 public:
  explicit GatedJournal(journal::Journal* inner) : FaultJournal(inner) {}
  bool append(std::span<const journal::Record> batch, std::string* error) override {
    return inner_->append(batch, error);
  }
  void send(std::span<const journal::Record> batch) override {
    std::lock_guard lock(mu_);
    if (open_) {  // no gate: durable at once
      done_.push_back(inner_->append(batch, nullptr));
      return;
    }
    pending_.emplace_back(batch.begin(), batch.end());
    cv_.notify_all();
  }
  Commit complete(bool block, std::string* error) override {
    std::unique_lock lock(mu_);
    for (;;) {
      if (!done_.empty()) {
        const bool ok = done_.front();
        done_.erase(done_.begin());
        if (!ok && error) *error = "disk on fire";
        return ok ? Commit::kDurable : Commit::kFailed;
      }
      if (pending_.empty() || !block) return Commit::kPending;
      if (woken_) {
        woken_ = false;
        return Commit::kPending;
      }
      ++waiting_;
      cv_.notify_all();
      cv_.wait(lock);
      --waiting_;
    }
  }
  std::size_t in_flight() const override {
    std::lock_guard lock(mu_);
    return pending_.size() + done_.size();
  }
  void wake() override {
    std::lock_guard lock(mu_);
    woken_ = true;
    cv_.notify_all();
  }

  // The test's side.
  void close_gate() {
    std::lock_guard lock(mu_);
    open_ = false;
  }
  // Opens the gate: what it holds goes through too, in order (a commit sent
  // just before the gate opened must not stay in flight for ever).
  void open_gate() {
    std::lock_guard lock(mu_);
    open_ = true;
    for (auto& batch : pending_) done_.push_back(inner_->append(batch, nullptr));
    pending_.clear();
    cv_.notify_all();
  }
  // Waits until n commits are in flight (held at the gate).
  bool wait_pending(std::size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return pending_.size() >= n; });
  }
  // Waits until the shard waits in complete() for a commit held here.
  bool wait_shard_waiting() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return waiting_ > 0; });
  }
  std::size_t pending() const {
    std::lock_guard lock(mu_);
    return pending_.size();
  }
  // Settles the oldest commit held: durable (ok) or failed; a failure fails
  // every commit held after it.
  void settle(bool ok) {
    std::lock_guard lock(mu_);
    if (pending_.empty()) return;
    if (ok) {
      done_.push_back(inner_->append(pending_.front(), nullptr));
      pending_.erase(pending_.begin());
    } else {
      for (std::size_t i = 0; i < pending_.size(); ++i) done_.push_back(false);
      pending_.clear();
    }
    cv_.notify_all();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;
  bool woken_ = false;
  int waiting_ = 0;
  std::vector<std::vector<journal::Record>> pending_;
  std::vector<bool> done_;
};

struct Pending {
  std::future<CommandOutcome> future;
  bool answered() { return future.wait_for(std::chrono::milliseconds(0)) == std::future_status::ready; }
  bool answered_within(int ms) {
    return future.wait_for(std::chrono::milliseconds(ms)) == std::future_status::ready;
  }
};

// With a key, `fingerprint` stands for the request (Service computes it from
// the HTTP request; any distinct strings stand for distinct requests).
Pending submit(Runtime& rt, CommandBody body, Principal who, std::string key = "",
               std::string fingerprint = "") {
  auto p = std::make_shared<std::promise<CommandOutcome>>();
  Pending out{p->get_future()};
  CommandRequest r;
  r.command.actor = who.actor();
  r.command.body = std::move(body);
  r.principal = std::move(who);
  r.idempotency_key = std::move(key);
  r.request_fingerprint = std::move(fingerprint);
  r.done = [p](CommandOutcome o) { p->set_value(std::move(o)); };
  rt.submit(std::move(r));
  return out;
}

std::string label_of(const CommandOutcome& o) {
  queuecast::v1::CommandResponse resp;
  EXPECT_TRUE(resp.ParseFromString(o.encode(Format::kProto)));
  return resp.label();
}

// The labels of a session's tickets as a read on the shard sees them.
std::vector<std::string> read_labels(Runtime& rt, const std::string& sid) {
  std::promise<std::vector<std::string>> p;
  rt.read_session(sid, [&](ShardContext& ctx) {
    std::vector<std::string> labels;
    if (auto v = ctx.engine.staff_view(sid, ctx.now))
      for (const auto& t : v->tickets) labels.push_back(t.label);
    p.set_value(std::move(labels));
  });
  return p.get_future().get();
}

struct PipelineFixture {
  std::unique_ptr<journal::Journal> store = journal::make_memory_journal();
  VirtualClock clock{kT0, 1.0};
  Metrics metrics;
  GatedJournal* journal = nullptr;
  std::unique_ptr<Runtime> start(std::size_t depth = 3, bool wake = true) {
    auto j = std::make_unique<GatedJournal>(store.get());
    journal = j.get();
    RuntimeOptions o;
    o.commit_depth = depth;
    o.commit_wake = wake;
    auto rt = std::make_unique<Runtime>(o, clock, metrics, std::move(j));
    return recovered_and_started(std::move(rt));
  }
  std::vector<std::uint64_t> seqs() {
    std::vector<std::uint64_t> out;
    store->scan(0, [&](const journal::Record& r) { out.push_back(r.seq); return true; }, nullptr);
    return out;
  }
};

TEST(RuntimePipeline, LaterGroupsAreSentWhileOneIsInFlightAndAnsweredInOrder) {
  PipelineFixture f;
  auto rt = f.start();
  ASSERT_EQ(run(*rt, CreateSession{spec("s1", "neuro")}, admin()).error, Error::kOk);
  f.journal->close_gate();
  Pending a = submit(*rt, RegisterWalkIn{"s1", "P1", "A", "", ""}, admin());
  ASSERT_TRUE(f.journal->wait_pending(1));
  Pending b = submit(*rt, RegisterWalkIn{"s1", "P2", "B", "", ""}, admin());
  ASSERT_TRUE(f.journal->wait_pending(2));  // sent while the first is in flight
  Pending c = submit(*rt, RegisterWalkIn{"s1", "P3", "C", "", ""}, admin());
  ASSERT_TRUE(f.journal->wait_pending(3));
  // Depth 3: a fourth group waits for room.
  Pending d = submit(*rt, RegisterWalkIn{"s1", "P4", "D", "", ""}, admin());
  EXPECT_FALSE(d.answered_within(50));
  EXPECT_EQ(f.journal->pending(), 3u);
  EXPECT_FALSE(a.answered());
  f.journal->settle(true);
  ASSERT_TRUE(a.answered_within(5000));
  EXPECT_FALSE(b.answered_within(20));  // its own commit is still in flight
  ASSERT_TRUE(f.journal->wait_pending(3));  // the fourth was sent
  f.journal->settle(true);
  f.journal->settle(true);
  f.journal->settle(true);
  EXPECT_EQ(label_of(a.future.get()), "W001");
  EXPECT_EQ(label_of(b.future.get()), "W002");
  EXPECT_EQ(label_of(c.future.get()), "W003");
  EXPECT_EQ(label_of(d.future.get()), "W004");
  EXPECT_EQ(f.seqs(), (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
}

// Without commit_wake, commands that arrive while the shard waits for a
// commit form one group after it (still sent while the next is in flight).
TEST(RuntimePipeline, WithoutWakeCommandsWaitForTheCommitInFlight) {
  PipelineFixture f;
  auto rt = f.start(3, /*wake=*/false);
  ASSERT_EQ(run(*rt, CreateSession{spec("s1", "neuro")}, admin()).error, Error::kOk);
  f.journal->close_gate();
  Pending a = submit(*rt, RegisterWalkIn{"s1", "P1", "A", "", ""}, admin());
  ASSERT_TRUE(f.journal->wait_pending(1));
  ASSERT_TRUE(f.journal->wait_shard_waiting());
  Pending b = submit(*rt, RegisterWalkIn{"s1", "P2", "B", "", ""}, admin());
  Pending c = submit(*rt, RegisterWalkIn{"s1", "P3", "C", "", ""}, admin());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(f.journal->pending(), 1u);  // b and c wait for a's commit
  f.journal->settle(true);
  ASSERT_TRUE(f.journal->wait_pending(1));  // b and c: one group
  f.journal->settle(true);
  EXPECT_EQ(label_of(a.future.get()), "W001");
  EXPECT_EQ(label_of(b.future.get()), "W002");
  EXPECT_EQ(label_of(c.future.get()), "W003");
  EXPECT_EQ(f.seqs(), (std::vector<std::uint64_t>{1, 2, 3, 4}));
}

// A failure in the middle: the failed group and every group after it are
// answered `unavailable`, none of them is visible afterwards, the journal
// has no gap, and the state equals a replay of the journal.
TEST(RuntimePipeline, AFailedCommitFailsEveryLaterGroupInFlight) {
  PipelineFixture f;
  auto rt = f.start();
  ASSERT_EQ(run(*rt, CreateSession{spec("s1", "neuro")}, admin()).error, Error::kOk);
  f.journal->close_gate();
  Pending a = submit(*rt, RegisterWalkIn{"s1", "P1", "A", "", ""}, admin());
  ASSERT_TRUE(f.journal->wait_pending(1));
  Pending b = submit(*rt, RegisterWalkIn{"s1", "P2", "B", "", ""}, admin());
  ASSERT_TRUE(f.journal->wait_pending(2));
  Pending c = submit(*rt, CallNext{"s1"}, admin());
  ASSERT_TRUE(f.journal->wait_pending(3));
  f.journal->settle(true);   // a: durable
  ASSERT_TRUE(a.answered_within(5000));
  f.journal->settle(false);  // b fails, and c with it
  CommandOutcome ob = b.future.get(), oc = c.future.get();
  EXPECT_EQ(ob.error, Error::kUnavailable) << ob.message;
  EXPECT_EQ(oc.error, Error::kUnavailable) << oc.message;
  EXPECT_EQ(label_of(a.future.get()), "W001");
  f.journal->open_gate();
  ASSERT_TRUE(wait_ready(*rt));
  // Nothing of b or c: one ticket, not called; the next walk-in is W002.
  EXPECT_EQ(read_labels(*rt, "s1"), (std::vector<std::string>{"W001"}));
  CommandOutcome e = run(*rt, RegisterWalkIn{"s1", "P5", "E", "", ""}, admin());
  ASSERT_EQ(e.error, Error::kOk) << e.message;
  EXPECT_EQ(label_of(e), "W002");
  EXPECT_TRUE(rt->ready());
  EXPECT_EQ(f.seqs(), (std::vector<std::uint64_t>{1, 2, 3}));  // no gap
  // The state equals a replay of the journal.
  std::promise<std::string> live;
  rt->read_session("s1", [&](ShardContext& ctx) { live.set_value(ctx.engine.save()); });
  const std::string image = live.get_future().get();
  rt->stop();
  Engine replayed;
  journal::RecoveryReport report;
  std::string err;
  ASSERT_TRUE(journal::recover(*f.store, &replayed, {}, &report, &err)) << err;
  EXPECT_EQ(replayed.save(), image);
}

// Over the commit thread (store/threaded_journal.h, queuecastd's SQLite
// store): groups are sent while one is written and answered in order; a
// failure answers the failed group and every one behind it `unavailable`,
// nothing of them stays, the journal has no gap, and service resumes.
TEST(RuntimePipeline, OverACommitThreadGroupsAreAnsweredInOrderAndAFailureFailsTheLaterOnes) {
  std::unique_ptr<journal::Journal> store = journal::make_memory_journal();
  std::atomic<bool> fail{false};
  FaultJournal faults(store.get(), &fail);
  VirtualClock clock{kT0, 1.0};
  Metrics metrics;
  auto rt = recovered_and_started(std::make_unique<Runtime>(
      RuntimeOptions{}, clock, metrics,
      journal::with_commit_thread(std::make_unique<FaultJournal>(&faults))));
  auto wait_appends = [&](int n) {
    for (int i = 0; i < 500 && faults.appends < n; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return faults.appends >= n;
  };
  ASSERT_EQ(run(*rt, CreateSession{spec("s1", "neuro")}, admin()).error, Error::kOk);
  faults.hold_appends();
  int n = faults.appends;
  Pending a = submit(*rt, RegisterWalkIn{"s1", "P1", "A", "", ""}, admin());
  ASSERT_TRUE(wait_appends(n + 1));  // a's commit is being written
  Pending b = submit(*rt, RegisterWalkIn{"s1", "P2", "B", "", ""}, admin());
  Pending c = submit(*rt, RegisterWalkIn{"s1", "P3", "C", "", ""}, admin());
  EXPECT_FALSE(b.answered_within(50));
  EXPECT_FALSE(a.answered());
  faults.release_appends();
  EXPECT_EQ(label_of(a.future.get()), "W001");
  EXPECT_EQ(label_of(b.future.get()), "W002");
  EXPECT_EQ(label_of(c.future.get()), "W003");

  faults.hold_appends();
  n = faults.appends;
  Pending d = submit(*rt, RegisterWalkIn{"s1", "P4", "D", "", ""}, admin());
  ASSERT_TRUE(wait_appends(n + 1));
  Pending e = submit(*rt, CallNext{"s1"}, admin());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  fail = true;
  faults.release_appends();
  CommandOutcome od = d.future.get(), oe = e.future.get();
  EXPECT_EQ(od.error, Error::kUnavailable) << od.message;
  EXPECT_EQ(oe.error, Error::kUnavailable) << oe.message;
  fail = false;
  ASSERT_TRUE(wait_ready(*rt));
  EXPECT_EQ(read_labels(*rt, "s1"), (std::vector<std::string>{"W001", "W002", "W003"}));
  CommandOutcome f = run(*rt, RegisterWalkIn{"s1", "P5", "E", "", ""}, admin());
  ASSERT_EQ(f.error, Error::kOk) << f.message;
  EXPECT_EQ(label_of(f), "W004");
  rt->stop();
  std::vector<std::uint64_t> seqs;
  store->scan(0, [&](const journal::Record& r) { seqs.push_back(r.seq); return true; }, nullptr);
  EXPECT_EQ(seqs, (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));  // no gap
}

// Reads never see a group whose commit is in flight: they wait for it, and
// after a failure they see the state without it.
TEST(RuntimePipeline, ReadsNeverSeeAnUncommittedGroup) {
  PipelineFixture f;
  auto rt = f.start();
  ASSERT_EQ(run(*rt, CreateSession{spec("s1", "neuro")}, admin()).error, Error::kOk);
  f.journal->close_gate();
  Pending a = submit(*rt, RegisterWalkIn{"s1", "P1", "A", "", ""}, admin());
  ASSERT_TRUE(f.journal->wait_pending(1));
  std::promise<int> seen1;
  rt->read_session("s1", [&](ShardContext& ctx) {
    seen1.set_value(int(ctx.engine.staff_view("s1", ctx.now)->tickets.size()));
  });
  auto r1 = seen1.get_future();
  EXPECT_EQ(r1.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  f.journal->settle(true);
  EXPECT_EQ(r1.get(), 1);  // after a's commit, with a
  // b in flight, then a read and a command: the read waits; b fails, and
  // with it anything after it; the read sees a only.
  Pending b = submit(*rt, RegisterWalkIn{"s1", "P2", "B", "", ""}, admin());
  ASSERT_TRUE(f.journal->wait_pending(1));
  std::promise<int> seen2;
  rt->read_session("s1", [&](ShardContext& ctx) {
    seen2.set_value(int(ctx.engine.staff_view("s1", ctx.now)->tickets.size()));
  });
  Pending c = submit(*rt, RegisterWalkIn{"s1", "P3", "C", "", ""}, admin());
  auto r2 = seen2.get_future();
  EXPECT_EQ(r2.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  f.journal->settle(false);
  EXPECT_EQ(b.future.get().error, Error::kUnavailable);
  EXPECT_EQ(r2.get(), 1);
  f.journal->open_gate();
  CommandOutcome oc = c.future.get();  // failed with b, or applied after the rollback
  if (oc.error == Error::kOk) {
    EXPECT_EQ(label_of(oc), "W002");
    EXPECT_EQ(read_labels(*rt, "s1"), (std::vector<std::string>{"W001", "W002"}));
  } else {
    EXPECT_EQ(oc.error, Error::kUnavailable);
    EXPECT_EQ(read_labels(*rt, "s1"), (std::vector<std::string>{"W001"}));
  }
}

// An idempotency key remembered by a group whose commit fails is gone: a
// retry answered from it while the commit was in flight fails with it, and
// the next retry runs the command for real.
TEST(RuntimePipeline, KeysOfAFailedGroupAreForgotten) {
  PipelineFixture f;
  auto rt = f.start();
  ASSERT_EQ(run(*rt, CreateSession{spec("s1", "neuro")}, admin()).error, Error::kOk);
  f.journal->close_gate();
  auto keyed = [&](std::string key) {
    auto p = std::make_shared<std::promise<CommandOutcome>>();
    Pending out{p->get_future()};
    CommandRequest r;
    r.command.actor = admin().actor();
    r.command.body = RegisterWalkIn{"s1", "P1", "A", "", ""};
    r.principal = admin();
    r.idempotency_key = std::move(key);
    r.done = [p](CommandOutcome o) { p->set_value(std::move(o)); };
    rt->submit(std::move(r));
    return out;
  };
  Pending first = keyed("k1");
  ASSERT_TRUE(f.journal->wait_pending(1));
  Pending retry = keyed("k1");  // answered from the key, after the first commit
  EXPECT_FALSE(retry.answered_within(50));
  f.journal->settle(false);
  EXPECT_EQ(first.future.get().error, Error::kUnavailable);
  CommandOutcome r1 = retry.future.get();
  EXPECT_EQ(r1.error, Error::kUnavailable);
  EXPECT_FALSE(r1.replayed);
  f.journal->open_gate();
  ASSERT_TRUE(wait_ready(*rt));
  CommandOutcome again = keyed("k1").future.get();
  ASSERT_EQ(again.error, Error::kOk) << again.message;
  EXPECT_FALSE(again.replayed);
  EXPECT_EQ(label_of(again), "W001");
  CommandOutcome replay = keyed("k1").future.get();
  EXPECT_TRUE(replay.replayed);
  EXPECT_EQ(label_of(replay), "W001");
  EXPECT_EQ(f.seqs(), (std::vector<std::uint64_t>{1, 2}));
}

// Views of a group go out only once it is durable, and never for a failed one.
TEST(RuntimePipeline, ViewsAreDeliveredWhenTheirGroupIsDurable) {
  PipelineFixture f;
  auto rt = f.start();
  ASSERT_EQ(run(*rt, CreateSession{spec("s1", "neuro")}, admin()).error, Error::kOk);
  auto sub = std::make_shared<Collect>();
  follow(*rt, "s1", {board_topic("s1")}, sub);
  auto frames = [&] {
    std::lock_guard lock(sub->mu);
    return sub->frames.size();
  };
  f.journal->close_gate();
  Pending a = submit(*rt, RegisterWalkIn{"s1", "P1", "A", "", ""}, admin());
  ASSERT_TRUE(f.journal->wait_pending(1));
  Pending b = submit(*rt, RegisterWalkIn{"s1", "P2", "B", "", ""}, admin());
  ASSERT_TRUE(f.journal->wait_pending(2));
  EXPECT_EQ(frames(), 0u);
  f.journal->settle(true);
  ASSERT_TRUE(a.answered_within(5000));
  // Delivered right after the answers (same shard pass).
  for (int i = 0; i < 500 && frames() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(frames(), 1u);  // a's board, rendered before b was applied
  {
    std::lock_guard lock(sub->mu);
    EXPECT_NE(sub->frames[0].second.find("W001"), std::string::npos);
    EXPECT_EQ(sub->frames[0].second.find("W002"), std::string::npos);
  }
  f.journal->settle(false);
  EXPECT_EQ(b.future.get().error, Error::kUnavailable);
  f.journal->open_gate();
  read_labels(*rt, "s1");
  EXPECT_EQ(frames(), 1u);  // nothing of the failed group
}

// ---- Ids are unique across the server (docs/api.md "Ids") ----

SessionSpec spec_in(std::string id, std::string dept, std::string area) {
  SessionSpec s = spec(std::move(id), std::move(dept));
  s.area = std::move(area);
  s.cancel_deadline = kT0;
  return s;
}

// Two shards over journals that outlive the runtime (restarts).
// The push backlog's bound (RuntimeOptions::push_backlog): while more views
// wait for the network threads than the bound, a shard applies no new group;
// for at most 50 ms per group; with no bound, never.
struct BacklogFixture {
  std::unique_ptr<journal::Journal> store = journal::make_memory_journal();
  VirtualClock clock{kT0, 1.0};
  Metrics metrics;
  std::unique_ptr<Runtime> start(std::size_t bound) {
    RuntimeOptions o;
    o.push_backlog = bound;
    return recovered_and_started(std::make_unique<Runtime>(o, clock, metrics,
                                                           std::make_unique<GatedJournal>(store.get())));
  }
};

TEST(RuntimePushBacklog, NewGroupsWaitWhileThePushBacklogIsOverItsBound) {
  BacklogFixture f;
  auto rt = f.start(10);
  ASSERT_EQ(run(*rt, CreateSession{spec("s1", "neuro")}, admin()).error, Error::kOk);
  f.metrics.ws_frames_pending.store(11);
  const auto t0 = std::chrono::steady_clock::now();
  Pending a = submit(*rt, RegisterWalkIn{"s1", "P1", "A", "", ""}, admin());
  const bool early = a.answered_within(15);
  // (Unless this thread itself waited past the 50 ms a group is held at most.)
  if (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(45)) EXPECT_FALSE(early);
  for (int i = 0; i < 500 && f.metrics.push_throttled.load() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(f.metrics.push_throttled.load(), 1u);
  f.metrics.ws_frames_pending.store(10);  // at the bound: sent enough
  ASSERT_TRUE(a.answered_within(5000));
  EXPECT_EQ(label_of(a.future.get()), "W001");
}

TEST(RuntimePushBacklog, AGroupWaitsForTheBacklogAtMostFiftyMilliseconds) {
  BacklogFixture f;
  auto rt = f.start(10);
  ASSERT_EQ(run(*rt, CreateSession{spec("s1", "neuro")}, admin()).error, Error::kOk);
  f.metrics.ws_frames_pending.store(1000);  // network threads that never catch up
  const auto t0 = std::chrono::steady_clock::now();
  Pending a = submit(*rt, RegisterWalkIn{"s1", "P1", "A", "", ""}, admin());
  ASSERT_TRUE(a.answered_within(5000));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(45));
  EXPECT_EQ(a.future.get().error, Error::kOk);
  f.metrics.ws_frames_pending.store(0);
}

TEST(RuntimePushBacklog, WithoutABoundTheBacklogHoldsNothing) {
  BacklogFixture f;
  auto rt = f.start(0);
  f.metrics.ws_frames_pending.store(1'000'000);
  ASSERT_EQ(run(*rt, CreateSession{spec("s1", "neuro")}, admin()).error, Error::kOk);
  Pending a = submit(*rt, RegisterWalkIn{"s1", "P1", "A", "", ""}, admin());
  ASSERT_TRUE(a.answered_within(5000));
  EXPECT_EQ(f.metrics.push_throttled.load(), 0u);
  f.metrics.ws_frames_pending.store(0);
}

struct TwoShards {
  std::unique_ptr<journal::Journal> stores[2] = {journal::make_memory_journal(),
                                                  journal::make_memory_journal()};
  VirtualClock clock{kT0 - 30 * kMinute, 1.0};
  Metrics metrics;
  std::atomic<bool> fail{false};  // every append fails
  // Areas placed on shard 0 and on shard 1 (the hash placement of Directory).
  std::string area[2];
  TwoShards() {
    for (int i = 0; area[0].empty() || area[1].empty(); ++i) {
      std::string a = "area-" + std::to_string(i);
      auto& slot = area[std::hash<std::string_view>{}(a) % 2];
      if (slot.empty()) slot = a;
    }
  }
  std::unique_ptr<Runtime> start() {
    RuntimeOptions o;
    o.shards = 2;
    auto rt = std::make_unique<Runtime>(o, clock, metrics, [this](int i) {
      return std::unique_ptr<journal::Journal>(std::make_unique<FaultJournal>(stores[i].get(), &fail));
    });
    return recovered_and_started(std::move(rt));
  }
};

TEST(ServerIds, ASessionIdIsUniqueAcrossShards) {
  TwoShards f;
  auto rt = f.start();
  ASSERT_EQ(run(*rt, CreateSession{spec_in("dup", "neuro", f.area[0])}, admin()).error, Error::kOk);
  // An admin (here: of another department) re-creating it in an area of the
  // other shard would have made a second session with that id.
  Principal cardio_admin{Role::kAdmin, "c", {"cardio"}, {}};
  CommandOutcome o = run(*rt, CreateSession{spec_in("dup", "cardio", f.area[1])}, cardio_admin);
  EXPECT_EQ(o.error, Error::kAlreadyExists) << o.message;
  // The first one still answers for the id.
  EXPECT_EQ(run(*rt, RegisterWalkIn{"dup", "P1", "A", "", ""}, nurse("neuro")).error, Error::kOk);
  EXPECT_EQ(run(*rt, CallNext{"dup"}, nurse("cardio")).error, Error::kForbidden);
  // A refused create leaves the id free.
  SessionSpec bad = spec_in("later", "neuro", f.area[1]);
  bad.walkin_quota = {1};  // wrong size: invalid
  EXPECT_EQ(run(*rt, CreateSession{bad}, admin()).error, Error::kInvalidArgument);
  EXPECT_EQ(run(*rt, CreateSession{spec_in("later", "neuro", f.area[0])}, admin()).error, Error::kOk);
}

// A create whose commit failed (store down) leaves its id free too, once
// the shard has rebuilt from the store (until then the id stays claimed: the
// commit may have landed with its answer lost).
TEST(ServerIds, AnIdOfAFailedCommitIsFreeAgain) {
  TwoShards f;
  auto rt = f.start();
  f.fail = true;
  EXPECT_EQ(run(*rt, CreateSession{spec_in("z", "neuro", f.area[1])}, admin()).error,
            Error::kUnavailable);
  EXPECT_FALSE(rt->ready());
  EXPECT_EQ(run(*rt, CreateSession{spec_in("z", "neuro", f.area[0])}, admin()).error,
            Error::kAlreadyExists);
  f.fail = false;
  ASSERT_TRUE(wait_ready(*rt));
  CommandOutcome o = run(*rt, CreateSession{spec_in("z", "neuro", f.area[0])}, admin());
  EXPECT_EQ(o.error, Error::kOk) << o.message;
}

TEST(ServerIds, ChosenTicketAndHoldIdsAreUniqueAcrossShards) {
  TwoShards f;
  auto rt = f.start();
  ASSERT_EQ(run(*rt, CreateSession{spec_in("s0", "neuro", f.area[0])}, admin()).error, Error::kOk);
  ASSERT_EQ(run(*rt, CreateSession{spec_in("s1", "neuro", f.area[1])}, admin()).error, Error::kOk);
  ASSERT_EQ(run(*rt, Book{"s0", 1, "P1", "A", "his-1", "", ""}, admin()).error, Error::kOk);
  EXPECT_EQ(run(*rt, Book{"s1", 1, "P2", "B", "his-1", "", ""}, admin()).error, Error::kAlreadyExists);
  EXPECT_EQ(run(*rt, RegisterWalkIn{"s1", "P3", "C", "his-1", ""}, admin()).error,
            Error::kAlreadyExists);
  ASSERT_EQ(run(*rt, Hold{"s1", 1, "P4", "D", "", 0, "hold-1"}, admin()).error, Error::kOk);
  EXPECT_EQ(run(*rt, Hold{"s0", 1, "P5", "E", "", 0, "hold-1"}, admin()).error, Error::kAlreadyExists);
  // Each id still reaches its one ticket / hold.
  EXPECT_EQ(run(*rt, Confirm{"hold-1", "his-2", ""}, admin()).error, Error::kOk);
  EXPECT_EQ(run(*rt, Cancel{"his-1"}, admin()).error, Error::kOk);
  EXPECT_EQ(run(*rt, Cancel{"his-2"}, admin()).error, Error::kOk);
}

TEST(ServerIds, HoldsAreFoundOnTheirShardAfterARestart) {
  TwoShards f;
  {
    auto rt = f.start();
    ASSERT_EQ(run(*rt, CreateSession{spec_in("s1", "neuro", f.area[1])}, admin()).error, Error::kOk);
    ASSERT_EQ(run(*rt, Hold{"s1", 1, "P1", "A", "", 0, ""}, admin()).error, Error::kOk);  // s1-H1
    ASSERT_EQ(run(*rt, Hold{"s1", 2, "P2", "B", "", 0, "mine"}, admin()).error, Error::kOk);
    rt->stop();
  }
  auto rt = f.start();
  CommandOutcome a = run(*rt, Confirm{"s1-H1", "", ""}, admin());
  EXPECT_EQ(a.error, Error::kOk) << a.message;
  CommandOutcome b = run(*rt, Release{"mine"}, admin());
  EXPECT_EQ(b.error, Error::kOk) << b.message;
}

// Ids a caller chooses never have the form of the ids the engine assigns,
// so they cannot squat another session's (or their own) first tickets.
TEST(ServerIds, ChosenIdsOfTheAssignedFormAreRefused) {
  Fixture f;
  auto rt = f.start();
  ASSERT_EQ(run(*rt, CreateSession{spec("X", "neuro")}, admin()).error, Error::kOk);
  ASSERT_EQ(run(*rt, CreateSession{spec("Y", "neuro")}, admin()).error, Error::kOk);
  CommandOutcome o = run(*rt, Book{"X", 1, "P1", "A", "Y-A001", "", ""}, admin());
  EXPECT_EQ(o.error, Error::kInvalidArgument);
  EXPECT_NE(o.message.find("Y-A001"), std::string::npos);
  EXPECT_EQ(run(*rt, RegisterWalkIn{"X", "P2", "B", "Y-W001", ""}, admin()).error,
            Error::kInvalidArgument);
  EXPECT_EQ(run(*rt, Hold{"X", 1, "P3", "C", "", 0, "Y-H1"}, admin()).error, Error::kInvalidArgument);
  EXPECT_EQ(run(*rt, Book{"X", 1, "P4", "D", "X-A001.2", "", ""}, admin()).error,
            Error::kInvalidArgument);
  ASSERT_EQ(run(*rt, Hold{"X", 1, "P5", "E", "", 0, "h"}, admin()).error, Error::kOk);
  EXPECT_EQ(run(*rt, Confirm{"h", "Y-A002", ""}, admin()).error, Error::kInvalidArgument);
  // Y's first ticket is Y-A001, and a nurse addressing it reaches it.
  CommandOutcome y = run(*rt, Book{"Y", 1, "P6", "F", "", "", ""}, admin());
  ASSERT_EQ(y.error, Error::kOk) << y.message;
  queuecast::v1::CommandResponse resp;
  ASSERT_TRUE(resp.ParseFromString(y.encode(Format::kProto)));
  EXPECT_EQ(resp.ticket_id(), "Y-A001");
  // Other chosen ids are fine.
  EXPECT_EQ(run(*rt, Book{"X", 1, "P7", "G", "his-88120", "", ""}, admin()).error, Error::kOk);
  EXPECT_EQ(run(*rt, Book{"X", 1, "P8", "H", "A001", "", ""}, admin()).error, Error::kOk);
}

TEST(ServerIds, TheAssignedForm) {
  for (const char* id : {"s-A001", "s-W012", "s-H3", "li-20261123-am-A1000", "x-A001.2", "x-H1.17"})
    EXPECT_TRUE(has_assigned_id_form(id)) << id;
  for (const char* id : {"A001", "his-88120", "s-A", "s-A01x", "s-B001", "s-a001", "s-A001.", "s-",
                         "s-A001.x", ""})
    EXPECT_FALSE(has_assigned_id_form(id)) << id;
}

}  // namespace
}  // namespace qc::gw

namespace qc::gw {
namespace {

// Two requests with one key while the first is still in flight (its commit
// not yet durable): the same request is answered after it with its answer;
// another request gets idempotency_key_reused, after it too; nothing more
// is journaled and nobody is called.
TEST(RuntimePipeline, AKeyInFlightAnswersItsOwnRequestAndRefusesAnother) {
  PipelineFixture f;
  auto rt = f.start();
  ASSERT_EQ(run(*rt, CreateSession{spec("s1", "neuro")}, admin()).error, Error::kOk);
  f.journal->close_gate();
  Pending first = submit(*rt, RegisterWalkIn{"s1", "P1", "A", "", ""}, admin(), "k1", "walk-in");
  ASSERT_TRUE(f.journal->wait_pending(1));
  Pending other = submit(*rt, CallNext{"s1"}, admin(), "k1", "call-next");
  Pending same = submit(*rt, RegisterWalkIn{"s1", "P1", "A", "", ""}, admin(), "k1", "walk-in");
  EXPECT_FALSE(other.answered_within(50));  // not before the first is durable
  EXPECT_FALSE(same.answered());
  f.journal->open_gate();
  CommandOutcome a = first.future.get();
  ASSERT_EQ(a.error, Error::kOk) << a.message;
  CommandOutcome o = other.future.get();
  EXPECT_EQ(o.error, Error::kIdempotencyKeyReused);
  EXPECT_TRUE(o.body.empty() && o.stored.empty());
  CommandOutcome s = same.future.get();
  EXPECT_EQ(s.error, Error::kOk);
  EXPECT_TRUE(s.replayed);
  EXPECT_EQ(s.encode(Format::kProto), a.encode(Format::kProto));
  EXPECT_EQ(f.seqs(), (std::vector<std::uint64_t>{1, 2}));
  // After it is durable: the same.
  EXPECT_EQ(submit(*rt, CallNext{"s1"}, admin(), "k1", "call-next").future.get().error,
            Error::kIdempotencyKeyReused);
  EXPECT_EQ(f.seqs(), (std::vector<std::uint64_t>{1, 2}));
}

// Several shards: the key is remembered by the shard that applied its
// request, the reused key comes with a command for the other shard. It is
// refused there too, before and after a restart; a request that changed
// nothing leaves its key free.
TEST(RuntimeShards, AKeyReusedOnAnotherShardIsRefused) {
  // Two areas on different shards.
  std::string area_a = "area-0", area_b;
  Directory probe(2);
  for (int i = 1; area_b.empty(); ++i)
    if (probe.of_area("area-" + std::to_string(i)) != probe.of_area(area_a)) area_b = "area-" + std::to_string(i);
  std::unique_ptr<journal::Journal> stores[2] = {journal::make_memory_journal(), journal::make_memory_journal()};
  VirtualClock clock{kT0, 1.0};
  Metrics metrics;
  auto start = [&] {
    RuntimeOptions o;
    o.shards = 2;
    auto rt = std::make_unique<Runtime>(o, clock, metrics, [&](int i) -> std::unique_ptr<journal::Journal> {
      return std::make_unique<FaultJournal>(stores[i].get());
    });
    return recovered_and_started(std::move(rt));
  };
  auto called = [&](Runtime& rt) {
    std::promise<bool> p;
    rt.read_session("sb", [&](ShardContext& ctx) {
      bool any = false;
      if (auto v = ctx.engine.staff_view("sb", ctx.now))
        for (const auto& t : v->tickets) any = any || t.state == TicketState::kCalled;
      p.set_value(any);
    });
    return p.get_future().get();
  };
  {
    auto rt = start();
    SessionSpec a = spec("sa", "neuro"), b = spec("sb", "neuro");
    a.area = area_a;
    b.area = area_b;
    ASSERT_EQ(run(*rt, CreateSession{a}, admin()).error, Error::kOk);
    ASSERT_EQ(run(*rt, CreateSession{b}, admin()).error, Error::kOk);
    ASSERT_EQ(run(*rt, RegisterWalkIn{"sb", "P2", "B", "", ""}, admin()).error, Error::kOk);
    CommandOutcome w = submit(*rt, RegisterWalkIn{"sa", "P1", "A", "", ""}, admin(), "k1", "walk-in").future.get();
    ASSERT_EQ(w.error, Error::kOk) << w.message;
    EXPECT_EQ(submit(*rt, CallNext{"sb"}, admin(), "k1", "call-next").future.get().error,
              Error::kIdempotencyKeyReused);
    EXPECT_FALSE(called(*rt));
    // A refused request keeps no key: k2 is free for the next one.
    EXPECT_EQ(submit(*rt, CallNext{"nosuch"}, admin(), "k2", "bad").future.get().error, Error::kUnknownSession);
    EXPECT_EQ(submit(*rt, CallNext{"sb"}, admin(), "k2", "call-next").future.get().error, Error::kOk);
    rt->stop();
  }
  auto rt = start();  // the keys come back from both journals
  EXPECT_EQ(submit(*rt, CallNext{"sb"}, admin(), "k1", "call-next").future.get().error,
            Error::kIdempotencyKeyReused);
  EXPECT_EQ(submit(*rt, RegisterWalkIn{"sa", "P3", "C", "", ""}, admin(), "k2", "walk-in").future.get().error,
            Error::kIdempotencyKeyReused);
  CommandOutcome again = submit(*rt, RegisterWalkIn{"sa", "P1", "A", "", ""}, admin(), "k1", "walk-in").future.get();
  EXPECT_TRUE(again.replayed);
}

}  // namespace
}  // namespace qc::gw

namespace qc::gw {
namespace {

// Several shards: a patient token is known server-wide. A token asking for
// a ticket on another shard than its own is another patient's ticket (403,
// as with one shard), not an unknown token (401); and who may not send a
// schedule at all hears 403 before "needs one shard" (a configuration
// detail only an unscoped admin learns).
TEST(RuntimeShards, APatientTokenOfAnotherShardIsKnownAndSchedulesAreAuthorizedFirst) {
  std::string area_a = "area-0", area_b;
  Directory probe(2);
  for (int i = 1; area_b.empty(); ++i)
    if (probe.of_area("area-" + std::to_string(i)) != probe.of_area(area_a)) area_b = "area-" + std::to_string(i);
  VirtualClock clock{kT0, 1.0};
  Metrics metrics;
  RuntimeOptions o;
  o.shards = 2;
  Runtime rt(o, clock, metrics, [](int) { return journal::make_memory_journal(); });
  std::string err;
  ASSERT_TRUE(rt.recover(&err)) << err;
  rt.start();
  SessionSpec a = spec("sa", "neuro"), b = spec("sb", "neuro");
  a.area = area_a;
  b.area = area_b;
  ASSERT_EQ(run(rt, CreateSession{a}, admin()).error, Error::kOk);
  ASSERT_EQ(run(rt, CreateSession{b}, admin()).error, Error::kOk);
  const std::string ta(32, 'a'), tb(32, 'b');
  ASSERT_EQ(run(rt, RegisterWalkIn{"sa", "P1", "A", "", ta}, admin()).error, Error::kOk);
  ASSERT_EQ(run(rt, RegisterWalkIn{"sb", "P2", "B", "", tb}, admin()).error, Error::kOk);
  const Principal pa{Role::kPatient, ta, {}, {}};
  EXPECT_EQ(run(rt, Cancel{"sb-W001"}, pa).error, Error::kForbidden);
  EXPECT_EQ(run(rt, Cancel{"sa-W001"}, Principal{Role::kPatient, tb, {}, {}}).error, Error::kForbidden);
  EXPECT_EQ(run(rt, Cancel{"nothing"}, pa).error, Error::kForbidden);
  EXPECT_EQ(run(rt, Cancel{"sb-W001"}, Principal{Role::kPatient, std::string(32, 'c'), {}, {}}).error,
            Error::kUnauthorized);
  // Its own ticket: authorized (the engine then judges: a walk-in is WAITING).
  EXPECT_EQ(run(rt, Cancel{"sa-W001"}, pa).error, Error::kWrongState);

  const Principal channel{Role::kChannel, "web", {}, {}};
  for (CommandBody body : std::vector<CommandBody>{GenerateSessions{}, AdjustQuotas{}, DoctorLeave{},
                                                   DefineTemplate{}}) {
    EXPECT_EQ(run(rt, body, channel).error, Error::kForbidden);
    EXPECT_EQ(run(rt, body, nurse("neuro")).error, Error::kForbidden);
    EXPECT_EQ(run(rt, body, Principal{Role::kAdmin, "na", {"neuro"}, {}}).error, Error::kForbidden);
    EXPECT_EQ(run(rt, body, Principal{Role::kPatient, ta, {}, {}}).error, Error::kForbidden);
    EXPECT_EQ(run(rt, body, Principal{}).error, Error::kUnauthorized);
    EXPECT_EQ(run(rt, body, admin()).error, Error::kInvalidArgument);
  }
  rt.stop();
}

// A chosen ticket or hold id is plain ASCII and not the assigned form in
// any letter case: nothing a path cannot address ("x/y", "..", "%2F"),
// nothing that looks like another id ("y-a001", fullwidth, zero-width).
TEST(ServerIds, AChosenIdIsPlainAndNotTheAssignedFormInAnyCase) {
  for (const char* id : {"y-a001", "y-w12", "y-h3.2", "x/y", "..", ".", ".env", "-x", "a b", "his%2F1",
                         "\xef\xbd\x81-\xef\xbc\xa1" "001", "a-A001\xe2\x80\x8b", "e\xcc\x81", "tab\t",
                         "nl\n", "q\"", "back\\slash", "a?b", "a#b"}) {
    std::string msg;
    EXPECT_EQ(check_chosen_ids(Book{"S", 1, "P", "N", id, "", ""}, &msg), Error::kInvalidArgument) << id;
    EXPECT_EQ(check_chosen_ids(Hold{"S", 1, "P", "N", "", 0, id}, &msg), Error::kInvalidArgument) << id;
    EXPECT_EQ(check_chosen_ids(RegisterWalkIn{"S", "P", "N", id, ""}, &msg), Error::kInvalidArgument) << id;
    EXPECT_EQ(check_chosen_ids(Confirm{"h", id, ""}, &msg), Error::kInvalidArgument) << id;
  }
  for (const char* id : {"", "his-88120", "A001", "his:2026.11_3", "S-web-1", "y-a01x", "9"})
    EXPECT_EQ(check_chosen_ids(Book{"S", 1, "P", "N", id, "", ""}, nullptr), Error::kOk) << id;
  // A session id only has to be reachable by a path.
  auto session = [](const char* id) {
    SessionSpec s;
    s.session_id = id;
    return CreateSession{s};
  };
  for (const char* id : {"x/y", ".", "..", "tab\t", "back\\slash", "del\x7f"})
    EXPECT_EQ(check_chosen_ids(session(id), nullptr), Error::kInvalidArgument) << id;
  for (const char* id : {"s 1", "li-20261123-am", "...", "a.b", "%41", "\xe6\x9d\x8e-am"})
    EXPECT_EQ(check_chosen_ids(session(id), nullptr), Error::kOk) << id;
}

}  // namespace
}  // namespace qc::gw
