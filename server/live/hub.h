// Live-view subscriptions of one shard.
//
// Topics (server/live/topic.h): a patient's view (TopicKind::kPatient,
// pushed on every change of its session), a patient's own view for a phone
// that follows the board (kOwn: pushed only when the ticket itself changes,
// see server/live/publisher.h), the public board (kBoard), staff (kStaff)
// and displays (kDisplay). A Hub is owned by
// its shard's thread: add/remove/publish run there only (connections post
// their subscribe/unsubscribe to the shard), so it needs no lock, and a
// subscription registered on the shard can never miss a publication.
//
// Subscriber::deliver() is called on the shard thread and must not block or
// do I/O: the connection stores the frame (conflation: only the newest per
// topic) and has its network thread write it.
//
// Batching: publish() runs inside a Batch (server/infra/batch.h; the shard
// has one open around all the publications of a commit group), so
// subscribers may defer waking their network threads until the outermost
// batch ends: one wake-up per network thread for everything published
// together, instead of one per subscriber.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "server/live/subscriber.h"
#include "server/live/topic.h"
#include "server/wire/wire.h"

namespace qc::gw {

// Topics -> subscribers, for one shard's thread (no lock).
//
// Layout (the shard looks a topic up once per view it publishes, so a
// lookup must cost few cache misses, also with 100,000 topics): an
// open-addressing table of (hash, entry) slots, linear probing, at most half
// full; each entry is one allocation holding the topic's bytes after it,
// its first subscriber inline (a patient topic has one) and per-format
// counts. A lookup reads one slot and one entry.
class Hub {
 public:
  Hub() = default;
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // `session` is the ticket's session for patient and own topics ("" otherwise).
  void add(const Topic& topic, const std::string& session, std::shared_ptr<Subscriber> s);
  // Removes `s` (compared by owner, so safe after the subscriber died).
  void remove(const Topic& topic, const std::weak_ptr<Subscriber>& s);
  bool has(const Topic& topic, Format f) const;
  bool has(TopicKind kind, std::string_view key, Format f) const;
  bool has_any(const Topic& topic) const;
  // Delivers `frame` to every live subscriber of (topic, f); prunes dead ones.
  // Returns the number of deliveries.
  std::size_t publish(const Topic& topic, Format f, const Frame& frame);
  // Tickets of `session` with patient (kPatient) subscribers; null when none.
  const std::unordered_set<std::string>* patient_tickets(const std::string& session) const;
  // Whether the ticket of own topic `topic` is BOOKED, as last seen by the
  // shard (at subscribe, and in every own view it publishes): the own views
  // of BOOKED tickets are published on every change of their session. No
  // effect when `topic` is not an own topic or has no subscribers.
  void set_own_booked(const Topic& topic, bool booked);
  // Tickets of `session` with own-view subscribers marked BOOKED; null when none.
  const std::unordered_set<std::string>* booked_own_tickets(const std::string& session) const;
  // The session a ticket topic was added with ("" when none or unknown).
  std::string session_of(const Topic& topic) const;
  // Cluster mode, when the shard steps down: asks every subscriber to
  // reconnect elsewhere (Subscriber::reconnect_elsewhere()) and forgets
  // every subscription.
  void disconnect_all();
  // Subscriptions (live or not yet pruned).
  std::size_t size() const { return count_; }
  std::size_t topics() const { return used_; }

 private:
  struct Sub {
    std::weak_ptr<Subscriber> w;
    const void* hint = nullptr;  // the subscriber's address, only for prefetching
    Format format = Format::kJson;
  };
  struct Entry;
  struct Slot {
    std::uint64_t hash = 0;
    Entry* entry = nullptr;  // null: empty
  };
  Entry* find(TopicKind kind, std::string_view key, std::uint64_t hash) const;
  Entry* find(const Topic& topic) const;
  Entry* insert(const Topic& topic, std::uint64_t hash);
  void erase(Entry* e);
  void erase_if_empty(Entry* e);
  void grow();
  static void drop_sub(Entry* e, std::size_t i, std::size_t* count);

  std::vector<Slot> slots_;  // size: 0 or a power of two
  std::size_t used_ = 0;
  // Ticket ids by session: of the patient topics, and of the own topics
  // marked BOOKED. (The other own topics are not indexed: nothing looks them up by
  // session on a call, and an index would cost every phone a set node.)
  using BySession = std::unordered_map<std::string, std::unordered_set<std::string>>;
  BySession patients_by_session_;
  BySession booked_by_session_;
  std::size_t count_ = 0;
  // The shard asks has_any(t), has(t, f) and publish(t, f) for one topic in
  // a row: the last entry found is remembered (reset when entries go).
  mutable Entry* last_ = nullptr;
};

}  // namespace qc::gw
