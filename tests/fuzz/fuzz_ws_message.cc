// Fuzz target: a WebSocket client message (server/api/decode.h
// decode_client_message), decoded both as a JSON text frame
// (queuecast.v1.json) and as a binary frame (queuecast.v1.proto).
// Properties: never crashes; a rejection is invalid_argument with a message;
// an accepted message is a ping or a subscribe of a known kind whose strings
// are no longer than the input (nothing invented, no unbounded growth).
#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "server/api/decode.h"
#include "tests/fuzz/check.h"

namespace {
void decode(std::string_view in, qc::gw::Format format) {
  qc::gw::ClientRequest req;
  std::string msg;
  qc::Error e = qc::gw::decode_client_message(in, format, &req, &msg);
  if (e != qc::Error::kOk) {
    fuzz_debug(format == qc::gw::Format::kJson ? "json rejected:" : "proto rejected:", msg);
    FUZZ_CHECK(e == qc::Error::kInvalidArgument);
    FUZZ_CHECK(!msg.empty());
    return;
  }
  fuzz_debug(format == qc::gw::Format::kJson ? "json accepted" : "proto accepted", req.id);
  FUZZ_CHECK(req.kind == qc::gw::ClientRequest::kPing || req.kind == qc::gw::ClientRequest::kSubscribe);
  FUZZ_CHECK(req.who <= qc::gw::ClientRequest::kBoard);
  FUZZ_CHECK(req.token.size() + req.id.size() <= in.size());
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = (google::protobuf::SetLogHandler(nullptr), true);
  (void)quiet;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  decode(in, qc::gw::Format::kJson);
  decode(in, qc::gw::Format::kProto);
  return 0;
}
