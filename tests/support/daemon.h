// Test support: a real queuecastd child process, the one launcher of the
// tests and benchmarks.
//
//  - Daemon(extra): the gateway's tests' daemon, started at once: the example
//    configuration (demo keys), an ephemeral port on 127.0.0.1, the
//    in-memory store, plus the test's own flags (later flags win); a test
//    failure if it does not start.
//  - Daemon(binary, args, log, prefix): any queuecastd (journal tests, crash
//    driver, benchmarks); start() execs it (stderr appended to `log`, "" =
//    the test's stderr; `prefix` e.g. {"taskset", "-c", "1"}) and returns
//    once it printed "listening HOST:PORT".
//
// The child dies with the test (PR_SET_PDEATHSIG), even one that ends by
// _Exit or a crash; the destructor SIGKILLs and reaps it.
//
// Thread-safety: none; one owner thread.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace qc::test {

// A configuration file of the test's own, removed with the object: pass
// {"--config", file.path()} after the example's (a later file overrides the
// settings it names) for settings that have no flag.
class ConfigFile {
 public:
  explicit ConfigFile(const std::string& json);
  ~ConfigFile();
  ConfigFile(const ConfigFile&) = delete;
  ConfigFile& operator=(const ConfigFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class Daemon {
 public:
  explicit Daemon(std::vector<std::string> extra = {});
  Daemon(std::string binary, std::vector<std::string> args, std::string log,
         std::vector<std::string> prefix = {});
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  bool start();  // false if it exited before listening
  void kill9();  // SIGKILL and reap
  // SIGTERM; the exit status (or -1 if it did not exit within 10 s).
  int terminate();
  unsigned short port() const { return static_cast<unsigned short>(port_); }
  pid_t pid() const { return pid_; }

 private:
  std::string binary_;
  std::vector<std::string> args_;
  std::string log_;
  std::vector<std::string> prefix_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace qc::test
