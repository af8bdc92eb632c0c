// The durable event journal: one interface, several stores (memory, SQLite,
// Redis). The gateway's commit thread appends one batch of records per group
// commit; a command is acknowledged only after append() returned true for
// the batch that holds it. Recovery = load_snapshot() + scan() of the
// records after it, re-applying each record's command to the engine (the
// engine is deterministic, so the state is the same).
//
// Contents are opaque bytes to the journal (the command and its events in
// queuecast.v1 binary form); the metadata columns exist so hospital IT can
// read the audit trail with ordinary tools.
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

class Journal {
 public:
  virtual ~Journal() = default;
  // Durably appends the batch, in order, as one commit: all of it or none.
  // False (with *error) when the store is down or full; nothing is durable then.
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
};

// In memory: nothing survives the process. For tests and the gateway's
// --store memory.
std::unique_ptr<Journal> make_memory_journal();

}  // namespace qc::journal
