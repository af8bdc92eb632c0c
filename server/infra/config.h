// queuecastd's configuration: a JSON file (deploy/queuecast.example.json,
// documented in docs/operations.md) overridden by command-line flags.
//
// Secrets never appear in clear: staff, channel, kiosk keys and display
// tokens are given as SHA-256 hex digests (`queuecastd --hash-key SECRET`).
// Keys of the JSON starting with "_" are comments and ignored; any other
// unknown key is an error (a typo must not silently disable a limit).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "server/infra/client_address.h"
#include "server/infra/credentials.h"
#include "server/infra/limits.h"

namespace qc::gw {


// Cluster mode (docs/cluster.md): several nodes share one Redis; the
// partitions are the shards. Empty `redis`: one process (no cluster).
struct ClusterConfig {
  std::string redis;              // "redis://host:port/db" or "sentinel://h1:26379,h2:26379/name[/db]"
  std::string key = "qc";         // prefix of every cluster key
  std::string node_id;            // unique per node (--node-id)
  std::string advertise_address;  // host:port other nodes reach this one at (--advertise-address)
  int partitions = 16;
  int lease_ms = 3000;
  int renew_ms = 1000;
  int forward_wait_ms = 2000;
  // > 0: a commit (and a lease taken) counts only once `WAIT wait_replicas
  // wait_timeout_ms` confirms that many replicas received it; otherwise
  // it fails (503). docs/operations.md "Redis for a cluster".
  int wait_replicas = 0;
  int wait_timeout_ms = 500;
  bool enabled() const { return !redis.empty(); }
};

// `priority` (docs/operations.md "Configuration file"): which reason codes a ticket's
// `priority` may hold, and which booking channels may give one at book /
// hold (staff always may; kiosks and other channels may not).
struct PriorityConfig {
  std::vector<std::string> reasons = {"elderly", "military", "disabled", "pregnant"};
  std::vector<std::string> channels;
  // Whether `code` is one of `reasons`.
  bool allows(std::string_view code) const;
};

struct Config {
  std::string listen = "127.0.0.1:8080";
  std::string store;                 // empty: default (sqlite under data_dir if built, else memory:)
  std::string data_dir = "data";
  std::string web_root;              // empty: no static pages
  std::string public_url;            // empty: http://<listen>
  int shards = 1;
  int io_threads = 1;
  double clock_speed = 1.0;
  Time clock_start = kNoTime;
  std::string log_level = "info";
  bool demo_clinic = false;          // create today's demo sessions at start
  // --demo-commands: print the demo clinic's commands (one JSON body of
  // POST /v1/commands a line) and exit; scripts/run --cluster sends them.
  bool print_demo_commands = false;
  // Open a journal damaged before later commits anyway, dropping them
  // (--truncate-damaged-journal; docs/durability.md "A damaged journal").
  bool truncate_damaged_journal = false;
  std::int64_t snapshot_every = 250'000;
  // Group commits in flight per shard (RuntimeOptions::commit_depth, 1..64;
  // 1 = one at a time): docs/durability.md "Pipelined commits".
  int commit_depth = 3;
  // Whether commands that arrive while a shard waits for a commit form the
  // next group at once (RuntimeOptions::commit_wake).
  bool commit_wake = true;
  // Redis: write through the synchronous client instead of the Asio-driven
  // one (a fallback; same layout, same guarantee).
  bool redis_sync = false;
  // Redis store: acknowledge a commit only once WAIT confirms that this many
  // replicas received it (--redis-wait-replicas; 0: no WAIT), waiting up to
  // redis_wait_timeout_ms (journal::OpenOptions::redis_wait_*).
  int redis_wait_replicas = 0;
  int redis_wait_timeout_ms = 500;
  // The scheduler slice asked for queuecastd's threads, microseconds (0: the
  // kernel's default; the kernel clamps to 100..100,000): a short slice lets
  // a woken network or shard thread run before CPU-bound work sharing its
  // core has used up its own slice (server/infra/sched.h, docs/operations.md
  // "Scheduling"). No privilege needed; the CPU share does not change.
  int sched_slice_us = 100;
  // Views waiting for the network threads above which the shards apply no
  // new group (RuntimeOptions::push_backlog; 0: no bound).
  std::int64_t push_backlog = 1024;
  // SQLite: commit on a thread of its own (store/threaded_journal.h; same
  // guarantee) instead of on the shard thread. Off by default: on the
  // reference machine's two cores it costs more CPU per command than the
  // fsync wait it overlaps (docs/benchmarks.md); a machine with spare cores
  // and a slow disk may gain.
  bool sqlite_commit_thread = false;
  ClusterConfig cluster;
  EngineOptions engine;
  Limits limits;
  std::vector<KeyEntry> keys;        // staff, channels, kiosks, displays
  PriorityConfig priority;
  // Reverse proxies whose X-Forwarded-For / X-Real-IP name the client
  // (addresses or networks; empty: the peer is always the client).
  TrustedProxies trusted_proxies;
};

// Parses a configuration file's JSON text into *config (fields absent from
// the text keep their current values). False with *error on a bad file.
bool parse_config_json(std::string_view text, Config* config, std::string* error);
bool load_config_file(const std::string& path, Config* config, std::string* error);
// Sets one limit by name ("ws_message_bytes=8192"); false if unknown/bad.
bool set_limit(std::string_view assignment, Limits* limits, std::string* error);

// argv -> Config (reads --config first, then applies the other flags).
// Returns 0 to run, 1 on an error (message in *error), 2 when the flags
// asked for something already done (--help, --hash-key): exit 0.
int parse_flags(int argc, char** argv, Config* config, std::string* error);

}  // namespace qc::gw
