// The WebSocket opening handshake's pure parts (server/net/ws_handshake.h):
// the accept key against RFC 6455's example, the subprotocol choice and the
// bytes of the 101 response.
#include "server/net/ws_handshake.h"

#include <gtest/gtest.h>

namespace qc::gw::net {
namespace {

TEST(WsHandshake, AcceptKeyOfRfc6455Example) {
  // RFC 6455 section 1.3 (also what Python's hashlib and base64 give).
  EXPECT_EQ(websocket_accept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsHandshake, AcceptKeyOfOtherKeys) {
  // Values computed with Python's hashlib and base64 (the same formula).
  EXPECT_EQ(websocket_accept("x3JJHMbDL1EzLkh9GBhXDw=="), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
  EXPECT_EQ(websocket_accept(""), "Kfh9QIsMVZcl6xEPYxPHzW8SZ8w=");
  // A key long enough to make the hashed input span two SHA-1 blocks.
  EXPECT_EQ(websocket_accept(std::string(40, 'a')), "8HfwWs1s8LbcYVpXxbhngE4qbHA=");
  EXPECT_EQ(websocket_accept("dGhlIHNhbXBsZSBub25jZQ==").size(), 28u);
}

TEST(WsHandshake, PicksTheFirstProtocolWeSpeak) {
  std::string protocol = "stale";
  Format format = Format::kProto;
  ASSERT_TRUE(pick_protocol("", &protocol, &format));
  EXPECT_EQ(protocol, "");
  EXPECT_EQ(format, Format::kJson);

  ASSERT_TRUE(pick_protocol("queuecast.v1.proto", &protocol, &format));
  EXPECT_EQ(protocol, "queuecast.v1.proto");
  EXPECT_EQ(format, Format::kProto);

  ASSERT_TRUE(pick_protocol("chat,  queuecast.v1.json , queuecast.v1.proto", &protocol, &format));
  EXPECT_EQ(protocol, "queuecast.v1.json");
  EXPECT_EQ(format, Format::kJson);

  EXPECT_FALSE(pick_protocol("chat, queuecast.v2.json", &protocol, &format));
  EXPECT_FALSE(pick_protocol(",", &protocol, &format));
}

TEST(WsHandshake, SwitchingProtocolsBytes) {
  EXPECT_EQ(switching_protocols("dGhlIHNhbXBsZSBub25jZQ==", "queuecast.v1.json"),
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nServer: queuecastd\r\n"
            "Sec-WebSocket-Protocol: queuecast.v1.json\r\n\r\n");
  EXPECT_EQ(switching_protocols("dGhlIHNhbXBsZSBub25jZQ==", ""),
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nServer: queuecastd\r\n\r\n");
}

}  // namespace
}  // namespace qc::gw::net
