// loadgen: the live-push fan-out load generator (scripts/bench-fanout).
//
// One parent process and --procs subscriber processes (fork). The parent
//   1. (queuecast target) creates --sessions sessions and their walk-in tickets
//      through the HTTP API and collects the patient tokens;
//   2. forks the subscriber processes; child i binds its sockets to the source
//      address 127.0.0.(--src-base + i) and opens its share of the
//      --sessions x --per-session WebSocket subscribers (a process holds at
//      most 20,000 files: keep connections per process below that);
//   3. drives "calls" at each target rate of --rates (deliveries/s; a call
//      reaches --per-session subscribers, so calls/s = rate / per-session);
//      rate 0 means saturation: every publisher connection sends its next
//      call as soon as the previous one is answered (closed loop);
//   4. for each rate, after --warmup s, measures --duration s: deliveries/s
//      and the call-to-delivery latency histogram, server CPU (user and
//      system, from /proc/<--server-pid>/stat) and the client's own CPU;
//   5. prints one "RESULT key=value ..." line per rate, plus "MEM ..." for the
//      server's resident memory per idle connection (VmRSS delta / subscribers,
//      sampled before the subscribers connect and --settle s after).
//
// Several queuecastd nodes of one cluster (--ports P0,P1,...; docs/cluster.md):
// the setup goes through the first node; the owner of each session is read
// from the Queuecast-Node header of GET /v1/sessions/<id> (the nodes' ports
// from GET /v1/cluster's members, with --admin-key). --phones-on says where
// each phone connects: "any" (round-robin over the nodes by connection),
// "remote" (a node that does not own the session's partition, the least
// loaded of them: every delivery crosses Redis PUB/SUB) or "owner" (the
// owner: no hop). --calls-to sends each call to the session's owner
// ("owner"), to the nodes in turn ("any": forwarded when not the owner) or to
// the first node ("first"). --max-per-node refuses a placement that gives a
// node more phones than that (its file limit). --server-pid names every
// node (their CPU is summed; RESULT also gives each node's share) and
// --redis-pid the redis-server, whose CPU RESULT reports apart. The owners
// are read once, before the phones connect: the run assumes they do not
// change (scripts/bench-fanout compares the partition table before and after).
//
// Targets:
//   --target pubsub     floor_sender and nginx+Nchan: subscribe GET /sub/s<i>
//                       (WebSocket), publish POST /pub/s<i>; the body carries
//                       the publisher's CLOCK_MONOTONIC time in ns ("t").
//   --target queuecast  queuecastd: subscribe on /v1/ws (queuecast.v1.json),
//                       call POST /v1/sessions/{sid}/call-next with a staff
//                       key. --qc-sub says how the phones subscribe: "phone"
//                       as the phone page does (patient token with "board":
//                       true: the session's shared board per change, the own
//                       view only when the ticket changes), "patient" (the
//                       old per-phone patient view per change), "board" (the
//                       public board alone). The tickets ahead of the phones are registered
//                       one after the other, so the k-th call of a session calls
//                       its k-th ticket: a view's "calledLabel" names the call
//                       that produced it, whose send time is in shared memory.
//                       Each view with a new calledLabel is one delivery of
//                       that call (with conflation, of the newest call); other
//                       pushes are counted as "other".
//                       "console": the public boards of --subs-per-conn
//                       sessions per connection (a department console or a
//                       waiting-room screen following several rooms); no
//                       phone tickets are registered (the boards list only
//                       the tickets ahead), the view's "sessionId" names the
//                       session.
//
// Several subscriptions per connection (--subs-per-conn K, default 1): the
// sessions are taken in groups of K consecutive ones; each group has
// --per-session connections, each subscribed to all K sessions of its group
// (pubsub: GET /sub/s<a>,s<b>,...; queuecast: --qc-sub console). The calls
// are driven in rounds: the K calls of one group are sent back to back on K
// publisher connections, so on queuecastd they land in one commit group and
// a subscriber's K views can leave in one write. A round counts K calls;
// --rates stays in deliveries/s (a call reaches --per-session connections).
// --batch-publish (pubsub, the floor only): a round is one POST
// /pub/s<a>,s<b>,... whose frame the floor writes K times per subscriber in
// one send() (the floor of one write per subscriber per flush).
// Receive times: each subscriber reads its socket itself (recvmsg) after
// Beast's handshake, with SO_TIMESTAMPING: p50/p99/p999 use the time after
// the read (what a client sees, including the load generator's own wait for
// a CPU), kp50/kp99/kp999 the time the kernel stamped on the last segment
// read (on loopback: when the server's send() handed it over), which leaves
// the load generator's wait out. Both are printed.
// Each RESULT also says how long the server's and the load generator's
// threads waited on a run queue while runnable (/proc/<pid>/task/*/schedstat:
// percent of the window, microseconds per time given a CPU, times per
// second): what contention with other work on their cores costs them; a
// wait of the load generator's threads inflates the latency of every target.
// Each RESULT also says how many TCP data segments the machine sent per
// delivery in the window (TcpExt TCPOrigDataSent, all of loopback: with
// TCP_NODELAY about one per server write, plus the calls and their answers).
//
// Every process stops by itself: the parent after its work or --max-seconds
// (SIGALRM), the children when the parent says so or dies (PR_SET_PDEATHSIG).
#include <dirent.h>
#include <linux/net_tstamp.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "server/infra/sched.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

// ---------------------------------------------------------------- options --
struct Options {
  std::string target = "pubsub";  // pubsub | queuecast
  std::string host = "127.0.0.1";
  int port = 0;
  std::vector<int> ports;              // --ports: the nodes of a cluster (ports[0] == port)
  std::string phones_on = "any";       // several nodes: any | remote | owner
  std::string calls_to = "owner";      // several nodes: owner | any | first
  std::uint64_t max_per_node = 0;      // 0: no bound
  int redis_pid = 0;                   // reported apart from the servers
  double connect_timeout = 120;        // seconds for every subscriber to be ready
  int sessions = 100;
  int per_session = 190;
  int procs = 4;
  int src_base = 10;  // children bind 127.0.0.(src_base + i)
  std::vector<double> rates = {40000, 0};
  double warmup = 3, duration = 10, settle = 2;
  int payload = 400;  // pubsub body size in bytes
  std::vector<int> server_pids;
  std::string admin_key, staff_key;
  std::string qc_sub = "phone";  // queuecast: "phone" (patient + board flag), "patient", "board" or "console"
  int subs_per_conn = 1;         // K sessions per connection (groups of K sessions)
  bool batch_publish = false;    // pubsub: one POST per round (floor only)
  int publishers = 8;       // HTTP keep-alive connections of the driver
  int connect_inflight = 64;  // per child
  double sat_guess = 150000;  // deliveries/s assumed for the ticket budget at rate 0
  int max_seconds = 300;
  // The scheduler slice asked for every thread of the load generator (0: the
  // kernel's default): see main().
  int slice_us = 100;
};

