// INTERNAL to the Beast translation units (http_server.cc, ws_session.cc,
// http_parse.cc): what they share. Nothing else includes Beast.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <memory>
#include <mutex>
#include <optional>
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

// Reads the requests of one connection from its bytes as they arrive
// (sans-I/O): Beast's parser with the server's limits, the obs-fold scan of
// each head and framing_error(). The HTTP session (http_server.cc) and
// read_requests() (tests, fuzz) both read through it.
class RequestReader {
 public:
  enum class Step : unsigned char {
    kNeedMore,  // every byte given is used or kept; call again with more
    kRequest,   // a whole request: take() it
    kError,     // refused or broken: status() (0: close without an answer), error()
  };
  explicit RequestReader(const Limits& limits) : limits_(limits) {}
  // `bytes`: the connection's bytes not yet used, starting where the last
  // call left off (bytes kept from a call come again). Sets *used to the
  // bytes now used (they are not given again).
  Step next(std::string_view bytes, std::size_t* used);
  // The request of a kRequest step; the reader starts the next request.
  http::request<http::string_body> take();
  int status() const { return status_; }
  const std::string& error() const { return error_; }
  // True between the first byte of a request and its end.
  bool in_request() const { return parser_.has_value(); }
  // The current request's head is in, it is HTTP/1.1 with
  // "Expect: 100-continue", and its body is not: the client waits for an
  // interim "100 Continue" before sending the body (RFC 9110 10.1.1).
  bool wants_continue() const;

 private:
  const Limits& limits_;
  std::optional<RequestParser> parser_;
  HeadScanner head_;
  std::size_t scanned_ = 0;  // bytes of the current head fed to head_
  int status_ = 0;
  std::string error_;
};

// Takes over an upgraded connection (ws_session.cc).
void start_websocket(Shared& shared, beast::tcp_stream stream,
                     http::request<http::string_body> request, std::shared_ptr<Slot> slot);

// Logs an error of an async operation, quietly for normal closes.
void fail(beast::error_code ec, const char* what);

}  // namespace qc::gw::net
