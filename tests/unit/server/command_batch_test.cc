// POST /v1/commands:batch (server/api/command_batch.cc, docs/api.md
// "Batches") against a real in-process Service and Runtime over a
// FaultJournal: order, one group commit per shard, per-command results and
// refusals, idempotency keys, the limits, both formats, a failed commit.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "proto/codec.h"
#include "queuecast/v1/queuecast.pb.h"
#include "server/api/service.h"
#include "server/infra/sha256.h"
#include "store/journal.h"
#include "tests/support/fault_journal.h"
#include "tests/support/sessions.h"

namespace qc::gw {
namespace {

namespace pb = ::queuecast::v1;
using test::FaultJournal;

constexpr Time kT0 = 1'795'330'800'000;  // 2026-11-22T08:00:00Z: the sessions' start

class Server {
 public:
  // `shards` > 1: one FaultJournal per shard.
  explicit Server(RuntimeOptions options = {}, std::size_t batch_commands = 1000, int shards = 1) {
    config_.keys = {
        KeyEntry{Role::kAdmin, "boss", sha256_hex("k-admin"), {}, {}},
        KeyEntry{Role::kNurse, "n1", sha256_hex("k-nurse"), {"neuro"}, {}},
    };
    config_.limits.batch_commands = batch_commands;
    keys_ = std::make_unique<KeyStore>(config_.keys);
    for (int i = 0; i < shards; ++i) {
      stores_.push_back(journal::make_memory_journal());
      journals_.push_back(nullptr);
    }
    options.shards = shards;
    runtime_ = std::make_unique<Runtime>(options, clock_, metrics_, [this](int i) {
      auto j = std::make_unique<FaultJournal>(stores_[std::size_t(i)].get(), &fail);
      journals_[std::size_t(i)] = j.get();
      return std::unique_ptr<journal::Journal>(std::move(j));
    });
    std::string err;
    EXPECT_TRUE(runtime_->recover(&err)) << err;
    runtime_->start();
    service_ = std::make_unique<Service>(config_, *runtime_, *keys_, metrics_);
  }
  ~Server() { runtime_->stop(); }

  HttpResponse post(std::string target, std::string body, std::string secret = "k-admin",
                    bool proto = false, std::string key = "") {
    HttpRequest req;
    req.method = "POST";
    req.target = std::move(target);
    req.body = std::move(body);
    req.content_type = proto ? "application/x-protobuf" : "application/json";
    req.accept = proto ? "application/x-protobuf" : "application/json";
    req.client = "127.0.0.1";
    req.idempotency_key = std::move(key);
    if (!secret.empty()) req.authorization = "Bearer " + secret;
    std::promise<HttpResponse> p;
    service_->handle(std::move(req), [&p](HttpResponse r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }
  // A batch (JSON), its result parsed.
  pb::CommandBatchResult batch(const std::string& json, std::string secret = "k-admin") {
    HttpResponse r = post("/v1/commands:batch", json, std::move(secret));
    EXPECT_EQ(r.status, 200) << r.body;
    pb::CommandBatchResult out;
    std::string msg;
    EXPECT_EQ(codec::parse_json(r.body, &out, &msg), Error::kOk) << msg << "\n" << r.body;
    return out;
  }
  void create(const std::string& sid, const std::string& dept, const std::string& area) {
    pb::Command pc;
    codec::to_proto(Command{Actor{}, CreateSession{test::test_session(sid, dept, area, kT0, 8)}}, 0, &pc);
    std::string json;
    codec::to_json(pc, &json);
    HttpResponse r = post("/v1/commands", json);
    EXPECT_EQ(r.status, 201) << r.body;
  }

  FaultJournal& journal(int shard = 0) { return *journals_[std::size_t(shard)]; }
  Service& service() { return *service_; }
  Metrics& metrics() { return metrics_; }
  std::atomic<bool> fail{false};

 private:
  Config config_;
  VirtualClock clock_{kT0 - 30 * kMinute, 1.0};
  Metrics metrics_;
  std::vector<std::unique_ptr<journal::Journal>> stores_;
  std::vector<FaultJournal*> journals_;
  std::unique_ptr<KeyStore> keys_;
  std::unique_ptr<Runtime> runtime_;
  std::unique_ptr<Service> service_;
};

std::string walk_in(const std::string& sid, const std::string& ref) {
  return R"({"registerWalkIn":{"sessionId":")" + sid + R"(","patientRef":")" + ref +
         R"(","patientName":"N"}})";
}
std::string item(const std::string& command, const std::string& key = "") {
  return key.empty() ? R"({"command":)" + command + "}"
                     : R"({"idempotencyKey":")" + key + R"(","command":)" + command + "}";
}
std::string batch_of(const std::vector<std::string>& items) {
  std::string out = R"({"commands":[)";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
  return out + "]}";
}

