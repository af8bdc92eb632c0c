// journal_bench: what the durable stores cost.
//
//   journal_bench commit   --store sqlite|redis|URL [--clients 64] [--seconds 5]
//   journal_bench recovery --store sqlite|redis|URL [--events 1000000] [--snapshot-every 0]
//                          [--batch 32]
//   journal_bench e2e --queuecastd PATH --store sqlite|redis|redis-replica [--clients 64] [--seconds 5]
//   journal_bench e2e --floor PATH_TO_floor_sender [--clients 64] [--seconds 5] [--proto]
//   (e2e: --qc-arg FLAG, repeatable, passes FLAG to queuecastd, e.g. --qc-arg --sqlite-commit-thread)
//                     [--server-cpu 1] [--proto] [--epoll] [--io-threads 1] [--shards 1]
//                     [--snapshot-every N] [--commit-depth N] [--waiting 200]
//                     [--batch-size N] [--keyed]
//   journal_bench cluster --queuecastd PATH [--nodes 3] [--entry owner|other|spread]
//                         [--areas 1] [--partitions 16] [--clients 64] [--seconds 5]
//
// commit: `clients` threads each submit one command and wait for its
// acknowledgement, again and again (closed loop); one commit thread takes
// everything queued (group commit, as the gateway's shard does), appends it
// in one Journal::append() and acknowledges it. Reports acknowledged
// commands/s and the ack latency percentiles. The records are real: clinic
// commands applied by an engine, encoded with the codec (prepared first).
//
// recovery: writes a journal holding at least `events` events (clinic
// mornings), `batch` records per append (the size of the end-to-end
// benchmark's group commits; a Redis stream entry holds one), then times recover() into a fresh engine: the snapshot (if
// --snapshot-every made any) plus the replay of every command after it.
//
// e2e: a real queuecastd and `clients` closed-loop HTTP clients, each with
// its own keep-alive connection and session (one thread each, or with
// --epoll all of them driven by one thread); reports acknowledged/s, the
// ack latency percentiles, and the CPU per command of queuecastd,
// redis-server and the clients. --commit-depth N sets queuecastd's
// `commit_depth` (commits in flight per shard) and --snapshot-every its
// `snapshot_every` (default: queuecastd's own). --batch-size N: each client
// POSTs batches of N commands (the same mix) to /v1/commands:batch instead;
// the rate counts acknowledged commands (2xx items), the latency is the
// batch's (threads only, not with --epoll). --keyed: every command carries
// its own Idempotency-Key (threads, single commands).
//
// e2e --floor: the same clients and requests against bench/floor_sender,
// which answers each POST /v1/commands with a fixed 256-byte body and does
// nothing else: what the kernel alone costs per request/response pair here
// (its CPU per request, user and kernel), the floor of queuecastd's.
//
// cluster: one private redis-server and `nodes` queuecastd cluster nodes on
// loopback (docs/design/cluster.md); `clients` closed-loop threads, each
// with its own session (client c's in area c % `areas`: --areas 1 puts
// every session in one partition) sending the e2e mix, every command with
// its own Idempotency-Key, to: the owner of its session's partition
// (--entry owner), another node (other: every command forwarded), or node
// c % nodes (spread, as a balancer would). Reports acknowledged commands/s,
// the ack latency and the CPU per acknowledged command of each node and of
// redis-server.
//
// "sqlite" uses a fresh file under $TMPDIR; "redis" starts a private
// redis-server (appendonly yes, appendfsync always) on a free port;
// "redis-replica" the same plus a replica of it (same settings, also on
// this machine), e.g. for `--qc-arg --redis-wait-replicas --qc-arg 1`.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <random>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "store/checkpoint.h"
#include "store/journal.h"
#include "store/recovery.h"
#include "tests/support/clinic.h"
#include "tests/support/http_client.h"
#include "tests/support/redis_server.h"
#include "tests/support/daemon.h"
#include "proto/codec.h"

#include <google/protobuf/io/coded_stream.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>
#include <sstream>
#include <iterator>
#include <fstream>
#include <atomic>

using namespace qc;
using namespace qc::journal;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  std::string mode, store = "sqlite", queuecastd;
  int server_cpu = -1;
  int io_threads = 1;
  int shards = 1;
  bool proto = false;
  bool epoll = false;  // e2e: one client thread drives every connection
  int clients = 64;
  double seconds = 5;
  std::uint64_t events = 1'000'000;
  std::uint64_t snapshot_every = 0;
  bool snapshot_every_set = false;
  int commit_depth = 0;  // 0: queuecastd's own
  int waiting = 200;  // e2e: the queue each client's session settles at (0: grows)
  std::size_t batch = 32;  // recovery: records per append (a group commit's size)
  std::string floor;  // e2e: the request/response floor (floor_sender) instead of queuecastd
  std::vector<std::string> qc_args;  // e2e: more queuecastd flags (--qc-arg, repeatable)
  int batch_size = 0;      // e2e: commands per POST /v1/commands:batch (0: POST /v1/commands)
  bool keyed = false;      // e2e: every command with its own Idempotency-Key (threads only)
  int nodes = 3;            // cluster: queuecastd nodes
  std::string entry = "owner";  // cluster: owner | other | spread
  int areas = 1;            // cluster: waiting areas the clients' sessions are in
  int partitions = 16;      // cluster: P
};

// The e2e mix: a client registers a walk-in 7 times in 10 while fewer than
// `steady` patients wait in its session, and calls the next one 7 times in
// 10 once `steady` or more do, so the queue settles at about `steady` (a
// clinic in the middle of its morning). `steady` 0: always 7 in 10
// registrations, the queue grows for the whole run (the mix of the figures
// before the steady one; the engine's O(queue) insert then costs more and
// more, so the rate depends on the run's length).
bool next_is_walk_in(std::mt19937& rng, int* waiting, int steady) {
  const bool few = steady == 0 || *waiting < steady;
  const bool walk = (rng() % 10 < 7) == few;
  if (walk) ++*waiting;
  else if (*waiting > 0) --*waiting;
  return walk;
}

