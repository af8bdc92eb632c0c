#include "store/redis_cluster.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "store/redis_connection.h"

namespace qc::journal {
namespace {

// KEYS: lease, epoch. ARGV: node, lease_ms.
constexpr const char* kAcquireLua = R"lua(
local cur = redis.call('GET', KEYS[1])
if cur then return {0, cur} end
local e = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. e, 'PX', ARGV[2])
return {1, e}
)lua";

// KEYS: members, then the held leases. ARGV: lease_ms, node, address, then
// "<node> <epoch>" per lease. Returns the (1-based) indexes of the leases
// that are not ours any more.
constexpr const char* kRenewLua = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expires = string.format('%.0f', now + tonumber(ARGV[1]))
local lost = {}
for i = 2, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[i + 2] then redis.call('PEXPIRE', KEYS[i], ARGV[1])
  else lost[#lost + 1] = i - 1 end
end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3] .. ' ' .. expires)
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local expires = tonumber(string.match(all[i + 1], ' (%d+)$'))
  if not expires or expires <= now then redis.call('HDEL', KEYS[1], all[i]) end
end
return lost
)lua";

// KEYS: lease. ARGV: "<node> <epoch>".
constexpr const char* kReleaseLua = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

// KEYS: (lease, epoch) per partition. Returns value ('' = none), PTTL and
// epoch ('0' = never taken) per partition.
constexpr const char* kLeasesLua = R"lua(
local out = {}
for i = 1, #KEYS, 2 do
  out[#out + 1] = redis.call('GET', KEYS[i]) or ''
  out[#out + 1] = redis.call('PTTL', KEYS[i])
  out[#out + 1] = redis.call('GET', KEYS[i + 1]) or '0'
end
return out
)lua";

// KEYS: cluster. ARGV: partitions. Returns what the hash holds (created
// now when absent): {partitions, hash}.
constexpr const char* kInitLua = R"lua(
local p = redis.call('HGET', KEYS[1], 'partitions')
if not p then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('HSET', KEYS[1], 'partitions', ARGV[1], 'hash', 'fnv1a64', 'version', '1',
             'created', string.format('%.0f', now))
  return {ARGV[1], 'fnv1a64'}
end
return {p, redis.call('HGET', KEYS[1], 'hash') or ''}
)lua";

// EVAL of `script`; an error reply fails with "redis EVAL: <its text>".
bool eval(RedisConnection& conn, const char* script, const std::vector<std::string>& keys,
          const std::vector<std::string>& args, RedisReply* out, std::string* error) {
  if (!conn.ensure(error)) return false;
  const std::string nkeys = std::to_string(keys.size());
  std::vector<const char*> argv = {"EVAL", script, nkeys.c_str()};
  std::vector<std::size_t> lens = {4, std::strlen(script), nkeys.size()};
  for (const auto* list : {&keys, &args})
    for (const std::string& a : *list) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
  if (!conn.command(int(argv.size()), argv.data(), lens.data(), out, error)) return false;
  if ((*out)->type == REDIS_REPLY_ERROR) {
    if (error) *error = "redis EVAL: " + std::string(reply_text(out->get()));
    return false;
  }
  return true;
}

// `verb` (HGET, HDEL) of one field of the hash `key`.
bool hash_command(RedisConnection& conn, const char* verb, const std::string& key,
                  const std::string& field, RedisReply* out, std::string* error) {
  if (!conn.ensure(error)) return false;
  const char* argv[] = {verb, key.c_str(), field.c_str()};
  const std::size_t lens[] = {std::strlen(verb), key.size(), field.size()};
  return conn.command(3, argv, lens, out, error);
}

bool bad_reply(const char* what, std::string* error) {
  if (error) *error = std::string("redis ") + what + ": unexpected reply";
  return false;
}

// A lease length Redis takes (PX 0 is refused, PEXPIRE 0 deletes the key).
bool valid_lease(int lease_ms, std::string* error) {
  if (lease_ms > 0) return true;
  if (error) *error = "lease_ms must be > 0, not " + std::to_string(lease_ms);
  return false;
}

bool valid_node(const std::string& node, std::string* error) {
  if (!node.empty() && node.find_first_of(" \t\r\n") == std::string::npos) return true;
  if (error) *error = "node name \"" + node + "\" must be non-empty without spaces";
  return false;
}

// "<node> <epoch>" (a lease's value).
bool parse_lease(std::string_view v, std::string* node, std::uint64_t* epoch) {
  const std::size_t space = v.rfind(' ');
  if (space == std::string_view::npos || space == 0) return false;
  node->assign(v.substr(0, space));
  return parse_decimal(v.substr(space + 1), epoch);
}

}  // namespace

