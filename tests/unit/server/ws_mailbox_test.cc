// What shard threads leave for a WebSocket connection (server/net/ws_mailbox.h),
// without sockets: conflation per topic, the wake-up protocol (one queueing
// per idle connection, a rerun for a busy one), slow-client and close mail,
// the subscription cap and the failed-subscribe close.
#include "server/net/ws_mailbox.h"

#include "server/wire/ws_frame.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace qc::gw::net {
namespace {

Frame frame(std::string bytes) { return Frame{std::make_shared<const std::string>(std::move(bytes)), {}}; }
std::shared_ptr<const std::string> bytes(std::string s) { return std::make_shared<const std::string>(std::move(s)); }
std::vector<std::string> texts(const std::vector<Frame>& frames) {
  std::vector<std::string> out;
  for (const Frame& f : frames) out.push_back(*f.bytes);
  return out;
}

constexpr std::size_t kBacklog = 1000;

TEST(WsMailbox, KeepsOnlyTheNewestViewPerTopic) {
  Metrics metrics;
  WsMailbox box(metrics);
  EXPECT_TRUE(box.deliver(patient_topic("1"), frame("v1"), kBacklog));   // idle: queue it
  EXPECT_FALSE(box.deliver(patient_topic("1"), frame("v2"), kBacklog));  // already queued
  EXPECT_FALSE(box.deliver(board_topic("9"), frame("w1"), kBacklog));
  EXPECT_FALSE(box.put_control(bytes("err"), kBacklog));
  EXPECT_EQ(metrics.ws_frames_conflated.load(), 1u);
  EXPECT_EQ(metrics.subscriptions.load(), 2);
  EXPECT_EQ(box.topics(), (std::vector<Topic>{patient_topic("1"), board_topic("9")}));

  std::vector<Frame> frames;
  WsMailbox::Mail mail;
  ASSERT_TRUE(box.claim(0, /*take_frames=*/true, &frames, &mail));
  EXPECT_TRUE(mail.any);
  EXPECT_EQ(texts(frames), (std::vector<std::string>{"err", "v2", "w1"}));  // control first
  frames.clear();
  unsigned events = 0;
  EXPECT_FALSE(box.next(true, &frames, &mail, &events));  // nothing more: released
  EXPECT_TRUE(box.deliver(patient_topic("1"), frame("v3"), kBacklog));  // idle again: queue it
}

TEST(WsMailbox, ABusyConnectionRunsOnceMoreInsteadOfBeingQueued) {
  Metrics metrics;
  WsMailbox box(metrics);
  std::vector<Frame> frames;
  WsMailbox::Mail mail;
  ASSERT_TRUE(box.claim(2, true, &frames, &mail));
  EXPECT_FALSE(mail.any);
  // While it runs: another thread's run and a delivery only leave events.
  EXPECT_FALSE(box.claim(4, true, &frames, &mail));
  EXPECT_FALSE(box.deliver(patient_topic("1"), frame("v1"), kBacklog));
  unsigned events = 0;
  ASSERT_TRUE(box.next(true, &frames, &mail, &events));
  EXPECT_EQ(events, 4u | WsMailbox::kFlushEvent);
  EXPECT_EQ(texts(frames), std::vector<std::string>{"v1"});
  frames.clear();
  EXPECT_FALSE(box.next(true, &frames, &mail, &events));
}

TEST(WsMailbox, FramesWaitWhileTheConnectionCannotTakeThem) {
  Metrics metrics;
  WsMailbox box(metrics);
  box.deliver(patient_topic("1"), frame("v1"), kBacklog);
  std::vector<Frame> frames;
  WsMailbox::Mail mail;
  ASSERT_TRUE(box.claim(0, /*take_frames=*/false, &frames, &mail));
  EXPECT_FALSE(mail.any);
  EXPECT_TRUE(frames.empty());
  unsigned events = 0;
  ASSERT_TRUE(box.next(true, &frames, &mail, &events));
  EXPECT_EQ(texts(frames), std::vector<std::string>{"v1"});
}

TEST(WsMailbox, OverTheBacklogTheClientIsTooSlow) {
  Metrics metrics;
  WsMailbox box(metrics);
  box.deliver(patient_topic("1"), frame(std::string(60, 'a')), 100);
  box.set_unsent(50, 100);  // 60 pending + 50 unsent > 100
  std::vector<Frame> frames;
  WsMailbox::Mail mail;
  ASSERT_TRUE(box.claim(0, true, &frames, &mail));
  EXPECT_TRUE(mail.slow);
  EXPECT_TRUE(frames.empty());  // the slow close comes first
  box.close();                  // the connection closes: nothing more is taken
  unsigned events = 0;
  EXPECT_FALSE(box.next(true, &frames, &mail, &events));
  EXPECT_FALSE(box.deliver(patient_topic("1"), frame("late"), 100));
  EXPECT_FALSE(box.put_control(bytes("late"), 100));
}

TEST(WsMailbox, AFullControlQueueIsTooSlow) {
  Metrics metrics;
  WsMailbox box(metrics);
  for (std::size_t i = 0; i < WsMailbox::kMaxControl + 1; ++i) box.put_control(bytes("e"), kBacklog);
  std::vector<Frame> frames;
  WsMailbox::Mail mail;
  ASSERT_TRUE(box.claim(0, true, &frames, &mail));
  EXPECT_TRUE(mail.slow);
}

TEST(WsMailbox, ACloseRequestIsTakenOnce) {
  Metrics metrics;
  WsMailbox box(metrics);
  EXPECT_TRUE(box.request_close(1001, "server going away"));
  EXPECT_FALSE(box.request_close(1008, "other"));  // the first one stays
  std::vector<Frame> frames;
  WsMailbox::Mail mail;
  ASSERT_TRUE(box.claim(0, true, &frames, &mail));
  EXPECT_EQ(mail.close, 1001);
  EXPECT_STREQ(mail.reason, "server going away");
  unsigned events = 0;
  EXPECT_FALSE(box.next(true, &frames, &mail, &events));
  EXPECT_EQ(mail.close, 0);
}

TEST(WsMailbox, PendingSubscribesCountAgainstTheCap) {
  Metrics metrics;
  WsMailbox box(metrics);
  EXPECT_TRUE(box.reserve_subscribe(2));
  EXPECT_TRUE(box.reserve_subscribe(2));
  EXPECT_FALSE(box.reserve_subscribe(2));
  bool wake = true;
  EXPECT_TRUE(box.subscribe_ok({patient_topic("1")}, nullptr, &wake));  // no request id: no confirmation
  EXPECT_FALSE(wake);
  EXPECT_FALSE(box.reserve_subscribe(2));  // one topic + one pending
  EXPECT_TRUE(box.subscribe_ok({board_topic("1"), own_topic("1")}, bytes("ok"), &wake));
  EXPECT_TRUE(wake);
  EXPECT_EQ(box.topic_count(), 3u);
  EXPECT_EQ(metrics.subscriptions.load(), 3);
}

TEST(WsMailbox, TheFifthFailedSubscribeClosesWithPolicy) {
  Metrics metrics;
  WsMailbox box(metrics);
  for (int i = 0; i < WsMailbox::kMaxFailedSubscribes; ++i) {
    box.reserve_subscribe(100);
    box.subscribe_failed([] { return std::string("e"); }, /*auth_failure=*/true);
  }
  std::vector<Frame> frames;
  WsMailbox::Mail mail;
  ASSERT_TRUE(box.claim(0, true, &frames, &mail));
  EXPECT_EQ(mail.close, ws::kClosePolicy);

  WsMailbox other(metrics);
  for (int i = 0; i < 10; ++i) {
    other.reserve_subscribe(100);
    other.subscribe_failed([] { return std::string("e"); }, /*auth_failure=*/false);
  }
  ASSERT_TRUE(other.claim(0, true, &frames, &mail));
  EXPECT_EQ(mail.close, 0);
  EXPECT_EQ(frames.size(), 10u);
}

TEST(WsMailbox, AnAnswerAfterTheCloseIsLeftToTheCaller) {
  Metrics metrics;
  WsMailbox box(metrics);
  box.reserve_subscribe(10);
  box.close();
  bool wake = true;
  EXPECT_FALSE(box.subscribe_ok({patient_topic("1")}, bytes("ok"), &wake));
  EXPECT_FALSE(wake);
  EXPECT_EQ(box.topic_count(), 0u);
  box.reserve_subscribe(10);
  bool encoded = false;
  EXPECT_FALSE(box.subscribe_failed([&] { encoded = true; return std::string("e"); }, true));
  EXPECT_FALSE(encoded);  // nothing is queued for a closing connection
}

TEST(WsMailbox, LongTopicsAndManyOfThem) {
  Metrics metrics;
  {
    WsMailbox box(metrics);
    const Topic long_topic = board_topic(std::string(80, 't'));  // not inline
    box.deliver(long_topic, frame("a"), kBacklog);
    for (int i = 0; i < 5; ++i) box.deliver(patient_topic(std::to_string(i)), frame("b"), kBacklog);
    box.deliver(long_topic, frame("c"), kBacklog);
    EXPECT_EQ(box.topic_count(), 6u);
    EXPECT_EQ(box.topics().front(), long_topic);
    EXPECT_EQ(metrics.subscriptions.load(), 6);
  }
  EXPECT_EQ(metrics.subscriptions.load(), 0);  // released with the connection
}

TEST(WsMailbox, DeliveriesFromManyThreadsWakeTheConnectionOnce) {
  Metrics metrics;
  WsMailbox box(metrics);
  std::atomic<int> wakes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i)
        if (box.deliver(patient_topic(std::to_string(t)), frame(std::to_string(i)), 1 << 20)) ++wakes;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wakes.load(), 1);
  std::vector<Frame> frames;
  WsMailbox::Mail mail;
  ASSERT_TRUE(box.claim(0, true, &frames, &mail));
  EXPECT_EQ(texts(frames), (std::vector<std::string>(4, "999")));
  EXPECT_EQ(metrics.ws_frames_conflated.load(), 4u * 999u);
}

