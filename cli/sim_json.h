// A small JSON reader for the simulator's scenario files (cli/simulate.cc).
// Parses a whole document into a tree of values; errors name the line and
// column. Numbers are doubles; strings are UTF-8 with the standard escapes
// (\uXXXX, surrogate pairs included). Depth is limited to 64.
//
// Thread-safety: none needed; values are plain data.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace qc::cli {

struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<JsonValue> array;
  std::vector<std::pair<std::string, JsonValue>> object;  // in document order

  const JsonValue* find(std::string_view key) const;
};

// Parses `text`; on failure returns false and sets *error ("line 3, column 14: ...").
bool parse_json(std::string_view text, JsonValue* out, std::string* error);

}  // namespace qc::cli
