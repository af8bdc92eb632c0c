// The server's RFC 6455 codec (server/wire/ws_frame.h): client frames in every
// shape a browser or a hostile client sends, byte by byte and all at once.
#include "server/wire/ws_frame.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace qc::gw::ws {
namespace {

// A client frame: masked (unless told otherwise) with a fixed key.
std::string client_frame(unsigned opcode, std::string_view payload, bool fin = true, bool masked = true,
                         int force_len_form = 0) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
  const unsigned char mask_bit = masked ? 0x80 : 0;
  std::size_t n = payload.size();
  int form = force_len_form ? force_len_form : (n < 126 ? 7 : n <= 0xFFFF ? 16 : 64);
  if (form == 7) {
    f.push_back(static_cast<char>(mask_bit | n));
  } else if (form == 16) {
    f.push_back(static_cast<char>(mask_bit | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n));
  } else {
    f.push_back(static_cast<char>(mask_bit | 127));
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>(static_cast<std::uint64_t>(n) >> (8 * i)));
  }
  const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
  if (masked) f.append(reinterpret_cast<const char*>(key), 4);
  for (std::size_t i = 0; i < n; ++i)
    f.push_back(masked ? static_cast<char>(payload[i] ^ key[i & 3]) : payload[i]);
  return f;
}

struct Got {
  std::vector<Event::Kind> kinds;
  std::vector<std::string> payloads;
  std::vector<bool> binary;
  std::uint16_t code = 0;
  std::string error;
};

// Feeds `bytes` to a reader in chunks of `chunk` bytes, keeping incomplete
// frames as a connection does.
Got feed(const std::string& bytes, std::size_t chunk, std::size_t max = 4096) {
  Reader r(max);
  Got g;
  std::string pending;
  for (std::size_t pos = 0; pos < bytes.size(); pos += chunk) {
    pending += bytes.substr(pos, chunk);
    std::size_t off = 0;
    while (off < pending.size()) {
      Event ev;
      std::size_t used = r.next(pending.data() + off, pending.size() - off, &ev);
      off += used;
      if (ev.kind == Event::kError) {
        g.kinds.push_back(ev.kind);
        g.code = ev.code;
        g.error = ev.error;
        return g;
      }
      if (ev.kind != Event::kNone) {
        g.kinds.push_back(ev.kind);
        g.payloads.emplace_back(ev.payload);
        g.binary.push_back(ev.binary);
        if (ev.kind == Event::kClose) g.code = ev.code;
      }
      if (used == 0) break;
    }
    pending.erase(0, off);
    r.trim();
  }
  EXPECT_TRUE(pending.empty()) << "bytes left over: " << pending.size();
  return g;
}

// Every test runs the bytes whole and one byte at a time.
std::vector<Got> both(const std::string& bytes, std::size_t max = 4096) {
  return {feed(bytes, bytes.size() ? bytes.size() : 1, max), feed(bytes, 1, max)};
}

TEST(WsFrame, TextAndBinaryMessagesInOneFrame) {
  std::string big(3000, 'z');
  for (const Got& g : both(client_frame(1, R"({"ping":{}})") + client_frame(2, std::string("\0\1\2", 3)) +
                           client_frame(1, big) + client_frame(1, ""))) {
    ASSERT_EQ(g.kinds.size(), 4u);
    EXPECT_EQ(g.payloads[0], R"({"ping":{}})");
    EXPECT_FALSE(g.binary[0]);
    EXPECT_EQ(g.payloads[1], std::string("\0\1\2", 3));
    EXPECT_TRUE(g.binary[1]);
    EXPECT_EQ(g.payloads[2], big);
    EXPECT_EQ(g.payloads[3], "");
  }
}

TEST(WsFrame, FragmentedMessageWithControlFramesBetween) {
  std::string bytes = client_frame(1, "hel", false) + client_frame(9, "p1") + client_frame(0, "lo ", false) +
                      client_frame(10, "") + client_frame(0, "world");
  for (const Got& g : both(bytes)) {
    ASSERT_EQ(g.kinds.size(), 3u);
    EXPECT_EQ(g.kinds[0], Event::kPing);
    EXPECT_EQ(g.payloads[0], "p1");
    EXPECT_EQ(g.kinds[1], Event::kPong);
    EXPECT_EQ(g.kinds[2], Event::kMessage);
    EXPECT_EQ(g.payloads[2], "hello world");
    EXPECT_FALSE(g.binary[2]);
  }
}

