// What one WebSocket client sends, from socket bytes to events: keeps the
// bytes of an incomplete frame between reads, parses and reassembles frames
// (ws::Reader: sizes, masking, UTF-8, close codes; server/wire/ws_frame.h) and
// holds the client to its frame budget: every frame costs one token
// (data frames and fragments, pings, pongs and closes alike).
//
// After a protocol error or an exhausted budget the input is broken: it
// reports that once and reads nothing more (a flood costs no further work).
//
// Memory: an idle input holds nothing on the heap (an incomplete frame or a
// fragmented message only while it lasts). Not thread-safe: the network
// thread that runs the connection owns it. No sockets: fed with bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "server/api/rate_limit.h"
#include "server/wire/ws_frame.h"

namespace qc::gw::net {

class WsInput {
 public:
  WsInput(std::size_t max_message, double frames_per_second, double burst)
      : reader_(max_message), rate_(frames_per_second, burst) {}

  // Parses buf[0, n) after what was kept of an incomplete frame; payloads
  // are unmasked in place. Calls, on `h`, in order:
  //   h.on_event(ev)  each complete event (ws::Event: message, ping, pong,
  //                   close);
  //   h.on_error(ev)  a protocol error (ev.code: the close code to send;
  //                   the input is broken);
  //   h.on_flood()    the frame budget is exhausted (the input is broken);
  // and stops early once h.stopped() is true (the connection is gone).
  template <class Handler>
  void feed(char* buf, std::size_t n, std::int64_t now_ms, Handler& h);

  // A protocol error or a flood ended the input.
  bool broken() const { return broken_; }
  // Bytes kept of an incomplete frame.
  std::size_t pending_bytes() const { return partial_ ? partial_->size() : 0; }
  // Frees everything held (the connection is over).
  void reset() {
    partial_.reset();
    reader_.reset();
  }

 private:
  ws::Reader reader_;
  TokenBucket rate_;
  bool broken_ = false;
  std::unique_ptr<std::string> partial_;  // an incomplete frame (only then)
};

template <class Handler>
void WsInput::feed(char* buf, std::size_t n, std::int64_t now_ms, Handler& h) {
  char* data = buf;
  std::size_t size = n;
  if (partial_) {
    partial_->append(buf, n);
    data = partial_->data();
    size = partial_->size();
  }
  std::size_t off = 0;
  while (off < size && !h.stopped() && !broken_) {
    ws::Event ev;
    std::size_t used = reader_.next(data + off, size - off, &ev);
    off += used;
    if (ev.kind == ws::Event::kError) {
      broken_ = true;
      h.on_error(ev);
      break;
    }
    if (used > 0 && !rate_.take(now_ms)) {
      broken_ = true;
      h.on_flood();
      break;
    }
    if (ev.kind != ws::Event::kNone) h.on_event(ev);
    if (used == 0) break;
  }
  reader_.trim();
  if (broken_ || h.stopped()) {
    partial_.reset();
    return;
  }
  if (data == buf) {
    if (off < size) partial_ = std::make_unique<std::string>(data + off, size - off);
  } else {
    partial_->erase(0, off);
    if (partial_->empty()) partial_.reset();
  }
}

}  // namespace qc::gw::net
