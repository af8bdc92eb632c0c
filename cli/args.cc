#include "cli/args.h"

#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>

namespace qc::cli {

bool parse_int(const char* s, long long lo, long long hi, long long* out) {
  if (!s || !*s) return false;
  std::string_view v = s;
  long long x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc() || p != v.data() + v.size() || x < lo || x > hi) return false;
  *out = x;
  return true;
}

bool parse_double(const char* s, double* out) {
  if (!s || !*s) return false;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s, &end);
  if (errno || *end || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

bool read_file(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return !in.bad();
}

bool is_help(std::string_view arg) { return arg == "--help" || arg == "-h"; }

int print_usage(const char* usage) {
  std::fputs(usage, stdout);
  return 0;
}

}  // namespace qc::cli
