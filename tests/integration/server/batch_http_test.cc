// POST /v1/commands:batch through the real queuecastd over HTTP (docs/api.md
// "Batches"): an import of bookings as JSON and as protobuf, each command's
// own result and booking limit, the metrics. The endpoint's finer rules are
// tests/unit/server/command_batch_test.cc's.
#include <gtest/gtest.h>

#include <string>

#include "proto/codec.h"
#include "queuecast/v1/queuecast.pb.h"
#include "server/infra/clock.h"
#include "tests/support/daemon.h"
#include "tests/support/http_client.h"
#include "tests/support/sessions.h"

namespace {

namespace pb = ::queuecast::v1;

const std::string kAdmin = "Authorization: Bearer demo-admin-key\r\n";

// A session around the server's now (started 30 minutes ago) and the channel "web".
void setup(unsigned short port, const std::string& sid) {
  qc::test::HttpClient http(port);
  const qc::Time start = qc::gw::RealClock().now() - 30 * qc::kMinute;
  const qc::SessionSpec spec = qc::test::test_session(sid, "neuro", "neuro-2f", start, 10);
  auto r = http.request("POST", "/v1/commands",
                        qc::codec::command_to_json(qc::Command{qc::Actor{}, qc::CreateSession{spec}}, 0), kAdmin);
  ASSERT_EQ(r.status, 201) << r.body;
  r = http.request("POST", "/v1/commands", R"({"defineChannel":{"channel":{"channelId":"web"}}})", kAdmin);
  ASSERT_EQ(r.status, 200) << r.body;
}

std::string booking(const std::string& sid, int slot, const std::string& id) {
  return R"({"idempotencyKey":")" + id + R"(","command":{"book":{"sessionId":")" + sid +
         R"(","slot":)" + std::to_string(slot) + R"(,"patientRef":"P-)" + id +
         R"(","patientName":"N","ticketId":")" + id + R"(","channel":"web"}}})";
}

TEST(BatchHttp, AnImportOfBookingsAsJsonAndAsProtobuf) {
  // Three bookings a minute per address: the batch's fourth is refused alone.
  qc::test::Daemon d({"--limit", "booking_per_address_per_minute=3"});
  setup(d.port(), "imp");
  qc::test::HttpClient http(d.port());
  auto r = http.request("POST", "/v1/commands:batch",
                        R"({"commands":[)" + booking("imp", 2, "his-1") + "," + booking("imp", 2, "his-2") + "," +
                            R"({"command":{"callNext":{"sessionId":"nope"}}})" + "," + booking("imp", 3, "his-4") + "," +
                            booking("imp", 3, "his-5") + "]}",
                        kAdmin + "Content-Type: application/json\r\n");
  ASSERT_EQ(r.status, 200) << r.body;
  pb::CommandBatchResult res;
  std::string msg;
  ASSERT_EQ(qc::codec::parse_json(r.body, &res, &msg), qc::Error::kOk) << msg << r.body;
  ASSERT_EQ(res.results_size(), 5);
  EXPECT_EQ(res.results(0).status(), 201);
  EXPECT_EQ(res.results(0).response().ticket_id(), "his-1");
  EXPECT_EQ(res.results(1).status(), 201);
  EXPECT_EQ(res.results(2).status(), 404);
  EXPECT_EQ(res.results(2).error().code(), "unknown_session");
  EXPECT_EQ(res.results(3).status(), 201);
  EXPECT_EQ(res.results(4).status(), 429);  // the address's fourth booking
  EXPECT_EQ(res.results(4).error().code(), "rate_limited");

  // The protobuf form: a retry of his-1 (replayed, charged nothing) and a call.
  pb::CommandBatch batch;
  auto* item = batch.add_commands();
  std::string json = booking("imp", 2, "his-1");
  ASSERT_EQ(qc::codec::parse_json(json, item, &msg), qc::Error::kOk) << msg;
  qc::codec::to_proto(qc::Command{qc::Actor{}, qc::CallNext{"imp"}}, 0, batch.add_commands()->mutable_command());
  r = http.request("POST", "/v1/commands:batch", batch.SerializeAsString(),
                   kAdmin + "Content-Type: application/x-protobuf\r\nAccept: application/x-protobuf\r\n");
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(res.ParseFromString(r.body));
  ASSERT_EQ(res.results_size(), 2);
  EXPECT_EQ(res.results(0).status(), 201);
  EXPECT_TRUE(res.results(0).replayed());
  EXPECT_EQ(res.results(0).response().ticket_id(), "his-1");
  EXPECT_EQ(res.results(1).status(), 200);

  // Refused as a whole: a 400 with its code, in the format asked for.
  r = http.request("POST", "/v1/commands:batch", R"({"commands":[]})", kAdmin);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"("code":"batch_empty")"), std::string::npos) << r.body;

  const auto m = http.request("GET", "/metrics");
  EXPECT_NE(m.body.find("queuecast_batches_total 2\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("queuecast_batch_commands_total 7\n"), std::string::npos);
}

}  // namespace
