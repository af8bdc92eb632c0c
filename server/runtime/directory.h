// Which shard owns a session, ticket, hold or patient token.
//
// Sessions are placed by a hash of their waiting area (one display view
// never spans shards); the owning shard records its tickets, holds and
// tokens here after applying the commands that create them. With one shard
// every lookup is 0 and nothing is stored. An unknown key maps to shard 0
// (which then answers unknown_session/unknown_ticket).
//
// Thread-safety: lookups from any thread (shared lock), puts from the shard
// threads (exclusive lock); the idempotency keys under their own lock; no
// I/O under a lock.
#pragma once

#include <functional>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "server/runtime/idempotency.h"
#include "server/runtime/partition.h"

namespace qc::gw {

// Which shard owns a session, ticket, hold or token. With one shard every
// lookup is 0 and nothing is stored.
class Directory {
 public:
  // `stable_hash`: areas map to shards by fnv1a64, the same on every node and
  // build (cluster mode); else by std::hash (one process: where shards of
  // existing journals already put their areas).
  explicit Directory(int shards, std::size_t max_keys = 1'000'000, Duration key_ttl = kDay,
                     bool stable_hash = false)
      : n_(shards), stable_(stable_hash), keys_(max_keys, key_ttl) {}
  int shards() const { return n_; }
  int of_area(std::string_view area) const {
    if (n_ == 1) return 0;
    const std::uint64_t h = stable_ ? fnv1a64(area) : std::hash<std::string_view>{}(area);
    return static_cast<int>(h % static_cast<std::uint64_t>(n_));
  }
  // Like find(), but -1 for a key no shard recorded.
  int lookup(int map, std::string_view key) const {
    if (n_ == 1) return 0;
    std::shared_lock lock(mu_);
    auto it = maps_[map].find(std::string(key));
    return it == maps_[map].end() ? -1 : it->second;
  }
  int find(int map, std::string_view key) const {
    if (n_ == 1) return 0;
    std::shared_lock lock(mu_);
    auto it = maps_[map].find(std::string(key));
    return it == maps_[map].end() ? 0 : it->second;
  }
  // Whether some shard recorded `key` (several shards only: false with one).
  bool known(int map, std::string_view key) const {
    if (n_ == 1) return false;
    std::shared_lock lock(mu_);
    return maps_[map].find(std::string(key)) != maps_[map].end();
  }
  void put(int map, const std::string& key, int shard) {
    if (n_ == 1 || key.empty()) return;
    std::unique_lock lock(mu_);
    maps_[map][key] = shard;
  }
  enum { kSession = 0, kTicket = 1, kHold = 2, kToken = 3 };
  // Cluster mode: an id's name in the cluster's id map (store/redis_cluster.h,
  // "<prefix>:ids"), "<kind>:<id>" with kind s, t, h, k for the maps above.
  static std::string id_field(int map, std::string_view id) {
    std::string f;
    f.reserve(id.size() + 2);
    f.push_back(kIdKinds[map]);
    f.push_back(':');
    f.append(id);
    return f;
  }
  // The map and id of such a name; false when it is not one.
  static bool parse_id_field(std::string_view field, int* map, std::string* id) {
    if (field.size() < 2 || field[1] != ':') return false;
    const std::string_view kinds(kIdKinds);
    const auto m = kinds.find(field[0]);
    if (m == std::string_view::npos) return false;
    *map = static_cast<int>(m);
    id->assign(field.substr(2));
    return true;
  }

  // Idempotency keys over all shards (several shards only): a key is
  // remembered by the shard that applied its request, but the same key may
  // come with a request for another shard. Runtime::submit() claims the key
  // for its request first (false: the key stands for another request,
  // answer idempotency_key_reused); the request's answer releases the claim
  // when it changed nothing, or keeps it; the shards remember the keys they
  // recover (journaled keys, after a restart or a failed commit).
  bool claim_key(const std::string& key, std::string_view fingerprint, Time now) {
    if (n_ == 1) return true;
    std::lock_guard lock(keys_mu_);
    return keys_.claim(key, fingerprint, now);
  }
  void release_key(const std::string& key, std::string_view fingerprint) {
    if (n_ == 1) return;
    std::lock_guard lock(keys_mu_);
    keys_.release(key, fingerprint);
  }
  // Cluster mode: another partition took the key (QCKEY).
  void key_taken_elsewhere(const std::string& key, Time at) {
    if (n_ == 1) return;
    std::lock_guard lock(keys_mu_);
    keys_.taken_elsewhere(key, at);
  }
  void remember_key(const std::string& key, const std::string& fingerprint, Time at) {
    if (n_ == 1) return;
    std::lock_guard lock(keys_mu_);
    keys_.remember(key, fingerprint, std::string(), at);
  }

  // Ids are unique across the server: before a shard applies a command that
  // creates a session id or a caller-chosen ticket/hold id, it claims the id
  // here, atomically. kTaken: another shard has it (the command is refused);
  // kClaimed: it was free and is now this shard's (release() it if the
  // command is refused); kOwn: already this shard's, or one shard only (the
  // engine decides).
  enum class Claim { kClaimed, kOwn, kTaken };
  Claim claim(int map, const std::string& key, int shard) {
    if (n_ == 1 || key.empty()) return Claim::kOwn;
    std::unique_lock lock(mu_);
    auto [it, inserted] = maps_[map].try_emplace(key, shard);
    if (inserted) return Claim::kClaimed;
    return it->second == shard ? Claim::kOwn : Claim::kTaken;
  }
  void release(int map, const std::string& key, int shard) {
    if (n_ == 1 || key.empty()) return;
    std::unique_lock lock(mu_);
    auto it = maps_[map].find(key);
    if (it != maps_[map].end() && it->second == shard) maps_[map].erase(it);
  }

 private:
  static constexpr char kIdKinds[] = "sthk";
  int n_;
  bool stable_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, int> maps_[4];
  std::mutex keys_mu_;
  IdempotencyMap keys_;
};

}  // namespace qc::gw
