// Frames out to one WebSocket client.
//
// gather_write(): sends a connection's pending frames with one sendmsg() (up
// to kMaxIov pieces per call), each a 2-10 byte header built on the spot next
// to the shared payload, so a payload is never copied. Never blocks: it stops
// when the socket buffer is full and says how far it got.
//
// WsOutput: what a connection writes besides the views of its mailbox
// (protocol frames: the 101, pongs, pings, the close) and the rest of a
// write the socket did not take, kept until it does (whole frames: they are
// committed). Held on the heap only while there is any: an idle connection
// holds nothing.
//
// No Beast (tested on a socketpair). gather_write() is thread-safe as far as
// the items are not shared; a WsOutput belongs to the network thread running
// its connection.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/infra/metrics.h"
#include "server/live/subscriber.h"
#include "server/wire/ws_frame.h"

namespace qc::gw::net {

// One frame to write: its header and the shared payload. hdr_len 0: `body`
// is a whole prebuilt frame or bytes (the 101, pings, pongs, close).
struct OutFrame {
  std::shared_ptr<const std::string> body;
  std::chrono::steady_clock::time_point published{};  // of a view (else zero)
  std::uint8_t hdr[ws::kMaxHeader];
  std::uint8_t hdr_len = 0;
  std::size_t size() const { return hdr_len + body->size(); }

  // A frame of `op` around `payload`.
  static OutFrame framed(ws::Opcode op, std::shared_ptr<const std::string> payload,
                         std::chrono::steady_clock::time_point published);
  // Bytes written as they are.
  static OutFrame raw(std::shared_ptr<const std::string> bytes);
};

struct GatherResult {
  std::size_t done = 0;  // items written completely (their bodies released)
  std::size_t off = 0;   // bytes of items[done] written
  bool failed = false;   // the socket failed (not EAGAIN/EINTR): give up
};

inline constexpr int kMaxIov = 64;

// Writes items, from `off` bytes into the first, to the non-blocking socket
// `fd` until all are written or the socket takes no more. Counts the framed
// items written completely in metrics.ws_frames_sent and, for those with a
// publication time, the time since in metrics.push_latency.
GatherResult gather_write(int fd, std::vector<OutFrame>& items, std::size_t off, Metrics& metrics);

class WsOutput {
 public:
  // Queues a protocol frame (whole, raw bytes) unless `limit` bytes or more
  // already wait (then it is dropped: a client that pings faster than it
  // reads gets no more pongs).
  void add_protocol(std::string_view frame, std::size_t limit = SIZE_MAX);
  bool has_protocol() const { return held_ && !held_->proto.empty(); }
  // The rest of a blocked write waits for the socket.
  bool has_unsent() const { return held_ && !held_->unsent.empty(); }

  struct Progress {
    enum Status : std::uint8_t { kWritten, kBlocked, kFailed };
    Status status = kWritten;
    bool unblocked = false;        // the rest of an earlier blocked write went out
    std::size_t unsent_bytes = 0;  // kBlocked: the bytes kept
  };
  // Writes, in order, the rest of a blocked write and, once it is out, the
  // protocol frames and then `views` (framed as `op`; taken), all in one
  // sendmsg() when the socket takes them. kWritten: nothing is held any
  // more. kBlocked: the rest is kept (views and protocol frames not yet
  // written stay queued when the earlier rest itself blocked). kFailed: the
  // socket failed. `scratch`: reused storage (left empty).
  Progress write(int fd, std::vector<Frame>& views, ws::Opcode op, std::vector<OutFrame>& scratch,
                 Metrics& metrics);
  // Frees everything (the connection is over).
  void reset() { held_.reset(); }

 private:
  struct Held {
    std::string proto;             // protocol frames (raw)
    std::vector<OutFrame> unsent;  // the rest of a blocked write
    std::size_t unsent_off = 0;    // bytes of unsent[0] already written
  };
  Held& held() {
    if (!held_) held_ = std::make_unique<Held>();
    return *held_;
  }
  // Writes items from `off` bytes; keeps what the socket did not take.
  Progress write_items(int fd, std::vector<OutFrame>& items, std::size_t off, Metrics& metrics);
  std::unique_ptr<Held> held_;
};

}  // namespace qc::gw::net
