// One engine shard: the thread that owns an Engine, its Journal and its Hub,
// and applies commands in group commits (see runtime.h for the whole
// picture). Used by Runtime only.
//
// recover() is the seam for durable stores: it rebuilds the engine with
// qc::journal::recover() (engine/journal/recovery.h) and, from the records'
// callbacks, the idempotency keys (on_key) and the hold/token maps
// (on_record). It runs before start(), and again by the shard itself after a
// failed append (store down), every tick until it succeeds.
#pragma once

#include <memory>
#include <string>

#include "engine/journal/journal.h"
#include "gateway/clock.h"
#include "gateway/directory.h"
#include "gateway/metrics.h"
#include "gateway/runtime.h"

namespace qc::gw {

class Shard {
 public:
  Shard(int index, const RuntimeOptions& options, const Clock& clock, Metrics& metrics,
        Directory& directory, std::unique_ptr<journal::Journal> journal);
  ~Shard();
  bool recover(std::string* error);
  void start();
  // Answers every queued task, then joins the thread. Idempotent.
  void stop();
  // Thread-safe; after stop() commands are answered `unavailable`.
  void post_command(CommandRequest request);
  void post_read(ReadFn fn);
  bool ready() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qc::gw
