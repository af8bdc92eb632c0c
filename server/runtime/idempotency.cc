#include "server/runtime/idempotency.h"

#include "server/infra/sha256.h"

namespace qc::gw {

std::string scoped_key(std::string_view principal, std::string_view key) {
  std::string s(principal);
  s += '\x1f';
  s += key;
  return s;
}

bool valid_idempotency_key(std::string_view key) {
  if (key.empty() || key.size() > 128) return false;
  for (char c : key) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

IdempotencyMap::IdempotencyMap(std::size_t max_entries, Duration ttl)
    : max_(max_entries ? max_entries : 1), ttl_(ttl) {}

IdempotencyMap::Match IdempotencyMap::find(const std::string& key, std::string_view fingerprint,
                                           Time now, const std::string** response) {
  evict(now);
  auto it = map_.find(key);
  if (it == map_.end()) return Match::kNone;
  const std::string& stored = it->second.fingerprint;
  if (!stored.empty() && !fingerprint.empty() && stored != fingerprint) return Match::kDifferent;
  if (response) *response = &it->second.response;
  return Match::kSame;
}

void IdempotencyMap::remember(std::string key, std::string fingerprint, std::string response,
                              Time at) {
  add(std::move(key), std::move(fingerprint), std::move(response), at, /*pending=*/false);
}

bool IdempotencyMap::claim(const std::string& key, std::string_view fingerprint, Time now) {
  if (find(key, fingerprint, now) == Match::kDifferent) return false;
  add(key, std::string(fingerprint), std::string(), now, /*pending=*/true);
  return true;
}

void IdempotencyMap::release(const std::string& key, std::string_view fingerprint) {
  auto it = map_.find(key);
  if (it != map_.end() && it->second.pending && it->second.fingerprint == fingerprint) map_.erase(it);
}

void IdempotencyMap::taken_elsewhere(const std::string& key, Time at) {
  if (auto it = map_.find(key); it != map_.end()) {
    if (!it->second.pending) return;
    map_.erase(it);
  }
  // No request's fingerprint is empty with a key (request_fingerprint() is a
  // SHA-256): nothing matches it.
  add(key, std::string(1, '\0'), std::string(), at, /*pending=*/false);
}

void IdempotencyMap::add(std::string key, std::string fingerprint, std::string response, Time at,
                         bool pending) {
  if (auto it = map_.find(key); it != map_.end()) {
    // The first answer stays; a pending claim of the same request is
    // answered now.
    if (!pending && it->second.fingerprint == fingerprint) it->second.pending = false;
    return;
  }
  map_.emplace(key, Entry{std::move(fingerprint), std::move(response), at, pending});
  order_.emplace_back(std::move(key), at);
  while (map_.size() > max_ && !order_.empty()) {
    // Only the entry this item was queued for (a released key may be back).
    auto old = map_.find(order_.front().first);
    if (old != map_.end() && old->second.at == order_.front().second) map_.erase(old);
    order_.pop_front();
  }
}

void IdempotencyMap::evict(Time now) {
  while (!order_.empty() && order_.front().second + ttl_ < now) {
    auto it = map_.find(order_.front().first);
    if (it != map_.end() && it->second.at == order_.front().second) map_.erase(it);
    order_.pop_front();
  }
}

}  // namespace qc::gw
