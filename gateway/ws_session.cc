// Beast unit 2 of 2: WebSocket sessions (live push). See docs/api.md
// ("Live push") for the protocol.
//
// Threads: reads, writes and timers run on the connection's strand. The
// shard threads call deliver()/send_control(), which only touch the small
// outbox under `mu_` (no I/O under the lock) and post one flush to the strand.
//
// Conflation: the outbox holds at most one frame per topic (the newest);
// control frames (errors, pongs) queue separately, bounded. A client whose
// unsent bytes exceed limits.send_backlog_bytes, or whose current write has
// been pending longer than limits.slow_timeout_ms, is closed with 4000.
#include <algorithm>
#include <chrono>
#include <deque>

#include "gateway/log.h"
#include "gateway/net.h"
#include "gateway/outbox.h"

namespace qc::gw::net {
namespace {

using Steady = std::chrono::steady_clock;
constexpr std::uint16_t kCloseTooSlow = 4000;
constexpr std::uint16_t kCloseRate = 4029;
constexpr int kMaxFailedSubscribes = 5;
constexpr std::size_t kMaxControl = 32;

class WsSession final : public Subscriber,
                        public Closable,
                        public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(Shared& shared, beast::tcp_stream stream, std::shared_ptr<Slot> slot, Format format)
      : shared_(shared),
        ws_(std::move(stream)),
        slot_(std::move(slot)),
        format_(format),
        rate_(shared.config.limits.ws_messages_per_second, shared.config.limits.ws_message_burst),
        slow_timer_(ws_.get_executor()) {
    shared_.metrics.ws_connections.fetch_add(1, std::memory_order_relaxed);
  }
  ~WsSession() override {
    shared_.metrics.ws_connections.fetch_sub(1, std::memory_order_relaxed);
    shared_.metrics.subscriptions.fetch_sub(static_cast<std::int64_t>(topics_.size()),
                                            std::memory_order_relaxed);
  }

  Format format() const override { return format_; }

  void start(http::request<http::string_body> req, std::string protocol) {
    const auto& l = shared_.config.limits;
    websocket::stream_base::timeout t;
    t.handshake_timeout = std::chrono::milliseconds(l.handshake_timeout_ms);
    t.idle_timeout = std::chrono::milliseconds(l.idle_timeout_ms);
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.read_message_max(l.ws_message_bytes);
    ws_.auto_fragment(false);
    ws_.set_option(websocket::stream_base::decorator([protocol](websocket::response_type& res) {
      res.set(http::field::server, "queuecastd");
      if (!protocol.empty()) res.set(http::field::sec_websocket_protocol, protocol);
    }));
    {
      std::lock_guard lock(shared_.mu);
      shared_.websockets.insert(weak_from_this());
    }
    ws_.async_accept(req, beast::bind_front_handler(&WsSession::on_accept, shared_from_this()));
  }

  // ---- Subscriber (shard threads) ----

  void deliver(const std::string& topic, Frame frame) override {
    std::lock_guard lock(mu_);
    if (closing_) return;
    if (outbox_.put(topic, std::move(frame)))
      shared_.metrics.ws_frames_conflated.fetch_add(1, std::memory_order_relaxed);
    schedule_locked();
  }

  void send_control(std::shared_ptr<const std::string> bytes) override {
    std::lock_guard lock(mu_);
    if (closing_) return;
    if (!outbox_.put_control(std::move(bytes))) too_slow_ = true;
    schedule_locked();
  }

  // ---- Closable (any thread) ----

  void close_going_away() override {
    asio::post(ws_.get_executor(), [self = shared_from_this()] {
      self->close_with(static_cast<std::uint16_t>(websocket::close_code::going_away), "server going away");
    });
  }

 private:
  // Called with mu_ held: post one flush unless one is on its way.
  void schedule_locked() {
    const auto& l = shared_.config.limits;
    if (outbox_.bytes() + inflight_bytes_ > l.send_backlog_bytes) too_slow_ = true;
    if (flush_posted_) return;
    flush_posted_ = true;
    asio::post(ws_.get_executor(), [self = shared_from_this()] { self->flush(); });
  }

  void on_accept(beast::error_code ec) {
    if (ec) {
      fail(ec, "ws accept");
      return unregister();
    }
    read();
  }

