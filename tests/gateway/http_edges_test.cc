// HTTP edge cases against the real queuecastd, over raw sockets: request
// smuggling, non-canonical paths, page headers and files, credentials.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/gateway/daemon.h"

namespace {

namespace fs = std::filesystem;

// Sends `bytes` on one connection and returns everything the server sends
// until it closes (or 3 s of silence).
std::string raw_exchange(unsigned short port, const std::string& bytes) {
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

}  // namespace
