// INTERNAL to ws_session.cc: what the WebSocket connections of one
// io_context share (an Asio service of that io_context, created on first use
// and destroyed with it).
//
// - The wake-up queue. A connection that got something to send while no
//   network thread works on it queues itself here (wake(), any thread); one
//   post() to the io_context drains the whole queue. While a Batch is open
//   on the waking thread (server/infra/batch.h: a shard answering a group,
//   its commands' answers, publications and subscribe reads; a delivery
//   pass), that thread only collects the connections and queues them all at
//   the batch's end: one post (one thread hand-off) per group, not one per
//   subscriber.
// - The sweep. Instead of a timer per connection (memory, and a timer
//   operation per write), one timer per io_context looks at every connection's
//   deadline (handshake and closing timeouts, idle pings and timeout, a write
//   pending too long) a few times per shortest timeout, at most once a second,
//   and runs the connections whose deadline passed.
//
// Thread-safety: every member function may be called from any thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "server/infra/batch.h"
#include "server/net/net.h"

namespace qc::gw::net {

// What the loop knows of a connection.
class LoopMember {
 public:
  enum Event : unsigned { kFlush = 1, kReadable = 2, kWritable = 4, kSweep = 8 };
  virtual ~LoopMember() = default;
  // Handles `events` (a network thread; the member serializes itself).
  virtual void run(unsigned events) = 0;
  // A strong reference, or null while the member is being destroyed.
  virtual std::shared_ptr<LoopMember> lock_member() = 0;
  // Steady milliseconds at which the member wants kSweep (max: never).
  std::atomic<std::int64_t> deadline_ms{std::numeric_limits<std::int64_t>::max()};
  // The loop is gone (its io_context was destroyed first): do not remove().
  bool orphaned() const { return orphaned_.load(std::memory_order_acquire); }

 private:
  friend class WsLoop;
  std::size_t loop_index_ = 0;  // in WsLoop::members_, under WsLoop's mutex
  std::atomic<bool> orphaned_{false};
};

inline std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class WsLoop final : public asio::execution_context::service {
 public:
  inline static asio::execution_context::id id;

  explicit WsLoop(asio::execution_context& ctx)
      : asio::execution_context::service(ctx),
        ioc_(static_cast<asio::io_context&>(ctx)),
        timer_(ioc_) {}

  asio::io_context& ioc() { return ioc_; }

  // Registers a member for the sweep (its limits give the sweep period).
  void add(LoopMember* m, std::int64_t sweep_period_ms) {
    std::lock_guard lock(mu_);
    m->loop_index_ = members_.size();
    members_.push_back(m);
    period_ms_ = std::min(period_ms_, std::max<std::int64_t>(sweep_period_ms, 10));
    if (!armed_ && !stopped_) {
      armed_ = true;
      arm_locked();
    }
  }
  // From the member's destructor.
  void remove(LoopMember* m) {
    std::lock_guard lock(mu_);
    std::size_t i = m->loop_index_;
    if (i >= members_.size() || members_[i] != m) return;
    members_[i] = members_.back();
    members_[i]->loop_index_ = i;
    members_.pop_back();
    if (members_.empty()) std::vector<LoopMember*>().swap(members_);
  }

  // Queues `m` for a kFlush run on a network thread.
  void wake(std::shared_ptr<LoopMember> m) {
    if (Batch::defer(this, &WsLoop::flush_fn, this)) {
      deferred().emplace_back(this, std::move(m));
      return;
    }
    bool post;
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(m));
      post = !posted_;
      posted_ = true;
    }
    if (post) asio::post(ioc_, [this] { drain(); });
  }

  // The end of a batch on this thread (Batch::defer()).
  void flush_deferred() {
    auto& d = deferred();
    bool post;
    {
      std::lock_guard lock(mu_);
      for (auto& [loop, m] : d)
        if (loop == this && m) queue_.push_back(std::move(m));
      post = !posted_ && !queue_.empty();
      if (post) posted_ = true;
    }
    d.erase(std::remove_if(d.begin(), d.end(), [](const auto& p) { return !p.second; }), d.end());
    if (post) asio::post(ioc_, [this] { drain(); });
  }

 private:
  static void flush_fn(void* self) { static_cast<WsLoop*>(self)->flush_deferred(); }
  using Deferred = std::vector<std::pair<WsLoop*, std::shared_ptr<LoopMember>>>;
  static Deferred& deferred() {
    thread_local Deferred d;
    return d;
  }

  void drain() {
    thread_local std::vector<std::shared_ptr<LoopMember>> work;
    {
      std::lock_guard lock(mu_);
      work.swap(queue_);
      posted_ = false;
    }
    // Each run is mostly one send() (microseconds in the kernel): meanwhile
    // the next member's object comes into the cache.
    for (std::size_t i = 0; i < work.size(); ++i) {
      if (i + 1 < work.size()) prefetch(work[i + 1].get());
      work[i]->run(LoopMember::kFlush);
    }
    work.clear();
  }

  // Without reading the object (a virtual call would wait for it): the
  // lines around the LoopMember base, which covers a connection.
  static void prefetch(const LoopMember* m) {
    const char* p = reinterpret_cast<const char*>(m);
    for (int off = -64; off < 640; off += 64) __builtin_prefetch(p + off);
  }

  void arm_locked() {
    timer_.expires_after(std::chrono::milliseconds(period_ms_));
    timer_.async_wait([this](beast::error_code ec) {
      if (!ec) sweep();
    });
  }

  void sweep() {
    thread_local std::vector<std::shared_ptr<LoopMember>> due;
    const std::int64_t now = steady_ms();
    {
      std::lock_guard lock(mu_);
      for (LoopMember* m : members_) {
        if (m->deadline_ms.load(std::memory_order_relaxed) > now) continue;
        if (auto s = m->lock_member()) due.push_back(std::move(s));
      }
    }
    for (auto& m : due) m->run(LoopMember::kSweep);
    due.clear();
    std::lock_guard lock(mu_);
    armed_ = !members_.empty() && !stopped_;
    if (armed_) arm_locked();
  }

  // The io_context is being destroyed (after its threads stopped): members
  // still alive (held by a queued shard task) must not call remove() later.
  void shutdown() override {
    std::vector<std::shared_ptr<LoopMember>> q;
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
      q.swap(queue_);
      for (LoopMember* m : members_) m->orphaned_.store(true, std::memory_order_release);
      std::vector<LoopMember*>().swap(members_);
    }
    beast::error_code ec;
    timer_.cancel();
    q.clear();  // may destroy members (they remove() themselves)
  }

  asio::io_context& ioc_;
  std::mutex mu_;
  std::vector<std::shared_ptr<LoopMember>> queue_;
  bool posted_ = false;
  std::vector<LoopMember*> members_;
  std::int64_t period_ms_ = 1000;
  bool armed_ = false;
  bool stopped_ = false;
  asio::steady_timer timer_;
};

}  // namespace qc::gw::net
