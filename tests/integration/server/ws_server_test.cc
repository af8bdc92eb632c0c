// queuecastd's own WebSocket server side (server/net/ws_session.cc) against a
// raw socket client that writes exact bytes: the handshake answer, control
// frames, fragmentation, protocol errors and their close codes, the close
// handshake, idle pings and the idle timeout. (integration_test.cc covers
// the same server with a full client library.)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "server/wire/ws_frame.h"
#include "tests/support/daemon.h"

namespace {

using namespace std::chrono_literals;
namespace ws = qc::gw::ws;

using qc::test::Daemon;

// A blocking client socket that reads with a timeout. Deliberately not
// tests/support/ws_client.h's WsClient: these tests write bytes no WebSocket
// client library sends (a bad handshake, unmasked or oversized frames,
// fragments, reserved opcodes) and read the server's frames and close codes
// one by one, which Beast's client stream does not let a test do.
class Raw {
 public:
  explicit Raw(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Raw() { close(fd_); }
  void send(const std::string& bytes) { ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL), (ssize_t)bytes.size()); }
  // Reads until `pred(buffer)` or EOF/timeout; returns what was read.
  bool fill(std::size_t n) {
    while (buf_.size() < n) {
      char b[4096];
      ssize_t r = recv(fd_, b, sizeof b, 0);
      if (r <= 0) {
        eof_ = r == 0;
        return false;
      }
      buf_.append(b, static_cast<std::size_t>(r));
    }
    return true;
  }
  // The next `n` bytes (after fill(n)).
  std::string take(std::size_t n) {
    std::string t = buf_.substr(0, n);
    buf_.erase(0, n);
    return t;
  }
  // The HTTP answer head.
  std::string head() {
    while (buf_.find("\r\n\r\n") == std::string::npos)
      if (!fill(buf_.size() + 1)) return buf_;
    auto end = buf_.find("\r\n\r\n") + 4;
    std::string h = buf_.substr(0, end);
    buf_.erase(0, end);
    return h;
  }
  struct Frame {
    unsigned opcode = 0;
    bool fin = false;
    std::string payload;
  };
  // The next server frame (unmasked), or nullopt on EOF/timeout.
  std::optional<Frame> frame() {
    if (!fill(2)) return std::nullopt;
    auto u = [&](std::size_t i) { return static_cast<unsigned char>(buf_[i]); };
    Frame f;
    f.fin = u(0) & 0x80;
    f.opcode = u(0) & 0x0F;
    EXPECT_EQ(u(1) & 0x80, 0u) << "server frames are not masked";
    std::size_t len = u(1) & 0x7F, h = 2;
    if (len == 126) {
      if (!fill(4)) return std::nullopt;
      len = u(2) << 8 | u(3);
      h = 4;
    } else if (len == 127) {
      if (!fill(10)) return std::nullopt;
      len = 0;
      for (int i = 2; i < 10; ++i) len = len << 8 | u(i);
      h = 10;
    }
    if (!fill(h + len)) return std::nullopt;
    f.payload = buf_.substr(h, len);
    buf_.erase(0, h + len);
    return f;
  }
  // True when the server closed the connection (EOF) within the timeout.
  bool eof() {
    char b[256];
    for (;;) {
      ssize_t r = recv(fd_, b, sizeof b, 0);
      if (r == 0) return true;
      if (r < 0) return false;
    }
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::string buf_;
  bool eof_ = false;
};

std::string upgrade(int port, const std::string& extra = "", const std::string& version = "13",
                    const std::string& key = "dGhlIHNhbXBsZSBub25jZQ==") {
  std::string r = "GET /v1/ws HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                  "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
  if (!key.empty()) r += "Sec-WebSocket-Key: " + key + "\r\n";
  r += "Sec-WebSocket-Version: " + version + "\r\n" + extra + "\r\n";
  return r;
}

std::string masked(unsigned opcode, std::string_view payload, bool fin = true, bool mask = true) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
  std::size_t n = payload.size();
  const unsigned char m = mask ? 0x80 : 0;
  if (n < 126) {
    f.push_back(static_cast<char>(m | n));
  } else {
    f.push_back(static_cast<char>(m | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n));
  }
  const unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
  if (mask) f.append(reinterpret_cast<const char*>(key), 4);
  for (std::size_t i = 0; i < n; ++i) f.push_back(mask ? static_cast<char>(payload[i] ^ key[i & 3]) : payload[i]);
  return f;
}

std::uint16_t close_code(const Raw::Frame& f) {
  if (f.payload.size() < 2) return 0;
  return static_cast<std::uint16_t>(static_cast<unsigned char>(f.payload[0]) << 8 |
                                    static_cast<unsigned char>(f.payload[1]));
}

