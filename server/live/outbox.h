// What waits to be sent to one WebSocket client: conflated views (at most
// one frame per topic, the newest) and a short queue of control frames
// (errors, pongs). Pure data structure; the connection guards it with its
// own mutex (shard threads put, the connection's network thread takes).
//
// Topics are small integers chosen by the connection (the index of the
// topic in its own subscription list), so a put never copies a string.
//
// Order: control frames first, then views in the order their topics first
// became pending. `bytes()` counts everything pending (not what is being
// written); the connection compares it with its backlog bound.
//
// Memory: an empty outbox holds no heap memory; the first pending view is
// stored inline (a connection usually follows one topic), further ones and
// control frames in vectors that are freed when taken.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "server/live/subscriber.h"

namespace qc::gw {

class Outbox {
 public:
  explicit Outbox(std::size_t max_control = 32) : max_control_(max_control) {}
  // Returns true when it replaced an older pending frame of the topic.
  bool put(std::uint32_t topic, Frame frame);
  // False (and nothing queued) when the control queue is full.
  bool put_control(std::shared_ptr<const std::string> bytes);
  // The next frame to send; false when empty.
  bool take(Frame* out);
  // Appends every pending frame to *out in send order and empties the outbox.
  void take_all(std::vector<Frame>* out);
  void clear();
  bool empty() const { return !has_first_ && control_.empty(); }
  std::size_t bytes() const { return bytes_; }
  std::size_t views() const { return (has_first_ ? 1 : 0) + more_.size(); }

 private:
  struct View {
    std::uint32_t topic = 0;
    Frame frame;
  };
  std::size_t max_control_;
  View first_;  // the oldest pending view (valid when has_first_)
  bool has_first_ = false;
  std::vector<View> more_;
  std::vector<std::shared_ptr<const std::string>> control_;
  std::size_t bytes_ = 0;
};

}  // namespace qc::gw