[[noreturn]] void usage() {
  std::fprintf(stderr,
      "usage: loadgen --port N | --ports N,N,... [--target pubsub|queuecast] [--host 127.0.0.1]\n"
      "  [--sessions 100] [--per-session 190] [--procs 4] [--src-base 10]\n"
      "  [--rates 40000,0] [--warmup 3] [--duration 10] [--settle 2] [--payload 400]\n"
      "  [--server-pid P]... [--admin-key K] [--staff-key K] [--qc-sub phone|patient|board|console]\n"
      "  [--publishers 8] [--subs-per-conn 1] [--batch-publish]\n"
      "  [--sat-guess 150000] [--max-seconds 300] [--slice-us 100]\n"
      "  [--phones-on any|remote|owner] [--calls-to owner|any|first] [--max-per-node N]\n"
      "  [--redis-pid P] [--connect-timeout 120]\n");
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string { if (i + 1 >= argc) usage(); return argv[++i]; };
    if (a == "--target") o.target = val();
    else if (a == "--host") o.host = val();
    else if (a == "--port") o.port = std::stoi(val());
    else if (a == "--ports") {
      o.ports.clear();
      std::stringstream ss(val());
      for (std::string p; std::getline(ss, p, ',');) o.ports.push_back(std::stoi(p));
    } else if (a == "--phones-on") o.phones_on = val();
    else if (a == "--calls-to") o.calls_to = val();
    else if (a == "--max-per-node") o.max_per_node = std::stoull(val());
    else if (a == "--redis-pid") o.redis_pid = std::stoi(val());
    else if (a == "--connect-timeout") o.connect_timeout = std::stod(val());
    else if (a == "--sessions") o.sessions = std::stoi(val());
    else if (a == "--per-session") o.per_session = std::stoi(val());
    else if (a == "--procs") o.procs = std::stoi(val());
    else if (a == "--src-base") o.src_base = std::stoi(val());
    else if (a == "--rates") {
      o.rates.clear();
      std::stringstream ss(val());
      for (std::string r; std::getline(ss, r, ',');) o.rates.push_back(std::stod(r));
    } else if (a == "--warmup") o.warmup = std::stod(val());
    else if (a == "--duration") o.duration = std::stod(val());
    else if (a == "--settle") o.settle = std::stod(val());
    else if (a == "--payload") o.payload = std::stoi(val());
    else if (a == "--server-pid") o.server_pids.push_back(std::stoi(val()));
    else if (a == "--admin-key") o.admin_key = val();
    else if (a == "--staff-key") o.staff_key = val();
    else if (a == "--qc-sub") o.qc_sub = val();
    else if (a == "--publishers") o.publishers = std::stoi(val());
    else if (a == "--subs-per-conn") o.subs_per_conn = std::stoi(val());
    else if (a == "--batch-publish") o.batch_publish = true;
    else if (a == "--sat-guess") o.sat_guess = std::stod(val());
    else if (a == "--max-seconds") o.max_seconds = std::stoi(val());
    else if (a == "--slice-us") o.slice_us = std::stoi(val());
    else usage();
  }
  if (o.ports.empty() && o.port > 0) o.ports.push_back(o.port);
  if (!o.ports.empty()) o.port = o.ports[0];
  for (int p : o.ports)
    if (p <= 0) usage();
  if ((o.phones_on != "any" && o.phones_on != "remote" && o.phones_on != "owner") ||
      (o.calls_to != "owner" && o.calls_to != "any" && o.calls_to != "first") ||
      (o.ports.size() > 1 && o.target != "queuecast") ||
      (o.phones_on == "remote" && o.ports.size() < 2) || o.connect_timeout <= 0 ||
      (o.qc_sub == "console" && o.phones_on != "any"))
    usage();
  if (o.port <= 0 || (o.target != "pubsub" && o.target != "queuecast") || o.procs < 1 ||
      (o.qc_sub != "phone" && o.qc_sub != "patient" && o.qc_sub != "board" && o.qc_sub != "console") ||
      o.sessions < 1 || o.per_session < 1 || o.publishers < 1 || o.subs_per_conn < 1 ||
      o.subs_per_conn > 16 || o.sessions % o.subs_per_conn != 0 ||
      (o.batch_publish && o.target != "pubsub") ||
      (o.target == "queuecast" && o.subs_per_conn > 1 && o.qc_sub != "console"))
    usage();
  return o;
}

std::int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// ------------------------------------------------ histogram (log-linear) --
// 32 sub-buckets per power of two: about 3% resolution, any ns value.
constexpr int kSubBits = 5;
constexpr int kSub = 1 << kSubBits;
constexpr int kBuckets = (64 - kSubBits + 1) * kSub;

int bucket_of(std::uint64_t v) {
  if (v < std::uint64_t(kSub)) return int(v);
  int e = 63 - __builtin_clzll(v);
  return (e - kSubBits + 1) * kSub + int((v >> (e - kSubBits)) - kSub);
}
double bucket_mid(int b) {
  if (b < kSub) return b;
  int e = b / kSub + kSubBits - 1;
  double lo = double(std::uint64_t(kSub + b % kSub) << (e - kSubBits));
  return lo + double(std::uint64_t(1) << (e - kSubBits)) / 2;
}

// ------------------------------------------------------- shared memory --
constexpr int kMaxSessions = 1024;
constexpr int kRing = 1024;
constexpr int kMaxProcs = 16;

struct ChildShm {
  std::atomic<std::uint64_t> ready, failed, deliveries, measured, other, errors, closed;
  std::atomic<std::uint64_t> hist[kBuckets];
  // The same deliveries, received at the time the kernel stamped on their
  // last segment (SO_TIMESTAMPING): without the load generator's own wait
  // between the segment's arrival and its read.
  std::atomic<std::uint64_t> khist[kBuckets];
  char first_error[256];
};

struct Shm {
  std::atomic<int> measuring;
  std::atomic<int> stop;
  std::atomic<std::uint64_t> calls[kMaxSessions];  // queuecast: calls sent per session
  std::atomic<std::int64_t> sent_ns[kMaxSessions][kRing];
  ChildShm child[kMaxProcs];
};
Shm* g_shm = nullptr;

void note_error(ChildShm& c, const std::string& what) {
  if (c.errors.fetch_add(1) == 0) std::snprintf(c.first_error, sizeof c.first_error, "%s", what.c_str());
}

// ------------------------------------------------------------ /proc ----
struct CpuTicks { std::uint64_t user = 0, sys = 0; };
CpuTicks read_cpu(int pid) {
  CpuTicks t;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), {});
  std::size_t p = s.rfind(')');
  if (p == std::string::npos) return t;
  std::istringstream is(s.substr(p + 2));
  std::string field;
  for (int i = 3; i <= 15 && is >> field; ++i) {
    if (i == 14) t.user = std::stoull(field);
    if (i == 15) t.sys = std::stoull(field);
  }
  return t;
}
std::uint64_t read_rss_kb(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  return 0;
}
// TcpExt TCPOrigDataSent of this network namespace (/proc/net/netstat).
std::uint64_t read_tcp_data_segs() {
  std::ifstream f("/proc/net/netstat");
  std::string names, values;
  while (std::getline(f, names) && std::getline(f, values)) {
    if (names.rfind("TcpExt:", 0) != 0) continue;
    std::istringstream n(names), v(values);
    for (std::string a, b; n >> a && v >> b;)
      if (a == "TCPOrigDataSent") return std::stoull(b);
  }
  return 0;
}
// Scheduler statistics of every thread of the processes (/proc/<pid>/task/*/
// schedstat): time run, time waited on a run queue while runnable, and
// the number of times a thread was given a CPU. The wait is what contention
// costs: a thread woken up that waits behind another one.
struct SchedStat { std::uint64_t run_ns = 0, wait_ns = 0, runs = 0; };
SchedStat sum_schedstat(const std::vector<int>& pids) {
  SchedStat t;
  for (int p : pids) {
    std::string dir = "/proc/" + std::to_string(p) + "/task";
    DIR* d = opendir(dir.c_str());
    if (!d) continue;
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream f(dir + "/" + e->d_name + "/schedstat");
      std::uint64_t a = 0, b = 0, c = 0;
      if (f >> a >> b >> c) { t.run_ns += a; t.wait_ns += b; t.runs += c; }
    }
    closedir(d);
  }
  return t;
}
CpuTicks sum_cpu(const std::vector<int>& pids) {
  CpuTicks t;
  for (int p : pids) { CpuTicks c = read_cpu(p); t.user += c.user; t.sys += c.sys; }
  return t;
}
std::size_t count_fds(int pid) {
  std::size_t n = 0;
  if (DIR* d = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++n;
    closedir(d);
  }
  return n;
}
std::uint64_t sum_rss_kb(const std::vector<int>& pids) {
  std::uint64_t r = 0;
  for (int p : pids) r += read_rss_kb(p);
  return r;
}

std::string json_string_field(std::string_view body, std::string_view name) {
  std::string key = "\"" + std::string(name) + "\":\"";
  std::size_t p = body.find(key);
  if (p == std::string_view::npos) return {};
  p += key.size();
  std::size_t e = body.find('"', p);
  return e == std::string_view::npos ? std::string() : std::string(body.substr(p, e - p));
}

