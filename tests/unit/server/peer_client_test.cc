// The node-to-node HTTP client (server/net/peer_client.h) against peers on
// loopback: queuecastd's own HTTP server in process (gw::Server with a stub
// Handler), and a raw peer on plain sockets that records the bytes it got
// and answers, stays silent, or closes after answering.
#include "server/net/peer_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "server/api/handler.h"
#include "server/infra/client_address.h"
#include "server/infra/limits.h"
#include "server/infra/metrics.h"
#include "server/net/http_parse.h"
#include "server/net/http_server.h"

namespace qc::gw {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;
using Clock = std::chrono::steady_clock;

std::int64_t ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// Waits up to 5 s for `cond`.
template <class Cond>
bool eventually(Cond cond) {
  const auto until = Clock::now() + std::chrono::seconds(5);
  while (!cond()) {
    if (Clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

PeerClient::Result forward_sync(PeerClient& c, const std::string& address, HttpRequest req,
                                Headers headers = {}) {
  std::promise<PeerClient::Result> p;
  auto f = p.get_future();
  c.forward(address, std::move(req), std::move(headers),
            [&p](PeerClient::Result r) { p.set_value(std::move(r)); });
  return f.get();
}

HttpRequest get(std::string target) {
  HttpRequest r;
  r.method = "GET";
  r.target = std::move(target);
  return r;
}

// queuecastd's HTTP server with a handler that answers at once (`answer`)
// and keeps what it was asked.
class StubHandler : public Handler {
 public:
  std::function<HttpResponse(const HttpRequest&)> answer;

  void handle(HttpRequest request, Respond respond) override {
    HttpResponse r = answer ? answer(request) : HttpResponse{};
    {
      std::lock_guard lock(mu_);
      seen_.push_back(std::move(request));
    }
    respond(std::move(r));
  }
  void set_draining() override {}
  HttpResponse refusal(int status, std::string_view code, std::string_view) const override {
    HttpResponse r;
    r.status = status;
    r.body = std::string(code);
    return r;
  }
  std::optional<HttpResponse> refuse_upgrade(std::string_view, std::string_view,
                                             std::string_view) const override {
    return refusal(404, "not_found", "");
  }
  void client_message(std::string_view, const std::shared_ptr<WsClient>&) override {}
  void unsubscribe(const Topic&, const std::weak_ptr<Subscriber>&) override {}

  std::vector<HttpRequest> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  std::mutex mu_;
  std::vector<HttpRequest> seen_;
};

class LocalServer {
 public:
  explicit LocalServer(std::function<HttpResponse(const HttpRequest&)> answer = nullptr) {
    handler_.answer = std::move(answer);
    std::string error;
    // Loopback is a trusted proxy: X-Forwarded-For names the client.
    EXPECT_TRUE(trusted_.parse({"127.0.0.1"}, &error)) << error;
    EXPECT_TRUE(server_.listen("127.0.0.1:0", &error)) << error;
    thread_ = std::thread([this] { server_.run(1, nullptr); });
  }
  ~LocalServer() {
    server_.shutdown();
    thread_.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(server_.port()); }
  unsigned short port() const { return server_.port(); }
  StubHandler& handler() { return handler_; }

 private:
  StubHandler handler_;
  Limits limits_;
  TrustedProxies trusted_;
  Metrics metrics_;
  Server server_{handler_, limits_, trusted_, metrics_};
  std::thread thread_;
};

// A peer on plain sockets: one thread per connection; what it was sent is
// kept and read as requests (read_requests, as queuecastd reads them).
class RawPeer {
 public:
  enum class Mode { kAnswer, kSilent, kCloseAfterAnswer };
  static constexpr const char* kOk =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";

  explicit RawPeer(Mode mode, std::string answer = kOk) : mode_(mode), answer_(std::move(answer)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(listen_fd_, 512), 0);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~RawPeer() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    ::close(listen_fd_);
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mu_);
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
    for (int fd : fds_) ::close(fd);
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int accepted() const { return accepted_.load(); }
  int requests() const { return requests_.load(); }
  int closed() const { return closed_.load(); }
  // Every request read, in the order they came.
  std::vector<HttpRequest> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }
  std::string bytes() {
    std::lock_guard lock(mu_);
    return bytes_;
  }

 private:
  void accept_loop() {
    for (;;) {
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      accepted_.fetch_add(1);
      std::lock_guard lock(mu_);
      fds_.push_back(fd);
      threads_.emplace_back([this, fd] { serve(fd); });
    }
  }
  void serve(int fd) {
    std::string in;
    char buf[16384];
    for (;;) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      in.append(buf, static_cast<std::size_t>(n));
      {
        std::lock_guard lock(mu_);
        bytes_.append(buf, static_cast<std::size_t>(n));
      }
      WireRead r = read_requests(in, Limits{});
      in.erase(0, r.consumed);
      for (auto& w : r.requests) {
        {
          std::lock_guard lock(mu_);
          seen_.push_back(w.request);
        }
        requests_.fetch_add(1);
        if (mode_ == Mode::kSilent) continue;
        ::send(fd, answer_.data(), answer_.size(), MSG_NOSIGNAL);
        if (mode_ == Mode::kCloseAfterAnswer) {
          ::shutdown(fd, SHUT_RDWR);
          closed_.fetch_add(1);
          return;
        }
      }
    }
  }

  Mode mode_;
  std::string answer_;
  int listen_fd_ = -1;
  unsigned short port_ = 0;
  std::thread acceptor_;
  std::atomic<int> accepted_{0}, requests_{0}, closed_{0};
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
  std::vector<HttpRequest> seen_;
  std::string bytes_;
};

// A loopback port nothing listens on.
unsigned short closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

HttpRequest keyed_command() {
  HttpRequest req;
  req.method = "POST";
  req.target = "/v1/commands?x=1";
  req.body = R"({"a":1,"b":2})";
  req.content_type = "application/json";
  req.accept = "application/json";
  req.authorization = "Bearer tok";
  req.idempotency_key = "k-1";
  req.origin = "https://queue.example";
  req.host = "queue.example";
  req.client = "10.1.2.3";
  return req;
}

// What goes on the wire, field by field, and what comes back: the status,
// the content type, the answer's own headers in order (not the peer's
// framing, Connection, Keep-Alive, Date, Server) and the body (chunked here).
TEST(PeerClient, SendsTheRequestAndRelaysTheAnswer) {
  RawPeer peer(RawPeer::Mode::kAnswer,
               "HTTP/1.1 201 Created\r\nServer: peer\r\nDate: Sun, 06 Dec 2026 08:00:00 GMT\r\n"
               "Content-Type: application/json\r\nIdempotency-Replayed: true\r\nRetry-After: 1\r\n"
               "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\nQueuecast-Node: qc-b\r\n"
               "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  PeerClient client;
  PeerClient::Result r = forward_sync(client, peer.address(), keyed_command(),
                                      {{"Queuecast-Forwarded", "qc-a 7 3"}, {"X-Extra", "e"}});
  ASSERT_TRUE(r.ok) << r.why;
  EXPECT_EQ(r.response.status, 201);
  EXPECT_EQ(r.response.content_type, "application/json");
  EXPECT_EQ(r.response.body, "hello");
  EXPECT_EQ(r.response.headers,
            (Headers{{"Idempotency-Replayed", "true"}, {"Retry-After", "1"}, {"Queuecast-Node", "qc-b"}}));

  EXPECT_EQ(peer.bytes(),
            "POST /v1/commands?x=1 HTTP/1.1\r\n"
            "Host: queue.example\r\n"
            "Content-Type: application/json\r\n"
            "Accept: application/json\r\n"
            "Authorization: Bearer tok\r\n"
            "Idempotency-Key: k-1\r\n"
            "Origin: https://queue.example\r\n"
            "X-Forwarded-For: 10.1.2.3\r\n"
            "Queuecast-Forwarded: qc-a 7 3\r\n"
            "X-Extra: e\r\n"
            "Content-Length: 13\r\n"
            "\r\n"
            R"({"a":1,"b":2})");
  const auto seen = peer.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].forwarded, "qc-a 7 3");
  EXPECT_EQ(seen[0].idempotency_key, "k-1");
}

