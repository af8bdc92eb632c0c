#include "store/recovery.h"

#include <chrono>

#include "proto/codec.h"

namespace qc::journal {
namespace {

constexpr std::size_t kMaxProblems = 20;

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void problem(RecoveryReport* report, std::string what) {
  if (report->problems.size() < kMaxProblems) report->problems.push_back(std::move(what));
}

}  // namespace

bool decode_command(const Record& record, Command* command, Time* at, std::string* message) {
  thread_local codec::pb::Command msg;
  if (!msg.ParseFromString(record.command)) {
    if (message) *message = "not a queuecast.v1.Command";
    return false;
  }
  std::string m;
  if (codec::from_proto(msg, command, at, &m) != Error::kOk) {
    if (message) *message = m;
    return false;
  }
  return true;
}

std::string RecoveryReport::summary() const {
  std::string s = "recovered to seq " + std::to_string(last_seq);
  s += snapshot_seq ? " from the snapshot at seq " + std::to_string(snapshot_seq)
                    : std::string(" from the start (no snapshot)");
  s += ": " + std::to_string(records_replayed) + " commands replayed (" +
       std::to_string(events_replayed) + " events) in " +
       std::to_string(int((snapshot_seconds + replay_seconds) * 1000)) + " ms";
  if (keys) s += ", " + std::to_string(keys) + " idempotency keys";
  if (undecodable) s += ", " + std::to_string(undecodable) + " undecodable records SKIPPED";
  if (rejected) s += ", " + std::to_string(rejected) + " commands REJECTED on replay";
  if (mismatched) s += ", " + std::to_string(mismatched) + " records with DIFFERENT events";
  return s;
}

bool catch_up(Journal& journal, Engine* engine, std::uint64_t after,
              const RecoveryOptions& options, RecoveryReport* report, std::string* error) {
  const auto t0 = std::chrono::steady_clock::now();
  Command command;
  Time at = 0;
  std::vector<Event> events;
  std::string message, bytes;
  codec::pb::Event pe;
  report->last_seq = std::max(report->last_seq, after);
  auto apply = [&](const Record& r) {
    report->last_seq = r.seq;
    ++report->records_replayed;
    if (!decode_command(r, &command, &at, &message)) {
      ++report->undecodable;
      problem(report, "seq " + std::to_string(r.seq) + " (" + r.command_name +
                          "): undecodable command: " + message);
      return true;
    }
    events.clear();
    const Error e = engine->apply_into(command, at, &events, &message);
    if (e != Error::kOk) {
      ++report->rejected;
      problem(report, "seq " + std::to_string(r.seq) + " (" + r.command_name +
                          "): rejected on replay: " + std::string(to_string(e)) + " " + message);
    }
    report->events_replayed += events.size();
    if (options.verify_events) {
      bool same = events.size() == r.events.size();
      for (std::size_t i = 0; same && i < events.size(); ++i) {
        pe.Clear();
        codec::to_proto(events[i], &pe);
        pe.SerializeToString(&bytes);
        same = bytes == r.events[i].bytes;
      }
      if (!same) {
        ++report->mismatched;
        problem(report, "seq " + std::to_string(r.seq) + " (" + r.command_name +
                            "): replay gave " + std::to_string(events.size()) +
                            " events that differ from the journal's " +
                            std::to_string(r.events.size()));
      }
    }
    if (options.on_record) options.on_record(r);
    if (options.on_command) options.on_command(r, command);
    return true;
  };
  const bool ok = options.verify_events ? journal.scan(after, apply, error)
                                        : journal.scan_commands(after, apply, error);
  report->replay_seconds += since(t0);
  return ok;
}

bool recover(Journal& journal, Engine* engine, const RecoveryOptions& options,
             RecoveryReport* report, std::string* error) {
  *report = RecoveryReport{};
  // Into a fresh engine: *engine changes only when everything succeeded.
  Engine fresh(engine->options());
  auto t0 = std::chrono::steady_clock::now();
  std::uint64_t seq = 0;
  std::string image, e;
  if (journal.load_snapshot(&seq, &image, &e)) {
    if (!fresh.load(image)) {
      // A snapshot the engine cannot read (a newer format?): replay everything.
      problem(report, "snapshot at seq " + std::to_string(seq) +
                          " is not a valid engine image; replaying the whole journal");
      seq = 0;
      fresh = Engine(engine->options());
    }
  } else {
    if (!e.empty()) {
      if (error) *error = e;
      return false;
    }
    seq = 0;
  }
  image.clear();
  image.shrink_to_fit();
  report->snapshot_seq = seq;
  report->snapshot_seconds = since(t0);
  if (!catch_up(journal, &fresh, seq, options, report, error)) return false;
  if (options.on_key) {
    // The journal's own time decides what is recent (the server may run a
    // virtual clock).
    Time last_at = kNoTime;
    std::string ignored;
    if (report->last_seq > 0) {
      journal.scan_commands(report->last_seq - 1, [&](const Record& r) {
        last_at = r.at;
        return false;
      }, &ignored);
    }
    if (last_at != kNoTime) {
      const bool ok = journal.scan_keys(last_at - options.key_window, [&](const Record& r) {
        ++report->keys;
        options.on_key(r);
        return true;
      }, error);
      if (!ok) return false;
    }
  }
  *engine = std::move(fresh);
  return true;
}

}  // namespace qc::journal
