// Test and benchmark support: a deterministic stream of engine commands that
// looks like hospital mornings (sessions created, appointments booked the
// day before, check-ins, walk-ins, calls, completions, misses, returns,
// closes), day after day. The commands are meant to be applied by a live
// engine; the caller journals those it accepts, as the gateway does.
//
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "engine/command.h"
#include "engine/event.h"
#include "store/journal.h"
#include "tests/support/sessions.h"  // load_session()

namespace qc::test {

class Clinic {
 public:
  explicit Clinic(std::uint64_t seed = 1, int sessions_per_day = 8, int patients_per_session = 60);
  // The next command and its time. Times never go backwards.
  Command next(Time* at);

 private:
  void plan_day();
  std::mt19937_64 rng_;
  int sessions_;
  int patients_;
  int day_ = 0;
  std::deque<std::pair<Time, Command>> queue_;
};

// A journal record for an applied command (command and events encoded with
// the codec), as the gateway writes it.
journal::Record make_record(std::uint64_t seq, const Command& command, Time at,
                            const std::vector<Event>& events, std::string idempotency_key = "");

}  // namespace qc::test
