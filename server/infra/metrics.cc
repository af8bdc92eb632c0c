#include "server/infra/metrics.h"

#include <cstdio>
#include <utility>
#include <variant>

#include "engine/command.h"
#include "engine/types.h"

namespace qc::gw {

void Histogram::observe_us(double us) {
  std::size_t i = 0;
  while (i < kBoundsUs.size() && us > kBoundsUs[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(static_cast<std::uint64_t>(us < 0 ? 0 : us), std::memory_order_relaxed);
}

void Histogram::render(const std::string& name, const std::string& help, std::string* out) const {
  char buf[256];
  *out += "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
  std::uint64_t cum = 0;
  for (std::size_t i = 0; i < kBoundsUs.size(); ++i) {
    cum += buckets_[i].load(std::memory_order_relaxed);
    std::snprintf(buf, sizeof buf, "%s_bucket{le=\"%g\"} %llu\n", name.c_str(),
                  kBoundsUs[i] / 1e6, static_cast<unsigned long long>(cum));
    *out += buf;
  }
  cum += buckets_[kBoundsUs.size()].load(std::memory_order_relaxed);
  std::snprintf(buf, sizeof buf, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n",
                name.c_str(), static_cast<unsigned long long>(cum), name.c_str(),
                static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6, name.c_str(),
                static_cast<unsigned long long>(count_.load(std::memory_order_relaxed)));
  *out += buf;
}

static_assert(kCommandKinds == std::variant_size_v<CommandBody>,
              "kCommandKinds (metrics.h) must be the number of CommandBody alternatives");
static_assert(kErrorKinds == kErrorCount, "kErrorKinds (metrics.h) must be kErrorCount");

void Metrics::count_command(std::size_t k, std::size_t c) {
  if (k < commands.size() && c < commands[k].size())
    commands[k][c].fetch_add(1, std::memory_order_relaxed);
}

namespace {

CommandBody body_of_index(std::size_t i) {
  CommandBody b;
  // Build a default-constructed alternative #i (all are default-constructible).
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((i == I ? (b = std::variant_alternative_t<I, CommandBody>{}, 0) : 0), ...);
  }(std::make_index_sequence<kCommandKinds>{});
  return b;
}

void line(std::string* out, const char* fmt, auto... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, args...);
  *out += buf;
}

}  // namespace

std::string Metrics::render() const {
  std::string out;
  out.reserve(8192);
  out += "# HELP queuecast_commands_total Commands by name and result (ok = applied).\n";
  out += "# TYPE queuecast_commands_total counter\n";
  for (std::size_t k = 0; k < commands.size(); ++k) {
    std::string name(command_name(body_of_index(k)));
    for (std::size_t c = 0; c < kErrorCount; ++c) {
      auto v = commands[k][c].load(std::memory_order_relaxed);
      if (v == 0) continue;
      std::string code = c == 0 ? "ok" : std::string(to_string(static_cast<Error>(c)));
      line(&out, "queuecast_commands_total{command=\"%s\",code=\"%s\"} %llu\n", name.c_str(),
           code.c_str(), static_cast<unsigned long long>(v));
    }
  }
  auto counter = [&](const char* name, const char* help, std::uint64_t v) {
    line(&out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
         static_cast<unsigned long long>(v));
  };
  auto gauge = [&](const char* name, const char* help, std::int64_t v) {
    line(&out, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", name, help, name, name,
         static_cast<long long>(v));
  };
  out += "# HELP queuecast_http_responses_total HTTP responses by status class.\n";
  out += "# TYPE queuecast_http_responses_total counter\n";
  for (int i = 1; i <= 5; ++i)
    line(&out, "queuecast_http_responses_total{class=\"%dxx\"} %llu\n", i,
         static_cast<unsigned long long>(http_by_class[i].load()));
  gauge("queuecast_http_connections", "Open HTTP connections.", http_connections.load());
  gauge("queuecast_ws_connections", "Open WebSocket connections.", ws_connections.load());
  gauge("queuecast_subscriptions", "Live view subscriptions.", subscriptions.load());
  gauge("queuecast_ws_frames_pending", "Views waiting for a network thread (the push backlog).",
        ws_frames_pending.load());
  counter("queuecast_push_throttled_total", "Times a shard held its next group back for the push backlog.",
          push_throttled.load());
  counter("queuecast_ws_frames_sent_total", "View and control frames written.", ws_frames_sent.load());
  counter("queuecast_ws_frames_conflated_total", "Views replaced by a newer one before sending.",
          ws_frames_conflated.load());
  counter("queuecast_ws_closed_slow_total", "Connections closed with 4000 (too slow).",
          ws_closed_slow.load());
  counter("queuecast_ws_closed_rate_total", "Connections closed with 4029 (rate).",
          ws_closed_rate.load());
  counter("queuecast_ws_closed_too_big_total", "Connections closed with 1009 (too big).",
          ws_closed_too_big.load());
  counter("queuecast_connections_refused_total", "Connections refused by the per-address cap.",
          connections_refused.load());
  counter("queuecast_rate_limited_total", "Requests refused with rate_limited.", rate_limited.load());
  counter("queuecast_journal_failures_total", "Group commits the journal refused.",
          journal_failures.load());
  counter("queuecast_commits_total", "Group commits.", commits.load());
  counter("queuecast_committed_records_total", "Journal records committed.",
          committed_records.load());
  counter("queuecast_batches_total", "POST /v1/commands:batch requests read.", batches.load());
  counter("queuecast_batch_commands_total", "Commands those batches carried.",
          batch_commands.load());
  gauge("queuecast_partitions_served", "Cluster: partitions this node serves.", partitions_served.load());
  counter("queuecast_takeovers_total", "Cluster: partitions this node started serving.", takeovers.load());
  counter("queuecast_stepdowns_total", "Cluster: partitions this node stopped serving.", stepdowns.load());
  counter("queuecast_cluster_conflicts_total",
          "Cluster: commits refused because an id they create belongs to another partition.",
          cluster_conflicts.load());
  counter("queuecast_forwarded_requests_total", "Cluster: requests forwarded to the owner node.",
          forwarded.load());
  counter("queuecast_forward_failures_total", "Cluster: forwarded requests that got no answer.",
          forward_failures.load());
  counter("queuecast_lease_renew_failures_total", "Cluster: lease renewals that failed.",
          lease_renew_failures.load());
  commit_latency.render("queuecast_commit_latency_seconds", "Journal append of one group commit.", &out);
  push_latency.render("queuecast_push_latency_seconds", "View published to frame written.", &out);
  request_latency.render("queuecast_http_request_seconds", "HTTP request handling time.", &out);
  if (pubsub_lag.count() > 0)
    pubsub_lag.render("queuecast_pubsub_lag_seconds",
                      "Cluster: a view message from its owner's publication to its arrival here.", &out);
  if (extra) extra(&out);
  return out;
}

}  // namespace qc::gw
