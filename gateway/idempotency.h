// Idempotency keys: a retried request (same credential, same
// `Idempotency-Key`) gets the first answer again and changes nothing.
//
// The map is owned by one shard thread (no locking). Entries come from the
// journal records' `idempotency_key` and `response` fields, so recovery
// rebuilds it with remember() for each record it replays.
//
// Keys are scoped by credential: scoped_key("nurse:n17", "abc"). Memory is
// bounded: entries older than `ttl` or beyond `max_entries` (oldest first)
// are forgotten.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/types.h"

namespace qc::gw {

std::string scoped_key(std::string_view principal, std::string_view key);
// A valid client key: 1-128 printable ASCII characters.
bool valid_idempotency_key(std::string_view key);

class IdempotencyMap {
 public:
  IdempotencyMap(std::size_t max_entries = 1'000'000, Duration ttl = kDay);
  // The stored response of `key`, if remembered and not expired at `now`.
  const std::string* find(const std::string& key, Time now);
  void remember(std::string key, std::string response, Time at);
  std::size_t size() const { return map_.size(); }

 private:
  void evict(Time now);
  struct Entry { std::string response; Time at; };
  std::size_t max_;
  Duration ttl_;
  std::unordered_map<std::string, Entry> map_;
  std::deque<std::pair<std::string, Time>> order_;
};

}  // namespace qc::gw
