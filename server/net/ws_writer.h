// The gather writer: sends a connection's pending frames with one sendmsg()
// (up to kMaxIov pieces per call), each a 2-10 byte header built on the spot
// next to the shared payload, so a payload is never copied. Never blocks: it
// stops when the socket buffer is full and says how far it got.
//
// Pure apart from the one socket call; no Beast (tested on a socketpair).
// Thread-safe as far as the items are not shared.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "server/infra/metrics.h"
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

}  // namespace qc::gw::net
