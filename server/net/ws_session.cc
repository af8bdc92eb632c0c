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
// The pieces (Beast-free, unit-tested without sockets): ws_handshake.h (the
// 101), ws_mailbox.h (what shard threads leave: conflated views, control
// frames, close requests; who runs the connection), ws_reader.h (frames in:
// reassembly, size and rate limits), ws_writer.h (frames out: the gather
// write, the rest of a blocked write), ws_state.h (open/closing/draining/done
// and the timeouts). WsConn below ties them to the socket and the loop.
//
// Threads: a connection is run by one network thread at a time (the
// mailbox's claim()/next(), a strand without allocation). Shard threads only
// touch the mailbox (under its mutex); never I/O under it.
//
// Limits and close codes (as before, docs/api.md): messages larger than
// ws_message_bytes 1009; protocol errors 1002; invalid UTF-8 1007; more
// frames (of any kind, control frames too) than the message rate 4029; the
// fifth failed subscribe 1008; unsent bytes over
// send_backlog_bytes, or one write pending longer than slow_timeout_ms, 4000;
// shutdown 1001; silent for idle_timeout_ms: closed (pinged at half of it);
// opening or closing handshake longer than handshake_timeout_ms: closed.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "server/infra/log.h"
#include "server/net/net.h"
#include "server/net/ws_handshake.h"
#include "server/net/ws_loop.h"
#include "server/net/ws_mailbox.h"
#include "server/net/ws_reader.h"
#include "server/net/ws_state.h"
#include "server/net/ws_writer.h"
#include "server/wire/ws_frame.h"

