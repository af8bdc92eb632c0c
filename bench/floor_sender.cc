// floor_sender: the fan-out floor. A minimal WebSocket "server" on plain POSIX
// sockets and epoll, used by scripts/bench-fanout to measure what the kernel
// alone costs per delivery on this machine.
//
// Protocol (the same one the loadgen uses against nginx + Nchan):
//   GET  /sub/<channel>[,<channel>...] + WebSocket upgrade  -> 101, then the
//        socket is never read again; it only receives frames. A subscriber
//        of several channels (comma-separated, at most 16) gets each
//        channel's publishes.
//   POST /pub/<channel> (HTTP/1.1 keep-alive, Content-Length body)
//        -> the body becomes one pre-built unmasked text frame, written to
//           every subscriber of <channel> with exactly one send() each
//           (no parsing of the body, no per-subscriber framing or allocation);
//           then "204 No Content".
//   POST /pub/<channel>,<channel>... (the floor of one write per subscriber
//        per flush): the same frame published on every channel listed; a
//        subscriber gets one copy per listed channel it follows, all in one
//        send() (the copies are pre-built once per publish).
//   POST /v1/commands (HTTP/1.1 keep-alive, Content-Length body) -> "200 OK"
//        with a fixed 256-byte body, answers of one read written with one
//        send(): the floor of a request/response pair (journal_bench e2e
//        --floor), with nothing done per request but finding its end.
// The body carries the publisher's timestamp, so each delivery's latency is
// measured by the subscriber.
//
// A subscriber whose socket buffer is full (EAGAIN or a partial write) is
// closed and counted: the floor never queues.
//
// Usage: floor_sender [--port N] [--port-file F] [--max-seconds S]
//   --port 0 (default) binds an ephemeral port on 127.0.0.1; the port is
//   printed ("listening 127.0.0.1:PORT") and written to --port-file.
//   The process exits by itself after --max-seconds (default 600), or on
//   SIGTERM/SIGINT, printing its counters.
//
// Single-threaded; not a library.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

// ---- SHA-1 and base64, only for Sec-WebSocket-Accept ----------------------
struct Sha1 {
  std::uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  static std::uint32_t rol(std::uint32_t v, int n) { return (v << n) | (v >> (32 - n)); }
  void block(const unsigned char* p) {
    std::uint32_t w[80];
    for (int i = 0; i < 16; ++i)
      w[i] = (std::uint32_t(p[4 * i]) << 24) | (std::uint32_t(p[4 * i + 1]) << 16) |
             (std::uint32_t(p[4 * i + 2]) << 8) | std::uint32_t(p[4 * i + 3]);
    for (int i = 16; i < 80; ++i) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; ++i) {
      std::uint32_t f, k;
      if (i < 20) { f = (b & c) | (~b & d); k = 0x5A827999; }
      else if (i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1; }
      else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
      else { f = b ^ c ^ d; k = 0xCA62C1D6; }
      std::uint32_t t = rol(a, 5) + f + e + k + w[i];
      e = d; d = c; c = rol(b, 30); b = a; a = t;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
  }
  void digest(std::string_view msg, unsigned char out[20]) {
    std::string m(msg);
    std::uint64_t bits = std::uint64_t(msg.size()) * 8;
    m.push_back(char(0x80));
    while (m.size() % 64 != 56) m.push_back('\0');
    for (int i = 7; i >= 0; --i) m.push_back(char((bits >> (8 * i)) & 0xff));
    for (std::size_t i = 0; i < m.size(); i += 64)
      block(reinterpret_cast<const unsigned char*>(m.data()) + i);
    for (int i = 0; i < 5; ++i)
      for (int j = 0; j < 4; ++j) out[4 * i + j] = (h[i] >> (24 - 8 * j)) & 0xff;
  }
};

std::string base64(const unsigned char* p, std::size_t n) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string o;
  for (std::size_t i = 0; i < n; i += 3) {
    std::uint32_t v = std::uint32_t(p[i]) << 16;
    if (i + 1 < n) v |= std::uint32_t(p[i + 1]) << 8;
    if (i + 2 < n) v |= p[i + 2];
    o.push_back(t[(v >> 18) & 63]);
    o.push_back(t[(v >> 12) & 63]);
    o.push_back(i + 1 < n ? t[(v >> 6) & 63] : '=');
    o.push_back(i + 2 < n ? t[v & 63] : '=');
  }
  return o;
}

std::string ws_accept(std::string_view key) {
  std::string s(key);
  s += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char d[20];
  Sha1().digest(s, d);
  return base64(d, 20);
}

// ---- minimal HTTP head parsing (trusted peer: the loadgen) ----------------
std::string_view header(std::string_view head, std::string_view name) {
  std::size_t pos = 0;
  while ((pos = head.find("\r\n", pos)) != std::string_view::npos) {
    pos += 2;
    if (head.size() - pos < name.size() + 1) break;
    if (strncasecmp(head.data() + pos, name.data(), name.size()) == 0 &&
        head[pos + name.size()] == ':') {
      std::size_t v = pos + name.size() + 1;
      while (v < head.size() && head[v] == ' ') ++v;
      std::size_t e = head.find("\r\n", v);
      return head.substr(v, e == std::string_view::npos ? head.size() - v : e - v);
    }
  }
  return {};
}

