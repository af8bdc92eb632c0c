// Fuzz target: an HTTP request as the gateway's pure handler sees it
// (server/api/decode.h): method + target -> Route, query parameters,
// percent-decoding, Content-Type -> format, body -> engine command.
//
// Input layout (seeds in corpus/http_request/): "METHOD\nTARGET\nCONTENT-TYPE\nBODY"
// (missing lines are empty).
// Properties: never crashes; a rejected body is invalid_argument with a
// message; a command accepted from a request is one the codec can write as a
// JSON command line and read back (what the journal and replay rely on).
#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "server/api/decode.h"
#include "proto/codec.h"
#include "tests/fuzz/check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = (google::protobuf::SetLogHandler(nullptr), true);
  (void)quiet;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::string_view method = fuzz_line(&rest);
  std::string_view target = fuzz_line(&rest);
  std::string_view content_type = fuzz_line(&rest);
  std::string_view body = rest;

  qc::gw::Route route = qc::gw::parse_route(method, target);
  for (const char* name : {"token", "text", "lastVersion", ""}) {
    std::string v = qc::gw::query_param(target, name);
    FUZZ_CHECK(v.size() <= target.size());
  }
  std::string decoded;
  if (qc::gw::percent_decode(target, &decoded)) FUZZ_CHECK(decoded.size() <= target.size());
  if (route.id == qc::gw::RouteId::kPage) FUZZ_CHECK(route.file.find("..") == std::string::npos);

  qc::gw::Format format = qc::gw::body_format(content_type);
  switch (route.id) {
    case qc::gw::RouteId::kCommands:
    case qc::gw::RouteId::kSessionCreate:
    case qc::gw::RouteId::kSessionCommand:
    case qc::gw::RouteId::kHoldCommand:
    case qc::gw::RouteId::kTicketCommand:
      break;
    default:
      fuzz_debug("route", std::to_string(int(route.id)) + " " + route.id1 + " " + route.file);
      return 0;
  }
  qc::Command cmd;
  std::string msg;
  qc::Error e = qc::gw::decode_command(route, body, format, &cmd, &msg);
  if (!fuzz_accepted(e, msg)) return 0;
  fuzz_debug("accepted", qc::command_name(cmd.body));
  const qc::Time at = 1'795'000'000'000;  // 2026-11-18
  qc::codec::pb::Command wire;
  qc::codec::to_proto(cmd, at, &wire);
  std::string j;
  if (!qc::codec::to_json(wire, &j)) return 0;
  qc::Command back;
  qc::Time at2 = 0;
  FUZZ_CHECK(qc::codec::parse_command_json(j, &back, &at2, &msg) == qc::Error::kOk);
  return 0;
}
