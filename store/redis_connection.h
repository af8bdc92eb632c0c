// One synchronous hiredis connection with a timeout on every command and on
// connect, shared by the Redis store (store/redis_journal.cc) and the
// cluster's lease client (store/redis_cluster.h). Internal to store/.
//
// A broken connection (timeout, reset, protocol error) is dropped; the next
// ensure() reconnects. Errors read "redis <host>:<port>/<db>: <what>: <why>".
//
// Thread-safety: one thread at a time.
#pragma once

#include <hiredis/hiredis.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "store/redis_journal.h"

namespace qc::journal {

struct RedisReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using RedisReply = std::unique_ptr<redisReply, RedisReplyDeleter>;

// The text of a string, status or error reply ("" otherwise).
std::string_view reply_text(const redisReply* r);

// "<decimal digits>" (at most 19) -> *v; false otherwise.
bool parse_decimal(std::string_view s, std::uint64_t* v);

class RedisConnection {
 public:
  RedisConnection(RedisAddress address, int timeout_ms)
      : addr_(std::move(address)), timeout_ms_(timeout_ms) {}
  ~RedisConnection() { drop(); }
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Connects (and SELECTs the db) unless connected; with Sentinels
  // (sentinel://) asks them for the primary first. *connected_now tells
  // whether it did just now.
  bool ensure(std::string* error, bool* connected_now = nullptr);
  bool connected() const { return ctx_ != nullptr; }
  // One command, waiting for its reply (an error reply is a reply: true).
  // False (connection dropped) when the server does not answer in time. A
  // "READONLY" error reply (a replica: the primary changed) drops the
  // connection too, after the reply was taken, so the next ensure() finds
  // the new primary.
  bool command(int argc, const char** argv, const std::size_t* lens, RedisReply* out,
               std::string* error);
  // Pipelining: queue a command (sent with the next get_reply()), then read
  // the replies in order.
  bool append(int argc, const char** argv, const std::size_t* lens, std::string* error);
  bool get_reply(RedisReply* out, std::string* error);
  // Drops the connection and says why: "redis <where>: <what>: <why>".
  bool io_fail(const char* what, std::string* error);
  void drop();
  // "host:port/db"
  std::string where() const;
  const RedisAddress& address() const { return addr_; }
  int timeout_ms() const { return timeout_ms_; }

 private:
  void drop_if_replica(const redisReply* r);

  RedisAddress addr_;
  int timeout_ms_;
  redisContext* ctx_ = nullptr;
};

}  // namespace qc::journal