// Records of applied clinic commands, seq 1..n.
std::vector<Record> prepare(std::size_t n, std::uint64_t* events = nullptr,
                            std::uint64_t min_events = 0) {
  std::vector<Record> out;
  test::Clinic clinic(42, 20, 80);
  Engine engine;
  std::vector<Event> ev;
  std::uint64_t nev = 0;
  while (out.size() < n || nev < min_events) {
    Time at;
    Command c = clinic.next(&at);
    ev.clear();
    if (engine.apply_into(c, at, &ev) != Error::kOk || ev.empty()) continue;
    nev += ev.size();
    out.push_back(test::make_record(out.size() + 1, c, at, ev,
                                       out.size() % 4 == 0 ? "k" + std::to_string(out.size()) : ""));
  }
  if (events) *events = nev;
  return out;
}

struct Store {
  std::string dir;
  std::unique_ptr<test::RedisServer> redis;
  std::unique_ptr<test::RedisServer> replica;  // "redis-replica"
  std::string url;
  ~Store() {
    replica.reset();
    redis.reset();
    test::remove_tree(dir);
  }
};

bool make_store(const std::string& kind, Store* s) {
  if (kind == "sqlite") {
    s->dir = test::make_temp_dir("bench");
    s->url = "sqlite://" + s->dir + "/journal.db";
  } else if (kind == "redis" || kind == "redis-replica") {
    s->redis = std::make_unique<test::RedisServer>();
    std::string error;
    if (!s->redis->start(&error)) {
      std::fprintf(stderr, "%s\n", error.c_str());
      return false;
    }
    s->url = s->redis->url("bench");
    if (kind == "redis-replica") {
      // A replica on this machine, linked before the run starts (for
      // queuecastd's --redis-wait-replicas 1).
      s->replica = std::make_unique<test::RedisServer>();
      if (!s->replica->start_replica(s->redis->port(), &error)) {
        std::fprintf(stderr, "replica: %s\n", error.c_str());
        return false;
      }
    }
  } else {
    s->url = kind;
  }
  return true;
}

// The store's journal, or null after printing why it did not open.
std::unique_ptr<Journal> open_journal(const Store& s) {
  std::string error;
  auto j = open(s.url, &error);
  if (!j) std::fprintf(stderr, "%s\n", error.c_str());
  return j;
}

// The end of the benchmarks' queuecastd configuration: limits that never
// refuse the load, and the keys crash-admin and crash-nurse.
constexpr const char kBenchLimitsAndKeys[] = R"(
  "limits": {"booking_per_patient_per_minute": 100000000, "booking_per_address_per_minute": 100000000,
             "connections_per_address": 100000},
  "staff": [
    {"id": "admin", "role": "admin", "key_sha256": "4b63756584048f60de780893fb743ef44b8d8b2c5f58e6cb8f435321a1d74594"},
    {"id": "n1", "role": "nurse", "key_sha256": "ac37a12da67f48b32be00455890eb0262f3ae1b746818281053f1fda8e9a2519"}
  ]})";

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

double pct(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const std::size_t i = std::min(v.size() - 1, std::size_t(p / 100.0 * double(v.size())));
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(i), v.end());
  return v[i];
}

