// FUZZ_CHECK: a property every fuzz target asserts about its decoder. On
// failure it prints the condition and aborts, so libFuzzer saves the input as
// a crash and the corpus replay fails its ctest. Also what several targets
// share: fuzz_debug, fuzz_accepted (a rejection's checks), fuzz_line.
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

#include <cstddef>
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

// The next '\n'-terminated line of *rest (without the '\n'), removed from it:
// how the targets that take several fields split their input.
inline std::string_view fuzz_line(std::string_view* rest) {
  std::size_t nl = rest->find('\n');
  std::string_view l = rest->substr(0, nl);
  rest->remove_prefix(nl == std::string_view::npos ? rest->size() : nl + 1);
  return l;
}
