// Runtime::submit() inside a Batch (server/infra/batch.h), as the network
// thread's pass over new requests does: the commands stay on the submitting
// thread until the batch ends, then reach their shard together, in order.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "queuecast/v1/queuecast.pb.h"
#include "server/infra/batch.h"
#include "server/runtime/runtime.h"
#include "store/journal.h"
#include "tests/support/sessions.h"

namespace qc::gw {
namespace {

using test::test_session;

constexpr Time kT0 = 1'795'330'800'000;  // 2026-11-22T08:00:00Z

TEST(RuntimeBatch, SubmitsWaitForTheEndOfTheBatchAndKeepTheirOrder) {
  VirtualClock clock{kT0, 1.0};
  Metrics metrics;
  Runtime rt(RuntimeOptions{}, clock, metrics, journal::make_memory_journal());
  std::string err;
  ASSERT_TRUE(rt.recover(&err)) << err;
  rt.start();
  const Principal admin{Role::kAdmin, "boss", {}, {}};
  auto request = [&](CommandBody body, std::promise<CommandOutcome>* p) {
    CommandRequest r;
    r.principal = admin;
    r.command.actor = admin.actor();
    r.command.body = std::move(body);
    r.done = [p](CommandOutcome o) { p->set_value(std::move(o)); };
    return r;
  };
  std::promise<CommandOutcome> created;
  rt.submit(request(CreateSession{test_session("s1", "neuro", "neuro-2f", kT0, 10)}, &created));
  ASSERT_EQ(created.get_future().get().error, Error::kOk);

  constexpr int kN = 20;
  std::vector<std::promise<CommandOutcome>> ps(kN);
  std::vector<std::future<CommandOutcome>> fs;
  for (auto& p : ps) fs.push_back(p.get_future());
  {
    Batch pass;
    for (int i = 0; i < kN; ++i)
      rt.submit(request(RegisterWalkIn{"s1", "P" + std::to_string(i), "x", "", ""}, &ps[i]));
    // Not handed over yet: nothing is answered while the batch is open.
    EXPECT_EQ(fs[0].wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
    for (auto& f : fs) EXPECT_EQ(f.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  }
  for (int i = 0; i < kN; ++i) {
    CommandOutcome o = fs[i].get();
    ASSERT_EQ(o.error, Error::kOk) << o.message;
    queuecast::v1::CommandResponse resp;
    ASSERT_TRUE(resp.ParseFromString(o.encode(Format::kProto)));
    char label[8];
    std::snprintf(label, sizeof label, "W%03d", i + 1);
    EXPECT_EQ(resp.label(), label);  // applied in the order submitted
  }
  rt.stop();
}

}  // namespace
}  // namespace qc::gw
