// An Idempotency-Key stands for its first request across a restart of a
// real queuecastd on SQLite and on Redis: the key's request fingerprint is
// journaled with it, so after a SIGKILL and recovery the same request still
// gets its first answer and another request with the key still gets 422
// `idempotency_key_reused` (docs/api.md "Idempotency").
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>

#include "proto/codec.h"
#include "tests/support/clinic.h"
#include "tests/support/http_client.h"
#include "tests/support/redis_server.h"
#include "tests/support/daemon.h"

namespace qc::journal {
namespace {

#ifdef QC_QUEUECASTD_PATH
class IdempotencyRestart : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = test::make_temp_dir("idem-restart");
    if (GetParam() == "redis") {
      redis_ = std::make_unique<test::RedisServer>(dir_);
      std::string error;
      ASSERT_TRUE(redis_->start(&error)) << error;
      url_ = redis_->url("idem");
    } else {
      url_ = "sqlite://" + dir_ + "/journal.db";
    }
    std::ofstream cfg(dir_ + "/config.json");
    cfg << R"({"listen": "127.0.0.1:0", "log_level": "warn",
  "staff": [
    {"id": "admin", "role": "admin", "key_sha256": "4b63756584048f60de780893fb743ef44b8d8b2c5f58e6cb8f435321a1d74594"},
    {"id": "n1", "role": "nurse", "key_sha256": "ac37a12da67f48b32be00455890eb0262f3ae1b746818281053f1fda8e9a2519"}
  ]})";
  }
  void TearDown() override {
    redis_.reset();
    test::remove_tree(dir_);
  }
  std::unique_ptr<qc::test::Daemon> start() {
    auto s = std::make_unique<qc::test::Daemon>(
        QC_QUEUECASTD_PATH,
        std::vector<std::string>{"--config", dir_ + "/config.json", "--store", url_, "--data-dir", dir_},
        dir_ + "/queuecastd.log");
    EXPECT_TRUE(s->start()) << "see " << dir_ << "/queuecastd.log";
    return s;
  }

  std::string dir_, url_;
  std::unique_ptr<test::RedisServer> redis_;
};

const std::string kNurse = "Authorization: Bearer crash-nurse\r\n";

TEST_P(IdempotencyRestart, AReusedKeyIsRefusedBeforeAndAfterARestart) {
  const std::string key = "Idempotency-Key: k1\r\n";
  const std::string walk_in = R"({"patientRef":"P1","patientName":"Zhang San"})";
  std::string first_body;
  {
    auto server = start();
    test::HttpClient http(server->port());
    const Time now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    auto created = http.request("POST", "/v1/commands",
                                codec::command_to_json(
                                    Command{Actor{}, CreateSession{qc::test::load_session("s1", "Dr. Li", "d", now)}}, 0),
                                "Authorization: Bearer crash-admin\r\n");
    ASSERT_EQ(created.status, 201) << created.body;
    auto first = http.request("POST", "/v1/sessions/s1/walk-ins", walk_in, kNurse + key);
    ASSERT_EQ(first.status, 201) << first.body;
    first_body = first.body;
    auto other = http.request("POST", "/v1/sessions/s1/call-next", "", kNurse + key);
    EXPECT_EQ(other.status, 422) << other.body;
    EXPECT_NE(other.body.find("idempotency_key_reused"), std::string::npos) << other.body;
    EXPECT_FALSE(other.replayed);
    server->kill9();
  }
  auto server = start();
  test::HttpClient http(server->port());
  // Another request with the key: refused, and nobody is called.
  auto other = http.request("POST", "/v1/sessions/s1/call-next", "", kNurse + key);
  EXPECT_EQ(other.status, 422) << other.body;
  EXPECT_NE(other.body.find("idempotency_key_reused"), std::string::npos) << other.body;
  EXPECT_EQ(other.body.find("token"), std::string::npos) << other.body;
  auto session = http.request("GET", "/v1/sessions/s1", "", kNurse);
  ASSERT_EQ(session.status, 200) << session.body;
  EXPECT_EQ(session.body.find("TICKET_STATE_CALLED"), std::string::npos) << session.body;
  EXPECT_NE(session.body.find("TICKET_STATE_WAITING"), std::string::npos) << session.body;
  // The first request again: its first answer.
  auto again = http.request("POST", "/v1/sessions/s1/walk-ins", walk_in, kNurse + key);
  EXPECT_EQ(again.status, 201) << again.body;
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.body, first_body);
  // The key is the nurse's own: without it, call-next runs.
  auto called = http.request("POST", "/v1/sessions/s1/call-next", "", kNurse + "Idempotency-Key: k2\r\n");
  EXPECT_EQ(called.status, 200) << called.body;
}

INSTANTIATE_TEST_SUITE_P(Stores, IdempotencyRestart, ::testing::Values("sqlite", "redis"),
                         [](const auto& info) { return info.param; });
#endif

}  // namespace
}  // namespace qc::journal
