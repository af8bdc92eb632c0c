// The runtime: group commit into the journal, acknowledgement after the
// append, idempotency keys that survive a restart, authorization on the
// shard, a failing journal, publication to subscribers.
#include "gateway/runtime.h"

#include <gtest/gtest.h>

#include <future>

#include "engine/journal/journal.h"
#include "gateway/hub.h"
#include "queuecast/v1/queuecast.pb.h"

namespace qc::gw {
namespace {

constexpr Time kT0 = 1'795'330'800'000;  // 2026-11-22T08:00:00Z

// Forwards to a journal that outlives the runtime; can be made to fail.
class SharedJournal final : public journal::Journal {
 public:
  explicit SharedJournal(journal::Journal* inner, std::atomic<bool>* fail = nullptr)
      : inner_(inner), fail_(fail) {}
  bool append(std::span<const journal::Record> batch, std::string* error) override {
    ++appends;
    if (fail_ && *fail_) {
      if (error) *error = "disk on fire";
      return false;
    }
    return inner_->append(batch, error);
  }
  bool scan(std::uint64_t after, const std::function<bool(const journal::Record&)>& fn,
            std::string* error) override {
    return inner_->scan(after, fn, error);
  }
  std::uint64_t last_seq() const override { return inner_->last_seq(); }
  bool save_snapshot(std::uint64_t seq, std::string_view image, std::string* error) override {
    return inner_->save_snapshot(seq, image, error);
  }
  bool load_snapshot(std::uint64_t* seq, std::string* image, std::string* error) override {
    return inner_->load_snapshot(seq, image, error);
  }
  int appends = 0;

 private:
  journal::Journal* inner_;
  std::atomic<bool>* fail_;
};

SessionSpec spec(std::string id, std::string dept) {
  SessionSpec s;
  s.session_id = std::move(id);
  s.doctor_id = "li";
  s.doctor_name = "Dr. Li";
  s.department = std::move(dept);
  s.room = "3";
  s.area = "neuro-2f";
  s.start = kT0;
  s.end = kT0 + 4 * kHour;
  s.registration_open = kT0 - kHour;
  s.slot_minutes = 60;
  s.appointment_quota = {4, 4, 4, 4};
  s.walkin_quota = {4, 4, 4, 4};
  s.walkin_conversion_time = s.end;
  return s;
}

Principal admin() { return Principal{Role::kAdmin, "boss", {}, {}}; }
Principal nurse(std::string dept) { return Principal{Role::kNurse, "n1", {std::move(dept)}, {}}; }

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

struct Fixture {
  std::unique_ptr<journal::Journal> store = journal::make_memory_journal();
  std::atomic<bool> fail{false};
  VirtualClock clock{kT0, 1.0};
  Metrics metrics;
  SharedJournal* journal = nullptr;
  std::unique_ptr<Runtime> start() {
    auto j = std::make_unique<SharedJournal>(store.get(), &fail);
    journal = j.get();
    auto rt = std::make_unique<Runtime>(RuntimeOptions{}, clock, metrics, std::move(j));
    std::string err;
    EXPECT_TRUE(rt->recover(&err)) << err;
    rt->start();
    return rt;
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
  ASSERT_TRUE(resp.ParseFromString(o.response));
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

TEST(Runtime, ManyConcurrentCommandsShareGroupCommits) {
  Fixture f;
  auto rt = f.start();
  ASSERT_EQ(run(*rt, CreateSession{spec("s1", "neuro")}, admin()).error, Error::kOk);
  int before = f.journal->appends;
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
  int ok = 0;
  for (auto& p : ps) ok += p.get_future().get().error == Error::kOk;
  EXPECT_EQ(ok, 16);  // W = 4 x 4
  EXPECT_EQ(f.store->last_seq(), 1u + 16u);
  EXPECT_LE(f.journal->appends - before, 16);  // never more than one append per applied command
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
    EXPECT_EQ(b.response, a.response);  // same ticket, same token
    first = a.response;
    rt->stop();
  }
  auto rt = f.start();  // recovery from the same journal
  CommandOutcome c = run(*rt, Book{"s1", 1, "P1", "Zhang", "", "", "tokC"}, admin(), "admin:boss\x1fk1");
  EXPECT_TRUE(c.replayed);
  EXPECT_EQ(c.response, first);
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

TEST(Runtime, AFailingJournalAnswersUnavailableAndChangesNothing) {
  Fixture f;
  auto rt = f.start();
  ASSERT_EQ(run(*rt, CreateSession{spec("s1", "neuro")}, admin()).error, Error::kOk);
  f.fail = true;
  EXPECT_EQ(run(*rt, RegisterWalkIn{"s1", "P1", "A", "", ""}, admin()).error, Error::kUnavailable);
  f.fail = false;
  // The failed walk-in was undone: the next one is W001 again.
  CommandOutcome o = run(*rt, RegisterWalkIn{"s1", "P2", "B", "", ""}, admin());
  ASSERT_EQ(o.error, Error::kOk) << o.message;
  queuecast::v1::CommandResponse resp;
  ASSERT_TRUE(resp.ParseFromString(o.response));
  EXPECT_EQ(resp.label(), "W001");
  EXPECT_TRUE(rt->ready());
}

class Collect final : public Subscriber {
 public:
  Format format() const override { return Format::kJson; }
  void deliver(const std::string& topic, Frame frame) override {
    std::lock_guard lock(mu);
    frames.emplace_back(topic, *frame.bytes);
  }
  void send_control(std::shared_ptr<const std::string>) override {}
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> frames;
};

TEST(Runtime, PublishesChangedViewsToSubscribersAfterTheCommit) {
  Fixture f;
  auto rt = f.start();
  ASSERT_EQ(run(*rt, CreateSession{spec("s1", "neuro")}, admin()).error, Error::kOk);
  auto sub = std::make_shared<Collect>();
  std::promise<void> added;
  rt->read_session("s1", [&](ShardContext& ctx) {
    ctx.hub.add(board_topic("s1"), "", sub);
    ctx.hub.add(display_topic("neuro-2f"), "", sub);
    added.set_value();
  });
  added.get_future().get();
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

}  // namespace
}  // namespace qc::gw
