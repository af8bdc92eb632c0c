#include "gateway/idempotency.h"

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

const std::string* IdempotencyMap::find(const std::string& key, Time now) {
  evict(now);
  auto it = map_.find(key);
  if (it == map_.end()) return nullptr;
  return &it->second.response;
}

void IdempotencyMap::remember(std::string key, std::string response, Time at) {
  auto [it, inserted] = map_.try_emplace(key, Entry{std::move(response), at});
  if (!inserted) return;  // the first answer stays
  order_.emplace_back(std::move(key), at);
  while (map_.size() > max_) {
    map_.erase(order_.front().first);
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
