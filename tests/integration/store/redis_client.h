// Test support: a plain hiredis connection to a test redis-server, to look
// at (and change behind a store's back) what the stores write.
#pragma once

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/support/redis_server.h"

namespace qc::test {

struct RedisFree {
  void operator()(redisContext* c) const { redisFree(c); }
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using RedisCtx = std::unique_ptr<redisContext, RedisFree>;
using RedisReplyPtr = std::unique_ptr<redisReply, RedisFree>;

inline RedisCtx redis_connect(const RedisServer& redis) {
  RedisCtx c(redisConnect("127.0.0.1", redis.port()));
  if (c && c->err) c.reset();
  return c;
}

inline RedisReplyPtr redis_run(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return RedisReplyPtr(
      static_cast<redisReply*>(redisCommandArgv(c, int(argv.size()), argv.data(), lens.data())));
}

// A string or status reply's text, an integer's digits, "(nil)" otherwise.
inline std::string redis_text(redisContext* c, const std::vector<std::string>& args) {
  auto r = redis_run(c, args);
  if (!r) return "(no reply)";
  if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
      r->type == REDIS_REPLY_ERROR)
    return std::string(r->str, r->len);
  return "(nil)";
}

}  // namespace qc::test
