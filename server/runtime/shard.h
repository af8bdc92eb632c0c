// One engine shard: the thread that owns an Engine, its Journal and its Hub,
// and applies commands in group commits (see runtime.h for the whole
// picture). Used by Runtime only. Its pieces: shard_state.h (what it owns),
// task_queue.h, command_applier.h, commit_pipeline.h, shard_recovery.h.
//
// recover() is the seam for durable stores: it rebuilds the engine with
// qc::journal::recover() (store/recovery.h) and, from the records'
// callbacks, the idempotency keys (on_key) and the token map
// (on_record). It runs before start(), and again by the shard itself after a
// failed append (store down), every tick until it succeeds.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "store/journal.h"
#include "server/infra/clock.h"
#include "server/runtime/directory.h"
#include "server/runtime/partition.h"
#include "server/infra/metrics.h"
#include "server/runtime/runtime.h"

namespace qc::gw {

class Shard {
 public:
  // `own`: cluster mode (server/runtime/partition.h), else null.
  Shard(int index, const RuntimeOptions& options, const Clock& clock, Metrics& metrics,
        Directory& directory, std::unique_ptr<journal::Journal> journal, Ownership* own);
  ~Shard();
  bool recover(std::string* error);
  void start();
  // Answers every queued task, then joins the thread. Idempotent.
  void stop();
  // Thread-safe; after stop() commands are answered `unavailable`.
  void post_command(CommandRequest request);
  // The same for several commands: one lock, at most one wake-up. Moves
  // from `requests` and leaves it empty.
  void post_commands(std::vector<CommandRequest>& requests);
  void post_read(ReadFn fn);
  bool ready() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qc::gw