// Empty fields are not sent; Host is the address when the request has none.
TEST(PeerClient, EmptyFieldsAreLeftOut) {
  RawPeer peer(RawPeer::Mode::kAnswer);
  PeerClient client;
  PeerClient::Result r = forward_sync(client, peer.address(), get("/v1/sessions"));
  ASSERT_TRUE(r.ok) << r.why;
  EXPECT_EQ(r.response.content_type, "text/plain");
  EXPECT_TRUE(r.response.headers.empty());
  EXPECT_EQ(peer.bytes(), "GET /v1/sessions HTTP/1.1\r\nHost: " + peer.address() +
                              "\r\nContent-Length: 0\r\n\r\n");
}

// Through queuecastd's own server: the handler sees the request as the
// client sent it to the entry node (the client's address through
// X-Forwarded-For from a trusted peer, Queuecast-Forwarded), and the answer
// comes back as the handler gave it.
TEST(PeerClient, RoundTripThroughQueuecastdsServer) {
  LocalServer server([](const HttpRequest& req) {
    HttpResponse r;
    r.status = 202;
    r.content_type = "application/x-protobuf";
    r.body = "got " + req.body;
    r.headers = {{"Idempotency-Replayed", "true"}, {"Retry-After", "1"}};
    return r;
  });
  PeerClient client;
  PeerClient::Result r =
      forward_sync(client, server.address(), keyed_command(), {{"Queuecast-Forwarded", "qc-a 7 3"}});
  ASSERT_TRUE(r.ok) << r.why;
  EXPECT_EQ(r.response.status, 202);
  EXPECT_EQ(r.response.content_type, "application/x-protobuf");
  EXPECT_EQ(r.response.body, R"(got {"a":1,"b":2})");
  EXPECT_EQ(r.response.headers, (Headers{{"Idempotency-Replayed", "true"}, {"Retry-After", "1"}}));
  const auto seen = server.handler().seen();
  ASSERT_EQ(seen.size(), 1u);
  const HttpRequest& s = seen[0];
  EXPECT_EQ(s.method, "POST");
  EXPECT_EQ(s.target, "/v1/commands?x=1");
  EXPECT_EQ(s.body, R"({"a":1,"b":2})");
  EXPECT_EQ(s.content_type, "application/json");
  EXPECT_EQ(s.accept, "application/json");
  EXPECT_EQ(s.authorization, "Bearer tok");
  EXPECT_EQ(s.idempotency_key, "k-1");
  EXPECT_EQ(s.origin, "https://queue.example");
  EXPECT_EQ(s.host, "queue.example");
  EXPECT_EQ(s.client, "10.1.2.3");
  EXPECT_EQ(s.forwarded, "qc-a 7 3");

  // HEAD: an answer without a body (not waited for).
  HttpRequest head = get("/healthz");
  head.method = "HEAD";
  const auto t0 = Clock::now();
  r = forward_sync(client, server.address(), head);
  ASSERT_TRUE(r.ok) << r.why;
  EXPECT_EQ(r.response.status, 202);
  EXPECT_EQ(r.response.body, "");
  EXPECT_LT(ms_since(t0), 1000);

  // A name is resolved ("localhost" may name ::1 first: the next address
  // is tried).
  r = forward_sync(client, "localhost:" + std::to_string(server.port()), get("/v1/x"));
  ASSERT_TRUE(r.ok) << r.why;
  EXPECT_EQ(r.response.status, 202);
}