int commit_bench(const Args& a) {
  const std::size_t n = 400'000;
  std::fprintf(stderr, "preparing %zu records...\n", n);
  std::vector<Record> records = prepare(n);
  Store store;
  if (!make_store(a.store, &store)) return 1;
  auto j = open_journal(store);
  if (!j) return 1;
  std::string error;
  struct Pending {
    std::size_t index;
    bool done = false;
  };
  std::mutex mu;
  std::condition_variable cv_commit, cv_ack;
  std::deque<Pending*> queue;
  bool stop = false;
  std::size_t next = 0;
  std::uint64_t commits = 0, failures = 0;
  std::vector<std::vector<double>> lat(std::size_t(a.clients));

  double append_cpu = 0;  // CPU seconds of the commit thread inside append()
  std::thread committer([&] {
    std::vector<Pending*> group;
    std::vector<Record> batch;
    std::uint64_t seq = 0;
    auto thread_cpu = [] {
      timespec ts{};
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
      return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
    };
    for (;;) {
      {
        std::unique_lock lock(mu);
        cv_commit.wait(lock, [&] { return stop || !queue.empty(); });
        if (stop && queue.empty()) return;
        group.assign(queue.begin(), queue.end());
        queue.clear();
      }
      batch.clear();
      for (Pending* p : group) {
        batch.push_back(records[p->index % records.size()]);
        batch.back().seq = ++seq;
      }
      const double c0 = thread_cpu();
      if (!j->append(batch, &error)) ++failures;
      append_cpu += thread_cpu() - c0;
      ++commits;
      {
        std::lock_guard lock(mu);
        for (Pending* p : group) p->done = true;
      }
      cv_ack.notify_all();
    }
  });
  std::atomic<bool> running{true};
  std::vector<std::thread> clients;
  const auto t0 = Clock::now();
  for (int c = 0; c < a.clients; ++c) {
    clients.emplace_back([&, c] {
      Pending p{};
      while (running.load(std::memory_order_relaxed)) {
        const auto s = Clock::now();
        {
          std::unique_lock lock(mu);
          p.index = next++;
          p.done = false;
          queue.push_back(&p);
          if (queue.size() == 1) cv_commit.notify_one();
          cv_ack.wait(lock, [&] { return p.done; });
        }
        lat[std::size_t(c)].push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - s).count());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(a.seconds));
  running = false;
  for (auto& t : clients) t.join();
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  {
    std::lock_guard lock(mu);
    stop = true;
  }
  cv_commit.notify_one();
  committer.join();
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  const double acked = double(all.size());
  std::printf("commit store=%s clients=%d seconds=%.1f: %.0f acknowledged commands/s, "
              "%.1f commands per commit, ack latency p50 %.2f ms p99 %.2f ms p99.9 %.2f ms, "
              "%llu failed commits; append() CPU %.1f us per command\n",
              a.store.c_str(), a.clients, secs, acked / secs, acked / double(commits),
              pct(all, 50), pct(all, 99), pct(all, 99.9), (unsigned long long)failures,
              append_cpu * 1e6 / std::max(1.0, acked));
  return failures ? 1 : 0;
}

int recovery_bench(const Args& a) {
  std::uint64_t nev = 0;
  std::fprintf(stderr, "preparing %llu events...\n", (unsigned long long)a.events);
  std::vector<Record> records = prepare(0, &nev, a.events);
  Store store;
  if (!make_store(a.store, &store)) return 1;
  std::string error;
  {
    auto j = open_journal(store);
    if (!j) return 1;
    const auto w0 = Clock::now();
    Engine live;
    Checkpointer cp(CheckpointOptions{.every_records = a.snapshot_every, .every_ms = 0});
    if (a.snapshot_every) cp.reset(live, 0);
    Command c;
    Time at;
    std::string m;
    for (std::size_t i = 0; i < records.size(); i += a.batch) {
      const std::size_t n = std::min<std::size_t>(a.batch, records.size() - i);
      std::span<const Record> b(records.data() + i, n);
      if (!j->append(b, &error)) {
        std::fprintf(stderr, "append: %s\n", error.c_str());
        return 1;
      }
      if (a.snapshot_every) {
        for (const Record& r : b) {
          decode_command(r, &c, &at, &m);
          live.apply(c, at);
        }
        cp.committed(b, live, *j);
      }
    }
    std::fprintf(stderr, "wrote %zu records, %llu events in %.1f s\n", records.size(),
                 (unsigned long long)nev,
                 std::chrono::duration<double>(Clock::now() - w0).count());
  }
  records.clear();
  records.shrink_to_fit();
  const auto t0 = Clock::now();
  const double c0 = cpu_seconds();
  auto j = open(store.url, &error);
  Engine engine;
  RecoveryReport report;
  if (!j || !recover(*j, &engine, RecoveryOptions{}, &report, &error)) {
    std::fprintf(stderr, "recover: %s\n", error.c_str());
    return 1;
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu = cpu_seconds() - c0;
  std::printf("recovery store=%s: %llu events (%llu commands, %zu per append) in the journal, snapshot at %llu; "
              "recovered in %.2f s, %.2f s CPU of this process (open + snapshot %.2f s, replay %.2f s: %llu commands, "
              "%.0f events/s)%s\n",
              a.store.c_str(), (unsigned long long)nev, (unsigned long long)report.last_seq, a.batch,
              (unsigned long long)report.snapshot_seq, secs, cpu, report.snapshot_seconds,
              report.replay_seconds, (unsigned long long)report.records_replayed,
              double(report.events_replayed) / std::max(1e-9, report.replay_seconds),
              report.clean() ? "" : " NOT CLEAN");
  return report.clean() ? 0 : 1;
}

}  // namespace

// user+system CPU seconds of a process so far (from /proc).
// The disk under `dir`: the median time of a 12 KiB append + fdatasync()
// (about one group commit's AOF write), over 200, in ms. Printed with the
// e2e figures: on a shared VM it varies from hour to hour, and every
// fsync'ed commit waits for it.
double disk_sync_ms(const std::string& dir) {
  const std::string path = dir + "/disk-probe";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  std::string block(12 * 1024, 'x');
  std::vector<double> ms;
  for (int i = 0; i < 200; ++i) {
    const auto t = Clock::now();
    if (::write(fd, block.data(), block.size()) != ssize_t(block.size()) || ::fdatasync(fd) != 0) break;
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
  }
  ::close(fd);
  ::unlink(path.c_str());
  if (ms.empty()) return -1;
  std::nth_element(ms.begin(), ms.begin() + std::ptrdiff_t(ms.size() / 2), ms.end());
  return ms[ms.size() / 2];
}

// user (`kernel` false) or kernel CPU seconds of a process so far (from /proc).
double process_cpu_part(pid_t pid, bool kernel) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i)
    if (i == (kernel ? 15 : 14)) ticks += std::stod(field);
  return ticks / double(sysconf(_SC_CLK_TCK));
}

double process_cpu(pid_t pid) { return process_cpu_part(pid, false) + process_cpu_part(pid, true); }

