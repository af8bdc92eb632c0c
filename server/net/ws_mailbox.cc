#include "server/net/ws_mailbox.h"

#include <cstring>

#include "server/wire/ws_frame.h"

namespace qc::gw::net {

std::uint32_t WsMailbox::Topics::find_or_add(const Topic& t, bool* added) {
  const std::string& k = t.key;
  if (first_len_ != 0 && t.kind == first_kind_ && k.size() == first_len_ &&
      std::memcmp(first_, k.data(), k.size()) == 0)
    return 0;
  const std::uint32_t base = first_len_ != 0 ? 1 : 0;
  for (std::size_t i = 0; i < rest_.size(); ++i)
    if (rest_[i] == t) return base + static_cast<std::uint32_t>(i);
  *added = true;
  if (first_len_ == 0 && rest_.empty() && !k.empty() && k.size() <= kInline) {
    std::memcpy(first_, k.data(), k.size());
    first_len_ = static_cast<std::uint8_t>(k.size());
    first_kind_ = t.kind;
    return 0;
  }
  rest_.push_back(t);
  return base + static_cast<std::uint32_t>(rest_.size() - 1);
}

std::vector<Topic> WsMailbox::Topics::all() const {
  std::vector<Topic> out;
  if (first_len_ != 0) out.push_back(Topic{first_kind_, std::string(first_, first_len_)});
  out.insert(out.end(), rest_.begin(), rest_.end());
  return out;
}

WsMailbox::~WsMailbox() {
  metrics_.subscriptions.fetch_sub(static_cast<std::int64_t>(topics_.size()), std::memory_order_relaxed);
  metrics_.ws_frames_pending.fetch_sub(static_cast<std::int64_t>(outbox_.views()), std::memory_order_relaxed);
}

void WsMailbox::count_pending_locked(std::size_t before) {
  const std::size_t after = outbox_.views();
  if (after != before)
    metrics_.ws_frames_pending.fetch_add(static_cast<std::int64_t>(after) - static_cast<std::int64_t>(before),
                                         std::memory_order_relaxed);
}

bool WsMailbox::deliver(const Topic& topic, Frame frame, std::size_t backlog_bytes) {
  std::lock_guard lock(mu_);
  if (closing_) return false;
  const std::size_t before = outbox_.views();
  if (outbox_.put(topic_index_locked(topic), std::move(frame)))
    metrics_.ws_frames_conflated.fetch_add(1, std::memory_order_relaxed);
  count_pending_locked(before);
  check_backlog_locked(backlog_bytes);
  return wake_locked();
}

bool WsMailbox::put_control(std::shared_ptr<const std::string> bytes, std::size_t backlog_bytes) {
  std::lock_guard lock(mu_);
  if (closing_) return false;
  if (!outbox_.put_control(std::move(bytes))) too_slow_ = true;
  check_backlog_locked(backlog_bytes);
  return wake_locked();
}

bool WsMailbox::request_close(std::uint16_t code, const char* reason) {
  std::lock_guard lock(mu_);
  request_close_locked(code, reason);
  return wake_locked();
}

bool WsMailbox::reserve_subscribe(int max) {
  std::lock_guard lock(mu_);
  if (static_cast<int>(topics_.size() + pending_subscribes_) >= max) return false;
  ++pending_subscribes_;
  return true;
}

bool WsMailbox::failed_locked(std::shared_ptr<const std::string> error, bool auth_failure) {
  if (!outbox_.put_control(std::move(error))) too_slow_ = true;
  if (auth_failure && ++failed_subscribes_ >= kMaxFailedSubscribes)
    request_close_locked(ws::kClosePolicy, "too many failed subscriptions");
  return wake_locked();
}

bool WsMailbox::subscribe_ok(const std::vector<Topic>& topics,
                             std::shared_ptr<const std::string> confirmation, bool* wake) {
  std::lock_guard lock(mu_);
  --pending_subscribes_;
  *wake = false;
  if (closing_) return false;
  for (const Topic& t : topics) topic_index_locked(t);
  if (!confirmation) return true;
  if (!outbox_.put_control(std::move(confirmation))) too_slow_ = true;
  *wake = wake_locked();
  return true;
}

std::vector<Topic> WsMailbox::topics() const {
  std::lock_guard lock(mu_);
  return topics_.all();
}

std::size_t WsMailbox::topic_count() const {
  std::lock_guard lock(mu_);
  return topics_.size();
}

bool WsMailbox::claim(unsigned events, bool take_frames, std::vector<Frame>* frames, Mail* mail) {
  std::lock_guard lock(mu_);
  if (busy_) {
    again_ |= events;
    return false;
  }
  busy_ = true;
  take_locked(take_frames, frames, mail);
  return true;
}

bool WsMailbox::next(bool take_frames, std::vector<Frame>* frames, Mail* mail, unsigned* events) {
  std::lock_guard lock(mu_);
  take_locked(take_frames, frames, mail);
  if (again_ == 0 && !mail->any) {
    busy_ = false;
    return false;
  }
  *events = again_;
  again_ = 0;
  return true;
}

void WsMailbox::close() {
  std::lock_guard lock(mu_);
  closing_ = true;
  const std::size_t before = outbox_.views();
  outbox_.clear();
  count_pending_locked(before);
}

void WsMailbox::set_unsent(std::size_t bytes, std::size_t backlog_bytes) {
  std::lock_guard lock(mu_);
  unsent_bytes_ = bytes;
  check_backlog_locked(backlog_bytes);
}

void WsMailbox::clear_unsent() {
  std::lock_guard lock(mu_);
  unsent_bytes_ = 0;
}

// Has a network thread run the connection: the one already running it loops
// once more, or (true) the caller queues it on its loop.
bool WsMailbox::wake_locked() {
  if (busy_) {
    again_ |= kFlushEvent;
    return false;
  }
  if (queued_) return false;
  queued_ = true;
  return true;
}

void WsMailbox::check_backlog_locked(std::size_t backlog_bytes) {
  if (outbox_.bytes() + unsent_bytes_ > backlog_bytes) too_slow_ = true;
}

void WsMailbox::request_close_locked(std::uint16_t code, const char* reason) {
  if (closing_ || close_code_ != 0) return;
  close_code_ = code;
  close_reason_ = reason;
}

std::uint32_t WsMailbox::topic_index_locked(const Topic& topic) {
  bool added = false;
  std::uint32_t i = topics_.find_or_add(topic, &added);
  if (added) metrics_.subscriptions.fetch_add(1, std::memory_order_relaxed);
  return i;
}

void WsMailbox::take_locked(bool take_frames, std::vector<Frame>* frames, Mail* mail) {
  queued_ = false;
  *mail = Mail{};
  if (too_slow_ && !closing_) {
    mail->slow = true;
    mail->any = true;
  } else if (close_code_ != 0 && !closing_) {
    mail->close = close_code_;
    mail->reason = close_reason_;
    close_code_ = 0;
    mail->any = true;
  } else if (take_frames && !outbox_.empty()) {
    const std::size_t before = outbox_.views();
    outbox_.take_all(frames);
    count_pending_locked(before);
    mail->any = true;
  }
}

}  // namespace qc::gw::net
