// The embedded store: one SQLite database file in WAL mode.
//
// Durability: synchronous=FULL, one transaction per append(); the commit is
// fsync'ed in the WAL before append() returns true. A torn last transaction
// (power cut mid-write) is ignored by SQLite on open; check_wal() is run
// first so OpenReport::dropped says what was lost.
//
// Schema (readable with the sqlite3 shell; docs/durability.md has queries):
//   commands(seq PK, at, session_id, actor, command_name, idempotency_key,
//            command BLOB, response BLOB)
//   events(seq, idx, at, session_id, actor, type, ticket_id, event BLOB; PK (seq, idx))
//   snapshots(seq PK, taken_at, image BLOB)     the newest two are kept
//   meta(key PK, value)                         schema_version
//
// Thread-safety: one thread at a time per instance; several instances (and
// processes) may open the same file: readers never block the writer.
#pragma once

#include <memory>
#include <string>

#include "store/journal.h"

namespace qc::journal {

std::unique_ptr<Journal> open_sqlite(const std::string& path, const OpenOptions& options,
                                     OpenReport* report, std::string* error);

}  // namespace qc::journal