namespace qc::gw::net {
namespace {

using Socket = asio::basic_stream_socket<tcp, asio::io_context::executor_type>;
constexpr std::uint16_t kCloseTooSlow = 4000;
constexpr std::uint16_t kCloseRate = 4029;
constexpr std::size_t kScratchBytes = 16 * 1024;
constexpr std::size_t kMaxProtocolBytes = 4 * 1024;  // queued pongs beyond: dropped
static_assert(WsMailbox::kFlushEvent == LoopMember::kFlush);

// Per network thread: where reads land and where a flush gathers its frames.
struct Scratch {
  char read[kScratchBytes];
  std::vector<Frame> frames;
  std::vector<OutFrame> items;
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// One WebSocket connection: the socket and what ties the pieces together
// (ws_mailbox.h: what shard threads leave; ws_reader.h: frames in;
// ws_writer.h: frames out; ws_state.h: the states and timeouts).
class WsConn final : public WsClient,
                     public Closable,
                     public LoopMember,
                     public std::enable_shared_from_this<WsConn> {
 public:
  WsConn(Shared& shared, WsLoop& loop, Socket socket, std::shared_ptr<Slot> slot, Format format)
      : shared_(shared),
        loop_(loop),
        sock_(std::move(socket)),
        slot_(std::move(slot)),
        format_(format),
        op_(format == Format::kProto ? ws::Opcode::kBinary : ws::Opcode::kText),
        input_(shared.limits.ws_message_bytes, shared.limits.ws_messages_per_second,
               shared.limits.ws_message_burst),
        mailbox_(shared.metrics) {
    shared_.metrics.ws_connections.fetch_add(1, std::memory_order_relaxed);
  }
  // May run after the server (Shared, the loop) is gone, when a shard task
  // held the last reference: touches neither then.
  ~WsConn() override {
    if (!orphaned()) loop_.remove(this);
    mailbox_.metrics().ws_connections.fetch_sub(1, std::memory_order_relaxed);
  }

  // The 101 response goes out first; then the connection is open.
  void start(std::string response) {
    // Pushes go out at once: no Nagle delay behind a not yet acknowledged
    // frame (the reader's delayed ACK would hold the next view up to 40 ms).
    beast::error_code nodelay_ec;
    sock_.set_option(tcp::no_delay(true), nodelay_ec);
    state_.start(steady_ms());
    out_.add_protocol(response);
    {
      std::lock_guard lock(shared_.mu);
      shared_.websockets.insert(weak_from_this());
    }
    loop_.add(this, timeouts().sweep_period_ms());
    wait_read();
    run(kFlush);
  }

  Format format() const override { return format_; }

  // ---- Subscriber (shard threads) ----

  void deliver(const Topic& topic, Frame frame) override {
    if (mailbox_.deliver(topic, std::move(frame), backlog())) wake();
  }

  void send_control(std::shared_ptr<const std::string> bytes) override {
    if (mailbox_.put_control(std::move(bytes), backlog())) wake();
  }

  void reconnect_elsewhere() override {
    if (mailbox_.request_close(ws::kCloseServiceRestart, "partition moved; reconnect")) wake();
  }

  // ---- Closable (any thread) ----

  void close_going_away() override {
    if (mailbox_.request_close(ws::kCloseGoingAway, "server going away")) wake();
  }

  // ---- LoopMember (network threads) ----

  std::shared_ptr<LoopMember> lock_member() override { return weak_from_this().lock(); }

  void run(unsigned events) override {
    Scratch& s = scratch();
    WsMailbox::Mail mail;
    if (!mailbox_.claim(events, wants_frames(), &s.frames, &mail)) return;
    do {
      if (events & kReadable) on_readable(s);
      if (events & kSweep) on_sweep();
      if (events & kWritable) write_waiting_ = false;
      handle_mail(s, mail);
      pump(s);
      deadline_ms.store(state_.deadline(timeouts()), std::memory_order_relaxed);
    } while (mailbox_.next(wants_frames(), &s.frames, &mail, &events));
  }

  // ---- Input (WsInput's handler) ----

  bool stopped() const { return state_.done(); }

  void on_event(const ws::Event& ev) {
    switch (ev.kind) {
      case ws::Event::kMessage:
        if (state_.open()) on_message(ev.payload);
        return;
      case ws::Event::kPing:
        if (state_.open()) out_.add_protocol(ws::encode_frame(ws::Opcode::kPong, ev.payload), kMaxProtocolBytes);
        return;
      case ws::Event::kPong:
        return;
      case ws::Event::kClose:
        state_.set_peer_closed();
        if (state_.open()) {
          // Echo their code (none if they sent none), then close.
          start_closing(ev.code == ws::kCloseNoStatus ? std::string()
                                                      : ws::close_payload(ev.code, ""));
        }
        return;
      default:
        return;
    }
  }

  // A protocol error: close with its code; the input reads nothing more.
  void on_error(const ws::Event& ev) {
    if (ev.code == ws::kCloseTooBig)
      shared_.metrics.ws_closed_too_big.fetch_add(1, std::memory_order_relaxed);
    else
      log_event("debug", "ws_protocol_error", {{"error", ev.error}});
    begin_close(ev.code, ev.error);
  }

  // Over the frame budget: close 4029 (the input reads nothing more, as
  // after a protocol error: a flood costs no further work).
  void on_flood() {
    shared_.metrics.ws_closed_rate.fetch_add(1, std::memory_order_relaxed);
    begin_close(kCloseRate, "too many frames");
  }

 private:
  WsTimeouts timeouts() const {
    const auto& l = shared_.limits;
    return {l.handshake_timeout_ms, l.idle_timeout_ms, l.slow_timeout_ms};
  }
  std::size_t backlog() const { return shared_.limits.send_backlog_bytes; }
  // Frames are taken from the mailbox only while open and nothing waits.
  bool wants_frames() const { return state_.open() && !out_.has_unsent(); }

  // Queues the connection on its loop (the mailbox said no thread runs it).
  void wake() { loop_.wake(shared_from_this()); }

  void handle_mail(Scratch& s, const WsMailbox::Mail& mail) {
    if (mail.slow) {
      shared_.metrics.ws_closed_slow.fetch_add(1, std::memory_order_relaxed);
      begin_close(kCloseTooSlow, "too slow: send backlog exceeded");
    } else if (mail.close != 0) {
      begin_close(mail.close, mail.reason);
    }
    if (!state_.open()) s.frames.clear();
  }

  // ---- Writing ----

  // Writes what is pending, in order: the rest of a blocked write, queued
  // protocol frames (101, pongs, pings, close), then the frames taken from
  // the mailbox, all in one sendmsg() when the socket takes them.
  void pump(Scratch& s) {
    if (state_.done()) return;
    if (write_waiting_ && out_.has_unsent()) return;
    const WsOutput::Progress p = out_.write(sock_.native_handle(), s.frames, op_, s.items, shared_.metrics);
    if (p.status == WsOutput::Progress::kFailed) return abort_io();
    if (p.unblocked) {
      state_.unblocked();
      mailbox_.clear_unsent();
    }
    if (p.status == WsOutput::Progress::kBlocked) {
      state_.blocked(steady_ms());
      mailbox_.set_unsent(p.unsent_bytes, backlog());
      return wait_write();
    }
    state_.opened();  // the 101 is out
    if (!out_.has_protocol() && state_.may_shut_down(input_.broken())) {
      // Our close frame is out and theirs came (or cannot be read): send our
      // FIN and wait for theirs (Beast's teardown).
      ::shutdown(sock_.native_handle(), SHUT_WR);
      state_.draining();
    }
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
    if (state_.done()) return;
    ssize_t n = ::recv(sock_.native_handle(), s.read, sizeof s.read, MSG_DONTWAIT);
    if (n == 0) return abort_io();  // the peer's FIN (at the end of a close: normal)
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return abort_io();
      return wait_read();
    }
    const std::int64_t now = steady_ms();
    state_.received(now);
    if (!input_.broken() && state_.phase() != WsState::Phase::kDraining)
      input_.feed(s.read, static_cast<std::size_t>(n), now, *this);
    if (!state_.done()) wait_read();
  }

