#include "tests/journal/test_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

namespace qc::journal::testing {

ServerProcess::ServerProcess(std::string binary, std::vector<std::string> args, std::string log,
                             std::vector<std::string> prefix)
    : binary_(std::move(binary)), args_(std::move(args)), log_(std::move(log)),
      prefix_(std::move(prefix)) {}

ServerProcess::~ServerProcess() { kill9(); }

bool ServerProcess::start() {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return false;
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    // The server dies with its test, even one that ends by _Exit or a crash.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(out[1], 1);
    const int log = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(log, 2);
    std::vector<char*> argv;
    for (auto& a : prefix_) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(const_cast<char*>(binary_.c_str()));
    for (auto& a : args_) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  std::string line;
  char c;
  port_ = 0;
  while (::read(out[0], &c, 1) == 1) {
    if (c != '\n') {
      line += c;
      continue;
    }
    if (line.rfind("listening ", 0) == 0) {
      port_ = std::atoi(line.c_str() + line.rfind(':') + 1);
      break;
    }
    line.clear();
  }
  ::close(out[0]);  // later writes to stdout fail quietly
  if (port_ <= 0) kill9();
  return port_ > 0;
}

void ServerProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int st;
  ::waitpid(pid_, &st, 0);
  pid_ = -1;
  port_ = 0;
}

}  // namespace qc::journal::testing
