// The driver of a fuzz target when libFuzzer is not available (g++ builds,
// QC_FUZZ off): feeds every file of the given corpus directories (or files)
// to LLVMFuzzerTestOneInput once, then a fixed number of deterministic
// mutations of each (byte flips, insertions, deletions, truncations, splices
// and JSON-ish tokens), so every ctest run exercises the decoders with
// malformed input too. Seeded: the same inputs every run.
//
// Usage: fuzz_<target> [--mutations N] <corpus dir or file>...
//   N defaults to 2000 per seed (env QC_FUZZ_MUTATIONS overrides).
// Exit status 0 when every input was consumed; a failing property aborts.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  std::size_t below(std::size_t n) { return n ? std::size_t(next() % n) : 0; }
};

const char* const kTokens[] = {
    "{", "}", "[", "]", "\"", ":", ",", "\\", "\\u0000", "\\ud800", "null", "true",
    "-1", "0", "18446744073709551616", "9223372036854775807", "-9223372036854775808",
    "1e400", "\"at\":\"2026-11-23T08:00:00Z\"", "\"9999-12-31T23:59:59Z\"", "%", "%zz",
    "%00", "?", "&", "=", "/", "//", "..", "\r\n", "\xff", "\xc3\x28", "\x08\x96\x01",
};

std::string mutate(const std::string& in, Rng& r) {
  std::string s = in;
  int steps = 1 + int(r.below(4));
  for (int i = 0; i < steps; ++i) {
    switch (r.below(7)) {
      case 0:  // flip a byte
        if (!s.empty()) s[r.below(s.size())] ^= char(1u << r.below(8));
        break;
      case 1:  // insert a random byte
        s.insert(s.begin() + std::ptrdiff_t(r.below(s.size() + 1)), char(r.next() & 0xff));
        break;
      case 2:  // delete a range
        if (!s.empty()) {
          std::size_t at = r.below(s.size());
          s.erase(at, 1 + r.below(std::min<std::size_t>(16, s.size() - at)));
        }
        break;
      case 3:  // truncate
        s.resize(r.below(s.size() + 1));
        break;
      case 4: {  // insert a token
        const char* t = kTokens[r.below(std::size(kTokens))];
        s.insert(r.below(s.size() + 1), t);
        break;
      }
      case 5:  // duplicate a chunk
        if (!s.empty() && s.size() < 65536) {
          std::size_t at = r.below(s.size());
          std::size_t n = 1 + r.below(std::min<std::size_t>(64, s.size() - at));
          s.insert(r.below(s.size() + 1), s.substr(at, n));
        }
        break;
      default:  // overwrite with a digit (numbers, lengths, enum values)
        if (!s.empty()) s[r.below(s.size())] = char('0' + r.below(10));
        break;
    }
  }
  return s;
}

void run(const std::string& data) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
}

}  // namespace

int main(int argc, char** argv) {
  long mutations = 2000;
  if (const char* e = std::getenv("QC_FUZZ_MUTATIONS")) mutations = std::atol(e);
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--mutations") == 0 && i + 1 < argc) {
      mutations = std::atol(argv[++i]);
      continue;
    }
    std::filesystem::path p(argv[i]);
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      for (const auto& e : std::filesystem::directory_iterator(p))
        if (e.is_regular_file()) files.push_back(e.path());
    } else if (std::filesystem::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      std::fprintf(stderr, "replay: no such corpus: %s\n", argv[i]);
      return 2;
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "replay: no inputs\n");
    return 2;
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> seeds;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  run("");
  Rng rng{0x9E3779B97F4A7C15ull};
  std::size_t executed = 1;
  for (const auto& s : seeds) {
    run(s);
    ++executed;
    for (long m = 0; m < mutations; ++m) {
      // Mostly this seed; sometimes spliced with another one.
      std::string base = s;
      if (rng.below(8) == 0) {
        const std::string& o = seeds[rng.below(seeds.size())];
        base = s.substr(0, rng.below(s.size() + 1)) + o.substr(rng.below(o.size() + 1));
      }
      run(mutate(base, rng));
      ++executed;
    }
  }
  std::printf("replay: %zu seeds, %zu inputs, no failure\n", seeds.size(), executed);
  return 0;
}
