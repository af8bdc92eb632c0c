// HTTP edge cases against the real queuecastd, over raw sockets: request
// smuggling, non-canonical paths, page headers and files, credentials.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/daemon.h"

namespace {

namespace fs = std::filesystem;

// Sends `bytes` on one connection (then, with `half_close`, shuts down its
// sending side) and returns everything the server sends until it closes (or
// 3 s of silence).
std::string raw_exchange(unsigned short port, const std::string& bytes, bool half_close = false) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return "";
  }
  for (std::size_t off = 0; off < bytes.size();) {
    ssize_t n = send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  if (half_close) shutdown(fd, SHUT_WR);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  return out;
}

// The status codes of the responses in `wire`, in order.
std::vector<int> statuses(const std::string& wire) {
  std::vector<int> s;
  static const std::regex status_line("HTTP/1\\.[01] ([0-9]{3}) ");
  for (auto it = std::sregex_iterator(wire.begin(), wire.end(), status_line); it != std::sregex_iterator();
       ++it)
    s.push_back(std::stoi((*it)[1]));
  return s;
}

std::string get(unsigned short port, const std::string& target, const std::string& extra = "") {
  return raw_exchange(port, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra +
                            "Connection: close\r\n\r\n");
}

int status_of(const std::string& wire) {
  auto s = statuses(wire);
  return s.empty() ? 0 : s.front();
}

// The header `name` of the first response ("" if absent).
std::string header(const std::string& wire, const std::string& name) {
  auto end = wire.find("\r\n\r\n");
  std::string head = wire.substr(0, end);
  std::string key = "\r\n" + name + ": ";
  auto p = head.find(key);
  if (p == std::string::npos) return "";
  p += key.size();
  return head.substr(p, head.find("\r\n", p) - p);
}