TEST(PeerClient, SequentialForwardsShareOneConnection) {
  RawPeer peer(RawPeer::Mode::kAnswer);
  PeerClient client;
  for (int i = 0; i < 50; ++i) {
    PeerClient::Result r = forward_sync(client, peer.address(), get("/v1/n/" + std::to_string(i)));
    ASSERT_TRUE(r.ok) << i << " " << r.why;
    EXPECT_EQ(r.response.body, "ok");
  }
  EXPECT_EQ(peer.accepted(), 1);
  const auto seen = peer.seen();
  ASSERT_EQ(seen.size(), 50u);
  EXPECT_EQ(seen[49].target, "/v1/n/49");
}

TEST(PeerClient, ConcurrentForwardsAreAllAnswered) {
  LocalServer server([](const HttpRequest& req) {
    HttpResponse r;
    r.body = req.target + " " + req.body;
    return r;
  });
  PeerClient client;
  constexpr int kN = 200;
  std::mutex mu;
  std::condition_variable cv;
  int answered = 0, right = 0;
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&, t] {
      for (int i = t; i < kN; i += 4) {
        HttpRequest req = get("/v1/c/" + std::to_string(i));
        req.method = "POST";
        req.body = std::to_string(i * 7);
        const std::string want = req.target + " " + req.body;
        client.forward(server.address(), std::move(req), {}, [&, want](PeerClient::Result r) {
          std::lock_guard lock(mu);
          ++answered;
          if (r.ok && r.response.status == 200 && r.response.body == want) ++right;
          cv.notify_all();
        });
      }
    });
  }
  for (auto& s : senders) s.join();
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return answered == kN; })) << answered;
  EXPECT_EQ(right, kN);
}

TEST(PeerClient, ConnectionRefusedFailsQuicklyWithNothingSent) {
  PeerClient client;  // timeout 2 s
  const auto t0 = Clock::now();
  PeerClient::Result r =
      forward_sync(client, "127.0.0.1:" + std::to_string(closed_port()), keyed_command());
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.maybe_sent);
  EXPECT_EQ(r.why, "connection refused");
  EXPECT_LT(ms_since(t0), 1000);
}

