// What a live subscriber is to the shards: a connection that takes frames
// (server/live/hub.h delivers them on a shard thread). A header of its own,
// without the engine, so that the network layer can be a subscriber.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "server/live/topic.h"
#include "server/wire/format.h"

namespace qc::gw {

struct Frame {
  std::shared_ptr<const std::string> bytes;
  std::chrono::steady_clock::time_point published{};
};

class Subscriber {
 public:
  virtual ~Subscriber() = default;
  virtual Format format() const = 0;
  // Conflated: replaces a pending frame of the same topic. Thread-safe.
  virtual void deliver(const Topic& topic, Frame frame) = 0;
  // Not conflated (errors, pongs); bounded by the connection. Thread-safe.
  virtual void send_control(std::shared_ptr<const std::string> bytes) = 0;
  // Cluster mode: the partition this subscriber follows is no longer served
  // here; the connection is closed (WebSocket 1012, "service restart") so
  // that the client reconnects and resubscribes with its versions where it
  // is served now. Thread-safe.
  virtual void reconnect_elsewhere() {}
};

}  // namespace qc::gw
