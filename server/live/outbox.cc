#include "server/live/outbox.h"

#include <utility>

namespace qc::gw {

bool Outbox::put(std::uint32_t topic, Frame frame) {
  const std::size_t n = frame.bytes ? frame.bytes->size() : 0;
  auto replace = [&](View& v) {
    bytes_ -= v.frame.bytes ? v.frame.bytes->size() : 0;
    bytes_ += n;
    v.frame = std::move(frame);
    return true;
  };
  if (has_first_ && first_.topic == topic) return replace(first_);
  for (View& v : more_)
    if (v.topic == topic) return replace(v);
  bytes_ += n;
  if (!has_first_) {
    first_.topic = topic;
    first_.frame = std::move(frame);
    has_first_ = true;
  } else {
    more_.push_back(View{topic, std::move(frame)});
  }
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
    control_.erase(control_.begin());
    if (control_.empty()) std::vector<std::shared_ptr<const std::string>>().swap(control_);
  } else if (has_first_) {
    *out = std::move(first_.frame);
    if (more_.empty()) {
      has_first_ = false;
    } else {
      first_ = std::move(more_.front());
      more_.erase(more_.begin());
      if (more_.empty()) std::vector<View>().swap(more_);
    }
  } else {
    return false;
  }
  bytes_ -= out->bytes ? out->bytes->size() : 0;
  return true;
}

void Outbox::take_all(std::vector<Frame>* out) {
  if (!control_.empty()) {
    for (auto& c : control_) out->push_back(Frame{std::move(c), {}});
    std::vector<std::shared_ptr<const std::string>>().swap(control_);
  }
  if (has_first_) {
    out->push_back(std::move(first_.frame));
    has_first_ = false;
    if (!more_.empty()) {
      for (View& v : more_) out->push_back(std::move(v.frame));
      std::vector<View>().swap(more_);
    }
  }
  bytes_ = 0;
}

void Outbox::clear() {
  first_.frame = Frame{};
  has_first_ = false;
  std::vector<View>().swap(more_);
  std::vector<std::shared_ptr<const std::string>>().swap(control_);
  bytes_ = 0;
}

}  // namespace qc::gw