TEST(PeerClient, SilentPeerTimesOutAfterTheRequestWasSent) {
  RawPeer peer(RawPeer::Mode::kSilent);
  PeerClient client(PeerOptions{.timeout_ms = 200});
  const auto t0 = Clock::now();
  PeerClient::Result r = forward_sync(client, peer.address(), keyed_command());
  const auto took = ms_since(t0);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.maybe_sent);
  EXPECT_EQ(r.why, "timed out");
  EXPECT_GE(took, 190);
  EXPECT_LT(took, 1500);
  EXPECT_EQ(peer.requests(), 1);  // sent once, never again
}

// The peer closes the idle connection after its answer: the next forward
// sees it closed before writing and takes a fresh connection.
TEST(PeerClient, IdleConnectionClosedByThePeerIsNotReused) {
  RawPeer peer(RawPeer::Mode::kCloseAfterAnswer);
  PeerClient client;
  for (int i = 0; i < 3; ++i) {
    PeerClient::Result r = forward_sync(client, peer.address(), keyed_command());
    ASSERT_TRUE(r.ok) << i << " " << r.why;
    EXPECT_EQ(r.response.body, "ok");
    ASSERT_TRUE(eventually([&] { return peer.closed() == i + 1; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the FIN crosses loopback
  }
  EXPECT_EQ(peer.accepted(), 3);
  EXPECT_EQ(peer.requests(), 3);
}

// Five forwards waiting for their answers and one just queued: the
// destructor completes each once, with ok=false, and does not wait for the
// timeout.
TEST(PeerClient, DestructorCompletesPendingForwardsOnce) {
  RawPeer peer(RawPeer::Mode::kSilent);
  constexpr int kN = 5;
  std::atomic<int> calls{0}, stopped{0}, sent{0};
  std::optional<PeerClient> client(std::in_place, PeerOptions{.timeout_ms = 10'000});
  auto count = [&](PeerClient::Result r) {
    calls.fetch_add(1);
    if (!r.ok && r.why == "client stopped") stopped.fetch_add(1);
    if (r.maybe_sent) sent.fetch_add(1);
  };
  for (int i = 0; i < kN; ++i) client->forward(peer.address(), keyed_command(), {}, count);
  ASSERT_TRUE(eventually([&] { return peer.requests() == kN; }));
  HttpRequest last = keyed_command();
  last.body.assign(4 << 20, 'x');  // still being written, or not yet started
  client->forward(peer.address(), last, {}, count);
  const auto t0 = Clock::now();
  client.reset();
  EXPECT_LT(ms_since(t0), 2000);
  EXPECT_EQ(calls.load(), kN + 1);
  EXPECT_EQ(stopped.load(), kN + 1);
  EXPECT_GE(sent.load(), kN);  // the five had written their request
}

TEST(PeerClient, OversizedAnswerIsAnError) {
  RawPeer peer(RawPeer::Mode::kAnswer,
               "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 16777217\r\n\r\n");
  PeerClient client;
  PeerClient::Result r = forward_sync(client, peer.address(), get("/v1/big"));
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.maybe_sent);
  EXPECT_EQ(r.why, "response too large");
}

// A field that would break the head, a bad address: refused with nothing
// sent (no connection made).
TEST(PeerClient, UnsendableRequestsAreRefusedBeforeConnecting) {
  RawPeer peer(RawPeer::Mode::kAnswer);
  PeerClient client;
  HttpRequest bad = keyed_command();
  bad.authorization = "Bearer a\r\nX-Injected: 1";
  PeerClient::Result r = forward_sync(client, peer.address(), bad);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.maybe_sent);
  EXPECT_EQ(r.why, "invalid header for a peer request: Authorization");
  r = forward_sync(client, peer.address(), keyed_command(), {{"Bad Name", "v"}});
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.maybe_sent);
  HttpRequest target = get("/v1/a b");
  r = forward_sync(client, peer.address(), target);
  EXPECT_FALSE(r.ok);
  for (const char* address : {"nohost", "127.0.0.1:", "127.0.0.1:99999", ":80"}) {
    r = forward_sync(client, address, get("/"));
    EXPECT_FALSE(r.ok) << address;
    EXPECT_FALSE(r.maybe_sent) << address;
    EXPECT_EQ(r.why.rfind("bad peer address", 0), 0u) << address << ": " << r.why;
  }
  EXPECT_EQ(peer.accepted(), 0);
}

}  // namespace
}  // namespace qc::gw
