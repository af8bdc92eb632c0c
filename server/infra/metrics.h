// Process metrics, rendered in the Prometheus text format at /metrics.
//
// Counters and histograms are lock-free atomics: any thread may record.
#pragma once

#include <array>
#include <functional>
#include <atomic>
#include <cstdint>
#include <cstddef>
#include <string>

namespace qc::gw {

// Cumulative histogram with fixed bucket bounds in microseconds.
class Histogram {
 public:
  static constexpr std::array<double, 14> kBoundsUs = {
      50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000, 5000000};
  void observe_us(double us);
  // Appends the series `name` (seconds) with its # TYPE line.
  void render(const std::string& name, const std::string& help, std::string* out) const;
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<std::uint64_t>, kBoundsUs.size() + 1> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_us_{0};
};

// The engine's command kinds (alternatives of CommandBody, engine/command.h)
// and error codes (Error, engine/types.h): numbers here, so that this header
// (which the network layer sees) names no engine type; metrics.cc checks
// that they match the engine.
inline constexpr int kCommandKinds = 29;
inline constexpr int kErrorKinds = 25;

struct Metrics {
  // commands[kind][error]: kOk = applied.
  std::array<std::array<std::atomic<std::uint64_t>, kErrorKinds>, kCommandKinds> commands{};
  std::atomic<std::uint64_t> http_requests{0};
  std::array<std::atomic<std::uint64_t>, 6> http_by_class{};  // 1xx..5xx by status/100
  std::atomic<std::int64_t> http_connections{0};
  std::atomic<std::int64_t> ws_connections{0};
  std::atomic<std::int64_t> subscriptions{0};
  std::atomic<std::uint64_t> ws_frames_sent{0};
  std::atomic<std::uint64_t> ws_frames_conflated{0};  // replaced before being sent
  // Views waiting in the connections' outboxes for a network thread (the
  // push backlog; the shards bound it: RuntimeOptions::push_backlog).
  std::atomic<std::int64_t> ws_frames_pending{0};
  // Times a shard held its next group back for the push backlog.
  std::atomic<std::uint64_t> push_throttled{0};
  std::atomic<std::uint64_t> ws_closed_slow{0};
  std::atomic<std::uint64_t> ws_closed_rate{0};
  std::atomic<std::uint64_t> ws_closed_too_big{0};
  std::atomic<std::uint64_t> connections_refused{0};  // per-address cap
  std::atomic<std::uint64_t> rate_limited{0};
  std::atomic<std::uint64_t> journal_failures{0};
  std::atomic<std::uint64_t> commits{0};
  std::atomic<std::uint64_t> committed_records{0};
  std::atomic<std::uint64_t> batches{0};          // POST /v1/commands:batch read
  std::atomic<std::uint64_t> batch_commands{0};   // their commands
  // Cluster mode (docs/cluster.md).
  std::atomic<std::uint64_t> takeovers{0};          // partitions this node started serving
  std::atomic<std::uint64_t> stepdowns{0};          // partitions it stopped serving
  std::atomic<std::uint64_t> cluster_conflicts{0};  // commits refused: an id of another partition
  std::atomic<std::uint64_t> forwarded{0};          // requests forwarded to the owner node
  std::atomic<std::uint64_t> forward_failures{0};   // forwards that got no answer
  std::atomic<std::uint64_t> lease_renew_failures{0};
  std::atomic<std::int64_t> partitions_served{0};
  Histogram commit_latency;  // journal append of one group
  Histogram push_latency;    // view published -> frame written to the socket
  Histogram request_latency; // HTTP request read -> response ready
  Histogram pubsub_lag;      // cluster: a view message published by its owner -> received here

  // A command of `body`'s kind ended with `e` (a CommandBody and an Error).
  template <class Body, class Code>
  void count_command(const Body& body, Code e) {
    count_command(body.index(), static_cast<std::size_t>(e));
  }
  void count_command(std::size_t kind, std::size_t error);
  std::string render() const;
  // Appended by render(): metrics of parts that register later (cluster
  // mode: per partition). Set before the server starts.
  std::function<void(std::string* out)> extra;
};

}  // namespace qc::gw
