// Views across nodes, on a node that does not serve a partition
// (docs/cluster.md, "Views across nodes"): its phones and screens that
// follow topics of that partition are subscribers of the partition's
// mirror Hub, fed by the owner's messages (relay.h) from Redis PUB/SUB,
// with today's conflation and slow-consumer rules (the same WsConn).
//
// Per partition: the owner's epoch and the last message's seq. A message of
// an older epoch, or not newer than the last, is dropped (a deposed owner's
// late PUBLISH, a duplicate): versions a client sees only grow. A gap in
// the seqs (messages the owner could not publish), a message of
// a newer epoch (a new owner), a take-over seen by the member, or a lost
// subscription (reset()) disconnects the partition's followers here with
// 1012: they reconnect and resubscribe with their versions, and get what
// they missed or the current view, never a stale one silently.
//
// Thread-safety: every function from any thread (a mutex per partition).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <tuple>
#include <vector>

#include "server/infra/metrics.h"
#include "server/live/hub.h"
#include "server/live/relay.h"

namespace qc::gw {

class Mirror {
 public:
  // `lag` (optional): observes, per message, its publication to its
  // arrival here (the nodes' wall clocks; chronyd keeps them close).
  explicit Mirror(int partitions, Histogram* lag = nullptr);

  // A message from the partitions' channels.
  void on_message(std::string_view bytes);
  // Before asking partition p's owner (of `epoch`) for a follow; each is
  // ended by add() or, when the follow failed, abandon().
  void expect(int p, std::uint64_t epoch);
  void abandon(int p);
  // The owner's answer to a follow: `client` follows its topics here and
  // gets its views (or newer ones received meanwhile). False when the
  // answer is of another epoch than the mirror's now (the client retries).
  bool add(int p, const FollowAnswer& answer, const std::shared_ptr<Subscriber>& client);
  // `sub` no longer follows `topic` here: true if it did; *partition,
  // *format and *last (no follower of the topic and format left on this
  // node) tell whether and what the owner must be told.
  bool remove(const Topic& topic, const std::weak_ptr<Subscriber>& sub, int* partition, Format* format,
              bool* last);
  // Disconnects the followers of p (all partitions: reset_all()).
  void reset(int p, std::uint64_t new_epoch = 0);
  void reset_all();
  std::uint64_t epoch(int p) const;
  std::uint64_t stale_dropped() const;

 private:
  struct Part {
    mutable std::mutex mu;
    Hub hub;
    std::uint64_t epoch = 0;
    std::uint64_t seq = 0;
    // While follows are pending: the newest view received per (kind, key,
    // format), with its seq, so that a follow answered before it gets it too.
    std::map<std::tuple<TopicKind, std::string, int>, std::pair<std::uint64_t, std::shared_ptr<const std::string>>> latest;
    // Followers here per (kind, key, format).
    std::map<std::tuple<TopicKind, std::string, int>, int> followers;
    std::uint64_t stale = 0;
    std::uint64_t gaps = 0;
    int pending = 0;  // follows asked of the owner, not answered yet
  };
  void reset_locked(Part& part, std::uint64_t new_epoch);
  void done_waiting(Part& part);
  std::vector<std::unique_ptr<Part>> parts_;
  Histogram* lag_;
  // Which partition's mirror a subscriber follows a topic in, and in which
  // format (found by owner, also once the subscriber is gone).
  std::mutex subs_mu_;
  std::map<std::weak_ptr<Subscriber>, std::map<std::pair<TopicKind, std::string>, std::pair<int, int>>,
           std::owner_less<std::weak_ptr<Subscriber>>>
      subs_;
};

}  // namespace qc::gw