std::string rfc3339(std::chrono::system_clock::time_point tp) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count();
  std::time_t s = ms / 1000;
  std::tm tm;
  gmtime_r(&s, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms % 1000));
  return buf;
}

// ------------------------------------------------- HTTP client pool ----
// A few keep-alive connections; jobs queue until a connection is free. A job
// builds its request at the moment it is written (so timestamps are fresh).
struct Job {
  std::function<void(http::request<http::string_body>&)> make;
  std::function<void(unsigned status, std::string_view body)> done;
  // Optional: the response's header fields, before `done` (not on failure).
  std::function<void(const http::fields&)> fields = nullptr;
};

class HttpPool {
 public:
  HttpPool(asio::io_context& ioc, tcp::endpoint ep, int n) : ep_(ep) {
    for (int i = 0; i < n; ++i) conns_.push_back(std::make_unique<Conn>(ioc));
    for (auto& c : conns_) idle_.push_back(c.get());
  }
  void submit(Job j) {
    queue_.push_back(std::move(j));
    pump();
  }
  std::size_t queued() const { return queue_.size(); }
  std::size_t busy() const { return conns_.size() - idle_.size(); }
  std::uint64_t failures() const { return failures_; }
  std::string first_failure() const { return first_failure_; }

 private:
  struct Conn {
    explicit Conn(asio::io_context& ioc) : stream(ioc) {}
    beast::tcp_stream stream;
    bool connected = false;
    beast::flat_buffer buf;
    http::request<http::string_body> req;
    http::response<http::string_body> res;
    Job job;
  };

  void pump() {
    while (!queue_.empty() && !idle_.empty()) {
      Conn* c = idle_.back();
      idle_.pop_back();
      c->job = std::move(queue_.front());
      queue_.pop_front();
      start(c);
    }
  }
  void fail(Conn* c, const std::string& what) {
    if (failures_++ == 0) first_failure_ = what;
    beast::error_code ec;
    c->stream.socket().close(ec);
    c->connected = false;
    auto done = std::move(c->job.done);
    idle_.push_back(c);
    if (done) done(0, what);
    pump();
  }
  void start(Conn* c) {
    if (!c->connected) {
      c->stream.async_connect(ep_, [this, c](beast::error_code ec) {
        if (ec) return fail(c, "connect: " + ec.message());
        c->connected = true;
        c->stream.socket().set_option(tcp::no_delay(true));
        write(c);
      });
      return;
    }
    write(c);
  }
  void write(Conn* c) {
    c->req = {};
    c->req.version(11);
    c->req.set(http::field::host, "127.0.0.1");
    c->job.make(c->req);
    c->req.prepare_payload();
    http::async_write(c->stream, c->req, [this, c](beast::error_code ec, std::size_t) {
      if (ec) return fail(c, "write: " + ec.message());
      c->res = {};
      http::async_read(c->stream, c->buf, c->res, [this, c](beast::error_code ec, std::size_t) {
        if (ec) return fail(c, "read: " + ec.message());
        if (!c->res.keep_alive()) {
          beast::error_code ig;
          c->stream.socket().close(ig);
          c->connected = false;
        }
        if (c->job.fields) c->job.fields(c->res.base());
        auto done = std::move(c->job.done);
        unsigned status = c->res.result_int();
        std::string body = std::move(c->res.body());
        idle_.push_back(c);
        if (done) done(status, body);
        pump();
      });
    });
  }

  tcp::endpoint ep_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<Conn*> idle_;
  std::deque<Job> queue_;
  std::uint64_t failures_ = 0;
  std::string first_failure_;
};

// ----------------------------------------------------- the subscribers --
struct SubSpec {
  int session;                // the first (or only) session followed
  int count = 1;              // sessions followed: session .. session + count - 1
  std::string token;  // queuecast: patient token
  std::string sid;    // queuecast: session id (board subscriptions)
  int node = 0;       // index into --ports: the node the subscriber connects to
};

class Child;

class Subscriber : public std::enable_shared_from_this<Subscriber> {
 public:
  Subscriber(asio::io_context& ioc, Child& owner, const SubSpec& spec)
      : ws_(ioc), owner_(owner), spec_(spec) {}
  void start();

 private:
  void on_connected();
  void on_handshake();
  void read();
  void on_readable();
  void on_message(std::string_view msg, std::int64_t t_kernel);
  void failed(const std::string& what);
  void closed(const std::string& what);

  websocket::stream<beast::tcp_stream> ws_;
  // Frames are read from the socket directly (recvmsg with the kernel's
  // receive time stamp), after Beast's handshake and subscribe writes.
  std::vector<char> rbuf_;
  bool stamping_ = false;
  Child& owner_;
  SubSpec spec_;
  bool ready_ = false;
  int initial_ = 0;                      // console: first views received
  std::uint64_t last_call_[16] = {};     // per session followed
  std::vector<std::string> subscribe_msgs_;
  void write_subscribe(std::size_t i);
};

class Child {
 public:
  Child(const Options& o, int index, std::vector<SubSpec> specs,
        const std::vector<std::unordered_map<std::string, std::uint64_t>>& call_of_label,
        const std::vector<std::string>& session_ids)
      : o_(o), index_(index), shm_(g_shm->child[index]), specs_(std::move(specs)),
        call_of_label_(call_of_label), session_ids_(session_ids) {}

  void run() {
    asio::io_context ioc(1);
    ioc_ = &ioc;
    src_ = asio::ip::make_address_v4("127.0.0." + std::to_string(o_.src_base + index_));
    for (int port : o_.ports) servers_.emplace_back(asio::ip::make_address(o_.host), std::uint16_t(port));
    for (int i = 0; i < o_.connect_inflight; ++i) next();
    asio::steady_timer poll(ioc);
    std::function<void()> tick = [&] {
      if (g_shm->stop.load()) { ioc.stop(); return; }
      poll.expires_after(std::chrono::milliseconds(100));
      poll.async_wait([&](beast::error_code) { tick(); });
    };
    tick();
    ioc.run();
  }

  void next() {
    if (started_ >= specs_.size()) return;
    auto s = std::make_shared<Subscriber>(*ioc_, *this, specs_[started_++]);
    s->start();
  }
  void ready() { shm_.ready.fetch_add(1); next(); }
  void failed(const std::string& what) {
    if (shm_.failed.fetch_add(1) == 0) note_error(shm_, what);
    next();
  }

  const Options& o_;
  int index_;
  ChildShm& shm_;
  std::vector<SubSpec> specs_;
  const std::vector<std::unordered_map<std::string, std::uint64_t>>& call_of_label_;
  const std::vector<std::string>& session_ids_;
  std::size_t started_ = 0;
  asio::io_context* ioc_ = nullptr;
  asio::ip::address_v4 src_;
  std::vector<tcp::endpoint> servers_;  // per node (--ports)
};

void Subscriber::start() {
  auto& sock = beast::get_lowest_layer(ws_).socket();
  beast::error_code ec;
  sock.open(tcp::v4(), ec);
  if (!ec) sock.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) {
    int one = 1;
    ::setsockopt(sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sock.bind(tcp::endpoint(owner_.src_, 0), ec);
  }
  if (ec) return failed("bind: " + ec.message());
  beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(30));
  beast::get_lowest_layer(ws_).async_connect(
      owner_.servers_[std::size_t(spec_.node)], [self = shared_from_this()](beast::error_code ec) {
        if (ec) return self->failed("connect: " + ec.message());
        self->on_connected();
      });
}

