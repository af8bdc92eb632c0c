#include "server/infra/sched.h"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace qc::gw {

namespace {

// struct sched_attr of <linux/sched/types.h> (glibc has no wrapper; that
// header's struct sched_param clashes with glibc's).
struct SchedAttr {
  std::uint32_t size;
  std::uint32_t sched_policy;
  std::uint64_t sched_flags;
  std::int32_t sched_nice;
  std::uint32_t sched_priority;
  std::uint64_t sched_runtime;
  std::uint64_t sched_deadline;
  std::uint64_t sched_period;
  std::uint32_t sched_util_min;
  std::uint32_t sched_util_max;
};

}  // namespace

bool set_thread_slice(std::int64_t us, bool* applied, std::string* error) {
  *applied = false;
  if (us <= 0) return true;
#if defined(SYS_sched_getattr) && defined(SYS_sched_setattr)
  SchedAttr a{};
  if (::syscall(SYS_sched_getattr, 0, &a, sizeof a, 0) != 0) {
    *error = std::string("sched_getattr: ") + std::strerror(errno);
    return false;
  }
  if (a.sched_policy != SCHED_OTHER && a.sched_policy != SCHED_BATCH) return true;
  a.size = sizeof a;
  a.sched_flags = 0;
  a.sched_runtime = static_cast<std::uint64_t>(us) * 1000;
  if (::syscall(SYS_sched_setattr, 0, &a, 0) != 0) {
    *error = std::string("sched_setattr: ") + std::strerror(errno);
    return false;
  }
  *applied = true;
  return true;
#else
  *error = "sched_setattr is not available";
  return false;
#endif
}

std::int64_t thread_slice_us() {
  std::ifstream f("/proc/thread-self/sched");
  for (std::string line; std::getline(f, line);) {
    if (line.rfind("se.slice", 0) != 0) continue;
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) return -1;
    try {
      return std::stoll(line.substr(colon + 1)) / 1000;
    } catch (...) {
      return -1;
    }
  }
  return -1;
}

}  // namespace qc::gw
