// RFC 6455 framing for the server side of queuecastd's WebSocket: a sans-I/O
// reader of client frames and the encoder of server frame headers. Pure (no
// Boost, no sockets); fuzzed by tests/fuzz/fuzz_ws_frame.cc.
//
// Reader: give it bytes, it reports complete events (data messages, pings,
// pongs, closes) or the error that ends the connection, with the close code
// the server sends for it (the codes and checks Beast applied before):
//   1002 protocol error: unmasked client frame, RSV bits (no extension is
//        negotiated), unknown opcode, fragmented or oversized (> 125 bytes)
//        control frame, continuation without a message or a new message in
//        the middle of a fragmented one, non-minimal or 64-bit-overflowing
//        payload length, close payload of 1 byte or with a reserved code;
//   1007 invalid UTF-8 in a text message or a close reason;
//   1009 a data message (all its fragments) larger than `max_message`.
// It never buffers more than one data message (<= max_message bytes) plus
// nothing else: the caller keeps the bytes of an incomplete frame (at most
// 14 header bytes + max(max_message, 125) payload bytes) and hands them in
// again, followed by more, on the next call.
//
// Ownership: an event's payload points into the caller's buffer (a message
// in one frame: unmasked in place, no copy) or into the reader (a fragmented
// message); valid until the next call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "server/infra/utf8.h"

namespace qc::gw::ws {

enum class Opcode : std::uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// Close codes (RFC 6455 section 7.4, plus ours: see docs/api.md).
inline constexpr std::uint16_t kCloseNormal = 1000;
inline constexpr std::uint16_t kCloseGoingAway = 1001;
inline constexpr std::uint16_t kCloseServiceRestart = 1012;  // cluster: reconnect elsewhere
inline constexpr std::uint16_t kCloseProtocol = 1002;
inline constexpr std::uint16_t kCloseNoStatus = 1005;  // never sent: "the close had no code"
inline constexpr std::uint16_t kCloseBadData = 1007;
inline constexpr std::uint16_t kClosePolicy = 1008;
inline constexpr std::uint16_t kCloseTooBig = 1009;

inline constexpr std::size_t kMaxHeader = 10;       // a server frame header (no mask)
inline constexpr std::size_t kMaxClientHeader = 14; // a client frame header (with mask)
inline constexpr std::size_t kMaxControlPayload = 125;

struct Event {
  enum Kind : std::uint8_t { kNone, kMessage, kPing, kPong, kClose, kError };
  Kind kind = kNone;
  bool binary = false;            // kMessage: a binary (not text) message
  std::string_view payload;       // kMessage, kPing, kPong; kClose: the reason
  std::uint16_t code = 0;         // kClose: the peer's code (kCloseNoStatus if none);
                                  // kError: the close code to answer with
  const char* error = nullptr;    // kError: what was wrong (static text)
};

class Reader {
 public:
  explicit Reader(std::size_t max_message) : max_message_(max_message) {}

  // Reads the first event of buf[0, size) (mutable: payloads are unmasked in
  // place). Returns the bytes consumed; *ev is kNone when buf holds no
  // complete frame (then nothing was consumed from that incomplete frame) or
  // when the frame consumed was a fragment that completes nothing yet.
  // After a kError, the reader must not be used again.
  std::size_t next(char* buf, std::size_t size, Event* ev);

  // True while a fragmented message is being assembled.
  bool in_message() const { return in_message_; }
  // Frees the last assembled message once the caller is done with its event
  // (an idle connection then holds nothing).
  void trim() {
    if (!in_message_) message_.reset();
  }
  // Frees what a partial message holds (for a closing connection).
  void reset();

 private:
  std::size_t max_message_;
  std::unique_ptr<std::string> message_;  // the fragments of a message so far (only then)
  bool in_message_ = false;
  bool message_binary_ = false;
  bool failed_ = false;
};

// Writes the header of an unmasked server frame with FIN set into out
// (kMaxHeader bytes) and returns its length: 2, 4 or 10.
std::size_t encode_header(Opcode op, std::uint64_t payload_size, std::uint8_t* out);

// A whole server frame (header + payload), for the small control frames.
std::string encode_frame(Opcode op, std::string_view payload);

// A close frame's payload: the code then the reason, cut to fit 125 bytes
// (on a UTF-8 boundary).
std::string close_payload(std::uint16_t code, std::string_view reason);

// RFC 3629 UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
using gw::valid_utf8;  // server/infra/utf8.h

// Whether a peer may send `code` in a close frame (RFC 6455 7.4).
bool valid_close_code(std::uint16_t code);

}  // namespace qc::gw::ws
