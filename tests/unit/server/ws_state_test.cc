// A WebSocket connection's states and timeouts (server/net/ws_state.h),
// without sockets: the sweep's verdicts on a timeline of steady milliseconds.
#include "server/net/ws_state.h"

#include <gtest/gtest.h>

namespace qc::gw::net {
namespace {

using Due = WsState::Due;
using Phase = WsState::Phase;

const WsTimeouts kT{/*handshake_ms=*/5000, /*idle_ms=*/60000, /*slow_ms=*/10000};

// A connection started at `at` whose 101 is out.
WsState opened_at(std::int64_t at) {
  WsState s;
  s.start(at);
  s.opened();
  return s;
}

TEST(WsState, SweepPeriodIsAQuarterOfTheShortestTimeoutWithinBounds) {
  EXPECT_EQ(kT.sweep_period_ms(), 1000);  // 5000 / 4 = 1250, at most 1000
  EXPECT_EQ((WsTimeouts{400, 60000, 10000}.sweep_period_ms()), 100);
  EXPECT_EQ((WsTimeouts{5000, 600, 10000}.sweep_period_ms()), 75);  // idle / 2 / 4
  EXPECT_EQ((WsTimeouts{20, 60000, 10000}.sweep_period_ms()), 10);
}

TEST(WsState, HandshakeTimeoutUntilThe101IsOut) {
  WsState s;
  s.start(1000);
  EXPECT_EQ(s.deadline(kT), 6000);
  EXPECT_EQ(s.sweep(5999, kT), Due::kNothing);
  EXPECT_EQ(s.sweep(6000, kT), Due::kAbort);

  WsState t = opened_at(1000);
  EXPECT_EQ(t.deadline(kT), 31000);  // the ping at idle / 2
  EXPECT_EQ(t.sweep(6000, kT), Due::kNothing);
}

TEST(WsState, PingsOnceAtHalfTheIdleTimeoutThenAborts) {
  WsState s = opened_at(0);
  EXPECT_EQ(s.sweep(29999, kT), Due::kNothing);
  EXPECT_EQ(s.sweep(30000, kT), Due::kPing);
  EXPECT_EQ(s.sweep(30001, kT), Due::kNothing);  // once per silence
  EXPECT_EQ(s.deadline(kT), 60000);
  EXPECT_EQ(s.sweep(60000, kT), Due::kAbort);
}

TEST(WsState, ReceivingRestartsTheIdleTimerAndAllowsAnotherPing) {
  WsState s = opened_at(0);
  EXPECT_EQ(s.sweep(30000, kT), Due::kPing);
  s.received(40000);
  EXPECT_EQ(s.deadline(kT), 70000);
  EXPECT_EQ(s.sweep(69999, kT), Due::kNothing);
  EXPECT_EQ(s.sweep(70000, kT), Due::kPing);
}

TEST(WsState, AWritePendingTooLongIsTooSlow) {
  WsState s = opened_at(0);
  s.blocked(1000);
  s.blocked(5000);  // still the first time
  EXPECT_EQ(s.deadline(kT), 11000);
  EXPECT_EQ(s.sweep(10999, kT), Due::kNothing);
  EXPECT_EQ(s.sweep(11000, kT), Due::kCloseSlow);
  s.unblocked();
  EXPECT_EQ(s.deadline(kT), 30000);
}

TEST(WsState, ClosingAndDrainingEndAfterTheHandshakeTimeout) {
  WsState s = opened_at(0);
  EXPECT_TRUE(s.open());
  EXPECT_FALSE(s.may_shut_down(true));  // only while closing
  s.closing(2000);
  EXPECT_EQ(s.phase(), Phase::kClosing);
  EXPECT_FALSE(s.may_shut_down(false));  // their close has not come
  EXPECT_TRUE(s.may_shut_down(true));    // it cannot be read
  s.set_peer_closed();
  EXPECT_TRUE(s.may_shut_down(false));
  EXPECT_EQ(s.deadline(kT), 7000);
  s.draining();
  EXPECT_EQ(s.phase(), Phase::kDraining);
  EXPECT_FALSE(s.may_shut_down(false));
  EXPECT_EQ(s.deadline(kT), 7000);  // the closing handshake's timer goes on
  EXPECT_EQ(s.sweep(6999, kT), Due::kNothing);
  EXPECT_EQ(s.sweep(7000, kT), Due::kAbort);
  s.finish();
  EXPECT_TRUE(s.done());
  EXPECT_EQ(s.deadline(kT), WsState::kNever);
  EXPECT_EQ(s.sweep(1000000, kT), Due::kNothing);
}

}  // namespace
}  // namespace qc::gw::net
