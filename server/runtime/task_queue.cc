#include "server/runtime/task_queue.h"

#include <algorithm>

namespace qc::gw {

namespace {

void refuse(CommandRequest& r) {
  CommandOutcome o;
  o.error = Error::kUnavailable;
  o.message = "server is shutting down";
  r.done(std::move(o));
}

}  // namespace

void TaskQueue::post_command(CommandRequest r) {
  {
    std::unique_lock lock(mu_);
    if (!stopping_) {
      queue_.push_back(Task{std::move(r), nullptr});
      const bool wake = queue_.size() == 1;
      const bool journal = waiting_on_journal_;
      lock.unlock();
      if (wake) notify(journal);
      return;
    }
  }
  refuse(r);
}

void TaskQueue::post_commands(std::vector<CommandRequest>& rs) {
  if (rs.empty()) return;
  {
    std::unique_lock lock(mu_);
    if (!stopping_) {
      const bool wake = queue_.empty();
      const bool journal = waiting_on_journal_;
      for (auto& r : rs) queue_.push_back(Task{std::move(r), nullptr});
      lock.unlock();
      rs.clear();
      if (wake) notify(journal);
      return;
    }
  }
  for (auto& r : rs) refuse(r);
  rs.clear();
}

void TaskQueue::post_read(ReadFn fn) {
  std::unique_lock lock(mu_);
  queue_.push_back(Task{{}, std::move(fn)});
  const bool wake = queue_.size() == 1;
  const bool journal = waiting_on_journal_;
  lock.unlock();
  if (wake) notify(journal);
}

void TaskQueue::close() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
}

bool TaskQueue::take(std::vector<Task>* batch, std::size_t max, bool take, bool wait,
                     std::chrono::steady_clock::time_point deadline, bool journal_wakes_if_idle) {
  std::unique_lock lock(mu_);
  waiting_on_journal_ = false;
  if (wait) cv_.wait_until(lock, deadline, [&] { return stopping_ || !queue_.empty(); });
  if (take) {
    // Up to `max` tasks, and never only a part of a batch
    // (CommandRequest::batch_rest): it is applied in one group.
    std::size_t rest = 0;  // requests of the batch being taken still to take
    for (std::size_t n = 0; !queue_.empty() && (n < max || rest > 0); ++n) {
      Task& t = queue_.front();
      if (rest > 0) --rest;
      else if (!t.read) rest = t.cmd.batch_rest;
      batch->push_back(std::move(t));
      queue_.pop_front();
    }
  }
  const bool stopping = stopping_ && queue_.empty();
  // Waiting for a commit next, but new commands could start the next group:
  // the posters wake the journal's wait.
  if (batch->empty() && journal_wakes_if_idle) waiting_on_journal_ = true;
  return stopping;
}

void TaskQueue::notify(bool journal) {
  if (journal) journal_.wake();
  else cv_.notify_one();
}

}  // namespace qc::gw
