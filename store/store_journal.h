// The part the SQLite and Redis journals share: scan() and scan_commands()
// over one primitive, and the status of the last operation.
//
// Thread-safety: as the store's (one thread at a time per instance).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "store/journal.h"

namespace qc::journal {

class StoreJournal : public Journal {
 public:
  bool scan(std::uint64_t after, const std::function<bool(const Record&)>& fn,
            std::string* error) final {
    return scan_records(after, fn, /*with_events=*/true, error);
  }
  bool scan_commands(std::uint64_t after, const std::function<bool(const Record&)>& fn,
                     std::string* error) final {
    return scan_records(after, fn, /*with_events=*/false, error);
  }
  Status status() const final { return status_; }

 protected:
  // Calls fn for every record with seq > after, in order, its events
  // filled only when with_events; fn returns false to stop.
  virtual bool scan_records(std::uint64_t after, const std::function<bool(const Record&)>& fn,
                            bool with_events, std::string* error) = 0;
  // The operation succeeded: status kOk, returns true.
  bool ok() {
    status_ = Status::kOk;
    return true;
  }
  // The caller's fault (a bug, not worth a retry): *error = what, returns false.
  bool invalid(const char* what, std::string* error) {
    status_ = Status::kInvalidArgument;
    if (error) *error = what;
    return false;
  }

  Status status_ = Status::kOk;  // of the last operation
};

}  // namespace qc::journal
