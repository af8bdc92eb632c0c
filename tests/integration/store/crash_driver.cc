// The crash test: real processes, SIGKILL at random moments.
//
//   crash_driver --queuecastd PATH --store sqlite|redis|memory [--kill redis]
//                [--kills 20] [--sessions 8] [--seed 1] [--snapshot-every 300]
//
// One worker thread per session drives a clinic morning through queuecastd's
// HTTP API (POST /v1/commands: walk-ins, call-next, complete, missed,
// return, pause/resume), one command at a time per session, each with its
// own Idempotency-Key. Meanwhile the driver SIGKILLs queuecastd (or, with
// --kill redis, redis-server) at a random moment, now and then also while
// it is still recovering, and restarts it, again and again.
//
// With --kill redis, the views are also compared while redis-server is down.
//
// A command whose answer did not arrive (connection reset, 503) is retried
// with the same key until it gets a definite answer: if it had been
// committed before the kill, the server must answer from its idempotency
// keys (which survive the restart) and not apply it twice.
//
// After every restart, once every worker has its answers, each session's
// StaffView from the server must equal, field for field, the StaffView of
// an oracle engine that applied exactly the acknowledged commands (at the
// times their events carry): every acknowledged command's effect is
// present, nothing else is, and the state is a replay of them.
//
// Exit status 0 when every check passed; the last line is a summary.
// --store memory is the checker's own test: it must fail at the first kill.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <google/protobuf/util/message_differencer.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "proto/codec.h"
#include "tests/support/http_client.h"
#include "tests/support/redis_server.h"
#include "tests/support/daemon.h"

namespace {

using namespace qc;
using namespace qc::test;
using Steady = std::chrono::steady_clock;
namespace pb = ::queuecast::v1;

constexpr const char* kAdminKey = "crash-admin";
constexpr const char* kNurseKey = "crash-nurse";

struct Options {
  std::string queuecastd;
  std::string store = "sqlite";
  bool kill_redis = false;
  int kills = 20;
  int sessions = 8;
  std::uint64_t seed = 1;
  int snapshot_every = 300;
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "crash_driver: FAIL: %s\n", what.c_str());
  std::fflush(stderr);
  std::_Exit(1);
}

using Server = qc::test::Daemon;

// -------------------------------------------------------------- workers --

struct Acked {
  Command command;
  Time at = 0;
};

struct Shared {
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<int> port{0};
  bool pause = true;   // workers finish their pending command, then wait
  bool quit = false;
  int idle = 0;        // workers waiting (nothing pending)
  std::vector<Acked> acked;  // in acknowledgement order
  std::uint64_t commands = 0, rejected = 0, retried = 0, replayed = 0;
};

std::string session_id(int s) { return "crash-s" + std::to_string(s); }

// Builds a command JSON for POST /v1/commands (at and actor are set by the server).
std::string to_json(const Command& c) { return codec::command_to_json(c, 0); }

class Worker {
 public:
  Worker(int index, Shared& shared, std::uint64_t seed)
      : index_(index), shared_(shared), rng_(seed * 1000 + std::uint64_t(index)) {}

