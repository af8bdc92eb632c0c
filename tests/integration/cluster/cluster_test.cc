// queuecast on several machines (docs/cluster.md), on loopback: one real
// redis-server and three queuecastd nodes started by the test. Each test is
// one of the cluster's promises:
//   1. commands sent round-robin apply exactly once; reads through any node
//      see the owner's state (forwarding);
//   2. kill -9 of a partition's owner under keyed load: nothing acknowledged
//      lost or applied twice; the failover time is measured;
//   3. split brain (SIGSTOP past the lease): the old owner's commits are
//      fenced, it never answers 2xx for the partition again;
//   4. a node cut off from Redis stops answering for its partitions before
//      Redis gives them to another node;
//   5. rolling restart (SIGTERM each node in turn) under load: only
//      retriable 503s, nothing lost; partition counts balanced again.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "proto/codec.h"
#include "server/infra/clock.h"
#include "server/runtime/partition.h"
#include "tests/support/daemon.h"
#include "tests/support/http_client.h"
#include "tests/support/redis_server.h"
#include "tests/support/sessions.h"
#include "tests/support/ws_client.h"
#include "tests/integration/cluster/cluster_harness.h"

namespace {

using namespace qc::test::cluster;

// A TCP relay between a node and redis-server that the test can cut: the
// bytes stop flowing both ways (the connections stay open, as when a
// network drops packets), so the node's Redis calls time out.
class Relay {
 public:
  explicit Relay(int target_port) : target_(target_port) {
    lfd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(lfd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(lfd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(lfd_, 64);
    socklen_t len = sizeof a;
    ::getsockname(lfd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~Relay() {
    stop_ = true;
    thread_.join();
    for (auto& [a, b] : pairs_) {
      ::close(a);
      ::close(b);
    }
    ::close(lfd_);
  }
  int port() const { return port_; }
  void cut() { cut_ = true; }

 private:
  void run() {
    while (!stop_) {
      std::vector<pollfd> fds{{lfd_, POLLIN, 0}};
      for (auto& [a, b] : pairs_) {
        fds.push_back({a, static_cast<short>(cut_ ? 0 : POLLIN), 0});
        fds.push_back({b, static_cast<short>(cut_ ? 0 : POLLIN), 0});
      }
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        const int c = ::accept4(lfd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) {
          const int u = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
          sockaddr_in a{};
          a.sin_family = AF_INET;
          a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
          a.sin_port = htons(static_cast<unsigned short>(target_));
          if (cut_ || ::connect(u, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            // Cut: accepted, never answered (as a dropped link).
            pairs_.emplace_back(c, u);
          } else {
            pairs_.emplace_back(c, u);
          }
        }
      }
      if (cut_) continue;
      for (std::size_t i = 0; i < pairs_.size(); ++i) {
        for (int side = 0; side < 2; ++side) {
          const pollfd& f = fds[1 + 2 * i + side];
          if (!(f.revents & (POLLIN | POLLHUP | POLLERR))) continue;
          char buf[65536];
          const ssize_t n = ::read(f.fd, buf, sizeof buf);
          const int to = side == 0 ? pairs_[i].second : pairs_[i].first;
          if (n > 0) {
            ssize_t off = 0;
            while (off < n) {
              const ssize_t w = ::write(to, buf + off, static_cast<std::size_t>(n - off));
              if (w <= 0) break;
              off += w;
            }
          }
        }
      }
    }
  }
  int target_;
  int lfd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false}, cut_{false};
  std::vector<std::pair<int, int>> pairs_;
  std::thread thread_;
};

TEST(Cluster, CommandsRoundRobinApplyOnceAndReadsThroughAnyNodeSeeTheOwner) {
  Cluster c;
  ASSERT_TRUE(ready(c));
  // Sessions in several areas: several partitions, several owners.
  std::vector<std::string> sids;
  for (int a = 0; a < 6; ++a) {
    sids.push_back("rr" + std::to_string(a));
    create_session(c.node(a % 3).port(), sids.back(), "area-" + std::to_string(a));
  }
  std::vector<int> ports{c.node(0).port(), c.node(1).port(), c.node(2).port()};
  std::set<std::string> nodes_seen;
  for (int i = 0; i < 60; ++i) {
    const std::string sid = sids[static_cast<std::size_t>(i) % sids.size()];
    const std::string id = sid + "-t" + std::to_string(i);
    qc::test::HttpClient http(ports[static_cast<std::size_t>(i) % 3]);
    auto r = http.request("POST", "/v1/commands", walk_in(sid, id), kAdmin + "Idempotency-Key: k-" + id + "\r\n");
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_FALSE(r.headers["Queuecast-Node"].empty());
    EXPECT_FALSE(r.headers["Queuecast-Epoch"].empty());
    EXPECT_EQ(r.headers["Queuecast-Partition"],
              std::to_string(qc::gw::fnv1a64("area-" + std::to_string(i % sids.size())) % kPartitions));
    nodes_seen.insert(r.headers["Queuecast-Node"]);
    // The same key through another node: the stored answer, not a second ticket.
    qc::test::HttpClient other(ports[static_cast<std::size_t>(i + 1) % 3]);
    auto again = other.request("POST", "/v1/commands", walk_in(sid, id),
                               kAdmin + "Idempotency-Key: k-" + id + "\r\n");
    EXPECT_EQ(again.status, 201);
    EXPECT_TRUE(again.replayed);
  }
  EXPECT_GE(nodes_seen.size(), 2u) << "the sessions' partitions should be served by several nodes";
  for (const auto& sid : sids) {
    const int n = tickets_in(ports[0], sid, sid + "-t");
    EXPECT_EQ(n, 10) << sid;
    for (int port : ports) EXPECT_EQ(tickets_in(port, sid, sid + "-t"), n) << sid << " via " << port;
  }
  // A ticket read through every node.
  for (int port : ports) {
    qc::test::HttpClient http(port);
    auto r = http.request("GET", "/v1/tickets/rr0-t0", "", kAdmin);
    EXPECT_EQ(r.status, 200) << r.body;
  }
  // Which node serves what: an unscoped admin only; the nodes' internal
  // endpoints and the forwarded header need the cluster's secret.
  {
    qc::test::HttpClient http(ports[2]);
    EXPECT_EQ(http.request("GET", "/v1/cluster").status, 401);
    EXPECT_EQ(http.request("GET", "/v1/cluster", "", "Authorization: Bearer demo-nurse-key\r\n").status, 403);
    auto r = http.request("GET", "/v1/cluster", "", kAdmin);
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("\"partitionTable\""), std::string::npos) << r.body;
    EXPECT_EQ(http.request("POST", "/internal/v1/follow", "{}", kAdmin).status, 404);
    EXPECT_EQ(http.request("POST", "/internal/v1/follow", "{}",
                           kAdmin + "Queuecast-Forwarded: n9 wrong-secret 127.0.0.1\r\n").status, 404);
    r = http.request("POST", "/v1/commands", walk_in("rr0", "forged"),
                     kAdmin + "Queuecast-Forwarded: n9 wrong-secret 127.0.0.1\r\n");
    EXPECT_EQ(r.status, 403) << r.body;
    r = http.request("GET", "/metrics");
    EXPECT_NE(r.body.find("queuecast_partition_served{partition=\"0\"}"), std::string::npos);
    EXPECT_NE(r.body.find("queuecast_forwarded_requests_total"), std::string::npos);
  }
  // A session id is unique across partitions: creating rr0 again in another
  // area (another partition) is refused.
  {
    qc::test::HttpClient http(ports[1]);
    const qc::SessionSpec spec =
        qc::test::test_session("rr0", "neuro", "area-other", qc::gw::RealClock().now(), 10);
    auto r = http.request("POST", "/v1/commands",
                          qc::codec::command_to_json(qc::Command{qc::Actor{}, qc::CreateSession{spec}}, 0), kAdmin);
    EXPECT_EQ(r.status, 409) << r.body;
  }
}

TEST(Cluster, AnIdempotencyKeyTakenOnOnePartitionIsRefusedOnAnother) {
  Cluster c;
  ASSERT_TRUE(ready(c));
  // Two areas on two partitions.
  const std::string a1 = "area-key-a";
  std::string a2;
  for (int i = 0; a2.empty(); ++i) {
    const std::string a = "area-key-" + std::to_string(i);
    if (qc::gw::fnv1a64(a) % kPartitions != qc::gw::fnv1a64(a1) % kPartitions) a2 = a;
  }
  create_session(c.node(0).port(), "ka", a1);
  create_session(c.node(0).port(), "kb", a2);
  qc::test::HttpClient http(c.node(1).port());
  auto r = http.request("POST", "/v1/commands", walk_in("ka", "ka-1"), kAdmin + "Idempotency-Key: shared-key\r\n");
  ASSERT_EQ(r.status, 201) << r.body;
  // The same key for another request, whose session is on another partition:
  // refused (the first attempt may meet the key in Redis and fail with 503).
  int status = 0;
  for (int i = 0; i < 20 && status != 422; ++i) {
    r = http.request("POST", "/v1/commands", walk_in("kb", "kb-1"), kAdmin + "Idempotency-Key: shared-key\r\n");
    status = r.status;
    if (status == 503) std::this_thread::sleep_for(200ms);
    else break;
  }
  EXPECT_EQ(status, 422) << r.body;
  EXPECT_EQ(tickets_in(c.node(0).port(), "kb", "kb-"), 0);
  // The first request's retry is still answered from its partition.
  r = http.request("POST", "/v1/commands", walk_in("ka", "ka-1"), kAdmin + "Idempotency-Key: shared-key\r\n");
  EXPECT_EQ(r.status, 201);
  EXPECT_TRUE(r.replayed);
}

TEST(Cluster, KillingAnOwnerUnderKeyedLoadLosesNothingAndAppliesNothingTwice) {
  Cluster c;
  ASSERT_TRUE(ready(c));
  create_session(c.node(0).port(), "kl", "area-kill");
  const int victim = owner_of(c, "kl");
  ASSERT_GE(victim, 0);
  std::vector<int> survivors;
  for (int i = 0; i < 3; ++i)
    if (i != victim) survivors.push_back(c.node(i).port());
  const std::vector<int> all{c.node(0).port(), c.node(1).port(), c.node(2).port()};
  std::atomic<bool> killed{false}, stop{false};
  std::mutex mu;
  std::vector<std::string> acknowledged;
  Steady::time_point back_at{};
  std::atomic<int> failed{0};
  // Two clients, each sending keyed walk-ins one after the other (10 ms
  // apart), retrying each until it is answered.
  auto client = [&](int who) {
    for (int i = 0; !stop; ++i) {
      const std::string id = "kl-t" + std::to_string(who) + "-" + std::to_string(i);
      const bool after_kill = killed;
      Sent s = send_until_done(after_kill ? survivors : all, static_cast<std::size_t>(i + who), "k-" + id,
                               walk_in("kl", id));
      if (s.answer.status != 201) {
        ++failed;
        continue;
      }
      std::lock_guard lock(mu);
      acknowledged.push_back(id);
      // A command sent after the kill succeeds once a survivor serves the
      // partition (it waits at the entry node meanwhile).
      if (after_kill && back_at == Steady::time_point{}) back_at = Steady::now();
      std::this_thread::sleep_for(10ms);
    }
  };
  std::thread a(client, 0), b(client, 1);
  std::this_thread::sleep_for(700ms);
  const auto kill_at = Steady::now();
  c.node(victim).kill9();
  killed = true;
  // Until commands succeed again, and a second more of load.
  while (Steady::now() - kill_at < 20s) {
    {
      std::lock_guard lock(mu);
      if (back_at != Steady::time_point{} && Steady::now() - back_at > 1s) break;
    }
    std::this_thread::sleep_for(50ms);
  }
  stop = true;
  a.join();
  b.join();
  EXPECT_EQ(failed.load(), 0);
  std::lock_guard lock(mu);
  ASSERT_NE(back_at, Steady::time_point{}) << "commands on the partition never succeeded again";
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(back_at - kill_at).count();
  std::printf("failover: commands on the partition succeeded again %lld ms after the kill (lease %d ms), "
              "%zu acknowledged\n",
              static_cast<long long>(ms), c.lease_ms(), acknowledged.size());
  EXPECT_LT(ms, 5000);
  // Every acknowledged walk-in exactly once, seen through every survivor.
  for (int port : survivors) EXPECT_EQ(tickets_in(port, "kl", "kl-t"), static_cast<int>(acknowledged.size()));
}

std::uint64_t version_of(const boost::json::value& v) {
  const auto& x = v.at("version");
  return x.is_string() ? std::stoull(std::string(x.as_string())) : x.to_number<std::uint64_t>();
}
std::int64_t ahead_of(const boost::json::value& v) { return v.at("ahead").to_number<std::int64_t>(); }

// A phone on `port` following the patient view of `token`, from `last`.
std::unique_ptr<qc::test::ws_client::WsClient> phone(int port, const std::string& token, std::uint64_t last) {
  auto ws = std::make_unique<qc::test::ws_client::WsClient>(static_cast<unsigned short>(port));
  ws->send(R"({"subscribe":{"patient":{"token":")" + token + R"("},"lastVersion":")" + std::to_string(last) + R"("}})");
  return ws;
}

TEST(Cluster, PhonesOnAnyNodeFollowTheOwnerAndKeepFollowingAcrossItsLoss) {
  Cluster c;
  ASSERT_TRUE(ready(c));
  create_session(c.node(0).port(), "ph", "area-phones");
  const int owner = owner_of(c, "ph");
  ASSERT_GE(owner, 0);
  const int other = (owner + 1) % 3, third = (owner + 2) % 3;
  std::string token;
  for (int i = 0; i < 4; ++i) {
    qc::test::HttpClient http(c.node(third).port());
    auto r = http.request("POST", "/v1/commands", walk_in("ph", "ph-t" + std::to_string(i)), kAdmin);
    ASSERT_EQ(r.status, 201) << r.body;
    token = json_field(r.body, "token");
  }
  ASSERT_FALSE(token.empty());
  // The phone is on a node that does not serve the partition.
  auto ws = phone(c.node(other).port(), token, 0);
  auto v = ws->next_view("patient", 5s);
  ASSERT_TRUE(v) << "no first view through a node that does not serve the partition";
  EXPECT_EQ(ahead_of(*v), 3);
  std::uint64_t last = version_of(*v);
  // A call made through the third node reaches it.
  {
    qc::test::HttpClient http(c.node(third).port());
    ASSERT_EQ(http.request("POST", "/v1/sessions/ph/call-next", "", kAdmin).status, 200);
  }
  v = ws->next_view("patient", 5s);
  ASSERT_TRUE(v) << "the call's view did not reach the phone";
  EXPECT_EQ(ahead_of(*v), 2);
  EXPECT_GT(version_of(*v), last);
  last = version_of(*v);
  // The owner dies; a survivor takes the partition over; the phone is told
  // to reconnect (1012), does so with its version, and gets the views made
  // after the take-over, never an older one.
  c.node(owner).kill9();
  const auto killed = Steady::now();
  for (;;) {
    qc::test::HttpClient http(c.node(third).port(), 5000);
    auto r = http.request("POST", "/v1/sessions/ph/call-next", "", kAdmin + "Idempotency-Key: k-ph-call-2\r\n");
    if (r.status == 200) break;
    ASSERT_LT(Steady::now() - killed, 15s) << r.status << " " << r.body;
    std::this_thread::sleep_for(100ms);
  }
  const auto taken = Steady::now();
  std::optional<boost::json::value> after;
  while (!after && Steady::now() - taken < 5s) {
    auto got = ws->next_view("patient", 500ms);
    if (got) {
      EXPECT_GE(version_of(*got), last) << "a version went down";
      last = std::max(last, version_of(*got));
      if (ahead_of(*got) == 1) after = got;
      continue;
    }
    if (ws->closed()) ws = phone(c.node(other).port(), token, last);
  }
  ASSERT_TRUE(after) << "the phone did not get the view made after the take-over within 5 s";
}

TEST(Cluster, AnOwnerPausedPastItsLeaseIsFencedAndNeverAnswersForThePartitionAgain) {
  Cluster c;
  ASSERT_TRUE(ready(c));
  create_session(c.node(0).port(), "sb", "area-split");
  const int old = owner_of(c, "sb");
  ASSERT_GE(old, 0);
  const std::string old_id = "n" + std::to_string(old);
  const int other = (old + 1) % 3;
  ::kill(c.node(old).pid(), SIGSTOP);
  // A command sent to the paused owner sits in its socket until it resumes.
  qc::test::HttpResponse late;
  std::thread stalled([&] {
    qc::test::HttpClient http(c.node(old).port(), 15000);
    late = http.request("POST", "/v1/commands", walk_in("sb", "sb-late"), kAdmin + "Idempotency-Key: k-sb-late\r\n");
  });
  // A successor takes the partition over and applies commands.
  std::this_thread::sleep_for(std::chrono::milliseconds(c.lease_ms() + 500));
  for (int i = 0; i < 5; ++i) {
    Sent s = send_until_done({c.node(other).port()}, 0, "k-sb-" + std::to_string(i), walk_in("sb", "sb-t" + std::to_string(i)));
    ASSERT_EQ(s.answer.status, 201) << s.answer.body;
    EXPECT_NE(s.answer.headers["Queuecast-Node"], old_id);
  }
  ::kill(c.node(old).pid(), SIGCONT);
  stalled.join();
  // Whatever the old owner answered, it was not a success of its own.
  if (late.status >= 200 && late.status < 300) EXPECT_NE(late.headers["Queuecast-Node"], old_id) << late.body;
  // After it resumed, commands through it are served by the successor.
  for (int i = 5; i < 10; ++i) {
    Sent s = send_until_done({c.node(old).port()}, 0, "k-sb-" + std::to_string(i), walk_in("sb", "sb-t" + std::to_string(i)));
    ASSERT_EQ(s.answer.status, 201) << s.answer.body;
    EXPECT_NE(s.answer.headers["Queuecast-Node"], old_id);
  }
  // One history: every acknowledged walk-in once (sb-late at most once).
  EXPECT_EQ(tickets_in(c.node(other).port(), "sb", "sb-t"), 10);
  EXPECT_LE(tickets_in(c.node(other).port(), "sb", "sb-late"), 1);
}

TEST(Cluster, ANodeCutOffFromRedisStopsAnsweringBeforeAnotherNodeTakesOver) {
  Cluster c(2);
  Relay relay(c.redis().port());
  c.add_node(relay.port());  // n2 reaches Redis through the relay
  ASSERT_TRUE(ready(c));
  // A session on a partition n2 serves.
  std::string sid;
  for (int a = 0; a < 40 && sid.empty(); ++a) {
    const std::string s = "cut" + std::to_string(a);
    create_session(c.node(0).port(), s, "area-cut-" + std::to_string(a));
    if (owner_of(c, s) == 2) sid = s;
  }
  ASSERT_FALSE(sid.empty()) << "no partition on n2";
  // Answers for the partition, with their times, as each node gives them.
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<std::pair<Steady::time_point, std::string>> successes;  // (answered at, node)
  auto client = [&](int port, const std::string& tag) {
    for (int i = 0; !stop; ++i) {
      qc::test::HttpClient http(port, 1000);
      const std::string id = sid + "-" + tag + std::to_string(i);
      auto r = http.request("POST", "/v1/commands", walk_in(sid, id), kAdmin);
      const auto at = Steady::now();
      if (r.status == 201) {
        std::lock_guard lock(mu);
        successes.emplace_back(at, r.headers["Queuecast-Node"]);
      }
      std::this_thread::sleep_for(20ms);
    }
  };
  std::thread direct(client, c.node(2).port(), "d");
  std::thread through(client, c.node(0).port(), "f");
  std::this_thread::sleep_for(500ms);
  relay.cut();
  std::this_thread::sleep_for(std::chrono::milliseconds(c.lease_ms() * 3));
  stop = true;
  direct.join();
  through.join();
  std::lock_guard lock(mu);
  Steady::time_point last_n2{}, first_other{};
  for (auto& [at, node] : successes) {
    if (node == "n2") last_n2 = std::max(last_n2, at);
    else if (first_other == Steady::time_point{} || at < first_other) first_other = at;
  }
  ASSERT_NE(first_other, Steady::time_point{}) << "no other node took the partition over";
  EXPECT_LT(last_n2, first_other) << "two nodes answered for one partition at the same time";
}

TEST(Cluster, RollingRestartUnderLoadGivesOnlyRetriableErrorsAndLosesNothing) {
  Cluster c;
  ASSERT_TRUE(ready(c));
  std::vector<std::string> sids;
  for (int a = 0; a < 4; ++a) {
    sids.push_back("rs" + std::to_string(a));
    create_session(c.node(0).port(), sids.back(), "area-roll-" + std::to_string(a));
  }
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::set<int> statuses;
  int acknowledged = 0;
  std::atomic<int> ports[3] = {c.node(0).port(), c.node(1).port(), c.node(2).port()};
  std::thread load([&] {
    for (int i = 0; !stop; ++i) {
      const std::string sid = sids[static_cast<std::size_t>(i) % sids.size()];
      const std::string id = sid + "-t" + std::to_string(i);
      std::vector<int> now{ports[0].load(), ports[1].load(), ports[2].load()};
      Sent s = send_until_done(now, static_cast<std::size_t>(i), "k-" + id, walk_in(sid, id));
      std::lock_guard lock(mu);
      statuses.insert(s.statuses.begin(), s.statuses.end());
      if (!s.unexpected.empty()) ADD_FAILURE() << s.unexpected;
      if (s.answer.status == 201) ++acknowledged;
      std::this_thread::sleep_for(20ms);  // a steady load, within the sessions' walk-in capacity
    }
  });
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(1s);
    EXPECT_EQ(c.node(i).terminate(), 0);
    c.start_node(i);
    ports[i] = c.node(i).port();
  }
  std::this_thread::sleep_for(1s);
  stop = true;
  load.join();
  std::lock_guard lock(mu);
  for (int s : statuses) EXPECT_TRUE(s == 503 || s == 0) << "status " << s;
  int total = 0;
  for (const auto& sid : sids) total += tickets_in(c.node(0).port(), sid, sid + "-t");
  EXPECT_EQ(total, acknowledged);
  EXPECT_TRUE(c.settled(c.ids(), 30s)) << "partition counts not balanced within 30 s";
}

}  // namespace
