// One shard: its state (shard_state.h) and thread. The thread's loop takes
// tasks from the TaskQueue, applies each group with the CommandApplier and
// hands it to the CommitPipeline, which answers it once its commit is known.
#include "server/runtime/shard.h"

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server/infra/log.h"
#include "server/live/publisher.h"
#include "store/redis_cluster.h"
#include "server/runtime/command_applier.h"
#include "server/runtime/commit_pipeline.h"
#include "server/runtime/shard_recovery.h"
#include "server/runtime/shard_state.h"
#include "server/runtime/task_queue.h"

namespace qc::gw {
using Steady = std::chrono::steady_clock;

class Shard::Impl {
 public:
  Impl(int index, const RuntimeOptions& options, const Clock& clock, Metrics& metrics,
       Directory& directory, std::unique_ptr<journal::Journal> journal, Ownership* own)
      : state_(index, options, clock, metrics, directory, std::move(journal), own),
        queue_(*state_.journal),
        pipeline_(state_),
        applier_(state_) {}

  ~Impl() { stop(); }

  // Cluster mode: nothing to recover before the partition's lease is taken.
  bool recover(std::string* error) {
    if (state_.own) {
      state_.recovered = true;
      return true;
    }
    return rebuild(state_, error);
  }
  void start() { thread_ = std::thread([this] { run(); }); }
  void stop() {
    queue_.close();
    if (thread_.joinable()) thread_.join();
  }
  void post_command(CommandRequest r) { queue_.post_command(std::move(r)); }
  void post_commands(std::vector<CommandRequest>& rs) { queue_.post_commands(rs); }
  void post_read(ReadFn fn) { queue_.post_read(std::move(fn)); }
  bool ready() const {
    return state_.recovered && !state_.degraded &&
           (!state_.own || state_.own->wanted.load() == state_.own->serving.load());
  }

 private:
  // The shard thread (see commit_pipeline.h for the pipeline it drives).
  void run() {
    std::vector<Task> batch;
    const auto interval = std::chrono::milliseconds(state_.options.tick_interval);
    auto next_tick = Steady::now() + interval;
    for (;;) {
      if (state_.own) manage_ownership();
      while (pipeline_.finish_front(/*block=*/false)) {
      }
      // Idle: wait for a task (or the tick) before deciding whether to take
      // it, so that the push backlog is looked at when the task is there.
      if (pipeline_.empty())
        queue_.take(&batch, 0, /*take=*/false, /*wait=*/true, next_tick, /*journal_wakes_if_idle=*/false);
      const bool throttled = pipeline_.can_apply() && push_throttled();
      const bool can_apply = pipeline_.can_apply() && !throttled;
      const bool stopping =
          queue_.take(&batch, state_.options.max_group, /*take=*/can_apply, /*wait=*/false, next_tick,
                      /*journal_wakes_if_idle=*/can_apply && !pipeline_.empty() && pipeline_.wake());
      const bool tick = can_apply && Steady::now() >= next_tick;
      if (tick) next_tick = Steady::now() + interval;
      if (!batch.empty() || tick) {
        process(batch, state_.clock.now(), tick);
        batch.clear();
        throttled_since_.reset();
      } else if (!pipeline_.empty()) {
        pipeline_.finish_front(/*block=*/true, /*wakeable=*/can_apply && pipeline_.wake());
      } else if (throttled) {
        std::this_thread::sleep_for(kPushThrottlePoll);
      }
      pipeline_.when_empty();
      if (stopping && pipeline_.empty()) break;
    }
  }

  // Whether the next group waits for the network threads to send the push
  // backlog (RuntimeOptions::push_backlog): while the backlog is over its
  // bound, for at most kPushThrottleMax since the last group.
  bool push_throttled() {
    const std::size_t bound = state_.options.push_backlog;
    if (bound == 0 ||
        state_.metrics.ws_frames_pending.load(std::memory_order_relaxed) <= static_cast<std::int64_t>(bound)) {
      throttled_since_.reset();
      return false;
    }
    const auto now = Steady::now();
    if (!throttled_since_) {
      throttled_since_ = now;
      state_.metrics.push_throttled.fetch_add(1, std::memory_order_relaxed);
    }
    return now - *throttled_since_ < kPushThrottleMax;
  }

  // Applies a group and sends its commit.
  void process(std::vector<Task>& batch, Time now, bool tick) {
    if (state_.degraded && tick && pipeline_.empty() && state_.serving() &&
        !(state_.own && state_.own->fenced.load())) {
      // Rebuilt from the store (once) only when it takes a write again: a
      // store that can be read but not written (disk full, maxmemory) keeps
      // the shard degraded instead of recovering it for every command.
      std::string err;
      if (state_.journal->probe_write(&err)) rebuild(state_, &err);
    }
    Group& g = pipeline_.open(now);
    state_.changes.clear();
    if (tick && !state_.degraded && state_.serving()) {
      CommandRequest t;
      t.command.actor = {ActorKind::kSystem, ""};
      t.command.body = Tick{};
      t.principal.role = Role::kNone;
      applier_.apply(t, now, /*system=*/true, g);
      // Displays whose rooms changed by time alone (local midnight, an
      // evening session leaving) are pushed although no command changed them.
      if (last_tick_ != kNoTime)
        for (std::string& area : state_.engine.display_areas_changed(last_tick_, now))
          state_.changes.areas.insert(std::move(area));
      last_tick_ = now;
    }
    for (Task& task : batch) {
      if (task.read) g.reads.push_back(std::move(task.read));
      else applier_.apply(task.cmd, now, /*system=*/false, g);
    }
    // The views as this group left them; delivered when it is durable.
    if (!state_.changes.empty())
      render_views(state_.engine, state_.hub, state_.changes, now, &g.publications);
    pipeline_.close(g);
  }

