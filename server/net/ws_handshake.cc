#include "server/net/ws_handshake.h"

#include <array>
#include <cstdint>

namespace qc::gw::net {
namespace {

// SHA-1 (FIPS 180-4): only for the accept key, where RFC 6455 prescribes it.
std::array<std::uint8_t, 20> sha1(std::string_view data) {
  std::uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  std::string m(data);
  const std::uint64_t bits = static_cast<std::uint64_t>(data.size()) * 8;
  m += '\x80';
  while (m.size() % 64 != 56) m += '\0';
  for (int i = 7; i >= 0; --i) m += static_cast<char>(bits >> (i * 8));
  auto rol = [](std::uint32_t x, int n) { return (x << n) | (x >> (32 - n)); };
  for (std::size_t block = 0; block < m.size(); block += 64) {
    std::uint32_t w[80];
    for (int i = 0; i < 16; ++i) {
      const auto* p = reinterpret_cast<const std::uint8_t*>(m.data() + block + 4 * i);
      w[i] = std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
    }
    for (int i = 16; i < 80; ++i) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; ++i) {
      std::uint32_t f, k;
      if (i < 20) f = (b & c) | (~b & d), k = 0x5A827999;
      else if (i < 40) f = b ^ c ^ d, k = 0x6ED9EBA1;
      else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
      else f = b ^ c ^ d, k = 0xCA62C1D6;
      const std::uint32_t t = rol(a, 5) + f + e + k + w[i];
      e = d, d = c, c = rol(b, 30), b = a, a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
  }
  std::array<std::uint8_t, 20> out;
  for (int i = 0; i < 20; ++i) out[i] = static_cast<std::uint8_t>(h[i / 4] >> (24 - 8 * (i % 4)));
  return out;
}

// Base64 (RFC 4648, with padding).
template <std::size_t N>
std::string base64(const std::array<std::uint8_t, N>& in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < N; i += 3) {
    std::uint32_t v = std::uint32_t{in[i]} << 16;
    if (i + 1 < N) v |= std::uint32_t{in[i + 1]} << 8;
    if (i + 2 < N) v |= in[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < N ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < N ? kAlphabet[v & 63] : '=';
  }
  return out;
}

}  // namespace

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

std::string websocket_accept(std::string_view key) {
  std::string s(key);
  s += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  return base64(sha1(s));
}

std::string switching_protocols(std::string_view key, std::string_view protocol) {
  std::string response =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  response += websocket_accept(key);
  response += "\r\nServer: queuecastd\r\n";
  if (!protocol.empty()) {
    response += "Sec-WebSocket-Protocol: ";
    response += protocol;
    response += "\r\n";
  }
  response += "\r\n";
  return response;
}

}  // namespace qc::gw::net
