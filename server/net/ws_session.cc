// Beast unit 2 of 2: WebSocket sessions (live push). See docs/api.md
// ("Live push") for the protocol.
//
// Built for the fan-out (issue 4, "Speed"): little user-space work per
// delivery and little memory per idle connection.
//
// - Handshake: Beast has parsed the upgrade request (http_server.cc); we
//   check it as Beast's accept did and answer the 101 ourselves. From then
//   on the connection is a plain socket with our own RFC 6455 codec
//   (ws_frame.h); Beast's websocket::stream is not used.
// - Idle connections hold no buffers: a connection waits for readability
//   (async_wait) and reads into a per-thread scratch buffer; it keeps bytes
//   only for an incomplete frame or message, and unsent bytes only while the
//   client does not read. No timer per connection: the sweep of ws_loop.h
//   handles the handshake/closing timeouts, idle pings and timeout, and the
//   slow-reader timeout.
// - Deliveries: the shard thread stores the frame in the connection's
//   outbox (conflation: only the newest per topic) and, unless a network
//   thread already works on the connection, queues it on its loop (one post
//   per shard group or Batch, ws_loop.h). The network thread then
//   writes everything pending for the connection with one sendmsg(): a 2-10
//   byte header built on the spot next to the shared payload (gather write;
//   the payload is never copied), at once without waiting for writability.
//   Only when the socket buffer is full does it keep the unsent rest and
//   wait (async_wait) for the socket to take more.
//
// Threads: a connection is run by one network thread at a time (`busy_`
// under `mu_`, a strand without allocation). Shard threads only touch the
// state under `mu_` (outbox, topics, close requests); never I/O under it.
//
// Limits and close codes (as before, docs/api.md): messages larger than
// ws_message_bytes 1009; protocol errors 1002; invalid UTF-8 1007; more
// frames (of any kind, control frames too) than the message rate 4029; the
// fifth failed subscribe 1008; unsent bytes over
// send_backlog_bytes, or one write pending longer than slow_timeout_ms, 4000;
// shutdown 1001; silent for idle_timeout_ms: closed (pinged at half of it);
// opening or closing handshake longer than handshake_timeout_ms: closed.
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "server/infra/log.h"
#include "server/net/net.h"
#include "server/live/outbox.h"
#include "server/wire/ws_frame.h"
#include "server/net/ws_loop.h"

namespace qc::gw::net {
namespace {

using Steady = std::chrono::steady_clock;
using Socket = asio::basic_stream_socket<tcp, asio::io_context::executor_type>;
constexpr std::uint16_t kCloseTooSlow = 4000;
constexpr std::uint16_t kCloseRate = 4029;
constexpr int kMaxFailedSubscribes = 5;
constexpr std::size_t kMaxControl = 32;
constexpr std::size_t kScratchBytes = 16 * 1024;
constexpr std::size_t kMaxProtocolBytes = 4 * 1024;  // queued pongs beyond: dropped
constexpr int kMaxIov = 64;
constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

// One frame being written: its header, built on the spot, and the shared
// payload. hdr_len 0: `body` is a whole prebuilt frame (101, ping, close).
struct Out {
  std::shared_ptr<const std::string> body;
  Steady::time_point published{};
  std::uint8_t hdr[ws::kMaxHeader];
  std::uint8_t hdr_len = 0;
  std::size_t size() const { return hdr_len + body->size(); }
};

// Per network thread: where reads land and where a flush gathers its frames.
struct Scratch {
  char read[kScratchBytes];
  std::vector<Frame> frames;
  std::vector<Out> items;
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// A connection's subscribed topics; a topic's index is its outbox key. Every
// delivery looks its topic up here: the first topic's kind and key are kept
// inline (in the connection's object, next to its mutex) when short, so the
// usual connection, which follows one topic, compares without another cache
// miss.
class Topics {
 public:
  std::uint32_t find_or_add(const Topic& t, bool* added) {
    const std::string& k = t.key;
    if (first_len_ != 0 && t.kind == first_kind_ && k.size() == first_len_ &&
        std::memcmp(first_, k.data(), k.size()) == 0)
      return 0;
    const std::uint32_t base = first_len_ != 0 ? 1 : 0;
    for (std::size_t i = 0; i < rest_.size(); ++i)
      if (rest_[i] == t) return base + static_cast<std::uint32_t>(i);
    *added = true;
    if (first_len_ == 0 && rest_.empty() && !k.empty() && k.size() <= kInline) {
      std::memcpy(first_, k.data(), k.size());
      first_len_ = static_cast<std::uint8_t>(k.size());
      first_kind_ = t.kind;
      return 0;
    }
    rest_.push_back(t);
    return base + static_cast<std::uint32_t>(rest_.size() - 1);
  }
  std::size_t size() const { return (first_len_ != 0 ? 1 : 0) + rest_.size(); }
  std::vector<Topic> all() const {
    std::vector<Topic> out;
    if (first_len_ != 0) out.push_back(Topic{first_kind_, std::string(first_, first_len_)});
    out.insert(out.end(), rest_.begin(), rest_.end());
    return out;
  }

