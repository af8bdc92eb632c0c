// Beast unit 1 of 2: listener and HTTP sessions. See http_server.h.
#include "server/net/http_server.h"

#include <array>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "server/infra/batch.h"
#include "server/infra/log.h"
#include "server/net/net.h"

namespace qc::gw {
namespace net {

void fail(beast::error_code ec, const char* what) {
  if (ec == asio::error::operation_aborted || ec == websocket::error::closed ||
      ec == http::error::end_of_stream || ec == asio::error::eof ||
      ec == asio::error::connection_reset || ec == beast::error::timeout ||
      ec == asio::error::broken_pipe)
    return;
  log_event("debug", "io_error", {{"op", what}, {"error", ec.message()}});
}

namespace {

using Steady = std::chrono::steady_clock;

class HttpSession;

// Answers on their way back to the network threads. A shard answers a whole
// group at once; each answer is queued here and the queue is handed to the
// io_context with ONE post per group (Batch, server/infra/batch.h), not
// one per answer: each post from a shard thread may wake a network thread,
// which costs more than writing the answer. Answers given on a network thread
// (errors found before a shard is involved) are queued the same way.
class Replies {
 public:
  explicit Replies(asio::io_context& ioc) : ioc_(ioc) {}
  void set_threads(int n) { threads_ = n; }
  int threads() const { return threads_; }

  // Thread-safe.
  void push(std::shared_ptr<HttpSession> session, HttpResponse response, bool keep_alive,
            unsigned version) {
    bool post;
    {
      std::lock_guard lock(mu_);
      items_.push_back(Item{std::move(session), std::move(response), keep_alive, version});
      post = !posted_ && items_.size() == 1;
    }
    if (!post) return;
    if (Batch::defer(this, &Replies::flush_fn, this)) return;
    flush();
  }

  // The io_context's side: the network thread's pass over new requests
  // (Runtime::submit() batches them, one hand-off per shard per pass).
  void start_pass() {
    if (pass_) return;
    pass_.emplace();
    asio::post(ioc_, [this] { pass_.reset(); });
  }
  // Hands what the open pass queued to the shards now (on the network
  // thread; run() does it when the io_context stopped with a pass open).
  void end_pass() { pass_.reset(); }
  // Only with one network thread: with several, a pass would not be
  // confined to one thread.
  bool batch_submits() const { return threads_ == 1; }

 private:
  struct Item {
    std::shared_ptr<HttpSession> session;
    HttpResponse response;
    bool keep_alive;
    unsigned version;
  };
  static void flush_fn(void* self) { static_cast<Replies*>(self)->flush(); }
  void flush() {
    {
      std::lock_guard lock(mu_);
      if (posted_ || items_.empty()) return;
      posted_ = true;
    }
    asio::post(ioc_, [this] { drain(); });
  }
  void drain();

  asio::io_context& ioc_;
  int threads_ = 1;
  std::mutex mu_;
  std::vector<Item> items_;
  bool posted_ = false;
  std::optional<Batch> pass_;  // the network thread's (one thread only)
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(Shared& shared, Replies& replies, tcp::socket socket, std::shared_ptr<Slot> slot)
      : shared_(shared), replies_(replies), stream_(std::move(socket)), slot_(std::move(slot)) {
    shared_.metrics.http_connections.fetch_add(1, std::memory_order_relaxed);
  }
  ~HttpSession() { shared_.metrics.http_connections.fetch_sub(1, std::memory_order_relaxed); }

  void run() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&HttpSession::read, shared_from_this()));
  }

