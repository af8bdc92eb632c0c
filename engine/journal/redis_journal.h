// The Redis store (hiredis 0.14, RESP2).
//
// Layout, per journal key K (default "queuecast"):
//   K:log       a Redis Stream; one entry per record, id "<seq>-0", fields
//               r  = the record, packed: varint at, then length-prefixed
//                    (varint length, bytes) session_id, actor, command_name,
//                    command, idempotency_key, response
//               ev = its events (when any), packed: for each, length-prefixed
//                    type, ticket_id, session_id, bytes
//               (two fields, because hiredis allocates one object per field
//               and value, and recovery reads every entry; `queuecast replay
//               --journal redis://...` prints the stream for people)
//   K:snapshot  a hash {seq, image, taken_at}: the newest snapshot
//   K:keys      a sorted set: seqs of records with an idempotency key, by `at`
//
// One append() is one pipelined MULTI / XADD... / EXEC round trip: Redis
// applies the transaction as a whole and, with `appendonly yes` and
// `appendfsync always`, writes and fsyncs it to the AOF before it answers
// EXEC. A transaction torn in the AOF (power cut) is discarded by Redis on
// load (aof-load-truncated yes, the default).
//
// I/O: a synchronous client on the caller's thread with a timeout on every
// command (redisSetTimeout) and on connect. A broken connection makes the
// call fail with Status::kUnavailable; the next call reconnects and re-reads
// where the stream ends (sync()). queuecastd writes through hiredis's
// asynchronous client driven by Asio instead (gateway/redis_asio.h, the same
// records as one conditional EVAL per commit: plan_redis_append_checked()
// below) and uses this store for the rest.
//
// Thread-safety: one thread at a time per instance. A long scan starts a
// reader thread of its own for its duration (joined before it returns).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/journal/journal.h"

namespace qc::journal {

struct RedisAddress {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string key;  // "" = OpenOptions::redis_key
};

std::unique_ptr<Journal> open_redis(const RedisAddress& address, const OpenOptions& options,
                                    OpenReport* report, std::string* error);

// ---- Shared with other writers of the same layout (gateway/redis_asio.h) ----

// Parses "redis://host[:port][/db][?key=name]" (open() uses it).
bool parse_redis_url(std::string_view url, RedisAddress* address, std::string* error);

// The commands of one append(), in order: MULTI; per record an XADD (and a
// ZADD when it has an idempotency key); on every 4096th append
// (`append_number` % 4096 == 0) a ZREMRANGEBYSCORE of week-old keys; EXEC.
// `queued` counts the commands between MULTI and EXEC: EXEC's reply is an
// array of that many replies. `key` is the journal key K (not K:log).
struct RedisAppend {
  std::vector<std::vector<std::string>> commands;
  std::size_t queued = 0;
};
void plan_redis_append(const std::string& key, std::span<const Record> batch,
                       std::uint64_t append_number, RedisAppend* out);

// The same records as ONE command, an EVAL of a Lua script that writes them
// only if the stream ends at `expected_last` (the last seq of the commit
// sent before; 0: the stream is empty), and otherwise fails with an error
// reply "QCGAP ..." without writing anything. Pipelined commits use it
// (gateway/redis_asio.cc): when a commit fails, every commit sent after it
// fails too, so the journal never has a gap. `commands` holds the EVAL
// only; its reply is the number of records (an integer). The layout is
// the same as plan_redis_append()'s.
void plan_redis_append_checked(const std::string& key, std::span<const Record> batch,
                               std::uint64_t expected_last, std::uint64_t append_number,
                               RedisAppend* out);

}  // namespace qc::journal