 private:
  static constexpr std::size_t kInline = 45;
  std::uint8_t first_len_ = 0;  // 0: none inline
  TopicKind first_kind_ = TopicKind::kBoard;
  char first_[kInline];
  std::vector<Topic> rest_;
};

class WsConn final : public Subscriber,
                     public Closable,
                     public LoopMember,
                     public std::enable_shared_from_this<WsConn> {
 public:
  WsConn(Shared& shared, WsLoop& loop, Socket socket, std::shared_ptr<Slot> slot, Format format)
      : shared_(shared),
        metrics_(shared.metrics),
        loop_(loop),
        sock_(std::move(socket)),
        slot_(std::move(slot)),
        format_(format),
        op_(format == Format::kProto ? ws::Opcode::kBinary : ws::Opcode::kText),
        rate_(shared.config.limits.ws_messages_per_second, shared.config.limits.ws_message_burst),
        reader_(shared.config.limits.ws_message_bytes) {
    shared_.metrics.ws_connections.fetch_add(1, std::memory_order_relaxed);
  }
  // May run after the server (Shared, the loop) is gone, when a shard task
  // held the last reference: touches neither then.
  ~WsConn() override {
    if (!orphaned()) loop_.remove(this);
    metrics_.ws_connections.fetch_sub(1, std::memory_order_relaxed);
    metrics_.subscriptions.fetch_sub(static_cast<std::int64_t>(topics_.size()),
                                     std::memory_order_relaxed);
  }

  // The 101 response goes out first; then the connection is open.
  void start(std::string response) {
    // Pushes go out at once: no Nagle delay behind a not yet acknowledged
    // frame (the reader's delayed ACK would hold the next view up to 40 ms).
    beast::error_code nodelay_ec;
    sock_.set_option(tcp::no_delay(true), nodelay_ec);
    const auto& l = shared_.config.limits;
    std::int64_t shortest = std::min({l.handshake_timeout_ms, l.idle_timeout_ms / 2, l.slow_timeout_ms});
    state_since_ = last_rx_ = steady_ms();
    spill().proto = std::move(response);
    {
      std::lock_guard lock(shared_.mu);
      shared_.websockets.insert(weak_from_this());
    }
    loop_.add(this, std::clamp<std::int64_t>(shortest / 4, 10, 1000));
    wait_read();
    run(kFlush);
  }

  Format format() const override { return format_; }

  // ---- Subscriber (shard threads) ----

  void deliver(const Topic& topic, Frame frame) override {
    std::unique_lock lock(mu_);
    if (closing_) return;
    if (outbox_.put(topic_index_locked(topic), std::move(frame)))
      shared_.metrics.ws_frames_conflated.fetch_add(1, std::memory_order_relaxed);
    check_backlog_locked();
    wake_locked(lock);
  }

  void send_control(std::shared_ptr<const std::string> bytes) override {
    std::unique_lock lock(mu_);
    if (closing_) return;
    if (!outbox_.put_control(std::move(bytes))) too_slow_ = true;
    check_backlog_locked();
    wake_locked(lock);
  }

  // ---- Closable (any thread) ----

  void close_going_away() override {
    std::unique_lock lock(mu_);
    request_close_locked(ws::kCloseGoingAway, "server going away");
    wake_locked(lock);
  }

  // ---- LoopMember (network threads) ----

  std::shared_ptr<LoopMember> lock_member() override { return weak_from_this().lock(); }

  void run(unsigned events) override {
    Scratch& s = scratch();
    {
      std::lock_guard lock(mu_);
      if (busy_) {
        again_ |= events;
        return;
      }
      busy_ = true;
      take_mail_locked(s);
    }
    for (;;) {
      if (events & kReadable) on_readable(s);
      if (events & kSweep) on_sweep();
      if (events & kWritable) write_waiting_ = false;
      handle_mail(s);
      pump(s);
      update_deadline();
      std::lock_guard lock(mu_);
      take_mail_locked(s);
      if (again_ == 0 && !mail_) {
        busy_ = false;
        return;
      }
      events = again_;
      again_ = 0;
    }
  }

 private:
  enum class State : std::uint8_t { kOpen, kClosing, kDraining, kDone };

  // ---- Mailbox (under mu_) ----

  std::uint32_t topic_index_locked(const Topic& topic) {
    bool added = false;
    std::uint32_t i = topics_.find_or_add(topic, &added);
    if (added) metrics_.subscriptions.fetch_add(1, std::memory_order_relaxed);
    return i;
  }

  void check_backlog_locked() {
    if (outbox_.bytes() + unsent_bytes_ > shared_.config.limits.send_backlog_bytes) too_slow_ = true;
  }

  void request_close_locked(std::uint16_t code, const char* reason) {
    if (closing_ || close_code_ != 0) return;
    close_code_ = code;
    close_reason_ = reason;
  }

  // Has a network thread run this connection: the one already running it
  // loops once more, or the connection is queued on its loop.
  void wake_locked(std::unique_lock<std::mutex>& lock) {
    if (busy_) {
      again_ |= kFlush;
      return;
    }
    if (queued_) return;
    queued_ = true;
    lock.unlock();
    loop_.wake(shared_from_this());
  }

  // With mu_ held by the running thread: what the shard threads left for it.
  void take_mail_locked(Scratch& s) {
    queued_ = false;
    mail_ = false;
    if (too_slow_ && !closing_) {
      mail_slow_ = true;
      mail_ = true;
    } else if (close_code_ != 0 && !closing_) {
      mail_close_ = close_code_;
      mail_reason_ = close_reason_;
      close_code_ = 0;
      mail_ = true;
    } else if (state_ == State::kOpen && !has_unsent() && !outbox_.empty()) {
      outbox_.take_all(&s.frames);
      mail_ = true;
    }
  }

  void handle_mail(Scratch& s) {
    if (mail_slow_) {
      mail_slow_ = false;
      shared_.metrics.ws_closed_slow.fetch_add(1, std::memory_order_relaxed);
      begin_close(kCloseTooSlow, "too slow: send backlog exceeded");
    } else if (mail_close_ != 0) {
      std::uint16_t code = mail_close_;
      mail_close_ = 0;
      begin_close(code, mail_reason_);
    }
    if (state_ != State::kOpen) s.frames.clear();
  }

  // ---- Writing ----

  // Writes what is pending, in order: the rest of a blocked write, queued
  // protocol frames (101, pongs, pings, close), then the frames taken from
  // the outbox, all in one sendmsg() when the socket takes them.
  void pump(Scratch& s) {
    if (state_ == State::kDone) return;
    if (has_unsent()) {
      if (write_waiting_ || !write(spill_->unsent, spill_->unsent_off)) return;
    }
    auto& items = s.items;
    if (has_proto()) {
      items.push_back(Out{std::make_shared<const std::string>(std::move(spill_->proto)), {}, {}, 0});
      std::string().swap(spill_->proto);
    }
    for (Frame& f : s.frames) {
      if (!f.bytes) continue;
      Out o{std::move(f.bytes), f.published, {}, 0};
      o.hdr_len = static_cast<std::uint8_t>(ws::encode_header(op_, o.body->size(), o.hdr));
      items.push_back(std::move(o));
    }
    s.frames.clear();
    if (!items.empty()) {
      std::size_t off = 0;
      write(items, off);
      items.clear();
      if (state_ == State::kDone || has_unsent()) return;
    }
    opened_ = true;  // the 101 is out
    release_spill();
    if (state_ == State::kClosing && !has_proto() && (peer_closed_ || reader_broken_)) {
      // Our close frame is out and theirs came (or cannot be read): send our
      // FIN and wait for theirs (Beast's teardown).
      ::shutdown(sock_.native_handle(), SHUT_WR);
      state_ = State::kDraining;
    }
  }

  // Writes items (from `off` bytes into the first). True when all are
  // written; otherwise the rest is in unsent_ and a write wait is armed (or
  // the connection is done).
  bool write(std::vector<Out>& items, std::size_t& off) {
    std::size_t first = 0;
    while (first < items.size()) {
      iovec iov[kMaxIov];
      int n = 0;
      std::size_t skip = off;
      std::size_t attempted = 0;
      for (std::size_t i = first; i < items.size() && n + 2 <= kMaxIov; ++i) {
        Out& o = items[i];
        if (skip < o.hdr_len) {
          iov[n++] = {o.hdr + skip, o.hdr_len - skip};
          attempted += o.hdr_len - skip;
          skip = 0;
        } else {
          skip -= o.hdr_len;
        }
        iov[n++] = {const_cast<char*>(o.body->data()) + skip, o.body->size() - skip};
        attempted += o.body->size() - skip;
        skip = 0;
      }
      msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = static_cast<std::size_t>(n);
      ssize_t w = ::sendmsg(sock_.native_handle(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (w < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          abort_io();
          return false;
        }
        w = 0;
      }
      // Retire what is complete.
      auto left = static_cast<std::size_t>(w) + off;
      std::uint64_t sent = 0;
      Steady::time_point now{};
      while (first < items.size() && left >= items[first].size()) {
        Out& o = items[first];
        left -= o.size();
        if (o.hdr_len) {
          ++sent;
          if (o.published != Steady::time_point{}) {
            if (now == Steady::time_point{}) now = Steady::now();
            shared_.metrics.push_latency.observe_us(
                std::chrono::duration<double, std::micro>(now - o.published).count());
          }
        }
        o.body.reset();
        ++first;
      }
      off = left;
      if (sent) shared_.metrics.ws_frames_sent.fetch_add(sent, std::memory_order_relaxed);
      if (static_cast<std::size_t>(w) < attempted) break;  // the socket is full
    }
    if (first == items.size()) {
      if (spill_ && &items == &spill_->unsent) {
        std::vector<Out>().swap(spill_->unsent);
        spill_->unsent_off = 0;
        blocked_since_ = 0;
        std::lock_guard lock(mu_);
        unsent_bytes_ = 0;
      }
      return true;
    }
    // Blocked: keep the rest (whole frames: they are already committed).
    Spill& sp = spill();
    if (&items != &sp.unsent) {
      sp.unsent.assign(std::make_move_iterator(items.begin() + static_cast<std::ptrdiff_t>(first)),
                     std::make_move_iterator(items.end()));
      sp.unsent_off = off;
    } else {
      sp.unsent.erase(sp.unsent.begin(), sp.unsent.begin() + static_cast<std::ptrdiff_t>(first));
    }
    if (blocked_since_ == 0) blocked_since_ = steady_ms();
    std::size_t bytes = 0;
    for (const Out& o : sp.unsent) bytes += o.size();
    {
      std::lock_guard lock(mu_);
      unsent_bytes_ = bytes - sp.unsent_off;
      check_backlog_locked();
    }
    wait_write();
    return false;
  }

  void wait_write() {
    write_waiting_ = true;
    sock_.async_wait(Socket::wait_write, [self = shared_from_this()](beast::error_code ec) {
      self->run(kWritable);
    });
  }

  // ---- Reading ----

  void wait_read() {
    sock_.async_wait(Socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
      self->run(kReadable);
    });
  }

  void on_readable(Scratch& s) {
    if (state_ == State::kDone) return;
    ssize_t n = ::recv(sock_.native_handle(), s.read, sizeof s.read, MSG_DONTWAIT);
    if (n == 0) return abort_io();  // the peer's FIN (at the end of a close: normal)
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return abort_io();
      return wait_read();
    }
    last_rx_ = steady_ms();
    ping_sent_ = false;
    if (!reader_broken_ && state_ != State::kDraining) consume(s.read, static_cast<std::size_t>(n));
    if (state_ != State::kDone) wait_read();
  }