// An open connection (JSON subprotocol).
void open(Raw& c, int port) {
  c.send(upgrade(port, "Sec-WebSocket-Protocol: queuecast.v1.json\r\n"));
  std::string h = c.head();
  ASSERT_EQ(h.rfind("HTTP/1.1 101", 0), 0u) << h;
}

TEST(WsServer, AnUpgradeAfterPipelinedRequestsComesAfterTheirAnswers) {
  Daemon d;
  Raw c(d.port());
  // Two requests and the upgrade in one write: both answered, in order, then
  // the 101, then the connection is a WebSocket.
  c.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
         "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" +
         upgrade(d.port(), "Sec-WebSocket-Protocol: queuecast.v1.json\r\n"));
  std::string a = c.head();
  EXPECT_EQ(a.rfind("HTTP/1.1 200", 0), 0u) << a;
  ASSERT_TRUE(c.fill(3));
  EXPECT_EQ(c.take(3), "ok\n");
  std::string b = c.head();
  EXPECT_EQ(b.rfind("HTTP/1.1 200", 0), 0u) << b;
  ASSERT_TRUE(c.fill(6));
  EXPECT_EQ(c.take(6), "ready\n");
  std::string h = c.head();
  ASSERT_EQ(h.rfind("HTTP/1.1 101", 0), 0u) << h;
  c.send(masked(1, R"({"ping":{}})"));
  auto f = c.frame();
  ASSERT_TRUE(f);
  EXPECT_NE(f->payload.find("pong"), std::string::npos) << f->payload;
}

TEST(WsServer, HandshakeAnswersAsRfc6455Says) {
  Daemon d;
  Raw c(d.port());
  c.send(upgrade(d.port(), "Sec-WebSocket-Protocol: x.other, queuecast.v1.proto\r\n"));
  std::string h = c.head();
  EXPECT_EQ(h.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0), 0u) << h;
  // The RFC's own example key and answer (section 1.3).
  EXPECT_NE(h.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), std::string::npos) << h;
  EXPECT_NE(h.find("Sec-WebSocket-Protocol: queuecast.v1.proto\r\n"), std::string::npos) << h;
  EXPECT_NE(h.find("Upgrade: websocket\r\n"), std::string::npos);

  Raw old(d.port());
  old.send(upgrade(d.port(), "", "8"));
  std::string h2 = old.head();
  EXPECT_EQ(h2.rfind("HTTP/1.1 426", 0), 0u) << h2;
  EXPECT_NE(h2.find("Sec-WebSocket-Version: 13"), std::string::npos) << h2;

  Raw nokey(d.port());
  nokey.send(upgrade(d.port(), "", "13", ""));
  EXPECT_EQ(nokey.head().rfind("HTTP/1.1 400", 0), 0u);
}

TEST(WsServer, PingsFragmentsAndBatchedMessages) {
  Daemon d;
  Raw c(d.port());
  open(c, d.port());
  // A protocol ping is answered with a pong carrying its payload.
  c.send(masked(0x9, "abc"));
  auto f = c.frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, 0xAu);
  EXPECT_EQ(f->payload, "abc");
  // A message in three fragments with a ping between them, then two whole
  // messages, all in one write.
  c.send(masked(0x1, R"({"pi)", false) + masked(0x9, "x") + masked(0x0, R"(ng":)", false) +
         masked(0x0, "{}}") + masked(0x1, R"({"ping":{}})") + masked(0x1, R"({"ping":{}})"));
  int pongs = 0, app_pongs = 0;
  for (int i = 0; i < 4; ++i) {
    f = c.frame();
    ASSERT_TRUE(f) << i;
    if (f->opcode == 0xA) ++pongs;
    if (f->opcode == 0x1) {
      EXPECT_NE(f->payload.find("\"pong\""), std::string::npos) << f->payload;
      ++app_pongs;
    }
  }
  EXPECT_EQ(pongs, 1);
  EXPECT_EQ(app_pongs, 3);
}

// Every frame costs from the connection's budget (ws_message_burst, then
// ws_messages_per_second), control frames and fragments too: a flood of
// pings, pongs or tiny fragments is closed with 4029 and read no further.
TEST(WsServer, EveryFrameCountsAgainstTheBudget) {
  Daemon d;  // burst 40
  auto flood = [&](const std::string& frame, int n) {
    Raw c(d.port());
    open(c, d.port());
    std::string bytes;
    for (int i = 0; i < n; ++i) bytes += frame;
    c.send(bytes);
    int pongs = 0;
    std::uint16_t code = 0;
    while (auto f = c.frame()) {
      if (f->opcode == 0xA) ++pongs;
      if (f->opcode == 0x8) {
        code = close_code(*f);
        break;
      }
    }
    EXPECT_LE(pongs, 40);
    EXPECT_TRUE(c.eof());  // the server hung up without waiting for our close
    return code;
  };
  EXPECT_EQ(flood(masked(0x9, "p"), 500), 4029);
  EXPECT_EQ(flood(masked(0xA, ""), 500), 4029);
  // One message in 200 fragments (small enough for ws_message_bytes).
  Raw c(d.port());
  open(c, d.port());
  std::string bytes = masked(0x1, "{", false);
  for (int i = 0; i < 200; ++i) bytes += masked(0x0, " ", false);
  bytes += masked(0x0, R"("ping":{}})");
  c.send(bytes);
  auto f = c.frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, 0x8u);
  EXPECT_EQ(close_code(*f), 4029);
  // Under the budget nothing changes: pings are answered.
  Raw calm(d.port());
  open(calm, d.port());
  for (int i = 0; i < 5; ++i) {
    calm.send(masked(0x9, "k"));
    auto pong = calm.frame();
    ASSERT_TRUE(pong);
    EXPECT_EQ(pong->opcode, 0xAu);
  }
}