std::string partition_key(const std::string& prefix, int p) {
  return prefix + ":{p" + std::to_string(p) + "}";
}

Fence partition_fence(const std::string& prefix, int p, std::uint64_t epoch) {
  Fence f;
  f.epoch = epoch;
  f.epoch_key = partition_key(prefix, p) + ":epoch";
  f.ids_key = prefix + ":ids";
  f.partition = p;
  f.keys_prefix = prefix + ":ik:";
  return f;
}

RedisCluster::RedisCluster(const RedisAddress& address, std::string prefix, int timeout_ms)
    : conn_(std::make_unique<RedisConnection>(address, timeout_ms)), prefix_(std::move(prefix)) {}
RedisCluster::~RedisCluster() = default;

std::unique_ptr<RedisCluster> RedisCluster::open(const RedisAddress& address, std::string prefix,
                                                 int timeout_ms, std::string* error) {
  auto refuse = [&](std::string why) {
    if (error) *error = std::move(why);
    return nullptr;
  };
  if (address.host.empty()) return refuse("redis address: no host");
  if (address.port <= 0 || address.port > 65535)
    return refuse("redis address: bad port " + std::to_string(address.port));
  if (address.db < 0) return refuse("redis address: bad db " + std::to_string(address.db));
  if (prefix.empty()) return refuse("cluster key prefix is empty");
  if (timeout_ms <= 0) return refuse("redis timeout must be > 0 ms");
  return std::unique_ptr<RedisCluster>(new RedisCluster(address, std::move(prefix), timeout_ms));
}

std::string RedisCluster::lease_key(int p) const { return partition_key(prefix_, p) + ":lease"; }
std::string RedisCluster::epoch_key(int p) const { return partition_key(prefix_, p) + ":epoch"; }

bool RedisCluster::init(int partitions, std::string* error) {
  if (partitions <= 0) {
    if (error) *error = "partitions must be > 0, not " + std::to_string(partitions);
    return false;
  }
  const std::string key = prefix_ + ":cluster";
  RedisReply r;
  if (!eval(*conn_, kInitLua, {key}, {std::to_string(partitions)}, &r, error)) return false;
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) return bad_reply("init", error);
  const std::string_view have = reply_text(r->element[0]);
  const std::string_view hash = reply_text(r->element[1]);
  if (have != std::to_string(partitions)) {
    if (error)
      *error = key + " has " + std::string(have) + " partitions, not " +
               std::to_string(partitions) + " (changing the number of partitions is not supported)";
    return false;
  }
  if (hash != "fnv1a64") {
    if (error) *error = key + " uses hash \"" + std::string(hash) + "\", not \"fnv1a64\"";
    return false;
  }
  return true;
}

bool RedisCluster::acquire(int p, const std::string& node, int lease_ms, bool* acquired,
                           std::uint64_t* epoch, std::string* holder, std::string* error,
                           int wait_replicas, int wait_timeout_ms) {
  *acquired = false;
  if (!valid_node(node, error) || !valid_lease(lease_ms, error)) return false;
  RedisReply r;
  if (!eval(*conn_, kAcquireLua, {lease_key(p), epoch_key(p)}, {node, std::to_string(lease_ms)},
            &r, error))
    return false;
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
      r->element[0]->type != REDIS_REPLY_INTEGER)
    return bad_reply("acquire", error);
  if (r->element[0]->integer == 1) {
    if (r->element[1]->type != REDIS_REPLY_INTEGER || r->element[1]->integer <= 0)
      return bad_reply("acquire", error);
    const auto e = std::uint64_t(r->element[1]->integer);
    if (wait_replicas > 0 && !wait_for_replicas(wait_replicas, wait_timeout_ms, error)) {
      std::string ignored;
      release(p, node, e, &ignored);  // best effort; else it expires
      return false;
    }
    *acquired = true;
    if (epoch) *epoch = e;
    if (holder) *holder = node + " " + std::to_string(e);
    return true;
  }
  if (holder) holder->assign(reply_text(r->element[1]));
  return true;
}