  // Parses what arrived (after what was kept of an incomplete frame).
  void consume(char* buf, std::size_t n) {
    char* data = buf;
    std::size_t size = n;
    if (spill_ && !spill_->partial.empty()) {
      spill_->partial.append(buf, n);
      data = spill_->partial.data();
      size = spill_->partial.size();
    }
    std::size_t off = 0;
    const std::int64_t now = steady_ms();
    while (off < size && state_ != State::kDone && !reader_broken_) {
      ws::Event ev;
      std::size_t used = reader_.next(data + off, size - off, &ev);
      off += used;
      if (ev.kind == ws::Event::kError) {
        on_protocol_error(ev);
        break;
      }
      // Every frame the client sends costs one token of its budget: data
      // frames and fragments, pings, pongs and closes alike.
      if (used > 0 && !rate_.take(now)) {
        on_flood();
        break;
      }
      if (ev.kind != ws::Event::kNone) on_event(ev);
      if (used == 0) break;
    }
    reader_.trim();
    if (reader_broken_ || state_ == State::kDone) {
      if (spill_) std::string().swap(spill_->partial);
      return release_spill();
    }
    if (data == buf) {
      if (off < size) spill().partial.assign(data + off, size - off);
    } else {
      spill_->partial.erase(0, off);
      if (spill_->partial.empty()) std::string().swap(spill_->partial);
    }
    release_spill();
  }

