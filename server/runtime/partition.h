// Cluster mode (docs/cluster.md): each shard is a partition that this node
// serves only while it holds the partition's lease in Redis.
//
//   ClusterMember (cluster_member.h)         Shard thread (shard.cc)
//     takes/renews/loses the lease  --wanted-->  recovers and serves epoch e,
//     sets the local deadline                    or steps down (wanted 0)
//                                   <--serving-- the epoch it serves (0: none)
//                                   <--fenced--- a commit was refused by the fence
//
// Thread-safety: every field is an atomic; the writer of each is named.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace qc::gw {

// The partition of a waiting area: the same on every node and build
// (FNV-1a, 64 bits), unlike std::hash.
inline std::uint64_t fnv1a64(std::string_view s) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

struct Ownership {
  // Written by the ClusterMember: the epoch to serve (0: do not serve).
  std::atomic<std::uint64_t> wanted{0};
  // Written by the ClusterMember: the local lease deadline, steady_clock
  // nanoseconds since its epoch. Past it the shard answers nothing from its
  // commits (docs/cluster.md, "The local lease deadline").
  std::atomic<std::int64_t> deadline_ns{std::numeric_limits<std::int64_t>::max()};
  // Written by the shard: the epoch it serves, once recovered (0: none).
  std::atomic<std::uint64_t> serving{0};
  // Written by the shard: a commit was refused because another node took
  // the partition (Status::kFenced). Cleared by the ClusterMember when it
  // sets a new wanted epoch.
  std::atomic<bool> fenced{false};

  bool expired() const {
    return std::chrono::steady_clock::now().time_since_epoch().count() >
           deadline_ns.load(std::memory_order_acquire);
  }
};

}  // namespace qc::gw