enum class Kind : std::uint8_t { kHttp, kSubscriber };

struct Conn {
  Kind kind = Kind::kHttp;
  std::string in;  // unparsed request bytes (HTTP connections only)
  std::vector<std::string> channels;  // subscribers of several channels
  std::uint32_t round = 0;            // multi-channel publish: last publish counted
  std::uint8_t copies = 0;            // ... and how many copies it gets
};

std::vector<std::string> split_channels(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    std::size_t c = list.find(',');
    out.emplace_back(list.substr(0, c));
    if (c == std::string_view::npos) break;
    list.remove_prefix(c + 1);
  }
  return out;
}

struct Stats {
  std::uint64_t subscribers = 0, publishes = 0, deliveries = 0, dropped = 0;
};

class Floor {
 public:
  explicit Floor(int listen_fd) : lfd_(listen_fd) {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    add(lfd_);
  }

  void run(std::time_t deadline) {
    epoll_event evs[256];
    while (!g_stop && std::time(nullptr) < deadline) {
      int n = epoll_wait(ep_, evs, 256, 200);
      for (int i = 0; i < n; ++i) {
        int fd = evs[i].data.fd;
        if (fd == lfd_) accept_all();
        else readable(fd);
      }
    }
  }

  const Stats& stats() const { return st_; }

 private:
  void add(int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
  }

  void accept_all() {
    for (;;) {
      int fd = accept4(lfd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (conns_.size() <= std::size_t(fd)) conns_.resize(fd + 1);
      conns_[fd] = Conn{};
      add(fd);
    }
  }

  void close_fd(int fd) {
    epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    conns_[fd] = Conn{};
  }

  void readable(int fd) {
    Conn& c = conns_[fd];
    char buf[16384];
    for (;;) {
      ssize_t r = ::read(fd, buf, sizeof buf);
      if (r > 0) {
        c.in.append(buf, std::size_t(r));
        if (c.in.size() > (1u << 20)) { close_fd(fd); return; }
        continue;
      }
      if (r == 0 || (errno != EAGAIN && errno != EINTR)) { close_fd(fd); return; }
      if (errno == EAGAIN) break;
    }
    std::string out;
    while (c.kind == Kind::kHttp) {
      std::size_t end = c.in.find("\r\n\r\n");
      if (end == std::string::npos) break;
      std::string_view head(c.in.data(), end + 2);
      if (head.starts_with("GET /sub/")) {
        std::size_t sp = head.find(' ', 9);
        std::vector<std::string> chs = split_channels(head.substr(9, sp - 9));
        if (chs.empty() || chs.size() > 16) { close_fd(fd); return; }
        std::string key(header(head, "Sec-WebSocket-Key"));
        std::string resp =
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Accept: " + ws_accept(key) + "\r\n\r\n";
        // The response is tiny; the socket buffer is empty: one write suffices.
        if (::send(fd, resp.data(), resp.size(), MSG_NOSIGNAL) != ssize_t(resp.size())) {
          close_fd(fd);
          return;
        }
        // Never read this socket again.
        epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr);
        c.kind = Kind::kSubscriber;
        std::string().swap(c.in);
        for (const auto& ch : chs) channels_[ch].push_back(fd);
        if (chs.size() > 1) c.channels = std::move(chs);
        ++st_.subscribers;
        return;
      }
      if (head.starts_with("POST /pub/")) {
        std::size_t len = std::strtoul(std::string(header(head, "Content-Length")).c_str(), nullptr, 10);
        if (c.in.size() < end + 4 + len) break;  // body not complete yet
        std::size_t sp = head.find(' ', 10);
        std::string_view ch = head.substr(10, sp - 10);
        if (ch.find(',') == std::string_view::npos)
          publish(std::string(ch), std::string_view(c.in.data() + end + 4, len));
        else
          publish_many(split_channels(ch), std::string_view(c.in.data() + end + 4, len));
        c.in.erase(0, end + 4 + len);
        out += "HTTP/1.1 204 No Content\r\n\r\n";
        continue;
      }
      if (head.starts_with("POST /v1/commands ")) {
        std::size_t len = std::strtoul(std::string(header(head, "Content-Length")).c_str(), nullptr, 10);
        if (c.in.size() < end + 4 + len) break;  // body not complete yet
        c.in.erase(0, end + 4 + len);
        static const std::string answer =
            "HTTP/1.1 200 OK\r\nServer: floor\r\nContent-Type: application/x-protobuf\r\n"
            "Content-Length: 256\r\n\r\n" + std::string(256, 'x');
        out += answer;
        continue;
      }
      close_fd(fd);  // anything else: not part of the benchmark protocol
      return;
    }
    if (!out.empty()) ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
  }