  void on_event(const ws::Event& ev) {
    switch (ev.kind) {
      case ws::Event::kMessage:
        if (state_ == State::kOpen) on_message(ev.payload);
        return;
      case ws::Event::kPing:
        if (state_ == State::kOpen && spill().proto.size() < kMaxProtocolBytes)
          spill_->proto += ws::encode_frame(ws::Opcode::kPong, ev.payload);
        return;
      case ws::Event::kPong:
        return;
      case ws::Event::kClose:
        peer_closed_ = true;
        if (state_ == State::kOpen) {
          // Echo their code (none if they sent none), then close.
          start_closing(ev.code == ws::kCloseNoStatus ? std::string()
                                                      : ws::close_payload(ev.code, ""));
        }
        return;
      default:
        return;
    }
  }

  // Over the frame budget: close 4029 and read nothing more (as after a
  // protocol error): a flood costs no further work.
  void on_flood() {
    shared_.metrics.ws_closed_rate.fetch_add(1, std::memory_order_relaxed);
    reader_broken_ = true;
    begin_close(kCloseRate, "too many frames");
  }

  void on_protocol_error(const ws::Event& ev) {
    reader_broken_ = true;
    if (ev.code == ws::kCloseTooBig)
      shared_.metrics.ws_closed_too_big.fetch_add(1, std::memory_order_relaxed);
    else
      log_event("debug", "ws_protocol_error", {{"error", ev.error}});
    begin_close(ev.code, ev.error);
  }

