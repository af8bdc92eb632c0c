// The acknowledgement path of a real queuecastd over HTTP with one and with
// two network threads: commands from many connections go to the shard in
// batches and their answers come back in batches (server/runtime/runtime.h,
// http_server.cc); every request gets exactly its own answer.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "proto/codec.h"
#include "tests/support/clinic.h"
#include "tests/support/http_client.h"
#include "tests/support/redis_server.h"
#include "tests/support/daemon.h"

namespace qc::journal {
namespace {

#ifdef QC_QUEUECASTD_PATH
class AckPath : public ::testing::TestWithParam<int> {};

TEST_P(AckPath, EveryRequestGetsItsOwnAnswer) {
  const std::string dir = test::make_temp_dir("ackpath");
  {
    std::ofstream cfg(dir + "/config.json");
    cfg << R"({"listen": "127.0.0.1:0", "log_level": "warn",
  "limits": {"booking_per_patient_per_minute": 100000000, "booking_per_address_per_minute": 100000000,
             "connections_per_address": 100000, "requests_per_address_per_second": 100000000},
  "staff": [
    {"id": "admin", "role": "admin", "key_sha256": "4b63756584048f60de780893fb743ef44b8d8b2c5f58e6cb8f435321a1d74594"},
    {"id": "n1", "role": "nurse", "key_sha256": "ac37a12da67f48b32be00455890eb0262f3ae1b746818281053f1fda8e9a2519"}
  ]})";
  }
  qc::test::Daemon server(QC_QUEUECASTD_PATH,
                          {"--config", dir + "/config.json", "--store", "memory:",
                           "--data-dir", dir, "--io-threads", std::to_string(GetParam())},
                          dir + "/queuecastd.log");
  ASSERT_TRUE(server.start());
  constexpr int kClients = 12, kRequests = 120;
  {
    test::HttpClient admin(server.port());
    for (int c = 0; c < kClients; ++c) {
      const std::string sid = "ap" + std::to_string(c);
      const Time now = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
      const SessionSpec spec = qc::test::load_session(sid, "Dr. " + sid, "d", now);
      auto r = admin.request("POST", "/v1/commands",
                             codec::command_to_json(Command{Actor{}, CreateSession{spec}}, 0),
                             "Authorization: Bearer crash-admin\r\n");
      ASSERT_TRUE(r.status == 201 || r.status == 200) << r.status << " " << r.body;
    }
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      test::HttpClient http(server.port());
      const std::string sid = "ap" + std::to_string(c);
      for (int i = 0; i < kRequests; ++i) {
        if (i % 5 == 4) {
          auto r = http.request("GET", "/healthz");
          if (r.status != 200 || r.body != "ok\n") ++wrong;
          continue;
        }
        // The answer names this client's session and the patient it registered.
        const std::string ref = "c" + std::to_string(c) + "-" + std::to_string(i);
        auto r = http.request("POST", "/v1/commands",
                              R"({"registerWalkIn":{"sessionId":")" + sid +
                                  R"(","patientRef":")" + ref + R"(","patientName":"N"}})",
                              "Authorization: Bearer crash-nurse\r\n");
        if (r.status != 201 || r.body.find(sid + "-") == std::string::npos) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  server.kill9();
  test::remove_tree(dir);
}

INSTANTIATE_TEST_SUITE_P(NetworkThreads, AckPath, ::testing::Values(1, 2));
#endif

}  // namespace
}  // namespace qc::journal
