// Views across nodes (server/live/relay.h, mirror.h): the messages between
// nodes round-trip and refuse bad bytes; the owner's relays follow a topic
// once per format however many nodes follow it; a node's mirror delivers
// only newer messages, resynchronizes its followers on a gap, a new epoch
// or a reset, and gives a just-added follower a view newer than its answer.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "server/live/hub.h"
#include "server/live/mirror.h"
#include "server/live/relay.h"

namespace qc::gw {
namespace {

class Phone final : public Subscriber {
 public:
  explicit Phone(Format f = Format::kJson) : f_(f) {}
  Format format() const override { return f_; }
  void deliver(const Topic& t, Frame frame) override { got.emplace_back(t.key, *frame.bytes); }
  void send_control(std::shared_ptr<const std::string>) override {}
  void reconnect_elsewhere() override { ++told_to_reconnect; }
  std::vector<std::pair<std::string, std::string>> got;
  int told_to_reconnect = 0;

 private:
  Format f_;
};

RelayView view(const std::string& session, const std::string& bytes, Format f = Format::kJson) {
  return {board_topic(session), f, std::make_shared<const std::string>(bytes)};
}

std::string message(int p, std::uint64_t epoch, std::uint64_t seq, std::vector<RelayView> views) {
  ViewsMessage m;
  m.partition = p;
  m.epoch = epoch;
  m.seq = seq;
  m.views = std::move(views);
  return encode_views(m);
}

TEST(Relay, MessagesRoundTripAndBadBytesAreRefused) {
  ViewsMessage m;
  ASSERT_TRUE(decode_views(message(3, 7, 9, {view("s1", "v1"), view("s2", "v2", Format::kProto)}), &m));
  EXPECT_EQ(m.partition, 3);
  EXPECT_EQ(m.epoch, 7u);
  EXPECT_EQ(m.seq, 9u);
  ASSERT_EQ(m.views.size(), 2u);
  EXPECT_EQ(m.views[1].topic, board_topic("s2"));
  EXPECT_EQ(m.views[1].format, Format::kProto);
  EXPECT_EQ(*m.views[1].bytes, "v2");
  const std::string ok = message(3, 7, 9, {view("s1", "v1")});
  for (std::size_t cut = 0; cut < ok.size(); ++cut) {
    ViewsMessage x;
    // Every strict prefix but the bare header is malformed.
    if (cut >= 6) continue;
    EXPECT_FALSE(decode_views(ok.substr(0, cut), &x)) << cut;
  }
  EXPECT_FALSE(decode_views("QV2" + ok.substr(3), &m));

  FollowAnswer a;
  a.error = "forbidden";
  a.message = "no";
  a.epoch = 4;
  a.seq = 12;
  a.topics = {board_topic("s1"), own_topic("t1")};
  a.views = {view("s1", "b")};
  FollowAnswer b;
  ASSERT_TRUE(decode_follow_answer(encode_follow_answer(a), &b));
  EXPECT_EQ(b.error, "forbidden");
  EXPECT_EQ(b.message, "no");
  EXPECT_EQ(b.epoch, 4u);
  EXPECT_EQ(b.seq, 12u);
  EXPECT_EQ(b.topics, a.topics);
  ASSERT_EQ(b.views.size(), 1u);
  EXPECT_FALSE(decode_follow_answer("QF1\x05", &b));

  Topic t;
  Format f;
  ASSERT_TRUE(decode_unfollow(encode_unfollow(display_topic("2f"), Format::kProto), &t, &f));
  EXPECT_EQ(t, display_topic("2f"));
  EXPECT_EQ(f, Format::kProto);
  EXPECT_FALSE(decode_unfollow(encode_unfollow(display_topic("2f"), Format::kProto) + "x", &t, &f));
}

TEST(Relay, ATopicIsRelayedOncePerFormatUntilItsLastNodeLeaves) {
  Hub hub;
  Relays relays;
  const Topic t = board_topic("s1");
  relays.follow(hub, t, "", Format::kJson, "n1");
  relays.follow(hub, t, "", Format::kJson, "n2");
  relays.follow(hub, t, "", Format::kJson, "n2");
  EXPECT_EQ(hub.size(), 1u);  // one relay subscriber for JSON
  hub.publish(t, Format::kJson, Frame{std::make_shared<const std::string>("v1"), {}});
  std::vector<RelayView> out;
  ASSERT_TRUE(relays.take(&out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(*out[0].bytes, "v1");
  out.clear();
  EXPECT_FALSE(relays.take(&out));  // taken
  relays.unfollow(hub, t, Format::kJson, "n2");
  relays.unfollow(hub, t, Format::kJson, "n1");
  EXPECT_TRUE(hub.has(t, Format::kJson));  // n2 follows it once more
  relays.forget_node(hub, "n2");  // n2 left the cluster
  EXPECT_FALSE(hub.has(t, Format::kJson));
  EXPECT_TRUE(relays.empty());
}

TEST(Mirror, DeliversOnlyNewerMessagesAndResyncsOnAGapOrANewOwner) {
  Mirror mirror(4);
  auto phone = std::make_shared<Phone>();
  FollowAnswer a;
  a.epoch = 2;
  a.seq = 5;
  a.topics = {board_topic("s1")};
  a.views = {view("s1", "first")};
  mirror.expect(1, 2);
  ASSERT_TRUE(mirror.add(1, a, phone));
  ASSERT_EQ(phone->got.size(), 1u);
  EXPECT_EQ(phone->got[0].second, "first");

  mirror.on_message(message(1, 2, 6, {view("s1", "v6"), view("other", "x")}));
  mirror.on_message(message(1, 2, 6, {view("s1", "dup")}));        // not newer
  mirror.on_message(message(1, 1, 99, {view("s1", "deposed")}));  // an older epoch
  ASSERT_EQ(phone->got.size(), 2u);
  EXPECT_EQ(phone->got[1].second, "v6");
  EXPECT_EQ(mirror.stale_dropped(), 2u);
  EXPECT_EQ(phone->told_to_reconnect, 0);

  // Message 7 was lost: the follower resubscribes instead of keeping a view
  // that may be stale.
  mirror.on_message(message(1, 2, 8, {view("s1", "v8")}));
  EXPECT_EQ(phone->told_to_reconnect, 1);
  EXPECT_EQ(phone->got.size(), 2u);

  // A new owner (epoch 3): the followers of the partition resubscribe.
  auto second = std::make_shared<Phone>();
  a.epoch = 2;
  a.seq = 8;
  mirror.expect(1, 2);
  ASSERT_TRUE(mirror.add(1, a, second));
  mirror.on_message(message(1, 3, 1, {view("s1", "new owner")}));
  EXPECT_EQ(second->told_to_reconnect, 1);
  EXPECT_EQ(mirror.epoch(1), 3u);
  // An answer of the old epoch is refused: the client subscribes again.
  mirror.expect(1, 2);
  EXPECT_FALSE(mirror.add(1, a, std::make_shared<Phone>()));
}

TEST(Mirror, AFollowerGetsAViewPublishedWhileItsFollowWasOnItsWay) {
  Mirror mirror(2);
  mirror.expect(0, 5);
  // The owner took the first view at seq 3; message 4 left before the
  // answer arrived here.
  mirror.on_message(message(0, 5, 4, {view("s1", "v4")}));
  FollowAnswer a;
  a.epoch = 5;
  a.seq = 3;
  a.topics = {board_topic("s1")};
  a.views = {view("s1", "v3")};
  auto phone = std::make_shared<Phone>();
  ASSERT_TRUE(mirror.add(0, a, phone));
  ASSERT_EQ(phone->got.size(), 1u);
  EXPECT_EQ(phone->got[0].second, "v4");
  // Removing the last follower says so (the owner is told).
  int p = -1;
  Format f = Format::kProto;
  bool last = false;
  EXPECT_TRUE(mirror.remove(board_topic("s1"), phone, &p, &f, &last));
  EXPECT_EQ(p, 0);
  EXPECT_EQ(f, Format::kJson);
  EXPECT_TRUE(last);
  EXPECT_FALSE(mirror.remove(board_topic("s1"), phone, &p, &f, &last));
}

}  // namespace
}  // namespace qc::gw
