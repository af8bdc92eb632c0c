#include "store/checkpoint.h"

namespace qc::journal {

Checkpointer::Checkpointer(CheckpointOptions options)
    : options_(options), last_snapshot_at_(std::chrono::steady_clock::now()) {}

void Checkpointer::reset(const Engine& engine, std::uint64_t seq) {
  image_ = engine.save();
  base_seq_ = seq_ = seq;
  tail_.clear();
  tail_bytes_ = 0;
  last_snapshot_at_ = std::chrono::steady_clock::now();
}

bool Checkpointer::committed(std::span<const Record> batch, const Engine& engine,
                             Journal& journal, std::string* error) {
  for (const Record& r : batch) {
    keep(r, r.command);
    seq_ = r.seq;
  }
  if (!snapshot_due()) return true;
  return snapshot(engine, journal, error);
}

void Checkpointer::committed_records(std::span<Record> batch) {
  for (Record& r : batch) {
    keep(r, std::move(r.command));
    seq_ = r.seq;
  }
}

void Checkpointer::keep(const Record& r, std::string command) {
  Record& t = tail_.emplace_back();
  t.seq = r.seq;
  t.at = r.at;
  t.command_name = r.command_name;
  t.command = std::move(command);
  tail_bytes_ += t.command.size();
}

bool Checkpointer::snapshot_due() const {
  return snapshot_pending_ ||
         (options_.every_records && tail_.size() >= options_.every_records &&
          (!options_.by_count_at_least_image || tail_bytes_ >= image_.size())) ||
         (options_.every_ms && !tail_.empty() &&
          std::chrono::steady_clock::now() - last_snapshot_at_ >=
              std::chrono::milliseconds(options_.every_ms));
}

bool Checkpointer::committed_take(std::span<Record> batch, const Engine& engine, Journal& journal,
                                  std::string* error) {
  committed_records(batch);
  return committed({}, engine, journal, error);
}

void Checkpointer::rebase(const Engine& engine, std::chrono::steady_clock::time_point t0) {
  image_ = engine.save();
  base_seq_ = seq_;
  tail_.clear();
  tail_bytes_ = 0;
  last_snapshot_at_ = t0;
  snapshot_pending_ = false;
}

bool Checkpointer::snapshot_now(const Engine& engine, Journal& journal, std::string* error) {
  const auto t0 = std::chrono::steady_clock::now();
  rebase(engine, t0);
  if (!journal.save_snapshot(base_seq_, image_, error)) return false;
  ++snapshots_;
  last_snapshot_ms_ =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return true;
}

bool Checkpointer::snapshot(const Engine& engine, Journal& journal, std::string* error) {
  const auto t0 = std::chrono::steady_clock::now();
  rebase(engine, t0);
  if (options_.write_snapshots) {
    if (!journal.save_snapshot(base_seq_, image_, error)) {
      snapshot_pending_ = true;  // retried at the next commit
      return false;
    }
    ++snapshots_;
  }
  last_snapshot_ms_ =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return true;
}

bool Checkpointer::rollback(Engine* engine, std::string* error) {
  if (!engine->load(image_)) {
    if (error) *error = "checkpoint image does not load";
    return false;
  }
  Command command;
  Time at = 0;
  std::string message;
  std::vector<Event> events;
  for (const Record& r : tail_) {
    if (!decode_command(r, &command, &at, &message)) continue;  // it was encoded by us
    events.clear();
    engine->apply_into(command, at, &events, &message);
  }
  return true;
}

bool Checkpointer::resync(Journal& journal, Engine* engine, std::string* error,
                          RecoveryReport* report) {
  if (!journal.sync(error)) return false;
  if (journal.last_seq() == seq_) return true;
  RecoveryReport local;
  RecoveryReport* rep = report ? report : &local;
  if (journal.last_seq() < seq_) {
    // The store lost acknowledged records (e.g. Redis without appendfsync
    // always, or a failover): the journal is what will be recovered after a
    // restart, so follow it.
    RecoveryOptions o;
    if (!recover(journal, engine, o, rep, error)) return false;
    reset(*engine, rep->last_seq);
    return true;
  }
  // Keep what landed for a later rollback.
  RecoveryOptions o;
  o.on_record = [&](const Record& r) { keep(r, r.command); };
  if (!catch_up(journal, engine, seq_, o, rep, error)) return false;
  seq_ = rep->last_seq;
  return true;
}

}  // namespace qc::journal