TEST(CommandBatch, AppliesInOrderInOneGroupCommitEvenWhenLargerThanAGroup) {
  RuntimeOptions o;
  o.max_group = 2;  // a group takes 2 tasks at most, but never part of a batch
  Server s(o);
  s.create("S", "neuro", "neuro-2f");
  const int appends = s.journal().appends;
  std::vector<std::string> items;
  for (int i = 0; i < 10; ++i) items.push_back(item(walk_in("S", "P" + std::to_string(i))));
  pb::CommandBatchResult r = s.batch(batch_of(items));
  ASSERT_EQ(r.results_size(), 10);
  for (int i = 0; i < 10; ++i) {
    const auto& it = r.results(i);
    EXPECT_EQ(it.status(), 201);
    ASSERT_TRUE(it.has_response()) << it.DebugString();
    char label[8];
    std::snprintf(label, sizeof label, "W%03d", i + 1);
    EXPECT_EQ(it.response().label(), label);  // applied in the batch's order
    EXPECT_FALSE(it.replayed());
  }
  EXPECT_EQ(s.journal().appends - appends, 1);  // one group commit
  EXPECT_EQ(s.journal().largest_batch, 10u);
  EXPECT_EQ(s.metrics().batches.load(), 1u);
  EXPECT_EQ(s.metrics().batch_commands.load(), 10u);
}

TEST(CommandBatch, EachCommandIsAnsweredAsByCommandsAndARefusalTouchesNoOther) {
  Server s;
  s.create("S", "neuro", "neuro-2f");
  s.create("C", "cardio", "cardio-1f");
  const std::string body = batch_of({
      item(walk_in("S", "P1")),
      item(walk_in("C", "P2")),                   // another department: 403 for the nurse
      item(R"({"callNext":{"sessionId":"nope"}})"),  // 403 (scoped key, unknown session)
      item("{}"),                                 // no command: 400
      item(R"({"registerWalkIn":{"sessionId":"S","patientRef":"P3"}})", "bad key"),  // 400
      item(R"({"tick":{}})"),                     // nobody may: 403
      item(walk_in("S", "P4")),
      item(R"({"callNext":{"sessionId":"S"}})"),
  });
  pb::CommandBatchResult r = s.batch(body, "k-nurse");
  ASSERT_EQ(r.results_size(), 8);
  const int want[] = {201, 403, 403, 400, 400, 403, 201, 200};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(r.results(i).status(), want[i]) << i << " " << r.results(i).DebugString();
  EXPECT_EQ(r.results(0).response().label(), "W001");
  EXPECT_EQ(r.results(6).response().label(), "W002");  // the refusals between changed nothing
  EXPECT_EQ(r.results(1).error().code(), "forbidden");
  EXPECT_EQ(r.results(3).error().code(), "invalid_argument");
  EXPECT_EQ(r.results(3).error().message(), "the command has no body");
  EXPECT_EQ(r.results(4).error().message(), "Idempotency-Key must be 1-128 printable characters");
  // call_next calls the first walk-in: the batch's commands ran in order.
  ASSERT_TRUE(r.results(7).has_response());
  ASSERT_EQ(r.results(7).response().events_size(), 1);
  EXPECT_EQ(r.results(7).response().events(0).ticket_called().label(), "W001");
  // The same command through /v1/commands gets the same refusal.
  HttpResponse single = s.post("/v1/commands", walk_in("C", "P2"), "k-nurse");
  EXPECT_EQ(single.status, 403);
  EXPECT_NE(single.body.find(r.results(1).error().message()), std::string::npos);
  // A wrong argument the engine refuses is the engine's answer, per command.
  pb::CommandBatchResult e = s.batch(batch_of({item(R"({"callNext":{"sessionId":"S"}})"),
                                               item(R"({"callNext":{"sessionId":"S"}})")}));
  EXPECT_EQ(e.results(0).status(), 200);
  EXPECT_EQ(e.results(1).status(), 200);  // nobody waiting: an event, not an error
}

