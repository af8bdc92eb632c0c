#include "tests/support/fault_journal.h"

namespace qc::test {
namespace {

bool fail(std::string* error, const char* why) {
  if (error) *error = why;
  return false;
}

}  // namespace

FaultJournal::FaultJournal(journal::Journal* inner, std::atomic<bool>* fail_writes)
    : inner_(inner), fail_writes_(fail_writes) {}

FaultJournal::FaultJournal(std::unique_ptr<journal::Journal> inner)
    : inner_(inner.get()), owned_(std::move(inner)) {}

void FaultJournal::hold_appends() {
  std::lock_guard lock(mu_);
  held_ = true;
}

void FaultJournal::release_appends() {
  {
    std::lock_guard lock(mu_);
    held_ = false;
  }
  cv_.notify_all();
}

bool FaultJournal::append(std::span<const journal::Record> batch, std::string* error) {
  ++appends;
  for (std::size_t n = largest_batch; batch.size() > n && !largest_batch.compare_exchange_weak(n, batch.size());) {
  }
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !held_; });
  }
  if (down) return fail(error, "store down");
  if (writes_fail()) return fail(error, "disk on fire");
  if (lose_reply.exchange(false)) {
    inner_->append(batch, error);
    return fail(error, "store down");
  }
  return inner_->append(batch, error);
}

bool FaultJournal::scan(std::uint64_t after, const std::function<bool(const journal::Record&)>& fn,
                        std::string* error) {
  return down ? fail(error, "store down") : inner_->scan(after, fn, error);
}

bool FaultJournal::scan_commands(std::uint64_t after,
                                 const std::function<bool(const journal::Record&)>& fn,
                                 std::string* error) {
  return down ? fail(error, "store down") : inner_->scan_commands(after, fn, error);
}

std::uint64_t FaultJournal::last_seq() const { return inner_->last_seq(); }

bool FaultJournal::save_snapshot(std::uint64_t seq, std::string_view image, std::string* error) {
  return down ? fail(error, "store down") : inner_->save_snapshot(seq, image, error);
}

bool FaultJournal::load_snapshot(std::uint64_t* seq, std::string* image, std::string* error) {
  ++recoveries;
  return down ? fail(error, "store down") : inner_->load_snapshot(seq, image, error);
}

bool FaultJournal::sync(std::string* error) {
  return down ? fail(error, "store down") : inner_->sync(error);
}

// Readable while writes fail (a full disk): reads work, writes do not.
bool FaultJournal::probe_write(std::string* error) {
  ++probes;
  if (down) return fail(error, "store down");
  if (writes_fail()) return fail(error, "disk on fire");
  return inner_->probe_write(error);
}

}  // namespace qc::test
