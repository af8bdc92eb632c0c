#include "gateway/outbox.h"

namespace qc::gw {

bool Outbox::put(const std::string& topic, Frame frame) {
  for (auto& [t, f] : views_) {
    if (t == topic) {
      bytes_ -= f.bytes->size();
      bytes_ += frame.bytes->size();
      f = std::move(frame);
      return true;
    }
  }
  bytes_ += frame.bytes->size();
  views_.emplace_back(topic, std::move(frame));
  return false;
}

bool Outbox::put_control(std::shared_ptr<const std::string> bytes) {
  if (control_.size() >= max_control_) return false;
  bytes_ += bytes->size();
  control_.push_back(std::move(bytes));
  return true;
}

bool Outbox::take(Frame* out) {
  if (!control_.empty()) {
    out->bytes = std::move(control_.front());
    out->published = {};
    control_.pop_front();
  } else if (!views_.empty()) {
    *out = std::move(views_.front().second);
    views_.erase(views_.begin());
  } else {
    return false;
  }
  bytes_ -= out->bytes->size();
  return true;
}

void Outbox::clear() {
  views_.clear();
  control_.clear();
  bytes_ = 0;
}

}  // namespace qc::gw
