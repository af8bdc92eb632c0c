// Beast unit 3: the node-to-node HTTP client. See peer_client.h.
//
// One forward is one Op, owned by the handlers of its pending operations
// (shared_ptr) and linked into the client's list of active ops (stop()
// reaches them there). Its steps, all on the client's thread:
//   start -> a pooled connection (dropped if the peer closed it) or connect
//   (resolve first when the host is a name) -> one gathered write (the head
//   built by hand + the body) -> Beast's response parser -> relay; the
//   connection goes back to the pool when the answer allows keep-alive.
// One timer per op bounds the whole forward; when it fires (or the client
// stops) the op completes at once and the socket is closed, which ends the
// pending operation; the op's connection, buffer and parser stay alive until
// that operation's handler ran (it holds the op).
#include "server/net/peer_client.h"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cerrno>
#include <chrono>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>

namespace qc::gw {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr std::uint64_t kMaxResponseBody = 16 * 1024 * 1024;
constexpr std::uint32_t kMaxResponseHead = 64 * 1024;

// One keep-alive connection to a peer, with the bytes read past an answer
// (none when it is pooled).
struct Conn {
  explicit Conn(asio::io_context& ioc) : socket(ioc) {}
  tcp::socket socket;
  beast::flat_buffer buffer;
};

// The peer closed the connection, reset it or sent bytes nobody asked for:
// not reusable. A look without blocking (MSG_PEEK): an idle connection has
// nothing to read.
bool peer_closed(tcp::socket& s) {
  char byte;
  const ssize_t n = ::recv(s.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n >= 0) return true;  // 0: EOF; > 0: stray bytes
  return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

// RFC 9110 5.6.2: tchar.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
    if (std::string_view("\"(),/:;<=>?@[\\]{}").find(c) != std::string_view::npos) return false;
  }
  return true;
}

// A field value or target that stays on its line.
bool one_line(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool is_target(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
  }
  return true;
}

// Fields not relayed: hop-by-hop (RFC 9110 7.6.1), framing (the relaying
// server frames the answer itself), and the peer's Date and Server.
bool relayed(http::field f) {
  switch (f) {
    case http::field::connection:
    case http::field::keep_alive:
    case http::field::proxy_connection:
    case http::field::te:
    case http::field::trailer:
    case http::field::upgrade:
    case http::field::content_length:
    case http::field::transfer_encoding:
    case http::field::date:
    case http::field::server:
      return false;
    default:
      return true;
  }
}

void add_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out += ": ";
  out.append(value);
  out += "\r\n";
}

}  // namespace

class PeerOp;

struct PeerClient::Impl {
  explicit Impl(PeerOptions o) : opts(o), work(asio::make_work_guard(ioc)) {}

  // On the client's thread.
  void stop();
  std::unique_ptr<Conn> take_idle(const std::string& address);
  void give_back(const std::string& address, std::unique_ptr<Conn> conn);

  PeerOptions opts;
  asio::io_context ioc;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::thread thread;
  // The rest only on the client's thread.
  std::unordered_map<std::string, std::vector<std::unique_ptr<Conn>>> idle;
  PeerOp* active = nullptr;  // the ops not yet completed (a list through PeerOp::next_)
  bool stopped = false;
};

class PeerOp : public std::enable_shared_from_this<PeerOp> {
 public:
  using Result = PeerClient::Result;

  PeerOp(PeerClient::Impl& c, const std::string& address, HttpRequest req, const Headers& headers,
         std::function<void(Result)> done)
      : c_(c), address_(address), body_(std::move(req.body)), done_(std::move(done)), timer_(c.ioc) {
    head_only_ = req.method == "HEAD";
    invalid_ = build_head(req, headers);
    if (invalid_.empty()) invalid_ = split_address();
  }

