// The hand-off into one shard: other threads post commands and reads, the
// shard thread takes them in groups (see runtime.h).
//
// The shard thread is woken only when the queue was empty (it takes all of
// it at once), and after the lock is released (so it does not wake up only
// to wait for the lock). While it waits for a commit with room in the
// pipeline, the journal's wake() is what wakes it (Journal::complete()).
//
// Thread-safety: post_*() and close() from any thread; take() from the
// shard thread only.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

#include "store/journal.h"
#include "server/runtime/runtime.h"

namespace qc::gw {

struct Task {
  CommandRequest cmd;
  ReadFn read;  // set: a read; else a command
};

class TaskQueue {
 public:
  explicit TaskQueue(journal::Journal& journal) : journal_(journal) {}

  // After close(), commands are answered `unavailable` at once.
  void post_command(CommandRequest r);
  // Moves from `rs` and leaves it empty: one lock, at most one wake-up.
  void post_commands(std::vector<CommandRequest>& rs);
  void post_read(ReadFn fn);
  // Asks the shard thread to stop once the queue is empty.
  void close();

  // On the shard thread. With `wait`, first waits until a task comes, close()
  // is called, or `deadline`. Then, with `take`, moves up to `max` tasks to
  // *batch (more to take a batch whole: CommandRequest::batch_rest). When
  // nothing was taken and `journal_wakes_if_idle`, the next posters wake the
  // journal's wait instead of the condition variable.
  // Returns whether close() was called and the queue is empty.
  bool take(std::vector<Task>* batch, std::size_t max, bool take, bool wait,
            std::chrono::steady_clock::time_point deadline, bool journal_wakes_if_idle);

 private:
  void notify(bool journal);

  journal::Journal& journal_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  bool waiting_on_journal_ = false;  // the shard waits in Journal::complete()
};

}  // namespace qc::gw
