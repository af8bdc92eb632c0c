// What one shard owns, shared by the pieces of the shard (server/runtime/
// shard.cc runs them on the shard's thread):
//   TaskQueue        (task_queue.h)       the hand-off from other threads
//   CommandApplier   (command_applier.h)  one command: idempotency, authorization,
//                                         engine apply, reply, journal record
//   CommitPipeline   (commit_pipeline.h)  group commits in flight, their answers,
//                                         a failed commit, snapshots
//   rebuild()        (shard_recovery.h)   recovery from the journal
//
// Thread-safety: everything here is touched by the shard thread only (and by
// recover() before the thread starts), except `degraded` and `recovered`,
// which ready() reads from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/engine.h"
#include "store/checkpoint.h"
#include "store/journal.h"
#include "server/infra/clock.h"
#include "server/infra/metrics.h"
#include "server/live/hub.h"
#include "server/live/publisher.h"
#include "server/live/relay.h"
#include "server/runtime/directory.h"
#include "server/runtime/idempotency.h"
#include "server/runtime/partition.h"
#include "server/runtime/runtime.h"

namespace qc::gw {

// A command's answer, held until its group's commit is known.
struct Ack {
  std::function<void(CommandOutcome)> done;
  CommandOutcome outcome;
};

// One group commit, from its application to its answers. Groups leave the
// pipeline in order; one with records has a commit in flight
// (Journal::send()), one without (errors, replays, reads only, or every
// command refused) waits only for the groups before it.
struct Group {
  std::vector<journal::Record> records;
  std::vector<Ack> acks;
  std::vector<Publication> publications;  // rendered after it was applied
  std::vector<ReadFn> reads;
  // Server-wide ids this group claimed (Directory::claim): given back if
  // its commit fails.
  std::vector<std::pair<int, std::string>> claims;
  Time now = 0;
  bool commit = false;
  std::chrono::steady_clock::time_point sent_at;
};

// The rollback base is re-taken every 50,000 records; when the journal's
// snapshots come at least that often, each snapshot is the new base
// (snapshot_now()) and the Checkpointer takes none of its own.
journal::CheckpointOptions rollback_options(const RuntimeOptions& o);

struct ShardState {
  ShardState(int index, const RuntimeOptions& options, const Clock& clock, Metrics& metrics,
             Directory& directory, std::unique_ptr<journal::Journal> journal, Ownership* own)
      : index(index),
        options(options),
        clock(clock),
        metrics(metrics),
        directory(directory),
        journal(std::move(journal)),
        engine(options.engine),
        idem(options.idempotency_max, options.idempotency_ttl),
        checkpoint(rollback_options(options)),
        own(own) {}

  const int index;
  const RuntimeOptions& options;
  const Clock& clock;
  Metrics& metrics;
  Directory& directory;
  std::unique_ptr<journal::Journal> journal;

  Engine engine;
  Hub hub;
  IdempotencyMap idem;
  std::uint64_t next_seq = 1;
  std::uint64_t since_snapshot = 0;        // records committed since the journal's snapshot
  std::uint64_t since_snapshot_bytes = 0;  // their commands' bytes
  // In-memory base (Engine::save() every 50,000 records) + commands since:
  // rollback() after a failed append (store/checkpoint.h).
  journal::Checkpointer checkpoint;
  // What the group being applied changed (views to render).
  Changes changes;
  // Ids claimed by groups whose commit failed: see settle_claims().
  std::vector<std::pair<int, std::string>> unsettled_claims;
  std::atomic<bool> degraded{false};
  std::atomic<bool> recovered{false};
  // Cluster mode: this partition's ownership (server/runtime/partition.h),
  // else null. The shard serves it only while `own->serving` is non-zero.
  Ownership* const own;
  // Cluster mode: other nodes' follows of this partition's topics, and the
  // number of view messages published for them (their seq).
  Relays relays;
  std::uint64_t views_published = 0;
  bool serving() const { return !own || own->serving.load(std::memory_order_relaxed) != 0; }
};

}  // namespace qc::gw
