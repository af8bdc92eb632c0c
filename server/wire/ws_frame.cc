#include "server/wire/ws_frame.h"

#include <cstring>

namespace qc::gw::ws {
namespace {

std::size_t fail(Event* ev, std::uint16_t code, const char* what) {
  ev->kind = Event::kError;
  ev->code = code;
  ev->error = what;
  ev->payload = {};
  return 0;
}

// Unmasks n bytes in place; `key` is the frame's 4-byte masking key.
void unmask(char* p, std::size_t n, const unsigned char* key) {
  std::uint32_t k;
  std::memcpy(&k, key, 4);
  std::size_t i = 0;
  if (n >= 8) {
    std::uint64_t k8 = (static_cast<std::uint64_t>(k) << 32) | k;
    for (; i + 8 <= n; i += 8) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      w ^= k8;
      std::memcpy(p + i, &w, 8);
    }
  }
  for (; i < n; ++i) p[i] = static_cast<char>(p[i] ^ key[i & 3]);
}

}  // namespace

void Reader::reset() {
  message_.reset();
  in_message_ = false;
}

std::size_t Reader::next(char* buf, std::size_t size, Event* ev) {
  *ev = Event{};
  if (failed_) return fail(ev, kCloseProtocol, "reader used after an error");
  if (!in_message_) message_.reset();
  if (size < 2) return 0;
  const auto* u = reinterpret_cast<const unsigned char*>(buf);
  const bool fin = u[0] & 0x80;
  const unsigned op = u[0] & 0x0F;
  const bool masked = u[1] & 0x80;
  const unsigned len7 = u[1] & 0x7F;
  auto error = [&](std::uint16_t code, const char* what) {
    failed_ = true;
    return fail(ev, code, what);
  };
  if (u[0] & 0x70) return error(kCloseProtocol, "reserved bits set (no extension negotiated)");
  const bool control = op & 0x8;
  switch (static_cast<Opcode>(op)) {
    case Opcode::kContinuation:
    case Opcode::kText:
    case Opcode::kBinary:
    case Opcode::kClose:
    case Opcode::kPing:
    case Opcode::kPong:
      break;
    default:
      return error(kCloseProtocol, "unknown opcode");
  }
  if (control && !fin) return error(kCloseProtocol, "fragmented control frame");
  if (control && len7 > kMaxControlPayload) return error(kCloseProtocol, "control frame too long");
  if (!masked) return error(kCloseProtocol, "client frame not masked");
  std::size_t header = 2;
  std::uint64_t len = len7;
  if (len7 == 126) {
    if (size < 4) return 0;
    len = (static_cast<std::uint64_t>(u[2]) << 8) | u[3];
    if (len < 126) return error(kCloseProtocol, "frame length not in minimal form");
    header = 4;
  } else if (len7 == 127) {
    if (size < 10) return 0;
    len = 0;
    for (int i = 2; i < 10; ++i) len = (len << 8) | u[i];
    if (len >> 63) return error(kCloseProtocol, "frame length out of range");
    if (len <= 0xFFFF) return error(kCloseProtocol, "frame length not in minimal form");
    header = 10;
  }
  header += 4;  // masking key
  if (!control) {
    const auto code = static_cast<Opcode>(op);
    if (code == Opcode::kContinuation && !in_message_)
      return error(kCloseProtocol, "continuation frame without a message");
    if (code != Opcode::kContinuation && in_message_)
      return error(kCloseProtocol, "new message inside a fragmented message");
    const std::size_t so_far = in_message_ ? message_->size() : 0;
    if (len > max_message_ - so_far) return error(kCloseTooBig, "message too big");
  }
  if (size < header || size - header < len) return 0;  // incomplete frame
  char* payload = buf + header;
  const auto n = static_cast<std::size_t>(len);
  unmask(payload, n, u + header - 4);
  const std::size_t used = header + n;

  switch (static_cast<Opcode>(op)) {
    case Opcode::kPing:
      ev->kind = Event::kPing;
      ev->payload = std::string_view(payload, n);
      return used;
    case Opcode::kPong:
      ev->kind = Event::kPong;
      ev->payload = std::string_view(payload, n);
      return used;
    case Opcode::kClose: {
      if (n == 1) return error(kCloseProtocol, "close frame payload of 1 byte");
      ev->kind = Event::kClose;
      ev->code = kCloseNoStatus;
      if (n >= 2) {
        ev->code = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                              static_cast<unsigned char>(payload[1]));
        if (!valid_close_code(ev->code)) return error(kCloseProtocol, "invalid close code");
        ev->payload = std::string_view(payload + 2, n - 2);
        if (!valid_utf8(ev->payload)) return error(kCloseBadData, "close reason not UTF-8");
      }
      return used;
    }
    default:
      break;
  }
  if (static_cast<Opcode>(op) != Opcode::kContinuation) message_binary_ = op == 2;
  std::string_view message;
  if (fin && !in_message_) {
    message = std::string_view(payload, n);  // one frame: no copy
  } else {
    if (!in_message_) {
      in_message_ = true;
      message_ = std::make_unique<std::string>();
    }
    message_->append(payload, n);
    if (!fin) return used;  // more fragments to come
    in_message_ = false;
    message = *message_;
  }
  if (!message_binary_ && !valid_utf8(message)) return error(kCloseBadData, "text message not UTF-8");
  ev->kind = Event::kMessage;
  ev->binary = message_binary_;
  ev->payload = message;
  return used;
}

std::size_t encode_header(Opcode op, std::uint64_t n, std::uint8_t* out) {
  out[0] = static_cast<std::uint8_t>(0x80 | static_cast<unsigned>(op));
  if (n < 126) {
    out[1] = static_cast<std::uint8_t>(n);
    return 2;
  }
  if (n <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<std::uint8_t>(n >> 8);
    out[3] = static_cast<std::uint8_t>(n);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<std::uint8_t>(n >> (56 - 8 * i));
  return 10;
}

std::string encode_frame(Opcode op, std::string_view payload) {
  std::uint8_t h[kMaxHeader];
  std::size_t hn = encode_header(op, payload.size(), h);
  std::string out;
  out.reserve(hn + payload.size());
  out.append(reinterpret_cast<const char*>(h), hn);
  out.append(payload);
  return out;
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
  constexpr std::size_t kMaxReason = kMaxControlPayload - 2;
  if (reason.size() > kMaxReason) {
    std::size_t cut = kMaxReason;
    // Do not split a UTF-8 sequence: back up over continuation bytes.
    while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;
    reason = reason.substr(0, cut);
  }
  std::string out;
  out.reserve(2 + reason.size());
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xFF));
  out.append(reason);
  return out;
}

bool valid_close_code(std::uint16_t code) {
  if (code >= 1000 && code <= 1003) return true;
  if (code >= 1007 && code <= 1014) return true;
  return code >= 3000;  // registered (3000-3999) and private (4000-4999) codes; Beast allowed more
}

}  // namespace qc::gw::ws
