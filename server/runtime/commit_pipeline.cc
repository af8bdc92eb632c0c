#include "server/runtime/commit_pipeline.h"

#include <algorithm>
#include <chrono>

#include "server/infra/log.h"
#include "server/infra/batch.h"

namespace qc::gw {

using Steady = std::chrono::steady_clock;

namespace {

constexpr std::string_view kLeaseExpired =
    "this node's lease on the partition ran out before the answer; the command may have been "
    "applied: retry with the same Idempotency-Key";

double micros_since(Steady::time_point t0) {
  return std::chrono::duration<double, std::micro>(Steady::now() - t0).count();
}

// Commits in flight at most: RuntimeOptions::commit_depth (1 = no pipelining).
std::size_t pipeline_depth(const RuntimeOptions& o) {
  return std::clamp<std::size_t>(o.commit_depth, 1, 64);
}

}  // namespace

journal::CheckpointOptions rollback_options(const RuntimeOptions& o) {
  const bool snapshots_suffice = o.snapshot_every > 0 && o.snapshot_every <= 50'000;
  return journal::CheckpointOptions{
      .every_records = snapshots_suffice ? std::uint64_t{0} : std::uint64_t{50'000}, .every_ms = 0,
      .write_snapshots = false, .by_count_at_least_image = true};
}

CommitPipeline::CommitPipeline(ShardState& s)
    : s_(s), depth_(pipeline_depth(s.options)), wake_(s.options.commit_wake) {}

Group& CommitPipeline::open(Time now) {
  std::unique_ptr<Group> g;
  if (!spare_.empty()) {
    g = std::move(spare_.back());
    spare_.pop_back();
  } else {
    g = std::make_unique<Group>();
  }
  g->now = now;
  pipeline_.push_back(std::move(g));
  return *pipeline_.back();
}

void CommitPipeline::close(Group& g) {
  if (!g.records.empty()) {
    g.commit = true;
    g.sent_at = Steady::now();
    s_.journal->send(g.records);
  }
  if (!g.reads.empty()) drain_ = true;
  while (finish_front(/*block=*/false)) {
  }
}

void CommitPipeline::when_empty() {
  if (!pipeline_.empty()) return;
  drain_ = false;
  if (save_due_) save();
}

bool CommitPipeline::finish_front(bool block, bool wakeable) {
  if (pipeline_.empty()) return false;
  Group& g = *pipeline_.front();
  if (g.commit) {
    std::string err;
    journal::Journal::Commit state;
    for (;;) {
      state = s_.journal->complete(block, &err);
      if (state != journal::Journal::Commit::kPending || !block || wakeable) break;
    }
    if (state == journal::Journal::Commit::kPending) return false;
    s_.metrics.commit_latency.observe_us(micros_since(g.sent_at));
    if (state == journal::Journal::Commit::kFailed) {
      fail_all(err);
      return false;
    }
    s_.metrics.commits.fetch_add(1, std::memory_order_relaxed);
    s_.metrics.committed_records.fetch_add(g.records.size(), std::memory_order_relaxed);
    s_.since_snapshot += g.records.size();
    for (const journal::Record& r : g.records) s_.since_snapshot_bytes += r.command.size();
  }
  if (s_.own && s_.own->expired()) {
    // Past the local lease deadline another node may serve the partition
    // already: nothing is answered from here, not even this durable commit
    // (the retry with its key gets the stored answer from the next owner).
    answer(g, /*durable=*/false, kLeaseExpired);
  } else {
    answer(g, /*durable=*/true);
  }
  if (g.commit) {
    // The rollback base's tail: committed records only, in order.
    s_.checkpoint.committed_records(g.records);
    if (s_.checkpoint.snapshot_due() || journal_snapshot_due()) {
      save_due_ = true;
      drain_ = true;
    }
  }
  recycle();
  return true;
}

// The answers of a group, inside one Batch (server/infra/batch.h): the
// network side hands them to its threads once, at the end of the group.
void CommitPipeline::answer(Group& g, bool durable, std::string_view failure) {
  Batch batch;
  for (Ack& a : g.acks) {
    if (!durable) {
      // Every answer of a failed group, and of the groups after it, was
      // computed on state that is gone.
      a.outcome = CommandOutcome{};
      a.outcome.error = Error::kUnavailable;
      a.outcome.message = failure.empty()
                              ? std::string("the journal did not accept the command; nothing changed")
                              : std::string(failure);
    }
    if (a.done) a.done(std::move(a.outcome));
  }
  if (durable) {
    deliver(s_.hub, &g.publications);
    if (s_.own && s_.options.publish_views) publish_relayed(g);
  } else {
    g.publications.clear();
  }
  if (!g.reads.empty()) {
    // Only the newest group can hold reads (the pipeline drained before
    // anything after it was applied), or the engine is back to its durable
    // state (fail_all()).
    ShardContext ctx{s_.engine, g.now, s_.hub, s_.index, s_.metrics};
    if (s_.own) {
      ctx.relays = &s_.relays;
      ctx.epoch = s_.own->serving.load(std::memory_order_relaxed);
      ctx.last_seq = s_.views_published;
    }
    for (auto& r : g.reads) r(ctx);
  }
}

// Cluster mode: the views of a durable group that other nodes follow, in
// one message to the partition's channel (server/live/relay.h).
void CommitPipeline::publish_relayed(const Group& g) {
  ViewsMessage m;
  if (!s_.relays.take(&m.views)) return;
  m.partition = s_.index;
  m.epoch = s_.own->serving.load(std::memory_order_relaxed);
  m.seq = ++s_.views_published;
  m.published_us = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                  std::chrono::system_clock::now().time_since_epoch())
                                                  .count());
  (void)g;
  s_.options.publish_views(s_.index, encode_views(m));
}

