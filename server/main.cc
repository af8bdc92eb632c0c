// queuecastd: the queue server. See docs/operations.md.
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>

#include "store/journal.h"
#include "server/runtime/auth.h"
#include "server/infra/clock.h"
#include "server/infra/config.h"
#include "server/demo_clinic.h"
#include "server/net/http_server.h"
#include "server/infra/log.h"
#include "server/infra/metrics.h"
#include "server/infra/sched.h"
#include "store/redis_asio.h"
#include "store/threaded_journal.h"
#include "server/runtime/runtime.h"
#include "server/api/service.h"

namespace {

using namespace qc;
using namespace qc::gw;

// The store URL of shard i (shard 0: the URL itself).
std::string shard_url(const std::string& url, int i) {
  if (i == 0 || url.rfind("memory:", 0) == 0) return url;
  if (url.rfind("redis://", 0) == 0) {
    auto q = url.find("?key=");
    if (q != std::string::npos) return url + "-" + std::to_string(i);
    return url + "?key=queuecast-" + std::to_string(i);
  }
  auto dot = url.rfind(".db");
  if (dot != std::string::npos && dot + 3 == url.size())
    return url.substr(0, dot) + "-" + std::to_string(i) + ".db";
  return url + "-" + std::to_string(i);
}

void create_demo_clinic(Runtime& runtime) {
  for (Command& c : demo_clinic_commands(runtime.clock().now())) {
    std::promise<CommandOutcome> p;
    auto f = p.get_future();
    CommandRequest r;
    r.command = std::move(c);
    r.principal.role = Role::kAdmin;
    r.principal.id = "demo";
    r.done = [&p](CommandOutcome o) { p.set_value(std::move(o)); };
    std::string name(command_name(r.command.body));
    runtime.submit(std::move(r));
    CommandOutcome o = f.get();
    if (o.error != Error::kOk && o.error != Error::kAlreadyExists)
      log_event("warn", "demo_clinic", {{"command", name}, {"error", to_string(o.error)}, {"message", o.message}});
  }
  log_event("info", "demo_clinic_ready", {});
}

}  // namespace

int main(int argc, char** argv) {
  // The network and shard threads allocate and free a few KiB per command in
  // their own malloc arenas; glibc's default trims an arena's top as soon as
  // 128 KiB are free and grows it again moments later (an mprotect and page
  // faults every few groups). Keep up to 16 MiB, grow by 1 MiB.
  mallopt(M_TRIM_THRESHOLD, 16 << 20);
  mallopt(M_TOP_PAD, 1 << 20);
  Config config;
  std::string error;
  int rc = parse_flags(argc, argv, &config, &error);
  if (rc == 2) return 0;
  if (rc != 0) {
    std::fprintf(stderr, "queuecastd: %s\n", error.c_str());
    return 2;
  }
  set_log_level(config.log_level);
  // Before any thread starts (they inherit it): server/infra/sched.h.
  {
    bool applied = false;
    std::string serr;
    if (!set_thread_slice(config.sched_slice_us, &applied, &serr))
      log_event("warn", "sched_slice_refused", {{"sched_slice_us", std::to_string(config.sched_slice_us)}, {"error", serr}});
  }

  if (config.store.empty()) config.store = "sqlite://" + config.data_dir + "/queuecast.db";
  if (config.store.rfind("sqlite://", 0) == 0) {
    std::error_code ec;
    std::filesystem::path p(config.store.substr(9));
    if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  }
  std::vector<std::unique_ptr<journal::Journal>> journals;
  for (int i = 0; i < config.shards; ++i) {
    std::string url = shard_url(config.store, i);
    journal::OpenReport report;
    journal::OpenOptions oo;
    oo.truncate_damaged = config.truncate_damaged_journal;
    // Redis: queuecastd writes through the Asio-driven client (redis_asio.h).
    auto j = url.rfind("redis://", 0) == 0 && !config.redis_sync
                 ? open_redis_asio(url, oo, &report, &error)
                 : journal::open(url, oo, &report, &error);
    if (!j) {
      log_event("error", "store_open_failed", {{"store", url}, {"error", error}});
      std::fprintf(stderr, "queuecastd: cannot open store %s: %s\n", url.c_str(), error.c_str());
      return 1;
    }
    // SQLite's append() blocks (inserts, WAL fsync): its commits run on a
    // thread of their own, so the shard applies and answers meanwhile.
    if (report.store == "sqlite" && config.sqlite_commit_thread) j = journal::with_commit_thread(std::move(j));
    for (const auto& d : report.dropped) log_event("warn", "store_dropped_tail", {{"store", url}, {"detail", d}});
    for (const auto& n : report.notes) log_event("warn", "store_note", {{"store", url}, {"detail", n}});
    journals.push_back(std::move(j));
  }

  auto clock = make_clock(config.clock_start, config.clock_speed);
  KeyStore keys(config.keys);
  Metrics metrics;
  RuntimeOptions ro;
  ro.shards = config.shards;
  ro.engine = config.engine;
  ro.snapshot_every = static_cast<std::uint64_t>(config.snapshot_every);
  ro.commit_depth = static_cast<std::size_t>(config.commit_depth);
  ro.commit_wake = config.commit_wake;
  ro.push_backlog = static_cast<std::size_t>(config.push_backlog);
  Runtime runtime(ro, *clock, metrics,
                  [&journals](int i) { return std::move(journals[static_cast<std::size_t>(i)]); });
  if (!runtime.recover(&error)) {
    std::fprintf(stderr, "queuecastd: recovery failed: %s\n", error.c_str());
    return 1;
  }
  runtime.start();
  if (config.demo_clinic) create_demo_clinic(runtime);

  Service service(config, runtime, keys, metrics);
  Server server(service, config.limits, config.trusted_proxies, metrics);
  if (!server.listen(config.listen, &error)) {
    std::fprintf(stderr, "queuecastd: %s\n", error.c_str());
    runtime.stop();
    return 1;
  }
  std::string host = config.listen.substr(0, config.listen.rfind(':'));
  std::string bound = host + ":" + std::to_string(server.port());
  log_event("info", "listening",
            {{"address", bound}, {"store", config.store}, {"shards", std::to_string(config.shards)},
             {"keys", std::to_string(keys.size())}, {"clock_speed", std::to_string(config.clock_speed)},
             {"sched_slice_us", std::to_string(thread_slice_us())},
             {"now", format_rfc3339(clock->now())}});
  std::printf("listening %s\n", bound.c_str());
  std::fflush(stdout);

  server.run(config.io_threads, nullptr);
  runtime.stop();  // commits and answers whatever is still queued
  log_event("info", "stopped", {});
  return 0;
}