TEST(CommandBatch, ARetriedBatchGetsItsAnswersAgainAndAppliesNothingTwice) {
  Server s;
  s.create("S", "neuro", "neuro-2f");
  const std::string body = batch_of({item(walk_in("S", "P1"), "his-1"), item(walk_in("S", "P2"), "his-2")});
  HttpResponse first = s.post("/v1/commands:batch", body);
  ASSERT_EQ(first.status, 200);
  const int appends = s.journal().appends;
  HttpResponse again = s.post("/v1/commands:batch", body);
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(s.journal().appends, appends);  // nothing applied, nothing written
  pb::CommandBatchResult a, b;
  std::string msg;
  ASSERT_EQ(codec::parse_json(first.body, &a, &msg), Error::kOk) << msg;
  ASSERT_EQ(codec::parse_json(again.body, &b, &msg), Error::kOk) << msg;
  ASSERT_EQ(b.results_size(), 2);
  for (int i = 0; i < 2; ++i) {
    EXPECT_FALSE(a.results(i).replayed());
    EXPECT_TRUE(b.results(i).replayed());
    EXPECT_EQ(b.results(i).status(), a.results(i).status());
    EXPECT_EQ(b.results(i).response().SerializeAsString(), a.results(i).response().SerializeAsString());
  }
  // One of the keys again in a new batch, beside a new command.
  pb::CommandBatchResult c =
      s.batch(batch_of({item(walk_in("S", "P3")), item(walk_in("S", "P2"), "his-2")}));
  EXPECT_EQ(c.results(0).response().label(), "W003");
  EXPECT_TRUE(c.results(1).replayed());
  EXPECT_EQ(c.results(1).response().label(), "W002");
}

TEST(CommandBatch, AKeyWithAnotherCommandIsRefusedAsByCommands) {
  Server s;
  s.create("S", "neuro", "neuro-2f");
  pb::CommandBatchResult r = s.batch(batch_of({item(walk_in("S", "P1"), "k"), item(walk_in("S", "P2"), "k")}));
  EXPECT_EQ(r.results(0).status(), 201);
  EXPECT_EQ(r.results(1).status(), 422);
  EXPECT_EQ(r.results(1).error().code(), "idempotency_key_reused");
  pb::CommandBatchResult again = s.batch(batch_of({item(walk_in("S", "P3"), "k")}));
  EXPECT_EQ(again.results(0).status(), 422);
  // The key of a /v1/commands request stands for that request.
  ASSERT_EQ(s.post("/v1/commands", walk_in("S", "P4"), "k-admin", false, "h").status, 201);
  EXPECT_EQ(s.batch(batch_of({item(walk_in("S", "P4"), "h")})).results(0).status(), 422);
  // Keys belong to their credential: the nurse's "k" is another key.
  EXPECT_EQ(s.batch(batch_of({item(walk_in("S", "P5"), "k")}), "k-nurse").results(0).status(), 201);
}