// The front group's commit failed: so does every group in the pipeline (the
// journal lands none of their commits unless the failed one landed).
// Nothing of them stays visible: the engine is rolled back to its last
// committed record at once, in memory (reads never see them, even while the
// store stays down). Then every group is answered `unavailable`, in order,
// and the shard stays degraded (commands answered `unavailable` without
// touching the engine, /readyz 503) until a tick finds the store writable
// (Journal::probe_write()) and rebuilds the shard from it once (a commit
// whose reply was lost may have landed; the idempotency keys of the failed
// groups go with the rebuild).
void CommitPipeline::fail_all(const std::string& err) {
  std::size_t records = 0;
  for (auto& g : pipeline_) records += g->records.size();
  s_.metrics.journal_failures.fetch_add(1, std::memory_order_relaxed);
  log_event("error", "journal_append_failed",
            {{"shard", std::to_string(s_.index)}, {"error", err},
             {"records", std::to_string(records)},
             {"groups", std::to_string(pipeline_.size())}});
  for (std::size_t i = 1; i < pipeline_.size(); ++i) {
    if (!pipeline_[i]->commit) continue;
    std::string ignored;
    while (s_.journal->complete(/*block=*/true, &ignored) == journal::Journal::Commit::kPending) {
    }
  }
  s_.degraded = true;
  if (s_.own) {
    // Cluster mode: another node took the partition (its epoch fences our
    // commits): the shard steps down. An id another partition holds: the
    // directory learns whose it is, so the retried command is refused.
    if (s_.journal->status() == journal::Status::kFenced) s_.own->fenced.store(true, std::memory_order_release);
    std::string field, id;
    int owner = -1, map = 0;
    if (s_.journal->status() == journal::Status::kConflict &&
        journal::parse_conflict(err, &field, &owner) && Directory::parse_id_field(field, &map, &id)) {
      s_.directory.put(map, id, owner);
      s_.metrics.cluster_conflicts.fetch_add(1, std::memory_order_relaxed);
    }
    // An idempotency key another partition took for its request: the
    // retry here is answered idempotency_key_reused (Directory::claim_key()).
    std::string key;
    if (s_.journal->status() == journal::Status::kConflict &&
        journal::parse_key_conflict(err, s_.options.cluster_prefix + ":ik:", &key, &owner)) {
      s_.directory.key_taken_elsewhere(key, s_.clock.now());
      s_.metrics.cluster_conflicts.fetch_add(1, std::memory_order_relaxed);
    }
  }
  std::string rerr;
  s_.checkpoint.rollback(&s_.engine, &rerr);
  // Keys of the failed groups must answer nothing while degraded; the
  // rebuild reloads the durable ones from the journal.
  s_.idem = IdempotencyMap(s_.options.idempotency_max, s_.options.idempotency_ttl);
  // Ids claimed by the failed groups stay claimed until the rebuild tells
  // whether their command landed after all (settle_claims()).
  for (const auto& g : pipeline_)
    s_.unsettled_claims.insert(s_.unsettled_claims.end(), g->claims.begin(), g->claims.end());
  while (!pipeline_.empty()) {
    answer(*pipeline_.front(), /*durable=*/false);
    recycle();
  }
  drain_ = false;
  save_due_ = false;
}

void CommitPipeline::abandon(const std::string& why) {
  for (auto& g : pipeline_) {
    if (!g->commit) continue;
    std::string ignored;
    while (s_.journal->complete(/*block=*/true, &ignored) == journal::Journal::Commit::kPending) {
    }
  }
  while (!pipeline_.empty()) {
    answer(*pipeline_.front(), /*durable=*/false, why);
    recycle();
  }
  drain_ = false;
  save_due_ = false;
}

// With the pipeline drained: one Engine::save() for the journal's snapshot
// and the rollback base, or the rollback base alone.
void CommitPipeline::save() {
  save_due_ = false;
  std::string err;
  if (journal_snapshot_due()) {
    if (s_.checkpoint.snapshot_now(s_.engine, *s_.journal, &err)) {
      s_.since_snapshot = 0;
      s_.since_snapshot_bytes = 0;
    } else {
      log_event("warn", "snapshot_failed", {{"shard", std::to_string(s_.index)}, {"error", err}});
    }
  } else {
    s_.checkpoint.committed_take({}, s_.engine, *s_.journal);
  }
}

bool CommitPipeline::journal_snapshot_due() const {
  return s_.options.snapshot_every && s_.since_snapshot >= s_.options.snapshot_every &&
         s_.since_snapshot_bytes >= s_.checkpoint.image_bytes();
}

// The front group leaves the pipeline; its vectors keep their capacity.
void CommitPipeline::recycle() {
  std::unique_ptr<Group> g = std::move(pipeline_.front());
  pipeline_.pop_front();
  g->records.clear();
  g->acks.clear();
  g->publications.clear();
  g->reads.clear();
  g->claims.clear();
  g->commit = false;
  spare_.push_back(std::move(g));
}

}  // namespace qc::gw
