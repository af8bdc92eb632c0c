#include "server/runtime/shard.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "store/checkpoint.h"
#include "store/recovery.h"
#include "server/runtime/command_facts.h"
#include "server/infra/log.h"
#include "server/live/publisher.h"
#include "proto/codec.h"

namespace qc::gw {
namespace pb = ::queuecast::v1;
using Steady = std::chrono::steady_clock;

namespace {

double micros_since(Steady::time_point t0) {
  return std::chrono::duration<double, std::micro>(Steady::now() - t0).count();
}

Target session_target(const Engine& e, std::string_view sid) {
  Target t;
  t.session_id = std::string(sid);
  if (const SessionSpec* s = e.session_spec(sid)) {
    t.department = s->department;
    t.area = s->area;
  }
  return t;
}

// A ticket's or hold's facts: its session's, and the channel that made it.
Target object_target(const Engine& e, const std::optional<std::string>& sid,
                     std::optional<std::string> channel) {
  Target t = sid ? session_target(e, *sid) : Target{};
  if (channel) t.owner_channel = std::move(*channel);
  return t;
}

// The id a command creates that must be unique across the server and is
// chosen by the caller: a new session id, a chosen ticket or hold id
// (engine-assigned ids, "<session>-A001", "<session>-H1", derive from their
// session's). {map, nullptr} when none.
std::pair<int, const std::string*> server_wide_id(const CommandBody& b) {
  const std::string* id = nullptr;
  int map = Directory::kTicket;
  if (auto* c = std::get_if<CreateSession>(&b)) map = Directory::kSession, id = &c->spec.session_id;
  else if (auto* h = std::get_if<Hold>(&b)) map = Directory::kHold, id = &h->hold_id;
  else if (auto* k = std::get_if<Book>(&b)) id = &k->ticket_id;
  else if (auto* f = std::get_if<Confirm>(&b)) id = &f->ticket_id;
  else if (auto* w = std::get_if<RegisterWalkIn>(&b)) id = &w->ticket_id;
  return {map, id && !id->empty() ? id : nullptr};
}

}  // namespace


Target ShardContext::target_of_session(std::string_view sid) const {
  return session_target(engine, sid);
}
Target ShardContext::target_of_ticket(std::string_view tid) const {
  Target t = object_target(engine, engine.ticket_session(tid), engine.ticket_channel(tid));
  t.ticket_id = std::string(tid);
  return t;
}
Target ShardContext::target_of_hold(std::string_view hid) const {
  // Every hold, open or finished, is known to the engine.
  Target t = object_target(engine, engine.hold_session(hid), engine.hold_channel(hid));
  t.hold_id = std::string(hid);
  return t;
}
Target ShardContext::target_of_area(std::string_view area) const {
  Target t;
  t.area = std::string(area);
  for (const std::string& sid : engine.session_ids()) {
    const SessionSpec* s = engine.session_spec(sid);
    if (s && s->area == area) t.area_sessions.emplace_back(sid, s->department);
  }
  return t;
}

class Shard::Impl {
 public:
  Impl(int index, const RuntimeOptions& options, const Clock& clock, Metrics& metrics,
        Directory& directory, std::unique_ptr<journal::Journal> journal)
      : index_(index),
        options_(options),
        clock_(clock),
        metrics_(metrics),
        directory_(directory),
        journal_(std::move(journal)),
        engine_(options.engine),
        idem_(options.idempotency_max, options.idempotency_ttl) {}

  ~Impl() { stop(); }