void Subscriber::on_connected() {
  const bool qc = owner_.o_.target == "queuecast";
  if (qc) {
    ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& r) {
      r.set(http::field::sec_websocket_protocol, "queuecast.v1.json");
    }));
  }
  std::string path = "/v1/ws";
  if (!qc) {
    path = "/sub/";
    for (int i = 0; i < spec_.count; ++i)
      path += (i ? ",s" : "s") + std::to_string(spec_.session + i);
  }
  ws_.async_handshake(owner_.o_.host, path, [self = shared_from_this(), qc](beast::error_code ec) {
    if (ec) return self->failed("handshake: " + ec.message());
    beast::get_lowest_layer(self->ws_).expires_never();
    if (!qc) {
      self->ready_ = true;
      self->owner_.ready();
      return self->read();
    }
    const std::string& how = self->owner_.o_.qc_sub;
    if (how == "console") {
      for (int i = 0; i < self->spec_.count; ++i)
        self->subscribe_msgs_.push_back(
            "{\"subscribe\":{\"board\":{\"sessionId\":\"" +
            self->owner_.session_ids_[std::size_t(self->spec_.session + i)] + "\"},\"lastVersion\":\"0\"}}");
    } else if (how == "board") {
      self->subscribe_msgs_.push_back(
          "{\"subscribe\":{\"board\":{\"sessionId\":\"" + self->spec_.sid + "\"},\"lastVersion\":\"0\"}}");
    } else {
      self->subscribe_msgs_.push_back("{\"subscribe\":{\"patient\":{\"token\":\"" + self->spec_.token + "\"" +
                                      (how == "phone" ? ",\"board\":true" : "") + "},\"lastVersion\":\"0\"}}");
    }
    self->ws_.text(true);
    self->write_subscribe(0);
  });
}

void Subscriber::write_subscribe(std::size_t i) {
  if (i == subscribe_msgs_.size()) {
    std::vector<std::string>().swap(subscribe_msgs_);
    return read();  // ready on the first view (console: of every session)
  }
  ws_.async_write(asio::buffer(subscribe_msgs_[i]),
                  [self = shared_from_this(), i](beast::error_code ec, std::size_t) {
                    if (ec) return self->failed("subscribe: " + ec.message());
                    self->write_subscribe(i + 1);
                  });
}

// Reading: the socket's receive time stamps on (SO_TIMESTAMPING, software,
// CLOCK_REALTIME), then recvmsg() whenever it is readable; every complete
// WebSocket frame in the buffer is handled with the stamp of the last
// segment read (on loopback the kernel stamps a segment when the server's
// send() hands it over), so a frame is never stamped before it arrived.
void Subscriber::read() {
  auto& sock = beast::get_lowest_layer(ws_).socket();
  if (!stamping_) {
    stamping_ = true;
    int flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
    ::setsockopt(sock.native_handle(), SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags);
  }
  sock.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
    if (ec) return self->closed("wait: " + ec.message());
    self->on_readable();
  });
}

void Subscriber::on_readable() {
  const int fd = beast::get_lowest_layer(ws_).socket().native_handle();
  std::int64_t t_kernel = -1;
  for (;;) {
    char chunk[16384];
    iovec iov{chunk, sizeof chunk};
    alignas(cmsghdr) char control[256];
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(fd, &mh, MSG_DONTWAIT);
    if (n > 0) rbuf_.insert(rbuf_.end(), chunk, chunk + n);
    if (n == 0) return closed("closed by the server");
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return closed(std::string("recvmsg: ") + std::strerror(errno));
    }
    for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPING) continue;
      timespec ts[3];
      std::memcpy(ts, CMSG_DATA(c), sizeof ts);
      if (ts[0].tv_sec == 0 && ts[0].tv_nsec == 0) continue;
      timespec real, mono;
      clock_gettime(CLOCK_REALTIME, &real);
      clock_gettime(CLOCK_MONOTONIC, &mono);
      const std::int64_t offset = (std::int64_t(real.tv_sec) - mono.tv_sec) * 1'000'000'000 + (real.tv_nsec - mono.tv_nsec);
      t_kernel = std::int64_t(ts[0].tv_sec) * 1'000'000'000 + ts[0].tv_nsec - offset;
    }
    if (std::size_t(n) < sizeof chunk) break;
  }
  // Complete frames (server frames: unmasked, unfragmented).
  std::size_t pos = 0;
  while (rbuf_.size() - pos >= 2) {
    const auto* b = reinterpret_cast<const unsigned char*>(rbuf_.data() + pos);
    const std::size_t avail = rbuf_.size() - pos;
    const unsigned opcode = b[0] & 0x0f;
    const bool masked = (b[1] & 0x80) != 0;
    std::uint64_t len = b[1] & 0x7f;
    std::size_t head = 2;
    if (len == 126) {
      if (avail < 4) break;
      len = (std::uint64_t(b[2]) << 8) | b[3];
      head = 4;
    } else if (len == 127) {
      if (avail < 10) break;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | b[2 + i];
      head = 10;
    }
    if (masked) head += 4;
    if (avail < head + len) break;
    std::string_view payload(rbuf_.data() + pos + head, std::size_t(len));
    std::string unmasked;
    if (masked) {
      unmasked.assign(payload);
      for (std::size_t i = 0; i < unmasked.size(); ++i) unmasked[i] = char(unmasked[i] ^ b[head - 4 + i % 4]);
      payload = unmasked;
    }
    pos += head + std::size_t(len);
    if (opcode == 0x1 || opcode == 0x2) {
      on_message(payload, t_kernel);
    } else if (opcode == 0x9) {  // ping: a masked pong with the same payload (short, control frames are <= 125 bytes)
      std::string pong;
      pong.push_back(char(0x8a));
      pong.push_back(char(0x80 | payload.size()));
      pong.append(4, '\0');  // mask key 0: the payload goes as it is
      pong.append(payload);
      ::send(fd, pong.data(), pong.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    } else if (opcode == 0x8) {
      rbuf_.clear();
      return closed("close frame from the server");
    }
  }
  rbuf_.erase(rbuf_.begin(), rbuf_.begin() + std::ptrdiff_t(pos));
  read();
}

void Subscriber::closed(const std::string& what) {
  if (ready_) {
    owner_.shm_.closed.fetch_add(1);
    note_error(owner_.shm_, "closed: " + what);
    return;
  }
  failed("read: " + what);
}

// Extracts the integer after "key": in a JSON text; -1 when absent.
std::int64_t int_field(std::string_view s, std::string_view key) {
  std::size_t p = s.find(key);
  if (p == std::string_view::npos) return -1;
  p += key.size();
  std::int64_t v = 0;
  bool any = false;
  while (p < s.size() && s[p] >= '0' && s[p] <= '9') { v = v * 10 + (s[p++] - '0'); any = true; }
  return any ? v : -1;
}

