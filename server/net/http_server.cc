// Beast unit 1 of 2: listener and HTTP sessions. See http_server.h.
#include "server/net/http_server.h"

#include <array>
#include <cstdio>
#include <cstring>
#include <deque>
#include <chrono>
#include <optional>
#include <thread>
#include <utility>
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
  void push(std::shared_ptr<HttpSession> session, std::uint64_t number, HttpResponse response) {
    bool post;
    {
      std::lock_guard lock(mu_);
      items_.push_back(Item{std::move(session), number, std::move(response)});
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
    std::uint64_t number;  // the request's, on its connection
    HttpResponse response;
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

// One HTTP/1.1 connection, on the raw socket (no Beast stream or composed
// operation: a request costs one read, one parse and, for all the answers
// ready at once, one gathered write):
//   - reading: whatever the socket has is read into `in_` and every whole
//     request in it is parsed (RequestReader) and handed to the Handler in
//     this pass, up to kMaxInFlight requests awaiting their answers
//     (pipelining); reading stops there and resumes as answers go out;
//   - answers come back in any order (Replies) and are written in the order
//     of their requests: all the answers ready at the front of the queue are
//     formatted into one buffer and sent with one write while the next ones
//     queue behind it;
//   - deadlines without a timer operation per request: `read_since_` (when
//     the wait for a request began, while none is in flight: the handshake
//     timeout for the first, the idle timeout after) and `write_since_` (the
//     write in flight: slow_timeout); one timer per connection checks them
//     when it fires and sets itself again for the earliest.
// A refused request (400/413/431) is answered after the answers before it,
// and the connection closes; so it does after a request that asks to close
// or an upgrade (the WebSocket session takes the socket once every answer
// before the upgrade is written).
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(Shared& shared, Replies& replies, tcp::socket socket, std::shared_ptr<Slot> slot)
      : shared_(shared),
        replies_(replies),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        reader_(shared.limits),
        slot_(std::move(slot)) {
    shared_.metrics.http_connections.fetch_add(1, std::memory_order_relaxed);
  }
  ~HttpSession() { shared_.metrics.http_connections.fetch_sub(1, std::memory_order_relaxed); }

  void run() {
    asio::dispatch(socket_.get_executor(), [self = shared_from_this()] {
      // Answers are written at once when the socket takes them (send_now()).
      beast::error_code ec;
      self->socket_.non_blocking(true, ec);
      self->read_since_ = Steady::now();
      self->arm_timer(self->read_since_ + self->read_timeout());
      self->read();
    });
  }

  // An answer from Replies: on this connection's strand, or on the only
  // network thread.
  void answer(std::uint64_t number, HttpResponse r) {
    shared_.http_inflight.fetch_sub(1);
    if (number < first_ || number - first_ >= queue_.size()) return;  // closed meanwhile
    Pending& p = queue_[number - first_];
    body_bytes_ -= std::exchange(p.body_bytes, 0);
    p.response = std::move(r);
    p.ready = true;
    flush();
  }
  auto executor() { return socket_.get_executor(); }

 private:
  // Requests read and not yet answered on one connection, at most (full()).
  static constexpr std::size_t kMaxInFlight = 64;
  // The buffer's first size; it doubles while a read would find less than
  // a quarter of it free (bounded: the parser refuses a head over 16 KiB and
  // takes a body as it comes, and reading stops at kMaxInFlight).
  static constexpr std::size_t kReadSize = 4 * 1024;

  struct Pending {
    HttpResponse response;
    Steady::time_point started;
    std::size_t body_bytes = 0;  // of the request, while it is in flight
    unsigned version = 11;
    bool keep_alive = true;
    bool head = false;
    bool ready = false;
  };

  // No new request while: 64 are in flight, their bodies reach the body
  // limit, or answers wait for the socket (a client that does not read
  // what it asked for gets nothing more read: its answers never pile up).
  bool full() const {
    return writing_ || queue_.size() >= kMaxInFlight ||
           (!queue_.empty() && body_bytes_ >= shared_.limits.http_body_bytes);
  }

  std::chrono::milliseconds read_timeout() const {
    const auto& l = shared_.limits;
    return std::chrono::milliseconds(first_request_ ? l.handshake_timeout_ms : l.http_idle_timeout_ms);
  }

  void read() {
    if (reading_ || closing_ || close_after_ || full()) return;
    // Used bytes go; the rest moves to the front when it is most of the buffer.
    if (begin_ == end_) {
      begin_ = end_ = 0;
    } else if (begin_ > in_.size() / 2) {
      std::memmove(in_.data(), in_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (in_.size() - end_ < std::max(kReadSize, in_.size()) / 4) in_.resize(std::max(in_.size() * 2, kReadSize));
    reading_ = true;
    socket_.async_read_some(asio::buffer(in_.data() + end_, in_.size() - end_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->on_read(ec, n);
                            });
  }

  void on_read(beast::error_code ec, std::size_t n) {
    reading_ = false;
    if (closing_) return;
    if (ec) {
      // The peer is gone (or half-closed): the answers already owed are
      // still written, then the connection closes.
      if (ec != asio::error::eof) fail(ec, "http read");
      if (ec == asio::error::eof && !queue_.empty()) {
        close_after_ = true;
        return;
      }
      return close();
    }
    end_ += n;
    parse();
    read();
  }

  // Every whole request in the buffer, to the handler.
  void parse() {
    // flush() may run inside (an answer ready at once): it must not parse.
    parsing_ = true;
    bool pass = false;
    while (!closing_ && !close_after_ && !upgrade_ && !full() && begin_ < end_) {
      std::size_t used = 0;
      const auto step =
          reader_.next(std::string_view(in_.data() + begin_, end_ - begin_), &used);
      begin_ += used;
      if (step == RequestReader::Step::kNeedMore) {
        continue_interim();
        break;
      }
      continued_ = false;
      if (step == RequestReader::Step::kError) {
        if (reader_.status() == 0) {  // not a request: no answer
          parsing_ = false;
          return close();
        }
        refuse(reader_.status(), reader_.error());
        break;
      }
      http::request<http::string_body> req = reader_.take();
      if (!pass && replies_.batch_submits()) {
        replies_.start_pass();
        pass = true;
      }
      handle(std::move(req));
    }
    // Bytes past a request after which the connection closes are not read.
    if (close_after_ || upgrade_) begin_ = end_;
    parsing_ = false;
  }

  // A client that asked to be told before it sends its body (curl does for
  // bodies over 1 KiB) gets "100 Continue" at once when nothing is owed
  // before it on the connection (otherwise it sends the body after its own
  // wait, a second for curl).
  void continue_interim() {
    if (continued_ || !reader_.wants_continue() || !queue_.empty() || writing_ || !out_.empty())
      return;
    continued_ = true;
    static constexpr std::string_view k100 = "HTTP/1.1 100 Continue\r\n\r\n";
    beast::error_code ec;
    const std::size_t sent = send_now(k100, &ec);
    // Tiny, into an idle socket: it goes at once; if not, the rest goes
    // ahead of the answer (a broken socket shows at the next read).
    if (!ec && sent < k100.size()) out_.assign(k100.substr(sent));
  }

  // What the socket takes of `bytes` now (non-blocking); *ec only for a
  // broken connection, not for a full socket buffer.
  std::size_t send_now(std::string_view bytes, beast::error_code* ec) {
    const std::size_t sent = socket_.write_some(asio::buffer(bytes.data(), bytes.size()), *ec);
    if (*ec == asio::error::would_block || *ec == asio::error::try_again) ec->clear();
    return *ec ? 0 : sent;
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

  void handle(http::request<http::string_body> req) {
    first_request_ = false;
    Pending& p = queue_.emplace_back();
    const std::uint64_t number = first_ + queue_.size() - 1;
    p.started = Steady::now();
    p.version = req.version();
    p.keep_alive = req.keep_alive();
    p.head = req.method() == http::verb::head;
    if (!p.keep_alive) close_after_ = true;
    if (websocket::is_upgrade(req)) {
      p.keep_alive = false;
      close_after_ = true;
      std::optional<HttpResponse> refused = shared_.handler.refuse_upgrade(
          std::string_view(req.target().data(), req.target().size()),
          std::string_view(req[http::field::origin]), std::string_view(req[http::field::host]));
      if (!refused && shared_.draining)
        refused = shared_.handler.refusal(503, "unavailable", "server is shutting down");
      if (refused) {
        p.response = std::move(*refused);
        p.ready = true;
        return flush();
      }
      // Taken over once every answer before it is written (flush()).
      queue_.pop_back();
      upgrade_.emplace(std::move(req));
      return flush();
    }
    std::string client = client_of(req);
    HttpRequest hr = to_http_request(req, client);
    p.body_bytes = hr.body.size();
    body_bytes_ += p.body_bytes;
    shared_.http_inflight.fetch_add(1);
    shared_.handler.handle(std::move(hr), [self = shared_from_this(), number](HttpResponse r) {
      self->replies_.push(self, number, std::move(r));
    });
  }

  // A refused request: answered after the ones before it, then the
  // connection is closed (nothing after it is read as a request).
  void refuse(int status, const std::string& message) {
    Pending& p = queue_.emplace_back();
    p.response = shared_.handler.refusal(status, status == 400 ? "bad_request" : "invalid_argument",
                                         message);
    p.keep_alive = false;
    p.ready = true;
    close_after_ = true;
    flush();
  }

  // Formats the answers ready at the front of the queue into `out_` and
  // writes them, unless a write is in flight (its completion comes back
  // here).
  void flush() {
    if (closing_) return;
    while (!queue_.empty() && queue_.front().ready) {
      Pending& p = queue_.front();
      format(p);
      const bool last = !p.keep_alive;
      queue_.pop_front();
      ++first_;
      if (last) {
        // Nothing after a closing answer is sent.
        first_ += queue_.size();
        queue_.clear();
        close_after_ = true;
        break;
      }
    }
    if (writing_) return;
    if (out_.empty()) {
      if (queue_.empty()) {
        if (upgrade_) return take_over();
        if (close_after_) return close();
        // Waiting for the next request again: the idle timeout runs (the
        // timer is set again only if it would fire after it).
        read_since_ = Steady::now();
        if (read_since_ + read_timeout() < timer_at_) arm_timer(read_since_ + read_timeout());
      }
      // Requests already read wait in the buffer while the connection is
      // full: taken now that answers went out, before the socket is read.
      if (begin_ < end_ && !full() && !parsing_) parse();
      return read();
    }
    // Most answers fit the socket's buffer: written now, without an
    // asynchronous operation (and its completion handler); the rest, if
    // any, goes out asynchronously.
    beast::error_code ec;
    const std::size_t sent = send_now(out_, &ec);
    if (ec) {
      fail(ec, "http write");
      return close();
    }
    if (sent == out_.size()) {
      out_.clear();
      return flush();  // reads on, or closes
    }
    writing_ = true;
    sending_.assign(out_, sent);
    out_.clear();
    write_since_ = Steady::now();
    const auto due = write_since_ + std::chrono::milliseconds(shared_.limits.slow_timeout_ms);
    if (due < timer_at_) arm_timer(due);
    asio::async_write(socket_, asio::buffer(sending_),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        self->writing_ = false;
                        self->write_since_ = {};
                        if (ec) {
                          fail(ec, "http write");
                          return self->close();
                        }
                        self->flush();
                      });
  }

  // The response head is written by hand (status line, Server,
  // Content-Type, the response's own headers, Content-Length, Connection),
  // followed by the body.
  void format(Pending& p) {
    HttpResponse& r = p.response;
    bool keep_alive = p.keep_alive;
    if (shared_.draining) keep_alive = p.keep_alive = false;
    out_ += p.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    char status[8];
    const int len = std::snprintf(status, sizeof status, "%d ", r.status);
    out_.append(status, static_cast<std::size_t>(len));
    const auto reason = http::obsolete_reason(static_cast<http::status>(r.status));
    out_.append(reason.data(), reason.size());
    out_ += "\r\nServer: queuecastd\r\nContent-Type: ";
    out_ += r.content_type;
    for (auto& [k, v] : r.headers) {
      out_ += "\r\n";
      out_ += k;
      out_ += ": ";
      out_ += v;
    }
    out_ += "\r\nContent-Length: ";
    out_ += std::to_string(r.body.size());
    if (p.version >= 11 && !keep_alive) out_ += "\r\nConnection: close";
    if (p.version < 11 && keep_alive) out_ += "\r\nConnection: keep-alive";
    out_ += "\r\n\r\n";
    if (!p.head) out_ += r.body;
    int cls = r.status / 100;
    if (cls >= 1 && cls <= 5) shared_.metrics.http_by_class[cls].fetch_add(1, std::memory_order_relaxed);
    if (p.started != Steady::time_point{})
      shared_.metrics.request_latency.observe_us(
          std::chrono::duration<double, std::micro>(Steady::now() - p.started).count());
  }

  void take_over() {
    closing_ = true;
    beast::error_code ec;
    timer_.cancel(ec);
    socket_.non_blocking(false, ec);  // as the WebSocket session expects it
    start_websocket(shared_, beast::tcp_stream(std::move(socket_)), std::move(*upgrade_),
                    std::move(slot_));
  }

  // The deadline check: on a timer that fires at the earliest deadline
  // known when it was set, and sets itself again; a deadline that moved
  // later since costs nothing per request.
  void arm_timer(Steady::time_point at) {
    timer_at_ = at;
    timer_.expires_at(at);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->on_timer();
    });
  }
  void on_timer() {
    if (closing_) return;
    const auto now = Steady::now();
    const auto& l = shared_.limits;
    Steady::time_point next = now + std::chrono::milliseconds(l.slow_timeout_ms);
    if (writing_) {
      const auto due = write_since_ + std::chrono::milliseconds(l.slow_timeout_ms);
      if (now >= due) return close();
      next = std::min(next, due);
    } else if (queue_.empty()) {
      // Waiting for a request (or for the rest of one).
      const auto due = read_since_ + read_timeout();
      if (now >= due) return close();
      next = std::min(next, due);
    }
    arm_timer(next);
  }

  void close() {
    if (closing_) return;
    closing_ = true;
    beast::error_code ec;
    timer_.cancel(ec);
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    socket_.close(ec);
  }

  Shared& shared_;
  Replies& replies_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  RequestReader reader_;
  std::shared_ptr<Slot> slot_;
  std::string in_;            // bytes read; [begin_, end_) not yet parsed
  std::size_t begin_ = 0, end_ = 0;
  std::deque<Pending> queue_;  // requests awaiting their answer, in order
  std::uint64_t first_ = 0;    // the number of queue_.front()
  std::size_t body_bytes_ = 0;  // of the requests in flight
  std::string out_;            // answers formatted, not yet written
  std::string sending_;        // the write in flight
  std::optional<http::request<http::string_body>> upgrade_;
  Steady::time_point read_since_{};
  Steady::time_point write_since_{};
  Steady::time_point timer_at_{};
  bool first_request_ = true;
  bool parsing_ = false;
  bool continued_ = false;  // "100 Continue" sent for the request being read
  bool reading_ = false;
  bool writing_ = false;
  bool close_after_ = false;  // after the answers owed
  bool closing_ = false;
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
      it.session->answer(it.number, std::move(it.response));
    } else {
      auto ex = it.session->executor();  // before the session moves into the handler
      asio::dispatch(ex, [s = std::move(it.session), n = it.number,
                          r = std::move(it.response)]() mutable { s->answer(n, std::move(r)); });
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
