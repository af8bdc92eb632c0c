// This node as a member of a cluster (docs/cluster.md): it takes partitions
// with leases in Redis, renews them, hands them over, and tells the network
// side who serves each partition.
//
//   ClusterMember thread, every tick (~20 ms):
//     renew every renew_ms (one script for all leases + membership);
//     a lease not renewed by its local deadline, lost, or fenced: step down;
//     every scan_ms: read every lease and the members (one script each),
//       take partitions up to this node's fair share (members sorted by id,
//       P / n each, the first P % n one more), any partition left without
//       a lease for two scans whatever the share (failover), and hand one
//       partition over when this node has more than its share while
//       another has less (drain, release; the other takes it at once).
//     also every scan_ms: the Redis server's run_id; when it changes (a
//       Sentinel failover, a restart of redis-server: the new primary may
//       lack the last INCRs), hand every partition over (step down,
//       release) and take them again on the new primary.
//   Shards follow Ownership::wanted (server/runtime/partition.h): recover
//   and serve, or step down.
//
// The lease decides who *should* serve; no write depends on it: every
// commit is fenced by the partition's epoch in Redis (store/redis_journal.h).
// The local deadline (sent time of the last good renewal + lease_ms * 0.99
// - 100 ms, on the steady clock) makes a node stop answering for a
// partition before Redis can give its lease to another node.
//
// Thread-safety: owner(), lookup(), status_json(), defer() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "server/infra/metrics.h"
#include "server/runtime/runtime.h"
#include "store/redis_cluster.h"

namespace qc::gw {

struct ClusterOptions {
  std::string redis = "redis://127.0.0.1:6379/0";  // the cluster's Redis
  std::string prefix = "qc";                        // key prefix of every cluster key
  std::string node_id;                              // unique per node, no spaces
  std::string advertise;                            // host:port other nodes reach this one at
  int partitions = 16;
  int lease_ms = 3000;
  int renew_ms = 1000;
  int scan_ms = 250;
  int forward_wait_ms = 2000;  // how long a request waits for its partition's owner
  int redis_timeout_ms = 500;  // every Redis call of the member
  // > 0: an acquired lease counts only once WAIT confirms that many
  // replicas have it (RedisCluster::acquire()).
  int wait_replicas = 0;
  int wait_timeout_ms = 500;
};

class ClusterMember {
 public:
  ClusterMember(ClusterOptions options, Runtime& runtime, Metrics& metrics);
  ~ClusterMember();
  ClusterMember(const ClusterMember&) = delete;
  ClusterMember& operator=(const ClusterMember&) = delete;

  // Checks the cluster's shape in Redis (creates it on the first node) and
  // starts the member thread; `advertise`: where other nodes reach this one
  // (known once the server listens). False with *error when Redis holds
  // another P.
  bool start(std::string advertise, std::string* error);
  // Hand-off on shutdown: takes no partition any more, steps down from
  // each (the commits in flight are answered), releases their leases so
  // that others take them at once, leaves the members. Idempotent.
  void stop();

  struct Owner {
    bool local = false;      // served here now
    std::string node;        // the lease holder ("" = none known)
    std::string address;     // its advertise address
    std::uint64_t epoch = 0;
  };
  // Who serves partition p, as this node knows it now.
  Owner owner(int p) const;
  // The partition of an id of Directory map `map` (kSession, kTicket, kHold,
  // kToken) that this node's directory does not know: the cluster's id map in
  // Redis (cached; an id never changes partition). -1: unknown;
  // kUnreachable: Redis did not answer.
  static constexpr int kUnreachable = -2;
  int lookup(int map, std::string_view id);
  // Runs `fn` on the member thread after `delay` (for requests waiting for
  // an owner); false (nothing done) once the member is stopping. Thread-safe.
  bool defer(std::chrono::milliseconds delay, std::function<void()> fn);
  // Hooks, set before start() (called on the member thread): a partition's
  // epoch changed (a take-over anywhere), a member left (its lease entry
  // expired or it left).
  std::function<void(int partition, std::uint64_t epoch)> on_owner_change;
  std::function<void(const std::string& node)> on_member_left;
  // GET /v1/cluster's body: members, and per partition owner, epoch, lease.
  std::string status_json() const;
  // Per partition: queuecast_partition_served{partition}, queuecast_partition_epoch{partition}.
  void render_metrics(std::string* out) const;
  const ClusterOptions& options() const { return o_; }
  int partitions() const { return o_.partitions; }

 private:
  using Steady = std::chrono::steady_clock;
  struct Held {
    std::uint64_t epoch = 0;
    Steady::time_point deadline;
    bool releasing = false;  // handing over: waiting for the shard to step down
  };
  void run();
  void renew(Steady::time_point now);
  void scan(Steady::time_point now);
  bool take(int p, Steady::time_point now);  // false: Redis failed (try no more now)
  bool primary_changed();
  void drop(int p, const char* why);  // stop serving p (no release)
  void set_deadline(int p, Steady::time_point sent);
  void run_deferred(Steady::time_point now);

  ClusterOptions o_;
  Runtime& runtime_;
  Metrics& metrics_;
  std::unique_ptr<journal::RedisCluster> redis_;   // the member thread's
  std::unique_ptr<journal::RedisCluster> lookups_; // lookup()'s, under lookup_mu_
  std::mutex lookup_mu_;
  std::unordered_map<std::string, int> id_cache_;  // under lookup_mu_

  std::unordered_map<int, Held> held_;  // member thread only
  std::vector<int> orphan_scans_;       // per partition: consecutive scans without a lease
  std::string primary_id_;              // the Redis run_id the leases were taken on
  Steady::time_point next_renew_{}, next_scan_{};

  mutable std::mutex mu_;  // guards the tables below and deferred_
  std::vector<journal::RedisCluster::Lease> leases_;
  std::vector<journal::RedisCluster::Member> members_;
  std::vector<std::pair<Steady::time_point, std::function<void()>>> deferred_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::atomic<bool> stopped_{false};
  std::thread thread_;
};

}  // namespace qc::gw
