#include "store/redis_journal.h"

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "store/redis_connection.h"
#include "proto/varint.h"
#include "store/store_journal.h"

namespace qc::journal {
namespace {

// ---- Packed events: for each event, four length-prefixed strings
// (varint length, bytes): type, ticket_id, session_id, bytes. ----

void put_varint(std::string* out, std::uint64_t v) { varint::put(out, v); }
void put_str(std::string* out, std::string_view s) { varint::put_str(out, s); }
bool get_varint(std::string_view* in, std::uint64_t* v) { return varint::get(in, v); }
bool get_str(std::string_view* in, std::string* s) {
  std::string_view v;
  if (!varint::get_str(in, &v)) return false;
  s->assign(v);
  return true;
}
// A record's "r" field: everything but its events (layout in redis_journal.h).
std::string pack_record(const Record& r) {
  std::string packed;
  put_varint(&packed, std::uint64_t(r.at));
  put_str(&packed, r.session_id);
  put_str(&packed, r.actor);
  put_str(&packed, r.command_name);
  put_str(&packed, r.command);
  put_str(&packed, r.idempotency_key);
  put_str(&packed, r.response);
  // Optional trailing field (absent in records without one, and in records
  // written before fingerprints existed).
  if (!r.request_fingerprint.empty()) put_str(&packed, r.request_fingerprint);
  return packed;
}
bool unpack_record(std::string_view in, Record* rec) {
  std::uint64_t at = 0;
  if (!get_varint(&in, &at) || !get_str(&in, &rec->session_id) || !get_str(&in, &rec->actor) ||
      !get_str(&in, &rec->command_name) || !get_str(&in, &rec->command) ||
      !get_str(&in, &rec->idempotency_key) || !get_str(&in, &rec->response))
    return false;
  rec->request_fingerprint.clear();
  if (!in.empty() && (!get_str(&in, &rec->request_fingerprint) || !in.empty())) return false;
  rec->at = static_cast<Time>(at);
  return true;
}
std::string pack_events(const std::vector<EventRow>& events) {
  std::string out;
  for (const EventRow& e : events) {
    put_str(&out, e.type);
    put_str(&out, e.ticket_id);
    put_str(&out, e.session_id);
    put_str(&out, e.bytes);
  }
  return out;
}
// A group entry's "g" field: for each record, varint seq, then its "r" and
// "ev" fields, each length-prefixed.
std::string pack_group(std::span<const Record> batch) {
  std::string out;
  for (const Record& r : batch) {
    put_varint(&out, r.seq);
    put_str(&out, pack_record(r));
    put_str(&out, pack_events(r.events));
  }
  return out;
}
bool unpack_events(std::string_view in, std::vector<EventRow>* events) {
  events->clear();
  while (!in.empty()) {
    EventRow e;
    if (!get_str(&in, &e.type) || !get_str(&in, &e.ticket_id) || !get_str(&in, &e.session_id) ||
        !get_str(&in, &e.bytes))
      return false;
    events->push_back(std::move(e));
  }
  return true;
}

using Reply = RedisReply;

// "<seq>-<n>" -> seq
bool parse_id(std::string_view id, std::uint64_t* seq) {
  *seq = 0;
  std::size_t i = 0;
  for (; i < id.size() && id[i] >= '0' && id[i] <= '9'; ++i) *seq = *seq * 10 + (id[i] - '0');
  return i > 0 && i < id.size() && id[i] == '-';
}

// KEYS: K:log, K:keys. ARGV[1]: the seq the stream must end at ("0":
// empty); ARGV[2]: ZREMRANGEBYSCORE's bound, or ""; ARGV[3]: the entry id
// (the group's last seq); ARGV[4]: the group (pack_group()); ARGV[5]: the
// number of records; then pairs (score, member) for K:keys. The check
// comes before any write, and a script's writes after its first one are
// not refused for memory (Redis 7), so it lands whole or not at all; Redis
// writes its effects to the AOF as one MULTI/EXEC.
// Pieces the scripts share (macros, so that each script stays one literal).
// The stream must end at ARGV[1]:
#define QC_LUA_STREAM_END_CHECK                                                        \
  "local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)\n"              \
  "local last = '0'\n"                                                                \
  "if top[1] then last = string.match(top[1][1], '^(%d+)-') end\n"                    \
  "if last ~= ARGV[1] then\n"                                                         \
  "  return redis.error_reply('QCGAP the stream ends at ' .. last .. ', not at ' .. " \
  "ARGV[1])\n"                                                                        \
  "end\n"
// The (score, member) pairs from ARGV[first] into K:keys, the trim, the count:
#define QC_LUA_KEYS_AND_TRIM(first)                                                   \
  "for i = " first ", #ARGV, 2000 do\n"                                               \
  "  redis.call('ZADD', KEYS[2], unpack(ARGV, i, math.min(i + 1999, #ARGV)))\n"       \
  "end\n"                                                                             \
  "if ARGV[2] ~= '' then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[2]) end\n" \
  "return tonumber(ARGV[5])\n"
// The epoch key `key` must hold ARGV[arg]:
#define QC_LUA_EPOCH_CHECK(key, arg)                                                   \
  "local epoch = redis.call('GET', " key ")\n"                                        \
  "if epoch ~= " arg " then\n"                                                        \
  "  return redis.error_reply('QCFENCED epoch is ' .. (epoch or 'none') .. ', not ' .. " \
  arg ")\n"                                                                           \
  "end\n"

// KEYS: K:log, K:keys. ARGV[1]: the seq the stream must end at ("0":
// empty); ARGV[2]: ZREMRANGEBYSCORE's bound, or ""; ARGV[3]: the entry id
// (the group's last seq); ARGV[4]: the group (pack_group()); ARGV[5]: the
// number of records; then pairs (score, member) for K:keys. The check
// comes before any write, and a script's writes after its first one are
// not refused for memory (Redis 7), so it lands whole or not at all; Redis
// writes its effects to the AOF as one MULTI/EXEC.
constexpr const char* kCheckedAppendLua =
    "\n" QC_LUA_STREAM_END_CHECK
    "redis.call('XADD', KEYS[1], ARGV[3], 'g', ARGV[4])\n"
    QC_LUA_KEYS_AND_TRIM("6");

// The same with the partition's fence (docs/design/cluster.md section 3).
// KEYS: K:log, K:keys, the epoch key, the ids hash, then one key per keyed
// record ("<prefix>:ik:<key>"). ARGV[1..5] as above;
// ARGV[6]: the epoch; ARGV[7]: the partition; ARGV[8]: n, the number of
// claimed id fields, ARGV[9..8+n]; then the (score, member) pairs. Every
// check (epoch, stream end, ids, keys) before any write.
constexpr const char* kFencedAppendLua =
    "\n" QC_LUA_EPOCH_CHECK("KEYS[3]", "ARGV[6]") QC_LUA_STREAM_END_CHECK
    R"lua(local n = tonumber(ARGV[8])
local new = {}
for i = 9, 8 + n do
  local o = redis.call('HGET', KEYS[4], ARGV[i])
  if not o then
    new[#new + 1] = ARGV[i]
    new[#new + 1] = ARGV[7]
  elseif o ~= ARGV[7] then
    return redis.error_reply('QCID ' .. ARGV[i] .. ' ' .. o)
  end
end
for k = 5, #KEYS do
  local o = redis.call('GET', KEYS[k])
  if o and o ~= ARGV[7] then return redis.error_reply('QCKEY ' .. KEYS[k] .. ' ' .. o) end
end
redis.call('XADD', KEYS[1], ARGV[3], 'g', ARGV[4], 'e', ARGV[6])
for i = 1, #new, 2000 do
  redis.call('HSET', KEYS[4], unpack(new, i, math.min(i + 1999, #new)))
end
for k = 5, #KEYS do redis.call('SET', KEYS[k], ARGV[7], 'PX', 86400000) end
)lua" QC_LUA_KEYS_AND_TRIM("9 + n");

// A fenced snapshot. KEYS: K:snapshot, the epoch key. ARGV: epoch, seq,
// image, taken_at. Replaces the snapshot only with a newer seq (1), else
// keeps it (0).
constexpr const char* kFencedSnapshotLua =
    "\n" QC_LUA_EPOCH_CHECK("KEYS[2]", "ARGV[1]")
    R"lua(local cur = redis.call('HGET', KEYS[1], 'seq')
if cur and tonumber(cur) >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'seq', ARGV[2], 'image', ARGV[3], 'taken_at', ARGV[4])
return 1
)lua";

class RedisJournal final : public StoreJournal {
 public:
  RedisJournal(RedisAddress a, const OpenOptions& o)
      : addr_(std::move(a)), opt_(o), conn_(addr_, o.timeout_ms) {
    if (addr_.key.empty()) addr_.key = o.redis_key;
    log_key_ = addr_.key + ":log";
    snap_key_ = addr_.key + ":snapshot";
    keys_key_ = addr_.key + ":keys";
  }
  ~RedisJournal() override { drop(); }

  bool append(std::span<const Record> batch, std::string* error) override {
    if (opt_.read_only) return invalid("journal opened read-only", error);
    if (!ensure(error)) return false;
    std::uint64_t prev = last_;
    for (const Record& r : batch) {
      if (r.seq <= prev) return invalid("sequence numbers must increase", error);
      prev = r.seq;
    }
    if (batch.empty()) return ok();
    // One round trip: the conditional EVAL of plan_redis_append_checked(),
    // the same command the pipelined writer sends.
    plan_redis_append_checked(addr_.key, batch, last_, ++appends_, &plan_, fence_);
    Reply r;
    if (!command(int(plan_.argv.size()), plan_.argv.data(), plan_.lens.data(), &r, error))
      return false;
    if (r->type == REDIS_REPLY_ERROR) {
      // QCGAP: another writer shares the key (or the stream was changed
      // behind our back); nothing was written. Where it ends now is what
      // the stream says.
      // QCFENCED (kFenced): another node took the partition; QCID
      // (kConflict): an id of the batch is another partition's.
      const Status why = redis_error_status(reply_text(r.get()));
      std::string e = "redis EVAL: " + std::string(reply_text(r.get()));
      std::string ignored;
      sync(&ignored);
      return fail(why, e, error);
    }
    if (r->type != REDIS_REPLY_INTEGER || std::size_t(r->integer) != batch.size())
      return fail(Status::kUnavailable, "redis EVAL: unexpected reply", error);
    if (!wait_replicas(error)) {
      // Landed on the primary, not confirmed by a replica: failed, like a
      // commit whose reply was lost (the stream says where it ends).
      std::string ignored;
      sync(&ignored);
      status_ = Status::kUnavailable;
      return false;
    }
    last_ = prev;
    return ok();
  }

  // Windows of kWindow seqs, kInFlight requests pipelined ahead, so Redis
  // serializes the next window while this thread decodes and the caller
  // applies the current one. Seq gaps just give shorter windows.
  bool scan_records(std::uint64_t after, const std::function<bool(const Record&)>& fn,
                    bool with_events, std::string* error) override {
    if (!ensure(error) || !read_last(error)) return false;
    if (last_ <= after + 20'000) {
      // Short (a resync, the tail after a snapshot): on this thread.
      return fetch(after, with_events, [&](std::vector<Record>& chunk) {
        for (const Record& r : chunk)
          if (!fn(r)) return false;
        return true;
      }, error);
    }
    // Long (recovery without a recent snapshot): a reader thread receives
    // and decodes the replies while this one applies the records, so
    // redis-server, hiredis's parser and the caller overlap. The reader
    // owns the connection until it is joined.
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::vector<Record>> chunks;
    bool done = false, stop = false;
    std::string reader_error;
    bool reader_ok = true;
    std::thread reader([&] {
      reader_ok = fetch(after, with_events, [&](std::vector<Record>& chunk) {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return chunks.size() < 4 || stop; });
        if (stop) return false;
        chunks.push_back(std::move(chunk));
        cv.notify_all();
        return true;
      }, &reader_error);
      std::lock_guard lock(mu);
      done = true;
      cv.notify_all();
    });
    for (;;) {
      std::vector<Record> chunk;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return !chunks.empty() || done; });
        if (chunks.empty()) break;
        chunk = std::move(chunks.front());
        chunks.pop_front();
        cv.notify_all();
      }
      bool more = true;
      for (const Record& r : chunk)
        if (!(more = fn(r))) break;
      if (!more) {
        std::lock_guard lock(mu);
        stop = true;
        cv.notify_all();
        break;
      }
    }
    reader.join();
    if (!reader_ok) {
      if (error) *error = reader_error;
      return false;
    }
    return ok();
  }

  // Reads the records after `after` in windows of kWindow seqs, kInFlight
  // XRANGE requests pipelined ahead; hands each window's records to `sink`
  // (false: stop; the replies in flight are still read, so the connection
  // stays usable). Seq gaps just give shorter windows.
  bool fetch(std::uint64_t after, bool with_events,
             const std::function<bool(std::vector<Record>&)>& sink, std::string* error) {
    constexpr std::uint64_t kWindow = 2000;
    constexpr int kInFlight = 4;
    const std::uint64_t end = last_;
    std::uint64_t next = after + 1;  // first seq not yet requested
    int in_flight = 0;
    auto request = [&]() -> bool {
      const std::string lo = std::to_string(next) + "-0";
      const std::string hi = std::to_string(next + kWindow - 1) + "-0";
      const char* argv[] = {"XRANGE", log_key_.c_str(), lo.c_str(), hi.c_str()};
      if (!conn_.append(4, argv, nullptr, error)) return false;
      next += kWindow;
      ++in_flight;
      return true;
    };
    std::vector<Record> chunk;
    bool stopped = false, corrupt = false;
    std::uint64_t corrupt_after = after;
    while (next <= end && in_flight < kInFlight)
      if (!request()) return unavailable();
    while (in_flight > 0) {
      Reply r;
      if (!get_reply(&r, error)) return false;
      --in_flight;
      if (!stopped && !corrupt && next <= end)
        if (!request()) return unavailable();
      if (stopped || corrupt) continue;  // drain what is in flight
      if (r->type != REDIS_REPLY_ARRAY) {
        corrupt = true;
        continue;
      }
      chunk.clear();
      for (std::size_t i = 0; i < r->elements; ++i) {
        if (!decode(r->element[i], after, with_events, &chunk)) {
          corrupt = true;
          break;
        }
        if (!chunk.empty()) corrupt_after = chunk.back().seq;
      }
      r.reset();
      if (!chunk.empty() && !sink(chunk)) stopped = true;
    }
    if (corrupt) {
      return fail(Status::kUnavailable,
                  "redis " + log_key_ + ": bad reply or corrupt entry after seq " +
                      std::to_string(corrupt_after),
                  error);
    }
    return ok();
  }

  std::uint64_t last_seq() const override { return last_; }
  void set_fence(const Fence& fence) override { fence_ = fence; }

  bool scan_keys(Time since, const std::function<bool(const Record&)>& fn,
                 std::string* error) override {
    if (!ensure(error)) return false;
    const std::string min = std::to_string(since);
    const char* argv[] = {"ZRANGEBYSCORE", keys_key_.c_str(), min.c_str(), "+inf"};
    Reply r;
    if (!command(4, argv, nullptr, &r, error)) return false;
    if (r->type != REDIS_REPLY_ARRAY) return fail(Status::kUnavailable, "redis ZRANGEBYSCORE: bad reply", error);
    // Members: "<seq>/<entry>" (the group entry holding it), or "<seq>"
    // (journals written one entry per record: the entry is the seq).
    std::vector<std::pair<std::uint64_t, std::uint64_t>> keyed;  // (entry, seq)
    for (std::size_t i = 0; i < r->elements; ++i) {
      const std::string m(reply_text(r->element[i]));
      char* end = nullptr;
      const std::uint64_t seq = std::strtoull(m.c_str(), &end, 10);
      const std::uint64_t entry = *end == '/' ? std::strtoull(end + 1, nullptr, 10) : seq;
      keyed.emplace_back(entry, seq);
    }
    r.reset();
    std::sort(keyed.begin(), keyed.end());
    std::vector<std::uint64_t> entries;
    for (const auto& k : keyed)
      if (entries.empty() || entries.back() != k.first) entries.push_back(k.first);
    // Fetch each entry once, pipelined 1000 at a time, and hand over its
    // keyed records in seq order.
    std::vector<Record> recs;
    std::size_t next = 0;  // into keyed
    for (std::size_t i = 0; i < entries.size(); i += 1000) {
      const std::size_t n = std::min<std::size_t>(1000, entries.size() - i);
      for (std::size_t k = 0; k < n; ++k) {
        const std::string id = std::to_string(entries[i + k]) + "-0";
        const char* xargv[] = {"XRANGE", log_key_.c_str(), id.c_str(), id.c_str()};
        if (!conn_.append(4, xargv, nullptr, error)) return unavailable();
      }
      bool corrupt = false, stop = false;
      for (std::size_t k = 0; k < n; ++k) {  // read every reply, even after a stop
        Reply x;
        if (!get_reply(&x, error)) return false;
        const std::uint64_t entry = entries[i + k];
        const std::size_t first = next;
        while (next < keyed.size() && keyed[next].first == entry) ++next;
        if (stop || corrupt || x->type != REDIS_REPLY_ARRAY || x->elements != 1) continue;
        recs.clear();
        if (!decode(x->element[0], 0, /*with_events=*/false, &recs)) {
          corrupt = true;
          continue;
        }
        for (Record& rec : recs) {
          const bool wanted = std::any_of(keyed.begin() + first, keyed.begin() + next,
                                          [&](const auto& kv) { return kv.second == rec.seq; });
          if (!wanted || stop) continue;
          rec.command.clear();
          stop = !fn(rec);
        }
      }
      if (corrupt) return fail(Status::kUnavailable, "redis " + log_key_ + ": corrupt entry", error);
      if (stop) break;
    }
    return ok();
  }

  bool save_snapshot(std::uint64_t seq, std::string_view image, std::string* error) override {
    if (opt_.read_only) return invalid("journal opened read-only", error);
    if (!ensure(error)) return false;
    const std::string s = std::to_string(seq);
    const std::string t = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count());
    Reply r;
    if (fence_.epoch == 0) {
      const char* argv[] = {"HSET", snap_key_.c_str(), "seq", s.c_str(), "image", image.data(),
                            "taken_at", t.c_str()};
      const std::size_t lens[] = {4, snap_key_.size(), 3, s.size(), 5, image.size(), 8, t.size()};
      if (!command(8, argv, lens, &r, error)) return false;
      if (r->type == REDIS_REPLY_ERROR)
        return fail(Status::kUnavailable, "redis HSET: " + std::string(reply_text(r.get())), error);
      return ok();
    }
    // Fenced: the epoch is checked in the same script; an older seq than
    // the stored one leaves the stored snapshot.
    const std::string e = std::to_string(fence_.epoch);
    const char* argv[] = {"EVAL", kFencedSnapshotLua, "2", snap_key_.c_str(),
                          fence_.epoch_key.c_str(), e.c_str(), s.c_str(), image.data(), t.c_str()};
    const std::size_t lens[] = {4, std::strlen(kFencedSnapshotLua), 1, snap_key_.size(),
                                fence_.epoch_key.size(), e.size(), s.size(), image.size(),
                                t.size()};
    if (!command(9, argv, lens, &r, error)) return false;
    if (r->type == REDIS_REPLY_ERROR)
      return fail(redis_error_status(reply_text(r.get())),
                  "redis EVAL: " + std::string(reply_text(r.get())), error);
    return ok();
  }

  bool load_snapshot(std::uint64_t* seq, std::string* image, std::string* error) override {
    *seq = 0;
    image->clear();
    if (!ensure(error)) return false;
    const char* argv[] = {"HMGET", snap_key_.c_str(), "seq", "image"};
    Reply r;
    if (!command(4, argv, nullptr, &r, error)) return false;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2)
      return fail(Status::kUnavailable, "redis HMGET: bad reply", error);
    if (r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING) {
      if (error) error->clear();
      status_ = Status::kOk;
      return false;  // none
    }
    *seq = std::strtoull(r->element[0]->str, nullptr, 10);
    image->assign(r->element[1]->str, r->element[1]->len);
    status_ = Status::kOk;
    return *seq != 0;
  }

  bool sync(std::string* error) override {
    if (!ensure(error)) return false;
    return read_last(error);
  }
  bool probe_write(std::string* error) override {
    if (!ensure(error)) return false;
    const std::string key = addr_.key + ":probe";
    const std::string t = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count());
    const char* argv[] = {"SET", key.c_str(), t.c_str()};
    Reply r;
    if (!command(3, argv, nullptr, &r, error)) return false;
    if (r->type == REDIS_REPLY_ERROR)
      return fail(Status::kUnavailable,
                  "redis " + where() + ": SET " + key + ": " + std::string(reply_text(r.get())),
                  error);
    // With WAIT: writable means the replicas confirm too (and, as WAIT
    // covers every earlier write, that they have whatever the shard
    // rebuilds from now).
    return wait_replicas(error) && read_last(error);
  }
  std::string describe() const override {
    // The server connected last (sentinel://: the primary found then).
    const RedisAddress& a = conn_.address();
    return "redis://" + a.host + ":" + std::to_string(a.port) + "/" + std::to_string(a.db) +
           " key " + addr_.key +
           (a.master.empty() ? "" : " (primary of sentinel master " + a.master + ")");
  }

  // Connects (first use or after a failure). Public for open().
  bool ensure(std::string* error) {
    bool fresh = false;
    if (!conn_.ensure(error, &fresh)) return unavailable();
    // Whatever happened while we were away (an append whose answer was
    // lost may have landed): the stream says where the journal ends.
    return !fresh || read_last(error);
  }

  // Notes on server settings that weaken the guarantee.
  void check_settings(std::vector<std::string>* notes) {
    auto get = [&](const char* name) -> std::string {
      const char* argv[] = {"CONFIG", "GET", name};
      Reply r;
      std::string e;
      if (!command(3, argv, nullptr, &r, &e) || r->type != REDIS_REPLY_ARRAY || r->elements != 2)
        return "?";
      return std::string(reply_text(r->element[1]));
    };
    const std::string aof = get("appendonly"), fsync = get("appendfsync");
    if (aof != "yes")
      notes->push_back("redis appendonly is '" + aof +
                       "': acknowledged commands do not survive a redis-server crash");
    if (fsync != "always")
      notes->push_back("redis appendfsync is '" + fsync +
                       "': up to a second of acknowledged commands may be lost if redis-server dies");
    // Any policy but noeviction may drop the journal's keys when Redis
    // reaches maxmemory (volatile-* only drop keys with a TTL, which ours
    // never have, but a shared instance's policy can change).
    const std::string policy = get("maxmemory-policy");
    if (policy != "noeviction" && policy.rfind("volatile-", 0) != 0)
      notes->push_back("redis maxmemory-policy is '" + policy +
                       "': at maxmemory Redis may evict the journal itself; use noeviction");
  }

 private:
  std::string where() const { return conn_.where(); }

  // OpenOptions::redis_wait_replicas: WAIT for them after a write.
  bool wait_replicas(std::string* error) {
    if (opt_.redis_wait_replicas <= 0) return true;
    const std::string n = std::to_string(opt_.redis_wait_replicas);
    const std::string t = std::to_string(opt_.redis_wait_timeout_ms);
    const char* argv[] = {"WAIT", n.c_str(), t.c_str()};
    Reply r;
    if (!command(3, argv, nullptr, &r, error)) return false;
    std::string why;
    if (redis_wait_confirmed(r.get(), opt_.redis_wait_replicas, opt_.redis_wait_timeout_ms, &why))
      return true;
    return fail(Status::kUnavailable, "redis " + where() + ": " + why, error);
  }

  bool read_last(std::string* error) {
    const char* argv[] = {"XREVRANGE", log_key_.c_str(), "+", "-", "COUNT", "1"};
    Reply r;
    if (!command(6, argv, nullptr, &r, error)) return false;
    if (r->type == REDIS_REPLY_ERROR)
      return fail(Status::kUnavailable, "redis XREVRANGE: " + std::string(reply_text(r.get())), error);
    std::uint64_t seq = 0;
    if (r->type == REDIS_REPLY_ARRAY && r->elements > 0) {
      const redisReply* e = r->element[0];
      if (e->type != REDIS_REPLY_ARRAY || e->elements < 1 || !parse_id(reply_text(e->element[0]), &seq))
        return fail(Status::kUnavailable, "redis " + log_key_ + ": bad stream id", error);
    }
    last_ = seq;
    return ok();
  }

  // Appends the records of one stream entry with seq > `after` to `out`:
  // one for an "r"/"ev" entry, every record of a "g" entry. All or nothing:
  // false (a corrupt entry) leaves `out` as it was.
  bool decode(const redisReply* entry, std::uint64_t after, bool with_events,
              std::vector<Record>* out) {
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2) return false;
    std::uint64_t id = 0;
    if (!parse_id(reply_text(entry->element[0]), &id)) return false;
    const redisReply* f = entry->element[1];
    if (f->type != REDIS_REPLY_ARRAY || f->elements % 2 != 0) return false;
    const std::size_t size = out->size();
    auto corrupt = [&] {
      out->resize(size);
      return false;
    };
    std::string_view r, ev, g;
    bool have_r = false, have_g = false;
    std::uint64_t epoch = 0;  // `e`: the fence epoch of a fenced commit
    for (std::size_t i = 0; i + 1 < f->elements; i += 2) {
      const std::string_view k = reply_text(f->element[i]);
      const std::string_view v = reply_text(f->element[i + 1]);
      if (k == "r") r = v, have_r = true;
      else if (k == "ev") ev = v;
      else if (k == "g") g = v, have_g = true;
      else if (k == "e" && !parse_decimal(v, &epoch)) return false;
    }
    if (have_r == have_g) return false;
    if (have_r) {
      if (id <= after) return true;
      Record& rec = out->emplace_back();
      rec.seq = id;
      if (!unpack_record(r, &rec) || (with_events && !unpack_events(ev, &rec.events)))
        return corrupt();
      return true;
    }
    // A group: increasing seqs, the last one the entry's id.
    std::uint64_t prev = 0;
    while (!g.empty()) {
      std::uint64_t seq = 0, n = 0;
      if (!get_varint(&g, &seq) || seq <= prev || seq > id) return corrupt();
      prev = seq;
      std::string_view rv, evv;
      if (!get_varint(&g, &n) || n > g.size()) return corrupt();
      rv = g.substr(0, n);
      g.remove_prefix(n);
      if (!get_varint(&g, &n) || n > g.size()) return corrupt();
      evv = g.substr(0, n);
      g.remove_prefix(n);
      if (seq <= after) continue;
      Record& rec = out->emplace_back();
      rec.seq = seq;
      rec.epoch = epoch;
      if (!unpack_record(rv, &rec) || (with_events && !unpack_events(evv, &rec.events)))
        return corrupt();
    }
    if (prev != id) return corrupt();
    return true;
  }

  bool get_reply(Reply* out, std::string* error) {
    return conn_.get_reply(out, error) || unavailable();
  }
  bool command(int argc, const char** argv, const std::size_t* lens, Reply* out,
               std::string* error) {
    return conn_.command(argc, argv, lens, out, error) || unavailable();
  }
  // The connection failed (and was dropped; *error says why).
  bool unavailable() {
    status_ = Status::kUnavailable;
    return false;
  }
  void drop() { conn_.drop(); }
  bool fail(Status s, std::string what, std::string* error) {
    status_ = s;
    if (error) *error = std::move(what);
    return false;
  }

  RedisAddress addr_;
  OpenOptions opt_;
  std::string log_key_, snap_key_, keys_key_;
  std::uint64_t appends_ = 0;
  RedisAppend plan_;
  RedisConnection conn_;
  Fence fence_;  // epoch 0: unfenced
  std::uint64_t last_ = 0;
};

}  // namespace