  void on_message(std::string_view bytes) {
    ClientRequest req;
    std::string msg;
    Error e = decode_client_message(bytes, format_, &req, &msg);
    if (e != Error::kOk) {
      send_control(std::make_shared<const std::string>(
          encode_ws_error(to_string(e), msg, format_, req.request_id)));
      return;
    }
    if (req.kind == ClientRequest::kPing) {
      send_control(std::make_shared<const std::string>(
          encode_pong(shared_.service.runtime().clock().now(), format_)));
      return;
    }
    // Subscribes still waiting for their shard count as well as confirmed
    // ones: pipelined subscribes cannot pass the cap while the server is busy.
    bool full;
    {
      std::lock_guard lock(mu_);
      full = static_cast<int>(topics_.size() + pending_subscribes_) >=
             shared_.config.limits.max_subscriptions_per_connection;
      if (!full) ++pending_subscribes_;
    }
    if (full) {
      send_control(std::make_shared<const std::string>(
          encode_ws_error("invalid_argument", "too many subscriptions on one connection", format_,
                          req.request_id)));
      return;
    }
    auto self = shared_from_this();
    shared_.service.subscribe(req, self, [self, id = req.request_id](SubscribeResult r) {
      self->on_subscribed(r, id);
    });
  }

  // Any thread (usually the shard's): the answer to a subscribe.
  void on_subscribed(const SubscribeResult& r, const std::string& request_id) {
    std::unique_lock lock(mu_);
    --pending_subscribes_;
    if (r.error != Error::kOk) {
      if (closing_) return;
      if (!outbox_.put_control(std::make_shared<const std::string>(
              encode_ws_error(to_string(r.error), r.message, format_, request_id))))
        too_slow_ = true;
      if ((r.error == Error::kUnauthorized || r.error == Error::kForbidden) &&
          ++failed_subscribes_ >= kMaxFailedSubscribes)
        request_close_locked(ws::kClosePolicy, "too many failed subscriptions");
      return wake_locked(lock);
    }
    if (!closing_) {
      for (const Topic& t : r.topics) topic_index_locked(t);
      if (request_id.empty()) return;
      if (!outbox_.put_control(std::make_shared<const std::string>(encode_subscribed(request_id, format_))))
        too_slow_ = true;
      return wake_locked(lock);
    }
    lock.unlock();
    for (const Topic& t : r.topics) shared_.service.unsubscribe(t, weak_from_this());
  }