  // On the client's thread, once.
  void start() {
    if (c_.stopped) return fail(false, "client stopped");
    if (!invalid_.empty()) return fail(false, std::move(invalid_));
    link();
    timer_.expires_after(std::chrono::milliseconds(c_.opts.timeout_ms));
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec) self->fail(self->stage_ != kConnecting, "timed out");
    });
    conn_ = c_.take_idle(address_);
    if (conn_) {
      pooled_ = true;
      return write();
    }
    connect();
  }

  // The client stops (its thread).
  void abort() { fail(stage_ != kConnecting, "client stopped"); }

  PeerOp* next_ = nullptr;
  PeerOp* prev_ = nullptr;

 private:
  enum Stage : unsigned char { kConnecting, kWriting, kReading };

  // The request head, built by hand (one string); "" or why it cannot be sent.
  std::string build_head(const HttpRequest& req, const Headers& headers) {
    if (!is_token(req.method)) return "invalid method for a peer request";
    if (!is_target(req.target)) return "invalid target for a peer request";
    // The values, plus the names and separators (~200 bytes).
    std::size_t size = 256 + req.method.size() + req.target.size() + req.host.size() +
                       address_.size() + req.content_type.size() + req.accept.size() +
                       req.authorization.size() + req.idempotency_key.size() + req.origin.size() +
                       req.client.size();
    for (const auto& [k, v] : headers) size += k.size() + v.size() + 4;
    head_.reserve(size);
    head_ += req.method;
    head_ += ' ';
    head_ += req.target;
    head_ += " HTTP/1.1\r\n";
    const std::string_view host = req.host.empty() ? std::string_view(address_) : std::string_view(req.host);
    if (!one_line(host)) return "invalid header for a peer request: Host";
    add_field(head_, "Host", host);
    const std::pair<std::string_view, const std::string*> fields[] = {
        {"Content-Type", &req.content_type}, {"Accept", &req.accept},
        {"Authorization", &req.authorization}, {"Idempotency-Key", &req.idempotency_key},
        {"Origin", &req.origin}, {"X-Forwarded-For", &req.client}};
    for (const auto& [name, value] : fields) {
      if (value->empty()) continue;
      if (!one_line(*value)) return "invalid header for a peer request: " + std::string(name);
      add_field(head_, name, *value);
    }
    for (const auto& [k, v] : headers) {
      if (!is_token(k) || !one_line(v)) return "invalid header for a peer request: " + k;
      add_field(head_, k, v);
    }
    add_field(head_, "Content-Length", std::to_string(body_.size()));
    head_ += "\r\n";
    return {};
  }

  // "host:port" -> host_, port_; "" or why not.
  std::string split_address() {
    const auto colon = address_.rfind(':');
    if (colon == std::string::npos || colon == 0) return "bad peer address: " + address_;
    std::string_view host(address_.data(), colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    const std::string_view port(address_.data() + colon + 1, address_.size() - colon - 1);
    unsigned value = 0;
    for (const char ch : port) {
      if (ch < '0' || ch > '9' || value > 65535) return "bad peer address: " + address_;
      value = value * 10 + static_cast<unsigned>(ch - '0');
    }
    if (port.empty() || value == 0 || value > 65535) return "bad peer address: " + address_;
    host_ = std::string(host);
    port_ = static_cast<unsigned short>(value);
    return {};
  }

  void connect() {
    stage_ = kConnecting;
    conn_ = std::make_unique<Conn>(c_.ioc);
    error_code ec;
    const auto ip = asio::ip::make_address(host_, ec);
    if (!ec) {
      conn_->socket.async_connect(tcp::endpoint(ip, port_), [self = shared_from_this()](error_code e) {
        self->connected(e);
      });
      return;
    }
    resolver_.emplace(c_.ioc);
    resolver_->async_resolve(
        host_, std::to_string(port_),
        [self = shared_from_this()](error_code e, const tcp::resolver::results_type& results) {
          if (self->completed_) return;
          if (e) return self->fail(false, "cannot resolve " + self->host_ + ": " + e.message());
          asio::async_connect(self->conn_->socket, results,
                              [self](error_code e2, const tcp::endpoint&) { self->connected(e2); });
        });
  }

  void connected(error_code ec) {
    if (completed_) return;
    if (ec) {
      return fail(false, ec == asio::error::connection_refused ? std::string("connection refused")
                                                                : "cannot connect: " + ec.message());
    }
    error_code ignored;
    conn_->socket.set_option(tcp::no_delay(true), ignored);
    write();
  }

  void write() {
    stage_ = kWriting;
    const std::array<asio::const_buffer, 2> buffers = {asio::buffer(head_), asio::buffer(body_)};
    asio::async_write(conn_->socket, buffers, [self = shared_from_this()](error_code ec, std::size_t n) {
      self->written(ec, n);
    });
  }

  void written(error_code ec, std::size_t n) {
    if (completed_) return;
    if (!ec) return read();
    if (n == 0 && pooled_ && !retried_) {
      // The pooled connection was dead and nothing of the request left:
      // once more on a fresh connection.
      retried_ = true;
      pooled_ = false;
      error_code ignored;
      conn_->socket.close(ignored);
      conn_.reset();
      return connect();
    }
    fail(n > 0, ec == asio::error::broken_pipe || ec == asio::error::connection_reset
                    ? std::string("connection closed")
                    : "write failed: " + ec.message());
  }

  void read() {
    stage_ = kReading;
    parser_.emplace();
    parser_->body_limit(kMaxResponseBody);
    parser_->header_limit(kMaxResponseHead);
    if (head_only_) parser_->skip(true);
    http::async_read(conn_->socket, conn_->buffer, *parser_,
                     [self = shared_from_this()](error_code ec, std::size_t) { self->answered(ec); });
  }

  void answered(error_code ec) {
    if (completed_) return;
    if (ec) {
      if (ec == http::error::body_limit) return fail(true, "response too large");
      if (ec == http::error::header_limit) return fail(true, "response head too large");
      if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
          ec == asio::error::eof || ec == asio::error::connection_reset)
        return fail(true, "connection closed");
      if (ec.category() == http::make_error_code(http::error::bad_method).category())
        return fail(true, "bad response: " + ec.message());
      return fail(true, "read failed: " + ec.message());
    }
    auto& res = parser_->get();
    const unsigned status = res.result_int();
    if (status == 101) return fail(true, "bad response: 101 Switching Protocols");
    if (status / 100 == 1) return read();  // an interim answer (103): the final one follows
    Result r;
    r.ok = true;
    r.response.status = static_cast<int>(status);
    r.response.content_type.clear();
    for (const auto& f : res) {
      if (f.name() == http::field::content_type) {
        r.response.content_type.assign(f.value().data(), f.value().size());
      } else if (relayed(f.name())) {
        r.response.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      }
    }
    r.response.body = std::move(res.body());
    if (res.keep_alive() && conn_->buffer.size() == 0) {
      parser_.reset();
      c_.give_back(address_, std::move(conn_));
    }
    complete(std::move(r));
  }

  void fail(bool maybe_sent, std::string why) {
    if (completed_) return;
    if (conn_) {
      error_code ignored;
      conn_->socket.close(ignored);  // ends a pending operation; conn_ stays until its handler ran
    }
    if (resolver_) resolver_->cancel();
    Result r;
    r.maybe_sent = maybe_sent;
    r.why = std::move(why);
    complete(std::move(r));
  }

  void complete(Result r) {
    timer_.cancel();
    unlink();
    completed_ = true;
    auto done = std::move(done_);
    if (done) done(std::move(r));
  }

  void link() {
    next_ = c_.active;
    if (next_) next_->prev_ = this;
    c_.active = this;
    linked_ = true;
  }
  void unlink() {
    if (!linked_) return;
    linked_ = false;
    if (prev_) prev_->next_ = next_;
    else c_.active = next_;
    if (next_) next_->prev_ = prev_;
    prev_ = next_ = nullptr;
  }

  PeerClient::Impl& c_;
  std::string address_;
  std::string host_;
  unsigned short port_ = 0;
  std::string head_;
  std::string body_;
  std::string invalid_;  // why the request cannot be sent ("" when it can)
  std::function<void(Result)> done_;
  asio::steady_timer timer_;
  std::unique_ptr<Conn> conn_;
  std::optional<tcp::resolver> resolver_;
  std::optional<http::response_parser<http::string_body>> parser_;
  Stage stage_ = kConnecting;
  bool head_only_ = false;
  bool pooled_ = false;   // conn_ came from the pool
  bool retried_ = false;  // a dead pooled connection was replaced
  bool linked_ = false;
  bool completed_ = false;  // done_ called (or being called)
};

