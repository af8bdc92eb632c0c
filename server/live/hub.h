// Live-view subscriptions of one shard.
//
// Topics: "p/<ticket>" (a patient's view, pushed on every change of its
// session), "o/<ticket>" (a patient's own view for a phone that follows the
// board: pushed only when the ticket itself changes, see
// server/live/publisher.h), "b/<session>" (the public board), "s/<session>"
// (staff), "d/<area>" (displays). A Hub is owned by
// its shard's thread: add/remove/publish run there only (connections post
// their subscribe/unsubscribe to the shard), so it needs no lock, and a
// subscription registered on the shard can never miss a publication.
//
// Subscriber::deliver() is called on the shard thread and must not block or
// do I/O: the connection stores the frame (conflation: only the newest per
// topic) and has its network thread write it.
//
// Batching: while a DeliveryBatch lives on the calling thread (publish()
// opens one; the shard opens one around all the publications of a commit
// group), subscribers may defer waking their network threads until the
// outermost batch ends: one wake-up per network thread for everything
// published together, instead of one per subscriber.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "server/wire/wire.h"

namespace qc::gw {

struct Frame {
  std::shared_ptr<const std::string> bytes;
  std::chrono::steady_clock::time_point published{};
};

class Subscriber {
 public:
  virtual ~Subscriber() = default;
  virtual Format format() const = 0;
  // Conflated: replaces a pending frame of the same topic. Thread-safe.
  virtual void deliver(const std::string& topic, Frame frame) = 0;
  // Not conflated (errors, pongs); bounded by the connection. Thread-safe.
  virtual void send_control(std::shared_ptr<const std::string> bytes) = 0;
};

// Opens a batch of deliveries on this thread (RAII; nests).
class DeliveryBatch {
 public:
  // Runs once when the outermost open batch of the thread that deferred it
  // ends. Must outlive that batch.
  class Flusher {
   public:
    virtual void flush_deferred() = 0;

   protected:
    ~Flusher() = default;
  };
  DeliveryBatch();
  ~DeliveryBatch();
  DeliveryBatch(const DeliveryBatch&) = delete;
  DeliveryBatch& operator=(const DeliveryBatch&) = delete;
  // False when no batch is open on this thread (the caller must wake its
  // network thread itself); otherwise `f` runs at the end of the batch
  // (once, however often it was deferred).
  static bool defer(Flusher* f);
};

std::string patient_topic(std::string_view ticket_id);
std::string own_topic(std::string_view ticket_id);
std::string board_topic(std::string_view session_id);
std::string staff_topic(std::string_view session_id);
std::string display_topic(std::string_view area);

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
  void add(const std::string& topic, const std::string& session, std::shared_ptr<Subscriber> s);
  // Removes `s` (compared by owner, so safe after the subscriber died).
  void remove(const std::string& topic, const std::weak_ptr<Subscriber>& s);
  bool has(const std::string& topic, Format f) const;
  bool has_any(const std::string& topic) const;
  // Delivers `frame` to every live subscriber of (topic, f); prunes dead ones.
  // Returns the number of deliveries.
  std::size_t publish(const std::string& topic, Format f, const Frame& frame);
  // Tickets of `session` with patient ("p/") subscribers; null when none.
  const std::unordered_set<std::string>* patient_tickets(const std::string& session) const;
  // Whether the ticket of own topic `topic` is BOOKED, as last seen by the
  // shard (at subscribe, and in every own view it publishes): the own views
  // of BOOKED tickets are published on every change of their session. No
  // effect when `topic` has no subscribers.
  void set_own_booked(const std::string& topic, bool booked);
  // Tickets of `session` with own-view subscribers marked BOOKED; null when none.
  const std::unordered_set<std::string>* booked_own_tickets(const std::string& session) const;
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
  Entry* find(std::string_view topic, std::uint64_t hash) const;
  Entry* find(std::string_view topic) const;
  Entry* insert(std::string_view topic, std::uint64_t hash);
  void erase(Entry* e);
  void erase_if_empty(Entry* e);
  void grow();
  static void drop_sub(Entry* e, std::size_t i, std::size_t* count);

  std::vector<Slot> slots_;  // size: 0 or a power of two
  std::size_t used_ = 0;
  // Ticket ids by session: of the "p/" topics, and of the "o/" topics marked
  // BOOKED. (The other "o/" topics are not indexed: nothing looks them up by
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
