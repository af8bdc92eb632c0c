// INTERNAL to the Beast translation units (http_server.cc, ws_session.cc,
// http_parse.cc): what they share. Nothing else includes Beast.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "server/api/handler.h"
#include "server/api/rate_limit.h"
#include "server/infra/client_address.h"
#include "server/infra/limits.h"
#include "server/infra/metrics.h"
#include "server/net/http_parse.h"

namespace qc::gw::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

// One connection of a peer address, counted against connections_per_address
// unless `counted` is false (a trusted proxy: it carries many clients and
// caps them itself); released when destroyed.
class Slot {
 public:
  Slot(ConnectionCounter& c, std::string address, bool counted = true)
      : c_(c), address_(std::move(address)), counted_(counted) {}
  ~Slot() {
    if (counted_) c_.release(address_);
  }
  const std::string& address() const { return address_; }

 private:
  ConnectionCounter& c_;
  std::string address_;
  bool counted_;
};

// Closing WebSockets at shutdown.
class Closable {
 public:
  virtual ~Closable() = default;
  virtual void close_going_away() = 0;  // thread-safe
};

struct Shared {
  Handler& handler;
  const Limits& limits;
  const TrustedProxies& trusted_proxies;
  Metrics& metrics;
  ConnectionCounter counter;
  std::mutex mu;
  std::set<std::weak_ptr<Closable>, std::owner_less<std::weak_ptr<Closable>>> websockets;
  std::atomic<int> http_inflight{0};
  std::atomic<bool> draining{false};
};

// Reading requests (http_parse.cc; the rules are in server/net/http_parse.h).
using RequestParser = http::request_parser<http::string_body>;
// A fresh parser with the server's limits.
void configure_parser(RequestParser& parser, const Limits& limits);
// The error status (400, 413, 431) and message for a failed read, or 0 for
// an error that is not the client's request (a closed connection, a timeout).
int read_error_status(beast::error_code ec, std::string* message);
// The framing rules Beast leaves open, on a parsed request; "" when fine.
std::string framing_error(const http::request<http::string_body>& req, const HeadScanner& head);
// The request as the Handler sees it (the body is moved out of `req`).
HttpRequest to_http_request(http::request<http::string_body>& req, std::string_view client);

// A DynamicBuffer over a flat_buffer that shows every byte read from the
// socket to a HeadScanner (http::async_read reads through it).
class ScannedBuffer {
 public:
  using const_buffers_type = beast::flat_buffer::const_buffers_type;
  using mutable_buffers_type = beast::flat_buffer::mutable_buffers_type;
  explicit ScannedBuffer(beast::flat_buffer& b) : b_(b) {}
  // A new request starts with what is already buffered.
  void start() {
    head_.reset();
    feed(b_.data());
  }
  const HeadScanner& head() const { return head_; }

  std::size_t size() const { return b_.size(); }
  std::size_t max_size() const { return b_.max_size(); }
  std::size_t capacity() const { return b_.capacity(); }
  const_buffers_type data() const { return b_.data(); }
  mutable_buffers_type prepare(std::size_t n) { return prepared_ = b_.prepare(n); }
  void commit(std::size_t n) {
    feed(asio::const_buffer(prepared_.data(), std::min(n, prepared_.size())));
    b_.commit(n);
  }
  void consume(std::size_t n) { b_.consume(n); }

 private:
  void feed(asio::const_buffer b) {
    if (!head_.done()) head_.feed(std::string_view(static_cast<const char*>(b.data()), b.size()));
  }
  beast::flat_buffer& b_;
  asio::mutable_buffer prepared_;
  HeadScanner head_;
};

// Takes over an upgraded connection (ws_session.cc).
void start_websocket(Shared& shared, beast::tcp_stream stream,
                     http::request<http::string_body> request, std::shared_ptr<Slot> slot);

// Logs an error of an async operation, quietly for normal closes.
void fail(beast::error_code ec, const char* what);

}  // namespace qc::gw::net