TEST(WsFrame, CloseFrames) {
  for (const Got& g : both(client_frame(8, close_payload(1000, "bye")))) {
    ASSERT_EQ(g.kinds.size(), 1u);
    EXPECT_EQ(g.kinds[0], Event::kClose);
    EXPECT_EQ(g.code, 1000);
    EXPECT_EQ(g.payloads[0], "bye");
  }
  for (const Got& g : both(client_frame(8, ""))) {
    ASSERT_EQ(g.kinds.size(), 1u);
    EXPECT_EQ(g.code, kCloseNoStatus);
  }
  auto err = [](const std::string& bytes) { return feed(bytes, bytes.size()); };
  EXPECT_EQ(err(client_frame(8, "x")).code, kCloseProtocol);                   // 1-byte payload
  EXPECT_EQ(err(client_frame(8, close_payload(1005, ""))).code, kCloseProtocol);  // reserved code
  EXPECT_EQ(err(client_frame(8, close_payload(999, ""))).code, kCloseProtocol);
  EXPECT_EQ(err(client_frame(8, close_payload(2000, ""))).code, kCloseProtocol);
  EXPECT_EQ(err(client_frame(8, close_payload(1000, "\xff"))).code, kCloseBadData);
  EXPECT_EQ(err(client_frame(8, close_payload(4000, "ok"))).kinds[0], Event::kClose);
}

TEST(WsFrame, ProtocolErrorsAre1002) {
  auto code = [](const std::string& bytes) {
    Got g = feed(bytes, bytes.size());
    EXPECT_FALSE(g.kinds.empty());
    return g.kinds.empty() || g.kinds.back() != Event::kError ? 0 : g.code;
  };
  EXPECT_EQ(code(client_frame(1, "hi", true, false)), kCloseProtocol);  // not masked
  std::string rsv = client_frame(1, "hi");
  rsv[0] = static_cast<char>(rsv[0] | 0x40);
  EXPECT_EQ(code(rsv), kCloseProtocol);                                   // RSV1 without extension
  EXPECT_EQ(code(client_frame(3, "hi")), kCloseProtocol);                 // reserved data opcode
  EXPECT_EQ(code(client_frame(11, "")), kCloseProtocol);                  // reserved control opcode
  EXPECT_EQ(code(client_frame(9, "p", false)), kCloseProtocol);           // fragmented ping
  EXPECT_EQ(code(client_frame(9, std::string(126, 'p'))), kCloseProtocol);  // control > 125
  EXPECT_EQ(code(client_frame(0, "x")), kCloseProtocol);                  // continuation alone
  EXPECT_EQ(code(client_frame(1, "a", false) + client_frame(1, "b")), kCloseProtocol);  // new message
  EXPECT_EQ(code(client_frame(1, "short", true, true, 16)), kCloseProtocol);  // non-minimal length
  EXPECT_EQ(code(client_frame(1, "short", true, true, 64)), kCloseProtocol);
  std::string huge = client_frame(2, "", true, true, 64);
  huge[2] = static_cast<char>(0x80);  // 2^63
  EXPECT_EQ(code(huge), kCloseProtocol);
}

TEST(WsFrame, TooBigMessagesAre1009FromTheHeaderAlone) {
  // One frame: rejected as soon as its header is in, without its payload.
  std::string frame = client_frame(1, std::string(5000, 'x'));
  Got g = feed(frame.substr(0, 8), 8);
  ASSERT_EQ(g.kinds.size(), 1u);
  EXPECT_EQ(g.code, kCloseTooBig);
  // Exactly the limit is fine; fragments count together.
  EXPECT_EQ(feed(client_frame(1, std::string(4096, 'x')), 4200).kinds[0], Event::kMessage);
  Got frag = feed(client_frame(1, std::string(4000, 'x'), false) + client_frame(0, std::string(97, 'x')), 9000);
  ASSERT_EQ(frag.kinds.size(), 1u);
  EXPECT_EQ(frag.code, kCloseTooBig);
  // Control frames have their own bound (125), not the message limit.
  EXPECT_EQ(feed(client_frame(9, std::string(100, 'p')), 200, 10).kinds[0], Event::kPing);
}

