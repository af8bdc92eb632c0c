// Test support: the WebSocket client of the tests, on Boost.Beast: connects
// to queuecastd on 127.0.0.1, offers a subprotocol (and an Origin), sends
// text or binary messages (or several frames in one TCP write), and reads
// the next message, JSON or bytes, with a timeout. Header-only (Beast).
//
// Thread-safety: one thread per instance.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace qc::test {

namespace ws_client {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
class WsClient {
 public:
  explicit WsClient(unsigned short port, const std::string& protocol = "queuecast.v1.json",
              const std::string& origin = "", int rcvbuf = 0)
      : ws_(ioc_) {
    auto& sock = ws_.next_layer();
    sock.open(tcp::v4());
    if (rcvbuf > 0) sock.set_option(asio::socket_base::receive_buffer_size(rcvbuf));
    sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    ws_.set_option(websocket::stream_base::decorator([protocol, origin](websocket::request_type& req) {
      if (!protocol.empty()) req.set(http::field::sec_websocket_protocol, protocol);
      if (!origin.empty()) req.set(http::field::origin, origin);
    }));
    websocket::response_type res;
    ws_.handshake(res, "127.0.0.1:" + std::to_string(port), "/v1/ws", ec_);
    status_ = res.result_int();
  }
  bool ok() const { return !ec_; }
  int status() const { return status_; }
  void send(const std::string& text) {
    beast::error_code ec;
    ws_.write(asio::buffer(text), ec);
  }
  // Text messages written together in one TCP write, so the server reads
  // them at once (frames masked with the all-zero key: the bytes as they are).
  void send_together(const std::vector<std::string>& texts) {
    std::string bytes;
    for (const std::string& t : texts) {
      bytes.push_back(static_cast<char>(0x81));
      if (t.size() < 126) {
        bytes.push_back(static_cast<char>(0x80 | t.size()));
      } else {
        bytes.push_back(static_cast<char>(0x80 | 126));
        bytes.push_back(static_cast<char>(t.size() >> 8));
        bytes.push_back(static_cast<char>(t.size() & 0xff));
      }
      bytes.append(4, '\0');
      bytes += t;
    }
    asio::write(ws_.next_layer(), asio::buffer(bytes));
  }
  void send_binary(const std::string& bytes) {
    beast::error_code ec;
    ws_.binary(true);
    ws_.write(asio::buffer(bytes), ec);
  }
  // The next message's bytes, or nullopt on timeout/close (then closed()).
  std::optional<std::string> next_raw(std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
    beast::flat_buffer buf;
    if (!read_message(&buf, timeout)) return std::nullopt;
    last_binary_ = ws_.got_binary();
    return beast::buffers_to_string(buf.data());
  }
  bool last_binary() const { return last_binary_; }
  // The next message as JSON, or nullopt on timeout/close (then closed()).
  std::optional<json::value> next(std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
    beast::flat_buffer buf;
    if (!read_message(&buf, timeout)) return std::nullopt;
    boost::system::error_code jec;
    json::value v = json::parse(beast::buffers_to_string(buf.data()), jec);
    return v;
  }
  // Like next(), but a timeout leaves the read pending, so the stream stays
  // usable: for a client that waits for silence. Do not mix with next() on
  // the same connection while a read is pending.
  std::optional<json::value> next_or_quiet(std::chrono::milliseconds timeout) {
    if (!pending_) {
      pending_ = true;
      pending_done_ = false;
      pending_buf_.clear();
      ws_.async_read(pending_buf_, [this](beast::error_code e, std::size_t) {
        pending_done_ = true;
        pending_ec_ = e;
      });
    }
    ioc_.restart();
    ioc_.run_for(timeout);
    if (!pending_done_) return std::nullopt;
    pending_ = false;
    if (pending_ec_) {
      closed_ = true;
      return std::nullopt;
    }
    boost::system::error_code jec;
    return json::parse(beast::buffers_to_string(pending_buf_.data()), jec);
  }
  // Whether the connection was closed (by the server or a failed read).
  bool closed() const { return closed_ || broken_; }
  // Reads until the server closes; its close code (0 if none within the time).
  int close_code(std::chrono::milliseconds within = std::chrono::milliseconds(5000)) {
    auto until = std::chrono::steady_clock::now() + within;
    while (!closed_ && !broken_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      if (left <= std::chrono::milliseconds(0)) break;
      next(left);
    }
    return ws_.reason().code;
  }
  // The next view message of kind (patient/display/staff/board).
  std::optional<json::value> next_view(const std::string& kind, std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      auto m = next(std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()));
      if (!m) return std::nullopt;
      if (m->is_object() && m->as_object().contains("view") && m->at("view").as_object().contains(kind))
        return m->at("view").at(kind);
    }
    return std::nullopt;
  }

 private:
  // Reads the next message into *buf within timeout. False on a timeout
  // (the read is cancelled) or a close (closed_).
  bool read_message(beast::flat_buffer* buf, std::chrono::milliseconds timeout) {
    bool done = false;
    beast::error_code ec;
    ws_.async_read(*buf, [&](beast::error_code e, std::size_t) {
      done = true;
      ec = e;
    });
    ioc_.restart();
    ioc_.run_for(timeout);
    if (!done) {
      // Timed out: cancel the read and let it finish.
      beast::get_lowest_layer(ws_).cancel();
      ioc_.restart();
      ioc_.run_for(std::chrono::milliseconds(1000));
      if (ws_.is_open() && ec == asio::error::operation_aborted) {
        broken_ = true;  // a cancelled read leaves the stream unusable
      }
      return false;
    }
    if (ec) {
      closed_ = true;
      return false;
    }
    return true;
  }

  asio::io_context ioc_;
  websocket::stream<tcp::socket> ws_;
  beast::error_code ec_;
  int status_ = 0;
  bool closed_ = false;
  bool broken_ = false;
  bool last_binary_ = false;
  bool pending_ = false;
  bool pending_done_ = false;
  beast::error_code pending_ec_;
  beast::flat_buffer pending_buf_;
};

}  // namespace ws_client

using ws_client::WsClient;

}  // namespace qc::test