  // ---- Cluster mode (server/runtime/partition.h) ----

  // Follows what the ClusterMember wants: takes the partition over
  // (recovers it from its journal, fenced by the new epoch), or steps down.
  void manage_ownership() {
    Ownership& o = *state_.own;
    const std::uint64_t wanted = o.wanted.load(std::memory_order_acquire);
    const bool fenced = o.fenced.load(std::memory_order_acquire);
    if (serving_ != 0 && (wanted != serving_ || fenced))
      step_down(fenced ? "fenced" : wanted == 0 ? "released" : "new_epoch");
    if (serving_ == 0 && wanted != 0 && !fenced && Steady::now() >= retry_take_over_) take_over(wanted);
  }

  void take_over(std::uint64_t epoch) {
    state_.journal->set_fence(journal::partition_fence(state_.options.cluster_prefix, state_.index, epoch));
    std::string err;
    const auto t0 = Steady::now();
    if (!rebuild(state_, &err)) {
      retry_take_over_ = Steady::now() + std::chrono::milliseconds(250);
      log_event("warn", "takeover_failed",
                {{"partition", std::to_string(state_.index)}, {"epoch", std::to_string(epoch)}, {"error", err}});
      return;
    }
    serving_ = epoch;
    state_.views_published = 0;
    state_.relays.clear();
    state_.own->serving.store(epoch, std::memory_order_release);
    state_.metrics.takeovers.fetch_add(1, std::memory_order_relaxed);
    log_event("info", "partition_served",
              {{"partition", std::to_string(state_.index)}, {"epoch", std::to_string(epoch)},
               {"recovery_ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                  Steady::now() - t0).count())}});
  }

  // Stops serving: every command in the pipeline is answered `unavailable`
  // (a commit in flight may have landed: a retry with its key gets the
  // stored answer from the next owner), the queue's commands likewise (not
  // serving), the state is dropped (the next owner rebuilds it from the
  // journal), and the partition's WebSocket followers are disconnected so
  // that they reconnect and resubscribe (with their versions) where it is
  // served now.
  void step_down(const char* reason) {
    pipeline_.abandon("this node stopped serving the partition (" + std::string(reason) +
                      "); the command may have been applied: retry with the same Idempotency-Key");
    serving_ = 0;
    state_.own->serving.store(0, std::memory_order_release);
    state_.engine = Engine(state_.options.engine);
    state_.idem = IdempotencyMap(state_.options.idempotency_max, state_.options.idempotency_ttl);
    state_.unsettled_claims.clear();
    state_.degraded = false;
    state_.hub.disconnect_all();
    state_.relays.clear();
    last_tick_ = kNoTime;
    state_.metrics.stepdowns.fetch_add(1, std::memory_order_relaxed);
    log_event(std::string_view(reason) == "released" ? "info" : "warn", "stepped_down",
              {{"partition", std::to_string(state_.index)}, {"reason", reason}});
  }

  ShardState state_;
  std::uint64_t serving_ = 0;  // cluster mode: the epoch served (0: none)
  Steady::time_point retry_take_over_{};
  TaskQueue queue_;
  CommitPipeline pipeline_;
  CommandApplier applier_;
  Time last_tick_ = kNoTime;  // `now` of the last tick (display changes by time)
  // Since when the next group waits for the push backlog (push_throttled()).
  std::optional<Steady::time_point> throttled_since_;
  static constexpr auto kPushThrottleMax = std::chrono::milliseconds(50);
  static constexpr auto kPushThrottlePoll = std::chrono::microseconds(250);
  std::thread thread_;
};

Shard::Shard(int index, const RuntimeOptions& options, const Clock& clock, Metrics& metrics,
             Directory& directory, std::unique_ptr<journal::Journal> journal, Ownership* own)
    : impl_(std::make_unique<Impl>(index, options, clock, metrics, directory, std::move(journal),
                                   own)) {}
Shard::~Shard() = default;
bool Shard::recover(std::string* error) { return impl_->recover(error); }
void Shard::start() { impl_->start(); }
void Shard::stop() { impl_->stop(); }
void Shard::post_command(CommandRequest request) { impl_->post_command(std::move(request)); }
void Shard::post_commands(std::vector<CommandRequest>& requests) { impl_->post_commands(requests); }
void Shard::post_read(ReadFn fn) { impl_->post_read(std::move(fn)); }
bool Shard::ready() const { return impl_->ready(); }

}  // namespace qc::gw
