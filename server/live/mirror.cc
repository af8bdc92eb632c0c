#include "server/live/mirror.h"

#include "server/infra/batch.h"

#include <algorithm>
#include <chrono>

namespace qc::gw {

Mirror::Mirror(int partitions, Histogram* lag) : lag_(lag) {
  for (int p = 0; p < partitions; ++p) parts_.push_back(std::make_unique<Part>());
}

void Mirror::on_message(std::string_view bytes) {
  int p = 0;
  std::uint64_t epoch = 0, seq = 0, published_us = 0;
  if (!read_views_header(&bytes, &p, &epoch, &seq, &published_us) || p < 0 ||
      p >= static_cast<int>(parts_.size()))
    return;
  if (lag_) {
    const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    lag_->observe_us(static_cast<double>(std::max<std::int64_t>(0, now_us - static_cast<std::int64_t>(published_us))));
  }
  Part& part = *parts_[static_cast<std::size_t>(p)];
  // Every view of the message wakes each network thread once, when the
  // batch ends (after the lock is released), not once per view.
  Batch batch;
  std::lock_guard lock(part.mu);
  if (epoch < part.epoch || (epoch == part.epoch && seq <= part.seq)) {
    ++part.stale;  // a deposed owner's late message, or a duplicate
    return;
  }
  if (epoch > part.epoch) {
    reset_locked(part, epoch);  // a new owner
  } else if (part.seq != 0 && seq != part.seq + 1) {
    // Messages were lost (the owner could not publish them): the followers
    // here resubscribe rather than keep a view that may be stale.
    reset_locked(part, epoch);
    ++part.gaps;
    part.seq = seq;
    return;
  }
  part.seq = seq;
  // A message holds the views every node follows: only those followed here
  // are copied (and, while a follow is on its way, kept for it).
  const auto now = std::chrono::steady_clock::now();
  TopicKind kind;
  Format format;
  std::string_view key, view;
  while (!bytes.empty() && read_view(&bytes, &kind, &format, &key, &view)) {
    const bool followed = part.hub.has(kind, key, format);
    if (!followed && part.pending == 0) continue;
    auto shared = std::make_shared<const std::string>(view);
    if (part.pending > 0) part.latest[{kind, std::string(key), static_cast<int>(format)}] = {seq, shared};
    if (followed) part.hub.publish(Topic{kind, std::string(key)}, format, Frame{std::move(shared), now});
  }
  if (part.latest.size() > 200'000) part.latest.clear();  // bounded; followers' views come again
}

void Mirror::expect(int p, std::uint64_t epoch) {
  if (p < 0 || p >= static_cast<int>(parts_.size())) return;
  Part& part = *parts_[static_cast<std::size_t>(p)];
  std::lock_guard lock(part.mu);
  if (epoch > part.epoch) reset_locked(part, epoch);
  ++part.pending;
}

void Mirror::done_waiting(Part& part) {
  if (part.pending > 0 && --part.pending == 0) part.latest.clear();
}

void Mirror::abandon(int p) {
  if (p < 0 || p >= static_cast<int>(parts_.size())) return;
  Part& part = *parts_[static_cast<std::size_t>(p)];
  std::lock_guard lock(part.mu);
  done_waiting(part);
}

bool Mirror::add(int p, const FollowAnswer& a, const std::shared_ptr<Subscriber>& client) {
  if (p < 0 || p >= static_cast<int>(parts_.size())) return false;
  Part& part = *parts_[static_cast<std::size_t>(p)];
  std::lock_guard lock(part.mu);
  struct Done {
    Mirror* m;
    Part& part;
    ~Done() { m->done_waiting(part); }
  } done{this, part};
  if (a.epoch > part.epoch) reset_locked(part, a.epoch);
  if (a.epoch != part.epoch) return false;
  const int f = static_cast<int>(client->format());
  for (const Topic& t : a.topics) {
    part.hub.add(t, std::string(), client);
    ++part.followers[{t.kind, t.key, f}];
    std::lock_guard sl(subs_mu_);
    subs_[client][{t.kind, t.key}] = {p, f};
  }
  const auto now = std::chrono::steady_clock::now();
  for (const RelayView& v : a.views) {
    auto it = part.latest.find({v.topic.kind, v.topic.key, static_cast<int>(v.format)});
    // A view published after the owner took these is newer: it replaces them.
    const bool newer = it != part.latest.end() && it->second.first > a.seq;
    client->deliver(v.topic, Frame{newer ? it->second.second : v.bytes, now});
  }
  // Topics without a first view (the client had its version) but changed since.
  for (const Topic& t : a.topics) {
    auto it = part.latest.find({t.kind, t.key, f});
    if (it == part.latest.end() || it->second.first <= a.seq) continue;
    bool sent = false;
    for (const RelayView& v : a.views) sent = sent || v.topic == t;
    if (!sent) client->deliver(t, Frame{it->second.second, now});
  }
  return true;
}

bool Mirror::remove(const Topic& topic, const std::weak_ptr<Subscriber>& sub, int* partition, Format* format,
                    bool* last) {
  int p = -1, f = 0;
  {
    std::lock_guard sl(subs_mu_);
    auto it = subs_.find(sub);
    if (it == subs_.end()) return false;
    auto t = it->second.find({topic.kind, topic.key});
    if (t == it->second.end()) return false;
    p = t->second.first;
    f = t->second.second;
    it->second.erase(t);
    if (it->second.empty()) subs_.erase(it);
  }
  *partition = p;
  *format = static_cast<Format>(f);
  *last = false;
  Part& part = *parts_[static_cast<std::size_t>(p)];
  std::lock_guard lock(part.mu);
  part.hub.remove(topic, sub);
  auto it = part.followers.find({topic.kind, topic.key, f});
  if (it != part.followers.end() && --it->second == 0) {
    part.followers.erase(it);
    *last = true;
  }
  return true;
}

void Mirror::reset_locked(Part& part, std::uint64_t new_epoch) {
  part.hub.disconnect_all();
  part.latest.clear();
  part.followers.clear();
  part.seq = 0;
  if (new_epoch > part.epoch) part.epoch = new_epoch;
}

void Mirror::reset(int p, std::uint64_t new_epoch) {
  if (p < 0 || p >= static_cast<int>(parts_.size())) return;
  Part& part = *parts_[static_cast<std::size_t>(p)];
  std::lock_guard lock(part.mu);
  reset_locked(part, new_epoch);
}

void Mirror::reset_all() {
  for (auto& part : parts_) {
    std::lock_guard lock(part->mu);
    reset_locked(*part, 0);
  }
}

std::uint64_t Mirror::epoch(int p) const {
  if (p < 0 || p >= static_cast<int>(parts_.size())) return 0;
  std::lock_guard lock(parts_[static_cast<std::size_t>(p)]->mu);
  return parts_[static_cast<std::size_t>(p)]->epoch;
}

std::uint64_t Mirror::stale_dropped() const {
  std::uint64_t n = 0;
  for (auto& part : parts_) {
    std::lock_guard lock(part->mu);
    n += part->stale;
  }
  return n;
}

}  // namespace qc::gw
