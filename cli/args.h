// Small helpers shared by the queuecast subcommands: strict number parsing of
// command-line values, the help option and whole-file reads. No exit; the
// only output is print_usage's: callers print their own usage errors.
#pragma once

#include <string>
#include <string_view>

namespace qc::cli {

// A decimal integer in [lo, hi], the whole string; false otherwise.
bool parse_int(const char* s, long long lo, long long hi, long long* out);
// A finite decimal number, the whole string; false otherwise.
bool parse_double(const char* s, double* out);
// "--help" or "-h".
bool is_help(std::string_view arg);
// Writes the usage text to stdout; returns 0, the exit code of a help request.
int print_usage(const char* usage);
// The whole file; false if it cannot be opened or read.
bool read_file(const std::string& path, std::string* out);

}  // namespace qc::cli
