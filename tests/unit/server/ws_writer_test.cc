// The gather writer (server/net/ws_writer.h) on a socketpair: the bytes on
// the wire, partial writes resumed at any byte, more frames than one
// sendmsg() takes, a full socket and a failed one.
#include "server/net/ws_writer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace qc::gw::net {
namespace {

using Steady = std::chrono::steady_clock;

class Pair {
 public:
  Pair() {
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fd_), 0);
    ::fcntl(fd_[0], F_SETFL, O_NONBLOCK);
    ::fcntl(fd_[1], F_SETFL, O_NONBLOCK);
  }
  ~Pair() {
    if (fd_[0] >= 0) ::close(fd_[0]);
    if (fd_[1] >= 0) ::close(fd_[1]);
  }
  int writer() const { return fd_[0]; }
  void close_reader() {
    ::close(fd_[1]);
    fd_[1] = -1;
  }
  // Everything readable now.
  std::string drain() {
    std::string out;
    char buf[65536];
    for (;;) {
      ssize_t n = ::recv(fd_[1], buf, sizeof buf, MSG_DONTWAIT);
      if (n <= 0) return out;
      out.append(buf, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_[2] = {-1, -1};
};

std::shared_ptr<const std::string> shared(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}
// What a frame looks like on the wire (its header, then the payload).
std::string wire(const OutFrame& o) {
  return std::string(reinterpret_cast<const char*>(o.hdr), o.hdr_len) + *o.body;
}

TEST(WsWriter, WritesHeadersAndPayloadsInOrder) {
  Pair p;
  Metrics metrics;
  std::vector<OutFrame> items;
  items.push_back(OutFrame::raw(shared("HTTP/1.1 101 ...\r\n\r\n")));
  items.push_back(OutFrame::framed(ws::Opcode::kText, shared("{\"a\":1}"), Steady::now()));
  items.push_back(OutFrame::framed(ws::Opcode::kBinary, shared(std::string(300, 'b')), {}));
  std::string expected;
  for (const auto& o : items) expected += wire(o);
  EXPECT_EQ(items[1].hdr_len, 2u);
  EXPECT_EQ(items[2].hdr_len, 4u);  // 126..65535: 16-bit length

  GatherResult r = gather_write(p.writer(), items, 0, metrics);
  EXPECT_FALSE(r.failed);
  EXPECT_EQ(r.done, 3u);
  EXPECT_EQ(r.off, 0u);
  EXPECT_EQ(p.drain(), expected);
  EXPECT_EQ(metrics.ws_frames_sent.load(), 2u);      // the framed ones
  EXPECT_EQ(metrics.push_latency.count(), 1u);       // the one with a publication time
  for (const auto& o : items) EXPECT_EQ(o.body, nullptr);  // released
}

TEST(WsWriter, ResumesAtAnyByteOfAFrame) {
  std::vector<OutFrame> proto;
  proto.push_back(OutFrame::framed(ws::Opcode::kText, shared("hello"), {}));
  proto.push_back(OutFrame::framed(ws::Opcode::kText, shared("world!"), {}));
  std::string all;
  for (const auto& o : proto) all += wire(o);
  for (std::size_t off = 0; off < proto[0].size(); ++off) {
    Pair p;
    Metrics metrics;
    std::vector<OutFrame> items = proto;
    GatherResult r = gather_write(p.writer(), items, off, metrics);
    EXPECT_EQ(r.done, 2u) << off;
    EXPECT_EQ(p.drain(), all.substr(off)) << off;
  }
}

TEST(WsWriter, MoreFramesThanOneSendmsgTakes) {
  Pair p;
  Metrics metrics;
  std::vector<OutFrame> items;
  std::string expected;
  for (int i = 0; i < 3 * kMaxIov; ++i) {
    items.push_back(OutFrame::framed(ws::Opcode::kText, shared("frame " + std::to_string(i)), {}));
    expected += wire(items.back());
  }
  GatherResult r = gather_write(p.writer(), items, 0, metrics);
  EXPECT_EQ(r.done, items.size());
  EXPECT_EQ(p.drain(), expected);
  EXPECT_EQ(metrics.ws_frames_sent.load(), items.size());
}

TEST(WsWriter, StopsWhenTheSocketIsFullAndResumesWhereItStopped) {
  Pair p;
  Metrics metrics;
  std::vector<OutFrame> items;
  std::string expected;
  for (int i = 0; i < 8; ++i) {
    items.push_back(OutFrame::framed(ws::Opcode::kBinary, shared(std::string(200000, char('a' + i))), {}));
    expected += wire(items.back());
  }
  std::string got;
  std::size_t off = 0;
  int rounds = 0;
  while (!items.empty()) {
    ASSERT_LT(++rounds, 10000);
    GatherResult r = gather_write(p.writer(), items, off, metrics);
    ASSERT_FALSE(r.failed);
    for (std::size_t i = 0; i < r.done; ++i) EXPECT_EQ(items[i].body, nullptr);
    items.erase(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(r.done));
    off = r.off;
    got += p.drain();
  }
  EXPECT_GT(rounds, 1);  // 1.6 MB do not fit a socket buffer at once
  EXPECT_EQ(got, expected);
  EXPECT_EQ(metrics.ws_frames_sent.load(), 8u);
}

TEST(WsWriter, AClosedPeerFails) {
  Pair p;
  Metrics metrics;
  p.close_reader();
  std::vector<OutFrame> items;
  items.push_back(OutFrame::framed(ws::Opcode::kText, shared("x"), {}));
  GatherResult r = gather_write(p.writer(), items, 0, metrics);  // EPIPE, no SIGPIPE
  EXPECT_TRUE(r.failed);
  EXPECT_EQ(r.done, 0u);
  EXPECT_EQ(metrics.ws_frames_sent.load(), 0u);
}

Frame view(std::string payload) { return Frame{shared(std::move(payload)), {}}; }
std::string text_frame(const std::string& payload) {
  return wire(OutFrame::framed(ws::Opcode::kText, shared(payload), {}));
}

TEST(WsOutput, ProtocolFramesGoOutBeforeViews) {
  Pair p;
  Metrics metrics;
  WsOutput out;
  out.add_protocol("HTTP/1.1 101\r\n\r\n");
  out.add_protocol(ws::encode_frame(ws::Opcode::kPong, "x"));
  EXPECT_TRUE(out.has_protocol());
  std::vector<Frame> views{view("v1"), Frame{}, view("v2")};  // an empty slot is skipped
  std::vector<OutFrame> scratch;
  WsOutput::Progress r = out.write(p.writer(), views, ws::Opcode::kText, scratch, metrics);
  EXPECT_EQ(r.status, WsOutput::Progress::kWritten);
  EXPECT_FALSE(r.unblocked);
  EXPECT_TRUE(views.empty());
  EXPECT_TRUE(scratch.empty());
  EXPECT_FALSE(out.has_protocol());
  EXPECT_EQ(p.drain(), "HTTP/1.1 101\r\n\r\n" + ws::encode_frame(ws::Opcode::kPong, "x") +
                           text_frame("v1") + text_frame("v2"));
}

TEST(WsOutput, ProtocolFramesBeyondTheLimitAreDropped) {
  Pair p;
  Metrics metrics;
  WsOutput out;
  out.add_protocol("abcd", 4);
  out.add_protocol("efgh", 4);  // 4 bytes already wait: dropped
  out.add_protocol("ijkl");     // no limit (a close frame)
  std::vector<Frame> none;
  std::vector<OutFrame> scratch;
  out.write(p.writer(), none, ws::Opcode::kText, scratch, metrics);
  EXPECT_EQ(p.drain(), "abcdijkl");
}

TEST(WsOutput, KeepsTheRestOfABlockedWriteAndSendsItFirst) {
  Pair p;
  Metrics metrics;
  WsOutput out;
  std::vector<OutFrame> scratch;
  const std::string big(400000, 'b');
  std::vector<Frame> views{view(big), view(big), view(big), view(big)};
  WsOutput::Progress r = out.write(p.writer(), views, ws::Opcode::kBinary, scratch, metrics);
  ASSERT_EQ(r.status, WsOutput::Progress::kBlocked);
  EXPECT_TRUE(out.has_unsent());
  EXPECT_GT(r.unsent_bytes, 0u);
  std::string got = p.drain();
  EXPECT_EQ(got.size() + r.unsent_bytes, 4 * (big.size() + 10));  // 64-bit length headers

  // Meanwhile a pong and a view are queued; they follow the rest.
  out.add_protocol(ws::encode_frame(ws::Opcode::kPong, ""));
  std::vector<Frame> later{view("late")};
  bool unblocked = false;
  for (int round = 0; round < 1000 && out.has_unsent(); ++round) {
    r = out.write(p.writer(), later, ws::Opcode::kBinary, scratch, metrics);
    ASSERT_NE(r.status, WsOutput::Progress::kFailed);
    unblocked = unblocked || r.unblocked;
    got += p.drain();
  }
  EXPECT_TRUE(unblocked);
  EXPECT_EQ(r.status, WsOutput::Progress::kWritten);
  EXPECT_TRUE(later.empty());
  const std::string one = wire(OutFrame::framed(ws::Opcode::kBinary, shared(big), {}));
  EXPECT_EQ(got, one + one + one + one + ws::encode_frame(ws::Opcode::kPong, "") +
                     wire(OutFrame::framed(ws::Opcode::kBinary, shared("late"), {})));
  EXPECT_EQ(metrics.ws_frames_sent.load(), 5u);
}

TEST(WsOutput, AClosedPeerFails) {
  Pair p;
  Metrics metrics;
  p.close_reader();
  WsOutput out;
  out.add_protocol("x");
  std::vector<Frame> none;
  std::vector<OutFrame> scratch;
  EXPECT_EQ(out.write(p.writer(), none, ws::Opcode::kText, scratch, metrics).status,
            WsOutput::Progress::kFailed);
}

}  // namespace
}  // namespace qc::gw::net