// The push backlog (Metrics::ws_frames_pending): views waiting here, not
// those replaced by a newer one, until a network thread takes them or the
// connection closes or goes.
TEST(WsMailbox, CountsItsPendingViewsInThePushBacklog) {
  Metrics metrics;
  {
    WsMailbox box(metrics);
    box.deliver(patient_topic("1"), frame("v1"), kBacklog);
    box.deliver(patient_topic("1"), frame("v2"), kBacklog);  // replaces v1
    box.deliver(board_topic("9"), frame("w1"), kBacklog);
    box.put_control(bytes("err"), kBacklog);                 // not a view
    EXPECT_EQ(metrics.ws_frames_pending.load(), 2);
    std::vector<Frame> frames;
    WsMailbox::Mail mail;
    ASSERT_TRUE(box.claim(0, /*take_frames=*/true, &frames, &mail));
    EXPECT_EQ(frames.size(), 3u);
    EXPECT_EQ(metrics.ws_frames_pending.load(), 0);
    unsigned events = 0;
    EXPECT_FALSE(box.next(true, &frames, &mail, &events));
    box.deliver(board_topic("9"), frame("w2"), kBacklog);
    EXPECT_EQ(metrics.ws_frames_pending.load(), 1);
    box.close();  // drops it
    EXPECT_EQ(metrics.ws_frames_pending.load(), 0);
    box.deliver(board_topic("9"), frame("w3"), kBacklog);  // ignored once closing
    EXPECT_EQ(metrics.ws_frames_pending.load(), 0);
  }
  {
    WsMailbox box(metrics);
    box.deliver(patient_topic("2"), frame("v1"), kBacklog);
    EXPECT_EQ(metrics.ws_frames_pending.load(), 1);
  }  // destroyed with a view pending
  EXPECT_EQ(metrics.ws_frames_pending.load(), 0);
}

}  // namespace
}  // namespace qc::gw::net
