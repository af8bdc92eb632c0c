// The runtime: engine shards, group commit, ticks and view publication.
//
//   network threads --post--> Shard queue --> shard thread:
//       take every queued task (a group), apply each command to the engine,
//       render the views that changed, send all their journal records as
//       ONE commit (Journal::send()); while it is in flight, apply and send
//       the next groups (up to RuntimeOptions::commit_depth commits);
//       as each commit completes, in order: acknowledge each command of its
//       group, deliver its views, answer its reads.    (log, then tell)
//   A group holding reads drains the pipeline (reads see only committed
//   state); a failed commit fails every group after it too.
//
// Ownership and threads
// - Each Shard owns one Engine, one Journal, one Hub (subscriptions) and
//   one thread. Only that thread touches them. Everything else talks to a
//   shard by posting a task (submit/read/subscribe); completion callbacks
//   run on the shard thread and must only post onward (never block, never
//   do I/O).
// - Sessions are partitioned over shards by a hash of the session's waiting
//   area (so one display view never spans shards); tickets, holds and
//   tokens follow their session (Directory). One shard by default. Session
//   ids and caller-chosen ticket/hold ids are unique across all shards: a
//   shard claims a new one in the Directory before applying its command.
// - Time comes from a Clock; every command of a group is stamped with the
//   group's `now`. Each shard applies `tick(now)` every `tick_interval`.
//
// Recovery (the seam for the durable stores, server/runtime/shard.h): before
// start(), recover() calls qc::journal::recover() (store/
// recovery.h: newest snapshot + re-applied records) for each shard's
// journal, and rebuilds from its callbacks the idempotency keys (on_key:
// records' idempotency_key + request_fingerprint + response) and the token
// directory (on_command), then the rest of the directory from the engine. A journal that fails
// an append makes every command of that group fail with `unavailable`; the
// shard rolls the engine back in memory at once (journal::Checkpointer)
// and stays degraded (commands answered `unavailable` without touching the
// engine, /readyz 503) until a tick's Journal::probe_write() succeeds; then
// it rebuilds from the journal once (nothing half-applied, nothing
// unacknowledged ever visible).
//
// Several processes (cluster mode, docs/cluster.md): the shards are the
// cluster's partitions; each is served only while this node holds its lease
// (server/runtime/partition.h Ownership, set by cluster_member.h), its
// commits fenced by the partition's epoch; the network side forwards what
// other nodes serve (server/api/cluster_handler.h), and the views other
// nodes follow leave through the shard's Relays (server/live/relay.h).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "engine/engine.h"
#include "store/journal.h"
#include "server/runtime/auth.h"
#include "server/infra/batch.h"
#include "server/infra/clock.h"
#include "server/live/hub.h"
#include "server/runtime/idempotency.h"
#include "server/infra/metrics.h"
#include "server/wire/reply.h"

namespace qc::gw {

class Relays;

struct RuntimeOptions {
  int shards = 1;
  EngineOptions engine;
  Duration tick_interval = kSecond;
  std::size_t max_group = 4096;           // commands per group commit at most
  // Group commits in flight per shard at most (pipelined: group N+1 is
  // applied and sent while N's commit is on its way; 1 = one at a time).
  // Stores that commit synchronously (SQLite, memory) complete each commit
  // in Journal::send(), so this matters for Redis only.
  std::size_t commit_depth = 3;
    // Whether commands that arrive while the shard waits for a commit (with
  // room in the pipeline) end that wait and form the next group at once
  // (true: the next commit is sent while this one is in flight), or wait
  // for the commit and form one bigger group after it (false: fewer, bigger
  // commits and less CPU per command, but then the shard mostly has one
  // commit in flight at a time, as without pipelining).
  bool commit_wake = true;
  // The push backlog's bound: while more views than this wait for the
  // network threads (Metrics::ws_frames_pending, all shards together), a
  // shard applies no new group (its commands wait in its queue), for at most
  // kPushThrottleMax per group. Under a load the network threads cannot
  // follow, the callers are slowed down instead of every subscriber's view
  // queueing behind a sweep over all connections: the push latency stays
  // bounded. 0: no bound.
  std::size_t push_backlog = 1024;
  std::uint64_t snapshot_every = 250'000;  // records between snapshots (0: never)
  // Cluster mode (docs/cluster.md): the shards are the cluster's partitions,
  // each served only while this node holds its lease (Ownership, set by a
  // ClusterMember); areas map to partitions by fnv1a64 (the same on every
  // node); each commit is fenced by the partition's epoch and records the
  // ids it creates in "<cluster_prefix>:ids".
  bool cluster = false;
  std::string cluster_prefix = "qc";
  // Cluster mode: sends partition p's views for other nodes (one message
  // per group, server/live/relay.h) to Redis PUB/SUB. Called on the shard
  // thread; must not block.
  std::function<void(int partition, std::string message)> publish_views;
  std::size_t idempotency_max = 1'000'000;
  Duration idempotency_ttl = kDay;
};

// A command's answer: `body`, the reply the shard encoded in the format the
// client asked for (server/wire/reply.h), when the command was applied now;
// `stored` (the binary CommandResponse its idempotency record keeps) when it
// is a replay.
struct CommandOutcome {
  Error error = Error::kOk;
  std::string message;
  // ok and not replayed: the reply (server/wire/reply.h), encoded once on
  // the shard in CommandRequest::format from the engine's structs.
  std::string body;
  std::string stored;    // replayed: binary queuecast.v1.CommandResponse
  bool replayed = false; // answered from the idempotency map
  bool created = false;  // a session, ticket or hold was created (201)
  // The answer of an ok outcome in `format` ("" for an error): `body`
  // (`format` is the request's), or the stored reply in `format`.
  std::string encode(Format format) const&;
  // The same, taking `body` instead of copying it (the network side's last use).
  std::string encode(Format format) &&;
};

struct CommandRequest {
  Command command;               // actor already set (patients: filled on the shard)
  Principal principal;
  std::string idempotency_key;   // scoped_key(principal, key), or empty
  // With a key: request_fingerprint() of the HTTP request. Empty: the key
  // matches any request (callers inside the server).
  std::string request_fingerprint;
  // The reply's format, and whether it names no patient (a kiosk's answer:
  // the patientRef of every event is left out, its own ticket's and those
  // an insertion passed; the journal keeps them).
  Format format = Format::kProto;
  bool strip_patient_refs = false;
  // Optional: called on the shard once the request is authorized and not
  // answered from its idempotency key, just before it is applied; false
  // answers rate_limited and changes nothing (the booking limits: only
  // what would really run is charged).
  std::function<bool(Time now)> admit;
  std::function<void(CommandOutcome)> done;
  // Set by Runtime::submit_batch() (callers leave it 0): how many requests
  // follow this one in its shard's queue as part of the same batch. The
  // shard takes them into the same group commit (TaskQueue::take()).
  std::uint32_t batch_rest = 0;
};

// What a read or a subscription sees, on the shard thread.
struct ShardContext {
  const Engine& engine;
  Time now;
  Hub& hub;
  int shard;
  Metrics& metrics;
  // Cluster mode: the follows of other nodes (server/live/relay.h), the
  // epoch the partition is served with and the seq of its last view message
  // to other nodes; null and 0 otherwise.
  Relays* relays = nullptr;
  std::uint64_t epoch = 0;
  std::uint64_t last_seq = 0;
};
using ReadFn = std::function<void(ShardContext&)>;

class Directory;
class Shard;
class Runtime;
struct Ownership;

// Network -> shard: while a Batch (server/infra/batch.h) is open on the
// calling thread, Runtime::submit() queues the command on that thread, and
// the end of the batch hands each shard its queued commands under one lock
// with at most one wake-up (Shard::post_commands). The network side opens
// one for each pass of its event loop over new requests (http_server.cc);
// the shard thread has one open while it answers a group.

class Runtime {
 public:
  using JournalFactory = std::function<std::unique_ptr<journal::Journal>(int shard)>;