  // Recovery: the journal's recover() (snapshot + replay, store/
  // recovery.h) rebuilds the engine; its callbacks rebuild the idempotency
  // keys and the token map; the directory is refilled from the engine.
  bool recover(std::string* error) {
    idem_ = IdempotencyMap(options_.idempotency_max, options_.idempotency_ttl);
    journal::RecoveryOptions ro;
    ro.key_window = options_.idempotency_ttl;
    ro.on_key = [&](const journal::Record& r) {
      idem_.remember(r.idempotency_key, r.request_fingerprint, r.response, r.at);
      directory_.remember_key(r.idempotency_key, r.request_fingerprint, r.at);
    };
    ro.on_command = [&](const journal::Record&, const Command& cmd) {
      if (const std::string* tok = token_of(cmd.body)) directory_.put(Directory::kToken, *tok, index_);
    };
    journal::RecoveryReport report;
    std::string err;
    bool ok = journal::recover(*journal_, &engine_, ro, &report, &err);
    for (const auto& p : report.problems)
      log_event("warn", "recovery_problem", {{"shard", std::to_string(index_)}, {"detail", p}});
    if (!ok) {
      if (error) *error = err;
      degraded_ = true;
      log_event("error", "recovery_failed", {{"shard", std::to_string(index_)}, {"error", err}});
      return false;
    }
    if (directory_.shards() > 1) {
      for (const auto& sid : engine_.session_ids()) {
        directory_.put(Directory::kSession, sid, index_);
        if (auto v = engine_.staff_view(sid, 0))
          for (const auto& t : v->tickets) directory_.put(Directory::kTicket, t.ticket_id, index_);
      }
      for (const auto& hid : engine_.hold_ids()) directory_.put(Directory::kHold, hid, index_);
    }
    next_seq_ = std::max(report.last_seq, journal_->last_seq()) + 1;
    checkpoint_.reset(engine_, report.last_seq);  // the rollback base
    since_snapshot_ = report.records_replayed;
    settle_claims();
    degraded_ = false;
    recovered_ = true;
    log_event("info", "recovered",
              {{"shard", std::to_string(index_)}, {"store", journal_->describe()},
               {"summary", report.summary()}});
    return true;
  }

  // Ids claimed by groups whose commit failed (fail_all()) are free again
  // once the rebuild shows their command did not land.
  void settle_claims() {
    for (const auto& [map, id] : unsettled_claims_)
      if (!(map == Directory::kSession ? engine_.has_session(id)
            : map == Directory::kHold  ? engine_.hold_session(id).has_value()
                                       : engine_.ticket_session(id).has_value()))
        directory_.release(map, id, index_);
    unsettled_claims_.clear();
  }

  void start() {
    thread_ = std::thread([this] { run(); });
  }

