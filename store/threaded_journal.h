// A commit thread for a store whose append() blocks (SQLite: the inserts and
// the WAL fsync): the pipelined commits of journal.h ("Pipelined commits")
// run on a thread of their own, so the shard goes on applying and answering
// while a commit is written.
//
//  - send() copies the batch into a buffer kept from earlier commits (its
//    records' strings keep their capacity: no allocation per record once
//    warm) and hands it to the thread, which calls the inner append() in
//    the order they were sent. The commits queued while one was written go
//    as ONE append() (one transaction, one fsync): they land together or not
//    at all, and each gets that outcome (group commit of group commits).
//  - Once a commit failed, every commit still queued behind it fails
//    without being written ("an earlier commit failed"), and so does every
//    send() until complete() has taken the last failed outcome; then a new
//    send() writes again. So a commit never lands unless every earlier one
//    did (the journal has no gap).
//  - complete(block) takes the oldest outcome; with `block` it waits for it,
//    until wake() (any thread), which makes a waiting complete(), or the
//    next one, return kPending. in_flight(): sent and not yet taken.
//  - Every other call (append, scan, scan_commands, scan_keys, last_seq,
//    snapshots, sync, probe_write, set_fence, status, describe) runs on the caller's
//    thread, after the commit thread has finished every commit sent (a
//    commit sent meanwhile waits until the call returns).
//  - The destructor lets the commit being written finish, fails the ones
//    queued behind it without writing, and joins the thread.
//
// Thread-safety: send(), complete() and in_flight() from one thread at a
// time (the shard's); wake() from any thread; the other calls from any
// thread (they are serialized with each other and with the commits).
#pragma once

#include <memory>

#include "store/journal.h"

namespace qc::journal {

// `inner` (not null) gets its own commit thread.
std::unique_ptr<Journal> with_commit_thread(std::unique_ptr<Journal> inner);

}  // namespace qc::journal
