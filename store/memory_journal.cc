#include <map>
#include <mutex>

#include "store/journal.h"

namespace qc::journal {
namespace {

class MemoryJournal final : public Journal {
 public:
  bool append(std::span<const Record> batch, std::string* error) override {
    std::uint64_t prev = last_;
    for (const Record& r : batch) {
      if (r.seq <= prev) {
        if (error) *error = "sequence numbers must increase";
        status_ = Status::kInvalidArgument;
        return false;
      }
      prev = r.seq;
    }
    status_ = Status::kOk;
    for (const Record& r : batch) {
      records_.push_back(r);
      last_ = r.seq;
    }
    return true;
  }
  bool scan(std::uint64_t after, const std::function<bool(const Record&)>& fn,
            std::string*) override {
    for (const Record& r : records_) {
      if (r.seq > after && !fn(r)) break;
    }
    return true;
  }
  std::uint64_t last_seq() const override { return last_; }
  Status status() const override { return status_; }
  // The snapshot may be read by another thread than the shard that writes
  // it (a test watching for it): seq and image change together.
  bool save_snapshot(std::uint64_t seq, std::string_view image, std::string*) override {
    std::lock_guard lock(snapshot_mu_);
    snapshot_seq_ = seq;
    snapshot_.assign(image);
    return true;
  }
  bool load_snapshot(std::uint64_t* seq, std::string* image, std::string*) override {
    std::lock_guard lock(snapshot_mu_);
    *seq = snapshot_seq_;
    *image = snapshot_;
    return snapshot_seq_ != 0;
  }

 private:
  std::vector<Record> records_;
  std::uint64_t last_ = 0;
  std::mutex snapshot_mu_;
  std::uint64_t snapshot_seq_ = 0;
  std::string snapshot_;
  Status status_ = Status::kOk;
};

}  // namespace

std::unique_ptr<Journal> make_memory_journal() { return std::make_unique<MemoryJournal>(); }

}  // namespace qc::journal
