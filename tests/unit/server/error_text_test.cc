// Error answers are valid UTF-8 (JSON and protobuf) and never quote the
// request body: a parser's excerpt of a body would repeat the patientRef or
// token it carries (docs/api.md, "Patient references").
#include <string>

#include <gtest/gtest.h>

#include "server/api/decode.h"
#include "server/wire/wire.h"
#include "server/wire/ws_frame.h"
#include "queuecast/v1/queuecast.pb.h"

namespace qc::gw {
namespace {

TEST(ErrorText, BadJsonIsRefusedWithoutQuotingTheBody) {
  const Route route = parse_route("POST", "/v1/sessions/s1/holds");
  for (const std::string body : {R"({"slot":1,"patientRef":"\ud800 SECRET-42"})",
                                 "{\"slot\":1,\"patientRef\":\"\xc0\xaf SECRET-42\"}",
                                 R"({"slot":1,"patientRef":"SECRET-42" "x"})", R"({"slot":1,"patientRef":SECRET-42})"}) {
    Command c;
    std::string m;
    EXPECT_EQ(decode_command(route, body, Format::kJson, &c, &m), Error::kInvalidArgument) << body;
    EXPECT_EQ(m.find("SECRET"), std::string::npos) << m;
    EXPECT_FALSE(m.empty());
  }
  ClientRequest req;
  std::string m;
  EXPECT_EQ(decode_client_message(R"({"subscribe":{"patient":{"token":"0123456789abcdef0123456789abcdef" x}}})",
                                  Format::kJson, &req, &m),
            Error::kInvalidArgument);
  EXPECT_EQ(m.find("0123456789abcdef"), std::string::npos) << m;
}

TEST(ErrorText, ErrorBodiesAreValidUtf8) {
  // A message naming an id percent-decoded from the path: overlong,
  // surrogate, stray continuation and truncated sequences.
  for (const std::string id : {"\xc0\xaf", "\xed\xa0\x80", "\x80", "\xe5\xbc", "\xff", "\xf4\x90\x80\x80"}) {
    const std::string message = "unknown session: " + id;
    const std::string json = encode_error_body("unknown_session", message, Format::kJson);
    EXPECT_TRUE(ws::valid_utf8(json)) << json;
    EXPECT_NE(json.find("unknown session: \xef\xbf\xbd"), std::string::npos) << json;
    ::queuecast::v1::ErrorReply reply;
    ASSERT_TRUE(reply.ParseFromString(encode_error_body("unknown_session", message, Format::kProto)));
    EXPECT_TRUE(ws::valid_utf8(reply.error().message()));
    EXPECT_TRUE(ws::valid_utf8(encode_ws_error("unknown_session", message, Format::kJson)));
    EXPECT_TRUE(ws::valid_utf8(encode_ws_error("unknown_session", message, Format::kJson, "r1")));
  }
  // Valid text is unchanged.
  EXPECT_NE(encode_error_body("x", "\xe5\xbc\xa0 ok", Format::kJson).find("\xe5\xbc\xa0 ok"), std::string::npos);
}

}  // namespace
}  // namespace qc::gw
