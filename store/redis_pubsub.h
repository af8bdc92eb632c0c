// Redis PUB/SUB for the cluster's live views (docs/cluster.md, "Views across
// nodes"): the owner of a partition publishes each group's changed views
// once; every node receives them through one pattern subscription and hands
// them to the phones and screens connected to it.
//
// RedisPublisher: publish() queues a message; one thread sends the queue in
// order (PUBLISH, pipelined) on its own connection. A message that cannot be
// sent (Redis down) is dropped and counted: receivers notice the gap by the
// messages' sequence and resynchronize (a view is whole; the next one
// replaces it).
//
// RedisSubscriber: one thread, one connection in subscribe mode
// (PSUBSCRIBE <pattern>), a PING every interval so that a dead link is
// noticed within about timeout_ms; after a reconnect `on_reset` runs (what
// was published meanwhile is lost), then messages flow again.
//
// Thread-safety: publish() from any thread; callbacks run on the
// subscriber's thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "store/redis_journal.h"

namespace qc::journal {

class RedisPublisher {
 public:
  RedisPublisher(RedisAddress address, int timeout_ms, std::size_t max_queue = 100'000);
  ~RedisPublisher();
  RedisPublisher(const RedisPublisher&) = delete;
  RedisPublisher& operator=(const RedisPublisher&) = delete;
  void publish(std::string channel, std::string message);
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  std::uint64_t published() const { return published_.load(std::memory_order_relaxed); }

 private:
  void run();
  RedisAddress address_;
  int timeout_ms_;
  std::size_t max_queue_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::string, std::string>> queue_;
  bool stop_ = false;
  std::atomic<std::uint64_t> dropped_{0}, published_{0};
  std::thread thread_;
};

class RedisSubscriber {
 public:
  using OnMessage = std::function<void(std::string_view channel, std::string_view message)>;
  RedisSubscriber(RedisAddress address, std::string pattern, int timeout_ms, OnMessage on_message,
                  std::function<void()> on_reset);
  ~RedisSubscriber();
  RedisSubscriber(const RedisSubscriber&) = delete;
  RedisSubscriber& operator=(const RedisSubscriber&) = delete;
  // Whether the subscription is established now.
  bool subscribed() const { return subscribed_.load(std::memory_order_acquire); }

 private:
  void run();
  RedisAddress address_;
  std::string pattern_;
  int timeout_ms_;
  OnMessage on_message_;
  std::function<void()> on_reset_;
  std::atomic<bool> stop_{false}, subscribed_{false};
  std::thread thread_;
};

}  // namespace qc::journal
