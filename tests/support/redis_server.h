// Test support: a real redis-server on a free loopback port, with its data in
// a private temporary directory, `appendonly yes`, `appendfsync always`.
// Stopped (SIGKILL) and the directory removed by the destructor.
//
// Thread-safety: none; one test thread owns it.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace qc::test {

// A fresh empty directory under $TMPDIR (or /tmp); removed by remove_tree().
// memory_fs: under /dev/shm when it exists (fsync is free there: for tests
// that open a database thousands of times, not for durability tests).
std::string make_temp_dir(const std::string& tag, bool memory_fs = false);
void remove_tree(const std::string& dir);
// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();

class RedisServer {
 public:
  explicit RedisServer(std::string dir = "");  // "" = a new temporary directory
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // More command-line arguments for the next start(), e.g. {"--replicaof",
  // "127.0.0.1 6379"} (a replica).
  void set_args(std::vector<std::string> args) { args_ = std::move(args); }
  // Sentinel mode: start() writes <dir>/sentinel.conf with these lines
  // ("sentinel monitor ...") and runs `redis-server <it> --sentinel` on
  // the port (Sentinel rewrites the file as it learns).
  void set_sentinel(std::vector<std::string> lines) { sentinel_ = std::move(lines); }

  // Starts redis-server (on the same port as before after a stop). True once
  // it answers PING.
  bool start(std::string* error);
  // start() as a replica of the server on `primary_port` (set_args()
  // --replicaof; the primary's repl-diskless-sync-delay set to 0 so the
  // first sync starts at once); true once its link to the primary is up
  // and the primary counts it (WAIT 1 answers 1).
  bool start_replica(int primary_port, std::string* error);
  void kill9();  // SIGKILL and reap
  void freeze();  // SIGSTOP: the server hangs (connections stay open)
  void thaw();    // SIGCONT
  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }  // -1 when not running
  const std::string& dir() const { return dir_; }
  std::string url(const std::string& key = "") const;
  // The AOF file that receives new writes (Redis 7 multi-part AOF).
  std::string incr_aof() const;

 private:
  std::string dir_;
  bool own_dir_ = false;
  int port_ = 0;
  pid_t pid_ = -1;
  std::vector<std::string> args_;
  std::vector<std::string> sentinel_;
};

}  // namespace qc::test
