// The cluster's shared state in Redis (docs/design/cluster.md sections 2-3):
// who owns which partition (a lease and a fencing epoch per partition), the
// cluster's shape, its live members, and the global ids the partitions'
// fenced commits record (store/journal.h, Fence and Record::claims).
//
// Keys, under a prefix (default "qc"):
//   <prefix>:{p<N>}          partition N's journal key: its stream is
//                            "<prefix>:{p<N>}:log" etc. (store/redis_journal.h)
//   <prefix>:{p<N>}:epoch    integer, no TTL: INCRed by each take-over
//   <prefix>:{p<N>}:lease    "<node> <epoch>", PX lease_ms: who serves N
//   <prefix>:ids             hash: "s:<session>" etc. -> partition number
//   <prefix>:cluster         hash: partitions, hash "fnv1a64", version 1, created
//   <prefix>:members         hash: node -> "<address> <expires_ms>", expires
//                            = Redis TIME (ms) + lease_ms at the last renew
//
// Every operation that decides something is one Lua script (atomic in
// Redis); none depends on this machine's clock. The lease only says who
// should serve; the safety of writes rests on the epoch, which every fenced
// commit checks.
//
// I/O: one synchronous hiredis connection, connected on first use, with a
// timeout (timeout_ms) on connect and on every command: a node cut off from
// Redis learns it within about timeout_ms. A failed call drops the
// connection; the next call reconnects. Node names hold no spaces.
//
// Thread-safety: one thread at a time per instance.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "store/redis_journal.h"

namespace qc::journal {

class RedisConnection;

// "<prefix>:{p<N>}": partition N's journal key.
std::string partition_key(const std::string& prefix, int p);

// The partition's fence for Journal::set_fence(), under `prefix`.
Fence partition_fence(const std::string& prefix, int p, std::uint64_t epoch);

class RedisCluster {
 public:
  // Connects lazily (the first call); null (with *error) only for a
  // malformed address (no host, a port out of range) or an empty prefix.
  // The address's db is used; its key is ignored.
  static std::unique_ptr<RedisCluster> open(const RedisAddress& address, std::string prefix,
                                            int timeout_ms, std::string* error);
  ~RedisCluster();
  RedisCluster(const RedisCluster&) = delete;
  RedisCluster& operator=(const RedisCluster&) = delete;

  const std::string& prefix() const { return prefix_; }

  // Creates <prefix>:cluster with `partitions` if absent; false (the error
  // names both numbers) when it holds another number, or another hash.
  bool init(int partitions, std::string* error);

  // ACQUIRE: when partition p has no lease, INCRs its epoch and sets the
  // lease "<node> <epoch>" PX lease_ms: *acquired = true, *epoch. Otherwise
  // *acquired = false and *holder = the lease's value ("<node> <epoch>").
  // With wait_replicas > 0, an acquired lease counts only once `WAIT
  // wait_replicas <timeout>` confirms that the replicas received it (and
  // every write before it: the partition's journal as the node will read
  // it); otherwise the lease is released and acquire() fails ("the replica
  // did not confirm"). The timeout is wait_timeout_ms, at most the
  // connection's timeout - 100 ms.
  bool acquire(int p, const std::string& node, int lease_ms, bool* acquired,
               std::uint64_t* epoch, std::string* holder, std::string* error,
               int wait_replicas = 0, int wait_timeout_ms = 500);

  // RENEW, one script: PEXPIREs each held lease (partition, epoch) whose
  // value is still "<node> <epoch>"; *lost = the partitions of the others
  // (taken by another node, or expired), in `held`'s order. Also sets the
  // node's member entry (address, Redis TIME + lease_ms) and drops expired
  // member entries.
  bool renew(const std::string& node, const std::string& address,
             const std::vector<std::pair<int, std::uint64_t>>& held, int lease_ms,
             std::vector<int>* lost, std::string* error);

  // RELEASE: DELs the lease only while it is "<node> <epoch>". *released
  // (optional) tells whether it did.
  bool release(int p, const std::string& node, std::uint64_t epoch, std::string* error,
               bool* released = nullptr);

  struct Lease {
    std::string node;                // "" = no lease
    std::uint64_t epoch = 0;         // the lease's epoch
    std::int64_t ttl_ms = -2;        // PTTL: -2 = no lease
    std::uint64_t current_epoch = 0; // the epoch key's value (0: never taken)
  };
  // Partitions 0..partitions-1, read in one script (one consistent view).
  bool leases(int partitions, std::vector<Lease>* out, std::string* error);

  struct Member {
    std::string node, address;
    std::int64_t expires_ms = 0;  // Redis TIME, ms
  };
  // Live members only (expires_ms after Redis's TIME), sorted by node.
  // *redis_now_ms (optional): that TIME, in ms.
  bool members(std::vector<Member>* out, std::string* error, std::int64_t* redis_now_ms = nullptr);
  // HDELs the node's member entry.
  bool leave(const std::string& node, std::string* error);

  // The Redis server's run_id (INFO server): another one after a failover
  // (or a restart of redis-server), when the node must take its
  // partitions again (docs/design/cluster.md section 3, step-down rules).
  bool server_id(std::string* run_id, std::string* error);

  // HGET <prefix>:ids field -> partition; *found = false when absent.
  bool lookup_id(const std::string& field, bool* found, int* partition, std::string* error);

  // For status tools (queuecast cluster status), read-only:
  // the number of partitions <prefix>:cluster holds (0: no cluster there);
  bool partitions(int* out, std::string* error);
  // the last seq of each partition's journal stream (its top entry; 0:
  // empty), partitions 0..partitions-1, one pipelined XREVRANGE COUNT 1 each.
  bool last_seqs(int partitions, std::vector<std::uint64_t>* out, std::string* error);

 private:
  RedisCluster(const RedisAddress& address, std::string prefix, int timeout_ms);
  std::string lease_key(int p) const;
  std::string epoch_key(int p) const;
  bool wait_for_replicas(int replicas, int timeout_ms, std::string* error);

  std::unique_ptr<RedisConnection> conn_;
  std::string prefix_;
};

}  // namespace qc::journal
