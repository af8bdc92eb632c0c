#include "store/threaded_journal.h"

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace qc::journal {
namespace {

class ThreadedJournal final : public Journal {
 public:
  explicit ThreadedJournal(std::unique_ptr<Journal> inner)
      : inner_(std::move(inner)), thread_([this] { run(); }) {}

  ~ThreadedJournal() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    work_cv_.notify_all();
    thread_.join();
  }

  // ---- Pipelined commits ----

  void send(std::span<const Record> batch) override {
    std::vector<Record> buffer;
    {
      std::lock_guard lock(mu_);
      if (!spare_.empty()) {
        buffer = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    // Copy-assignment reuses the strings' capacity of earlier commits.
    if (buffer.size() < batch.size()) buffer.resize(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) buffer[i] = batch[i];
    {
      std::lock_guard lock(mu_);
      queue_.push_back(Entry{std::move(buffer), batch.size(), Commit::kPending, {}});
    }
    work_cv_.notify_one();
  }

  Commit complete(bool block, std::string* error) override {
    std::unique_lock lock(mu_);
    for (;;) {
      if (queue_.empty()) return Commit::kPending;
      if (done_ > 0) {
        Entry e = std::move(queue_.front());
        queue_.pop_front();
        --done_;
        // The last failed outcome taken: a new send() writes again.
        if (queue_.empty()) failing_ = false;
        spare_.push_back(std::move(e.records));
        if (e.state == Commit::kFailed && error) *error = std::move(e.error);
        return e.state;
      }
      if (!block) return Commit::kPending;
      if (woken_) {
        woken_ = false;
        return Commit::kPending;
      }
      done_cv_.wait(lock);
    }
  }

  std::size_t in_flight() const override {
    std::lock_guard lock(mu_);
    return queue_.size();
  }

  void wake() override {
    {
      std::lock_guard lock(mu_);
      woken_ = true;
    }
    done_cv_.notify_all();
  }

  // ---- Everything else: on the caller's thread, no commit in flight ----

  bool append(std::span<const Record> batch, std::string* error) override {
    Claim c(*this);
    return inner_->append(batch, error);
  }
  bool scan(std::uint64_t after, const std::function<bool(const Record&)>& fn,
            std::string* error) override {
    Claim c(*this);
    return inner_->scan(after, fn, error);
  }
  bool scan_commands(std::uint64_t after, const std::function<bool(const Record&)>& fn,
                     std::string* error) override {
    Claim c(*this);
    return inner_->scan_commands(after, fn, error);
  }
  bool scan_keys(Time since, const std::function<bool(const Record&)>& fn,
                 std::string* error) override {
    Claim c(*this);
    return inner_->scan_keys(since, fn, error);
  }
  std::uint64_t last_seq() const override {
    Claim c(*this);
    return inner_->last_seq();
  }
  bool save_snapshot(std::uint64_t seq, std::string_view image, std::string* error) override {
    Claim c(*this);
    return inner_->save_snapshot(seq, image, error);
  }
  bool load_snapshot(std::uint64_t* seq, std::string* image, std::string* error) override {
    Claim c(*this);
    return inner_->load_snapshot(seq, image, error);
  }
  bool sync(std::string* error) override {
    Claim c(*this);
    return inner_->sync(error);
  }
  bool probe_write(std::string* error) override {
    Claim c(*this);
    return inner_->probe_write(error);
  }
  void set_fence(const Fence& fence) override {
    Claim c(*this);
    inner_->set_fence(fence);
  }
  Status status() const override {
    Claim c(*this);
    return inner_->status();
  }
  std::string describe() const override {
    Claim c(*this);
    return inner_->describe();
  }

 private:
  struct Entry {
    std::vector<Record> records;  // the first `size` are the commit's
    std::size_t size = 0;
    Commit state = Commit::kPending;
    std::string error;
  };

  // The inner journal for the caller alone: waits until every commit sent
  // is finished and no other call runs; commits sent meanwhile wait.
  class Claim {
   public:
    explicit Claim(const ThreadedJournal& j) : j_(j) {
      std::unique_lock lock(j_.mu_);
      j_.done_cv_.wait(lock, [&] { return !j_.claimed_ && j_.done_ == j_.queue_.size(); });
      j_.claimed_ = true;
    }
    ~Claim() {
      {
        std::lock_guard lock(j_.mu_);
        j_.claimed_ = false;
      }
      j_.work_cv_.notify_all();
      j_.done_cv_.notify_all();
    }
    Claim(const Claim&) = delete;
    Claim& operator=(const Claim&) = delete;

   private:
    const ThreadedJournal& j_;
  };

  // The commit thread: takes every entry after the first done_ and writes
  // them, in order, as one append() (one transaction, one fsync): they land
  // together or not at all, so none lands without the ones before it.
  void run() {
    std::vector<Entry*> taken;
    std::unique_lock lock(mu_);
    for (;;) {
      work_cv_.wait(lock, [&] { return stop_ || (!claimed_ && done_ < queue_.size()); });
      if (claimed_ || done_ == queue_.size()) return;  // stop_, nothing to write
      // References stay valid while the deque grows at the back, and
      // complete() takes only finished entries from the front.
      taken.clear();
      for (std::size_t i = done_; i < queue_.size(); ++i) taken.push_back(&queue_[i]);
      const char* refused = stop_ ? "the journal is closing"
                            : failing_ ? "an earlier commit failed" : nullptr;
      std::string error;
      bool ok = false;
      if (refused) {
        error = refused;
      } else {
        lock.unlock();
        ok = inner_->append(gather(taken), &error);
        lock.lock();
        if (!ok) failing_ = true;
      }
      for (Entry* e : taken) {
        e->state = ok ? Commit::kDurable : Commit::kFailed;
        if (!ok) e->error = error;
      }
      done_ += taken.size();
      lock.unlock();
      done_cv_.notify_all();
      lock.lock();
    }
  }

  // The records of `taken` as one span: the entry's own when there is one,
  // else moved (swapped: both sides keep their strings' capacity) into
  // merged_. The entries' records are not read again.
  std::span<const Record> gather(const std::vector<Entry*>& taken) {
    if (taken.size() == 1) return {taken[0]->records.data(), taken[0]->size};
    std::size_t n = 0;
    for (const Entry* e : taken) n += e->size;
    if (merged_.size() < n) merged_.resize(n);
    std::size_t k = 0;
    for (Entry* e : taken)
      for (std::size_t i = 0; i < e->size; ++i) std::swap(merged_[k++], e->records[i]);
    return {merged_.data(), n};
  }

  std::unique_ptr<Journal> inner_;
  mutable std::mutex mu_;
  mutable std::condition_variable work_cv_;  // the commit thread waits for work
  mutable std::condition_variable done_cv_;  // outcomes, an idle thread, wake()
  std::deque<Entry> queue_;      // sent, not yet taken by complete(); oldest first
  std::size_t done_ = 0;         // the first done_ entries are finished
  std::vector<std::vector<Record>> spare_;  // buffers of commits taken
  bool failing_ = false;         // a failed outcome not yet taken: fail the rest
  bool woken_ = false;
  mutable bool claimed_ = false; // a Claim holds the inner journal
  bool stop_ = false;
  std::vector<Record> merged_;   // the commit thread's: several commits as one
  std::thread thread_;           // last: starts after the members above exist
};

}  // namespace

std::unique_ptr<Journal> with_commit_thread(std::unique_ptr<Journal> inner) {
  return std::make_unique<ThreadedJournal>(std::move(inner));
}

}  // namespace qc::journal