  // ---- Timeouts (the loop's sweep) ----

  void on_sweep() {
    const auto& l = shared_.config.limits;
    const std::int64_t now = steady_ms();
    switch (state_) {
      case State::kOpen:
        if (!opened_ && now - state_since_ >= l.handshake_timeout_ms) return abort_io();
        if (blocked_since_ != 0 && now - blocked_since_ >= l.slow_timeout_ms) {
          shared_.metrics.ws_closed_slow.fetch_add(1, std::memory_order_relaxed);
          return begin_close(kCloseTooSlow, "too slow: a write stayed pending");
        }
        if (now - last_rx_ >= l.idle_timeout_ms) return abort_io();
        if (!ping_sent_ && now - last_rx_ >= l.idle_timeout_ms / 2) {
          ping_sent_ = true;
          if (spill().proto.size() < kMaxProtocolBytes) spill_->proto += ws::encode_frame(ws::Opcode::kPing, "");
        }
        return;
      case State::kClosing:
      case State::kDraining:
        if (now - state_since_ >= l.handshake_timeout_ms) abort_io();
        return;
      case State::kDone:
        return;
    }
  }

  void update_deadline() {
    const auto& l = shared_.config.limits;
    std::int64_t d = kNever;
    switch (state_) {
      case State::kOpen:
        d = last_rx_ + (ping_sent_ ? l.idle_timeout_ms : l.idle_timeout_ms / 2);
        if (blocked_since_ != 0) d = std::min(d, blocked_since_ + l.slow_timeout_ms);
        if (!opened_) d = std::min(d, state_since_ + l.handshake_timeout_ms);
        break;
      case State::kClosing:
      case State::kDraining:
        d = state_since_ + l.handshake_timeout_ms;
        break;
      case State::kDone:
        break;
    }
    deadline_ms.store(d, std::memory_order_relaxed);
  }

