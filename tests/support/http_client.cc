#include "tests/support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <strings.h>

namespace qc::test {

HttpClient::~HttpClient() { close(); }

void HttpClient::set_port(int port) {
  close();
  port_ = port;
}

void HttpClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool HttpClient::connect(std::string* error) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{timeout_ms_ / 1000, (timeout_ms_ % 1000) * 1000};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port_));
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    *error = std::string("connect: ") + std::strerror(errno);
    close();
    return false;
  }
  return true;
}

HttpResponse HttpClient::request(const std::string& method, const std::string& path,
                                 const std::string& body, const std::string& headers) {
  HttpResponse out;
  if (fd_ < 0 && !connect(&out.error)) return out;
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) +
                    "\r\n" + headers;
  if (method != "GET") {
    if (headers.find("Content-Type:") == std::string::npos) req += "Content-Type: application/json\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n";
  req += body;
  for (std::size_t sent = 0; sent < req.size();) {
    const ssize_t n = ::send(fd_, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      out.error = std::string("send: ") + std::strerror(errno);
      close();
      return out;
    }
    sent += std::size_t(n);
  }
  std::string buf;
  std::size_t header_end = std::string::npos;
  char chunk[16384];
  auto fill = [&]() -> bool {
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      out.error = n == 0 ? "connection closed" : std::string("recv: ") + std::strerror(errno);
      close();
      return false;
    }
    buf.append(chunk, std::size_t(n));
    return true;
  };
  while ((header_end = buf.find("\r\n\r\n")) == std::string::npos)
    if (!fill()) return out;
  const std::string head = buf.substr(0, header_end);
  std::size_t length = 0;
  bool keep_alive = true;
  std::size_t pos = head.find("\r\n");
  int status = 0;
  if (head.size() > 12) status = std::atoi(head.c_str() + 9);
  while (pos != std::string::npos) {
    const std::size_t next = head.find("\r\n", pos + 2);
    const std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon), value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      if (strcasecmp(name.c_str(), "content-length") == 0) length = std::stoul(value);
      if (strcasecmp(name.c_str(), "connection") == 0 && strcasecmp(value.c_str(), "close") == 0)
        keep_alive = false;
      if (strcasecmp(name.c_str(), "idempotency-replayed") == 0) out.replayed = value == "true";
      out.headers[name] = value;
    }
    pos = next;
  }
  while (buf.size() < header_end + 4 + length)
    if (!fill()) return out;
  out.status = status;
  out.body = buf.substr(header_end + 4, length);
  if (!keep_alive) close();
  return out;
}

}  // namespace qc::test
