// queuecast replay: applies commands given as JSON Lines (the protobuf JSON
// mapping of queuecast.v1.Command) to a fresh engine, and answers every input
// line with exactly one JSON line:
//
//   {"ok":true,"events":[...],"session":"s1","waiting":["s1-W001"],"called":null}
//   {"ok":false,"error":"wrong_state","message":"...","events":[],"session":...}
//
// `session` is the session the command concerns (see docs/replay.md);
// `waiting` and `called` describe that session after the command (and
// `rooms`, each room's called ticket, when it has several). The output
// depends only on the input and the engine options: byte for byte the same
// on every run.
//
// With a ticket to explain (--why TICKET), the answer is instead one line
// for each time another ticket was placed or called ahead of it, and a
// summary at the end (docs/replay.md "Why was that patient called before
// me?").
//
// Thread-safety: a Replayer is used by one thread.
#pragma once

#include <map>
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

  // --why: applies one input line and appends a line (ending in '\n') for
  // each way it put another ticket ahead of `ticket`: an insertion that
  // overtook it (with the inserted ticket's reason), band 0 (made next: on
  // time but passed, a missed patient back in time), a nurse's
  // move_to_next or call_ticket; and when it became protected.
  void explain_line(std::string_view line, std::string_view ticket, std::string* out);
  // The last line of --why: what the findings add up to.
  void explain_summary(std::string_view ticket, std::string* out) const;

  const Engine& engine() const { return engine_; }

 private:
  std::optional<std::string> session_of(const Command& command) const;
  void append_result(Error error, std::string_view message,
                     const std::optional<std::string>& session, Time now, std::string* out);
  // Parses and applies one line into events_; kOk or why not (message_).
  Error apply(std::string_view line, Command* command, Time* now);
  void append_finding(std::string_view rule, Time at, const Event& other, std::string* out);

  Engine engine_;
  std::vector<Event> events_;
  std::string message_;
  std::string scratch_;
  // --why.
  std::size_t line_number_ = 0;
  std::map<std::string, std::string, std::less<>> priority_;  // ticket -> its reason code now
  std::map<std::string, int, std::less<>> findings_;          // rule -> how many
  int overtaken_ = 0;
  bool protected_ = false;
  std::string label_;
};

// Longest accepted input line, in bytes.
inline constexpr std::size_t kMaxLineBytes = 1 << 20;

}  // namespace qc::cli
