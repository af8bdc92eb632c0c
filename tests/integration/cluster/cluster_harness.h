// Test support for tests/integration/cluster: a cluster of queuecastd nodes
// on loopback (class Cluster) and the keyed walk-in load the tests drive
// through it. Header-only; one test thread owns a Cluster.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "proto/codec.h"
#include "server/infra/clock.h"
#include "tests/support/daemon.h"
#include "tests/support/http_client.h"
#include "tests/support/redis_server.h"
#include "tests/support/sessions.h"

namespace qc::test::cluster {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

inline const std::string kAdmin = "Authorization: Bearer demo-admin-key\r\n";
constexpr int kPartitions = 8;

inline std::string json_field(const std::string& body, const std::string& name) {
  const std::string key = "\"" + name + "\":\"";
  const auto a = body.find(key);
  if (a == std::string::npos) return {};
  const auto b = body.find('"', a + key.size());
  return body.substr(a + key.size(), b - a - key.size());
}

// Three nodes (or `n`) and one redis-server, or (with `redis_url`) the
// Redis that URL names; `cluster_json`: more "cluster" settings, each
// followed by a comma ("\"wait_replicas\":1,").
class Cluster {
 public:
  explicit Cluster(int nodes = 3, int lease_ms = 1500, const std::string& redis_url = "",
                   const std::string& cluster_json = "")
      : lease_ms_(lease_ms) {
    ::setenv("QUEUECAST_CLUSTER_SECRET", "test-cluster-secret-0123456789", 1);
    std::string err;
    if (redis_url.empty() && !redis_.start(&err)) ADD_FAILURE() << err;
    const std::string url =
        redis_url.empty() ? "redis://127.0.0.1:" + std::to_string(redis_.port()) + "/0" : redis_url;
    config_ = std::make_unique<qc::test::ConfigFile>(
        R"({"cluster":{)" + cluster_json + R"("redis":")" + url +
        R"(","partitions":)" + std::to_string(kPartitions) + R"(,"lease_ms":)" + std::to_string(lease_ms) +
        R"(,"renew_ms":)" + std::to_string(lease_ms / 3) + R"(,"forward_wait_ms":3000},)" +
        R"("limits":{"booking_per_address_per_minute":1000000,"booking_per_patient_per_minute":1000000}})");
    for (int i = 0; i < nodes; ++i) add_node();
  }

  // Starts node `i` (a new one when i == size()). `redis_port`: where it
  // reaches Redis (a Relay), 0 = directly.
  void add_node(int redis_port = 0) { start_node(static_cast<int>(nodes_.size()), redis_port); }
  void start_node(int i, int redis_port = 0) {
    std::vector<std::string> args{"--config", std::string(QC_SOURCE_DIR) + "/deploy/queuecast.example.json",
                                  "--config", config_->path(), "--listen", "127.0.0.1:0",
                                  "--log-level", "warn", "--node-id", "n" + std::to_string(i)};
    if (redis_port) {
      args.push_back("--cluster-redis");
      args.push_back("redis://127.0.0.1:" + std::to_string(redis_port) + "/0");
    }
    auto d = std::make_unique<qc::test::Daemon>(QC_QUEUECASTD, args, "");
    EXPECT_TRUE(d->start()) << "node " << i << " did not start";
    if (i == static_cast<int>(nodes_.size())) nodes_.push_back(std::move(d));
    else nodes_[static_cast<std::size_t>(i)] = std::move(d);
  }
  qc::test::Daemon& node(int i) { return *nodes_[static_cast<std::size_t>(i)]; }
  int size() const { return static_cast<int>(nodes_.size()); }
  int lease_ms() const { return lease_ms_; }
  qc::test::RedisServer& redis() { return redis_; }

  // Partition -> owner node id, as node `via` reports it (GET /v1/cluster).
  std::map<int, std::string> owners(int via = 0) {
    qc::test::HttpClient http(node(via).port(), 2000);
    auto r = http.request("GET", "/v1/cluster", "", kAdmin);
    std::map<int, std::string> out;
    for (std::size_t at = 0; (at = r.body.find("{\"partition\":", at)) != std::string::npos; ++at) {
      const int p = std::atoi(r.body.c_str() + at + 13);
      const std::string owner = json_field(r.body.substr(at, 200), "owner");
      if (!owner.empty()) out[p] = owner;
    }
    return out;
  }
  // Waits until every partition has an owner among `live` (node ids) and
  // every live node serves at most one more than any other.
  bool settled(const std::set<std::string>& live, std::chrono::milliseconds within, int via = 0) {
    const auto until = Steady::now() + within;
    while (Steady::now() < until) {
      auto o = owners(via);
      std::map<std::string, int> counts;
      for (const auto& n : live) counts[n] = 0;
      bool all = static_cast<int>(o.size()) == kPartitions;
      for (auto& [p, n] : o) {
        if (!live.count(n)) all = false;
        ++counts[n];
      }
      int lo = 1 << 30, hi = 0;
      for (auto& [n, c] : counts) lo = std::min(lo, c), hi = std::max(hi, c);
      if (all && hi - lo <= 1) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
  std::set<std::string> ids() const {
    std::set<std::string> s;
    for (std::size_t i = 0; i < nodes_.size(); ++i)
      if (nodes_[i]) s.insert("n" + std::to_string(i));
    return s;
  }

 private:
  qc::test::RedisServer redis_;
  std::unique_ptr<qc::test::ConfigFile> config_;
  std::vector<std::unique_ptr<qc::test::Daemon>> nodes_;
  int lease_ms_;
};

// A session in `area` (started 30 minutes ago) and the channel "web".
inline void create_session(int port, const std::string& sid, const std::string& area) {
  qc::test::HttpClient http(port);
  const qc::Time start = qc::gw::RealClock().now() - 30 * qc::kMinute;
  const qc::SessionSpec spec = qc::test::test_session(sid, "neuro", area, start, 200);
  auto r = http.request("POST", "/v1/commands",
                        qc::codec::command_to_json(qc::Command{qc::Actor{}, qc::CreateSession{spec}}, 0), kAdmin);
  ASSERT_EQ(r.status, 201) << r.body;
}

inline void define_web_channel(int port) {
  qc::test::HttpClient http(port);
  for (int i = 0; i < 50; ++i) {
    auto r = http.request("POST", "/v1/commands", R"({"defineChannel":{"channel":{"channelId":"web"}}})", kAdmin);
    if (r.status == 200) return;
    std::this_thread::sleep_for(100ms);
  }
  ADD_FAILURE() << "defineChannel never succeeded";
}

// Every partition owned, counts balanced, and the channel "web" defined in
// every partition: where most tests start.
inline ::testing::AssertionResult ready(Cluster& c) {
  if (!c.settled(c.ids(), std::chrono::seconds(20)))
    return ::testing::AssertionFailure() << "the cluster did not settle within 20 s";
  define_web_channel(c.node(0).port());
  return ::testing::AssertionSuccess();
}

inline std::string walk_in(const std::string& sid, const std::string& id) {
  return R"({"registerWalkIn":{"sessionId":")" + sid + R"(","patientRef":"P-)" + id +
         R"(","patientName":"N","ticketId":")" + id + R"("}})";
}

