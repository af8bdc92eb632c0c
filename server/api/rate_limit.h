// Token-bucket rate limits: `rate` events per second sustained, bursts of
// `burst`. One bucket per key (client address, patient ref, connection).
//
// Times are milliseconds (the engine's Time; this header names no engine
// type: the network layer uses TokenBucket and ConnectionCounter).
//
// Thread-safety: RateLimiter locks internally (a short critical section, no
// I/O); TokenBucket is a plain value for one owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace qc::gw {

class TokenBucket {
 public:
  TokenBucket(double rate_per_second, double burst);
  // Takes one token at `now` (ms); false when empty.
  bool take(std::int64_t now);

 private:
  double rate_;
  double burst_;
  double tokens_;
  std::int64_t last_ = std::numeric_limits<std::int64_t>::min();  // none yet
};

class RateLimiter {
 public:
  // rate <= 0 disables the limit (allow() is always true).
  RateLimiter(double rate_per_second, double burst, std::size_t max_keys = 100000);
  bool allow(std::string_view key, std::int64_t now);
  std::size_t keys() const;

 private:
  double rate_;
  double burst_;
  std::size_t max_keys_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, TokenBucket> buckets_;
};

// Counts open connections per client address against a cap.
class ConnectionCounter {
 public:
  explicit ConnectionCounter(int max_per_address) : max_(max_per_address) {}
  // False (and nothing counted) when the address is at its cap.
  bool acquire(const std::string& address);
  void release(const std::string& address);
  int count(const std::string& address) const;

 private:
  int max_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, int> open_;
};

}  // namespace qc::gw
