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
  // Optional, with idempotency_key: what the key stands for (the gateway's
  // request_fingerprint(), 32 bytes). Empty in records written before
  // fingerprints existed: such a key answers any request with its response.
  std::string request_fingerprint;
  std::vector<EventRow> events;
  // Optional: the global ids this record takes ("s:<session>", "t:<ticket>",
  // "h:<hold>", "k:<token>"). A fenced commit (Journal::set_fence()) records
  // them in the fence's ids hash (field -> partition) atomically with the
  // append, and fails with Status::kConflict when another partition holds
  // one. Unfenced stores ignore them; they are not stored in the record.
  std::vector<std::string> claims;
  // Read only: the fence epoch of the commit that wrote it (Redis: the
  // group entry's `e`; 0 when written unfenced). Scans fill it; append()
  // ignores it.
  std::uint64_t epoch = 0;
};

// Why the last operation failed (additive: stores that do not tell say kOk
// on success and kUnavailable on any failure).
enum class Status : std::uint8_t {
  kOk = 0,
  kUnavailable = 1,      // store down, unreachable, full, I/O error: retry later
  kInvalidArgument = 2,  // the caller's fault (e.g. seq not increasing): a bug, do not retry
  kFenced = 3,           // the journal's fence epoch is no longer ours (another node took the
                         // partition): never retry as this writer
  kConflict = 4,         // an id the commit claims belongs to another partition (the error
                         // text holds "QCID <field> <partition>": parse_conflict())
};

// A partition's fence (docs/design/cluster.md section 3): every commit and
// snapshot checks, in the same atomic step as its write, that the epoch key
// still holds `epoch`, and records the batch's Record::claims in the hash
// `ids_key` (field -> `partition`). epoch 0 = no fence (a single node).
struct Fence {
  std::uint64_t epoch = 0;
  std::string epoch_key;  // "<prefix>:{p<N>}:epoch"
  std::string ids_key;    // "<prefix>:ids"
  int partition = -1;
  // "<prefix>:ik:": each keyed record's idempotency key is claimed for the
  // partition as "<keys_prefix><key>" (24 h) in the same commit; a key
  // another partition took refuses the commit (QCKEY). Empty: not claimed.
  std::string keys_prefix;
};

// Reads the field and the owning partition out of a kConflict failure's
// error text ("... QCID <field> <partition>"). False when it holds none.
bool parse_conflict(std::string_view error, std::string* field, int* partition);
// The same for an idempotency key another partition took ("... QCKEY
// <keys_prefix><key> <partition>"): *key without the prefix.
bool parse_key_conflict(std::string_view error, std::string_view keys_prefix, std::string* key,
                        int* partition);

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
  // at >= since: seq, at, session_id, actor, command_name, idempotency_key,
  // request_fingerprint and response are filled (command and events may be empty). Rebuilds the
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
  // Whether the store takes a write now, by making a small one outside the
  // journal's records (SQLite: a row of its meta table; Redis: the key
  // "<key>:probe"), then sync(). A store that can be read but not written
  // (disk full, a held lock, Redis maxmemory) answers false: a degraded
  // shard asks this every tick before it rebuilds and takes commands again.
  virtual bool probe_write(std::string* error) { return sync(error); }
  // Fences every later commit and snapshot (see Fence). Stores without a
  // shared storage (memory, SQLite) ignore it. Not while commits are in flight.
  virtual void set_fence(const Fence& fence) { (void)fence; }
  // What the last failed call failed of (kOk after a success).
  virtual Status status() const { return Status::kOk; }
  // "sqlite:///var/lib/queuecast/journal.db", "redis://127.0.0.1:6379/0 key queuecast"
  virtual std::string describe() const { return "memory:"; }

  // ---- Pipelined commits (additive) ----
  //
  // send() starts a commit of `batch` (copied; the caller may reuse it at
  // once) without waiting for it; complete() gives the outcome of the oldest
  // commit in flight, in the order they were sent. The store guarantees:
  //  - commits become durable in the order they were sent, and a commit
  //    NEVER lands unless every commit sent before it landed (no gap in the
  //    journal: the Redis store makes each commit conditional on the
  //    stream's last id being the previous commit's last seq);
  //  - once a commit failed, complete() reports kFailed for every commit
  //    sent after it that is still in flight (their outcome, like that of
  //    the failed one when a connection broke, may be "landed anyway":
  //    sync() tells; never a later one without the earlier);
  //  - append() must not be called while commits are in flight.
  // The defaults (SQLite, memory, tests' wrappers) append() synchronously in
  // send() and keep the outcome for complete(); a send() after a failed one
  // whose outcome has not been taken by complete() fails without writing.
  enum class Commit : std::uint8_t { kPending = 0, kDurable = 1, kFailed = 2 };
  virtual void send(std::span<const Record> batch) {
    Sent s;
    if (!sent_.empty() && !sent_.back().ok) {
      s.error = "an earlier commit failed";
    } else {
      s.ok = append(batch, &s.error);
    }
    sent_.push_back(std::move(s));
  }
  // The outcome of the oldest commit in flight (*error set when kFailed),
  // which leaves the pipeline. kPending when none is in flight, or when the
  // outcome is not known yet and: `block` is false, or wake() was called.
  // With `block`, waits for it otherwise (each commit has its own timeout,
  // OpenOptions::timeout_ms, after which it fails).
  virtual Commit complete(bool block, std::string* error) {
    (void)block;
    if (sent_.empty()) return Commit::kPending;
    Sent s = std::move(sent_.front());
    sent_.erase(sent_.begin());
    if (!s.ok && error) *error = std::move(s.error);
    return s.ok ? Commit::kDurable : Commit::kFailed;
  }
  // Commits sent and not yet taken by complete().
  virtual std::size_t in_flight() const { return sent_.size(); }
  // Thread-safe (the one exception): makes a complete(block=true) that is
  // waiting now, or the next one, return kPending soon (the shard calls it
  // when commands arrive while it waits for a commit).
  virtual void wake() {}

 private:
  struct Sent {
    bool ok = false;
    std::string error;
  };
  std::vector<Sent> sent_;  // the default implementation's outcomes
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
  // SQLite: open even when the WAL is damaged before later committed
  // transactions (wal_check.h), accepting the loss of those transactions
  // (reported in OpenReport::dropped). Without it such a store does not
  // open (docs/durability.md "A damaged journal").
  bool truncate_damaged = false;
  // Redis: a commit (and probe_write()) counts only once `WAIT
  // redis_wait_replicas redis_wait_timeout_ms` confirms that many replicas
  // received it (docs/operations.md "Redis for a cluster"); fewer, or none
  // within the timeout, fails it with kUnavailable (it may have landed on
  // the primary: a failed commit's outcome). 0: no WAIT. The timeout must
  // be below timeout_ms.
  int redis_wait_replicas = 0;
  int redis_wait_timeout_ms = 500;
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