  void read() {
    ws_.async_read(in_, beast::bind_front_handler(&WsSession::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) {
      if (ec == websocket::error::message_too_big) {
        shared_.metrics.ws_closed_too_big.fetch_add(1, std::memory_order_relaxed);
        // Beast has sent close 1009 already.
      } else {
        fail(ec, "ws read");
      }
      return finish();
    }
    if (closing_local_) return finish();
    if (!rate_.take(std::chrono::duration_cast<std::chrono::milliseconds>(
                        Steady::now().time_since_epoch()).count())) {
      shared_.metrics.ws_closed_rate.fetch_add(1, std::memory_order_relaxed);
      return close_with(kCloseRate, "too many messages");
    }
    std::string_view bytes(static_cast<const char*>(in_.data().data()), in_.size());
    ClientRequest req;
    std::string msg;
    Error e = decode_client_message(bytes, format_, &req, &msg);
    in_.consume(in_.size());
    in_.shrink_to_fit();  // idle connections keep no read buffer
    if (e != Error::kOk) {
      send_control(std::make_shared<const std::string>(encode_ws_error(to_string(e), msg, format_)));
    } else if (req.kind == ClientRequest::kPing) {
      send_control(std::make_shared<const std::string>(
          encode_pong(shared_.service.runtime().clock().now(), format_)));
    } else if (static_cast<int>(topics_.size()) >=
               shared_.config.limits.max_subscriptions_per_connection) {
      send_control(std::make_shared<const std::string>(
          encode_ws_error("invalid_argument", "too many subscriptions on one connection", format_)));
    } else {
      subscribe(req);
    }
    read();
  }

  void subscribe(const ClientRequest& req) {
    auto self = shared_from_this();
    shared_.service.subscribe(req, self, [self](SubscribeResult r) {
      // On a shard thread: hop to the strand.
      asio::post(self->ws_.get_executor(), [self, r = std::move(r)] { self->on_subscribed(r); });
    });
  }

  void on_subscribed(const SubscribeResult& r) {
    if (r.error != Error::kOk) {
      send_control(std::make_shared<const std::string>(
          encode_ws_error(to_string(r.error), r.message, format_)));
      if ((r.error == Error::kUnauthorized || r.error == Error::kForbidden) &&
          ++failed_subscribes_ >= kMaxFailedSubscribes)
        close_with(static_cast<std::uint16_t>(websocket::close_code::policy_error), "too many failed subscriptions");
      return;
    }
    if (std::find(topics_.begin(), topics_.end(), r.topic) == topics_.end()) {
      topics_.push_back(r.topic);
      shared_.metrics.subscriptions.fetch_add(1, std::memory_order_relaxed);
    }
    if (closing_local_) shared_.service.unsubscribe(r.topic, weak_from_this());
  }

  // ---- Writing (strand) ----

  void flush() {
    std::shared_ptr<const std::string> next;
    Steady::time_point published{};
    {
      std::lock_guard lock(mu_);
      flush_posted_ = false;
      if (too_slow_ || closing_ || writing_) {
        // Too slow: close below (outside the lock); closing: nothing more to
        // send; writing: on_write() flushes again.
        if (!too_slow_ || closing_local_) return;
        outbox_.clear();
        closing_ = true;
      }
      Frame f;
      if (!closing_ && outbox_.take(&f)) {
        next = std::move(f.bytes);
        published = f.published;
        inflight_bytes_ = next->size();
        writing_ = true;
      } else if (!closing_) {
        return;
      }
    }
    if (!next) {
      shared_.metrics.ws_closed_slow.fetch_add(1, std::memory_order_relaxed);
      return close_with(kCloseTooSlow, "too slow: send backlog exceeded");
    }
    write_started_ = Steady::now();
    arm_slow_timer();
    ws_.binary(format_ == Format::kProto);
    ws_.async_write(asio::buffer(*next),
                    [self = shared_from_this(), next, published](beast::error_code ec, std::size_t) {
                      self->on_write(ec, published);
                    });
  }

  void on_write(beast::error_code ec, Steady::time_point published) {
    {
      std::lock_guard lock(mu_);
      writing_ = false;
      inflight_bytes_ = 0;
    }
    if (ec) {
      fail(ec, "ws write");
      return finish();
    }
    shared_.metrics.ws_frames_sent.fetch_add(1, std::memory_order_relaxed);
    if (published != Steady::time_point{})
      shared_.metrics.push_latency.observe_us(
          std::chrono::duration<double, std::micro>(Steady::now() - published).count());
    if (closing_local_) return;
    flush();
  }

  void arm_slow_timer() {
    if (timer_armed_) return;
    timer_armed_ = true;
    slow_timer_.expires_after(std::chrono::milliseconds(shared_.config.limits.slow_timeout_ms));
    slow_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      self->timer_armed_ = false;
      if (ec || self->closing_local_) return;
      bool writing;
      {
        std::lock_guard lock(self->mu_);
        writing = self->writing_;
      }
      if (!writing) return;
      auto pending_for = Steady::now() - self->write_started_;
      if (pending_for >= std::chrono::milliseconds(self->shared_.config.limits.slow_timeout_ms)) {
        self->shared_.metrics.ws_closed_slow.fetch_add(1, std::memory_order_relaxed);
        self->close_with(kCloseTooSlow, "too slow: a write stayed pending");
      } else {
        self->arm_slow_timer();
      }
    });
  }

