#include "server/infra/client_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace qc::gw {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool parse_prefix(std::string_view s, int max, int* out) {
  if (s.empty() || s.size() > 3) return false;
  int n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  if (n > max) return false;
  *out = n;
  return true;
}

}  // namespace

bool IpNetwork::contains(const std::array<std::uint8_t, 16>& a) const {
  int bits = prefix;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((a[i] & mask) != (bytes[i] & mask)) return false;
  }
  return true;
}

std::optional<std::array<std::uint8_t, 16>> parse_ip(std::string_view text) {
  text = trim(text);
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  std::array<std::uint8_t, 16> out{};
  in_addr v4;
  if (inet_pton(AF_INET, buf, &v4) == 1) {
    out[10] = out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, buf, &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

std::string format_ip(const std::array<std::uint8_t, 16>& a) {
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  char buf[INET6_ADDRSTRLEN] = {};
  if (std::memcmp(a.data(), kMapped, 12) == 0)
    inet_ntop(AF_INET, a.data() + 12, buf, sizeof buf);
  else
    inet_ntop(AF_INET6, a.data(), buf, sizeof buf);
  return buf;
}

bool TrustedProxies::parse(const std::vector<std::string>& entries, std::string* error) {
  std::vector<IpNetwork> nets;
  for (const std::string& e : entries) {
    std::string_view s = trim(e);
    auto slash = s.find('/');
    auto ip = parse_ip(s.substr(0, slash));
    IpNetwork n;
    bool ok = ip.has_value();
    if (ok) {
      n.bytes = *ip;
      const bool v4 = s.substr(0, slash).find(':') == std::string_view::npos;
      if (slash != std::string_view::npos) {
        int p = 0;
        ok = parse_prefix(s.substr(slash + 1), v4 ? 32 : 128, &p);
        n.prefix = v4 ? 96 + p : p;
      }
    }
    if (!ok) {
      *error = "trusted_proxies: \"" + e + "\" is not an IP address or address/prefix";
      return false;
    }
    nets.push_back(n);
  }
  networks_ = std::move(nets);
  entries_ = entries;
  return true;
}

bool TrustedProxies::contains(const std::array<std::uint8_t, 16>& a) const {
  for (const IpNetwork& n : networks_)
    if (n.contains(a)) return true;
  return false;
}

bool TrustedProxies::contains(std::string_view address) const {
  auto a = parse_ip(address);
  return a && contains(*a);
}

std::string client_address(std::string_view peer, std::string_view forwarded_for,
                           std::string_view real_ip, const TrustedProxies& trusted) {
  auto p = parse_ip(peer);
  if (!p) return std::string(peer);
  if (!trusted.contains(*p)) return format_ip(*p);
  // The peer is our proxy: walk X-Forwarded-For from the right. Each hop
  // appended what it saw; the first address that is not one of our proxies
  // is the client. A malformed entry ends the walk (the hop that wrote it
  // is the last one known).
  std::array<std::uint8_t, 16> last = *p;
  if (trim(forwarded_for).empty()) {
    auto r = parse_ip(real_ip);
    return format_ip(r ? *r : last);
  }
  std::string_view rest = forwarded_for;
  while (!rest.empty()) {
    auto comma = rest.rfind(',');
    std::string_view item = trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    if (item.empty()) continue;
    auto a = parse_ip(item);
    if (!a) break;
    last = *a;
    if (!trusted.contains(*a)) break;
  }
  return format_ip(last);
}

}  // namespace qc::gw