void plan_redis_append_checked(const std::string& key, std::span<const Record> batch,
                               std::uint64_t expected_last, std::uint64_t append_number,
                               RedisAppend* out, const Fence& fence) {
  const bool fenced = fence.epoch != 0;
  auto& x = out->args;
  x.clear();
  x.push_back("EVAL");
  x.push_back(fenced ? kFencedAppendLua : kCheckedAppendLua);
  const std::size_t numkeys_at = x.size();
  x.push_back(fenced ? "4" : "2");
  x.push_back(key + ":log");
  x.push_back(key + ":keys");
  if (fenced) {
    x.push_back(fence.epoch_key);
    x.push_back(fence.ids_key);
    if (!fence.keys_prefix.empty()) {
      // The group's idempotency keys, each once.
      const std::size_t first = x.size();
      for (const Record& r : batch)
        if (!r.idempotency_key.empty()) x.push_back(fence.keys_prefix + r.idempotency_key);
      std::sort(x.begin() + std::ptrdiff_t(first), x.end());
      x.erase(std::unique(x.begin() + std::ptrdiff_t(first), x.end()), x.end());
      x[numkeys_at] = std::to_string(x.size() - numkeys_at - 1);
    }
  }
  x.push_back(std::to_string(expected_last));
  x.push_back(append_number % 4096 == 0 && !batch.empty()
                  ? "(" + std::to_string(batch.back().at - 7 * kDay)
                  : std::string());
  x.push_back(batch.empty() ? std::string("0-0") : std::to_string(batch.back().seq) + "-0");
  x.push_back(pack_group(batch));
  x.push_back(std::to_string(batch.size()));
  if (fenced) {
    x.push_back(std::to_string(fence.epoch));
    x.push_back(std::to_string(fence.partition));
    const std::size_t count_at = x.size();
    x.emplace_back();
    const std::size_t first = x.size();
    for (const Record& r : batch)
      for (const std::string& c : r.claims) x.push_back(c);
    // Each field once (a batch may create a session and claim it again).
    std::sort(x.begin() + std::ptrdiff_t(first), x.end());
    x.erase(std::unique(x.begin() + std::ptrdiff_t(first), x.end()), x.end());
    x[count_at] = std::to_string(x.size() - first);
  }
  const std::string entry = batch.empty() ? std::string() : "/" + std::to_string(batch.back().seq);
  for (const Record& r : batch) {
    if (r.idempotency_key.empty()) continue;
    x.push_back(std::to_string(r.at));
    x.push_back(std::to_string(r.seq) + entry);  // "<seq>/<entry>": scan_keys() reads the entry once
  }
  out->argv.clear();
  out->lens.clear();
  for (const std::string& a : x) {
    out->argv.push_back(a.data());
    out->lens.push_back(a.size());
  }
}

