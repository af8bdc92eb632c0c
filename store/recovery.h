// Recovery: rebuild an engine from a journal.
//
//   RecoveryReport report;
//   if (!recover(*journal, &engine, {}, &report, &error)) ...
//
// loads the newest snapshot into the engine (Engine::load) and re-applies,
// in seq order, every record's command after it at the command's own `at`
// (decoded with proto/codec.h). The engine is deterministic, so the state is
// the one the server had after its last durable commit. catch_up() does the
// second half only, from a state the caller already holds (after a failed
// append whose outcome was unknown, see checkpoint.h).
//
// Idempotency keys: with RecoveryOptions::on_key set, every keyed record
// whose `at` is within `key_window` of the journal's last record is passed to
// it afterwards (also those before the snapshot), so the gateway's map of
// retried requests survives the restart.
//
// A record that cannot be decoded, or whose command the engine now rejects,
// is counted and described in the report; recovery goes on (the journal is
// the truth; refusing to start would lose the whole clinic). With
// verify_events, the replayed events are re-encoded and compared with the
// journal's bytes (slower: reads the events too).
//
// Thread-safety: touches only its arguments; the caller owns both.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "store/journal.h"

namespace qc::journal {

struct RecoveryOptions {
  bool verify_events = false;
  // Keyed records (idempotency_key, response, at, actor ...): command/events empty.
  std::function<void(const Record&)> on_key;
  Duration key_window = kDay;
  // Called for every replayed record after it was applied (e.g. metrics).
  std::function<void(const Record&)> on_record;
  // The same with the decoded command (saves decoding it again); only for
  // records that decoded.
  std::function<void(const Record&, const Command&)> on_command;
};

struct RecoveryReport {
  std::uint64_t snapshot_seq = 0;     // 0: no snapshot, replayed from the start
  std::uint64_t last_seq = 0;         // the engine is in the state after this record
  std::uint64_t records_replayed = 0;
  std::uint64_t events_replayed = 0;  // produced by the replayed commands
  std::uint64_t keys = 0;             // passed to on_key
  std::uint64_t undecodable = 0;      // records whose command did not decode (skipped)
  std::uint64_t rejected = 0;         // replayed commands the engine rejected
  std::uint64_t mismatched = 0;       // verify_events: events differ from the journal's
  std::vector<std::string> problems;  // the first few, human-readable
  double snapshot_seconds = 0;
  double replay_seconds = 0;
  bool clean() const { return undecodable == 0 && rejected == 0 && mismatched == 0; }
  std::string summary() const;  // one line for the log
};

// Full recovery into *engine: its state is replaced when recovery succeeded,
// and left untouched when it failed (store unreachable mid-way).
bool recover(Journal& journal, Engine* engine, const RecoveryOptions& options,
             RecoveryReport* report, std::string* error);

// Re-applies the records after `after` to *engine (which must be in the state
// after record `after`). Adds to *report (last_seq, counts).
bool catch_up(Journal& journal, Engine* engine, std::uint64_t after,
              const RecoveryOptions& options, RecoveryReport* report, std::string* error);

// Decodes a record's command (queuecast.v1.Command) into an engine command
// and its time. False with *message on malformed bytes.
bool decode_command(const Record& record, Command* command, Time* at, std::string* message);

}  // namespace qc::journal
