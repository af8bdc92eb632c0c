// The real queuecastd for the gateway's process-level tests
// (integration_test.cc, ws_server_test.cc): the example configuration (demo
// keys), an ephemeral port on 127.0.0.1, the in-memory store, plus the
// test's own flags (later flags win). The child dies with the test
// (PR_SET_PDEATHSIG); the destructor kills it.
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace qc::test {

// A configuration file of the test's own, removed with the object: pass
// {"--config", file.path()} after the example's (a later file overrides the
// settings it names) for settings that have no flag.
class ConfigFile {
 public:
  explicit ConfigFile(const std::string& json) {
    char path[] = "/tmp/queuecastd-test-XXXXXX.json";
    int fd = mkstemps(path, 5);
    EXPECT_GE(fd, 0);
    if (fd >= 0) {
      EXPECT_EQ(write(fd, json.data(), json.size()), static_cast<ssize_t>(json.size()));
      close(fd);
      path_ = path;
    }
  }
  ~ConfigFile() {
    if (!path_.empty()) unlink(path_.c_str());
  }
  ConfigFile(const ConfigFile&) = delete;
  ConfigFile& operator=(const ConfigFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class Daemon {
 public:
  explicit Daemon(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {QC_QUEUECASTD, "--config",
                                     std::string(QC_SOURCE_DIR) + "/deploy/queuecast.example.json",
                                     "--listen", "127.0.0.1:0", "--store", "memory:", "--log-level", "warn"};
    args.insert(args.end(), extra.begin(), extra.end());
    int out[2];
    EXPECT_EQ(pipe(out), 0);
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a killed test
      dup2(out[1], 1);
      close(out[0]);
      close(out[1]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    FILE* f = fdopen(out[0], "r");
    char line[256] = {};
    if (fgets(line, sizeof line, f)) {
      std::string s(line);
      auto colon = s.rfind(':');
      if (s.rfind("listening ", 0) == 0 && colon != std::string::npos) port_ = std::stoi(s.substr(colon + 1));
    }
    fclose(f);
    EXPECT_GT(port_, 0) << "queuecastd did not start";
  }
  ~Daemon() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  unsigned short port() const { return static_cast<unsigned short>(port_); }
  // SIGTERM; the exit status (or -1 if it did not exit within 10 s).
  int terminate() {
    kill(pid_, SIGTERM);
    for (int i = 0; i < 1000; ++i) {
      int st = 0;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace qc::test
