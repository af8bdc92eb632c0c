// What waits to be sent to one WebSocket client: conflated views (at most
// one frame per topic, the newest) and a short queue of control frames
// (errors, pongs). Pure data structure; the connection guards it with its
// own mutex (shard threads put, the connection's strand takes).
//
// Order: control frames first, then views in the order their topics first
// became pending. `bytes()` counts everything pending (not what is being
// written); the connection compares it with its backlog bound.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gateway/hub.h"

namespace qc::gw {

class Outbox {
 public:
  explicit Outbox(std::size_t max_control = 32) : max_control_(max_control) {}
  // Returns true when it replaced an older pending frame of the topic.
  bool put(const std::string& topic, Frame frame);
  // False (and nothing queued) when the control queue is full.
  bool put_control(std::shared_ptr<const std::string> bytes);
  // The next frame to send; false when empty.
  bool take(Frame* out);
  void clear();
  bool empty() const { return views_.empty() && control_.empty(); }
  std::size_t bytes() const { return bytes_; }
  std::size_t views() const { return views_.size(); }

 private:
  std::size_t max_control_;
  std::vector<std::pair<std::string, Frame>> views_;
  std::deque<std::shared_ptr<const std::string>> control_;
  std::size_t bytes_ = 0;
};

}  // namespace qc::gw