  void run() {
    HttpClient http(0, 3000);
    int port = 0;
    bool pending = false;
    Command cmd;
    std::string key, body;
    for (;;) {
      if (!pending) {
        std::unique_lock lock(shared_.mu);
        if (shared_.pause || shared_.quit) {
          ++shared_.idle;
          shared_.cv.notify_all();
          shared_.cv.wait(lock, [&] { return !shared_.pause || shared_.quit; });
          --shared_.idle;
          if (shared_.quit) return;
        }
        cmd = next_command();
        key = "w" + std::to_string(index_) + "-" + std::to_string(++n_);
        body = to_json(cmd);
        pending = true;
        ++shared_.commands;
      }
      if (shared_.port.load() != port) {
        port = shared_.port.load();
        http.set_port(port);
      }
      if (port == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        continue;
      }
      HttpResponse r = http.request(
          "POST", "/v1/commands", body,
          std::string("Authorization: Bearer ") + kNurseKey + "\r\nIdempotency-Key: " + key + "\r\n");
      if (r.status == 0 || r.status == 503) {  // unknown outcome: same key again
        ++retries_;
        std::this_thread::sleep_for(std::chrono::milliseconds(3));
        continue;
      }
      pending = false;
      if (r.status == 429 || r.status == 401 || r.status == 403 || r.status == 400)
        die("unexpected " + std::to_string(r.status) + " for " + body + ": " + r.body);
      if (r.status >= 300) {
        std::lock_guard lock(shared_.mu);
        ++shared_.rejected;
        shared_.retried += retries_;
        retries_ = 0;
        continue;
      }
      pb::CommandResponse resp;
      std::string m;
      if (codec::parse_json(r.body, &resp, &m) != Error::kOk)
        die("bad answer to " + body + ": " + r.body + " " + m);
      if (resp.events_size() == 0) {  // a no-op (pause of a paused session): nothing changed
        std::lock_guard lock(shared_.mu);
        shared_.retried += retries_;
        retries_ = 0;
        continue;
      }
      Time at = 0;
      codec::from_proto(resp.events(0).at(), &at, &m);
      if (auto* w = std::get_if<RegisterWalkIn>(&cmd.body)) w->token = resp.token();
      observe(resp);
      std::lock_guard lock(shared_.mu);
      shared_.acked.push_back(Acked{cmd, at});
      if (r.replayed) ++shared_.replayed;
      shared_.retried += retries_;
      retries_ = 0;
    }
  }

 private:
  Command next_command() {
    const std::string sid = session_id(index_);
    Command c;
    c.actor = Actor{ActorKind::kNurse, "n1"};
    const int r = int(rng_() % 100);
    if (r < 35 || waiting_ < 2) {
      RegisterWalkIn w;
      w.session_id = sid;
      w.ticket_id = sid + "-walk" + std::to_string(++walkins_);
      w.patient_ref = "P" + std::to_string(index_) + "-" + std::to_string(walkins_);
      w.patient_name = "Patient " + std::to_string(walkins_);
      c.body = w;
    } else if (r < 65) {
      c.body = CallNext{sid};
    } else if (r < 75 && !called_.empty()) {
      c.body = Complete{called_};
    } else if (r < 83 && !called_.empty()) {
      c.body = MarkMissed{called_};
    } else if (r < 91 && !missed_.empty()) {
      c.body = ReturnTicket{missed_[rng_() % missed_.size()]};
    } else if (r < 95) {
      c.body = Pause{sid};
    } else {
      c.body = Resume{sid};
    }
    return c;
  }

  // Keeps a rough local picture (only to choose sensible commands).
  void observe(const pb::CommandResponse& resp) {
    Event e;
    std::string m;
    for (const auto& pe : resp.events()) {
      if (codec::from_proto(pe, &e, &m) != Error::kOk) continue;
      switch (e.type) {
        case EventType::kWalkInRegistered: ++waiting_; break;
        case EventType::kTicketCalled: called_ = e.ticket_id; --waiting_; break;
        case EventType::kTicketCompleted: if (called_ == e.ticket_id) called_.clear(); break;
        case EventType::kTicketMissed:
          missed_.push_back(e.ticket_id);
          called_.clear();
          break;
        case EventType::kTicketReturned:
          ++waiting_;
          std::erase(missed_, e.ticket_id);
          break;
        default: break;
      }
    }
  }

  int index_;
  Shared& shared_;
  std::mt19937_64 rng_;
  std::uint64_t n_ = 0, retries_ = 0;
  int walkins_ = 0, waiting_ = 0;
  std::string called_;
  std::vector<std::string> missed_;
};

// --------------------------------------------------------------- checks --

class Checker {
 public:
  explicit Checker(int sessions) : sessions_(sessions) {}

