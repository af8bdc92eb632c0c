#include "server/api/rate_limit.h"

#include <algorithm>
#include <type_traits>

#include "engine/types.h"

namespace qc::gw {

static_assert(std::is_same_v<Time, std::int64_t>, "rate_limit.h takes Time as std::int64_t");

TokenBucket::TokenBucket(double rate_per_second, double burst)
    : rate_(rate_per_second), burst_(std::max(1.0, burst)), tokens_(std::max(1.0, burst)) {}

bool TokenBucket::take(Time now) {
  if (last_ != kNoTime && now > last_) {
    tokens_ = std::min(burst_, tokens_ + static_cast<double>(now - last_) * rate_ / 1000.0);
  }
  if (last_ == kNoTime || now > last_) last_ = now;
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

RateLimiter::RateLimiter(double rate_per_second, double burst, std::size_t max_keys)
    : rate_(rate_per_second), burst_(burst), max_keys_(max_keys) {}

bool RateLimiter::allow(std::string_view key, Time now) {
  if (rate_ <= 0) return true;
  std::lock_guard lock(mu_);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) {
      // Bounded memory: forget half of the buckets (a forgotten key starts
      // again with a full bucket, which only ever errs towards allowing).
      for (auto b = buckets_.begin(); b != buckets_.end() && buckets_.size() > max_keys_ / 2;)
        b = buckets_.erase(b);
    }
    it = buckets_.emplace(std::string(key), TokenBucket(rate_, burst_)).first;
  }
  return it->second.take(now);
}

std::size_t RateLimiter::keys() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

bool ConnectionCounter::acquire(const std::string& address) {
  std::lock_guard lock(mu_);
  int& n = open_[address];
  if (max_ > 0 && n >= max_) {
    if (n == 0) open_.erase(address);
    return false;
  }
  ++n;
  return true;
}

void ConnectionCounter::release(const std::string& address) {
  std::lock_guard lock(mu_);
  auto it = open_.find(address);
  if (it == open_.end()) return;
  if (--it->second <= 0) open_.erase(it);
}

int ConnectionCounter::count(const std::string& address) const {
  std::lock_guard lock(mu_);
  auto it = open_.find(address);
  return it == open_.end() ? 0 : it->second;
}

}  // namespace qc::gw
