// Idempotency keys: a retried request (same credential, same
// `Idempotency-Key`, same request) gets the first answer again and changes
// nothing; the same key on a different request is refused
// (`idempotency_key_reused`, docs/api.md "Idempotency").
//
// The map is owned by one shard thread (no locking). Entries come from the
// journal records' `idempotency_key`, `request_fingerprint` and `response`
// fields, so recovery rebuilds it with remember() for each record it replays.
//
// Keys are scoped by credential: scoped_key("nurse:n17", "abc"). Memory is
// bounded: entries older than `ttl` or beyond `max_entries` (oldest first)
// are forgotten.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/types.h"

namespace qc::gw {

std::string scoped_key(std::string_view principal, std::string_view key);
// A valid client key: 1-128 printable ASCII characters.
bool valid_idempotency_key(std::string_view key);


// The message of idempotency_key_reused.
inline constexpr const char* kKeyReusedMessage =
    "this Idempotency-Key was used for a different request";

class IdempotencyMap {
 public:
  IdempotencyMap(std::size_t max_entries = 1'000'000, Duration ttl = kDay);

  enum class Match {
    kNone,       // not remembered (or expired): run the command
    kSame,       // the same request: answer with *response
    kDifferent,  // another request used this key: refuse it
  };
  // Looks `key` up at `now`. An empty fingerprint, stored (records written
  // before fingerprints existed) or asked (callers inside the server),
  // matches any request: the behaviour before fingerprints.
  Match find(const std::string& key, std::string_view fingerprint, Time now,
             const std::string** response = nullptr);
  // The first answer of a key stays.
  void remember(std::string key, std::string fingerprint, std::string response, Time at);
  std::size_t size() const { return map_.size(); }

  // Claims (Directory, several shards): a key taken for a request not yet
  // answered. claim() is false when the key stands for another request;
  // otherwise the key is taken (pending) unless it was already. remember()
  // of the same key makes a pending claim stay; release() forgets a pending
  // claim of `fingerprint` (its request changed nothing).
  bool claim(const std::string& key, std::string_view fingerprint, Time now);
  void release(const std::string& key, std::string_view fingerprint);
  // The key stands for another request than any sent here (cluster mode:
  // another partition took it): replaces a pending claim, so that every
  // request with the key is answered idempotency_key_reused.
  void taken_elsewhere(const std::string& key, Time at);

 private:
  void evict(Time now);
  void add(std::string key, std::string fingerprint, std::string response, Time at, bool pending);
  struct Entry {
    std::string fingerprint;
    std::string response;
    Time at;
    bool pending = false;
  };
  std::size_t max_;
  Duration ttl_;
  std::unordered_map<std::string, Entry> map_;
  std::deque<std::pair<std::string, Time>> order_;
};

}  // namespace qc::gw