TEST(WsServer, TheClientsCloseIsEchoedThenTheServerHangsUp) {
  Daemon d;
  Raw c(d.port());
  open(c, d.port());
  c.send(masked(0x8, ws::close_payload(1000, "bye")));
  auto f = c.frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, 0x8u);
  EXPECT_EQ(close_code(*f), 1000);
  shutdown(c.fd(), SHUT_WR);
  EXPECT_TRUE(c.eof());
}

TEST(WsServer, ProtocolErrorsCloseWithTheirCodes) {
  Daemon d;
  struct Case {
    std::string bytes;
    std::uint16_t code;
  };
  std::vector<Case> cases = {
      {masked(0x1, "hi", true, false), 1002},             // not masked
      {masked(0x3, "hi"), 1002},                          // reserved opcode
      {masked(0x1, "caf\xc3"), 1007},                     // text not UTF-8
      {masked(0x2, std::string(5000, 'b')), 1009},        // > 4 KiB
      {masked(0x0, "orphan"), 1002},                      // continuation without a message
  };
  for (const Case& k : cases) {
    Raw c(d.port());
    open(c, d.port());
    c.send(k.bytes);
    auto f = c.frame();
    ASSERT_TRUE(f) << k.code;
    EXPECT_EQ(f->opcode, 0x8u);
    EXPECT_EQ(close_code(*f), k.code);
    c.send(masked(0x8, ws::close_payload(close_code(*f), "")));
    EXPECT_TRUE(c.eof()) << k.code;
  }
}

TEST(WsServer, SilentConnectionsArePingedThenClosed) {
  Daemon d({"--limit", "idle_timeout_ms=800"});
  Raw c(d.port());
  open(c, d.port());
  auto t0 = std::chrono::steady_clock::now();
  auto f = c.frame();  // the server's ping, at about half the idle timeout
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, 0x9u);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 300ms);
  // Answering keeps the connection open past the idle timeout...
  c.send(masked(0xA, f->payload));
  std::this_thread::sleep_for(600ms);
  c.send(masked(0x1, R"({"ping":{}})"));
  do {
    f = c.frame();  // (the server may have pinged again meanwhile)
    ASSERT_TRUE(f);
  } while (f->opcode == 0x9);
  EXPECT_EQ(f->opcode, 0x1u);
  // ...silence does not.
  t0 = std::chrono::steady_clock::now();
  for (;;) {
    f = c.frame();
    if (!f) break;
    EXPECT_EQ(f->opcode, 0x9u);  // only pings until the server hangs up
  }
  auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, 500ms);
  EXPECT_LT(waited, 4000ms);
}

}  // namespace

namespace {

// Several network threads: connections are run by whichever thread is free
// (no strand); 200 connections from 4 client threads, each a handshake,
// pings, messages and a close handshake, must all come out whole.
TEST(WsServer, TwoNetworkThreadsServeManyConnections) {
  Daemon d({"--io-threads", "2", "--limit", "connections_per_address=1000"});
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        Raw c(d.port());
        c.send(upgrade(d.port(), "Sec-WebSocket-Protocol: queuecast.v1.json\r\n"));
        if (c.head().rfind("HTTP/1.1 101", 0) != 0) continue;
        c.send(masked(0x9, "p") + masked(0x1, R"({"ping":{}})") + masked(0x1, R"({"pi)", false) +
               masked(0x0, R"(ng":{}})"));
        int pongs = 0, app = 0;
        for (int k = 0; k < 3; ++k) {
          auto f = c.frame();
          if (!f) break;
          pongs += f->opcode == 0xA;
          app += f->opcode == 0x1;
        }
        c.send(masked(0x8, ws::close_payload(1000, "")));
        auto f = c.frame();
        if (pongs == 1 && app == 2 && f && f->opcode == 0x8 && close_code(*f) == 1000) ++ok;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 200);
}

}  // namespace
