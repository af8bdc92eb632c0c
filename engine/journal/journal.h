// The durable event journal: one interface, several stores (memory, SQLite,
// Redis). The gateway's commit thread appends one batch of records per group
// commit; a command is acknowledged only after append() returned true for
// the batch that holds it. Recovery = load_snapshot() + scan() of the
// records after it, re-applying each record's command to the engine (the
// engine is deterministic, so the state is the same); see recovery.h.
//
// Contents are opaque bytes to the journal (the command and its events in
// queuecast.v1 binary form); the metadata columns exist so hospital IT can
// read the audit trail with ordinary tools.
//
// Stores: open(url) below picks one ("memory:", "sqlite:///abs/path.db",
// "sqlite://relative.db", "redis://127.0.0.1:6379/0"). docs/durability.md
// states what each one guarantees.
//
// Thread-safety: an instance is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/types.h"

namespace qc::journal {

struct EventRow {
  std::string type;        // "ticket_called"
  std::string ticket_id;
  std::string bytes;       // queuecast.v1.Event, binary
  // Optional: the event's session when it is not the record's (a tick closes
  // several sessions). Empty means the record's session_id.
  std::string session_id;
};

struct Record {
  std::uint64_t seq = 0;   // assigned by the caller, strictly increasing from 1
  Time at = 0;             // the command's now
  std::string actor;       // "nurse:n17", "channel:wechat", "system"
  std::string session_id;  // the session the command addressed ("" for tick etc.)
  std::string command_name;
  std::string command;     // queuecast.v1.Command, binary (carries `at` and `actor`)
  std::string idempotency_key;  // optional
  std::string response;    // optional: the acknowledged response, for retried requests
  std::vector<EventRow> events;
};

// Why the last operation failed (additive: stores that do not tell say kOk
// on success and kUnavailable on any failure).
enum class Status : std::uint8_t {
  kOk = 0,
  kUnavailable = 1,      // store down, unreachable, full, I/O error: retry later
  kInvalidArgument = 2,  // the caller's fault (e.g. seq not increasing): a bug, do not retry
};

class Journal {
 public:
  virtual ~Journal() = default;
  // Durably appends the batch, in order, as one commit: all of it or none.
  // False (with *error) when the store is down or full; nothing is durable then.
  // (Exception: when a connection breaks after the commit was sent, the
  // outcome is unknown; sync() then tells where the journal really ends.)
  virtual bool append(std::span<const Record> batch, std::string* error) = 0;
  // Calls fn for every record with seq > after, in order; fn returns false to stop.
  virtual bool scan(std::uint64_t after, const std::function<bool(const Record&)>& fn,
                    std::string* error) = 0;
  // The newest durable seq (0 when empty).
  virtual std::uint64_t last_seq() const = 0;
  // Snapshots: an engine image valid after record `seq`.
  virtual bool save_snapshot(std::uint64_t seq, std::string_view image, std::string* error) = 0;
  // False with *seq = 0 when there is none.
  virtual bool load_snapshot(std::uint64_t* seq, std::string* image, std::string* error) = 0;

  // ---- Additive; defaults suit the memory journal ----

  // Like scan() but the records may come without their events (recovery
  // needs only the commands; stores skip reading the events).
  virtual bool scan_commands(std::uint64_t after, const std::function<bool(const Record&)>& fn,
                             std::string* error) {
    return scan(after, fn, error);
  }
  // Calls fn, in seq order, for every record that has an idempotency_key and
  // at >= since: seq, at, session_id, actor, command_name, idempotency_key
  // and response are filled (command and events may be empty). Rebuilds the
  // gateway's idempotency map after a restart without reading everything.
  virtual bool scan_keys(Time since, const std::function<bool(const Record&)>& fn,
                         std::string* error) {
    return scan_commands(
        0,
        [&](const Record& r) { return r.idempotency_key.empty() || r.at < since || fn(r); },
        error);
  }
  // Reconnects if needed and re-reads where the durable journal ends, so
  // last_seq() is the truth again after a failed append. False while the
  // store is unreachable.
  virtual bool sync(std::string* error) { return true; }
  // What the last failed call failed of (kOk after a success).
  virtual Status status() const { return Status::kOk; }
  // "sqlite:///var/lib/queuecast/journal.db", "redis://127.0.0.1:6379/0 key queuecast"
  virtual std::string describe() const { return "memory:"; }
};

// In memory: nothing survives the process. For tests and the gateway's
// --store memory.
std::unique_ptr<Journal> make_memory_journal();

struct OpenOptions {
  // Every store operation gives up after this long (Redis: connect, read and
  // write timeouts; SQLite: busy timeout).
  int timeout_ms = 2000;
  // Redis: the key prefix; the stream is "<key>:log", the snapshot "<key>:snapshot".
  // The URL's "?key=" overrides it.
  std::string redis_key = "queuecast";
  // Open read-only (the replay tool): no schema creation, append fails.
  bool read_only = false;
  // Redis: fail open() when the server is down (true), or return a journal
  // that keeps retrying (false; append fails with kUnavailable meanwhile).
  bool require_connection = true;
};

// What open() found. `dropped` lists what a torn or corrupt tail lost (never
// anything that was acknowledged: an append returns true only after its
// commit is durable, and a torn commit was never acknowledged).
struct OpenReport {
  std::string store;        // "memory", "sqlite", "redis"
  std::string location;     // path, or host:port/db key
  std::uint64_t last_seq = 0;
  std::vector<std::string> dropped;
  std::vector<std::string> notes;  // settings that weaken the guarantee, etc.
};

// Opens the store a URL names:
//   memory:                       in memory
//   sqlite:///abs/path.db         SQLite file (created with its directory's
//   sqlite://relative/path.db     parent existing); a bare path means the same
//   redis://host:port[/db][?key=name]
// Null (with *error) when the URL is malformed or the store cannot be opened.
std::unique_ptr<Journal> open(std::string_view url, const OpenOptions& options,
                              OpenReport* report, std::string* error);
inline std::unique_ptr<Journal> open(std::string_view url, std::string* error) {
  return open(url, OpenOptions{}, nullptr, error);
}

}  // namespace qc::journal
