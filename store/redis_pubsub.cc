#include "store/redis_pubsub.h"

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "store/redis_connection.h"

namespace qc::journal {

RedisPublisher::RedisPublisher(RedisAddress address, int timeout_ms, std::size_t max_queue)
    : address_(std::move(address)), timeout_ms_(timeout_ms), max_queue_(max_queue) {
  thread_ = std::thread([this] { run(); });
}

RedisPublisher::~RedisPublisher() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void RedisPublisher::publish(std::string channel, std::string message) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= max_queue_) {
      queue_.pop_front();  // the oldest: receivers resynchronize on the gap
      dropped_.fetch_add(1, std::memory_order_relaxed);
    }
    queue_.emplace_back(std::move(channel), std::move(message));
  }
  cv_.notify_one();
}

void RedisPublisher::run() {
  RedisConnection conn(address_, timeout_ms_);
  std::vector<std::pair<std::string, std::string>> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      while (!queue_.empty() && batch.size() < 256) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    std::string err;
    bool ok = conn.ensure(&err);
    for (std::size_t i = 0; ok && i < batch.size(); ++i) {
      const char* argv[] = {"PUBLISH", batch[i].first.data(), batch[i].second.data()};
      const std::size_t lens[] = {7, batch[i].first.size(), batch[i].second.size()};
      ok = conn.append(3, argv, lens, &err);
    }
    std::size_t sent = 0;
    for (; ok && sent < batch.size(); ++sent) {
      RedisReply r;
      ok = conn.get_reply(&r, &err);
      if (!ok) break;
    }
    published_.fetch_add(sent, std::memory_order_relaxed);
    if (sent < batch.size()) {
      dropped_.fetch_add(batch.size() - sent, std::memory_order_relaxed);
      conn.drop();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    batch.clear();
  }
}

RedisSubscriber::RedisSubscriber(RedisAddress address, std::string pattern, int timeout_ms,
                                 OnMessage on_message, std::function<void()> on_reset)
    : address_(std::move(address)),
      pattern_(std::move(pattern)),
      timeout_ms_(timeout_ms),
      on_message_(std::move(on_message)),
      on_reset_(std::move(on_reset)) {
  thread_ = std::thread([this] { run(); });
}

RedisSubscriber::~RedisSubscriber() {
  stop_ = true;
  thread_.join();
}

void RedisSubscriber::run() {
  using Steady = std::chrono::steady_clock;
  const auto timeout = std::chrono::milliseconds(timeout_ms_);
  const auto ping_every = std::chrono::milliseconds(std::max(50, timeout_ms_ / 3));
  bool first = true;
  while (!stop_) {
    timeval tv{timeout_ms_ / 1000, (timeout_ms_ % 1000) * 1000};
    redisContext* ctx = redisConnectWithTimeout(address_.host.c_str(), address_.port, tv);
    auto fail = [&] {
      if (ctx) redisFree(ctx);
      subscribed_ = false;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    };
    if (!ctx || ctx->err) {
      fail();
      continue;
    }
    redisSetTimeout(ctx, tv);
    void* raw = nullptr;
    if (address_.db != 0) {
      raw = redisCommand(ctx, "SELECT %d", address_.db);
      if (!raw) {
        fail();
        continue;
      }
      freeReplyObject(raw);
    }
    raw = redisCommand(ctx, "PSUBSCRIBE %b", pattern_.data(), pattern_.size());
    if (!raw) {
      fail();
      continue;
    }
    freeReplyObject(raw);
    subscribed_ = true;
    // Whatever was published while no subscription was up is lost.
    if (!first && on_reset_) on_reset_();
    first = false;
    auto next_ping = Steady::now() + ping_every;
    Steady::time_point ping_sent{};
    bool pong_due = false, broken = false;
    while (!stop_ && !broken) {
      // Every reply already read.
      for (;;) {
        raw = nullptr;
        if (redisGetReplyFromReader(ctx, &raw) != REDIS_OK) {
          broken = true;
          break;
        }
        if (!raw) break;
        RedisReply r(static_cast<redisReply*>(raw));
        if (r->type != REDIS_REPLY_ARRAY || r->elements < 1) continue;
        const std::string_view kind = reply_text(r->element[0]);
        if (kind == "pong") pong_due = false;
        else if (kind == "pmessage" && r->elements == 4)
          on_message_(reply_text(r->element[2]), reply_text(r->element[3]));
      }
      const auto now = Steady::now();
      if (broken || (pong_due && now - ping_sent > timeout)) break;  // a dead link
      if (!pong_due && now >= next_ping) {
        redisAppendCommand(ctx, "PING");
        int done = 0;
        while (!done)
          if (redisBufferWrite(ctx, &done) != REDIS_OK) {
            broken = true;
            break;
          }
        pong_due = true;
        ping_sent = now;
        next_ping = now + ping_every;
      }
      pollfd pfd{ctx->fd, POLLIN, 0};
      if (::poll(&pfd, 1, 50) > 0 && redisBufferRead(ctx) != REDIS_OK) broken = true;
    }
    redisFree(ctx);
    subscribed_ = false;
    if (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace qc::journal