  // ---- Closing (strand) ----

  void close_with(std::uint16_t code, const char* reason) {
    if (closing_local_) return;
    closing_local_ = true;
    {
      std::lock_guard lock(mu_);
      closing_ = true;
      outbox_.clear();
    }
    unregister();
    ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(code), reason),
                    [self = shared_from_this()](beast::error_code ec) {
                      if (ec) fail(ec, "ws close");
                      beast::error_code e2;
                      beast::get_lowest_layer(self->ws_).socket().close(e2);
                    });
  }

  // The read loop ended (peer closed, error): drop subscriptions.
  void finish() {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
      outbox_.clear();
    }
    closing_local_ = true;
    slow_timer_.cancel();
    unregister();
  }

  void unregister() {
    for (const auto& t : topics_) shared_.service.unsubscribe(t, weak_from_this());
    std::lock_guard lock(shared_.mu);
    shared_.websockets.erase(weak_from_this());
  }

  Shared& shared_;
  websocket::stream<beast::tcp_stream> ws_;
  std::shared_ptr<Slot> slot_;
  const Format format_;
  beast::flat_buffer in_;
  TokenBucket rate_;
  asio::steady_timer slow_timer_;

  // Strand only.
  std::vector<std::string> topics_;
  int failed_subscribes_ = 0;
  bool closing_local_ = false;
  bool timer_armed_ = false;
  Steady::time_point write_started_{};

  // Shared with the shard threads, under mu_.
  std::mutex mu_;
  Outbox outbox_{kMaxControl};
  std::size_t inflight_bytes_ = 0;
  bool flush_posted_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool too_slow_ = false;
};

// The subprotocol to answer with: the first offered one we speak.
bool pick_protocol(std::string_view offered, std::string* protocol, Format* format) {
  if (offered.empty()) {
    protocol->clear();
    *format = Format::kJson;
    return true;
  }
  while (!offered.empty()) {
    auto comma = offered.find(',');
    std::string_view p = offered.substr(0, comma);
    while (!p.empty() && p.front() == ' ') p.remove_prefix(1);
    while (!p.empty() && p.back() == ' ') p.remove_suffix(1);
    if (p == "queuecast.v1.json" || p == "queuecast.v1.proto") {
      *protocol = std::string(p);
      *format = p == "queuecast.v1.proto" ? Format::kProto : Format::kJson;
      return true;
    }
    if (comma == std::string_view::npos) break;
    offered.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

void start_websocket(Shared& shared, beast::tcp_stream stream,
                     http::request<http::string_body> request, std::shared_ptr<Slot> slot) {
  std::string protocol;
  Format format;
  if (!pick_protocol(std::string_view(request[http::field::sec_websocket_protocol]), &protocol,
                     &format)) {
    // Answer 400 and drop the connection.
    auto res = std::make_shared<http::response<http::string_body>>(http::status::bad_request,
                                                                   request.version());
    res->set(http::field::content_type, "application/json");
    res->body() = encode_error_body("invalid_argument",
                                    "subprotocol must be queuecast.v1.json or queuecast.v1.proto",
                                    Format::kJson);
    res->keep_alive(false);
    res->prepare_payload();
    auto s = std::make_shared<beast::tcp_stream>(std::move(stream));
    http::async_write(*s, *res, [s, res](beast::error_code, std::size_t) {
      beast::error_code ec;
      s->socket().shutdown(tcp::socket::shutdown_both, ec);
    });
    return;
  }
  auto session = std::make_shared<WsSession>(shared, std::move(stream), std::move(slot), format);
  session->start(std::move(request), protocol);
}

}  // namespace qc::gw::net