// The e2e clients in ONE thread: `n` keep-alive connections, each with one
// request outstanding at a time (closed loop, as many concurrent clients as
// connections), driven by epoll. The same requests and the same latency
// bookkeeping as the thread-per-client loop, without a context switch per
// answer on the clients' core (which redis-server shares).
static void epoll_clients(int port, int n, const std::vector<std::string>& walks,
                   const std::vector<std::string>& calls, const std::string& auth,
                   const std::string& content_type, int steady, std::atomic<int>& phase,
                   std::vector<std::vector<double>>& lat, std::vector<std::uint64_t>& failed) {
  struct C {
    int fd = -1;
    std::mt19937 rng;
    std::string in;
    Clock::time_point t;
    int phase = 0;
    int waiting = 0;
  };
  std::vector<C> cs(static_cast<std::size_t>(n));
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  auto request = [&](int i) {
    C& c = cs[std::size_t(i)];
    const std::string& body =
        next_is_walk_in(c.rng, &c.waiting, steady) ? walks[std::size_t(i)] : calls[std::size_t(i)];
    std::string req = "POST /v1/commands HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth + content_type +
                      "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    c.phase = phase.load(std::memory_order_relaxed);
    c.t = Clock::now();
    std::size_t sent = 0;
    while (sent < req.size()) {
      ssize_t w = ::send(c.fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
      if (w <= 0) return false;
      sent += std::size_t(w);
    }
    return true;
  };
  int open = 0;
  for (int i = 0; i < n; ++i) {
    C& c = cs[std::size_t(i)];
    c.rng.seed(unsigned(i));
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(std::uint16_t(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      std::perror("connect");
      continue;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = std::uint32_t(i);
    epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    if (request(i)) ++open;
  }
  std::vector<epoll_event> evs(static_cast<std::size_t>(n));
  char buf[65536];
  while (open > 0 && phase.load(std::memory_order_relaxed) < 2) {
    const int k = epoll_wait(ep, evs.data(), n, 100);
    for (int e = 0; e < k; ++e) {
      const int i = int(evs[std::size_t(e)].data.u32);
      C& c = cs[std::size_t(i)];
      const ssize_t r = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
      if (r <= 0) {
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
        --open;
        continue;
      }
      c.in.append(buf, std::size_t(r));
      const auto head_end = c.in.find("\r\n\r\n");
      if (head_end == std::string::npos) continue;
      std::size_t length = 0;
      for (std::size_t p = c.in.find("\r\n"); p < head_end; p = c.in.find("\r\n", p + 2)) {
        if (strncasecmp(c.in.c_str() + p + 2, "content-length:", 15) == 0) {
          length = std::strtoull(c.in.c_str() + p + 17, nullptr, 10);
          break;
        }
      }
      if (c.in.size() < head_end + 4 + length) continue;
      const int status = c.in.size() > 12 ? std::atoi(c.in.c_str() + 9) : 0;
      c.in.erase(0, head_end + 4 + length);
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - c.t).count();
      if (c.phase == 1) {
        if (status >= 200 && status < 300) lat[std::size_t(i)].push_back(ms);
        else ++failed[std::size_t(i)];
      }
      if (!request(i)) {
        epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
        --open;
      }
    }
  }
  for (C& c : cs)
    if (c.fd >= 0) ::close(c.fd);
  ::close(ep);
}

// What a client of session `sid` sends: a walk-in and a call, as binary
// queuecast.v1.Command (--proto) or JSON.
struct ClientBodies {
  std::string walk, call;
};
ClientBodies client_bodies(const std::string& sid, bool proto) {
  if (!proto)
    return {R"({"registerWalkIn":{"sessionId":")" + sid + R"(","patientRef":"P","patientName":"N"}})",
            R"({"callNext":{"sessionId":")" + sid + R"("}})"};
  codec::pb::Command pc;
  RegisterWalkIn w;
  w.session_id = sid;
  w.patient_ref = "P";
  w.patient_name = "N";
  codec::to_proto(Command{Actor{}, w}, 0, &pc);
  ClientBodies b;
  b.walk = pc.SerializeAsString();
  pc.Clear();
  codec::to_proto(Command{Actor{}, CallNext{sid}}, 0, &pc);
  b.call = pc.SerializeAsString();
  return b;
}

// One closed-loop client of the e2e mix: POST /v1/commands on `http` until
// `phase` is 2; while it is 1, the latency of each 2xx answer goes to *lat
// and the other answers are counted in *failed. `key_prefix` non-empty:
// every command carries its own Idempotency-Key, key_prefix + a counter.
void closed_loop(const ClientBodies& bodies, const std::string& headers,
                 const std::string& key_prefix, int steady, std::mt19937& rng,
                 test::HttpClient& http, const std::atomic<int>& phase, std::vector<double>* lat,
                 std::uint64_t* failed) {
  int waiting = 0;
  int p;
  for (std::uint64_t i = 0; (p = phase.load(std::memory_order_relaxed)) < 2; ++i) {
    const std::string& body = next_is_walk_in(rng, &waiting, steady) ? bodies.walk : bodies.call;
    const auto t = Clock::now();
    auto r = http.request("POST", "/v1/commands", body,
                          key_prefix.empty() ? headers
                                             : headers + "Idempotency-Key: " + key_prefix +
                                                   std::to_string(i) + "\r\n");
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t).count();
    if (p == 1) {
      if (r.status >= 200 && r.status < 300)
        lat->push_back(ms);
      else
        ++*failed;
    }
  }
}

// The request/response floor: floor_sender answering the e2e clients'
// requests (one epoll thread of clients, as e2e --epoll).
int floor_bench(const Args& a) {
  qc::test::Daemon server(a.floor, {"--port", "0", "--max-seconds", std::to_string(int(a.seconds) + 30)},
                          "/dev/null");
  if (!server.start()) {
    std::fprintf(stderr, "%s did not start\n", a.floor.c_str());
    return 1;
  }
  std::vector<std::string> walks, calls;
  for (int c = 0; c < a.clients; ++c) {
    ClientBodies b = client_bodies("b" + std::to_string(c), a.proto);
    walks.push_back(std::move(b.walk));
    calls.push_back(std::move(b.call));
  }
  const std::string type =
      a.proto ? "Content-Type: application/x-protobuf\r\nAccept: application/x-protobuf\r\n"
              : "Content-Type: application/json\r\n";
  std::atomic<int> phase{0};
  std::vector<std::vector<double>> lat(std::size_t(a.clients));
  std::vector<std::uint64_t> failed(std::size_t(a.clients));
  std::thread clients([&] {
    epoll_clients(server.port(), a.clients, walks, calls, "Authorization: Bearer crash-nurse\r\n", type,
                  a.waiting, phase, lat, failed);
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  phase = 1;
  const auto t0 = Clock::now();
  const double cpu0 = process_cpu(server.pid()), user0 = process_cpu_part(server.pid(), false);
  const double self0 = process_cpu(getpid());
  std::this_thread::sleep_for(std::chrono::duration<double>(a.seconds));
  phase = 2;
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu = process_cpu(server.pid()) - cpu0, user = process_cpu_part(server.pid(), false) - user0;
  const double self_cpu = process_cpu(getpid()) - self0;
  clients.join();
  server.kill9();
  std::vector<double> all;
  std::uint64_t nfail = 0;
  for (int c = 0; c < a.clients; ++c) {
    all.insert(all.end(), lat[std::size_t(c)].begin(), lat[std::size_t(c)].end());
    nfail += failed[std::size_t(c)];
  }
  const double n = std::max<double>(1, double(all.size()));
  std::printf("e2e floor clients=%d seconds=%.1f %s: %.0f answered requests/s, latency p50 %.2f ms "
              "p99 %.2f ms, %llu non-2xx; floor CPU %.1f us per request (user %.1f us + kernel %.1f us); "
              "clients (epoll, one thread) %.1f us\n",
              a.clients, secs, a.proto ? "protobuf" : "JSON", double(all.size()) / secs, pct(all, 50),
              pct(all, 99), (unsigned long long)nfail, cpu * 1e6 / n, user * 1e6 / n, (cpu - user) * 1e6 / n,
              self_cpu * 1e6 / n);
  return 0;
}

void put_varint(std::uint64_t v, std::string* out) {
  for (; v >= 0x80; v >>= 7) out->push_back(char(v | 0x80));
  out->push_back(char(v));
}

// A CommandBatch of `n` commands of a client (the e2e mix), JSON or binary
// (written around the prepared Command bytes: the clients share the cores).
std::string batch_body(const ClientBodies& b, int n, bool proto, std::mt19937& rng, int* waiting,
                       int steady) {
  std::string out;
  if (proto) {
    for (int i = 0; i < n; ++i) {
      const std::string& cmd = next_is_walk_in(rng, waiting, steady) ? b.walk : b.call;
      std::string len;
      put_varint(cmd.size(), &len);
      out.push_back(0x0a);  // commands (1): Item{command (2)}
      put_varint(1 + len.size() + cmd.size(), &out);
      out.push_back(0x12);
      out += len;
      out += cmd;
    }
    return out;
  }
  out = R"({"commands":[)";
  for (int i = 0; i < n; ++i) {
    if (i) out += ',';
    out += R"({"command":)";
    out += next_is_walk_in(rng, waiting, steady) ? b.walk : b.call;
    out += '}';
  }
  out += "]}";
  return out;
}

// The acknowledged (2xx) commands of a CommandBatchResult. In its JSON the
// only number named "status" is an item's (views print SessionStatus as a name).
std::uint64_t acknowledged_items(const std::string& body, bool proto) {
  std::uint64_t n = 0;
  if (proto) {  // each result's status (its field 1, written first), without parsing the rest
    google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(body.data()),
                                              int(body.size()));
    std::uint32_t len = 0, status = 0;
    while (in.ReadTag() == 0x0a && in.ReadVarint32(&len)) {
      const auto limit = in.PushLimit(int(len));
      if (in.ReadTag() == 0x08 && in.ReadVarint32(&status)) n += status >= 200 && status < 300;
      in.Skip(in.BytesUntilLimit());
      in.PopLimit(limit);
    }
    return n;
  }
  for (std::size_t p = body.find(R"({"status":2)"); p != std::string::npos;
       p = body.find(R"({"status":2)", p + 1))
    ++n;
  return n;
}

// End to end: `clients` threads, each with its own keep-alive connection and
// its own session, POST /v1/commands (70% walk-ins, 30% call-next) to a real
// queuecastd, one at a time (closed loop); a 2xx answer is an acknowledged,
// durable command.
int e2e_bench(const Args& a) {
  // --server-cpu N: queuecastd on core N; this process, its client threads
  // and redis-server (started below, it inherits the mask) on the other.
  if (a.server_cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(a.server_cpu == 0 ? 1 : 0, &set);
    sched_setaffinity(0, sizeof set, &set);
  }
  Store store;
  if (!make_store(a.store, &store)) return 1;
  const std::string dir = test::make_temp_dir("e2e");
  const double disk_ms = disk_sync_ms(dir);
  {
    std::ofstream cfg(dir + "/config.json");
    cfg << R"({"listen": "127.0.0.1:0", "log_level": "warn",)";
    if (a.snapshot_every_set) cfg << R"( "snapshot_every": )" << a.snapshot_every << ",";
    if (a.commit_depth > 0) cfg << R"( "commit_depth": )" << a.commit_depth << ",";
    cfg << kBenchLimitsAndKeys;
  }
  std::vector<std::string> prefix;
  if (a.server_cpu >= 0) prefix = {"taskset", "-c", std::to_string(a.server_cpu)};
  std::vector<std::string> args = {"--config", dir + "/config.json", "--store", store.url,
                                    "--data-dir", dir, "--io-threads", std::to_string(a.io_threads),
                                    "--shards", std::to_string(a.shards)};
  args.insert(args.end(), a.qc_args.begin(), a.qc_args.end());
  qc::test::Daemon server(a.queuecastd, args, dir + "/queuecastd.log", prefix);
  if (!server.start()) {
    std::fprintf(stderr, "queuecastd did not start (%s/queuecastd.log)\n", dir.c_str());
    return 1;
  }
  const Time now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  {
    test::HttpClient admin(server.port());
    for (int s = 0; s < a.clients; ++s) {
      const SessionSpec spec =
          qc::test::load_session("b" + std::to_string(s), "Dr. " + std::to_string(s), "bench", now);
      auto r = admin.request("POST", "/v1/commands",
                             codec::command_to_json(Command{Actor{}, CreateSession{spec}}, 0),
                             "Authorization: Bearer crash-admin\r\n");
      if (r.status != 201 && r.status != 200) {
        std::fprintf(stderr, "create session: %d %s\n", r.status, r.body.c_str());
        return 1;
      }
    }
  }
  std::atomic<int> phase{0};  // 0 warm-up, 1 measuring, 2 stop
  std::vector<std::vector<double>> lat(std::size_t(a.clients));
  std::vector<std::uint64_t> failed(std::size_t(a.clients));
  std::vector<std::uint64_t> acked(std::size_t(a.clients));  // --batch-size: commands
  std::vector<std::thread> threads;
  if (a.epoll) {
    std::vector<std::string> walks, calls;
    for (int c = 0; c < a.clients; ++c) {
      ClientBodies b = client_bodies("b" + std::to_string(c), a.proto);
      walks.push_back(std::move(b.walk));
      calls.push_back(std::move(b.call));
    }
    const std::string auth = "Authorization: Bearer crash-nurse\r\n";
    const std::string type =
        a.proto ? "Content-Type: application/x-protobuf\r\nAccept: application/x-protobuf\r\n"
                : "Content-Type: application/json\r\n";
    threads.emplace_back([&, walks, calls, auth, type] {
      epoll_clients(server.port(), a.clients, walks, calls, auth, type, a.waiting, phase, lat,
                    failed);
    });
  }
  for (int c = 0; c < a.clients && !a.epoll; ++c) {
    threads.emplace_back([&, c] {
      test::HttpClient http(server.port());
      std::mt19937 rng{static_cast<unsigned>(c)};
      int waiting = 0;
      const auto [walk, call] = client_bodies("b" + std::to_string(c), a.proto);
      std::string auth = "Authorization: Bearer crash-nurse\r\n";
      if (a.proto)  // binary queuecast.v1.Command both ways
        auth += "Content-Type: application/x-protobuf\r\nAccept: application/x-protobuf\r\n";
      int p;
      while (a.batch_size > 0 && (p = phase.load(std::memory_order_relaxed)) < 2) {
        const std::string body =
            batch_body({walk, call}, a.batch_size, a.proto, rng, &waiting, a.waiting);
        const auto t = Clock::now();
        auto r = http.request("POST", "/v1/commands:batch", body, auth);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t).count();
        if (p == 1) {
          const std::uint64_t ok = r.status == 200 ? acknowledged_items(r.body, a.proto) : 0;
          lat[std::size_t(c)].push_back(ms);
          acked[std::size_t(c)] += ok;
          failed[std::size_t(c)] += std::uint64_t(a.batch_size) - ok;
        }
      }
      if (a.batch_size == 0)
        closed_loop({walk, call}, auth, a.keyed ? "c" + std::to_string(c) + "-" : "", a.waiting,
                    rng, http, phase, &lat[std::size_t(c)], &failed[std::size_t(c)]);
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  phase = 1;
  const auto t0 = Clock::now();
  const double cpu0 = process_cpu(server.pid());
  const double user0 = process_cpu_part(server.pid(), false);
  const pid_t redis_pid = store.redis ? store.redis->pid() : -1;
  const double redis0 = redis_pid > 0 ? process_cpu(redis_pid) : 0;
  const double self0 = process_cpu(getpid());
  std::this_thread::sleep_for(std::chrono::duration<double>(a.seconds));
  phase = 2;
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  const double server_cpu = process_cpu(server.pid()) - cpu0;
  const double server_user = process_cpu_part(server.pid(), false) - user0;
  const double redis_cpu = redis_pid > 0 ? process_cpu(redis_pid) - redis0 : 0;
  const double self_cpu = process_cpu(getpid()) - self0;
  for (auto& t : threads) t.join();
  // Group sizes, from the server's own counters.
  double commits = 0, records = 0, commit_seconds = 0;
  {
    test::HttpClient http(server.port());
    const auto m = http.request("GET", "/metrics");
    std::istringstream lines(m.body);
    std::string line;
    while (std::getline(lines, line)) {
      auto value = [&](const char* name) {
        return line.rfind(name, 0) == 0 ? std::atof(line.c_str() + line.rfind(' ') + 1) : -1.0;
      };
      if (double v = value("queuecast_commits_total "); v >= 0) commits = v;
      if (double v = value("queuecast_committed_records_total "); v >= 0) records = v;
      if (double v = value("queuecast_commit_latency_seconds_sum "); v >= 0) commit_seconds = v;
    }
  }
  server.kill9();
  test::remove_tree(dir);
  std::vector<double> all;
  std::uint64_t nfail = 0, nacked = 0;
  for (int c = 0; c < a.clients; ++c) {
    all.insert(all.end(), lat[std::size_t(c)].begin(), lat[std::size_t(c)].end());
    nfail += failed[std::size_t(c)];
    nacked += acked[std::size_t(c)];
  }
  if (a.batch_size > 0) {
    const double n = std::max<double>(1, double(nacked));
    std::printf("e2e store=%s clients=%d seconds=%.1f server_cpu=%d waiting=%d %s batch-size=%d: "
                "%.0f acknowledged commands/s in %.0f batches/s (POST /v1/commands:batch, fsync'ed "
                "group commits), batch latency p50 %.2f ms p99 %.2f ms p99.9 %.2f ms, %llu commands "
                "not 2xx; queuecastd CPU %.2f us per acknowledged command; whole run: %.1f commands "
                "per group commit, append() %.2f ms per commit; CPU per command: redis-server %.2f us, "
                "clients (a thread each) %.2f us; disk: 12 KiB append + fdatasync %.2f ms\n",
                a.store.c_str(), a.clients, secs, a.server_cpu, a.waiting,
                a.proto ? "protobuf" : "JSON", a.batch_size, double(nacked) / secs,
                double(all.size()) / secs, pct(all, 50), pct(all, 99), pct(all, 99.9),
                (unsigned long long)nfail, server_cpu * 1e6 / n, records / std::max(1.0, commits),
                commit_seconds * 1e3 / std::max(1.0, commits), redis_cpu * 1e6 / n,
                self_cpu * 1e6 / n, disk_ms);
    return 0;
  }
  std::printf("e2e store=%s clients=%d seconds=%.1f server_cpu=%d waiting=%d %s: %.0f acknowledged commands/s "
              "(HTTP, fsync'ed group commits), ack latency p50 %.2f ms p99 %.2f ms "
              "p99.9 %.2f ms, %llu non-2xx; queuecastd CPU %.1f us per acknowledged command "
              "(user %.1f us + kernel %.1f us); "
              "whole run: %.1f commands per group commit, append() %.2f ms per commit; "
              "CPU per command: redis-server %.1f us, clients (%s) %.1f us; "
              "disk: 12 KiB append + fdatasync %.2f ms (median of 200, before the run)\n",
              a.store.c_str(), a.clients, secs, a.server_cpu, a.waiting, a.proto ? "protobuf" : "JSON",
              double(all.size()) / secs,
              pct(all, 50), pct(all, 99), pct(all, 99.9), (unsigned long long)nfail,
              server_cpu * 1e6 / std::max<double>(1, double(all.size())),
              server_user * 1e6 / std::max<double>(1, double(all.size())),
              (server_cpu - server_user) * 1e6 / std::max<double>(1, double(all.size())),
              records / std::max(1.0, commits), commit_seconds * 1e3 / std::max(1.0, commits),
              redis_cpu * 1e6 / std::max<double>(1, double(all.size())),
              a.epoll ? "epoll, one thread" : "a thread each",
              self_cpu * 1e6 / std::max<double>(1, double(all.size())), disk_ms);
  return 0;
}

// The owner (node id) of each partition, from GET /v1/cluster; "" for a
// partition without one.
std::vector<std::string> cluster_owners(int port, int partitions) {
  std::vector<std::string> out(static_cast<std::size_t>(partitions));
  test::HttpClient http(port, 2000);
  const auto r = http.request("GET", "/v1/cluster", "", "Authorization: Bearer crash-admin\r\n");
  for (std::size_t at = 0; (at = r.body.find("{\"partition\":", at)) != std::string::npos; ++at) {
    const int p = std::atoi(r.body.c_str() + at + 13);
    const auto o = r.body.find("\"owner\":\"", at);
    if (p < 0 || p >= partitions || o == std::string::npos) continue;
    const auto e = r.body.find('"', o + 9);
    out[std::size_t(p)] = r.body.substr(o + 9, e - o - 9);
  }
  return out;
}

int cluster_bench(const Args& a) {
  if (a.nodes < 1 || (a.entry == "other" && a.nodes < 2) ||
      (a.entry != "owner" && a.entry != "other" && a.entry != "spread")) {
    std::fprintf(stderr, "--entry owner|other|spread (other: --nodes 2 or more)\n");
    return 2;
  }
  test::RedisServer redis;
  std::string error;
  if (!redis.start(&error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  ::setenv("QUEUECAST_CLUSTER_SECRET", "bench-cluster-secret-0123456789", 1);
  const std::string dir = test::make_temp_dir("cluster-bench");
  {
    std::ofstream cfg(dir + "/config.json");
    cfg << R"({"listen": "127.0.0.1:0", "log_level": "warn",)"
        << R"( "cluster": {"redis": "redis://127.0.0.1:)" << redis.port()
        << R"(/0", "partitions": )" << a.partitions << "}," << kBenchLimitsAndKeys;
  }
  std::vector<std::unique_ptr<test::Daemon>> nodes;
  for (int i = 0; i < a.nodes; ++i) {
    std::vector<std::string> args = {"--config", dir + "/config.json", "--node-id",
                                     "n" + std::to_string(i)};
    args.insert(args.end(), a.qc_args.begin(), a.qc_args.end());
    nodes.push_back(std::make_unique<test::Daemon>(a.queuecastd, args,
                                                   dir + "/n" + std::to_string(i) + ".log"));
    if (!nodes.back()->start()) {
      std::fprintf(stderr, "node %d did not start (%s)\n", i, dir.c_str());
      return 1;
    }
  }
  // Settled: every partition owned, each node within one of the others.
  for (int t = 0;; ++t) {
    const auto owners = cluster_owners(nodes[0]->port(), a.partitions);
    std::vector<int> counts(std::size_t(a.nodes));
    bool all = true;
    for (const auto& o : owners) {
      const int n = o.size() > 1 ? std::atoi(o.c_str() + 1) : -1;
      if (n < 0 || n >= a.nodes)
        all = false;
      else
        ++counts[std::size_t(n)];
    }
    if (all && *std::max_element(counts.begin(), counts.end()) -
                       *std::min_element(counts.begin(), counts.end()) <=
                   1)
      break;
    if (t > 300) {
      std::fprintf(stderr, "the cluster did not settle in 30 s\n");
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // The clients' sessions, and the node each client sends to.
  const Time now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::vector<int> entry(std::size_t(a.clients));
  std::vector<int> owner_of(std::size_t(a.clients));
  {
    test::HttpClient admin(nodes[0]->port());
    for (int c = 0; c < a.clients; ++c) {
      const std::string sid = "b" + std::to_string(c);
      SessionSpec spec = qc::test::load_session(sid, "Dr. " + std::to_string(c), "bench", now);
      spec.area = "bench-" + std::to_string(c % std::max(1, a.areas));
      test::HttpResponse r;
      for (int t = 0; t < 50; ++t) {
        r = admin.request("POST", "/v1/commands",
                          codec::command_to_json(Command{Actor{}, CreateSession{spec}}, 0),
                          "Authorization: Bearer crash-admin\r\n");
        if (r.status != 503 && r.status != 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (r.status != 201 && r.status != 200) {
        std::fprintf(stderr, "create session: %d %s\n", r.status, r.body.c_str());
        return 1;
      }
      r = admin.request("GET", "/v1/sessions/" + sid, "", "Authorization: Bearer crash-admin\r\n");
      const std::string node = r.headers["Queuecast-Node"];
      const int owner = node.size() > 1 ? std::atoi(node.c_str() + 1) : 0;
      owner_of[std::size_t(c)] = owner;
      entry[std::size_t(c)] = a.entry == "owner"   ? owner
                              : a.entry == "other" ? (owner + 1) % a.nodes
                                                   : c % a.nodes;
    }
  }
  std::atomic<int> phase{0};  // 0 warm-up, 1 measuring, 2 stop
  std::vector<std::vector<double>> lat(std::size_t(a.clients));
  std::vector<std::uint64_t> failed(std::size_t(a.clients));
  std::vector<std::thread> threads;
  for (int c = 0; c < a.clients; ++c) {
    threads.emplace_back([&, c] {
      test::HttpClient http(nodes[std::size_t(entry[std::size_t(c)])]->port());
      std::mt19937 rng{static_cast<unsigned>(c)};
      closed_loop(client_bodies("b" + std::to_string(c), false),
                  "Authorization: Bearer crash-nurse\r\n", "c" + std::to_string(c) + "-", a.waiting,
                  rng, http, phase, &lat[std::size_t(c)], &failed[std::size_t(c)]);
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  phase = 1;
  const auto t0 = Clock::now();
  std::vector<double> cpu0;
  for (auto& n : nodes) cpu0.push_back(process_cpu(n->pid()));
  const double redis0 = process_cpu(redis.pid());
  const double self0 = process_cpu(getpid());
  std::this_thread::sleep_for(std::chrono::duration<double>(a.seconds));
  phase = 2;
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::vector<double> cpu;
  for (std::size_t i = 0; i < nodes.size(); ++i)
    cpu.push_back(process_cpu(nodes[i]->pid()) - cpu0[i]);
  const double redis_cpu = process_cpu(redis.pid()) - redis0;
  const double self_cpu = process_cpu(getpid()) - self0;
  for (auto& t : threads) t.join();
  for (auto& n : nodes) n->kill9();
  test::remove_tree(dir);
  std::vector<double> all;
  std::uint64_t nfail = 0;
  int forwarded = 0;
  std::vector<int> owners_used;
  for (int c = 0; c < a.clients; ++c) {
    all.insert(all.end(), lat[std::size_t(c)].begin(), lat[std::size_t(c)].end());
    nfail += failed[std::size_t(c)];
    forwarded += entry[std::size_t(c)] != owner_of[std::size_t(c)];
    owners_used.push_back(owner_of[std::size_t(c)]);
  }
  std::sort(owners_used.begin(), owners_used.end());
  owners_used.erase(std::unique(owners_used.begin(), owners_used.end()), owners_used.end());
  const double n = std::max<double>(1, double(all.size()));
  std::string per_node;
  double total = redis_cpu;
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    char b[64];
    std::snprintf(b, sizeof b, "%sn%zu %.1f", i ? ", " : "", i, cpu[i] * 1e6 / n);
    per_node += b;
    total += cpu[i];
  }
  std::printf(
      "cluster nodes=%d partitions=%d entry=%s areas=%d clients=%d seconds=%.1f: %.0f acknowledged "
      "keyed commands/s, ack latency p50 %.2f ms p99 %.2f ms p99.9 %.2f ms, %llu non-2xx; "
      "%d of %d clients forwarded, owners used %zu; CPU us per acknowledged command: %s, "
      "redis-server %.1f (servers %.1f), clients %.1f\n",
      a.nodes, a.partitions, a.entry.c_str(), a.areas, a.clients, secs, double(all.size()) / secs,
      pct(all, 50), pct(all, 99), pct(all, 99.9), (unsigned long long)nfail, forwarded, a.clients,
      owners_used.size(), per_node.c_str(), redis_cpu * 1e6 / n, total * 1e6 / n,
      self_cpu * 1e6 / n);
  return 0;
}

int main(int argc, char** argv) {
  Args a;
  if (argc >= 2) a.mode = argv[1];
  for (int i = 2; i < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--proto") {
      a.proto = true;
      --i;
      continue;
    }
    if (k == "--epoll") {
      a.epoll = true;
      --i;
      continue;
    }
    if (k == "--keyed") {
      a.keyed = true;
      --i;
      continue;
    }
    if (i + 1 >= argc) break;
    const std::string v = argv[i + 1];
    if (k == "--store") a.store = v;
    else if (k == "--clients") a.clients = std::stoi(v);
    else if (k == "--seconds") a.seconds = std::stod(v);
    else if (k == "--events") a.events = std::stoull(v);
    else if (k == "--snapshot-every") a.snapshot_every = std::stoull(v), a.snapshot_every_set = true;
    else if (k == "--commit-depth") a.commit_depth = std::stoi(v);
    else if (k == "--queuecastd") a.queuecastd = v;
    else if (k == "--floor") a.floor = v;
    else if (k == "--qc-arg") a.qc_args.push_back(v);
    else if (k == "--server-cpu") a.server_cpu = std::stoi(v);
    else if (k == "--io-threads") a.io_threads = std::stoi(v);
    else if (k == "--shards") a.shards = std::stoi(v);
    else if (k == "--waiting") a.waiting = std::stoi(v);
    else if (k == "--batch") a.batch = std::max<std::size_t>(1, std::stoull(v));
    else if (k == "--batch-size") a.batch_size = std::max(0, std::stoi(v));
    else if (k == "--nodes") a.nodes = std::stoi(v);
    else if (k == "--entry") a.entry = v;
    else if (k == "--areas") a.areas = std::stoi(v);
    else if (k == "--partitions") a.partitions = std::stoi(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (a.mode == "commit") return commit_bench(a);
  if (a.mode == "recovery") return recovery_bench(a);
  if (a.mode == "e2e" && !a.floor.empty()) return floor_bench(a);
  if (a.mode == "e2e" && a.keyed && (a.epoll || a.batch_size > 0)) {
    std::fprintf(stderr, "--keyed runs the clients in threads, one command per request\n");
    return 2;
  }
  if (a.mode == "e2e" && a.epoll && a.batch_size > 0) {
    std::fprintf(stderr, "--batch-size runs the clients in threads (not with --epoll)\n");
    return 2;
  }
  if (a.mode == "e2e" && !a.queuecastd.empty()) return e2e_bench(a);
  if (a.mode == "cluster" && !a.queuecastd.empty()) return cluster_bench(a);
  std::fprintf(stderr,
               "usage: journal_bench commit --store sqlite|redis|URL [--clients 64] [--seconds 5]\n"
               "       journal_bench recovery --store sqlite|redis|URL [--events 1000000] "
               "[--snapshot-every N] [--batch 32]\n"
               "       journal_bench e2e --queuecastd PATH --store sqlite|redis [--clients 64] "
               "[--seconds 5] [--server-cpu 1] [--proto] [--epoll] [--io-threads 1] [--shards 1] "
               "[--snapshot-every N] [--waiting 200] [--batch-size N] [--keyed]\n"
               "       journal_bench cluster --queuecastd PATH [--nodes 3] [--entry owner|other|spread] "
               "[--areas 1] [--partitions 16] [--clients 64] [--seconds 5]\n");
  return 2;
}