  // ---- Closing ----

  // We close: our close frame goes out after what is being written; then we
  // wait (handshake_timeout_ms) for theirs and their FIN.
  void begin_close(std::uint16_t code, const char* reason) {
    if (state_ != State::kOpen) return;
    start_closing(ws::close_payload(code, reason));
  }

  void start_closing(std::string close_body) {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
      outbox_.clear();
    }
    unregister();
    spill().proto += ws::encode_frame(ws::Opcode::kClose, close_body);
    state_ = State::kClosing;
    state_since_ = steady_ms();
  }

  // The connection is over (error, EOF, timeout): close the socket.
  void abort_io() {
    if (state_ == State::kDone) return;
    state_ = State::kDone;
    {
      std::lock_guard lock(mu_);
      closing_ = true;
      outbox_.clear();
      unsent_bytes_ = 0;
    }
    unregister();
    beast::error_code ec;
    sock_.close(ec);  // ends the pending waits
    spill_.reset();
    reader_.reset();
  }

  void unregister() {
    if (unregistered_) return;
    unregistered_ = true;
    std::vector<Topic> topics;
    {
      std::lock_guard lock(mu_);
      topics = topics_.all();
    }
    for (const auto& t : topics) shared_.service.unsubscribe(t, weak_from_this());
    std::lock_guard lock(shared_.mu);
    shared_.websockets.erase(weak_from_this());
  }

  Shared& shared_;
  Metrics& metrics_;  // outlives the server
  WsLoop& loop_;
  Socket sock_;
  std::shared_ptr<Slot> slot_;
  const Format format_;
  const ws::Opcode op_;

  // The running network thread only.
  State state_ = State::kOpen;
  bool opened_ = false;
  bool write_waiting_ = false;
  bool ping_sent_ = false;
  bool peer_closed_ = false;
  bool reader_broken_ = false;
  bool unregistered_ = false;
  bool mail_ = false;
  bool mail_slow_ = false;
  std::uint16_t mail_close_ = 0;
  const char* mail_reason_ = nullptr;
  TokenBucket rate_;
  ws::Reader reader_;
  // Bytes a connection holds only for a while (an idle one has none).
  struct Spill {
    std::string partial;      // an incomplete frame
    std::string proto;        // protocol frames to write (101, pong, ping, close; raw)
    std::vector<Out> unsent;  // the rest of a blocked write
    std::size_t unsent_off = 0;  // bytes of unsent[0] already written
    bool empty() const { return partial.empty() && proto.empty() && unsent.empty(); }
  };
  Spill& spill() {
    if (!spill_) spill_ = std::make_unique<Spill>();
    return *spill_;
  }
  void release_spill() {
    if (spill_ && spill_->empty()) spill_.reset();
  }
  bool has_unsent() const { return spill_ && !spill_->unsent.empty(); }
  bool has_proto() const { return spill_ && !spill_->proto.empty(); }
  std::unique_ptr<Spill> spill_;
  std::int64_t last_rx_ = 0;
  std::int64_t state_since_ = 0;
  std::int64_t blocked_since_ = 0;  // a write waits for the socket since (0: none)

