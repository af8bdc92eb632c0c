// The client address the per-address limits count, behind reverse proxies.
//
// A request's peer is the client, unless the peer is a configured trusted
// proxy (`trusted_proxies`, docs/operations.md): then the client is the
// right-most address of X-Forwarded-For that is not itself a trusted proxy
// (each proxy appends the address it saw; what a client wrote into the
// header itself is to the left of that and never believed), or X-Real-IP
// when there is no X-Forwarded-For. Headers from any other peer are ignored.
// Pure functions; a TrustedProxies is immutable after parse() and may be
// shared between threads.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qc::gw {

// An IPv4 or IPv6 address or network ("10.0.0.7", "10.0.0.0/8", "::1",
// "fd00::/8"). IPv4 is kept as IPv4-mapped IPv6 (::ffff:a.b.c.d/96+n).
struct IpNetwork {
  std::array<std::uint8_t, 16> bytes{};
  int prefix = 128;
  bool contains(const std::array<std::uint8_t, 16>& address) const;
};

// An address in its 16-byte form; nullopt when `text` is not an address
// (brackets around IPv6 are accepted: "[::1]").
std::optional<std::array<std::uint8_t, 16>> parse_ip(std::string_view text);
// The canonical text of an address (IPv4-mapped addresses as IPv4).
std::string format_ip(const std::array<std::uint8_t, 16>& address);

class TrustedProxies {
 public:
  // Replaces the list; false with *error naming the bad entry.
  bool parse(const std::vector<std::string>& entries, std::string* error);
  bool empty() const { return networks_.empty(); }
  bool contains(std::string_view address) const;
  bool contains(const std::array<std::uint8_t, 16>& address) const;
  const std::vector<std::string>& entries() const { return entries_; }

 private:
  std::vector<std::string> entries_;
  std::vector<IpNetwork> networks_;
};

// The client address of a request from `peer` with these header values
// ("" when absent; several X-Forwarded-For lines joined by ","). The result
// is canonical (format_ip) when it is an address.
std::string client_address(std::string_view peer, std::string_view forwarded_for,
                           std::string_view real_ip, const TrustedProxies& trusted);

}  // namespace qc::gw
