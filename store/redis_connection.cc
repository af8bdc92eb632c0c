#include "store/redis_connection.h"

#include <sys/time.h>

#include <algorithm>

namespace qc::journal {

std::string_view reply_text(const redisReply* r) {
  return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
               r->type == REDIS_REPLY_ERROR)
             ? std::string_view(r->str, r->len)
             : std::string_view();
}

bool parse_decimal(std::string_view s, std::uint64_t* v) {
  if (s.empty() || s.size() > 19) return false;
  *v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    *v = *v * 10 + std::uint64_t(c - '0');
  }
  return true;
}

bool RedisConnection::ensure(std::string* error, bool* connected_now) {
  if (connected_now) *connected_now = false;
  if (ctx_) return true;
  // sentinel://: the primary as the Sentinels name it now (after a failover,
  // the promoted replica).
  if (!resolve_primary(&addr_, std::min(timeout_ms_, 1000), error)) return false;
  timeval tv{timeout_ms_ / 1000, (timeout_ms_ % 1000) * 1000};
  ctx_ = redisConnectWithTimeout(addr_.host.c_str(), addr_.port, tv);
  if (!ctx_ || ctx_->err) {
    std::string why = ctx_ ? ctx_->errstr : "out of memory";
    drop();
    if (error) *error = "redis " + where() + ": cannot connect: " + why;
    return false;
  }
  redisSetTimeout(ctx_, tv);
  redisEnableKeepAlive(ctx_);
  if (addr_.db != 0) {
    const std::string db = std::to_string(addr_.db);
    const char* argv[] = {"SELECT", db.c_str()};
    RedisReply r;
    if (!command(2, argv, nullptr, &r, error)) return false;
    if (r->type == REDIS_REPLY_ERROR) {
      std::string e = "redis SELECT " + db + ": " + std::string(reply_text(r.get()));
      drop();
      if (error) *error = std::move(e);
      return false;
    }
  }
  if (connected_now) *connected_now = true;
  return true;
}

bool RedisConnection::command(int argc, const char** argv, const std::size_t* lens,
                              RedisReply* out, std::string* error) {
  void* raw = redisCommandArgv(ctx_, argc, argv, lens);
  if (!raw) return io_fail(argv[0], error);
  out->reset(static_cast<redisReply*>(raw));
  drop_if_replica(out->get());
  return true;
}

void RedisConnection::drop_if_replica(const redisReply* r) {
  // A replica answers writes "READONLY ...": it was the primary before a
  // failover. The next ensure() asks the Sentinels again.
  if (r && r->type == REDIS_REPLY_ERROR && reply_text(r).substr(0, 8) == "READONLY") drop();
}

bool RedisConnection::append(int argc, const char** argv, const std::size_t* lens,
                             std::string* error) {
  if (redisAppendCommandArgv(ctx_, argc, argv, lens) != REDIS_OK) return io_fail(argv[0], error);
  return true;
}

bool RedisConnection::get_reply(RedisReply* out, std::string* error) {
  void* raw = nullptr;
  if (redisGetReply(ctx_, &raw) != REDIS_OK || !raw) return io_fail("reply", error);
  out->reset(static_cast<redisReply*>(raw));
  return true;
}

bool RedisConnection::io_fail(const char* what, std::string* error) {
  std::string why = ctx_ && ctx_->err ? ctx_->errstr : "connection lost";
  if (why.empty() || why == "Resource temporarily unavailable") why = "timed out";
  drop();
  if (error) *error = "redis " + where() + ": " + what + ": " + why;
  return false;
}

void RedisConnection::drop() {
  if (ctx_) redisFree(ctx_);
  ctx_ = nullptr;
}

std::string RedisConnection::where() const {
  return addr_.host + ":" + std::to_string(addr_.port) + "/" + std::to_string(addr_.db);
}

}  // namespace qc::journal
