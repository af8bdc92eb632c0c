// The limits queuecastd puts on clients (docs/operations.md "Limits"): set
// from the configuration file's "limits" object or --limit NAME=VALUE
// (server/infra/config.h). A header of its own so that the network layer
// can depend on the limits without the rest of the configuration.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace qc::gw {

struct Limits {
  std::size_t http_body_bytes = 64 * 1024;
  std::size_t batch_commands = 1000;            // commands per POST /v1/commands:batch
  std::size_t ws_message_bytes = 4 * 1024;
  std::int64_t handshake_timeout_ms = 10'000;   // HTTP headers and WebSocket handshake
  std::int64_t idle_timeout_ms = 60'000;        // WebSocket: pings at half of it
  std::int64_t http_idle_timeout_ms = 30'000;   // keep-alive HTTP connection
  double ws_messages_per_second = 20;           // frames per connection (control frames too), sustained
  double ws_message_burst = 40;
  int connections_per_address = 1000;           // open connections, HTTP and WebSocket
  std::size_t send_backlog_bytes = 1 << 20;     // unsent bytes per client
  std::int64_t slow_timeout_ms = 10'000;        // one write pending longer: too slow
  int send_buffer_bytes = 0;                    // SO_SNDBUF of accepted sockets (0: OS default)
  double booking_per_patient_per_minute = 10;   // book/hold/walk-in per patient ref
  double booking_per_address_per_minute = 120;  // book/hold/walk-in per client address
  double requests_per_address_per_second = 0;   // every HTTP request (0: unlimited)
  int max_subscriptions_per_connection = 16;
  std::vector<std::string> allowed_origins;     // empty: same host only
};

}  // namespace qc::gw