  // A client message: the handler decodes and answers it (WsClient below).
  void on_message(std::string_view bytes) { shared_.handler.client_message(bytes, shared_from_this()); }

  // ---- WsClient (the handler: any thread, usually the shard's) ----

  // Subscribes still waiting for their shard count as well as confirmed
  // ones: pipelined subscribes cannot pass the cap while the server is busy.
  bool reserve_subscribe() override {
    return mailbox_.reserve_subscribe(shared_.limits.max_subscriptions_per_connection);
  }

  void subscribe_failed(const std::function<std::string()>& encode_error, bool auth_failure) override {
    if (mailbox_.subscribe_failed(encode_error, auth_failure)) wake();
  }

  bool subscribe_ok(const std::vector<Topic>& topics,
                    std::shared_ptr<const std::string> confirmation) override {
    bool wake_now = false;
    if (!mailbox_.subscribe_ok(topics, std::move(confirmation), &wake_now)) return false;
    if (wake_now) wake();
    return true;
  }

  // ---- Timeouts (the loop's sweep) ----

  void on_sweep() {
    switch (state_.sweep(steady_ms(), timeouts())) {
      case WsState::Due::kNothing:
        return;
      case WsState::Due::kAbort:
        return abort_io();
      case WsState::Due::kCloseSlow:
        shared_.metrics.ws_closed_slow.fetch_add(1, std::memory_order_relaxed);
        return begin_close(kCloseTooSlow, "too slow: a write stayed pending");
      case WsState::Due::kPing:
        out_.add_protocol(ws::encode_frame(ws::Opcode::kPing, ""), kMaxProtocolBytes);
        return;
    }
  }

  // ---- Closing ----

  // We close: our close frame goes out after what is being written; then we
  // wait (handshake_timeout_ms) for theirs and their FIN.
  void begin_close(std::uint16_t code, const char* reason) {
    if (!state_.open()) return;
    start_closing(ws::close_payload(code, reason));
  }

  void start_closing(std::string close_body) {
    mailbox_.close();
    unregister();
    out_.add_protocol(ws::encode_frame(ws::Opcode::kClose, close_body));
    state_.closing(steady_ms());
  }

  // The connection is over (error, EOF, timeout): close the socket.
  void abort_io() {
    if (state_.done()) return;
    state_.finish();
    mailbox_.close();
    mailbox_.clear_unsent();
    unregister();
    beast::error_code ec;
    sock_.close(ec);  // ends the pending waits
    out_.reset();
    input_.reset();
  }

  void unregister() {
    if (unregistered_) return;
    unregistered_ = true;
    for (const auto& t : mailbox_.topics()) shared_.handler.unsubscribe(t, weak_from_this());
    std::lock_guard lock(shared_.mu);
    shared_.websockets.erase(weak_from_this());
  }

  Shared& shared_;
  WsLoop& loop_;
  Socket sock_;
  std::shared_ptr<Slot> slot_;
  const Format format_;
  const ws::Opcode op_;

  // The running network thread only.
  bool write_waiting_ = false;  // (next to the two bytes above: no padding)
  bool unregistered_ = false;
  WsState state_;
  WsInput input_;
  WsOutput out_;

  // Shared with the shard threads (its own mutex).
  WsMailbox mailbox_;
};

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
                  shared.handler
                      .refusal(400, "invalid_argument",
                               "subprotocol must be queuecast.v1.json or queuecast.v1.proto")
                      .body,
                  true);
  }
  // The checks of Beast's accept (http_server.cc has checked the method,
  // version, Connection and Upgrade with websocket::is_upgrade).
  const unsigned version = request.version();
  if (request.find(http::field::host) == request.end())
    return refuse(std::move(stream), http::status::bad_request, version, "no Host", false);
  std::string_view key(request[http::field::sec_websocket_key]);
  if (key.empty() || key.size() > kMaxWebSocketKey)
    return refuse(std::move(stream), http::status::bad_request, version, "bad Sec-WebSocket-Key", false);
  std::string_view ws_version(request[http::field::sec_websocket_version]);
  if (ws_version.empty())
    return refuse(std::move(stream), http::status::bad_request, version, "no Sec-WebSocket-Version", false);
  if (ws_version != "13")
    return refuse(std::move(stream), http::status::upgrade_required, version,
                  "bad Sec-WebSocket-Version", false, true);

  std::string response = switching_protocols(key, protocol);

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