void Subscriber::on_message(std::string_view msg, std::int64_t t_kernel) {
  std::int64_t t_recv = now_ns();
  ChildShm& c = owner_.shm_;
  bool measuring = g_shm->measuring.load(std::memory_order_relaxed) != 0;
  std::int64_t t_sent = -1;
  if (owner_.o_.target == "pubsub") {
    t_sent = int_field(msg, "\"t\":");
    if (t_sent < 0) { c.other.fetch_add(1, std::memory_order_relaxed); return; }
  } else {
    if (msg.rfind("{\"error\"", 0) == 0) {
      if (!ready_) return owner_.failed(std::string(msg.substr(0, 200)));
      note_error(c, std::string(msg.substr(0, 200)));
      return;
    }
    if (!ready_) {  // the view sent at once after subscribe (console: one per session)
      c.other.fetch_add(1, std::memory_order_relaxed);
      if (++initial_ < spec_.count) return;
      ready_ = true;
      owner_.ready();
      return;
    }
    // Which session (console: the board names it), then the call: the view
    // names the label called last, i.e. the call that produced it.
    int slot = 0;
    if (spec_.count > 1) {
      std::string sid = json_string_field(msg, "sessionId");
      while (slot < spec_.count && owner_.session_ids_[std::size_t(spec_.session + slot)] != sid) ++slot;
      if (slot == spec_.count) {
        c.other.fetch_add(1, std::memory_order_relaxed);
        return;
      }
    }
    const int session = spec_.session + slot;
    const auto& labels = owner_.call_of_label_[std::size_t(session)];
    auto it = labels.find(json_string_field(msg, "calledLabel"));
    if (it == labels.end() || it->second == last_call_[slot]) {
      c.other.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    std::uint64_t k = it->second;
    last_call_[slot] = k;
    t_sent = g_shm->sent_ns[session][k % kRing].load(std::memory_order_relaxed);
  }
  c.deliveries.fetch_add(1, std::memory_order_relaxed);
  if (measuring) {
    c.measured.fetch_add(1, std::memory_order_relaxed);
    std::int64_t lat = std::max<std::int64_t>(0, t_recv - t_sent);
    c.hist[bucket_of(std::uint64_t(lat))].fetch_add(1, std::memory_order_relaxed);
    // No stamp (not supported): the user-space time stands in.
    std::int64_t klat = t_kernel >= 0 ? std::max<std::int64_t>(0, std::min(t_kernel, t_recv) - t_sent) : lat;
    c.khist[bucket_of(std::uint64_t(klat))].fetch_add(1, std::memory_order_relaxed);
  }
}

void Subscriber::failed(const std::string& what) {
  if (ready_) {
    owner_.shm_.closed.fetch_add(1);
    return;
  }
  owner_.failed(what);
}

// ------------------------------------------------------------- driver --
// Runs in the parent's io thread. Open loop at `rate` deliveries/s (calls are
// issued on a 1 ms timer, skipped and counted as "lagged" when more than
// 4 x publishers are queued), or closed loop when rate == 0.
class Driver {
 public:
  // `pools`: one per node (--ports); `owner`: per session, the index of the
  // node that owns it (empty with one node).
  Driver(asio::io_context& ioc, const Options& o, std::vector<HttpPool*> pools,
         std::vector<std::string> session_ids, std::vector<int> owner, std::uint64_t budget)
      : ioc_(ioc), o_(o), pools_(std::move(pools)), timer_(ioc), sids_(std::move(session_ids)),
        owner_(std::move(owner)), budget_(budget) {}

  // A round is the calls of one group of --subs-per-conn sessions, sent back
  // to back (one call when K = 1). Closed loop: --publishers / K rounds in
  // flight (so about --publishers calls, as with K = 1).
  void set_rate(double rate) {
    rate_ = rate;
    ++epoch_;
    issued_ = 0;
    t0_ = now_ns();
    if (rate == 0) {
      for (int i = 0; i < std::max(1, o_.publishers / o_.subs_per_conn); ++i) issue(epoch_);
    } else {
      tick(epoch_);
    }
  }
  void stop() { ++epoch_; timer_.cancel(); }

  std::uint64_t calls_ok = 0, calls_failed = 0, lagged = 0, exhausted = 0;
  std::string first_call_error;

 private:
  void tick(std::uint64_t epoch) {
    if (epoch != epoch_) return;
    double rounds_per_s = rate_ / o_.per_session / o_.subs_per_conn;
    auto due = std::uint64_t(double(now_ns() - t0_) * 1e-9 * rounds_per_s);
    while (issued_ < due) {
      ++issued_;
      std::size_t queued = 0;
      for (HttpPool* p : pools_) queued += p->queued();
      if (queued > std::size_t(4 * o_.publishers) * pools_.size()) { ++lagged; continue; }
      issue(epoch);
    }
    timer_.expires_after(std::chrono::milliseconds(1));
    timer_.async_wait([this, epoch](beast::error_code ec) { if (!ec) tick(epoch); });
  }

  // One round: picks the next group whose sessions all have tickets left.
  void issue(std::uint64_t epoch) {
    const int k = o_.subs_per_conn, groups = o_.sessions / k;
    int g = -1;
    for (int tries = 0; tries < groups; ++tries) {
      int cand = next_session_++ % groups;
      bool ok = true;
      for (int i = 0; i < k && o_.target == "queuecast"; ++i)
        if (g_shm->calls[cand * k + i].load() >= budget_) ok = false;
      if (ok) { g = cand; break; }
    }
    if (g < 0) { ++exhausted; return; }
    const int jobs = o_.batch_publish ? 1 : k;
    auto left = std::make_shared<int>(jobs);
    auto any_status0 = std::make_shared<bool>(false);
    for (int i = 0; i < jobs; ++i) {
      Job j;
      if (o_.target == "pubsub") {
        std::uint64_t seq = ++pub_seq_;
        const int s = g * k + i;
        const int n = o_.batch_publish ? k : 1;
        j.make = [this, s, n, seq](http::request<http::string_body>& r) {
          r.method(http::verb::post);
          std::string target = "/pub/s" + std::to_string(s);
          for (int c = 1; c < n; ++c) target += ",s" + std::to_string(s + c);
          r.target(target);
          r.set(http::field::content_type, "application/json");
          std::string b = "{\"s\":" + std::to_string(s) + ",\"k\":" + std::to_string(seq) +
                          ",\"t\":" + std::to_string(now_ns()) + ",\"pad\":\"";
          if (int(b.size()) + 2 < o_.payload) b.append(std::size_t(o_.payload - int(b.size()) - 2), 'x');
          b += "\"}";
          r.body() = std::move(b);
        };
      } else {
        const int s = g * k + i;
        j.make = [this, s](http::request<http::string_body>& r) {
          r.method(http::verb::post);
          r.target("/v1/sessions/" + sids_[s] + "/call-next");
          r.set(http::field::authorization, "Bearer " + o_.staff_key);
          r.set(http::field::content_type, "application/json");
          r.body() = "{}";
          std::uint64_t c = g_shm->calls[s].load() + 1;
          g_shm->sent_ns[s][c % kRing].store(now_ns(), std::memory_order_relaxed);
          g_shm->calls[s].store(c, std::memory_order_release);
        };
      }
      j.done = [this, epoch, left, any_status0](unsigned status, std::string_view body) {
        if (status >= 200 && status < 300) {
          ++calls_ok;
        } else {
          if (calls_failed++ == 0) first_call_error = std::to_string(status) + " " + std::string(body.substr(0, 200));
          if (status == 0) *any_status0 = true;
        }
        if (--*left > 0) return;
        if (rate_ == 0 && epoch == epoch_) {
          if (*any_status0) {  // connection trouble: do not spin
            auto t = std::make_shared<asio::steady_timer>(ioc_, std::chrono::milliseconds(10));
            t->async_wait([this, epoch, t](beast::error_code) { if (epoch == epoch_) issue(epoch); });
          } else {
            issue(epoch);
          }
        }
      };
      pool_for(g * k + i).submit(std::move(j));
    }
  }

  // Where the call of session `s` goes (--calls-to).
  HttpPool& pool_for(int s) {
    if (pools_.size() == 1 || o_.calls_to == "first") return *pools_[0];
    if (o_.calls_to == "any") return *pools_[next_pool_++ % pools_.size()];
    return *pools_[std::size_t(owner_[std::size_t(s)])];
  }

  asio::io_context& ioc_;
  const Options& o_;
  std::vector<HttpPool*> pools_;
  asio::steady_timer timer_;
  std::vector<std::string> sids_;
  std::vector<int> owner_;
  std::size_t next_pool_ = 0;
  std::uint64_t budget_;
  double rate_ = 0;
  std::uint64_t epoch_ = 0, issued_ = 0, pub_seq_ = 0;
  std::int64_t t0_ = 0;
  int next_session_ = 0;
};

// -------------------------------------------------- queuecast setup ----
struct Setup {
  std::vector<std::string> session_ids;
  std::vector<SubSpec> subs;  // sessions x per_session
  // Per session: the label of each ticket ahead of the phones -> the number
  // (1-based) of the call that calls it (they are registered one after the
  // other, so the k-th call of a session calls its k-th ticket).
  std::vector<std::unordered_map<std::string, std::uint64_t>> call_of_label;
  // Several nodes: per session, the index (into --ports) of its owner.
  std::vector<int> owner;
};

// Runs `jobs` through a pool and waits; returns false on any failure.
bool run_jobs(const Options& o, std::vector<Job> jobs, const char* what) {
  asio::io_context ioc(1);
  HttpPool pool(ioc, tcp::endpoint(asio::ip::make_address(o.host), std::uint16_t(o.port)), o.publishers);
  std::size_t failed = 0;
  std::string first;
  for (auto& j : jobs) {
    auto inner = std::move(j.done);
    j.done = [&, inner](unsigned status, std::string_view body) {
      if (status < 200 || status >= 300) {
        if (failed++ == 0) first = std::to_string(status) + " " + std::string(body.substr(0, 300));
      }
      if (inner) inner(status, body);
    };
    pool.submit(std::move(j));
  }
  ioc.run();
  if (failed) std::fprintf(stderr, "loadgen: %s: %zu of %zu failed; first: %s\n", what, failed, jobs.size(), first.c_str());
  return failed == 0;
}

// Several nodes: which node owns each session. The nodes' ids and addresses
// come from GET /v1/cluster ("members"), each session's owner from the
// Queuecast-Node header of GET /v1/sessions/<id> (the node that answered
// it, whichever node the request arrived at), both through the first node.
bool find_owners(const Options& o, Setup& out) {
  std::unordered_map<std::string, int> node_index;  // node id -> index into --ports
  {
    std::string body;
    unsigned status = 0;
    std::vector<Job> jobs;
    jobs.push_back(Job{[&o](http::request<http::string_body>& r) {
                         r.method(http::verb::get);
                         r.target("/v1/cluster");
                         r.set(http::field::authorization, "Bearer " + o.admin_key);
                       },
                       [&](unsigned st, std::string_view b) { status = st; body = b; }});
    if (!run_jobs(o, std::move(jobs), "GET /v1/cluster")) return false;
    const std::size_t from = body.find("\"members\":[");
    const std::size_t to = from == std::string::npos ? from : body.find(']', from);
    for (std::size_t at = from; at != std::string::npos && at < to;) {
      at = body.find("{\"node\":", at + 1);
      if (at == std::string::npos || at > to) break;
      const std::string entry = body.substr(at, body.find('}', at) - at);
      const std::string node = json_string_field(entry, "node"), address = json_string_field(entry, "address");
      const std::size_t colon = address.rfind(':');
      const int port = colon == std::string::npos ? 0 : std::atoi(address.c_str() + colon + 1);
      for (std::size_t i = 0; i < o.ports.size(); ++i)
        if (o.ports[i] == port) node_index[node] = int(i);
    }
    if (node_index.size() != o.ports.size()) {
      std::fprintf(stderr, "loadgen: GET /v1/cluster (status %u) names %zu of the %zu nodes of --ports: %s\n",
                   status, node_index.size(), o.ports.size(), body.substr(0, 400).c_str());
      return false;
    }
  }
  out.owner.assign(out.session_ids.size(), -1);
  std::vector<Job> jobs;
  for (std::size_t s = 0; s < out.session_ids.size(); ++s) {
    Job j{[&o, target = "/v1/sessions/" + out.session_ids[s]](http::request<http::string_body>& r) {
            r.method(http::verb::get);
            r.target(target);
            r.set(http::field::authorization, "Bearer " + o.admin_key);
          },
          nullptr};
    j.fields = [&out, &node_index, s](const http::fields& f) {
      auto it = node_index.find(std::string(f["Queuecast-Node"]));
      if (it != node_index.end()) out.owner[s] = it->second;
    };
    jobs.push_back(std::move(j));
  }
  if (!run_jobs(o, std::move(jobs), "find the owners")) return false;
  std::vector<int> sessions_on(o.ports.size(), 0);
  for (std::size_t s = 0; s < out.owner.size(); ++s) {
    if (out.owner[s] < 0) {
      std::fprintf(stderr, "loadgen: GET /v1/sessions/%s named no node of --ports (Queuecast-Node)\n",
                   out.session_ids[s].c_str());
      return false;
    }
    ++sessions_on[std::size_t(out.owner[s])];
  }
  std::printf("owners: sessions per node");
  for (std::size_t i = 0; i < sessions_on.size(); ++i) std::printf("%s%d", i ? "/" : " ", sessions_on[i]);
  std::printf(" (nodes in the order of --ports)\n");
  return true;
}

// Several nodes: the node of each subscriber (--phones-on). "any": by
// connection in turn; "owner": its session's owner; "remote": the least
// loaded node that does not own the session (ties: the next after the
// owner). Refuses a node with more than --max-per-node subscribers.
bool place_subscribers(const Options& o, Setup& setup) {
  const std::size_t n = o.ports.size();
  std::vector<std::uint64_t> on(n, 0);
  for (std::size_t k = 0; k < setup.subs.size(); ++k) {
    SubSpec& spec = setup.subs[k];
    if (o.phones_on == "any") {
      spec.node = int(k % n);
    } else {
      const int owner = setup.owner[std::size_t(spec.session)];
      spec.node = owner;
      if (o.phones_on == "remote") {
        int best = -1;
        for (std::size_t d = 1; d < n; ++d) {
          const int c = int((std::size_t(owner) + d) % n);
          if (best < 0 || on[std::size_t(c)] < on[std::size_t(best)]) best = c;
        }
        spec.node = best;
      }
    }
    ++on[std::size_t(spec.node)];
  }
  std::printf("phones on: %s; subscribers per node", o.phones_on.c_str());
  for (std::size_t i = 0; i < n; ++i) std::printf("%s%llu", i ? "/" : " ", (unsigned long long)on[i]);
  std::printf("; calls to: %s\n", o.calls_to.c_str());
  for (std::size_t i = 0; i < n; ++i)
    if (o.max_per_node && on[i] > o.max_per_node) {
      std::fprintf(stderr, "loadgen: node %zu (port %d) would hold %llu subscribers, more than --max-per-node %llu\n",
                   i, o.ports[i], (unsigned long long)on[i], (unsigned long long)o.max_per_node);
      return false;
    }
  return true;
}

bool setup_queuecast(const Options& o, std::uint64_t extra, Setup& out) {
  auto now = std::chrono::system_clock::now();
  auto start = now - std::chrono::hours(1);
  std::string run = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                        now.time_since_epoch()).count() % 100000);
  std::string quota0, quotaW;
  for (int i = 0; i < 10; ++i) {
    quota0 += (i ? ",0" : "0");
    quotaW += (i ? ",5000" : "5000");
  }
  std::vector<Job> jobs;
  for (int s = 0; s < o.sessions; ++s) {
    std::string sid = "bench" + run + "-s" + std::to_string(s);
    out.session_ids.push_back(sid);
    std::string body = "{\"sessionId\":\"" + sid + "\",\"doctorId\":\"bench-d" + std::to_string(s) +
        "\",\"doctorName\":\"Bench Doctor " + std::to_string(s) + "\",\"department\":\"bench\",\"room\":\"R" +
        std::to_string(s) + "\",\"area\":\"bench-a" + std::to_string(s) + "\",\"start\":\"" + rfc3339(start) +
        "\",\"end\":\"" + rfc3339(start + std::chrono::hours(10)) + "\",\"registrationOpen\":\"" +
        rfc3339(start - std::chrono::hours(1)) + "\",\"slotMinutes\":60,\"appointmentQuota\":[" + quota0 +
        "],\"walkinQuota\":[" + quotaW + "]}";
    jobs.push_back(Job{[&o, body](http::request<http::string_body>& r) {
                         r.method(http::verb::post);
                         r.target("/v1/sessions");
                         r.set(http::field::authorization, "Bearer " + o.admin_key);
                         r.set(http::field::content_type, "application/json");
                         r.body() = body;
                       }, nullptr});
  }
  if (!run_jobs(o, std::move(jobs), "create sessions")) return false;
  if (o.ports.size() > 1 && !find_owners(o, out)) return false;
  auto walk_in = [&o, &out](int s, const std::string& ref) {
    std::string target = "/v1/sessions/" + out.session_ids[s] + "/walk-ins";
    std::string body = "{\"patientRef\":\"" + ref + "\",\"patientName\":\"Bench Patient\"}";
    return [&o, target, body](http::request<http::string_body>& r) {
      r.method(http::verb::post);
      r.target(target);
      r.set(http::field::authorization, "Bearer " + o.staff_key);
      r.set(http::field::content_type, "application/json");
      r.body() = body;
    };
  };
  // Wave 1: the tickets ahead of the phones (what the calls consume), one
  // after the other within a session (so their queue order is known), the
  // sessions in parallel.
  out.call_of_label.assign(std::size_t(o.sessions), {});
  {
    asio::io_context ioc(1);
    HttpPool pool(ioc, tcp::endpoint(asio::ip::make_address(o.host), std::uint16_t(o.port)), o.publishers);
    std::size_t failed = 0;
    std::string first;
    std::function<void(int, std::uint64_t)> next = [&](int s, std::uint64_t i) {
      if (i >= extra || failed) return;
      pool.submit(Job{walk_in(s, "bench-" + std::to_string(s) + "-a-" + std::to_string(i)),
                      [&, s, i](unsigned status, std::string_view b) {
                        if (status < 200 || status >= 300) {
                          if (failed++ == 0) first = std::to_string(status) + " " + std::string(b.substr(0, 300));
                          return;
                        }
                        out.call_of_label[s][json_string_field(b, "label")] = i + 1;
                        next(s, i + 1);
                      }});
    };
    for (int s = 0; s < o.sessions; ++s) next(s, 0);
    ioc.run();
    if (failed) {
      std::fprintf(stderr, "loadgen: walk-ins ahead: %zu failed; first: %s\n", failed, first.c_str());
      return false;
    }
  }
  if (o.qc_sub == "console") return true;  // no phones: the subscribers are consoles
  // Wave 2: the phones, strictly behind them in every queue.
  out.subs.assign(std::size_t(o.sessions) * o.per_session, SubSpec{});
  jobs.clear();
  for (int i = 0; i < o.per_session; ++i) {
    for (int s = 0; s < o.sessions; ++s) {
      Job j{walk_in(s, "bench-" + std::to_string(s) + "-p-" + std::to_string(i)), nullptr};
      SubSpec* spec = &out.subs[std::size_t(s) * o.per_session + i];
      spec->session = s;
      spec->sid = out.session_ids[s];
      j.done = [spec](unsigned status, std::string_view b) {
        if (status >= 200 && status < 300) spec->token = json_string_field(b, "token");
      };
      jobs.push_back(std::move(j));
    }
  }
  if (!run_jobs(o, std::move(jobs), "walk-ins for phones")) return false;
  for (auto& s : out.subs)
    if (s.token.empty() && o.qc_sub != "board") {
      std::fprintf(stderr, "loadgen: a walk-in response carried no \"token\"\n");
      return false;
    }
  return true;
}

