// queuecast replay: applies commands given as JSON Lines (the protobuf JSON
// mapping of queuecast.v1.Command) to a fresh engine, and answers every input
// line with exactly one JSON line:
//
//   {"ok":true,"events":[...],"session":"s1","waiting":["s1-W001"],"called":null}
//   {"ok":false,"error":"wrong_state","message":"...","events":[],"session":...}
//
// `session` is the session the command concerns (see docs/replay.md);
// `waiting` and `called` describe that session after the command. The output
// depends only on the input and the engine options: byte for byte the same
// on every run.
//
// Thread-safety: a Replayer is used by one thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.h"

namespace qc::cli {

class Replayer {
 public:
  explicit Replayer(EngineOptions options = {});

  // Appends the result line for one input line (no trailing newline; a
  // trailing '\r' is ignored) to *out. Never fails: a bad line gives an
  // ok:false result with error "invalid_argument".
  void apply_line(std::string_view line, std::string* out);

  const Engine& engine() const { return engine_; }

 private:
  std::optional<std::string> session_of(const Command& command) const;
  void append_result(Error error, std::string_view message,
                     const std::optional<std::string>& session, std::string* out);

  Engine engine_;
  std::vector<Event> events_;
  std::string message_;
  std::string scratch_;
};

// Longest accepted input line, in bytes.
inline constexpr std::size_t kMaxLineBytes = 1 << 20;

}  // namespace qc::cli