TEST(HttpEdges, AmbiguousFramingGets400AndTheRestIsNeverAnswered) {
  qc::test::Daemon d;
  const std::string smuggled = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  for (const std::string te :
       {"Transfer-Encoding: xchunked\r\n", "Transfer-Encoding: chunked, identity\r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
        "Content-Length: 5\r\nTransfer-Encoding: identity\r\n", "Transfer-Encoding:\r\n chunked\r\n",
        "Content-Length: 0\r\nContent-Length: 0\r\n"}) {
    std::string wire = raw_exchange(d.port(), "POST /v1/commands HTTP/1.1\r\nHost: 127.0.0.1\r\n" + te +
                                              "\r\n0\r\n\r\n" + smuggled);
    EXPECT_EQ(statuses(wire), std::vector<int>{400}) << te << "\n" << wire;
    EXPECT_NE(wire.find("\"bad_request\""), std::string::npos) << wire;
    EXPECT_NE(wire.find("Connection: close"), std::string::npos) << wire;
  }
  // Good framing still works, pipelined.
  std::string wire = raw_exchange(d.port(),
                              "POST /v1/commands HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                              "Content-Type: application/json\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
                              "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  auto s = statuses(wire);
  ASSERT_EQ(s.size(), 2u) << wire;
  // The command itself may be refused, not its framing.
  EXPECT_EQ(wire.find("bad_request"), std::string::npos) << wire;
  EXPECT_EQ(s[1], 200);
}

// The Content-Type of each response in `wire`, in order.
std::vector<std::string> content_types(const std::string& wire) {
  std::vector<std::string> t;
  static const std::regex field("\r\nContent-Type: ([^\r]*)\r\n");
  for (auto it = std::sregex_iterator(wire.begin(), wire.end(), field); it != std::sregex_iterator(); ++it)
    t.push_back((*it)[1]);
  return t;
}

const std::string kDefineChannel =
    "POST /v1/commands HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer demo-admin-key\r\n"
    "Content-Type: application/json\r\nContent-Length: 47\r\n\r\n"
    R"({"defineChannel":{"channel":{"channelId":"w"}}})";
const std::string kHealthz = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

TEST(HttpEdges, PipelinedRequestsAreAnsweredInTheirOrder) {
  qc::test::Daemon d;
  ASSERT_EQ(kDefineChannel.size() - kDefineChannel.find("\r\n\r\n") - 4, 47u);
  // A command (answered by a shard, after its commit) before a health check
  // (answered at once by the network thread): the answers keep the order.
  std::string wire = raw_exchange(
      d.port(), kDefineChannel + kHealthz + kDefineChannel + kHealthz +
                    "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  // (the same channel twice: the second is a conflict)
  EXPECT_EQ(statuses(wire), (std::vector<int>{200, 200, 409, 200, 200})) << wire;
  EXPECT_EQ(content_types(wire), (std::vector<std::string>{"application/json", "text/plain",
                                                           "application/json", "text/plain",
                                                           "text/plain"}))
      << wire;
}

class PipelinedOnThreads : public ::testing::TestWithParam<int> {};

// With one network thread and with several (each connection on its strand).
TEST_P(PipelinedOnThreads, ManyPipelinedRequestsBeyondTheInFlightCapAreAllAnsweredInOrder) {
  qc::test::Daemon d({"--io-threads", std::to_string(GetParam())});
  // 300 requests in one write, more than a connection keeps in flight (64):
  // reading pauses and resumes; every one is answered, in order.
  std::string bytes;
  for (int i = 0; i < 150; ++i) bytes += kDefineChannel + kHealthz;
  bytes += "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  std::string wire = raw_exchange(d.port(), bytes);
  const std::vector<int> s = statuses(wire);
  ASSERT_EQ(s.size(), 301u) << wire.substr(0, 2000);
  const std::vector<std::string> types = content_types(wire);
  ASSERT_EQ(types.size(), 301u);
  for (std::size_t i = 0; i < 300; ++i)
    ASSERT_EQ(types[i], i % 2 == 0 ? "application/json" : "text/plain") << i;
  EXPECT_EQ(s[0], 200);
  EXPECT_EQ(s[2], 409);  // the same channel again
  EXPECT_EQ(s[300], 200);
}

INSTANTIATE_TEST_SUITE_P(NetworkThreads, PipelinedOnThreads, ::testing::Values(1, 2));

TEST(HttpEdges, PipelinedRequestsAlreadyReadAreAnsweredWithoutMoreBytes) {
  qc::test::Daemon d;
  // 100 small requests arrive in one read: the first 64 go in flight, the
  // rest wait in the connection's buffer and are taken as answers go out,
  // although the client sends nothing more.
  std::string bytes;
  for (int i = 0; i < 100; ++i) bytes += "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n";
  bytes += "GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
  ASSERT_LT(bytes.size(), 4096u);
  std::string wire = raw_exchange(d.port(), bytes);
  EXPECT_EQ(statuses(wire).size(), 101u);
}

// The resident memory of a process, in KiB (/proc).
long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

TEST(HttpEdges, AClientThatDoesNotReadItsAnswersGetsNothingMoreReadThenIsClosed) {
  qc::test::Daemon d({"--limit", "slow_timeout_ms=500"});
  const long before = rss_kib(d.pid());
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int small = 4096;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(d.port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  timeval tv{0, 200'000};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  // Thousands of requests for the metrics page (kilobytes each), never read.
  std::string many;
  for (int i = 0; i < 200; ++i) many += "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
  std::size_t sent = 0;
  for (int round = 0; round < 1000; ++round) {  // up to 7.4 MB of requests
    ssize_t n = send(fd, many.data(), many.size(), MSG_NOSIGNAL);
    if (n <= 0) break;  // the server stopped reading: its buffers are full
    sent += std::size_t(n);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // What it read it answered into the socket, and then it read nothing more:
  // no pile of answers in memory.
  EXPECT_LT(rss_kib(d.pid()) - before, 16 * 1024) << "sent " << sent << " bytes";
  // The write that waits longer than slow_timeout_ms closes the connection.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  char buf[65536];
  ssize_t r;
  timeval rtv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rtv, sizeof rtv);
  while ((r = recv(fd, buf, sizeof buf, 0)) > 0) {
  }
  EXPECT_TRUE(r == 0 || errno == ECONNRESET) << "errno " << errno;
  close(fd);
  EXPECT_EQ(status_of(get(d.port(), "/healthz")), 200);  // the server is fine
}

TEST(HttpEdges, ARefusedRequestIsAnsweredAfterThoseBeforeItThenTheConnectionCloses) {
  qc::test::Daemon d;
  std::string wire = raw_exchange(d.port(), kDefineChannel + kHealthz +
                                                "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" +
                                                kHealthz);
  EXPECT_EQ(statuses(wire), (std::vector<int>{200, 200, 400})) << wire;
  EXPECT_NE(wire.find("Connection: close"), std::string::npos) << wire;
}

TEST(HttpEdges, AClientThatExpects100ContinueIsToldToSendItsBody) {
  qc::test::Daemon d;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(d.port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  timeval tv{0, 500'000};  // curl waits a second before it sends the body anyway
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const std::string head = kDefineChannel.substr(0, kDefineChannel.find("\r\n\r\n") + 2) +
                           "Expect: 100-continue\r\n\r\n";
  const std::string body = kDefineChannel.substr(kDefineChannel.find("\r\n\r\n") + 4);
  ASSERT_EQ(send(fd, head.data(), head.size(), MSG_NOSIGNAL), ssize_t(head.size()));
  char buf[4096];
  ssize_t n = recv(fd, buf, sizeof buf, 0);
  ASSERT_GT(n, 0) << "no interim answer within 0.5 s";
  EXPECT_EQ(std::string(buf, std::size_t(n)), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_EQ(send(fd, body.data(), body.size(), MSG_NOSIGNAL), ssize_t(body.size()));
  std::string answer;
  while (answer.find("\r\n\r\n") == std::string::npos && (n = recv(fd, buf, sizeof buf, 0)) > 0)
    answer.append(buf, std::size_t(n));
  EXPECT_EQ(status_of(answer), 200) << answer;
  close(fd);
  // With the body in the same write: no interim answer, just the answer.
  std::string wire = raw_exchange(d.port(), head + body + kHealthz.substr(0, kHealthz.size() - 2) +
                                                "Connection: close\r\n\r\n");
  EXPECT_EQ(statuses(wire), (std::vector<int>{409, 200})) << wire;  // the channel exists now
}

TEST(HttpEdges, AClientThatStopsSendingStillGetsTheAnswersItIsOwed) {
  qc::test::Daemon d;
  std::string wire = raw_exchange(d.port(), kDefineChannel + kHealthz, /*half_close=*/true);
  EXPECT_EQ(statuses(wire), (std::vector<int>{200, 200})) << wire;
}

TEST(HttpEdges, AnIdleKeepAliveConnectionClosesAfterTheIdleTimeout) {
  qc::test::Daemon d({"--limit", "http_idle_timeout_ms=400"});
  const auto t0 = std::chrono::steady_clock::now();
  std::string wire = raw_exchange(d.port(), kHealthz);  // keep-alive: the server closes it
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(statuses(wire), (std::vector<int>{200})) << wire;
  EXPECT_GE(waited, std::chrono::milliseconds(350));
  EXPECT_LT(waited, std::chrono::milliseconds(2500));  // not the client's 3 s of silence
}

TEST(HttpEdges, NonCanonicalPathsAre404) {
  qc::test::Daemon d;
  EXPECT_EQ(status_of(get(d.port(), "/metrics")), 200);
  for (const char* t : {"/metrics/", "/metrics//", "//metrics", "/./metrics", "/metrics/.",
                        "/metrics%2f", "/%2e/metrics", "/healthz/", "/v1/me/"})
    EXPECT_EQ(status_of(get(d.port(), t)), 404) << t;
}

TEST(HttpEdges, AnAuthorizationHeaderOfAnotherSchemeNeverFallsBackToTheQuery) {
  qc::test::Daemon d;
  const std::string path = "/v1/areas/neuro-2f/display?token=demo-display-neuro";
  EXPECT_EQ(status_of(get(d.port(), path)), 200);
  EXPECT_EQ(status_of(get(d.port(), path, "Authorization: Basic ZGVtbzpkZW1v\r\n")), 401);
  EXPECT_EQ(status_of(get(d.port(), path, "Authorization: Bearer\r\n")), 401);
  EXPECT_EQ(status_of(get(d.port(), path, "Authorization: Bearer wrong\r\n")), 401);
  EXPECT_EQ(status_of(get(d.port(), "/v1/areas/neuro-2f/display",
                          "Authorization: BEARER demo-display-neuro\r\n")),
            200);
}

TEST(HttpEdges, PagesAreRegularFilesInsideTheWebRootWithSecurityHeaders) {
  const fs::path root = fs::temp_directory_path() / ("qc-web-" + std::to_string(getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "dir" / "sub");
  std::ofstream(root / "index.html") << "<!doctype html><p>hi</p>";
  std::ofstream(root / "dir" / "a.css") << "p{}";
  std::ofstream(root.string() + "-secret.txt") << "secret";
  fs::create_symlink(root.string() + "-secret.txt", root / "out.txt");
  fs::create_symlink(root / "dir", root / "link");
  qc::test::Daemon d({"--web-root", root.string()});

  std::string w = get(d.port(), "/");
  EXPECT_EQ(status_of(w), 200) << w;
  EXPECT_EQ(header(w, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(header(w, "X-Content-Type-Options"), "nosniff");
  const std::string csp = header(w, "Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
  EXPECT_EQ(status_of(get(d.port(), "/static/dir/a.css")), 200);
  EXPECT_EQ(status_of(get(d.port(), "/static/link/a.css")), 200);  // a link inside the root
  // Directories, links out of the root and missing files: 404.
  for (const char* t : {"/dir", "/static/dir", "/static/dir/sub", "/link", "/out.txt", "/static/out.txt",
                        "/nothing.html"})
    EXPECT_EQ(status_of(get(d.port(), t)), 404) << t;
  fs::remove_all(root);
  fs::remove(root.string() + "-secret.txt");
}

// ------------------------------------------------ through the nginx config --

// A free port on 127.0.0.1 (closed again: nginx binds it).
unsigned short free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// Replaces the one occurrence of `from` in *text (a failed expectation if
// the shipped file changed shape).
void replace_once(std::string* text, const std::string& from, const std::string& to) {
  auto p = text->find(from);
  ASSERT_NE(p, std::string::npos) << "deploy/nginx-queuecast.conf no longer has: " << from;
  text->replace(p, from.size(), to);
}

// nginx with deploy/nginx-queuecast.conf, on 127.0.0.1 without TLS, in
// front of `backend`; foreground, killed by the destructor.
class Nginx {
 public:
  Nginx(const std::string& binary, unsigned short backend) {
    dir_ = fs::temp_directory_path() / ("qc-nginx-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ifstream in(std::string(QC_SOURCE_DIR) + "/deploy/nginx-queuecast.conf");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string conf = ss.str();
    port_ = free_port();
    replace_once(&conf, "listen 443 ssl http2;", "listen 127.0.0.1:" + std::to_string(port_) + ";");
    replace_once(&conf, "ssl_certificate     /etc/ssl/queuecast/fullchain.pem;", "");
    replace_once(&conf, "ssl_certificate_key /etc/ssl/queuecast/privkey.pem;", "");
    replace_once(&conf, "server 127.0.0.1:8080;", "server 127.0.0.1:" + std::to_string(backend) + ";");
    const std::string d = dir_.string();
    std::ofstream(dir_ / "nginx.conf")
        << "daemon off;\nmaster_process off;\npid " << d << "/nginx.pid;\nerror_log " << d
        << "/error.log;\nevents {}\nhttp {\naccess_log off;\nclient_body_temp_path " << d
        << "/body;\nproxy_temp_path " << d << "/proxy;\nfastcgi_temp_path " << d
        << "/fastcgi;\nuwsgi_temp_path " << d << "/uwsgi;\nscgi_temp_path " << d << "/scgi;\n"
        << conf << "\n}\n";
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      execl(binary.c_str(), binary.c_str(), "-p", d.c_str(), "-c", (d + "/nginx.conf").c_str(), "-e",
            (d + "/error.log").c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 500 && !ready(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ~Nginx() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    fs::remove_all(dir_);
  }
  bool ready() const { return status_of(get(port_, "/healthz")) == 200; }
  unsigned short port() const { return port_; }
  std::string log() const {
    std::ifstream in(dir_ / "error.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
  unsigned short port_ = 0;
};

std::string find_nginx() {
  if (const char* e = std::getenv("QC_NGINX")) return e;
  for (const char* p : {"/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"})
    if (access(p, X_OK) == 0) return p;
  return "";
}

// The shipped proxy configuration blocks /metrics from outside (the test's
// 127.0.0.1 is "outside": not 10.0.0.0/8) in every spelling, and nothing
// smuggled through it reaches queuecastd as a request.
TEST(HttpEdges, ThroughTheShippedNginxConfig) {
  const std::string binary = find_nginx();
  if (binary.empty()) GTEST_SKIP() << "nginx is not installed (scripts/setup installs nginx-light)";
  qc::test::Daemon d;
  Nginx nginx(binary, d.port());
  ASSERT_TRUE(nginx.ready()) << nginx.log();
  auto is_metrics = [](const std::string& wire) { return wire.find("# TYPE") != std::string::npos; };
  ASSERT_TRUE(is_metrics(get(d.port(), "/metrics")));  // direct: served
  for (const char* t : {"/metrics", "/metrics/", "/metrics//", "//metrics", "/./metrics", "/metrics/.",
                        "/x/../metrics", "/%6detrics", "/%6Detrics/", "/metrics%2f", "/metrics%2F%2F",
                        "/%2e/metrics", "/metrics?x=1", "/metrics;x", "/v1/../metrics", "///metrics//"}) {
    std::string w = get(nginx.port(), t);
    EXPECT_FALSE(is_metrics(w)) << t << "\n" << w;
    EXPECT_NE(status_of(w), 200) << t;
  }
  // Smuggling a /metrics request behind a body nginx and queuecastd could
  // frame differently: never answered with metrics.
  const std::string smuggled = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  for (const std::string te : {"Transfer-Encoding: xchunked\r\n", "Transfer-Encoding: chunked, identity\r\n",
                               "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                               "Transfer-Encoding:\r\n chunked\r\n"}) {
    std::string w = raw_exchange(nginx.port(), "POST /v1/commands HTTP/1.1\r\nHost: 127.0.0.1\r\n" + te +
                                                   "Connection: close\r\n\r\n0\r\n\r\n" + smuggled);
    EXPECT_FALSE(is_metrics(w)) << te << "\n" << w;
  }
  // The proxy does pass the API and the pages' canonical paths.
  EXPECT_EQ(status_of(get(nginx.port(), "/v1/areas/neuro-2f/display?token=demo-display-neuro")), 200);
  EXPECT_EQ(status_of(get(nginx.port(), "/v1/me/")), 404);
}

}  // namespace
