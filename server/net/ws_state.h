// A WebSocket connection's state machine and its deadlines, without I/O:
//
//   kOpen ----(we close, or the peer's close is echoed)----> kClosing
//   kClosing --(our close frame is out and theirs came, or cannot be read:
//               our FIN goes out)--> kDraining
//   any ----(error, EOF, a timeout)----> kDone (the socket is closed)
//
// Timeouts (ws_session.cc's sweep asks sweep() when deadline() passed):
//   - the 101 not written within handshake_ms: abort;
//   - one write pending longer than slow_ms: close 4000 (too slow);
//   - nothing received for idle_ms: abort; for idle_ms / 2: one ping;
//   - kClosing/kDraining longer than handshake_ms: abort.
// Times are steady milliseconds. Not thread-safe: the network thread that
// runs the connection owns it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

namespace qc::gw::net {

struct WsTimeouts {
  std::int64_t handshake_ms = 0;
  std::int64_t idle_ms = 0;
  std::int64_t slow_ms = 0;
  // How often a sweep should look: a quarter of the shortest timeout, within
  // 10 ms .. 1 s.
  std::int64_t sweep_period_ms() const {
    return std::clamp<std::int64_t>(std::min({handshake_ms, idle_ms / 2, slow_ms}) / 4, 10, 1000);
  }
};

class WsState {
 public:
  enum class Phase : std::uint8_t { kOpen, kClosing, kDraining, kDone };
  // What a sweep found due.
  enum class Due : std::uint8_t { kNothing, kAbort, kCloseSlow, kPing };
  static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

  // The connection starts (its 101 is queued).
  void start(std::int64_t now) { since_ = last_rx_ = now; }

  Phase phase() const { return phase_; }
  bool open() const { return phase_ == Phase::kOpen; }
  bool done() const { return phase_ == Phase::kDone; }
  bool peer_closed() const { return peer_closed_; }

  // Bytes came in: the idle timer restarts (and a new ping may follow).
  void received(std::int64_t now) {
    last_rx_ = now;
    ping_sent_ = false;
  }
  // The 101 is out.
  void opened() { opened_ = true; }
  // A write waits for the socket (since the first time it did), or no more.
  void blocked(std::int64_t now) {
    if (blocked_since_ == 0) blocked_since_ = now;
  }
  void unblocked() { blocked_since_ = 0; }
  // The peer's close frame came.
  void set_peer_closed() { peer_closed_ = true; }

  // Transitions (see the diagram above).
  void closing(std::int64_t now) {
    phase_ = Phase::kClosing;
    since_ = now;
  }
  void draining() { phase_ = Phase::kDraining; }
  void finish() { phase_ = Phase::kDone; }

  // kClosing, our close frame written: whether to send our FIN now (theirs
  // came, or `reader_broken`: it cannot be read).
  bool may_shut_down(bool reader_broken) const {
    return phase_ == Phase::kClosing && (peer_closed_ || reader_broken);
  }

  // What is due at `now`. kPing is returned once per silence (the caller
  // sends it); kAbort and kCloseSlow change nothing here: the caller acts.
  Due sweep(std::int64_t now, const WsTimeouts& t) {
    switch (phase_) {
      case Phase::kOpen:
        if (!opened_ && now - since_ >= t.handshake_ms) return Due::kAbort;
        if (blocked_since_ != 0 && now - blocked_since_ >= t.slow_ms) return Due::kCloseSlow;
        if (now - last_rx_ >= t.idle_ms) return Due::kAbort;
        if (!ping_sent_ && now - last_rx_ >= t.idle_ms / 2) {
          ping_sent_ = true;
          return Due::kPing;
        }
        return Due::kNothing;
      case Phase::kClosing:
      case Phase::kDraining:
        return now - since_ >= t.handshake_ms ? Due::kAbort : Due::kNothing;
      case Phase::kDone:
        return Due::kNothing;
    }
    return Due::kNothing;
  }

  // When sweep() has something to do next (kNever: nothing).
  std::int64_t deadline(const WsTimeouts& t) const {
    std::int64_t d = kNever;
    switch (phase_) {
      case Phase::kOpen:
        d = last_rx_ + (ping_sent_ ? t.idle_ms : t.idle_ms / 2);
        if (blocked_since_ != 0) d = std::min(d, blocked_since_ + t.slow_ms);
        if (!opened_) d = std::min(d, since_ + t.handshake_ms);
        break;
      case Phase::kClosing:
      case Phase::kDraining:
        d = since_ + t.handshake_ms;
        break;
      case Phase::kDone:
        break;
    }
    return d;
  }

 private:
  Phase phase_ = Phase::kOpen;
  bool opened_ = false;
  bool ping_sent_ = false;
  bool peer_closed_ = false;
  std::int64_t last_rx_ = 0;
  std::int64_t since_ = 0;          // of the handshake, or of kClosing
  std::int64_t blocked_since_ = 0;  // 0: no write waits
};

}  // namespace qc::gw::net