  // Applies the acknowledged commands not applied yet, then compares every
  // session's StaffView with the server's.
  void check(Shared& shared, HttpClient& http, int round) {
    {
      std::lock_guard lock(shared.mu);
      for (; applied_ < shared.acked.size(); ++applied_) {
        const Acked& a = shared.acked[applied_];
        const Result r = oracle_.apply(a.command, a.at);
        if (!r.ok())
          die("round " + std::to_string(round) + ": an acknowledged command is rejected by the "
              "oracle (" + std::string(to_string(r.error)) + "): " + to_json(a.command));
      }
    }
    for (int s = 0; s < sessions_; ++s) {
      const std::string sid = session_id(s);
      HttpResponse r;
      for (int attempt = 0; attempt < 200; ++attempt) {
        r = http.request("GET", "/v1/sessions/" + sid, "",
                         std::string("Authorization: Bearer ") + kAdminKey + "\r\n");
        if (r.status == 200) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (r.status != 200) die("GET session " + sid + ": " + std::to_string(r.status) + " " + r.body + r.error);
      pb::StaffView got, want;
      std::string m;
      if (codec::parse_json(r.body, &got, &m) != Error::kOk) die("bad StaffView: " + m);
      auto v = oracle_.staff_view(sid, 0);
      if (!v) die("oracle lacks session " + sid);
      codec::to_proto(*v, &want);
      std::string diff;
      google::protobuf::util::MessageDifferencer d;
      d.ReportDifferencesToString(&diff);
      if (!d.Compare(want, got))
        die("round " + std::to_string(round) + ": session " + sid +
            " differs from the replay of the acknowledged commands:\n" + diff);
      tickets_ = std::max<std::size_t>(tickets_, std::size_t(got.tickets_size()));
    }
  }
  Engine& oracle() { return oracle_; }

 private:
  int sessions_;
  Engine oracle_;
  std::size_t applied_ = 0;
  std::size_t tickets_ = 0;
};

int run(const Options& o) {
  std::mt19937_64 rng(o.seed);
  const std::string dir = make_temp_dir("crash");
  std::unique_ptr<RedisServer> redis;
  std::string url;
  if (o.store == "redis") {
    redis = std::make_unique<RedisServer>(dir);
    std::string e;
    if (!redis->start(&e)) die(e);
    url = redis->url("crash");
  } else if (o.store == "memory") {
    url = "memory:";  // the self-test: a crash loses everything, which must be caught
  } else {
    url = "sqlite://" + dir + "/journal.db";
  }
  {
    std::ofstream cfg(dir + "/config.json");
    cfg << R"({"listen": "127.0.0.1:0", "log_level": "warn", "snapshot_every": )"
        << o.snapshot_every << R"(,
  "limits": {"booking_per_patient_per_minute": 1000000, "booking_per_address_per_minute": 1000000},
  "staff": [
    {"id": "admin", "role": "admin", "key_sha256": "4b63756584048f60de780893fb743ef44b8d8b2c5f58e6cb8f435321a1d74594"},
    {"id": "n1", "role": "nurse", "key_sha256": "ac37a12da67f48b32be00455890eb0262f3ae1b746818281053f1fda8e9a2519"}
  ]})";
  }
  Server server(o.queuecastd,
                {"--config", dir + "/config.json", "--store", url, "--data-dir", dir},
                dir + "/queuecastd.log");
  if (!server.start()) die("queuecastd did not start; see " + dir + "/queuecastd.log");

  Shared shared;
  Checker checker(o.sessions);
  HttpClient admin(server.port(), 5000);
  // The sessions: today, from an hour ago for 14 hours; walk-ins only (no
  // appointment capacity, so no time-driven change ever happens to them).
  const Time now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  const Time start = now / kHour * kHour - kHour;
  for (int s = 0; s < o.sessions; ++s) {
    SessionSpec spec;
    spec.session_id = session_id(s);
    spec.doctor_id = "doc" + std::to_string(s);
    spec.doctor_name = "Dr. " + std::to_string(s);
    spec.department = "crash";
    spec.room = std::to_string(s);
    spec.area = "crash-area";
    spec.start = start;
    spec.end = start + 14 * kHour;
    spec.registration_open = start - kHour;
    spec.slot_minutes = 60;
    spec.appointment_quota.assign(14, 0);
    spec.walkin_quota.assign(14, 100000);
    Command c{Actor{ActorKind::kAdmin, "admin"}, CreateSession{spec}};
    HttpResponse r = admin.request("POST", "/v1/commands", to_json(c),
                                   std::string("Authorization: Bearer ") + kAdminKey + "\r\n");
    if (r.status != 201 && r.status != 200) die("create session: " + std::to_string(r.status) + " " + r.body);
    pb::CommandResponse resp;
    std::string m;
    codec::parse_json(r.body, &resp, &m);
    Time at = 0;
    codec::from_proto(resp.events(0).at(), &at, &m);
    shared.acked.push_back(Acked{c, at});
  }

  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::thread> threads;
  for (int s = 0; s < o.sessions; ++s) {
    workers.push_back(std::make_unique<Worker>(s, shared, o.seed));
    threads.emplace_back([w = workers.back().get()] { w->run(); });
  }
  auto wait_idle = [&] {
    std::unique_lock lock(shared.mu);
    shared.pause = true;
    shared.cv.notify_all();
    if (!shared.cv.wait_for(lock, std::chrono::seconds(60), [&] { return shared.idle == o.sessions; }))
      die("workers did not get answers within 60 s");
  };
  auto go = [&] {
    std::lock_guard lock(shared.mu);
    shared.pause = false;
    shared.cv.notify_all();
  };
  shared.port = server.port();
  wait_idle();
  checker.check(shared, admin, 0);

  const auto t0 = Steady::now();
  int early_kills = 0;
  for (int round = 1; round <= o.kills; ++round) {
    go();
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 300));
    if (o.kill_redis) {
      redis->kill9();
      // While the store is down nothing can be acknowledged, and what the
      // server shows must still be exactly the acknowledged commands (the
      // group whose append failed was rolled back, never half-applied).
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      checker.check(shared, admin, round);
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 200));
      std::string e;
      if (!redis->start(&e)) die("redis-server restart: " + e);
    } else {
      shared.port = 0;
      server.kill9();
      // Now and then kill it again while it recovers and starts.
      while (rng() % 5 == 0) {
        if (!server.start()) die("queuecastd did not restart; see " + dir + "/queuecastd.log");
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 20000));
        server.kill9();
        ++early_kills;
      }
      if (!server.start()) die("queuecastd did not restart; see " + dir + "/queuecastd.log");
      admin.set_port(server.port());
      shared.port = server.port();
    }
    wait_idle();  // every in-flight command got its definite answer
    checker.check(shared, admin, round);
  }
  const double secs = std::chrono::duration<double>(Steady::now() - t0).count();
  {
    std::lock_guard lock(shared.mu);
    shared.quit = true;
    shared.cv.notify_all();
  }
  for (auto& t : threads) t.join();
  server.kill9();
  redis.reset();
  remove_tree(dir);
  std::printf("crash test passed: store %s, %d kills of %s (+%d during recovery) in %.1f s; "
              "%llu commands, %zu acknowledged, %llu rejected by the rules, %llu retries of "
              "unanswered commands, %llu answered from idempotency keys; every restart equal to "
              "the replay of the acknowledged commands\n",
              o.store.c_str(), o.kills, o.kill_redis ? "redis-server" : "queuecastd", early_kills,
              secs, (unsigned long long)shared.commands, shared.acked.size(),
              (unsigned long long)shared.rejected, (unsigned long long)shared.retried,
              (unsigned long long)shared.replayed);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--queuecastd") o.queuecastd = v;
    else if (k == "--store") o.store = v;
    else if (k == "--kill") o.kill_redis = v == "redis";
    else if (k == "--kills") o.kills = std::stoi(v);
    else if (k == "--sessions") o.sessions = std::stoi(v);
    else if (k == "--seed") o.seed = std::stoull(v);
    else if (k == "--snapshot-every") o.snapshot_every = std::stoi(v);
    else {
      std::fprintf(stderr, "crash_driver: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (o.queuecastd.empty() || (o.store != "sqlite" && o.store != "redis" && o.store != "memory") ||
      (o.kill_redis && o.store != "redis")) {
    std::fprintf(stderr,
                 "usage: crash_driver --queuecastd PATH --store sqlite|redis|memory [--kill redis] "
                 "[--kills N] [--sessions N] [--seed N] [--snapshot-every N]\n");
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  return run(o);
}
