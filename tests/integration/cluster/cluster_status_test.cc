// `queuecast cluster status` against a real redis-server and two real
// nodes: it names the members and every partition's owner, epoch, lease
// and last seq, read from Redis, and keeps working once the nodes are gone.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/daemon.h"
#include "tests/support/http_client.h"
#include "tests/support/redis_server.h"

namespace {

using namespace std::chrono_literals;

constexpr int kPartitions = 4;
constexpr int kLeaseMs = 1000;

struct CliRun {
  int code = -1;
  std::string out;
};

// queuecast with `args` (stdout captured, stderr appended to it).
CliRun queuecast(const std::string& args) {
  CliRun r;
  FILE* p = ::popen((std::string(QC_QUEUECAST_BIN) + " " + args + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class ClusterStatusCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("QUEUECAST_CLUSTER_SECRET", "test-cluster-secret-0123456789", 1);
    std::string err;
    ASSERT_TRUE(redis_.start(&err)) << err;
    url_ = "redis://127.0.0.1:" + std::to_string(redis_.port()) + "/0";
    config_ = std::make_unique<qc::test::ConfigFile>(
        R"({"cluster":{"redis":")" + url_ + R"(","partitions":)" + std::to_string(kPartitions) +
        R"(,"lease_ms":)" + std::to_string(kLeaseMs) + R"(,"renew_ms":300}})");
    for (int i = 0; i < 2; ++i) {
      nodes_.push_back(std::make_unique<qc::test::Daemon>(
          QC_QUEUECASTD,
          std::vector<std::string>{"--config",
                                   std::string(QC_SOURCE_DIR) + "/deploy/queuecast.example.json",
                                   "--config", config_->path(), "--listen", "127.0.0.1:0",
                                   "--log-level", "warn", "--node-id", "n" + std::to_string(i)},
          ""));
      ASSERT_TRUE(nodes_.back()->start());
    }
  }

  // Polls the JSON status until every partition has an owner among both
  // nodes and each serves some; the last answer.
  CliRun settled() {
    CliRun r;
    for (int i = 0; i < 100; ++i) {
      r = queuecast("cluster status --redis " + url_ + " --json");
      const bool all = r.code == 0 && r.out.find("\"owner\":\"\"") == std::string::npos &&
                       r.out.find("\"owner\":\"n0\"") != std::string::npos &&
                       r.out.find("\"owner\":\"n1\"") != std::string::npos;
      if (all) return r;
      std::this_thread::sleep_for(100ms);
    }
    return r;
  }

  qc::test::RedisServer redis_;
  std::string url_;
  std::unique_ptr<qc::test::ConfigFile> config_;
  std::vector<std::unique_ptr<qc::test::Daemon>> nodes_;
};

TEST_F(ClusterStatusCli, NamesMembersOwnersEpochsLeasesAndLastSeqs) {
  CliRun r = settled();
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("\"partitions\":4"), std::string::npos) << r.out;
  for (const char* n : {"n0", "n1"}) {
    EXPECT_NE(r.out.find(std::string("{\"node\":\"") + n + "\",\"address\":\"127.0.0.1:"),
              std::string::npos)
        << r.out;
  }
  // A channel definition is committed on every partition: each stream's
  // last seq is then at least 1.
  {
    qc::test::HttpClient http(nodes_[0]->port());
    qc::test::HttpResponse a;
    for (int i = 0; i < 50 && a.status != 200; ++i) {
      a = http.request("POST", "/v1/commands",
                       R"({"defineChannel":{"channel":{"channelId":"web"}}})",
                       "Authorization: Bearer demo-admin-key\r\n");
      if (a.status != 200) std::this_thread::sleep_for(100ms);
    }
    ASSERT_EQ(a.status, 200) << a.body;
  }
  r = queuecast("cluster status --redis " + url_ + " --json");
  ASSERT_EQ(r.code, 0) << r.out;
  const std::regex row(
      R"re(\{"partition":(\d+),"owner":"(n[01])","epoch":(\d+),"leaseEpoch":(\d+),)re"
      R"re("leaseTtlMs":(\d+),"lastSeq":(\d+)\})re");
  std::set<int> seen;
  for (std::sregex_iterator it(r.out.begin(), r.out.end(), row), end; it != end; ++it) {
    const std::smatch& m = *it;
    seen.insert(std::stoi(m[1]));
    EXPECT_GE(std::stoi(m[3]), 1) << m[0];
    EXPECT_EQ(m[3], m[4]) << "the lease holds the current epoch: " << m[0];
    EXPECT_GT(std::stoi(m[5]), 0) << m[0];
    EXPECT_LE(std::stoi(m[5]), kLeaseMs) << m[0];
    EXPECT_GE(std::stoi(m[6]), 1) << m[0];
  }
  EXPECT_EQ(seen.size(), std::size_t(kPartitions)) << r.out;
  // The table form says the same.
  r = queuecast("cluster status --redis " + url_);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("4 partitions"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("members (2):"), std::string::npos) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\n0 +n[01] +[1-9]\d* +\d+ +[1-9]\d*\n)")))
      << r.out;
}

TEST_F(ClusterStatusCli, WorksWithEveryNodeDownAndShowsTheLeasesGone) {
  ASSERT_EQ(settled().code, 0);
  for (auto& n : nodes_) n->kill9();
  CliRun r = queuecast("cluster status --redis " + url_ + " --json");
  ASSERT_EQ(r.code, 0) << r.out;
  // Once the leases and member entries expire: no owner, no member; the
  // epochs stay (they only grow).
  std::this_thread::sleep_for(std::chrono::milliseconds(kLeaseMs + 500));
  r = queuecast("cluster status --redis " + url_ + " --json");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("\"members\":[]"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\"owner\":\"n"), std::string::npos) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"("owner":"","epoch":[1-9])"))) << r.out;
  r = queuecast("cluster status --redis " + url_);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("members (0):"), std::string::npos) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\n3 +- +[1-9]\d* +- +\d+\n)"))) << r.out;
}

TEST_F(ClusterStatusCli, RefusesAnotherPrefixAnUnreachableRedisAndBadArguments) {
  CliRun r = queuecast("cluster status --redis " + url_ + " --key other");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("no cluster under key 'other'"), std::string::npos) << r.out;
  r = queuecast("cluster status --redis redis://127.0.0.1:1/0");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("cannot connect"), std::string::npos) << r.out;
  r = queuecast("cluster status --redis http://x");
  EXPECT_EQ(r.code, 1) << r.out;
  r = queuecast("cluster status");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("needs --redis URL"), std::string::npos) << r.out;
  r = queuecast("cluster stats --redis " + url_);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("unknown subcommand 'stats'"), std::string::npos) << r.out;
  r = queuecast("cluster status --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.rfind("usage: queuecast cluster status", 0), 0u) << r.out;
}

}  // namespace
