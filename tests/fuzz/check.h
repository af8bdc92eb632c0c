// FUZZ_CHECK: a property every fuzz target asserts about its decoder. On
// failure it prints the condition and aborts, so libFuzzer saves the input as
// a crash and the corpus replay fails its ctest.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__,         \
                   __LINE__, #cond);                                           \
      std::abort();                                                            \
    }                                                                          \
  } while (0)

#include <string_view>

// With QC_FUZZ_DEBUG set, targets say what happened to each input (to check
// that the seeds of a corpus are accepted, not all rejected early).
inline void fuzz_debug(std::string_view what, std::string_view detail = {}) {
  static const bool on = std::getenv("QC_FUZZ_DEBUG") != nullptr;
  if (on) std::fprintf(stderr, "%.*s %.*s\n", int(what.size()), what.data(), int(detail.size()), detail.data());
}

// A decoder's verdict: a rejection must be Error::kInvalidArgument with a
// reason. True when the input was accepted.
template <typename Error>
bool fuzz_accepted(Error e, std::string_view msg) {
  if (e == Error::kOk) return true;
  fuzz_debug("rejected:", msg);
  FUZZ_CHECK(e == Error::kInvalidArgument);
  FUZZ_CHECK(!msg.empty());
  return false;
}
