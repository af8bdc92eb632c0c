// Fuzz target: one binary queuecast.v1.Command (Content-Type:
// application/x-protobuf on POST /v1/commands) -> engine command
// (proto/codec.h from_proto).
// Properties: never crashes; a rejection is invalid_argument with a message;
// an accepted command survives encode -> binary -> decode unchanged (compared
// through its JSON form).
#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <string>

#include "proto/codec.h"
#include "tests/fuzz/check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = (google::protobuf::SetLogHandler(nullptr), true);
  (void)quiet;
  qc::codec::pb::Command wire;
  if (!wire.ParseFromArray(data, int(size))) {
    fuzz_debug("not a Command");
    return 0;
  }
  qc::Command cmd;
  qc::Time at = 0;
  std::string msg;
  qc::Error e = qc::codec::from_proto(wire, &cmd, &at, &msg);
  if (!fuzz_accepted(e, msg)) return 0;
  fuzz_debug("accepted", qc::command_name(cmd.body));
  qc::codec::pb::Command again;
  qc::codec::to_proto(cmd, at, &again);
  std::string bytes = again.SerializeAsString();
  qc::codec::pb::Command parsed;
  FUZZ_CHECK(parsed.ParseFromString(bytes));
  qc::Command cmd2;
  qc::Time at2 = 0;
  std::string msg2;
  FUZZ_CHECK(qc::codec::from_proto(parsed, &cmd2, &at2, &msg2) == qc::Error::kOk);
  FUZZ_CHECK(at2 == at);
  FUZZ_CHECK(qc::codec::command_to_json(cmd2, at2) == qc::codec::command_to_json(cmd, at));
  return 0;
}