bool RedisCluster::renew(const std::string& node, const std::string& address,
                         const std::vector<std::pair<int, std::uint64_t>>& held, int lease_ms,
                         std::vector<int>* lost, std::string* error) {
  lost->clear();
  if (!valid_node(node, error) || !valid_lease(lease_ms, error)) return false;
  std::vector<std::string> keys = {prefix_ + ":members"};
  std::vector<std::string> args = {std::to_string(lease_ms), node, address};
  for (const auto& [p, e] : held) {
    keys.push_back(lease_key(p));
    args.push_back(node + " " + std::to_string(e));
  }
  RedisReply r;
  if (!eval(*conn_, kRenewLua, keys, args, &r, error)) return false;
  if (r->type != REDIS_REPLY_ARRAY) return bad_reply("renew", error);
  for (std::size_t i = 0; i < r->elements; ++i) {
    const redisReply* x = r->element[i];
    if (x->type != REDIS_REPLY_INTEGER || x->integer < 1 || std::size_t(x->integer) > held.size())
      return bad_reply("renew", error);
    lost->push_back(held[std::size_t(x->integer) - 1].first);
  }
  return true;
}

bool RedisCluster::release(int p, const std::string& node, std::uint64_t epoch,
                           std::string* error, bool* released) {
  if (released) *released = false;
  RedisReply r;
  if (!eval(*conn_, kReleaseLua, {lease_key(p)}, {node + " " + std::to_string(epoch)}, &r, error))
    return false;
  if (r->type != REDIS_REPLY_INTEGER) return bad_reply("release", error);
  if (released) *released = r->integer == 1;
  return true;
}

bool RedisCluster::leases(int partitions, std::vector<Lease>* out, std::string* error) {
  out->clear();
  std::vector<std::string> keys;
  for (int p = 0; p < partitions; ++p) {
    keys.push_back(lease_key(p));
    keys.push_back(epoch_key(p));
  }
  RedisReply r;
  if (!eval(*conn_, kLeasesLua, keys, {}, &r, error)) return false;
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 * std::size_t(std::max(partitions, 0)))
    return bad_reply("leases", error);
  for (std::size_t i = 0; i < r->elements; i += 3) {
    Lease& l = out->emplace_back();
    const std::string_view value = reply_text(r->element[i]);
    if (!value.empty() && !parse_lease(value, &l.node, &l.epoch)) return bad_reply("leases", error);
    if (r->element[i + 1]->type != REDIS_REPLY_INTEGER) return bad_reply("leases", error);
    l.ttl_ms = value.empty() ? -2 : r->element[i + 1]->integer;
    if (!parse_decimal(reply_text(r->element[i + 2]), &l.current_epoch))
      return bad_reply("leases", error);
  }
  return true;
}

bool RedisCluster::members(std::vector<Member>* out, std::string* error,
                           std::int64_t* redis_now_ms) {
  out->clear();
  if (!conn_->ensure(error)) return false;
  const std::string key = prefix_ + ":members";
  const char* time_argv[] = {"TIME"};
  const char* all_argv[] = {"HGETALL", key.c_str()};
  if (!conn_->append(1, time_argv, nullptr, error) || !conn_->append(2, all_argv, nullptr, error))
    return false;
  RedisReply t, all;
  if (!conn_->get_reply(&t, error) || !conn_->get_reply(&all, error)) return false;
  if (t->type != REDIS_REPLY_ARRAY || t->elements != 2 || all->type != REDIS_REPLY_ARRAY)
    return bad_reply("members", error);
  const std::int64_t now =
      std::atoll(t->element[0]->str) * 1000 + std::atoll(t->element[1]->str) / 1000;
  if (redis_now_ms) *redis_now_ms = now;
  for (std::size_t i = 0; i + 1 < all->elements; i += 2) {
    const std::string_view v = reply_text(all->element[i + 1]);
    const std::size_t space = v.rfind(' ');
    std::uint64_t expires = 0;
    if (space == std::string_view::npos || !parse_decimal(v.substr(space + 1), &expires)) continue;
    if (std::int64_t(expires) <= now) continue;
    Member& m = out->emplace_back();
    m.node.assign(reply_text(all->element[i]));
    m.address.assign(v.substr(0, space));
    m.expires_ms = std::int64_t(expires);
  }
  std::sort(out->begin(), out->end(),
            [](const Member& a, const Member& b) { return a.node < b.node; });
  return true;
}

