#include "server/infra/config.h"

#include <boost/json.hpp>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "server/infra/clock.h"
#include "server/infra/sha256.h"

namespace qc::gw {
namespace json = boost::json;

namespace {

bool get_string(const json::value& v, std::string* out) {
  if (!v.is_string()) return false;
  *out = std::string(v.as_string());
  return true;
}
bool get_number(const json::value& v, double* out) {
  if (v.is_int64()) *out = static_cast<double>(v.as_int64());
  else if (v.is_uint64()) *out = static_cast<double>(v.as_uint64());
  else if (v.is_double()) *out = v.as_double();
  else return false;
  return true;
}
// A non-negative integer that fits T (every integer setting is a count, a
// size or a duration). Fractions, negatives and out-of-range values are
// refused rather than converted.
template <typename T>
bool get_int(const json::value& v, T* out) {
  constexpr double kLimit = 1e15;  // exact in a double, far below INT64_MAX
  const double max = std::min(kLimit, static_cast<double>(std::numeric_limits<T>::max()));
  double d;
  if (!get_number(v, &d) || !(d >= 0 && d <= max) || d != std::floor(d)) return false;
  *out = static_cast<T>(d);
  return true;
}
// A whole number of days or minutes, at most `max_units`.
// *out is left unchanged when the value is refused.
bool get_units(const json::value& v, std::int64_t max_units, std::int64_t* out) {
  std::int64_t n = 0;
  if (!get_int(v, &n) || n > max_units) return false;
  *out = n;
  return true;
}
bool get_strings(const json::value& v, std::vector<std::string>* out) {
  if (!v.is_array()) return false;
  out->clear();
  for (const auto& e : v.as_array()) {
    if (!e.is_string()) return false;
    out->emplace_back(e.as_string());
  }
  return true;
}

bool set_limit_value(std::string_view name, const json::value& v, Limits* l) {
  if (name == "http_body_bytes") return get_int(v, &l->http_body_bytes);
  if (name == "ws_message_bytes") return get_int(v, &l->ws_message_bytes);
  if (name == "batch_commands") return get_int(v, &l->batch_commands);
  if (name == "handshake_timeout_ms") return get_int(v, &l->handshake_timeout_ms);
  if (name == "idle_timeout_ms") return get_int(v, &l->idle_timeout_ms);
  if (name == "http_idle_timeout_ms") return get_int(v, &l->http_idle_timeout_ms);
  if (name == "ws_messages_per_second") return get_number(v, &l->ws_messages_per_second);
  if (name == "ws_message_burst") return get_number(v, &l->ws_message_burst);
  if (name == "connections_per_address") return get_int(v, &l->connections_per_address);
  if (name == "send_backlog_bytes") return get_int(v, &l->send_backlog_bytes);
  if (name == "slow_timeout_ms") return get_int(v, &l->slow_timeout_ms);
  if (name == "send_buffer_bytes") return get_int(v, &l->send_buffer_bytes);
  if (name == "booking_per_patient_per_minute") return get_number(v, &l->booking_per_patient_per_minute);
  if (name == "booking_per_address_per_minute") return get_number(v, &l->booking_per_address_per_minute);
  if (name == "requests_per_address_per_second") return get_number(v, &l->requests_per_address_per_second);
  if (name == "max_subscriptions_per_connection") return get_int(v, &l->max_subscriptions_per_connection);
  if (name == "allowed_origins") return get_strings(v, &l->allowed_origins);
  return false;
}

bool parse_keys(const json::value& v, Role role, Config* c, std::string* error) {
  if (!v.is_array()) {
    *error = "expected an array of keys";
    return false;
  }
  for (const auto& e : v.as_array()) {
    if (!e.is_object()) {
      *error = "a key entry must be an object";
      return false;
    }
    KeyEntry k;
    k.role = role;
    for (const auto& [name, val] : e.as_object()) {
      bool ok = true;
      if (name.starts_with("_")) continue;
      if (name == "id" || name == "area") ok = get_string(val, &k.id);
      else if (name == "key_sha256" || name == "token_sha256") ok = get_string(val, &k.sha256);
      else if (name == "role" && role != Role::kDisplay && role != Role::kChannel && role != Role::kKiosk) {
        std::string r;
        ok = get_string(val, &r);
        if (r == "admin") k.role = Role::kAdmin;
        else if (r == "nurse") k.role = Role::kNurse;
        else ok = false;
      } else if (name == "departments") ok = get_strings(val, &k.departments);
      else if (name == "sessions") ok = get_strings(val, &k.sessions);
      else {
        *error = "unknown key field \"" + std::string(name) + "\"";
        return false;
      }
      if (!ok) {
        *error = "bad value for key field \"" + std::string(name) + "\"";
        return false;
      }
    }
    if (k.id.empty() || k.sha256.size() != 64) {
      *error = "a key entry needs an id (or area) and a 64-hex-digit key_sha256/token_sha256";
      return false;
    }
    c->keys.push_back(std::move(k));
  }
  return true;
}

// One secret is one credential: a hash listed twice (for one role or two)
// would silently take the last entry's rights. Entries of one actor (role
// and id: several secrets while a key is rotated) must have one scope: the
// journal records the actor, and idempotency keys belong to it, so two
// scopes under one name could not be told apart.
bool check_keys(const std::vector<KeyEntry>& keys, std::string* error) {
  std::map<std::string, const KeyEntry*> by_hash;
  std::map<std::pair<Role, std::string>, const KeyEntry*> by_actor;
  for (const KeyEntry& k : keys) {
    std::string h = k.sha256;
    for (char& ch : h) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (!by_hash.emplace(h, &k).second) {
      *error = "two key entries have the same key_sha256/token_sha256 (\"" + k.id + "\"): one secret, one credential";
      return false;
    }
    auto [it, fresh] = by_actor.emplace(std::make_pair(k.role, k.id), &k);
    if (!fresh && (it->second->departments != k.departments || it->second->sessions != k.sessions)) {
      *error = "key entries of " + std::string(to_string(k.role)) + " \"" + k.id +
               "\" have different departments/sessions: give each scope its own id";
      return false;
    }
  }
  return true;
}

// `priority`: {"reasons": [...], "channels": [...]}.
bool parse_priority(const json::value& v, PriorityConfig* p, std::string* error) {
  if (!v.is_object()) {
    *error = "\"priority\" must be an object with \"reasons\" and/or \"channels\"";
    return false;
  }
  for (const auto& [name, val] : v.as_object()) {
    if (name.starts_with("_")) continue;
    std::vector<std::string>* list = name == "reasons"    ? &p->reasons
                                     : name == "channels" ? &p->channels
                                                          : nullptr;
    if (!list) {
      *error = "unknown priority option \"" + std::string(name) + "\"";
      return false;
    }
    if (!get_strings(val, list)) {
      *error = "priority." + std::string(name) + " must be a list of strings";
      return false;
    }
  }
  for (const std::string& r : p->reasons) {
    if (!valid_priority_code(r)) {
      *error = "priority.reasons: \"" + r + "\" is not a reason code (1-32 of a-z, 0-9, _)";
      return false;
    }
  }
  return true;
}

// The channel keys named by priority.channels may give a priority; a name
// that is no configured channel is a typo, refused.
bool mark_priority_channels(Config* c, std::string* error) {
  for (KeyEntry& k : c->keys)
    if (k.role == Role::kChannel)
      k.sets_priority = std::find(c->priority.channels.begin(), c->priority.channels.end(), k.id) !=
                        c->priority.channels.end();
  for (const std::string& ch : c->priority.channels) {
    const bool known = std::any_of(c->keys.begin(), c->keys.end(), [&](const KeyEntry& k) {
      return k.role == Role::kChannel && k.id == ch;
    });
    if (!known) {
      *error = "priority.channels names \"" + ch + "\", which is not a channel of \"channels\"";
      return false;
    }
  }
  return true;
}

}  // namespace

bool PriorityConfig::allows(std::string_view code) const {
  return std::find(reasons.begin(), reasons.end(), code) != reasons.end();
}

bool parse_config_json(std::string_view text, Config* c, std::string* error) {
  boost::system::error_code ec;
  json::value root = json::parse(text, ec);
  if (ec || !root.is_object()) {
    *error = "configuration is not a JSON object" + (ec ? ": " + ec.message() : std::string());
    return false;
  }
  for (const auto& [key, v] : root.as_object()) {
    std::string_view k = key;
    bool ok = true;
    if (k.starts_with("_")) continue;
    if (k == "listen") ok = get_string(v, &c->listen);
    else if (k == "store") ok = get_string(v, &c->store);
    else if (k == "data_dir") ok = get_string(v, &c->data_dir);
    else if (k == "web_root") ok = get_string(v, &c->web_root);
    else if (k == "public_url") ok = get_string(v, &c->public_url);
    else if (k == "shards") ok = get_int(v, &c->shards) && c->shards >= 1 && c->shards <= 64;
    else if (k == "io_threads") ok = get_int(v, &c->io_threads) && c->io_threads >= 1 && c->io_threads <= 64;
    else if (k == "clock_speed") ok = get_number(v, &c->clock_speed) && c->clock_speed > 0;
    else if (k == "clock_start") {
      std::string s;
      ok = get_string(v, &s) && parse_rfc3339(s, &c->clock_start);
    } else if (k == "log_level") ok = get_string(v, &c->log_level);
    else if (k == "demo_clinic") ok = v.is_bool() && (c->demo_clinic = v.as_bool(), true);
    else if (k == "snapshot_every") ok = get_int(v, &c->snapshot_every);
    else if (k == "commit_depth") ok = get_int(v, &c->commit_depth) && c->commit_depth >= 1 && c->commit_depth <= 64;
    else if (k == "commit_wake") ok = v.is_bool() && (c->commit_wake = v.as_bool(), true);
    else if (k == "redis_sync") ok = v.is_bool() && (c->redis_sync = v.as_bool(), true);
    else if (k == "redis_wait_replicas") ok = get_int(v, &c->redis_wait_replicas) && c->redis_wait_replicas >= 0 && c->redis_wait_replicas <= 16;
    else if (k == "redis_wait_timeout_ms") ok = get_int(v, &c->redis_wait_timeout_ms) && c->redis_wait_timeout_ms >= 1 && c->redis_wait_timeout_ms <= 60'000;
    else if (k == "push_backlog") ok = get_int(v, &c->push_backlog) && c->push_backlog >= 0 && c->push_backlog <= 100'000'000;
    else if (k == "sched_slice_us") ok = get_int(v, &c->sched_slice_us) && c->sched_slice_us >= 0 && c->sched_slice_us <= 100000;
    else if (k == "sqlite_commit_thread") ok = v.is_bool() && (c->sqlite_commit_thread = v.as_bool(), true);
    else if (k == "trusted_proxies") {
      std::vector<std::string> list;
      ok = get_strings(v, &list);
      if (ok && !c->trusted_proxies.parse(list, error)) return false;
    }
    else if (k == "engine") {
      if (!v.is_object()) ok = false;
      else
        for (const auto& [ek, ev] : v.as_object()) {
          if (ek.starts_with("_")) continue;
          std::int64_t minutes = 0;
          if (ek == "max_active_bookings") ok = get_int(ev, &c->engine.max_active_bookings);
          else if (ek == "noshow_threshold") ok = get_int(ev, &c->engine.noshow_threshold);
          else if (ek == "noshow_window_days") ok = get_units(ev, 36500, &minutes), c->engine.noshow_window = minutes * kDay;
          else if (ek == "ban_days") ok = get_units(ev, 36500, &minutes), c->engine.ban = minutes * kDay;
          else if (ek == "default_hold_ttl_minutes") ok = get_units(ev, 525600, &minutes), c->engine.default_hold_ttl = minutes * kMinute;
          else if (ek == "auto_close_grace_minutes") ok = get_units(ev, 525600, &minutes), c->engine.auto_close_grace = minutes * kMinute;
          else if (ek == "display_next_count") ok = get_int(ev, &c->engine.display_next_count);
          else if (ek == "display_names") ok = ev.is_bool() && (c->engine.display_names = ev.as_bool(), true);
          else {
            *error = "unknown engine option \"" + std::string(ek) + "\"";
            return false;
          }
          if (!ok) break;
        }
    } else if (k == "cluster") {
      if (!v.is_object()) ok = false;
      else
        for (const auto& [ck, cv] : v.as_object()) {
          if (ck.starts_with("_")) continue;
          ClusterConfig& cc = c->cluster;
          if (ck == "redis")
            ok = get_string(cv, &cc.redis) &&
                 (cc.redis.rfind("redis://", 0) == 0 || cc.redis.rfind("sentinel://", 0) == 0);
          else if (ck == "key") ok = get_string(cv, &cc.key) && !cc.key.empty();
          else if (ck == "node_id") ok = get_string(cv, &cc.node_id);
          else if (ck == "advertise_address") ok = get_string(cv, &cc.advertise_address);
          else if (ck == "partitions") ok = get_int(cv, &cc.partitions) && cc.partitions >= 1 && cc.partitions <= 1024;
          else if (ck == "lease_ms") ok = get_int(cv, &cc.lease_ms) && cc.lease_ms >= 500 && cc.lease_ms <= 600'000;
          else if (ck == "renew_ms") ok = get_int(cv, &cc.renew_ms) && cc.renew_ms >= 50;
          else if (ck == "forward_wait_ms") ok = get_int(cv, &cc.forward_wait_ms) && cc.forward_wait_ms >= 0 && cc.forward_wait_ms <= 60'000;
          else if (ck == "wait_replicas") ok = get_int(cv, &cc.wait_replicas) && cc.wait_replicas >= 0 && cc.wait_replicas <= 16;
          else if (ck == "wait_timeout_ms") ok = get_int(cv, &cc.wait_timeout_ms) && cc.wait_timeout_ms >= 1 && cc.wait_timeout_ms <= 60'000;
          else {
            *error = "unknown cluster option \"" + std::string(ck) + "\"";
            return false;
          }
          if (!ok) {
            *error = "bad value for cluster option \"" + std::string(ck) + "\"";
            return false;
          }
        }
    } else if (k == "limits") {
      if (!v.is_object()) ok = false;
      else
        for (const auto& [lk, lv] : v.as_object()) {
          if (lk.starts_with("_")) continue;
          if (!set_limit_value(lk, lv, &c->limits)) {
            *error = "unknown limit or bad value: \"" + std::string(lk) + "\"";
            return false;
          }
        }
    } else if (k == "staff") {
      if (!parse_keys(v, Role::kNurse, c, error)) return false;
    } else if (k == "channels") {
      if (!parse_keys(v, Role::kChannel, c, error)) return false;
    } else if (k == "kiosks") {
      if (!parse_keys(v, Role::kKiosk, c, error)) return false;
    } else if (k == "displays") {
      if (!parse_keys(v, Role::kDisplay, c, error)) return false;
    } else if (k == "priority") {
      if (!parse_priority(v, &c->priority, error)) return false;
    } else {
      *error = "unknown configuration key \"" + std::string(k) + "\"";
      return false;
    }
    if (!ok) {
      *error = "bad value for \"" + std::string(k) + "\"";
      return false;
    }
  }
  return check_keys(c->keys, error) && mark_priority_channels(c, error);
}

bool load_config_file(const std::string& path, Config* c, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "cannot read " + path;
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  if (!parse_config_json(ss.str(), c, error)) {
    *error = path + ": " + *error;
    return false;
  }
  return true;
}

bool set_limit(std::string_view a, Limits* l, std::string* error) {
  auto eq = a.find('=');
  if (eq == std::string_view::npos) {
    *error = "--limit wants name=value";
    return false;
  }
  std::string_view name = a.substr(0, eq), val = a.substr(eq + 1);
  boost::system::error_code ec;
  json::value v = json::parse(val, ec);
  if (ec) v = json::string(val);
  if (!set_limit_value(name, v, l)) {
    *error = "unknown limit or bad value: " + std::string(a);
    return false;
  }
  return true;
}

namespace {
const char kUsage[] =
    "usage: queuecastd [options]\n"
    "  --config FILE          JSON configuration (deploy/queuecast.example.json)\n"
    "  --listen HOST:PORT     address to serve (default 127.0.0.1:8080; port 0 = any free port)\n"
    "  --store URL            memory: | sqlite:///path.db | redis://host:port/db\n"
    "  --data-dir DIR         where the default SQLite store lives (default data)\n"
    "  --web-root DIR         static pages (web)\n"
    "  --public-url URL       the address patients reach (QR codes)\n"
    "  --shards N             engine shards (default 1)\n"
    "  --io-threads N         network threads (default 1)\n"
    "  --commit-depth N       group commits in flight per shard, 1..64 (default 3)\n"
    "  --commit-wake 0|1      new commands end a wait for a commit (default 1)\n"
    "  --redis-sync           Redis: write through the synchronous client\n"
    "  --redis-wait-replicas N  Redis: acknowledge a commit once WAIT confirms N replicas have it (default 0)\n"
    "  --push-backlog N       views waiting for the network above which shards hold new commands (default 1024; 0: none)\n"
    "  --sched-slice-us N     scheduler slice of the threads, 0..100000 us (default 100; 0: the kernel's)\n"
    "  --sqlite-commit-thread SQLite: commit on a thread of its own, not the shard's\n"
    "  --clock-speed X        virtual clock: simulated ms per real ms (default 1)\n"
    "  --clock-start RFC3339  virtual clock start (default: now)\n"
    "  --limit NAME=VALUE     override one limit (see docs/operations.md)\n"
    "  --demo-clinic          create today's demo sessions at start\n"
    "  --demo-commands        print them as JSON lines (bodies of POST /v1/commands), and exit\n"
    "  --cluster-redis URL    cluster mode: the Redis shared by the nodes (docs/cluster.md)\n"
    "  --node-id ID           cluster mode: this node's id (unique, no spaces)\n"
    "  --advertise-address HOST:PORT  cluster mode: where other nodes reach this one\n"
    "  --truncate-damaged-journal  open a journal damaged before later commits, dropping\n"
    "                         everything from the damage on (docs/durability.md)\n"
    "  --log-level LEVEL      debug | info | warn | error\n"
    "  --hash-key SECRET      print the SHA-256 of SECRET for the configuration, and exit\n";
}  // namespace

int parse_flags(int argc, char** argv, Config* c, std::string* error) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--config") {
      if (i + 1 >= argc) {
        *error = "--config needs a file";
        return 1;
      }
      if (!load_config_file(argv[i + 1], c, error)) return 1;
    }
  }
  for (int i = 1; i < argc; ++i) {
    std::string_view f = argv[i];
    auto need = [&](std::string* out) {
      if (i + 1 >= argc) {
        *error = std::string(f) + " needs a value";
        return false;
      }
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (f == "--help" || f == "-h") {
      std::fputs(kUsage, stdout);
      return 2;
    } else if (f == "--config") {
      ++i;
    } else if (f == "--listen") {
      if (!need(&c->listen)) return 1;
    } else if (f == "--store") {
      if (!need(&c->store)) return 1;
    } else if (f == "--data-dir") {
      if (!need(&c->data_dir)) return 1;
    } else if (f == "--web-root") {
      if (!need(&c->web_root)) return 1;
    } else if (f == "--public-url") {
      if (!need(&c->public_url)) return 1;
    } else if (f == "--shards" || f == "--io-threads" || f == "--commit-depth") {
      if (!need(&v)) return 1;
      int n = std::atoi(v.c_str());
      if (n < 1 || n > 64) {
        *error = std::string(f) + " wants 1..64";
        return 1;
      }
      (f == "--shards" ? c->shards : f == "--io-threads" ? c->io_threads : c->commit_depth) = n;
    } else if (f == "--commit-wake") {
      if (!need(&v)) return 1;
      if (v != "0" && v != "1") {
        *error = "--commit-wake wants 0 or 1";
        return 1;
      }
      c->commit_wake = v == "1";
    } else if (f == "--redis-sync") {
      c->redis_sync = true;
    } else if (f == "--redis-wait-replicas") {
      if (!need(&v)) return 1;
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 0 || n > 16) {
        *error = "--redis-wait-replicas wants 0..16";
        return 1;
      }
      c->redis_wait_replicas = static_cast<int>(n);
    } else if (f == "--sched-slice-us") {
      if (!need(&v)) return 1;
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 0 || n > 100000) {
        *error = "--sched-slice-us wants 0..100000";
        return 1;
      }
      c->sched_slice_us = static_cast<int>(n);
    } else if (f == "--push-backlog") {
      if (!need(&v)) return 1;
      char* end = nullptr;
      const long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 0 || n > 100'000'000) {
        *error = "--push-backlog wants 0..100000000";
        return 1;
      }
      c->push_backlog = n;
    } else if (f == "--sqlite-commit-thread") {
      c->sqlite_commit_thread = true;
    } else if (f == "--clock-speed") {
      if (!need(&v)) return 1;
      c->clock_speed = std::atof(v.c_str());
      if (!(c->clock_speed > 0)) {
        *error = "--clock-speed wants a positive number";
        return 1;
      }
    } else if (f == "--clock-start") {
      if (!need(&v)) return 1;
      if (!parse_rfc3339(v, &c->clock_start)) {
        *error = "--clock-start wants an RFC 3339 time (2026-11-23T07:00:00+08:00)";
        return 1;
      }
    } else if (f == "--limit") {
      if (!need(&v) || !set_limit(v, &c->limits, error)) return 1;
    } else if (f == "--demo-clinic") {
      c->demo_clinic = true;
    } else if (f == "--demo-commands") {
      c->print_demo_commands = true;
    } else if (f == "--cluster-redis") {
      if (!need(&c->cluster.redis)) return 1;
    } else if (f == "--node-id") {
      if (!need(&c->cluster.node_id)) return 1;
    } else if (f == "--advertise-address") {
      if (!need(&c->cluster.advertise_address)) return 1;
    } else if (f == "--truncate-damaged-journal") {
      c->truncate_damaged_journal = true;
    } else if (f == "--log-level") {
      if (!need(&c->log_level)) return 1;
    } else if (f == "--hash-key") {
      if (!need(&v)) return 1;
      std::printf("%s\n", sha256_hex(v).c_str());
      return 2;
    } else {
      *error = "unknown option " + std::string(f) + " (see --help)";
      return 1;
    }
  }
  if (c->cluster.enabled()) {
    if (c->cluster.node_id.empty() || c->cluster.node_id.find_first_of(" \t") != std::string::npos) {
      *error = "cluster mode needs --node-id (no spaces)";
      return 1;
    }
    if (c->cluster.renew_ms * 2 > c->cluster.lease_ms) {
      *error = "cluster renew_ms must be at most half of lease_ms";
      return 1;
    }
  }
  return 0;
}

}  // namespace qc::gw