bool redis_wait_confirmed(const redisReply* r, int replicas, int timeout_ms, std::string* error) {
  if (r && r->type == REDIS_REPLY_INTEGER && r->integer >= replicas) return true;
  if (error) {
    if (r && r->type == REDIS_REPLY_ERROR) *error = "WAIT: " + std::string(reply_text(r));
    else if (r && r->type == REDIS_REPLY_INTEGER)
      *error = "WAIT: " + std::to_string(r->integer) + " of " + std::to_string(replicas) +
               " replicas confirmed within " + std::to_string(timeout_ms) +
               " ms (the replica did not confirm)";
    else *error = "WAIT: unexpected reply";
  }
  return false;
}

Status redis_error_status(std::string_view reply) {
  if (reply.starts_with("QCFENCED")) return Status::kFenced;
  if (reply.starts_with("QCID") || reply.starts_with("QCKEY")) return Status::kConflict;
  return Status::kUnavailable;
}

bool parse_conflict(std::string_view error, std::string* field, int* partition) {
  const std::size_t at = error.find("QCID ");
  if (at == std::string_view::npos) return false;
  std::string_view rest = error.substr(at + 5);
  // "<field> <partition>": fields hold no spaces; the partition is the
  // number after the last space.
  const std::size_t space = rest.rfind(' ');
  if (space == std::string_view::npos || space == 0 || space + 1 >= rest.size()) return false;
  std::uint64_t p = 0;
  if (!parse_decimal(rest.substr(space + 1), &p) || p > 1'000'000) return false;
  if (field) field->assign(rest.substr(0, space));
  if (partition) *partition = int(p);
  return true;
}