  void stop() {
    {
      std::lock_guard lock(mu_);
      if (stopping_) {
        if (!thread_.joinable()) return;
      }
      stopping_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

  // The shard thread is woken only when the queue was empty (it takes all of
  // it at once), and after the lock is released (so it does not wake up
  // only to wait for the lock). While it waits for a commit with room in
  // the pipeline, the journal's wake() is what wakes it.
  void post_command(CommandRequest r) {
    {
      std::unique_lock lock(mu_);
      if (!stopping_) {
        queue_.push_back(Task{std::move(r), nullptr});
        const bool wake = queue_.size() == 1;
        const bool journal = waiting_on_journal_;
        lock.unlock();
        if (wake) notify(journal);
        return;
      }
    }
    CommandOutcome o;
    o.error = Error::kUnavailable;
    o.message = "server is shutting down";
    r.done(std::move(o));
  }

  void post_commands(std::vector<CommandRequest>& rs) {
    if (rs.empty()) return;
    {
      std::unique_lock lock(mu_);
      if (!stopping_) {
        const bool wake = queue_.empty();
        const bool journal = waiting_on_journal_;
        for (auto& r : rs) queue_.push_back(Task{std::move(r), nullptr});
        lock.unlock();
        rs.clear();
        if (wake) notify(journal);
        return;
      }
    }
    for (auto& r : rs) {
      CommandOutcome o;
      o.error = Error::kUnavailable;
      o.message = "server is shutting down";
      r.done(std::move(o));
    }
    rs.clear();
  }

  void post_read(ReadFn fn) {
    std::unique_lock lock(mu_);
    queue_.push_back(Task{{}, std::move(fn)});
    const bool wake = queue_.size() == 1;
    const bool journal = waiting_on_journal_;
    lock.unlock();
    if (wake) notify(journal);
  }

  bool ready() const { return recovered_ && !degraded_; }

 private:
  struct Task {
    CommandRequest cmd;
    ReadFn read;  // set: a read; else a command
  };
  struct Ack {
    std::function<void(CommandOutcome)> done;
    CommandOutcome outcome;
    bool applied = false;
  };
  // One group commit, from its application to its answers. Groups leave
  // the pipeline in order; one with records has a commit in flight
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
    Steady::time_point sent_at;
  };

  void notify(bool journal) {
    if (journal) journal_->wake();
    else cv_.notify_one();
  }

  // Pipelined group commits (docs/durability.md "Group commit"):
  //   apply group N, render its views, send its commit; while it is in
  //   flight apply N+1 (up to `depth_` commits in flight); as each commit
  //   completes, in order, answer its group and deliver its views.
  // Reads see only durable state: a group holding reads is sent, then the
  //   pipeline drains (nothing more is applied) and the reads run when it
  //   completed, with every earlier group committed and no later one applied.
  // Engine::save() (snapshots, the rollback base) runs with the pipeline
  //   drained too.
  // A failed commit fails every group still in the pipeline (fail_all()).
  void run() {
    std::vector<Task> batch;
    auto next_tick = Steady::now() + std::chrono::milliseconds(options_.tick_interval);
    for (;;) {
      while (finish_front(/*block=*/false)) {
      }
      const bool can_apply = !drain_ && pipeline_.size() < depth_;
      bool stopping;
      {
        std::unique_lock lock(mu_);
        waiting_on_journal_ = false;
        if (pipeline_.empty())
          cv_.wait_until(lock, next_tick, [&] { return stopping_ || !queue_.empty(); });
        if (can_apply) {
          std::size_t n = std::min(queue_.size(), options_.max_group);
          for (std::size_t i = 0; i < n; ++i) {
            batch.push_back(std::move(queue_.front()));
            queue_.pop_front();
          }
        }
        stopping = stopping_ && queue_.empty();
        // Waiting for a commit below, but new commands could start the next
        // group: the posters wake the journal's wait.
        if (batch.empty() && can_apply && !pipeline_.empty() && wake_) waiting_on_journal_ = true;
      }
      const bool tick = can_apply && Steady::now() >= next_tick;
      if (tick) next_tick = Steady::now() + std::chrono::milliseconds(options_.tick_interval);
      if (!batch.empty() || tick) {
        process(batch, clock_.now(), tick);
        batch.clear();
      } else if (!pipeline_.empty()) {
        finish_front(/*block=*/true, /*wakeable=*/can_apply && wake_);
      }
      if (pipeline_.empty()) {
        drain_ = false;
        if (save_due_) save();
      }
      if (stopping && pipeline_.empty()) break;
    }
  }

  // Applies a group and sends its commit.
  void process(std::vector<Task>& batch, Time now, bool tick) {
    if (degraded_ && tick && pipeline_.empty()) {
      // Rebuilt from the store (once) only when it takes a write again: a
      // store that can be read but not written (disk full, maxmemory) keeps
      // the shard degraded instead of recovering it for every command.
      std::string err;
      if (journal_->probe_write(&err)) recover(&err);
    }
    Group& g = new_group();
    g_ = &g;
    g.now = now;
    changes_.clear();
    if (tick && !degraded_) {
      CommandRequest t;
      t.command.actor = {ActorKind::kSystem, ""};
      t.command.body = Tick{};
      t.principal.role = Role::kNone;
      apply_one(t, now, /*system=*/true);
      // Displays whose rooms changed by time alone (local midnight, an
      // evening session leaving) are pushed although no command changed them.
      if (last_tick_ != kNoTime)
        for (std::string& area : engine_.display_areas_changed(last_tick_, now))
          changes_.areas.insert(std::move(area));
      last_tick_ = now;
    }
    for (Task& task : batch) {
      if (task.read) {
        g.reads.push_back(std::move(task.read));
      } else {
        apply_one(task.cmd, now, false);
      }
    }
    g_ = nullptr;
    // The views as this group left them; delivered when it is durable.
    if (!changes_.empty()) render_views(engine_, hub_, changes_, now, &g.publications);
    if (!g.records.empty()) {
      g.commit = true;
      g.sent_at = Steady::now();
      journal_->send(g.records);
    }
    if (!g.reads.empty()) drain_ = true;
    while (finish_front(/*block=*/false)) {
    }
  }

  // Completes the oldest group when its commit's outcome is known (or it
  // has none): answers it, delivers its views, runs its reads. With
  // `block`, waits for the commit (until the journal's wake() when
  // `wakeable`). False when the front group is still in flight.
  bool finish_front(bool block, bool wakeable = false) {
    if (pipeline_.empty()) return false;
    Group& g = *pipeline_.front();
    if (g.commit) {
      std::string err;
      journal::Journal::Commit state;
      for (;;) {
        state = journal_->complete(block, &err);
        if (state != journal::Journal::Commit::kPending || !block || wakeable) break;
      }
      if (state == journal::Journal::Commit::kPending) return false;
      metrics_.commit_latency.observe_us(micros_since(g.sent_at));
      if (state == journal::Journal::Commit::kFailed) {
        fail_all(err);
        return false;
      }
      metrics_.commits.fetch_add(1, std::memory_order_relaxed);
      metrics_.committed_records.fetch_add(g.records.size(), std::memory_order_relaxed);
      since_snapshot_ += g.records.size();
    }
    answer(g, /*durable=*/true);
    if (g.commit) {
      // The rollback base's tail: committed records only, in order.
      checkpoint_.committed_records(g.records);
      if (checkpoint_.snapshot_due() ||
          (options_.snapshot_every && since_snapshot_ >= options_.snapshot_every)) {
        save_due_ = true;
        drain_ = true;
      }
    }
    recycle();
    return true;
  }

  // The answers of a group, inside one Batch (server/infra/batch.h): the
  // network side hands them to its threads once, at the end of the group.
  void answer(Group& g, bool durable) {
    Batch batch;
    for (Ack& a : g.acks) {
      if (!durable) {
        // Every answer of a failed group, and of the groups after it, was
        // computed on state that is gone.
        a.outcome = CommandOutcome{};
        a.outcome.error = Error::kUnavailable;
        a.outcome.message = "the journal did not accept the command; nothing changed";
      }
      if (a.done) a.done(std::move(a.outcome));
    }
    if (durable) deliver(hub_, &g.publications);
    else g.publications.clear();
    if (!g.reads.empty()) {
      // Only the newest group can hold reads (the pipeline drained before
      // anything after it was applied), or the engine is back to its
      // durable state (fail_all()).
      ShardContext ctx{engine_, g.now, hub_, index_, metrics_};
      for (auto& r : g.reads) r(ctx);
    }
  }

  // The front group's commit failed: so does every group in the pipeline
  // (the journal lands none of their commits unless the failed one landed).
  // Nothing of them stays visible: the engine is rolled back to its last
  // committed record at once, in memory (reads never see them, even while
  // the store stays down). Then every group is answered `unavailable`, in
  // order, and the shard stays degraded (commands answered `unavailable`
  // without touching the engine, /readyz 503) until a tick finds the store
  // writable (Journal::probe_write()) and rebuilds the shard from it once
  // (a commit whose reply was lost may have landed; the idempotency keys
  // of the failed groups go with the rebuild).
  void fail_all(const std::string& err) {
    std::size_t records = 0;
    for (auto& g : pipeline_) records += g->records.size();
    metrics_.journal_failures.fetch_add(1, std::memory_order_relaxed);
    log_event("error", "journal_append_failed",
              {{"shard", std::to_string(index_)}, {"error", err},
               {"records", std::to_string(records)},
               {"groups", std::to_string(pipeline_.size())}});
    for (std::size_t i = 1; i < pipeline_.size(); ++i) {
      if (!pipeline_[i]->commit) continue;
      std::string ignored;
      while (journal_->complete(/*block=*/true, &ignored) == journal::Journal::Commit::kPending) {
      }
    }
    degraded_ = true;
    std::string rerr;
    checkpoint_.rollback(&engine_, &rerr);
    // Keys of the failed groups must answer nothing while degraded; the
    // rebuild reloads the durable ones from the journal.
    idem_ = IdempotencyMap(options_.idempotency_max, options_.idempotency_ttl);
    // Ids claimed by the failed groups stay claimed until the rebuild tells
    // whether their command landed after all (settle_claims()).
    for (const auto& g : pipeline_)
      unsettled_claims_.insert(unsettled_claims_.end(), g->claims.begin(), g->claims.end());
    while (!pipeline_.empty()) {
      answer(*pipeline_.front(), /*durable=*/false);
      recycle();
    }
    drain_ = false;
    save_due_ = false;
  }

  // With the pipeline drained: one Engine::save() for the journal's
  // snapshot and the rollback base, or the rollback base alone.
  void save() {
    save_due_ = false;
    std::string err;
    if (options_.snapshot_every && since_snapshot_ >= options_.snapshot_every) {
      if (checkpoint_.snapshot_now(engine_, *journal_, &err)) {
        since_snapshot_ = 0;
      } else {
        log_event("warn", "snapshot_failed", {{"shard", std::to_string(index_)}, {"error", err}});
      }
    } else {
      checkpoint_.committed_take({}, engine_, *journal_);
    }
  }

  Group& new_group() {
    std::unique_ptr<Group> g;
    if (!spare_.empty()) {
      g = std::move(spare_.back());
      spare_.pop_back();
    } else {
      g = std::make_unique<Group>();
    }
    pipeline_.push_back(std::move(g));
    return *pipeline_.back();
  }
  // The front group leaves the pipeline; its vectors keep their capacity.
  void recycle() {
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

  Target target_for(const Command& c) const {
    ShardContext ctx{engine_, 0, const_cast<Hub&>(hub_), index_, metrics_};
    if (auto* cs = std::get_if<CreateSession>(&c.body)) {
      Target t;
      t.session_id = cs->spec.session_id;
      t.department = cs->spec.department;
      t.area = cs->spec.area;
      t.area_sessions = ctx.target_of_area(cs->spec.area).area_sessions;  // (an area is on one shard)
      return t;
    }
    if (const std::string* s = session_of(c.body)) return ctx.target_of_session(*s);
    if (const std::string* t = ticket_of(c.body)) return ctx.target_of_ticket(*t);
    if (const std::string* h = hold_of(c.body)) return ctx.target_of_hold(*h);
    return Target{};
  }

  void apply_one(CommandRequest& req, Time now, bool system) {
    Ack ack;
    ack.done = std::move(req.done);
    Command& cmd = req.command;
    if (degraded_) {
      ack.outcome.error = Error::kUnavailable;
      ack.outcome.message = "the journal is unavailable; retry later";
      metrics_.count_command(cmd.body, Error::kUnavailable);
      g_->acks.push_back(std::move(ack));
      return;
    }
    if (!req.idempotency_key.empty()) {
      // A key remembered by a group still in flight answers after it (groups
      // are answered in order; a failed commit fails the later ones too).
      const std::string* r = nullptr;
      switch (idem_.find(req.idempotency_key, req.request_fingerprint, now, &r)) {
        case IdempotencyMap::Match::kSame:
          ack.outcome.response = *r;
          ack.outcome.replayed = true;
          ack.outcome.created = creates(cmd.body);
          g_->acks.push_back(std::move(ack));
          return;
        case IdempotencyMap::Match::kDifferent:
          ack.outcome.error = Error::kIdempotencyKeyReused;
          ack.outcome.message = kKeyReusedMessage;
          metrics_.count_command(cmd.body, Error::kIdempotencyKeyReused);
          g_->acks.push_back(std::move(ack));
          return;
        case IdempotencyMap::Match::kNone:
          break;
      }
    }
    if (Error e = check_chosen_ids(cmd.body, &ack.outcome.message); e != Error::kOk) {
      ack.outcome.error = e;
      metrics_.count_command(cmd.body, e);
      g_->acks.push_back(std::move(ack));
      return;
    }
    Target target = target_for(cmd);
    if (!system) {
      if (req.principal.role == Role::kPatient) {
        auto t = engine_.ticket_by_token(req.principal.id);
        target.token_ticket = t ? *t : std::string();
        // A token of a ticket on another shard is a known token: another
        // ticket than this one (403), as with one shard, not "unknown" (401).
        if (!t && directory_.known(Directory::kToken, req.principal.id))
          target.token_ticket = "\x01another shard's ticket";
        cmd.actor = {ActorKind::kPatient, target.token_ticket};
      }
      Error a = authorize(req.principal, op_for(cmd.body), target);
      if (a != Error::kOk) {
        ack.outcome.error = a;
        ack.outcome.message = a == Error::kUnauthorized ? "unknown or missing credential"
                                                        : "this credential may not do that here";
        metrics_.count_command(cmd.body, a);
        g_->acks.push_back(std::move(ack));
        return;
      }
    }
    if (req.admit && !req.admit(now)) {
      ack.outcome.error = Error::kRateLimited;
      ack.outcome.message = "too many bookings; retry later";
      g_->acks.push_back(std::move(ack));
      return;
    }
    // Server-wide unique ids: claimed before the command is applied.
    const auto [id_map, new_id] = server_wide_id(cmd.body);
    Directory::Claim claim = Directory::Claim::kOwn;
    if (new_id) {
      claim = directory_.claim(id_map, *new_id, index_);
      if (claim == Directory::Claim::kTaken) {
        ack.outcome.error = Error::kAlreadyExists;
        ack.outcome.message = (id_map == Directory::kSession ? "session id in use: "
                               : id_map == Directory::kHold  ? "hold id in use: "
                                                             : "ticket id in use: ") + *new_id;
        metrics_.count_command(cmd.body, Error::kAlreadyExists);
        g_->acks.push_back(std::move(ack));
        return;
      }
    }
    events_.clear();
    std::string msg;
    Error e = engine_.apply_into(cmd, now, &events_, &msg);
    metrics_.count_command(cmd.body, e);
    if (e != Error::kOk) {
      if (claim == Directory::Claim::kClaimed) directory_.release(id_map, *new_id, index_);
      ack.outcome.error = e;
      ack.outcome.message = std::move(msg);
      g_->acks.push_back(std::move(ack));
      return;
    }
    if (claim == Directory::Claim::kClaimed) g_->claims.emplace_back(id_map, *new_id);
    if (system && events_.empty()) return;  // an idle tick: nothing to journal
    after_apply(cmd, events_);
    changes_.add(events_);

    // The answer.
    // Reused messages (Clear() keeps their allocations).
    pb::CommandResponse& resp = resp_;
    resp.Clear();
    std::string new_ticket;
    for (const Event& ev : events_) {
      codec::to_proto(ev, resp.add_events());
      if (ev.type == EventType::kTicketBooked || ev.type == EventType::kWalkInRegistered) {
        new_ticket = ev.ticket_id;
        resp.set_ticket_id(ev.ticket_id);
        resp.set_label(ev.label);
        resp.set_slot(ev.slot);
      } else if (ev.type == EventType::kCheckedIn) {
        // A kiosk's or nurse's check-in: answer with the ticket and its
        // patient token so the printed ticket carries the patient page's QR.
        new_ticket = ev.ticket_id;
        resp.set_ticket_id(ev.ticket_id);
        resp.set_label(ev.label);
        resp.set_slot(ev.slot);
      } else if (ev.type == EventType::kHoldPlaced) {
        resp.set_hold_id(ev.ticket_id);
        resp.set_slot(ev.slot);
        if (ev.until != kNoTime) codec::to_proto(ev.until, resp.mutable_expires_at());
      }
    }
    if (!new_ticket.empty()) {
      if (const std::string* tok = token_of(cmd.body)) resp.set_token(*tok);
      else if (auto tok = engine_.ticket_token(new_ticket)) resp.set_token(*tok);
      if (auto pv = engine_.patient_view(new_ticket, now)) codec::to_proto(*pv, resp.mutable_ticket());
    }
    resp.SerializeToString(&ack.outcome.response);
    ack.outcome.created = creates(cmd.body);
    ack.applied = true;

    // The journal record.
    journal::Record& r = g_->records.emplace_back();
    r.seq = next_seq_++;
    r.at = now;
    r.actor = actor_string(cmd.actor);
    r.session_id = !target.session_id.empty() ? target.session_id
                   : !events_.empty()         ? events_.front().session_id
                                              : std::string();
    r.command_name = std::string(command_name(cmd.body));
    pb::Command& pc = command_pb_;
    pc.Clear();
    codec::to_proto(cmd, now, &pc);
    pc.SerializeToString(&r.command);
    if (!req.idempotency_key.empty()) {
      r.idempotency_key = req.idempotency_key;
      r.response = ack.outcome.response;
      r.request_fingerprint = req.request_fingerprint;
      idem_.remember(req.idempotency_key, r.request_fingerprint, r.response, now);
    }
    r.events.reserve(events_.size());
    for (int i = 0; i < resp.events_size(); ++i) {
      const Event& ev = events_[static_cast<std::size_t>(i)];
      journal::EventRow& row = r.events.emplace_back();
      row.type = std::string(to_string(ev.type));
      row.ticket_id = ev.ticket_id;
      resp.events(i).SerializeToString(&row.bytes);
      if (ev.session_id != r.session_id) row.session_id = ev.session_id;
    }
    g_->acks.push_back(std::move(ack));
  }

  // Bookkeeping after an applied command (also during recovery).
  void after_apply(const Command& cmd, const std::vector<Event>& events) {
    for (const Event& ev : events) {
      switch (ev.type) {
        case EventType::kSessionCreated:
          directory_.put(Directory::kSession, ev.session_id, index_);
          break;
        case EventType::kTicketBooked:
        case EventType::kWalkInRegistered:
          directory_.put(Directory::kTicket, ev.ticket_id, index_);
          break;
        case EventType::kHoldPlaced:
          directory_.put(Directory::kHold, ev.ticket_id, index_);
          break;
        default:
          break;
      }
    }
    if (const std::string* tok = token_of(cmd.body)) directory_.put(Directory::kToken, *tok, index_);
  }

  // The rollback base is re-taken every 50,000 records; when the journal's
  // snapshots come at least that often, each snapshot is the new base
  // (snapshot_now()) and the Checkpointer takes none of its own.
  static journal::CheckpointOptions rollback_options(const RuntimeOptions& o) {
    const bool snapshots_suffice = o.snapshot_every > 0 && o.snapshot_every <= 50'000;
    return journal::CheckpointOptions{
        .every_records = snapshots_suffice ? std::uint64_t{0} : std::uint64_t{50'000}, .every_ms = 0, .write_snapshots = false};
  }

  // Commits in flight at most: RuntimeOptions::commit_depth, or the
  // environment's QUEUECASTD_COMMIT_DEPTH (1 = no pipelining).
  static std::size_t pipeline_depth(const RuntimeOptions& o) {
    std::size_t d = o.commit_depth;
    if (const char* e = std::getenv("QUEUECASTD_COMMIT_DEPTH")) d = std::strtoul(e, nullptr, 10);
    return std::clamp<std::size_t>(d, 1, 64);
  }

  const int index_;
  const RuntimeOptions& options_;
  const Clock& clock_;
  Metrics& metrics_;
  Directory& directory_;
  std::unique_ptr<journal::Journal> journal_;

  // Owned by the shard thread (and by recover() before start()).
  Engine engine_;
  Hub hub_;
  IdempotencyMap idem_;
  std::uint64_t next_seq_ = 1;
  std::uint64_t since_snapshot_ = 0;
  // In-memory base (Engine::save() every 50,000 records) + commands since:
  // rollback() after a failed append (store/checkpoint.h).
  journal::Checkpointer checkpoint_{rollback_options(options_)};
  std::deque<std::unique_ptr<Group>> pipeline_;  // applied, not yet answered; oldest first
  std::vector<std::unique_ptr<Group>> spare_;
  Group* g_ = nullptr;  // the group being applied
  const std::size_t depth_ = pipeline_depth(options_);
  // New commands end a wait for a commit: RuntimeOptions::commit_wake, or
  // the environment's QUEUECASTD_COMMIT_WAKE=0/1.
  const bool wake_ = [this] {
    const char* e = std::getenv("QUEUECASTD_COMMIT_WAKE");
    return e && *e ? std::string_view(e) != "0" : options_.commit_wake;
  }();
  bool drain_ = false;     // apply nothing until the pipeline is empty
  bool save_due_ = false;  // Engine::save() once it is
  std::vector<Event> events_;
  pb::CommandResponse resp_;
  pb::Command command_pb_;
  Changes changes_;
  Time last_tick_ = kNoTime;  // `now` of the last tick (display changes by time)
  std::atomic<bool> degraded_{false};
  std::vector<std::pair<int, std::string>> unsettled_claims_;  // see settle_claims()
  std::atomic<bool> recovered_{false};

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  bool waiting_on_journal_ = false;  // the shard waits in Journal::complete()
  std::thread thread_;
};

Shard::Shard(int index, const RuntimeOptions& options, const Clock& clock, Metrics& metrics,
             Directory& directory, std::unique_ptr<journal::Journal> journal)
    : impl_(std::make_unique<Impl>(index, options, clock, metrics, directory, std::move(journal))) {}
Shard::~Shard() = default;
bool Shard::recover(std::string* error) { return impl_->recover(error); }
void Shard::start() { impl_->start(); }
void Shard::stop() { impl_->stop(); }
void Shard::post_command(CommandRequest request) { impl_->post_command(std::move(request)); }
void Shard::post_commands(std::vector<CommandRequest>& requests) { impl_->post_commands(requests); }
void Shard::post_read(ReadFn fn) { impl_->post_read(std::move(fn)); }
bool Shard::ready() const { return impl_->ready(); }

}  // namespace qc::gw
