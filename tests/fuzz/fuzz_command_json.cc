// Fuzz target: one JSON command line (proto/codec.h parse_command_json), the
// form of POST /v1/commands, the journal's JSON Lines and `queuecast replay`.
// Properties: never crashes; a rejection is invalid_argument with a message;
// an accepted command re-encodes to JSON that decodes to the same command
// (same `at`, same JSON again).
#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "proto/codec.h"
#include "tests/fuzz/check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = (google::protobuf::SetLogHandler(nullptr), true);
  (void)quiet;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  qc::Command cmd;
  qc::Time at = 0;
  std::string msg;
  qc::Error e = qc::codec::parse_command_json(in, &cmd, &at, &msg);
  if (!fuzz_accepted(e, msg)) return 0;
  fuzz_debug("accepted", qc::command_name(cmd.body));
  qc::codec::pb::Command wire;
  qc::codec::to_proto(cmd, at, &wire);
  std::string j1;
  if (!qc::codec::to_json(wire, &j1)) return 0;  // e.g. a string protobuf refuses to print
  qc::Command cmd2;
  qc::Time at2 = 0;
  std::string msg2;
  FUZZ_CHECK(qc::codec::parse_command_json(j1, &cmd2, &at2, &msg2) == qc::Error::kOk);
  FUZZ_CHECK(at2 == at);
  FUZZ_CHECK(qc::codec::command_to_json(cmd2, at2) == j1);
  return 0;
}