 private:
  void read() {
    parser_.emplace();
    configure_parser(*parser_, shared_.limits);
    scanned_.start();
    const auto& l = shared_.limits;
    stream_.expires_after(std::chrono::milliseconds(first_ ? l.handshake_timeout_ms
                                                           : l.http_idle_timeout_ms));
    first_ = false;
    http::async_read(stream_, scanned_, *parser_,
                     beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
  }

  // A refused request: answered, then the connection is closed (nothing
  // after it on this connection is read as a request).
  void refuse(int status, const std::string& message) {
    head_ = false;
    write(shared_.handler.refusal(status, status == 400 ? "bad_request" : "invalid_argument",
                                  message),
          false, 11);
  }

  // The address the per-address limits count (client_address.h).
  std::string client_of(const http::request<http::string_body>& req) const {
    const TrustedProxies& trusted = shared_.trusted_proxies;
    if (trusted.empty()) return slot_->address();
    std::string forwarded;
    for (auto [it, end] = req.equal_range("X-Forwarded-For"); it != end; ++it) {
      if (!forwarded.empty()) forwarded += ',';
      forwarded += std::string_view(it->value().data(), it->value().size());
    }
    return client_address(slot_->address(), forwarded, std::string_view(req["X-Real-IP"]), trusted);
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) {
      std::string message;
      if (int status = read_error_status(ec, &message)) return refuse(status, message);
      fail(ec, "http read");
      return close();
    }
    http::request<http::string_body> req = parser_->release();
    if (std::string e = framing_error(req, scanned_.head()); !e.empty()) return refuse(400, e);
    started_ = Steady::now();
    if (websocket::is_upgrade(req)) {
      if (auto refused = shared_.handler.refuse_upgrade(
              std::string_view(req.target().data(), req.target().size()),
              std::string_view(req[http::field::origin]), std::string_view(req[http::field::host]))) {
        return write(std::move(*refused), false, req.version());
      }
      if (shared_.draining) {
        return write(shared_.handler.refusal(503, "unavailable", "server is shutting down"), false,
                     req.version());
      }
      stream_.expires_never();
      start_websocket(shared_, std::move(stream_), std::move(req), std::move(slot_));
      return;
    }
    std::string client = client_of(req);
    HttpRequest hr = to_http_request(req, client);
    const bool keep_alive = req.keep_alive();
    const unsigned version = req.version();
    head_ = req.method() == http::verb::head;
    shared_.http_inflight.fetch_add(1);
    if (replies_.batch_submits()) replies_.start_pass();
    shared_.handler.handle(std::move(hr),
                           [self = shared_from_this(), keep_alive, version](HttpResponse r) {
                             self->replies_.push(self, std::move(r), keep_alive, version);
                           });
  }

 public:
  // An answer from Replies: on this connection's strand, or on the only
  // network thread.
  void answer(HttpResponse r, bool keep_alive, unsigned version) {
    shared_.http_inflight.fetch_sub(1);
    write(std::move(r), keep_alive, version);
  }
  auto executor() { return stream_.get_executor(); }

 private:
  // The response head is written by hand (status line, Server, Content-Type,
  // the response's own headers, Content-Length, Connection) and sent with
  // the body in one gathered write.
  void write(HttpResponse r, bool keep_alive, unsigned version) {
    if (shared_.draining) keep_alive = false;
    head_buf_.clear();
    head_buf_ += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    head_buf_ += std::to_string(r.status);
    head_buf_ += ' ';
    const auto reason = http::obsolete_reason(static_cast<http::status>(r.status));
    head_buf_.append(reason.data(), reason.size());
    head_buf_ += "\r\nServer: queuecastd\r\nContent-Type: ";
    head_buf_ += r.content_type;
    for (auto& [k, v] : r.headers) {
      head_buf_ += "\r\n";
      head_buf_ += k;
      head_buf_ += ": ";
      head_buf_ += v;
    }
    head_buf_ += "\r\nContent-Length: ";
    head_buf_ += std::to_string(r.body.size());
    if (version >= 11 && !keep_alive) head_buf_ += "\r\nConnection: close";
    if (version < 11 && keep_alive) head_buf_ += "\r\nConnection: keep-alive";
    head_buf_ += "\r\n\r\n";
    body_ = std::move(r.body);
    if (head_) body_.clear();
    int cls = r.status / 100;
    if (cls >= 1 && cls <= 5) shared_.metrics.http_by_class[cls].fetch_add(1, std::memory_order_relaxed);
    if (started_ != Steady::time_point{})
      shared_.metrics.request_latency.observe_us(
          std::chrono::duration<double, std::micro>(Steady::now() - started_).count());
    stream_.expires_after(std::chrono::milliseconds(shared_.limits.slow_timeout_ms));
    std::array<asio::const_buffer, 2> bufs{asio::buffer(head_buf_), asio::buffer(body_)};
    asio::async_write(stream_, bufs,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                        if (ec) {
                          fail(ec, "http write");
                          return self->close();
                        }
                        if (!keep_alive) return self->close();
                        self->read();
                      });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  Shared& shared_;
  Replies& replies_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  ScannedBuffer scanned_{buffer_};  // reads go through it (obs-fold check)
  std::string head_buf_;
  std::string body_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<Slot> slot_;
  bool first_ = true;
  bool head_ = false;
  Steady::time_point started_{};
};

void Replies::drain() {
  // Local: with several network threads two drains may run at once.
  std::vector<Item> taken;
  {
    std::lock_guard lock(mu_);
    taken.swap(items_);
    posted_ = false;
  }
  for (Item& it : taken) {
    if (threads_ == 1) {
      // One network thread: every connection's handlers run on it, not now.
      it.session->answer(std::move(it.response), it.keep_alive, it.version);
    } else {
      auto ex = it.session->executor();  // before the session moves into the handler
      asio::dispatch(ex, [s = std::move(it.session), r = std::move(it.response), k = it.keep_alive,
                          v = it.version]() mutable { s->answer(std::move(r), k, v); });
    }
  }
}

}  // namespace
}  // namespace net

using namespace net;

