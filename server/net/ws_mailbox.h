// What the shard threads leave for one WebSocket connection, and who runs it.
//
// - Views, conflated: only the newest frame per subscribed topic waits
//   (Outbox, server/live/outbox.h); a replaced one counts in
//   ws_frames_conflated. Control frames (errors, pongs, confirmations) queue
//   up to kMaxControl; one more marks the client too slow.
// - Requests from other threads: a close (shutdown, too many failed
//   subscribes) and "too slow" (pending plus unsent bytes over the send
//   backlog); the running network thread takes them as Mail.
// - The subscribed topics (a topic's index is its outbox key) and the
//   subscribes sent to a shard but not answered yet (they count against the
//   per-connection cap).
// - Who runs the connection: one network thread at a time (claim()/next(): a
//   strand without allocation). A put while no thread runs the connection and
//   it is not queued yet returns true: the caller queues it on its loop
//   (ws_loop.h), after the mutex is released.
// - The push backlog: the views pending here count in
//   Metrics::ws_frames_pending (added when put, not when they replace one;
//   removed when taken, dropped or destroyed), which the shards bound.
//
// Thread-safety: every member function may be called from any thread (one
// mutex); claim(), next(), close(), set_unsent() and clear_unsent() only by
// the network thread running the connection. Beast-free and socket-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "server/infra/metrics.h"
#include "server/live/outbox.h"
#include "server/live/topic.h"

namespace qc::gw::net {

class WsMailbox {
 public:
  static constexpr std::size_t kMaxControl = 32;
  static constexpr int kMaxFailedSubscribes = 5;
  // The event bit of a wake-up for the running thread (LoopMember::kFlush).
  static constexpr unsigned kFlushEvent = 1;

  // `metrics` must outlive the mailbox (it counts subscriptions and
  // conflated frames).
  explicit WsMailbox(Metrics& metrics) : metrics_(metrics) {}
  ~WsMailbox();
  WsMailbox(const WsMailbox&) = delete;
  WsMailbox& operator=(const WsMailbox&) = delete;

  Metrics& metrics() const { return metrics_; }

  // ---- Any thread. A true return: queue the connection on its loop. ----

  // A view of `topic` (added to the topics if new); ignored once closing.
  bool deliver(const Topic& topic, Frame frame, std::size_t backlog_bytes);
  // A control frame; ignored once closing.
  bool put_control(std::shared_ptr<const std::string> bytes, std::size_t backlog_bytes);
  // A close with `code` (`reason`: a string literal) unless one is pending
  // or the connection is closing.
  bool request_close(std::uint16_t code, const char* reason);

  // Counts a subscribe about to go to a shard; false (nothing counted) when
  // the topics and the pending subscribes already reach `max`.
  bool reserve_subscribe(int max);
  // The answers to a reserved subscribe:
  // - refused: the error frame (`encode_error()`, called under the mutex
  //   unless closing, as the answer's whole handling is one step) queued; an
  //   `auth_failure` counts, and the kMaxFailedSubscribes-th requests a close
  //   1008.
  template <class EncodeError>
  bool subscribe_failed(EncodeError&& encode_error, bool auth_failure) {
    std::lock_guard lock(mu_);
    --pending_subscribes_;
    if (closing_) return false;
    return failed_locked(std::make_shared<const std::string>(encode_error()), auth_failure);
  }
  // - accepted: the topics are added and `confirmation` queued (null: none;
  //   *wake stays false). False when the connection is closing: the caller
  //   unsubscribes the topics.
  bool subscribe_ok(const std::vector<Topic>& topics,
                    std::shared_ptr<const std::string> confirmation, bool* wake);

  // The subscribed topics.
  std::vector<Topic> topics() const;
  std::size_t topic_count() const;

  // ---- The network thread running the connection. ----

  struct Mail {
    bool any = false;               // something was taken
    bool slow = false;              // close 4000: too slow
    std::uint16_t close = 0;        // else a requested close (0: none)
    const char* reason = nullptr;   // of `close`
  };
  // Starts a run with `events` (LoopMember::Event bits). False when another
  // thread runs the connection: it runs once more with these events.
  // Otherwise the mail is taken (see next()).
  bool claim(unsigned events, bool take_frames, std::vector<Frame>* frames, Mail* mail);
  // Ends one round of a run: takes the mail (a pending slow close first, else
  // a requested close, else when `take_frames` every pending frame, appended
  // to *frames in send order). False when there is neither mail nor events
  // (the run ends: another thread may claim); else *events to handle.
  bool next(bool take_frames, std::vector<Frame>* frames, Mail* mail, unsigned* events);
  // Closing: takes no more frames; drops the pending ones.
  void close();
  // Bytes written to no socket yet (a blocked write): they count against
  // the backlog.
  void set_unsent(std::size_t bytes, std::size_t backlog_bytes);
  void clear_unsent();

 private:
  // Under mu_.
  bool failed_locked(std::shared_ptr<const std::string> error, bool auth_failure);
  bool wake_locked();
  void check_backlog_locked(std::size_t backlog_bytes);
  void request_close_locked(std::uint16_t code, const char* reason);
  std::uint32_t topic_index_locked(const Topic& topic);
  void take_locked(bool take_frames, std::vector<Frame>* frames, Mail* mail);
  // Moves Metrics::ws_frames_pending by the change of pending views since
  // `before` (outbox_.views() then).
  void count_pending_locked(std::size_t before);

  // A connection's subscribed topics; a topic's index is its outbox key.
  // Every delivery looks its topic up here: the first topic's kind and key
  // are kept inline (next to the mutex) when short, so the usual connection,
  // which follows one topic, compares without another cache miss.
  class Topics {
   public:
    std::uint32_t find_or_add(const Topic& t, bool* added);
    std::size_t size() const { return (first_len_ != 0 ? 1 : 0) + rest_.size(); }
    std::vector<Topic> all() const;

   private:
    static constexpr std::size_t kInline = 45;
    std::uint8_t first_len_ = 0;  // 0: none inline
    TopicKind first_kind_ = TopicKind::kBoard;
    char first_[kInline];
    std::vector<Topic> rest_;
  };

  Metrics& metrics_;
  // What a delivery touches first, together: few cache lines.
  mutable std::mutex mu_;
  bool busy_ = false;    // a network thread runs the connection
  bool queued_ = false;  // queued on the loop
  bool closing_ = false;
  bool too_slow_ = false;
  unsigned again_ = 0;   // events for the running thread's next round
  Topics topics_;
  std::size_t unsent_bytes_ = 0;
  Outbox outbox_{kMaxControl};
  int failed_subscribes_ = 0;
  std::size_t pending_subscribes_ = 0;  // sent to a shard, not yet answered
  std::uint16_t close_code_ = 0;
  const char* close_reason_ = nullptr;
};

}  // namespace qc::gw::net
