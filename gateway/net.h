// INTERNAL to the Beast translation units (http_server.cc, ws_session.cc):
// what they share. Nothing else includes Beast.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "gateway/config.h"
#include "gateway/metrics.h"
#include "gateway/rate_limit.h"
#include "gateway/service.h"

namespace qc::gw::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

// One counted connection of a client address; released when destroyed.
class Slot {
 public:
  Slot(ConnectionCounter& c, std::string address) : c_(c), address_(std::move(address)) {}
  ~Slot() { c_.release(address_); }
  const std::string& address() const { return address_; }

 private:
  ConnectionCounter& c_;
  std::string address_;
};

// Closing WebSockets at shutdown.
class Closable {
 public:
  virtual ~Closable() = default;
  virtual void close_going_away() = 0;  // thread-safe
};

struct Shared {
  Service& service;
  const Config& config;
  Metrics& metrics;
  ConnectionCounter counter;
  std::mutex mu;
  std::set<std::weak_ptr<Closable>, std::owner_less<std::weak_ptr<Closable>>> websockets;
  std::atomic<int> http_inflight{0};
  std::atomic<bool> draining{false};
};

// Takes over an upgraded connection (ws_session.cc).
void start_websocket(Shared& shared, beast::tcp_stream stream,
                     http::request<http::string_body> request, std::shared_ptr<Slot> slot);

// Logs an error of an async operation, quietly for normal closes.
void fail(beast::error_code ec, const char* what);

}  // namespace qc::gw::net