TEST(CommandBatch, TheLimitsAndMalformedBodiesRefuseTheWholeBatch) {
  Server s({}, /*batch_commands=*/3);
  s.create("S", "neuro", "neuro-2f");
  const int appends = s.journal().appends;
  auto code = [](const HttpResponse& r) {
    pb::ErrorReply e;
    std::string msg;
    EXPECT_EQ(codec::parse_json(r.body, &e, &msg), Error::kOk) << r.body;
    return e.error().code();
  };
  const std::string w = item(walk_in("S", "P"));
  HttpResponse r = s.post("/v1/commands:batch", batch_of({w, w, w, w}));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(code(r), "batch_too_large");
  EXPECT_NE(r.body.find("at most 3"), std::string::npos) << r.body;
  r = s.post("/v1/commands:batch", batch_of({}));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(code(r), "batch_empty");
  r = s.post("/v1/commands:batch", "{}");
  EXPECT_EQ(code(r), "batch_empty");
  r = s.post("/v1/commands:batch", "");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(code(r), "invalid_argument");
  for (std::string bad : {std::string(R"({"commands":[)"), std::string(R"({"commands":"x"})"),
                          std::string(R"({"commands":[{"command":{"callNext":{"x":1}}}]})"),
                          std::string(R"({"items":[]})"), std::string("[]")}) {
    r = s.post("/v1/commands:batch", bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(code(r), "invalid_argument") << bad;
  }
  r = s.post("/v1/commands:batch", std::string("\x0a\x05" "ab", 4), "k-admin", /*proto=*/true);
  EXPECT_EQ(r.status, 400);
  pb::ErrorReply e;
  ASSERT_TRUE(e.ParseFromString(r.body));
  EXPECT_EQ(e.error().code(), "invalid_argument");
  // Keys go with the commands: the header would protect nothing.
  r = s.post("/v1/commands:batch", batch_of({w}), "k-admin", false, "whole-batch");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(code(r), "invalid_argument");
  // GET is not a batch.
  EXPECT_EQ(parse_route("GET", "/v1/commands:batch").id, RouteId::kMethodNotAllowed);
  EXPECT_EQ(parse_route("POST", "/v1/commands:batch").id, RouteId::kCommandBatch);
  EXPECT_EQ(s.journal().appends, appends);  // nothing of it was applied
  EXPECT_EQ(s.metrics().batches.load(), 0u);
  // Exactly the limit passes.
  EXPECT_EQ(s.batch(batch_of({w, w, w})).results_size(), 3);
}

TEST(CommandBatch, ProtobufBothWays) {
  Server s;
  s.create("S", "neuro", "neuro-2f");
  pb::CommandBatch batch;
  auto* a = batch.add_commands();
  a->set_idempotency_key("p-1");
  codec::to_proto(Command{Actor{}, RegisterWalkIn{"S", "P1", "N", "", ""}}, 0, a->mutable_command());
  codec::to_proto(Command{Actor{}, CallNext{"S"}}, 0, batch.add_commands()->mutable_command());
  batch.add_commands();  // no command
  HttpResponse r = s.post("/v1/commands:batch", batch.SerializeAsString(), "k-admin", /*proto=*/true);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/x-protobuf");
  pb::CommandBatchResult res;
  ASSERT_TRUE(res.ParseFromString(r.body));
  ASSERT_EQ(res.results_size(), 3);
  EXPECT_EQ(res.results(0).status(), 201);
  EXPECT_EQ(res.results(0).response().label(), "W001");
  EXPECT_EQ(res.results(0).response().token().size(), 32u);
  EXPECT_EQ(res.results(1).status(), 200);
  EXPECT_EQ(res.results(1).response().events(0).ticket_called().label(), "W001");
  EXPECT_EQ(res.results(2).status(), 400);
  EXPECT_EQ(res.results(2).error().code(), "invalid_argument");
  // The retry answers the same bytes for the keyed command.
  HttpResponse again = s.post("/v1/commands:batch", batch.SerializeAsString(), "k-admin", true);
  pb::CommandBatchResult res2;
  ASSERT_TRUE(res2.ParseFromString(again.body));
  EXPECT_TRUE(res2.results(0).replayed());
  EXPECT_EQ(res2.results(0).response().SerializeAsString(), res.results(0).response().SerializeAsString());
  // The JSON answer of a batch is the protobuf JSON mapping of the same message.
  HttpResponse j = s.post("/v1/commands:batch", batch_of({item(walk_in("S", "P9")), item("{}")}));
  pb::CommandBatchResult parsed;
  std::string msg;
  ASSERT_EQ(codec::parse_json(j.body, &parsed, &msg), Error::kOk) << msg;
  std::string printed;
  codec::to_json(parsed, &printed);
  EXPECT_EQ(printed, j.body);
}

TEST(CommandBatch, TheAnswerWaitsForTheCommit) {
  Server s;
  s.create("S", "neuro", "neuro-2f");
  s.journal().hold_appends();
  HttpRequest req;
  req.method = "POST";
  req.target = "/v1/commands:batch";
  req.body = batch_of({item(walk_in("S", "P1")), item(walk_in("S", "P2"))});
  req.authorization = "Bearer k-admin";
  req.client = "127.0.0.1";
  std::promise<HttpResponse> p;
  auto f = p.get_future();
  s.service().handle(std::move(req), [&p](HttpResponse r) { p.set_value(std::move(r)); });
  EXPECT_EQ(f.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  s.journal().release_appends();
  HttpResponse r = f.get();
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("W002"), std::string::npos) << r.body;
}

TEST(CommandBatch, AFailedCommitFailsEveryCommandAndAcknowledgesNone) {
  Server s;
  s.create("S", "neuro", "neuro-2f");
  s.fail = true;
  pb::CommandBatchResult r = s.batch(batch_of({item(walk_in("S", "P1"), "f-1"), item(walk_in("S", "P2")),
                                               item(R"({"callNext":{"sessionId":"S"}})")}));
  ASSERT_EQ(r.results_size(), 3);
  for (const auto& it : r.results()) {
    EXPECT_EQ(it.status(), 503);
    EXPECT_EQ(it.error().code(), "unavailable");
    EXPECT_FALSE(it.has_response());
  }
  EXPECT_EQ(r.results(0).error().message(), r.results(1).error().message());
  s.fail = false;
  // Nothing of it stayed: once the shard is back, the keyed command runs
  // anew and gets the first label.
  pb::CommandBatchResult again;
  for (int i = 0; i < 500; ++i) {
    again = s.batch(batch_of({item(walk_in("S", "P1"), "f-1")}));
    if (again.results(0).status() != 503) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(again.results(0).status(), 201);
  EXPECT_FALSE(again.results(0).replayed());
  EXPECT_EQ(again.results(0).response().label(), "W001");
}

TEST(CommandBatch, OnSeveralShardsEachShardCommitsItsShareOnceAndResultsKeepTheOrder) {
  Server s({}, 1000, /*shards=*/2);
  // Areas hash onto shards: find two sessions on different shards.
  for (int i = 0; i < 16; ++i) s.create("s" + std::to_string(i), "neuro", "area-" + std::to_string(i));
  std::vector<std::string> items;
  for (int round = 0; round < 3; ++round)
    for (int i = 0; i < 16; ++i)
      items.push_back(item(walk_in("s" + std::to_string(i), "P" + std::to_string(round * 16 + i))));
  const int a0 = s.journal(0).appends, a1 = s.journal(1).appends;
  pb::CommandBatchResult r = s.batch(batch_of(items));
  ASSERT_EQ(r.results_size(), 48);
  for (int round = 0; round < 3; ++round)
    for (int i = 0; i < 16; ++i) {
      const auto& it = r.results(round * 16 + i);
      EXPECT_EQ(it.status(), 201);
      EXPECT_EQ(it.response().ticket_id(), "s" + std::to_string(i) + "-W00" + std::to_string(round + 1));
    }
  const int d0 = s.journal(0).appends - a0, d1 = s.journal(1).appends - a1;
  EXPECT_LE(d0, 1);
  EXPECT_LE(d1, 1);
  EXPECT_EQ(d0 + d1, 2) << "16 areas all on one shard?";
}

TEST(CommandBatch, OnSeveralShardsACommandFollowsTheSessionAnEarlierCommandOfTheBatchCreates) {
  Server s({}, 1000, /*shards=*/2);
  // 16 new sessions (their areas hash onto both shards), each followed in
  // the same batch by a walk-in: every walk-in reaches its session.
  std::vector<std::string> items;
  for (int i = 0; i < 16; ++i) {
    pb::Command pc;
    codec::to_proto(Command{Actor{}, CreateSession{test::test_session("n" + std::to_string(i), "neuro",
                                                                      "area-" + std::to_string(i), kT0, 8)}},
                    0, &pc);
    std::string json;
    codec::to_json(pc, &json);
    items.push_back(item(json));
    items.push_back(item(walk_in("n" + std::to_string(i), "P" + std::to_string(i))));
  }
  const int a0 = s.journal(0).appends, a1 = s.journal(1).appends;
  pb::CommandBatchResult r = s.batch(batch_of(items));
  ASSERT_EQ(r.results_size(), 32);
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(r.results(2 * i).status(), 201) << i;
    EXPECT_EQ(r.results(2 * i + 1).status(), 201) << i << " " << r.results(2 * i + 1).error().message();
    EXPECT_EQ(r.results(2 * i + 1).response().ticket_id(), "n" + std::to_string(i) + "-W001");
  }
  EXPECT_EQ(s.journal(0).appends - a0 + s.journal(1).appends - a1, 2) << "16 areas all on one shard?";
}

// The answer's encoders against protobuf's own: the binary form is what
// SerializeToString gives for the same results, the JSON what its printer
// gives (errors, replays, a message that is not UTF-8).
TEST(CommandBatch, TheAnswerIsTheProtobufEncodingOfItsResults) {
  pb::CommandResponse resp;
  resp.set_ticket_id("S-W001");
  resp.set_label("W001");
  resp.set_slot(0);
  resp.add_events()->set_session_id("S");
  std::vector<BatchItemReply> items(4);
  items[0].status = 201;
  items[0].body = resp.SerializeAsString();
  items[1].status = 409;
  items[1].code = "no_capacity";
  items[1].message = "slot 2 is full \xff";
  items[2].status = 200;
  items[2].body = resp.SerializeAsString();
  items[2].replayed = true;
  items[3].status = 200;  // an empty CommandResponse
  std::string bin;
  append_batch_result(items, Format::kProto, &bin);
  pb::CommandBatchResult parsed;
  ASSERT_TRUE(parsed.ParseFromString(bin));
  ASSERT_EQ(parsed.results_size(), 4);
  EXPECT_EQ(parsed.SerializeAsString(), bin);
  EXPECT_EQ(parsed.results(1).error().message(), "slot 2 is full \xef\xbf\xbd");
  EXPECT_TRUE(parsed.results(2).replayed());
  EXPECT_TRUE(parsed.results(3).has_response());
  // The JSON of the same results, with each response as JSON.
  for (BatchItemReply& r : items)
    if (r.code.empty()) r.body = render_stored_response(r.body, Format::kJson);
  std::string json;
  append_batch_result(items, Format::kJson, &json);
  std::string printed;
  codec::to_json(parsed, &printed);
  EXPECT_EQ(json, printed);
}

}  // namespace
}  // namespace qc::gw