bool parse_key_conflict(std::string_view error, std::string_view keys_prefix, std::string* key,
                        int* partition) {
  const std::size_t at = error.find("QCKEY ");
  if (at == std::string_view::npos) return false;
  std::string_view rest = error.substr(at + 6);
  // "<keys_prefix><key> <partition>": the key may hold spaces; the
  // partition is the number after the last space.
  const std::size_t space = rest.rfind(' ');
  if (space == std::string_view::npos || space + 1 >= rest.size()) return false;
  std::uint64_t p = 0;
  if (!parse_decimal(rest.substr(space + 1), &p) || p > 1'000'000) return false;
  std::string_view k = rest.substr(0, space);
  if (!k.starts_with(keys_prefix)) return false;
  if (key) key->assign(k.substr(keys_prefix.size()));
  if (partition) *partition = int(p);
  return true;
}

std::unique_ptr<Journal> open_redis(const RedisAddress& address, const OpenOptions& options,
                                    OpenReport* report, std::string* error) {
  auto j = std::make_unique<RedisJournal>(address, options);
  std::string e;
  const bool up = j->ensure(&e);
  if (!up && options.require_connection) {
    if (error) *error = e;
    return nullptr;
  }
  if (report) {
    report->store = "redis";
    report->location = j->describe();
    report->last_seq = j->last_seq();
    if (up) j->check_settings(&report->notes);
    else report->notes.push_back(e);
  }
  return j;
}

}  // namespace qc::journal