  // One journal per shard: factory(i) for shard i.
  Runtime(RuntimeOptions options, const Clock& clock, Metrics& metrics, JournalFactory journals);
  // One shard with the given journal.
  Runtime(RuntimeOptions options, const Clock& clock, Metrics& metrics,
          std::unique_ptr<journal::Journal> journal);
  ~Runtime();

  // Rebuilds every shard from its journal. Call once before start().
  bool recover(std::string* error);
  void start();
  // Finishes every queued task (in-flight commands are committed and
  // answered), then stops the shard threads. Idempotent.
  void stop();

  // Thread-safe. `done` runs on a shard thread.
  void submit(CommandRequest request);
  // Several commands as one (POST /v1/commands:batch): each is routed and
  // answered as by submit(), and each shard gets its share in one hand-off,
  // in order, applied and committed in ONE group commit (several shards:
  // one group commit on each). Thread-safe.
  void submit_batch(std::vector<CommandRequest> requests);
  // Runs `fn` on the shard that owns the key, after that shard's next commit.
  void read_session(std::string_view session_id, ReadFn fn);
  void read_ticket(std::string_view ticket_id, ReadFn fn);
  void read_token(std::string_view token, ReadFn fn);
  void read_area(std::string_view area, ReadFn fn);
  // Runs `fn` on every shard (e.g. listing sessions); `fn` gets each context.
  void read_all(std::function<void(ShardContext&)> fn, std::function<void()> after_all);

  int shards() const;
  const Clock& clock() const { return clock_; }
  const RuntimeOptions& options() const { return options_; }

  // ---- Cluster mode (RuntimeOptions::cluster) ----
  // Partition p's ownership (null on a single node).
  Ownership* ownership(int p) const;
  // Makes partition p's shard look at its ownership now (not at its next tick).
  void wake(int p);
  // The partition of an area (fnv1a64 in cluster mode).
  int partition_of_area(std::string_view area) const;
  // Where this node's directory puts a session, ticket, hold or token
  // (Directory::kSession...): -1 when it does not know it.
  int known_partition(int map, std::string_view id) const;
  // Records that `id` belongs to partition p (learnt from the cluster's id
  // map): a command of this node creating it is refused as already_exists.
  void note_partition(int map, const std::string& id, int p);
  bool ready() const;  // recovered, and no shard degraded (a failed commit, store not writable since)

 private:
  int route(const CommandBody& body) const;
  // A read's shard: where the directory puts `key`, else unknown_route().
  int read_route(int map, std::string_view key) const;
  // Where a key no shard recorded goes: shard 0, or in cluster mode a
  // partition this node serves.
  int unknown_route() const;
  // Answers `request` at once (a refusal before any shard), or hands it to
  // post(shard index, CommandRequest&&): once, or once per shard for a
  // channel definition on several shards. `shard` >= 0 overrides the route
  // (a session created earlier in the same batch, not yet in the directory).
  template <class Post>
  void dispatch(CommandRequest request, Post&& post, int shard = -1);
  // Batch::defer()'s function: hands this thread's queued commands over.
  static void post_queued(void* runtime);
  RuntimeOptions options_;
  const Clock& clock_;
  Metrics& metrics_;
  std::unique_ptr<Directory> directory_;
  std::vector<std::unique_ptr<Ownership>> own_;  // cluster mode: one per shard
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace qc::gw