  void publish(const std::string& ch, std::string_view body) {
    ++st_.publishes;
    build_frame(body);
    auto it = channels_.find(ch);
    if (it == channels_.end()) return;
    std::vector<int>& subs = it->second;
    for (std::size_t i = 0; i < subs.size();) {
      ssize_t w = ::send(subs[i], frame_.data(), frame_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w == ssize_t(frame_.size())) { ++st_.deliveries; ++i; continue; }
      // Full buffer, partial write or a closed peer: drop this subscriber.
      drop(subs[i]);  // removes it from `subs` too
    }
  }

  // One frame on several channels: each subscriber gets all its copies in
  // one send().
  void publish_many(const std::vector<std::string>& chs, std::string_view body) {
    ++st_.publishes;
    build_frame(body);
    copies_.clear();
    for (std::size_t i = 0; i < chs.size() && i < 16; ++i) copies_ += frame_;
    ++round_;
    targets_.clear();
    for (std::size_t i = 0; i < chs.size() && i < 16; ++i) {
      auto it = channels_.find(chs[i]);
      if (it == channels_.end()) continue;
      for (int fd : it->second) {
        Conn& c = conns_[fd];
        if (c.round != round_) { c.round = round_; c.copies = 0; targets_.push_back(fd); }
        ++c.copies;
      }
    }
    for (int fd : targets_) {
      std::size_t n = conns_[fd].copies * frame_.size();
      ssize_t w = ::send(fd, copies_.data(), n, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w == ssize_t(n)) { st_.deliveries += conns_[fd].copies; continue; }
      drop(fd);
    }
  }

  // Closes a subscriber and removes it from every channel it follows.
  void drop(int fd) {
    ++st_.dropped;
    std::vector<std::string> chs = std::move(conns_[fd].channels);
    for (const auto& ch : chs) erase_from(ch, fd);
    ::close(fd);
    conns_[fd] = Conn{};
    if (chs.empty()) {  // a subscriber of one channel: find it
      for (auto& [name, subs] : channels_)
        for (std::size_t i = 0; i < subs.size(); ++i)
          if (subs[i] == fd) { subs[i] = subs.back(); subs.pop_back(); return; }
    }
  }
  void erase_from(const std::string& ch, int fd) {
    auto it = channels_.find(ch);
    if (it == channels_.end()) return;
    auto& subs = it->second;
    for (std::size_t i = 0; i < subs.size(); ++i)
      if (subs[i] == fd) { subs[i] = subs.back(); subs.pop_back(); return; }
  }

  // Builds the frame once: FIN + text opcode, unmasked, 7/16/64-bit length.
  void build_frame(std::string_view body) {
    frame_.clear();
    frame_.push_back(char(0x81));
    if (body.size() < 126) {
      frame_.push_back(char(body.size()));
    } else if (body.size() < 65536) {
      frame_.push_back(char(126));
      frame_.push_back(char(body.size() >> 8));
      frame_.push_back(char(body.size() & 0xff));
    } else {
      frame_.push_back(char(127));
      for (int i = 7; i >= 0; --i) frame_.push_back(char((std::uint64_t(body.size()) >> (8 * i)) & 0xff));
    }
    frame_.append(body);
  }

  int lfd_;
  int ep_;
  std::vector<Conn> conns_;
  std::unordered_map<std::string, std::vector<int>> channels_;
  std::string frame_;
  std::string copies_;        // publish_many: frame_ repeated
  std::vector<int> targets_;  // publish_many: subscribers reached
  std::uint32_t round_ = 0;
  Stats st_;
};

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  long max_seconds = 600;
  const char* port_file = nullptr;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--port" && i + 1 < argc) port = std::atoi(argv[++i]);
    else if (a == "--max-seconds" && i + 1 < argc) max_seconds = std::atol(argv[++i]);
    else if (a == "--port-file" && i + 1 < argc) port_file = argv[++i];
    else {
      std::fprintf(stderr, "usage: floor_sender [--port N] [--port-file F] [--max-seconds S]\n");
      return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);

  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(std::uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(lfd, 4096) != 0) {
    std::perror("floor_sender: bind/listen");
    return 1;
  }
  socklen_t len = sizeof addr;
  getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::printf("listening 127.0.0.1:%d\n", ntohs(addr.sin_port));
  std::fflush(stdout);
  if (port_file) {
    FILE* f = std::fopen(port_file, "w");
    if (f) { std::fprintf(f, "%d\n", ntohs(addr.sin_port)); std::fclose(f); }
  }
  Floor floor(lfd);
  floor.run(std::time(nullptr) + max_seconds);
  const Stats& s = floor.stats();
  std::printf("floor_sender: subscribers=%llu publishes=%llu deliveries=%llu dropped=%llu\n",
              (unsigned long long)s.subscribers, (unsigned long long)s.publishes,
              (unsigned long long)s.deliveries, (unsigned long long)s.dropped);
  return 0;
}