bool RedisCluster::leave(const std::string& node, std::string* error) {
  RedisReply r;
  if (!hash_command(*conn_, "HDEL", prefix_ + ":members", node, &r, error)) return false;
  if (r->type != REDIS_REPLY_INTEGER) return bad_reply("HDEL", error);
  return true;
}

bool RedisCluster::wait_for_replicas(int replicas, int timeout_ms, std::string* error) {
  const int t = std::max(1, std::min(timeout_ms, conn_->timeout_ms() - 100));
  const std::string n = std::to_string(replicas), ts = std::to_string(t);
  const char* argv[] = {"WAIT", n.c_str(), ts.c_str()};
  RedisReply r;
  if (!conn_->ensure(error) || !conn_->command(3, argv, nullptr, &r, error)) return false;
  std::string why;
  if (redis_wait_confirmed(r.get(), replicas, t, &why)) return true;
  if (error) *error = "redis " + conn_->where() + ": acquire: " + why;
  return false;
}

bool RedisCluster::server_id(std::string* run_id, std::string* error) {
  if (!conn_->ensure(error)) return false;
  const char* argv[] = {"INFO", "server"};
  RedisReply r;
  if (!conn_->command(2, argv, nullptr, &r, error)) return false;
  const std::string_view info = reply_text(r.get());
  const std::size_t at = info.find("run_id:");
  if (r->type != REDIS_REPLY_STRING || at == std::string_view::npos)
    return bad_reply("INFO", error);
  const std::size_t end = info.find_first_of("\r\n", at);
  run_id->assign(
      info.substr(at + 7, end == std::string_view::npos ? std::string_view::npos : end - at - 7));
  return true;
}

bool RedisCluster::lookup_id(const std::string& field, bool* found, int* partition,
                             std::string* error) {
  *found = false;
  RedisReply r;
  if (!hash_command(*conn_, "HGET", prefix_ + ":ids", field, &r, error)) return false;
  if (r->type == REDIS_REPLY_NIL) return true;
  std::uint64_t p = 0;
  if (r->type != REDIS_REPLY_STRING || !parse_decimal(reply_text(r.get()), &p) || p > 1'000'000)
    return bad_reply("HGET", error);
  *found = true;
  if (partition) *partition = int(p);
  return true;
}

bool RedisCluster::partitions(int* out, std::string* error) {
  *out = 0;
  RedisReply r;
  if (!hash_command(*conn_, "HGET", prefix_ + ":cluster", "partitions", &r, error)) return false;
  if (r->type == REDIS_REPLY_NIL) return true;
  std::uint64_t n = 0;
  if (r->type != REDIS_REPLY_STRING || !parse_decimal(reply_text(r.get()), &n) || n > 1'000'000)
    return bad_reply("HGET", error);
  *out = int(n);
  return true;
}

bool RedisCluster::last_seqs(int partitions, std::vector<std::uint64_t>* out, std::string* error) {
  out->clear();
  if (!conn_->ensure(error)) return false;
  std::vector<std::string> logs;
  for (int p = 0; p < partitions; ++p) logs.push_back(partition_key(prefix_, p) + ":log");
  for (const std::string& log : logs) {
    const char* argv[] = {"XREVRANGE", log.c_str(), "+", "-", "COUNT", "1"};
    if (!conn_->append(6, argv, nullptr, error)) return false;
  }
  for (int p = 0; p < partitions; ++p) {
    RedisReply r;
    if (!conn_->get_reply(&r, error)) return false;
    if (r->type != REDIS_REPLY_ARRAY) return bad_reply("XREVRANGE", error);
    std::uint64_t seq = 0;
    if (r->elements > 0) {
      // The entry id is "<the last seq of the entry>-<n>" (store/redis_journal.h).
      const redisReply* e = r->element[0];
      if (e->type != REDIS_REPLY_ARRAY || e->elements < 1) return bad_reply("XREVRANGE", error);
      const std::string_view id = reply_text(e->element[0]);
      if (!parse_decimal(id.substr(0, id.find('-')), &seq)) return bad_reply("XREVRANGE", error);
    }
    out->push_back(seq);
  }
  return true;
}

}  // namespace qc::journal
