// Fuzz target: the gateway's whole request handler (server/api/service.h
// Service::handle) behind a real in-process runtime (one shard, memory
// journal, virtual clock at 2026-11-23 07:30 +08:00): route, query, headers
// (Authorization, Idempotency-Key, Content-Type, Accept), body -> command ->
// engine -> response. State carries over from one input to the next, as on a
// live server.
//
// Input layout (seeds in corpus/service/):
//   "METHOD\nTARGET\nCONTENT-TYPE\nAUTHORIZATION\nIDEMPOTENCY-KEY\nACCEPT\nBODY"
// Credentials known to the server: "Bearer admin-secret" (admin),
// "Bearer nurse-secret" (nurse, department neuro), "Bearer channel-secret"
// (channel web), "Bearer display-secret" (display of area neuro-2f).
// Properties: never crashes; every request is answered exactly once, within
// 10 s, with an HTTP status in 100-599; a JSON error answer carries "error".
#include <google/protobuf/stubs/logging.h>

#include <chrono>
#include <cstdlib>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "store/journal.h"
#include "server/infra/clock.h"
#include "server/infra/config.h"
#include "server/infra/log.h"
#include "server/infra/metrics.h"
#include "server/runtime/runtime.h"
#include "server/api/service.h"
#include "server/infra/sha256.h"
#include "tests/fuzz/check.h"

namespace {

struct Env {
  qc::gw::Config config;
  std::unique_ptr<qc::gw::Clock> clock;
  qc::gw::Metrics metrics;
  std::unique_ptr<qc::gw::KeyStore> keys;
  std::unique_ptr<qc::gw::Runtime> runtime;
  std::unique_ptr<qc::gw::Service> service;

  Env() {
    qc::gw::set_log_level("error");
    auto key = [](qc::gw::Role role, const char* id, const char* secret, const char* dept) {
      qc::gw::KeyEntry k;
      k.role = role;
      k.id = id;
      k.sha256 = qc::gw::sha256_hex(secret);
      if (dept) k.departments.push_back(dept);
      return k;
    };
    config.keys = {key(qc::gw::Role::kAdmin, "a-1", "admin-secret", nullptr),
                   key(qc::gw::Role::kNurse, "n-1", "nurse-secret", "neuro"),
                   key(qc::gw::Role::kChannel, "web", "channel-secret", nullptr),
                   key(qc::gw::Role::kDisplay, "neuro-2f", "display-secret", nullptr)};
    config.limits.booking_per_address_per_minute = 1e9;
    config.limits.booking_per_patient_per_minute = 1e9;
    clock = qc::gw::make_clock(1'795'390'200'000, 1.0);  // 2026-11-22T23:30:00Z
    keys = std::make_unique<qc::gw::KeyStore>(config.keys);
    qc::gw::RuntimeOptions ro;
    runtime = std::make_unique<qc::gw::Runtime>(ro, *clock, metrics,
                                                [](int) { return qc::journal::make_memory_journal(); });
    std::string error;
    FUZZ_CHECK(runtime->recover(&error));
    runtime->start();
    service = std::make_unique<qc::gw::Service>(config, *runtime, *keys, metrics);
  }
};
Env* g_env = nullptr;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = (google::protobuf::SetLogHandler(nullptr), true);
  (void)quiet;
  static Env* env = [] {
    g_env = new Env();  // lives for the whole process; its shard stops at exit
    std::atexit([] { g_env->runtime->stop(); });
    return g_env;
  }();
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  qc::gw::HttpRequest req;
  req.method = fuzz_line(&rest);
  req.target = fuzz_line(&rest);
  req.content_type = fuzz_line(&rest);
  req.authorization = fuzz_line(&rest);
  req.idempotency_key = fuzz_line(&rest);
  req.accept = fuzz_line(&rest);
  req.body = rest;
  req.host = "127.0.0.1:8080";
  req.client = "127.0.0.1";

  struct Answer {
    std::mutex mu;
    std::condition_variable cv;
    int calls = 0;
    qc::gw::HttpResponse response;
  };
  auto answer = std::make_shared<Answer>();
  env->service->handle(std::move(req), [answer](qc::gw::HttpResponse r) {
    std::lock_guard<std::mutex> lock(answer->mu);
    ++answer->calls;
    answer->response = std::move(r);
    answer->cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(answer->mu);
  FUZZ_CHECK(answer->cv.wait_for(lock, std::chrono::seconds(10), [&] { return answer->calls > 0; }));
  const qc::gw::HttpResponse& r = answer->response;
  fuzz_debug(std::to_string(r.status), std::string_view(r.body).substr(0, 160));
  FUZZ_CHECK(answer->calls == 1);
  FUZZ_CHECK(r.status >= 100 && r.status <= 599);
  if (r.status >= 400 && r.content_type == "application/json")
    FUZZ_CHECK(r.body.find("\"error\"") != std::string::npos);
  return 0;
}
