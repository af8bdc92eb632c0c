// qc::journal::open(url): picks a store from a URL (journal.h).
#include <cstdlib>

#include "store/journal.h"
#include "store/redis_journal.h"
#include "store/sqlite_journal.h"

namespace qc::journal {
namespace {

bool parse_int(std::string_view s, int lo, int hi, int* out) {
  if (s.empty() || s.size() > 9) return false;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool bad(std::string_view url, const char* why, std::string* error) {
  if (error) *error = "journal url '" + std::string(url) + "': " + why;
  return false;
}

// redis://host[:port][/db][?key=name]
bool parse_redis(std::string_view url, RedisAddress* a, std::string* error) {
  std::string_view rest = url.substr(8);
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    std::string_view query = rest.substr(q + 1);
    rest = rest.substr(0, q);
    while (!query.empty()) {
      const auto amp = query.find('&');
      const std::string_view kv = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
      if (kv.substr(0, 4) == "key=" && kv.size() > 4) a->key.assign(kv.substr(4));
      else return bad(url, "unknown query parameter (only key=NAME)", error);
    }
  }
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    const std::string_view db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty() && !parse_int(db, 0, 1 << 20, &a->db)) return bad(url, "bad database number", error);
  }
  if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    if (!parse_int(rest.substr(colon + 1), 1, 65535, &a->port)) return bad(url, "bad port", error);
    rest = rest.substr(0, colon);
  }
  if (!rest.empty()) a->host.assign(rest);
  return true;
}

// sentinel://host[:port][,host[:port]...]/master[/db][?key=name]
bool parse_sentinel(std::string_view url, RedisAddress* a, std::string* error) {
  std::string_view rest = url.substr(11);
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos)
    return bad(url, "no master name (sentinel://HOSTS/NAME)", error);
  std::string_view hosts = rest.substr(0, slash);
  rest = rest.substr(slash + 1);
  std::string_view tail;  // "[/db][?key=name]" for parse_redis()
  const auto end = rest.find_first_of("/?");
  if (end != std::string_view::npos) tail = rest.substr(end), rest = rest.substr(0, end);
  if (rest.empty()) return bad(url, "no master name (sentinel://HOSTS/NAME)", error);
  a->master.assign(rest);
  a->sentinels.clear();
  for (bool more = !hosts.empty(); more;) {
    const auto comma = hosts.find(',');
    std::string_view h = hosts.substr(0, comma);
    more = comma != std::string_view::npos;
    if (more) hosts = hosts.substr(comma + 1);
    int port = 26379;
    if (const auto colon = h.rfind(':'); colon != std::string_view::npos) {
      if (!parse_int(h.substr(colon + 1), 1, 65535, &port))
        return bad(url, "bad Sentinel port", error);
      h = h.substr(0, colon);
    }
    if (h.empty()) return bad(url, "empty Sentinel host", error);
    a->sentinels.emplace_back(std::string(h), port);
  }
  if (a->sentinels.empty()) return bad(url, "no Sentinel", error);
  // "redis://" + tail: the db and the key, parsed as for redis://.
  const std::string host = a->host;
  const int port = a->port;
  if (!parse_redis("redis://" + std::string(tail), a, error)) return false;
  a->host = host;
  a->port = port;
  return true;
}

}  // namespace

bool parse_redis_url(std::string_view url, RedisAddress* address, std::string* error) {
  if (url.substr(0, 11) == "sentinel://") return parse_sentinel(url, address, error);
  if (url.substr(0, 8) != "redis://") return bad(url, "not a redis:// or sentinel:// URL", error);
  return parse_redis(url, address, error);
}

std::unique_ptr<Journal> open(std::string_view url, const OpenOptions& options, OpenReport* report,
                              std::string* error) {
  if (url == "memory:" || url == "memory") {
    if (report) {
      report->store = "memory";
      report->location = "memory:";
      report->notes.push_back("memory store: nothing survives a restart");
    }
    return make_memory_journal();
  }
  if (url.substr(0, 8) == "redis://" || url.substr(0, 11) == "sentinel://") {
    RedisAddress a;
    if (!parse_redis_url(url, &a, error)) return nullptr;
    return open_redis(a, options, report, error);
  }
  std::string path;
  if (url.substr(0, 9) == "sqlite://") {
    path.assign(url.substr(9));  // "sqlite:///abs" -> "/abs", "sqlite://rel" -> "rel"
  } else if (url.find("://") == std::string_view::npos && url.find(':') == std::string_view::npos) {
    path.assign(url);  // a bare path
  } else {
    bad(url, "unknown store (memory:, sqlite://PATH, redis://HOST:PORT/DB, sentinel://HOSTS/NAME)",
        error);
    return nullptr;
  }
  if (path.empty()) {
    bad(url, "empty path", error);
    return nullptr;
  }
  return open_sqlite(path, options, report, error);
}

}  // namespace qc::journal
