// Finding the Redis primary through Sentinel (redis_journal.h:
// resolve_primary(), resolve_redis()).
#include <hiredis/hiredis.h>

#include <memory>

#include "store/redis_connection.h"
#include "store/redis_journal.h"

namespace qc::journal {

bool resolve_primary(RedisAddress* a, int timeout_ms, std::string* error) {
  if (a->sentinels.empty()) return true;
  std::string why;
  const timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  for (const auto& [host, port] : a->sentinels) {
    const std::string where = host + ":" + std::to_string(port);
    std::unique_ptr<redisContext, void (*)(redisContext*)> c(
        redisConnectWithTimeout(host.c_str(), port, tv), &redisFree);
    if (!c || c->err) {
      why += "; " + where + ": " + (c ? c->errstr : "out of memory");
      continue;
    }
    redisSetTimeout(c.get(), tv);
    const char* argv[] = {"SENTINEL", "get-master-addr-by-name", a->master.c_str()};
    RedisReply r(static_cast<redisReply*>(redisCommandArgv(c.get(), 3, argv, nullptr)));
    if (!r) {
      why += "; " + where + ": " + (c->errstr[0] ? c->errstr : "no answer");
      continue;
    }
    std::uint64_t p = 0;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        !parse_decimal(reply_text(r->element[1]), &p) || p == 0 || p > 65535 ||
        reply_text(r->element[0]).empty()) {
      why += "; " + where + ": " +
             (r->type == REDIS_REPLY_ERROR ? std::string(reply_text(r.get()))
                                           : "does not know master \"" + a->master + "\"");
      continue;
    }
    a->host.assign(reply_text(r->element[0]));
    a->port = int(p);
    return true;
  }
  if (error) *error = "no Sentinel named the primary of \"" + a->master + "\"" + why;
  return false;
}

bool resolve_redis(std::string_view url, RedisAddress* out, std::string* error) {
  return parse_redis_url(url, out, error) && resolve_primary(out, 500, error);
}

}  // namespace qc::journal
