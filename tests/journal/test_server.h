// Test support: a queuecastd child process. start() execs it with the given
// arguments (stderr appended to a log file) and returns once it printed
// "listening HOST:PORT"; kill9() SIGKILLs and reaps it.
//
// Thread-safety: none; one owner thread.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace qc::journal::testing {

class ServerProcess {
 public:
  ServerProcess(std::string binary, std::vector<std::string> args, std::string log,
                std::vector<std::string> prefix = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool start();  // false if it exited before listening
  void kill9();
  int port() const { return port_; }
  pid_t pid() const { return pid_; }

 private:
  std::string binary_;
  std::vector<std::string> args_;
  std::string log_;
  std::vector<std::string> prefix_;  // e.g. {"taskset", "-c", "1"}
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace qc::journal::testing