volatile sig_atomic_t g_interrupted = 0;
void on_term(int) { g_interrupted = 1; }

void sleep_s(double s) {
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(s);
  while (!g_interrupted && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

// The largest value recorded (its bucket's middle, about 3%).
double hist_max(const std::vector<std::uint64_t>& h) {
  for (int b = kBuckets - 1; b >= 0; --b)
    if (h[std::size_t(b)]) return bucket_mid(b);
  return 0;
}

double pct(const std::vector<std::uint64_t>& h, std::uint64_t total, double q) {
  if (total == 0) return 0;
  auto want = std::uint64_t(std::ceil(q * double(total)));
  std::uint64_t acc = 0;
  for (int b = 0; b < kBuckets; ++b) {
    acc += h[b];
    if (acc >= want) return bucket_mid(b);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  if (o.sessions > kMaxSessions || o.procs > kMaxProcs) usage();
  signal(SIGPIPE, SIG_IGN);
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);
  alarm(unsigned(o.max_seconds));  // default action: terminate; children follow (PDEATHSIG)
  // A short scheduler slice (server/infra/sched.h), inherited by the
  // subscriber processes and the driver's thread: a subscriber woken by a
  // delivery runs before other work on the client core has used up its
  // slice, so that the time stamped at receipt is not the load generator's
  // own wait on a run queue (which would count against every target).
  {
    bool applied = false;
    std::string err;
    if (!qc::gw::set_thread_slice(o.slice_us, &applied, &err))
      std::fprintf(stderr, "loadgen: --slice-us %d: %s\n", o.slice_us, err.c_str());
  }

  void* mem = mmap(nullptr, sizeof(Shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) { std::perror("mmap"); return 1; }
  g_shm = new (mem) Shm();

  // Connections: --per-session per group of --subs-per-conn sessions.
  const std::uint64_t total_subs = std::uint64_t(o.sessions / o.subs_per_conn) * o.per_session;
  // Calls each session may take before its queue reaches the phones.
  double calls_total = 0;
  for (double r : o.rates) calls_total += (r > 0 ? r : o.sat_guess) / o.per_session * (o.warmup + o.duration);
  std::uint64_t budget = std::uint64_t(std::ceil(calls_total / o.sessions * 1.5)) + 10;
  // Consoles: no phones behind; at least 200 tickets ahead, so the boards
  // keep a list of some length whatever the number of subscribers.
  if (o.target == "queuecast" && o.qc_sub == "console") budget = std::max<std::uint64_t>(budget, 200);

  Setup setup;
  if (o.target == "queuecast") {
    std::printf("setup: %d sessions, %llu tickets ahead + %d phones each\n", o.sessions,
                (unsigned long long)budget, o.per_session);
    std::fflush(stdout);
    const auto t_setup = std::chrono::steady_clock::now();
    if (!setup_queuecast(o, budget, setup)) return 1;
    std::printf("setup done in %.1f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t_setup).count());
  }
  if (o.target == "pubsub" || o.qc_sub == "console") {
    const int k = o.subs_per_conn;
    for (std::uint64_t i = 0; i < total_subs; ++i) {
      SubSpec spec{int(i / o.per_session) * k, k, {}, {}};
      if (o.target == "queuecast") spec.sid = setup.session_ids[std::size_t(spec.session)];
      setup.subs.push_back(std::move(spec));
    }
  }
  if (o.ports.size() > 1 && !place_subscribers(o, setup)) return 1;

  std::uint64_t rss0 = sum_rss_kb(o.server_pids);
  std::vector<pid_t> kids;
  const pid_t parent = getpid();
  for (int i = 0; i < o.procs; ++i) {
    std::vector<SubSpec> mine;
    for (std::size_t k = i; k < setup.subs.size(); k += o.procs) mine.push_back(setup.subs[k]);
    std::fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(1);
      Child child(o, i, std::move(mine), setup.call_of_label, setup.session_ids);
      child.run();
      _exit(0);
    }
    kids.push_back(pid);
  }

  int rc = 0;
  auto stop_children = [&] {
    g_shm->stop.store(1);
    for (pid_t k : kids) {
      for (int i = 0; i < 50; ++i) {
        if (waitpid(k, nullptr, WNOHANG) == k) { k = 0; break; }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (k) { kill(k, SIGKILL); waitpid(k, nullptr, 0); }
    }
  };
  auto child_sum = [&](auto field) {
    std::uint64_t t = 0;
    for (int i = 0; i < o.procs; ++i) t += (g_shm->child[i].*field).load();
    return t;
  };

  // Wait for every subscriber (at most --connect-timeout s).
  auto t_conn = std::chrono::steady_clock::now();
  for (;;) {
    std::uint64_t done = child_sum(&ChildShm::ready) + child_sum(&ChildShm::failed);
    if (done >= total_subs || g_interrupted ||
        std::chrono::steady_clock::now() - t_conn > std::chrono::duration<double>(o.connect_timeout))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  double connect_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_conn).count();
  std::uint64_t ready = child_sum(&ChildShm::ready);
  std::printf("connected %llu/%llu subscribers in %.1f s (%d processes)\n", (unsigned long long)ready,
              (unsigned long long)total_subs, connect_s, o.procs);
  for (int i = 0; i < o.procs; ++i)
    if (g_shm->child[i].errors.load() || g_shm->child[i].failed.load())
      std::printf("  child %d: failed=%llu first error: %s\n", i,
                  (unsigned long long)g_shm->child[i].failed.load(), g_shm->child[i].first_error);
  if (ready < total_subs) {
    std::fprintf(stderr, "loadgen: not every subscriber connected\n");
    stop_children();
    return 1;
  }
  sleep_s(o.settle);
  if (!o.server_pids.empty()) {
    std::uint64_t rss1 = sum_rss_kb(o.server_pids);
    std::printf("MEM subscribers=%llu rss_before_kb=%llu rss_after_kb=%llu bytes_per_conn=%.0f\n",
                (unsigned long long)total_subs, (unsigned long long)rss0, (unsigned long long)rss1,
                (double(rss1) - double(rss0)) * 1024.0 / double(total_subs));
    if (o.server_pids.size() > 1) {  // a cluster: how close each node is to its file limit
      std::printf("FDS open files per server:");
      for (int p : o.server_pids) std::printf(" %zu", count_fds(p));
      std::printf("\n");
    }
  }
  std::fflush(stdout);

  // The driver runs on its own thread with its own io_context.
  asio::io_context ioc(1);
  auto guard = asio::make_work_guard(ioc);
  std::vector<std::unique_ptr<HttpPool>> pools;
  std::vector<HttpPool*> pool_ptrs;
  for (int port : o.ports) {
    pools.push_back(std::make_unique<HttpPool>(
        ioc, tcp::endpoint(asio::ip::make_address(o.host), std::uint16_t(port)), o.publishers));
    pool_ptrs.push_back(pools.back().get());
  }
  Driver driver(ioc, o, pool_ptrs, setup.session_ids, setup.owner, budget);
  std::thread io([&] { ioc.run(); });
  const long hz = sysconf(_SC_CLK_TCK);
  std::vector<int> self_pids(kids.begin(), kids.end());
  self_pids.push_back(int(getpid()));

  for (double rate : o.rates) {
    if (g_interrupted) break;
    asio::post(ioc, [&driver, rate] { driver.set_rate(rate); });
    sleep_s(o.warmup);
    for (int i = 0; i < o.procs; ++i) {
      for (auto& b : g_shm->child[i].hist) b.store(0);
      for (auto& b : g_shm->child[i].khist) b.store(0);
      g_shm->child[i].measured.store(0);
    }
    std::uint64_t closed0 = child_sum(&ChildShm::closed);
    CpuTicks s0 = sum_cpu(o.server_pids), c0 = sum_cpu(self_pids);
    std::vector<CpuTicks> each0;
    for (int p : o.server_pids) each0.push_back(read_cpu(p));
    CpuTicks r0 = o.redis_pid ? read_cpu(o.redis_pid) : CpuTicks{};
    SchedStat ss0 = sum_schedstat(o.server_pids), cs0 = sum_schedstat(self_pids);
    std::uint64_t seg0 = read_tcp_data_segs();
    auto t0 = std::chrono::steady_clock::now();
    g_shm->measuring.store(1);
    sleep_s(o.duration);
    g_shm->measuring.store(0);
    auto t1 = std::chrono::steady_clock::now();
    CpuTicks s1 = sum_cpu(o.server_pids), c1 = sum_cpu(self_pids);
    std::vector<CpuTicks> each1;
    for (int p : o.server_pids) each1.push_back(read_cpu(p));
    CpuTicks r1 = o.redis_pid ? read_cpu(o.redis_pid) : CpuTicks{};
    SchedStat ss1 = sum_schedstat(o.server_pids), cs1 = sum_schedstat(self_pids);
    std::uint64_t seg1 = read_tcp_data_segs();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    double secs = std::chrono::duration<double>(t1 - t0).count();
    std::vector<std::uint64_t> h(kBuckets, 0), kh(kBuckets, 0);
    std::uint64_t n = 0, kn = 0;
    for (int i = 0; i < o.procs; ++i)
      for (int b = 0; b < kBuckets; ++b) {
        std::uint64_t v = g_shm->child[i].hist[b].load(); h[b] += v; n += v;
        std::uint64_t k = g_shm->child[i].khist[b].load(); kh[b] += k; kn += k;
      }
    double per_s = double(n) / secs;
    double su = double(s1.user - s0.user) / hz, ss = double(s1.sys - s0.sys) / hz;
    double cu = double(c1.user - c0.user) / hz, cs = double(c1.sys - c0.sys) / hz;
    std::printf("RESULT target=%s rate=%s deliveries_per_s=%.0f p50_us=%.1f p99_us=%.1f p999_us=%.1f "
                "server_cpu_pct=%.1f server_user_ns=%.0f server_sys_ns=%.0f server_ns=%.0f "
                "client_cpu_pct=%.1f closed=%llu subs_per_conn=%d segs_per_delivery=%.3f "
                "server_runq_pct=%.1f server_runq_us_per_run=%.1f server_runs_per_s=%.0f "
                "client_runq_pct=%.1f client_runq_us_per_run=%.1f client_runs_per_s=%.0f "
                "kp50_us=%.1f kp99_us=%.1f kp999_us=%.1f max_us=%.1f kmax_us=%.1f",
                o.target.c_str(), rate > 0 ? std::to_string(int(rate)).c_str() : "max", per_s,
                pct(h, n, 0.5) / 1e3, pct(h, n, 0.99) / 1e3, pct(h, n, 0.999) / 1e3,
                100.0 * (su + ss) / secs, n ? su * 1e9 / double(n) : 0.0, n ? ss * 1e9 / double(n) : 0.0,
                n ? (su + ss) * 1e9 / double(n) : 0.0, 100.0 * (cu + cs) / secs,
                (unsigned long long)(child_sum(&ChildShm::closed) - closed0), o.subs_per_conn,
                n ? double(seg1 - seg0) / double(n) : 0.0,
                1e-7 * double(ss1.wait_ns - ss0.wait_ns) / secs,
                ss1.runs > ss0.runs ? 1e-3 * double(ss1.wait_ns - ss0.wait_ns) / double(ss1.runs - ss0.runs) : 0.0,
                double(ss1.runs - ss0.runs) / secs, 1e-7 * double(cs1.wait_ns - cs0.wait_ns) / secs,
                cs1.runs > cs0.runs ? 1e-3 * double(cs1.wait_ns - cs0.wait_ns) / double(cs1.runs - cs0.runs) : 0.0,
                double(cs1.runs - cs0.runs) / secs, pct(kh, kn, 0.5) / 1e3, pct(kh, kn, 0.99) / 1e3,
                pct(kh, kn, 0.999) / 1e3, hist_max(h) / 1e3, hist_max(kh) / 1e3);
    // Several servers (a cluster): each one's CPU, percent of a core.
    if (o.server_pids.size() > 1) {
      std::printf(" servers=%zu server_cpu_pct_each=", o.server_pids.size());
      for (std::size_t i = 0; i < each0.size(); ++i)
        std::printf("%s%.1f", i ? "/" : "",
                    100.0 * double(each1[i].user + each1[i].sys - each0[i].user - each0[i].sys) / hz / secs);
    }
    // redis-server apart: percent of a core and ns per delivery.
    if (o.redis_pid) {
      const double rs = double(r1.user + r1.sys - r0.user - r0.sys) / hz;
      std::printf(" redis_cpu_pct=%.1f redis_ns=%.0f", 100.0 * rs / secs, n ? rs * 1e9 / double(n) : 0.0);
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  asio::post(ioc, [&] { driver.stop(); });
  // Let the in-flight calls finish (bounded), then stop.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  guard.reset();
  ioc.stop();
  io.join();
  std::printf("calls ok=%llu failed=%llu lagged=%llu exhausted=%llu deliveries=%llu other=%llu errors=%llu\n",
              (unsigned long long)driver.calls_ok, (unsigned long long)driver.calls_failed,
              (unsigned long long)driver.lagged, (unsigned long long)driver.exhausted,
              (unsigned long long)child_sum(&ChildShm::deliveries),
              (unsigned long long)child_sum(&ChildShm::other), (unsigned long long)child_sum(&ChildShm::errors));
  if (driver.calls_failed) std::printf("  first call error: %s\n", driver.first_call_error.c_str());
  for (int i = 0; i < o.procs; ++i)
    if (g_shm->child[i].errors.load())
      std::printf("  child %d first error: %s\n", i, g_shm->child[i].first_error);
  for (auto& p : pools)
    if (p->failures()) rc = 1;
  if (driver.calls_failed) rc = 1;
  stop_children();
  return rc;
}