TEST(WsFrame, TextMustBeUtf8) {
  EXPECT_EQ(feed(client_frame(1, "caf\xc3\xa9 \xe4\xb8\xad"), 100).kinds[0], Event::kMessage);
  EXPECT_EQ(feed(client_frame(1, "bad \xc3"), 100).code, kCloseBadData);
  // A sequence split over fragments is valid once whole.
  Got split = feed(client_frame(1, "\xe4\xb8", false) + client_frame(0, "\xad"), 100);
  ASSERT_EQ(split.kinds.size(), 1u);
  EXPECT_EQ(split.payloads[0], "\xe4\xb8\xad");
  // Binary messages are not checked.
  EXPECT_EQ(feed(client_frame(2, "\xff\xfe"), 100).kinds[0], Event::kMessage);
}

TEST(WsFrame, Utf8Validator) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("plain ascii, long enough for the 8-byte path"));
  EXPECT_TRUE(valid_utf8("\xf0\x9f\x98\x80"));       // U+1F600
  EXPECT_TRUE(valid_utf8("\xf4\x8f\xbf\xbf"));       // U+10FFFF
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));              // overlong '/'
  EXPECT_FALSE(valid_utf8("\xe0\x80\xaf"));          // overlong
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));          // surrogate
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));      // > U+10FFFF
  EXPECT_FALSE(valid_utf8("\xf8\x88\x80\x80\x80"));  // 5-byte form
  EXPECT_FALSE(valid_utf8("abc\x80"));               // stray continuation
  EXPECT_FALSE(valid_utf8("\xe4\xb8"));              // truncated
}

TEST(WsFrame, ServerHeadersUseTheMinimalLengthForm) {
  std::uint8_t h[kMaxHeader];
  ASSERT_EQ(encode_header(Opcode::kText, 125, h), 2u);
  EXPECT_EQ(h[0], 0x81);
  EXPECT_EQ(h[1], 125);
  ASSERT_EQ(encode_header(Opcode::kBinary, 126, h), 4u);
  EXPECT_EQ(h[0], 0x82);
  EXPECT_EQ(h[1], 126);
  EXPECT_EQ(h[2], 0);
  EXPECT_EQ(h[3], 126);
  ASSERT_EQ(encode_header(Opcode::kText, 70000, h), 10u);
  EXPECT_EQ(h[1], 127);
  std::uint64_t n = 0;
  for (int i = 2; i < 10; ++i) n = (n << 8) | h[i];
  EXPECT_EQ(n, 70000u);
  EXPECT_EQ(encode_frame(Opcode::kPong, "ab"), std::string("\x8a\x02" "ab", 4));
}

TEST(WsFrame, CloseReasonIsCutOnACharacterBoundary) {
  std::string reason;
  for (int i = 0; i < 100; ++i) reason += "\xc3\xa9";  // 200 bytes of 2-byte characters
  std::string p = close_payload(4000, reason);
  EXPECT_LE(p.size(), kMaxControlPayload);
  EXPECT_EQ(static_cast<unsigned char>(p[0]) << 8 | static_cast<unsigned char>(p[1]), 4000);
  EXPECT_TRUE(valid_utf8(std::string_view(p).substr(2)));
}

TEST(WsFrame, ReaderIsUnusableAfterAnError) {
  Reader r(4096);
  std::string bad = client_frame(3, "x");
  Event ev;
  r.next(bad.data(), bad.size(), &ev);
  ASSERT_EQ(ev.kind, Event::kError);
  std::string good = client_frame(1, "ok");
  r.next(good.data(), good.size(), &ev);
  EXPECT_EQ(ev.kind, Event::kError);
}

}  // namespace
}  // namespace qc::gw::ws
