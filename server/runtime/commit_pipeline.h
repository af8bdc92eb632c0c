// Pipelined group commits of one shard (docs/durability.md "Group commit"):
//   apply group N, render its views, send its commit; while it is in flight
//   apply N+1 (up to `depth` commits in flight); as each commit completes,
//   in order, answer its group and deliver its views.
// Reads see only durable state: a group holding reads is sent, then the
//   pipeline drains (nothing more is applied) and the reads run when it
//   completed, with every earlier group committed and no later one applied.
// Engine::save() (snapshots, the rollback base) runs with the pipeline
//   drained too.
// A failed commit fails every group still in the pipeline (fail_all()).
//
// Thread-safety: the shard thread only.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "server/runtime/shard_state.h"

namespace qc::gw {

class CommitPipeline {
 public:
  explicit CommitPipeline(ShardState& s);

  bool empty() const { return pipeline_.empty(); }
  // Whether a new group may be applied now (not draining, room for a commit).
  bool can_apply() const { return !drain_ && pipeline_.size() < depth_; }
  // Whether new commands end a wait for a commit (RuntimeOptions::commit_wake).
  bool wake() const { return wake_; }

  // A new group at the back of the pipeline, to apply commands into.
  Group& open(Time now);
  // The group opened last is applied: sends its commit (if it has records)
  // and drains the pipeline after it if it holds reads; then completes what
  // already can be.
  void close(Group& g);
  // Completes the oldest group when its commit's outcome is known (or it
  // has none): answers it, delivers its views, runs its reads. With
  // `block`, waits for the commit (until the journal's wake() when
  // `wakeable`). False when the front group is still in flight.
  bool finish_front(bool block, bool wakeable = false);
  // Once the pipeline is empty: ends a drain, and takes the due snapshot.
  void when_empty();
  // Cluster mode, stepping down: waits for the outcome of every commit in
  // flight and answers every group `unavailable` with `why` (a commit may
  // have landed; the next owner has it). The caller drops the state.
  void abandon(const std::string& why);

 private:
  // `failure`: the message of a group that is not durable (default: its
  // commit failed and nothing of it stays).
  void answer(Group& g, bool durable, std::string_view failure = {});
  void fail_all(const std::string& err);
  void publish_relayed(const Group& g);
  void save();
  // The journal's snapshot is due: `snapshot_every` records since the last
  // one, and their commands weigh at least as much as the engine's image
  // (docs/durability.md, "Snapshots").
  bool journal_snapshot_due() const;
  void recycle();

  ShardState& s_;
  std::deque<std::unique_ptr<Group>> pipeline_;  // applied, not yet answered; oldest first
  std::vector<std::unique_ptr<Group>> spare_;
  const std::size_t depth_;
  const bool wake_;
  bool drain_ = false;     // apply nothing until the pipeline is empty
  bool save_due_ = false;  // Engine::save() once it is
};

}  // namespace qc::gw