// Sends a keyed command until it is answered 2xx, rotating over `ports`
// on failures. Returns the last answer; *first_failure / *recovered tell
// when failures started and ended.
struct Sent {
  qc::test::HttpResponse answer;
  int attempts = 0;
  std::set<int> statuses;  // non-2xx statuses seen (0: no answer)
  std::string unexpected;  // the last answer that was neither 2xx nor 503 nor none
};
inline Sent send_until_done(const std::vector<int>& ports, std::size_t start, const std::string& key,
                     const std::string& body, std::chrono::seconds budget = 20s) {
  Sent s;
  const auto until = Steady::now() + budget;
  for (std::size_t i = start; Steady::now() < until; ++i) {
    qc::test::HttpClient http(ports[i % ports.size()], 3000);
    ++s.attempts;
    s.answer = http.request("POST", "/v1/commands", body, kAdmin + "Idempotency-Key: " + key + "\r\n");
    if (s.answer.status >= 200 && s.answer.status < 300) return s;
    s.statuses.insert(s.answer.status);
    if (s.answer.status != 503 && s.answer.status != 0)
      s.unexpected = key + " via " + std::to_string(ports[i % ports.size()]) + " (attempt " +
                     std::to_string(s.attempts) + "): " + std::to_string(s.answer.status) + " " + s.answer.body;
    std::this_thread::sleep_for(50ms);
  }
  return s;
}

inline int tickets_in(int port, const std::string& sid, const std::string& prefix) {
  qc::test::HttpClient http(port);
  auto r = http.request("GET", "/v1/sessions/" + sid, "", kAdmin);
  int n = 0;
  const std::string needle = "\"ticketId\":\"" + prefix;
  for (std::size_t at = 0; (at = r.body.find(needle, at)) != std::string::npos; ++at) ++n;
  return n;
}

// The owner of `sid`'s partition (node index), as a command's answer says.
inline int owner_of(Cluster& c, const std::string& sid) {
  qc::test::HttpClient http(c.node(0).port());
  auto r = http.request("GET", "/v1/sessions/" + sid, "", kAdmin);
  const std::string n = r.headers["Queuecast-Node"];
  return n.empty() ? -1 : std::atoi(n.c_str() + 1);
}


}  // namespace qc::test::cluster
