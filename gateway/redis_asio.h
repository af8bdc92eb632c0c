// The Redis journal as queuecastd writes it: hiredis 0.14's asynchronous
// client (RESP2) driven by Asio, with our own timer on every commit.
//
// hiredis 0.14 has no Asio adapter: this one wraps the connection's file
// descriptor in an asio::posix::stream_descriptor and turns hiredis's
// addRead/addWrite/delRead/delWrite/cleanup hooks into async_wait()s on it.
// append() sends the group's MULTI / XADD... / EXEC pipelined (the same
// commands as the synchronous store: journal::plan_redis_append()), arms a
// steady_timer of OpenOptions::timeout_ms, and runs the journal's own
// io_context on the calling (shard) thread until EXEC's reply or the timer:
// the shard may acknowledge nothing before the commit is durable, so it has
// nothing else to do meanwhile (docs/durability.md). A timeout, a refused
// connection or a reset fails the commit with Status::kUnavailable and drops
// the connection; the next append() reconnects. A connection that the
// server closed while idle is noticed before the next commit is sent.
//
// Everything else (scans for recovery, snapshots, sync(), the settings check
// at open) goes through the synchronous store (engine/journal/
// redis_journal.h) on a second connection, which the replay tool and the
// tests use too; both write and read the same layout.
//
// Thread-safety: one thread at a time, like every Journal.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "engine/journal/journal.h"

namespace qc::gw {

// `url` is "redis://host[:port][/db][?key=name]". Null (with *error) when
// the URL is malformed, or the server is down and options.require_connection.
std::unique_ptr<journal::Journal> open_redis_asio(std::string_view url,
                                                  const journal::OpenOptions& options,
                                                  journal::OpenReport* report, std::string* error);

}  // namespace qc::gw