  // Shared with the shard threads, under mu_ (what a delivery touches first,
  // together: few cache lines).
  std::mutex mu_;
  bool busy_ = false;
  bool queued_ = false;
  bool closing_ = false;
  bool too_slow_ = false;
  unsigned again_ = 0;
  Topics topics_;  // subscribed topics; outbox keys are their indexes
  std::size_t unsent_bytes_ = 0;
  Outbox outbox_{kMaxControl};
  int failed_subscribes_ = 0;
  std::size_t pending_subscribes_ = 0;  // sent to a shard, not yet answered
  std::uint16_t close_code_ = 0;
  const char* close_reason_ = nullptr;
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

// Answers a refused upgrade and drops the connection.
void refuse(beast::tcp_stream stream, http::status status, unsigned version, std::string body,
            bool json, bool upgrade_required = false) {
  auto res = std::make_shared<http::response<http::string_body>>(status, version);
  res->set(http::field::server, "queuecastd");
  res->set(http::field::content_type, json ? "application/json" : "text/plain");
  if (upgrade_required) res->set(http::field::sec_websocket_version, "13");
  res->body() = std::move(body);
  res->keep_alive(false);
  res->prepare_payload();
  auto s = std::make_shared<beast::tcp_stream>(std::move(stream));
  s->expires_after(std::chrono::seconds(10));
  http::async_write(*s, *res, [s, res](beast::error_code, std::size_t) {
    beast::error_code ec;
    s->socket().shutdown(tcp::socket::shutdown_both, ec);
  });
}

}  // namespace

void start_websocket(Shared& shared, beast::tcp_stream stream,
                     http::request<http::string_body> request, std::shared_ptr<Slot> slot) {
  std::string protocol;
  Format format;
  if (!pick_protocol(std::string_view(request[http::field::sec_websocket_protocol]), &protocol,
                     &format)) {
    return refuse(std::move(stream), http::status::bad_request, request.version(),
                  encode_error_body("invalid_argument",
                                    "subprotocol must be queuecast.v1.json or queuecast.v1.proto",
                                    Format::kJson),
                  true);
  }
  // The checks of Beast's accept (http_server.cc has checked the method,
  // version, Connection and Upgrade with websocket::is_upgrade).
  const unsigned version = request.version();
  if (request.find(http::field::host) == request.end())
    return refuse(std::move(stream), http::status::bad_request, version, "no Host", false);
  std::string_view key(request[http::field::sec_websocket_key]);
  if (key.empty() || key.size() > websocket::detail::sec_ws_key_type::static_capacity)
    return refuse(std::move(stream), http::status::bad_request, version, "bad Sec-WebSocket-Key", false);
  std::string_view ws_version(request[http::field::sec_websocket_version]);
  if (ws_version.empty())
    return refuse(std::move(stream), http::status::bad_request, version, "no Sec-WebSocket-Version", false);
  if (ws_version != "13")
    return refuse(std::move(stream), http::status::upgrade_required, version,
                  "bad Sec-WebSocket-Version", false, true);

  websocket::detail::sec_ws_accept_type accept;
  websocket::detail::make_sec_ws_accept(accept, key);
  std::string response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Accept: ";
  response.append(accept.data(), accept.size());
  response += "\r\nServer: queuecastd\r\n";
  if (!protocol.empty()) response += "Sec-WebSocket-Protocol: " + protocol + "\r\n";
  response += "\r\n";

  // Move the socket onto the io_context's plain executor (no strand: the
  // connection serializes itself, without allocating).
  auto& ioc = static_cast<asio::io_context&>(
      asio::query(stream.get_executor(), asio::execution::context));
  beast::error_code ec;
  auto& raw = stream.socket();
  auto proto = raw.local_endpoint(ec).protocol();
  if (ec) return;
  auto fd = raw.release(ec);
  if (ec) return;
  Socket socket(ioc);
  socket.assign(proto, fd, ec);
  if (ec) {
    ::close(fd);
    return;
  }
  request = {};  // the parsed request is not kept
  WsLoop& loop = asio::use_service<WsLoop>(ioc);
  auto conn = std::make_shared<WsConn>(shared, loop, std::move(socket), std::move(slot), format);
  conn->start(std::move(response));
}

}  // namespace qc::gw::net
