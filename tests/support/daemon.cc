#include "tests/support/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>

namespace qc::test {

ConfigFile::ConfigFile(const std::string& json) {
  char path[] = "/tmp/queuecastd-test-XXXXXX.json";
  int fd = mkstemps(path, 5);
  EXPECT_GE(fd, 0);
  if (fd >= 0) {
    EXPECT_EQ(write(fd, json.data(), json.size()), static_cast<ssize_t>(json.size()));
    close(fd);
    path_ = path;
  }
}

ConfigFile::~ConfigFile() {
  if (!path_.empty()) unlink(path_.c_str());
}

Daemon::Daemon(std::vector<std::string> extra)
    : binary_(QC_QUEUECASTD),
      args_{"--config", std::string(QC_SOURCE_DIR) + "/deploy/queuecast.example.json",
            "--listen", "127.0.0.1:0", "--store", "memory:", "--log-level", "warn"} {
  args_.insert(args_.end(), extra.begin(), extra.end());
  start();
  EXPECT_GT(port_, 0) << "queuecastd did not start";
}

Daemon::Daemon(std::string binary, std::vector<std::string> args, std::string log,
               std::vector<std::string> prefix)
    : binary_(std::move(binary)), args_(std::move(args)), log_(std::move(log)),
      prefix_(std::move(prefix)) {}

Daemon::~Daemon() { kill9(); }

bool Daemon::start() {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return false;
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a killed test
    if (::getppid() != parent) ::_exit(127);
    ::dup2(out[1], 1);
    if (!log_.empty()) {
      const int log = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(log, 2);
    }
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

void Daemon::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int st;
  ::waitpid(pid_, &st, 0);
  pid_ = -1;
  port_ = 0;
}

int Daemon::terminate() {
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 1000; ++i) {
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

}  // namespace qc::test
