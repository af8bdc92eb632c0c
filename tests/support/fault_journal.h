// Test support: the fault-injecting journal. It forwards every call to an
// inner journal (owned, or borrowed: one that outlives a runtime, for
// restarts) and fails, loses or holds what the test asks for:
//
//  - down: every call fails ("store down"), reads too (an unreachable store);
//  - fail_writes (the flag given to the constructor, which several journals
//    may share): append() and probe_write() fail ("disk on fire"), reads
//    work (a full disk);
//  - lose_reply: the next append() is written but reported failed (a reply
//    lost on the wire);
//  - hold_appends()/release_appends(): append() waits while held (a slow
//    disk), so commands pile up behind a commit.
//
// It counts appends, the largest batch appended, write probes and
// recoveries (load_snapshot(), one per snapshot + replay). Subclasses
// (tests' pipelined journals) reach the inner journal as inner_.
//
// Thread-safety: the flags and counters may be read and set from any
// thread; the forwarded calls are as thread-safe as the inner journal.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>

#include "store/journal.h"

namespace qc::test {

class FaultJournal : public journal::Journal {
 public:
  // Borrows `inner`; `fail_writes` (may be null) fails writes while true.
  explicit FaultJournal(journal::Journal* inner, std::atomic<bool>* fail_writes = nullptr);
  explicit FaultJournal(std::unique_ptr<journal::Journal> inner);

  std::atomic<bool> down{false};
  std::atomic<bool> lose_reply{false};
  std::atomic<int> appends{0};           // append() calls
  std::atomic<std::size_t> largest_batch{0};
  std::atomic<int> probes{0};            // probe_write() calls
  std::atomic<int> recoveries{0};        // load_snapshot() calls

  void hold_appends();
  void release_appends();

  bool append(std::span<const journal::Record> batch, std::string* error) override;
  bool scan(std::uint64_t after, const std::function<bool(const journal::Record&)>& fn,
            std::string* error) override;
  bool scan_commands(std::uint64_t after, const std::function<bool(const journal::Record&)>& fn,
                     std::string* error) override;
  std::uint64_t last_seq() const override;
  bool save_snapshot(std::uint64_t seq, std::string_view image, std::string* error) override;
  bool load_snapshot(std::uint64_t* seq, std::string* image, std::string* error) override;
  bool sync(std::string* error) override;
  bool probe_write(std::string* error) override;
  void set_fence(const journal::Fence& fence) override { inner_->set_fence(fence); }

 protected:
  journal::Journal* inner_;

 private:
  bool writes_fail() const { return fail_writes_ && *fail_writes_; }
  std::unique_ptr<journal::Journal> owned_;
  std::atomic<bool>* fail_writes_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
};

}  // namespace qc::test
