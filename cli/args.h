// Small helpers shared by the queuecast subcommands: strict number parsing of
// command-line values and whole-file reads. No output, no exit: callers
// print their own usage errors.
#pragma once

#include <string>

namespace qc::cli {

// A decimal integer in [lo, hi], the whole string; false otherwise.
bool parse_int(const char* s, long long lo, long long hi, long long* out);
// A finite decimal number, the whole string; false otherwise.
bool parse_double(const char* s, double* out);
// The whole file; false if it cannot be opened or read.
bool read_file(const std::string& path, std::string* out);

}  // namespace qc::cli
