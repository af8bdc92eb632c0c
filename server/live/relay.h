// Views across nodes (docs/cluster.md, "Views across nodes").
//
// On the owner of a partition: Relays registers one subscriber per format
// (RelayOut) in the partition's Hub for every topic that another node
// follows, counting the followers per node; the Hub delivers to it as to a
// phone, and once a group's views are delivered the shard takes them all
// (conflated per topic and format) into ONE message published to the
// partition's channel. On the other nodes: Mirror (mirror.h) hands them to
// the phones and screens connected there.
//
// The messages between nodes (binary; every string varint-length-prefixed):
//   views:   "QV1", partition, epoch, seq (the partition's message count in
//            this epoch), published at (us since 1970), then per
//            view: kind, format, key, bytes
//   answer to a follow: "QF1", error code, message, epoch, seq, topics
//            (kind, key), views (kind, format, key, bytes)
//   unfollow: "QU1", kind, format, key
//
// Thread-safety: Relays, RelayOut: the owning shard's thread. The codecs:
// any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "server/live/hub.h"
#include "server/live/subscriber.h"
#include "server/live/topic.h"
#include "server/wire/format.h"

namespace qc::gw {

struct RelayView {
  Topic topic;
  Format format = Format::kJson;
  std::shared_ptr<const std::string> bytes;
};

struct ViewsMessage {
  int partition = 0;
  std::uint64_t epoch = 0;
  std::uint64_t seq = 0;
  std::uint64_t published_us = 0;  // the owner's wall clock, microseconds since 1970 (lag metric)
  std::vector<RelayView> views;
};
std::string encode_views(const ViewsMessage& m);
bool decode_views(std::string_view in, ViewsMessage* m);
// The same piece by piece, without copying: the header, then each view
// (key and bytes point into *in). False on malformed input.
bool read_views_header(std::string_view* in, int* partition, std::uint64_t* epoch, std::uint64_t* seq,
                       std::uint64_t* published_us);
bool read_view(std::string_view* in, TopicKind* kind, Format* format, std::string_view* key,
               std::string_view* bytes);

struct FollowAnswer {
  std::string error;    // "" = ok, else the error code ("unauthorized", ...)
  std::string message;
  std::uint64_t epoch = 0;
  std::uint64_t seq = 0;  // the partition's last views message when the views were taken
  std::vector<Topic> topics;
  std::vector<RelayView> views;
};
std::string encode_follow_answer(const FollowAnswer& a);
bool decode_follow_answer(std::string_view in, FollowAnswer* a);

std::string encode_unfollow(const Topic& t, Format f);
bool decode_unfollow(std::string_view in, Topic* t, Format* f);

// Collects what a Hub delivers to it, on the owner's shard thread: a
// follow's first views, and (Relays) a group's views for other nodes. A
// group publishes each (topic, format) once and the shard takes the views
// after every group: nothing to conflate.
class Collector final : public Subscriber {
 public:
  explicit Collector(Format f) : format_(f) {}
  Format format() const override { return format_; }
  void deliver(const Topic& topic, Frame frame) override {
    views.push_back({topic, format_, std::move(frame.bytes)});
  }
  void send_control(std::shared_ptr<const std::string>) override {}
  std::vector<RelayView> views;

 private:
  Format format_;
};

class Relays {
 public:
  Relays();
  // Node `node` follows (topic, f): the relay of `f` joins the topic in
  // `hub` (with the ticket's `session` for ticket topics).
  void follow(Hub& hub, const Topic& topic, const std::string& session, Format f, const std::string& node);
  void unfollow(Hub& hub, const Topic& topic, Format f, const std::string& node);
  // A node left the cluster: its follows go.
  void forget_node(Hub& hub, const std::string& node);
  // The views delivered to the relays since the last take; false when none.
  bool take(std::vector<RelayView>* out);
  // Stepping down (the Hub is emptied by the shard).
  void clear();
  bool empty() const { return totals_.empty(); }

 private:
  std::shared_ptr<Collector> out_[kFormatCount];  // the relay of each format
  using Key = std::tuple<TopicKind, std::string, int>;  // kind, key, format
  std::map<std::pair<std::string, Key>, int> by_node_;  // (node, key) -> follows
  std::map<Key, int> totals_;
};

}  // namespace qc::gw
