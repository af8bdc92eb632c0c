// Frames in from one client (server/net/ws_reader.h), without a socket:
// incomplete frames kept across reads, the frame budget (close 4029), the
// size limit (1009), protocol errors (1002) and an input that stops early.
#include "server/net/ws_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace qc::gw::net {
namespace {

// A masked client frame with FIN set and a payload under 126 bytes
// (ws_frame_test.cc covers every other shape of frame).
std::string masked(ws::Opcode op, std::string_view payload) {
  const char key[4] = {0x11, 0x22, 0x33, 0x44};
  std::string f;
  f += static_cast<char>(0x80 | static_cast<int>(op));
  f += static_cast<char>(0x80 | payload.size());
  f.append(key, 4);
  for (std::size_t i = 0; i < payload.size(); ++i) f += static_cast<char>(payload[i] ^ key[i % 4]);
  return f;
}

// Records what the input reports, as WsConn would act on it.
struct Recorder {
  std::vector<std::string> events;  // "message:<payload>", "ping:<payload>", ...
  std::vector<std::uint16_t> errors;
  int floods = 0;
  std::size_t stop_after = SIZE_MAX;  // events
  bool stopped() const { return events.size() >= stop_after; }
  void on_event(const ws::Event& ev) {
    switch (ev.kind) {
      case ws::Event::kMessage: events.push_back("message:" + std::string(ev.payload)); break;
      case ws::Event::kPing: events.push_back("ping:" + std::string(ev.payload)); break;
      case ws::Event::kPong: events.push_back("pong"); break;
      case ws::Event::kClose: events.push_back("close:" + std::to_string(ev.code)); break;
      default: events.push_back("other"); break;
    }
  }
  void on_error(const ws::Event& ev) { errors.push_back(ev.code); }
  void on_flood() { ++floods; }
};

void feed(WsInput& in, std::string bytes, Recorder& r, std::int64_t now = 0) {
  in.feed(bytes.data(), bytes.size(), now, r);
}

TEST(WsInput, KeepsAnIncompleteFrameAcrossReads) {
  WsInput in(1024, 100, 100);
  Recorder r;
  const std::string f = masked(ws::Opcode::kText, "hello");
  for (std::size_t i = 0; i + 1 < f.size(); ++i) {
    feed(in, f.substr(i, 1), r);
    EXPECT_EQ(in.pending_bytes(), i + 1);
  }
  EXPECT_TRUE(r.events.empty());
  feed(in, f.substr(f.size() - 1), r);
  EXPECT_EQ(r.events, std::vector<std::string>{"message:hello"});
  EXPECT_EQ(in.pending_bytes(), 0u);
}

TEST(WsInput, SeveralFramesInOneReadAndARestKept) {
  WsInput in(1024, 100, 100);
  Recorder r;
  const std::string third = masked(ws::Opcode::kText, "c");
  feed(in, masked(ws::Opcode::kText, "a") + masked(ws::Opcode::kPing, "p") + third.substr(0, 3), r);
  EXPECT_EQ(r.events, (std::vector<std::string>{"message:a", "ping:p"}));
  EXPECT_EQ(in.pending_bytes(), 3u);
  feed(in, third.substr(3) + masked(ws::Opcode::kClose, ""), r);
  EXPECT_EQ(r.events, (std::vector<std::string>{"message:a", "ping:p", "message:c", "close:1005"}));
  EXPECT_FALSE(in.broken());
}

TEST(WsInput, EveryFrameCostsATokenAndAFloodBreaksTheInput) {
  WsInput in(1024, /*frames_per_second=*/1, /*burst=*/3);
  Recorder r;
  feed(in, masked(ws::Opcode::kPing, "") + masked(ws::Opcode::kPong, "") +
               masked(ws::Opcode::kText, "x") + masked(ws::Opcode::kText, "y") +
               masked(ws::Opcode::kText, "z"),
       r, 1000);
  EXPECT_EQ(r.events, (std::vector<std::string>{"ping:", "pong", "message:x"}));
  EXPECT_EQ(r.floods, 1);
  EXPECT_TRUE(in.broken());
  EXPECT_EQ(in.pending_bytes(), 0u);
  // A broken input reads nothing more, even after the budget refills.
  feed(in, masked(ws::Opcode::kText, "later"), r, 100000);
  EXPECT_EQ(r.events.size(), 3u);
  EXPECT_EQ(r.floods, 1);
}

TEST(WsInput, TooLargeAMessageIs1009) {
  WsInput in(4, 100, 100);
  Recorder r;
  feed(in, masked(ws::Opcode::kText, "12345"), r);
  EXPECT_EQ(r.errors, std::vector<std::uint16_t>{ws::kCloseTooBig});
  EXPECT_TRUE(in.broken());
  EXPECT_TRUE(r.events.empty());
}

TEST(WsInput, AnUnmaskedFrameIs1002) {
  WsInput in(1024, 100, 100);
  Recorder r;
  std::string f = masked(ws::Opcode::kText, "");
  f[1] = 0;  // no mask bit, no payload
  feed(in, masked(ws::Opcode::kText, "ok") + f.substr(0, 2), r);
  EXPECT_EQ(r.events, std::vector<std::string>{"message:ok"});
  EXPECT_EQ(r.errors, std::vector<std::uint16_t>{ws::kCloseProtocol});
  EXPECT_EQ(in.pending_bytes(), 0u);
}

TEST(WsInput, StopsWhenTheConnectionIsGone) {
  WsInput in(1024, 100, 100);
  Recorder r;
  r.stop_after = 1;
  feed(in, masked(ws::Opcode::kText, "a") + masked(ws::Opcode::kText, "b") + "\x81", r);
  EXPECT_EQ(r.events, std::vector<std::string>{"message:a"});
  EXPECT_EQ(in.pending_bytes(), 0u);  // nothing kept for a connection that is over
  EXPECT_FALSE(in.broken());
}

}  // namespace
}  // namespace qc::gw::net
