#include "tests/support/redis_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

namespace qc::test {

std::string make_temp_dir(const std::string& tag, bool memory_fs) {
  const char* base = std::getenv("TMPDIR");
  std::string root = base && *base ? base : "/tmp";
  std::error_code ec;
  if (memory_fs && std::filesystem::is_directory("/dev/shm", ec)) root = "/dev/shm";
  std::string tmpl = root + "/qc-" + tag + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) return "";
  return buf.data();
}

void remove_tree(const std::string& dir) {
  std::error_code ec;
  if (!dir.empty()) std::filesystem::remove_all(dir, ec);
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

RedisServer::RedisServer(std::string dir) : dir_(std::move(dir)) {
  if (dir_.empty()) {
    dir_ = make_temp_dir("redis");
    own_dir_ = true;
  }
}

RedisServer::~RedisServer() {
  kill9();
  if (own_dir_) remove_tree(dir_);
}

std::string RedisServer::url(const std::string& key) const {
  return "redis://127.0.0.1:" + std::to_string(port_) + "/0" + (key.empty() ? "" : "?key=" + key);
}

std::string RedisServer::incr_aof() const {
  std::string best;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir_ + "/appendonlydir", ec)) {
    const std::string name = e.path().string();
    if (name.size() > 9 && name.substr(name.size() - 9) == ".incr.aof" && name > best) best = name;
  }
  return best;
}

bool RedisServer::start(std::string* error) {
  if (pid_ > 0) return true;
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (port_ == 0 || attempt > 0) port_ = free_port();
    const std::string port = std::to_string(port_);
    std::vector<std::string> argv{"redis-server"};
    if (!sentinel_.empty()) {
      const std::string conf = dir_ + "/sentinel.conf";
      if (std::FILE* f = std::fopen(conf.c_str(), "w")) {
        for (const std::string& l : sentinel_) std::fprintf(f, "%s\n", l.c_str());
        std::fclose(f);
      }
      argv.insert(argv.end(), {conf, "--sentinel", "--port", port, "--bind", "127.0.0.1", "--dir",
                               dir_, "--daemonize", "no", "--loglevel", "warning"});
    } else {
      argv.insert(argv.end(), {"--port", port, "--bind", "127.0.0.1", "--dir", dir_, "--appendonly",
                               "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no",
                               "--protected-mode", "yes", "--loglevel", "warning"});
    }
    argv.insert(argv.end(), args_.begin(), args_.end());
    std::vector<char*> cargv;
    for (std::string& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      // redis-server dies with its test, even one that ends by _Exit or a crash.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execvp("redis-server", cargv.data());
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      int status;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;  // exited: port taken or bad config; try another port
      }
      timeval tv{0, 200000};
      redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
      if (c && !c->err) {
        auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
        const bool ok = r && r->type == REDIS_REPLY_STATUS;
        if (r) freeReplyObject(r);
        redisFree(c);
        if (ok) return true;
      } else if (c) {
        redisFree(c);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    kill9();
  }
  if (error) *error = "redis-server did not start (is it installed?)";
  return false;
}

bool RedisServer::start_replica(int primary_port, std::string* error) {
  // The primary starts the first sync at once (its default waits 5 s for
  // more replicas to share a diskless transfer).
  {
    timeval tv{1, 0};
    if (redisContext* p = redisConnectWithTimeout("127.0.0.1", primary_port, tv)) {
      if (!p->err)
        if (auto* r =
                static_cast<redisReply*>(redisCommand(p, "CONFIG SET repl-diskless-sync-delay 0")))
          freeReplyObject(r);
      redisFree(p);
    }
  }
  set_args({"--replicaof", "127.0.0.1 " + std::to_string(primary_port)});
  if (!start(error)) return false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    timeval tv{0, 200000};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
    bool up = false;
    if (c && !c->err) {
      auto* r = static_cast<redisReply*>(redisCommand(c, "INFO replication"));
      up = r && r->type == REDIS_REPLY_STRING &&
           std::string(r->str, r->len).find("master_link_status:up") != std::string::npos;
      if (r) freeReplyObject(r);
    }
    if (c) redisFree(c);
    if (up) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  // Linked is not yet counted: the primary counts a replica for WAIT once
  // it has acknowledged (up to a second later). WAIT with nothing written
  // answers how many have.
  while (std::chrono::steady_clock::now() < deadline) {
    timeval tv{1, 0};
    redisContext* p = redisConnectWithTimeout("127.0.0.1", primary_port, tv);
    long long n = 0;
    if (p && !p->err)
      if (auto* r = static_cast<redisReply*>(redisCommand(p, "WAIT 1 200"))) {
        if (r->type == REDIS_REPLY_INTEGER) n = r->integer;
        freeReplyObject(r);
      }
    if (p) redisFree(p);
    if (n >= 1) return true;
  }
  if (error)
    *error = "the replica never linked to the primary on port " + std::to_string(primary_port);
  return false;
}

void RedisServer::freeze() {
  if (pid_ > 0) ::kill(pid_, SIGSTOP);
}
void RedisServer::thaw() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
}

void RedisServer::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace qc::test
