// The shard's durability helper: periodic snapshots, and putting the engine
// back to its last durable state when an append fails.
//
// The gateway's shard applies a batch to the engine first (to get the events
// it journals) and appends it after; if append() fails, the engine holds
// changes that were never durable and must not be seen. The Checkpointer
// keeps, in memory, the engine image of the newest snapshot and the commands
// committed since, so rollback() rebuilds the last durable state without
// asking the store (which is down). When the store answers again, resync()
// re-reads where the journal really ends (an append whose reply was lost may
// have landed) and replays anything after the engine's state.
//
//   Checkpointer cp(options);
//   cp.reset(engine, report.last_seq);          // after recover()
//   loop:
//     apply batch to engine; build records
//     if (journal.append(records)) { cp.committed(records, engine, journal); ack }
//     else { answer unavailable; cp.rollback(&engine); degraded = true }
//   while degraded: every retry_ms, if (cp.resync(journal, &engine)) degraded = false
//
// committed() takes a snapshot when `every_records` records or `every_ms`
// of wall time have passed since the last one: Engine::save() and the store
// write happen on the calling (commit) thread; a snapshot that fails to
// write is retried at the next commit and never fails the commit itself.
//
// Thread-safety: none; owned by the shard's thread, like the engine.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "store/journal.h"
#include "store/recovery.h"

namespace qc::journal {

struct CheckpointOptions {
  std::uint64_t every_records = 100'000;  // 0: never by count
  std::int64_t every_ms = 5 * 60'000;     // 0: never by time
  bool write_snapshots = true;            // false: in-memory rollback base only
  // By count, also wait until the commands kept since the last image weigh
  // as much as that image: an image costs time in proportion to the state,
  // so its cost per record stays bounded however large the state grows (a
  // rollback then replays at most about an image's worth of commands).
  bool by_count_at_least_image = false;
};

class Checkpointer {
 public:
  explicit Checkpointer(CheckpointOptions options = {});

  // The engine is in the state after record `seq` (after recover(), or after
  // a resync): takes a new in-memory base (Engine::save()).
  void reset(const Engine& engine, std::uint64_t seq);

  // After journal.append(batch) returned true, with the engine in the state
  // after the batch's last record. Keeps the commands for rollback; takes a
  // snapshot when due. False (with *error) only when a due snapshot could
  // not be written: the commit itself stands.
  bool committed(std::span<const Record> batch, const Engine& engine, Journal& journal,
                 std::string* error = nullptr);
  // The same, moving each record's `command` bytes instead of copying them
  // (the caller is done with the batch).
  bool committed_take(std::span<Record> batch, const Engine& engine, Journal& journal,
                      std::string* error = nullptr);

  // For pipelined commits (the engine already holds later, uncommitted
  // groups): keeps the commands of a batch whose commit completed, in
  // commit order, moving each record's `command`, and does NOT look at the
  // engine. When snapshot_due(), call committed_take({}, engine, journal)
  // once the engine holds no uncommitted group (the pipeline drained).
  void committed_records(std::span<Record> batch);
  // A snapshot or a new in-memory base is due (by count or time, or a
  // failed snapshot write to retry).
  bool snapshot_due() const;

  // Takes a new in-memory base now (the engine is in the state after the
  // last committed record) and writes it to the journal as a snapshot,
  // whatever `write_snapshots` says: one Engine::save() serves both. False
  // (with *error) when the write failed; the in-memory base stands.
  bool snapshot_now(const Engine& engine, Journal& journal, std::string* error = nullptr);

  // Puts *engine back to the state after the last committed record (the
  // in-memory base plus the commands committed since). Does not touch the
  // store. False only if the base image does not load (a bug).
  bool rollback(Engine* engine, std::string* error);

  // After a failure: asks the store where the journal ends and replays what
  // the engine lacks (a batch whose reply was lost may have landed). True
  // when the store answered and the engine is at journal.last_seq() again.
  bool resync(Journal& journal, Engine* engine, std::string* error,
              RecoveryReport* report = nullptr);

  std::uint64_t seq() const { return seq_; }            // last committed record
  std::uint64_t base_seq() const { return base_seq_; }  // in-memory image's record
  std::size_t image_bytes() const { return image_.size(); }
  std::uint64_t snapshots_written() const { return snapshots_; }
  double last_snapshot_ms() const { return last_snapshot_ms_; }

 private:
  bool snapshot(const Engine& engine, Journal& journal, std::string* error);
  // The base becomes the engine's image now; the tail is emptied.
  void rebase(const Engine& engine, std::chrono::steady_clock::time_point t0);

  CheckpointOptions options_;
  std::string image_;            // Engine::save() at base_seq_
  std::uint64_t base_seq_ = 0;
  std::uint64_t seq_ = 0;
  // Keeps a committed record's command (moved from `r` or copied) for rollback.
  void keep(const Record& r, std::string command);
  std::vector<Record> tail_;     // committed since base_seq_ (command only)
  std::size_t tail_bytes_ = 0;   // of the commands in tail_
  bool snapshot_pending_ = false;  // the base is newer than the stored snapshot
  std::chrono::steady_clock::time_point last_snapshot_at_;
  std::uint64_t snapshots_ = 0;
  double last_snapshot_ms_ = 0;
};

}  // namespace qc::journal