void PeerClient::Impl::stop() {
  stopped = true;
  idle.clear();  // closes the idle connections
  while (active != nullptr) active->abort();  // each unlinks itself
}

std::unique_ptr<Conn> PeerClient::Impl::take_idle(const std::string& address) {
  const auto it = idle.find(address);
  if (it == idle.end()) return nullptr;
  auto& conns = it->second;
  while (!conns.empty()) {
    std::unique_ptr<Conn> conn = std::move(conns.back());
    conns.pop_back();
    if (!peer_closed(conn->socket)) return conn;
  }
  return nullptr;
}

void PeerClient::Impl::give_back(const std::string& address, std::unique_ptr<Conn> conn) {
  if (stopped) return;
  auto& conns = idle[address];
  if (conns.size() < static_cast<std::size_t>(std::max(opts.max_idle_per_peer, 0)))
    conns.push_back(std::move(conn));
}

PeerClient::PeerClient(PeerOptions o) : impl_(std::make_unique<Impl>(o)) {
  impl_->thread = std::thread([i = impl_.get()] { i->ioc.run(); });
}

PeerClient::~PeerClient() {
  asio::post(impl_->ioc, [i = impl_.get()] { i->stop(); });
  impl_->work.reset();
  impl_->thread.join();
}

void PeerClient::forward(const std::string& address, HttpRequest req, Headers headers,
                         std::function<void(Result)> done) {
  auto op = std::make_shared<PeerOp>(*impl_, address, std::move(req), headers, std::move(done));
  asio::post(impl_->ioc, [op = std::move(op)] { op->start(); });
}

}  // namespace qc::gw
