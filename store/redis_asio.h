// The Redis journal as queuecastd writes it: hiredis 0.14's asynchronous
// client (RESP2) driven by Asio, with our own timer on every commit.
//
// hiredis 0.14 has no Asio adapter: this one wraps the connection's file
// descriptor in an asio::posix::stream_descriptor and turns hiredis's
// addRead/addWrite/delRead/delWrite/cleanup hooks into async_wait()s on it.
// Pipelined commits (Journal::send() / complete() / wake()): send() writes
// the group's records as ONE conditional EVAL (journal::
// plan_redis_append_checked(): it writes only if the stream ends at the
// previous commit's last seq, so a commit after a failed one never lands:
// no gap) and returns; complete() runs the journal's own io_context on the
// calling (shard) thread until the oldest commit's reply, its deadline
// (OpenOptions::timeout_ms from its send(), one steady_timer), or wake()
// (thread-safe: an asio::post). append() = send() + complete(). The first
// failure (a timeout, a refused connection, a reset, an error reply) drops
// the connection, which fails every later commit in flight; new commits are
// refused until every outcome was taken; the next one reconnects. A connection that the
// server closed while idle is noticed before the next commit is sent.
// With a fence (Journal::set_fence(), also passed to the synchronous store
// below for snapshots) the EVAL is the fenced one: a commit refused with
// QCFENCED fails with Status::kFenced, and so does every commit in flight
// behind it; QCID fails with kConflict (the error text keeps "QCID <field>
// <partition>").
//
// With OpenOptions::redis_wait_replicas > 0 each EVAL is followed on the
// connection by `WAIT n timeout` (pipelined); the commit is durable only
// when WAIT answers >= n, and fails with kUnavailable otherwise ("the
// replica did not confirm"), like an error reply. A sentinel:// URL: each
// (re)connection asks the Sentinels for the primary first.
//
// Everything else (scans for recovery, snapshots, sync(), the settings check
// at open) goes through the synchronous store (store/
// redis_journal.h) on a second connection, which the replay tool and the
// tests use too; both write and read the same layout.
//
// Thread-safety: one thread at a time, like every Journal.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "store/journal.h"

namespace qc::gw {

// `url` is "redis://host[:port][/db][?key=name]" or "sentinel://host[:port][,...]/
// master[/db][?key=name]". Null (with *error) when
// the URL is malformed, or the server is down and options.require_connection.
std::unique_ptr<journal::Journal> open_redis_asio(std::string_view url,
                                                  const journal::OpenOptions& options,
                                                  journal::OpenReport* report, std::string* error);

}  // namespace qc::gw