struct Server::Impl {
  Impl(Handler& handler, const Limits& limits, const TrustedProxies& trusted, Metrics& metrics)
      : shared{handler, limits, trusted, metrics, ConnectionCounter(limits.connections_per_address)},
        replies(ioc),
        acceptor(ioc),
        signals(ioc, SIGTERM, SIGINT) {}

  void accept() {
    // With one network thread every connection lives on the io_context
    // itself (no strand: nothing can run concurrently anyway).
    asio::any_io_executor ex = replies.threads() == 1 ? asio::any_io_executor(ioc.get_executor())
                                                      : asio::any_io_executor(asio::make_strand(ioc));
    acceptor.async_accept(ex, [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
        fail(ec, "accept");
        if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space) {
          // Out of files: wait a moment instead of spinning.
          retry.expires_after(std::chrono::milliseconds(100));
          retry.async_wait([this](beast::error_code) { accept(); });
          return;
        }
        return accept();
      }
      beast::error_code e2;
      auto ep = socket.remote_endpoint(e2);
      std::string address = e2 ? std::string("?") : ep.address().to_string();
      // A trusted proxy's connections carry many clients: not capped per
      // address here (the proxy caps its clients, limit_conn).
      const bool counted = !shared.trusted_proxies.contains(address);
      if (counted && !shared.counter.acquire(address)) {
        shared.metrics.connections_refused.fetch_add(1, std::memory_order_relaxed);
        socket.close(e2);
      } else {
        socket.set_option(tcp::no_delay(true), e2);
        if (shared.limits.send_buffer_bytes > 0)
          socket.set_option(asio::socket_base::send_buffer_size(shared.limits.send_buffer_bytes), e2);
        auto slot = std::make_shared<Slot>(shared.counter, address, counted);
        std::make_shared<HttpSession>(shared, replies, std::move(socket), std::move(slot))->run();
      }
      accept();
    });
  }

  void drain() {
    if (shared.draining.exchange(true)) return;
    shared.handler.set_draining();
    beast::error_code ec;
    acceptor.close(ec);
    std::vector<std::shared_ptr<Closable>> ws;
    {
      std::lock_guard lock(shared.mu);
      for (auto& w : shared.websockets)
        if (auto s = w.lock()) ws.push_back(std::move(s));
    }
    for (auto& s : ws) s->close_going_away();
    drain_started = std::chrono::steady_clock::now();
    poll_drained();
  }

  void poll_drained() {
    auto waited = std::chrono::steady_clock::now() - drain_started;
    // In-flight requests get up to 5 s; WebSocket close handshakes 1 s
    // (a client that does not answer the close frame is not waited for).
    bool http_idle = shared.http_inflight.load() == 0;
    bool ws_idle = shared.metrics.ws_connections.load() == 0 || waited > std::chrono::seconds(1);
    if ((http_idle && ws_idle && waited > std::chrono::milliseconds(50)) ||
        waited > std::chrono::seconds(5)) {
      ioc.stop();
      return;
    }
    retry.expires_after(std::chrono::milliseconds(20));
    retry.async_wait([this](beast::error_code) { poll_drained(); });
  }

  Shared shared;
  asio::io_context ioc;
  Replies replies;
  tcp::acceptor acceptor;
  asio::signal_set signals;
  asio::steady_timer retry{ioc};
  std::chrono::steady_clock::time_point drain_started;
};

Server::Server(Handler& handler, const Limits& limits, const TrustedProxies& trusted_proxies,
               Metrics& metrics)
    : impl_(std::make_unique<Impl>(handler, limits, trusted_proxies, metrics)) {}
Server::~Server() = default;

bool Server::listen(const std::string& address, std::string* error) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    *error = "--listen wants HOST:PORT";
    return false;
  }
  beast::error_code ec;
  auto ip = asio::ip::make_address(address.substr(0, colon), ec);
  if (ec) {
    *error = "bad listen address: " + address;
    return false;
  }
  int port = std::atoi(address.c_str() + colon + 1);
  if (port < 0 || port > 65535) {
    *error = "bad port in " + address;
    return false;
  }
  tcp::endpoint ep(ip, static_cast<unsigned short>(port));
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    *error = "cannot listen on " + address + ": " + ec.message();
    return false;
  }
  return true;
}

unsigned short Server::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void Server::run(int io_threads, std::function<void()> on_signal) {
  impl_->signals.async_wait([this, on_signal](beast::error_code ec, int sig) {
    if (ec) return;
    log_event("info", "signal", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    if (on_signal) on_signal();
    impl_->drain();
  });
  impl_->replies.set_threads(io_threads);
  impl_->accept();
  std::vector<std::thread> threads;
  for (int i = 1; i < io_threads; ++i) threads.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : threads) t.join();
  impl_->replies.end_pass();  // commands of an unfinished pass go to the shards
}

void Server::shutdown() {
  asio::post(impl_->ioc, [this] { impl_->drain(); });
}

}  // namespace qc::gw
