// Batching of the hand-offs between threads: one mechanism for all of them.
//
// Each wake-up of another thread costs several microseconds here, more than
// most commands cost to apply; so work for another thread is collected and
// handed over once per batch, not once per item.
//
// A Batch is a scope on one thread (RAII; batches nest, only the outermost
// counts). While one is open, Batch::defer(key, fn, arg) registers fn(arg)
// to run once when the outermost batch of this thread ends, however often
// `key` is deferred, and returns true; the caller keeps the work itself
// (per thread) and fn hands it over. Outside a batch defer() returns false
// and does nothing: the caller hands its work over at once.
//
// Where batches are open:
// - the shard thread, while it answers one commit group (Shard answer():
//   command answers, deliveries, reads): HTTP replies (http_server.cc
//   Replies), WebSocket wake-ups (server/net/ws_loop.h) and commands
//   submitted from answers (Runtime::submit) go out once per group;
// - live deliveries (server/live/publisher.cc deliver(), Hub::publish): one
//   wake-up per network thread for everything published together;
// - a network thread's pass over new requests (http_server.cc, with one
//   network thread): Runtime::submit() queues the pass's commands and hands
//   each shard its share under one lock, at most one wake-up per shard.
//
// Thread-safety: all state is the calling thread's. A batch must end on the
// thread that opened it. The deferred functions run on that thread in the
// order first deferred, after the batch is closed (so what they do is not
// deferred again); `arg` must live until then.
#pragma once

namespace qc::gw {

class Batch {
 public:
  Batch() noexcept;
  ~Batch();
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  // See above. True: fn(arg) runs at the end of the outermost batch (once
  // per key and batch: a later defer of the same key keeps the first fn).
  static bool defer(const void* key, void (*fn)(void*), void* arg);
  // Whether a batch is open on this thread.
  static bool open() noexcept;
};

}  // namespace qc::gw
