// The scheduler's time slice of queuecastd's threads (Config::sched_slice_us,
// docs/operations.md "Scheduling").
//
// A delivery crosses threads (network -> shard -> network): each crossing is
// a wake-up, and on a core shared with CPU-bound work a woken thread waits
// until the running one has used its slice (Linux's EEVDF scheduler, about
// 1.4 ms here by default). A thread that asks for a shorter slice gets an
// earlier deadline and runs first when it wakes (Linux >= 6.12, sched_setattr
// with sched_runtime on a SCHED_OTHER thread; no privilege needed, the nice
// value and the CPU share stay as they are). Threads inherit the slice of the
// thread that creates them, so main() sets it before starting any.
//
// Thread-safety: affects the calling thread only.
#pragma once

#include <cstdint>
#include <string>

namespace qc::gw {

// Asks for a slice of `us` microseconds (the kernel clamps it to
// 100..100,000) for the calling thread; 0 leaves the kernel's default. Keeps
// the policy and the nice value; does nothing to a thread whose policy is
// not SCHED_OTHER or SCHED_BATCH (a real-time setup chosen by the operator).
// False with *error when the kernel refuses (older kernels accept and ignore
// the request). *applied says whether a slice was set.
bool set_thread_slice(std::int64_t us, bool* applied, std::string* error);

// The calling thread's slice in microseconds as the kernel reports it
// (/proc/thread-self/sched, "se.slice"); -1 when unknown.
std::int64_t thread_slice_us();

}  // namespace qc::gw
