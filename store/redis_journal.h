// The Redis store (hiredis 0.14, RESP2).
//
// Layout, per journal key K (default "queuecast"):
//   K:log       a Redis Stream; one entry per commit (a group of records),
//               id "<the group's last seq>-0", one field
//               g  = for each record: varint seq, then its packed command
//                    part and its packed events, each length-prefixed
//                    (varint length, bytes). The command part: varint at,
//                    then length-prefixed session_id, actor, command_name,
//                    command, idempotency_key, response, and, only when
//                    the record has one, request_fingerprint (records
//                    written before fingerprints end after response). The
//                    events: for
//                    each, length-prefixed type, ticket_id, session_id,
//                    bytes.
//               A fenced commit (Journal::set_fence()) adds a field
//               e = the partition's epoch that wrote it (readers ignore it;
//               entries without it were written unfenced).
//               Journals written before groups hold one entry per record,
//               id "<seq>-0", fields r (the command part) and ev (the
//               events, when any); readers take both kinds of entry.
//               (One entry and one field per commit: hiredis allocates an
//               object per field, and redis-server's work per commit, the
//               shared core's scarcest resource, is one XADD whatever the
//               group's size; `queuecast replay --journal redis://...`
//               prints the stream for people.)
//   K:snapshot  a hash {seq, image, taken_at}: the newest snapshot
//               (A fenced save_snapshot() replaces it only with a newer
//               seq, and only while the epoch is ours.)
//   K:keys      a sorted set: the records with an idempotency key, by `at`;
//               members "<seq>/<entry>" (the group entry holding it; just
//               "<seq>" in journals written one entry per record)
//
// One append() is one conditional EVAL (plan_redis_append_checked()):
// Redis runs the script as a whole and, with `appendonly yes` and
// `appendfsync always`, writes its effects to the AOF as one MULTI/EXEC and
// fsyncs them before it answers. A transaction torn in the AOF (power cut)
// is discarded by Redis on load (aof-load-truncated yes, the default).
//
// I/O: a synchronous client on the caller's thread with a timeout on every
// command (redisSetTimeout) and on connect. A broken connection makes the
// call fail with Status::kUnavailable; the next call reconnects and re-reads
// where the stream ends (sync()). queuecastd writes through hiredis's
// asynchronous client driven by Asio instead (store/redis_asio.h, the same
// EVAL, several commits in flight) and uses this store for the rest.
//
// Thread-safety: one thread at a time per instance. A long scan starts a
// reader thread of its own for its duration (joined before it returns).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/journal.h"

struct redisReply;

namespace qc::journal {

struct RedisAddress {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string key;  // "" = OpenOptions::redis_key
  // sentinel:// URLs: the Sentinels (host, port) and the name of the master
  // they monitor. Every (re)connection asks them for the current primary
  // (resolve_primary()) and connects there; host and port are the primary
  // found last. Empty: host and port are fixed (redis://).
  std::vector<std::pair<std::string, int>> sentinels;
  std::string master;
};

std::unique_ptr<Journal> open_redis(const RedisAddress& address, const OpenOptions& options,
                                    OpenReport* report, std::string* error);

// ---- Shared with other writers of the same layout (store/redis_asio.h) ----

// Parses "redis://host[:port][/db][?key=name]" and
// "sentinel://host[:port][,host[:port]...]/master[/db][?key=name]" (a
// Sentinel's port defaults to 26379; host and port are then left for
// resolve_primary()). open() uses it.
bool parse_redis_url(std::string_view url, RedisAddress* address, std::string* error);

// For an address with Sentinels: asks them in turn (SENTINEL
// get-master-addr-by-name, each with `timeout_ms` to connect and answer)
// and sets host and port to the first answer. True without asking for a
// redis:// address. False (with *error naming every Sentinel's failure)
// when none knows the master.
bool resolve_primary(RedisAddress* address, int timeout_ms, std::string* error);

// parse_redis_url() then resolve_primary() (timeout 500 ms): the primary's
// address a sentinel:// URL stands for now; a redis:// URL passes through.
bool resolve_redis(std::string_view url, RedisAddress* out, std::string* error);

// One commit as ONE command, an EVAL of a Lua script that appends the
// records as one group entry (and their K:keys entries) only if the stream
// ends at `expected_last` (the last seq of the commit before; 0: the stream
// is empty), and otherwise fails with an error reply "QCGAP ..." without
// writing anything. So when a pipelined commit fails, every commit sent
// after it fails too, and the journal never has a gap. Every 4096th append
// (`append_number` % 4096 == 0) also forgets week-old K:keys entries.
// `args` holds the EVAL's arguments and `argv`/`lens` point into them, in
// the form hiredis's *CommandArgv() take (valid until the next plan into the
// same RedisAppend; not after a copy or a move); its reply is the number of
// records (an integer).
struct RedisAppend {
  std::vector<std::string> args;
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
};
//
// With a fence (fence.epoch != 0; docs/design/cluster.md section 3) it is
// another script, KEYS K:log, K:keys, fence.epoch_key, fence.ids_key, which
// checks before writing anything that the epoch key holds fence.epoch (else
// the error reply "QCFENCED epoch is X, not Y"), then the stream end
// (QCGAP), then that every field of the records' claims is absent from the
// ids hash or holds fence.partition (else "QCID <field> <partition>"); then
// it writes the entry with a second field `e` = the epoch, the new claims
// (field -> partition), and K:keys as above. Epoch 0: exactly the script
// above.
void plan_redis_append_checked(const std::string& key, std::span<const Record> batch,
                               std::uint64_t expected_last, std::uint64_t append_number,
                               RedisAppend* out, const Fence& fence = Fence{});

// After a write, `WAIT replicas timeout_ms` (OpenOptions::redis_wait_*):
// true when the reply `r` (WAIT's: the number of replicas that received
// the connection's writes) is >= `replicas`; otherwise false with *error
// "WAIT: <n> of <replicas> replicas confirmed within <timeout_ms> ms (the
// replica did not confirm)" (or the error reply's text).
bool redis_wait_confirmed(const redisReply* r, int replicas, int timeout_ms, std::string* error);

// The status an error reply of those scripts stands for: QCFENCED ->
// kFenced, QCID -> kConflict, anything else (QCGAP, OOM...) -> kUnavailable.
Status redis_error_status(std::string_view reply);

}  // namespace qc::journal
