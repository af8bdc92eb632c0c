#include "server/live/hub.h"

#include "server/infra/batch.h"

#include <algorithm>
#include <cstring>
#include <new>

namespace qc::gw {

struct Hub::Entry {
  std::uint64_t hash = 0;
  std::uint32_t key_len = 0;
  std::uint32_t n = 0;                          // subscribers
  std::uint32_t per_format[kFormatCount] = {};  // subscribers by format
  TopicKind kind = TopicKind::kBoard;
  Sub first;                                    // subscriber 0 (when n > 0)
  std::vector<Sub> rest;                        // subscribers 1..n-1
  std::string session;                          // patient and own topics: the ticket's session
  bool own_booked = false;                      // own topics: set_own_booked()

  std::string_view key() const { return {reinterpret_cast<const char*>(this + 1), key_len}; }
  bool is(TopicKind k, std::string_view s) const { return kind == k && key() == s; }
  Sub& at(std::size_t i) { return i == 0 ? first : rest[i - 1]; }

  // One allocation: the entry, then the topic key's bytes.
  static Entry* make(TopicKind kind, std::string_view key, std::uint64_t hash) {
    void* p = ::operator new(sizeof(Entry) + key.size());
    auto* e = new (p) Entry();
    e->hash = hash;
    e->kind = kind;
    e->key_len = static_cast<std::uint32_t>(key.size());
    if (!key.empty()) std::memcpy(static_cast<void*>(e + 1), key.data(), key.size());
    return e;
  }
  static void destroy(Entry* e) {
    e->~Entry();
    ::operator delete(static_cast<void*>(e));
  }
};

Hub::~Hub() {
  for (Slot& s : slots_)
    if (s.entry) Entry::destroy(s.entry);
}

std::string Hub::session_of(const Topic& topic) const {
  const Entry* e = find(topic);
  return e ? e->session : std::string();
}

void Hub::disconnect_all() {
  for (Slot& s : slots_) {
    if (!s.entry) continue;
    for (std::size_t i = 0; i < s.entry->n; ++i)
      if (auto sub = s.entry->at(i).w.lock()) sub->reconnect_elsewhere();
    Entry::destroy(s.entry);
    s = Slot{};
  }
  used_ = 0;
  count_ = 0;
  patients_by_session_.clear();
  booked_by_session_.clear();
  last_ = nullptr;
}

Hub::Entry* Hub::find(TopicKind kind, std::string_view key, std::uint64_t hash) const {
  if (slots_.empty()) return nullptr;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (!s.entry) return nullptr;
    if (s.hash == hash && s.entry->is(kind, key)) return s.entry;
  }
}

Hub::Entry* Hub::find(const Topic& topic) const {
  if (last_ && last_->is(topic.kind, topic.key)) return last_;
  Entry* e = find(topic.kind, topic.key, topic_hash(topic.kind, topic.key));
  if (e) last_ = e;
  return e;
}

void Hub::grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.resize(old.empty() ? 16 : old.size() * 2);
  const std::size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (!s.entry) continue;
    std::size_t i = s.hash & mask;
    while (slots_[i].entry) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

Hub::Entry* Hub::insert(const Topic& topic, std::uint64_t hash) {
  if ((used_ + 1) * 2 > slots_.size()) grow();
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = hash & mask;
  while (slots_[i].entry) i = (i + 1) & mask;
  slots_[i] = Slot{hash, Entry::make(topic.kind, topic.key, hash)};
  ++used_;
  return slots_[i].entry;
}

void Hub::erase(Entry* e) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = e->hash & mask;
  while (slots_[i].entry != e) i = (i + 1) & mask;
  // Backward-shift deletion: no tombstones, probe chains stay short.
  slots_[i] = Slot{};
  for (std::size_t j = (i + 1) & mask; slots_[j].entry; j = (j + 1) & mask) {
    const std::size_t k = slots_[j].hash & mask;  // where slot j's entry wants to be
    const bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
    if (stays) continue;
    slots_[i] = slots_[j];
    slots_[j] = Slot{};
    i = j;
  }
  --used_;
  if (last_ == e) last_ = nullptr;
  Entry::destroy(e);
}

void Hub::drop_sub(Entry* e, std::size_t i, std::size_t* count) {
  --e->per_format[static_cast<int>(e->at(i).format)];
  const std::size_t last = e->n - 1;
  if (i != last) e->at(i) = std::move(e->at(last));
  if (last == 0) {
    e->first = Sub{};
  } else {
    e->rest.pop_back();
    if (e->rest.empty()) std::vector<Sub>().swap(e->rest);
  }
  --e->n;
  --*count;
}

void Hub::add(const Topic& topic, const std::string& session, std::shared_ptr<Subscriber> s) {
  const std::uint64_t h = topic_hash(topic.kind, topic.key);
  Entry* e = find(topic.kind, topic.key, h);
  if (!e) e = insert(topic, h);
  for (std::size_t i = 0; i < e->n; ++i) {
    const auto& w = e->at(i).w;
    if (!w.owner_before(s) && !s.owner_before(w)) return;  // already subscribed
  }
  const Format f = s->format();
  Sub sub{s, s.get(), f};
  if (e->n == 0)
    e->first = std::move(sub);
  else
    e->rest.push_back(std::move(sub));
  ++e->n;
  ++e->per_format[static_cast<int>(f)];
  ++count_;
  if (session.empty() || !topic.of_ticket()) return;
  e->session = session;  // own topics: for set_own_booked()
  if (topic.kind == TopicKind::kPatient) patients_by_session_[session].insert(topic.key);
}

void Hub::erase_if_empty(Entry* e) {
  if (e->n != 0) return;
  if (e->own_booked) {
    auto b = booked_by_session_.find(e->session);
    if (b != booked_by_session_.end()) {
      b->second.erase(std::string(e->key()));
      if (b->second.empty()) booked_by_session_.erase(b);
    }
  }
  if (!e->session.empty() && e->kind == TopicKind::kPatient) {
    auto p = patients_by_session_.find(e->session);
    if (p != patients_by_session_.end()) {
      p->second.erase(std::string(e->key()));
      if (p->second.empty()) patients_by_session_.erase(p);
    }
  }
  erase(e);
}

void Hub::remove(const Topic& topic, const std::weak_ptr<Subscriber>& s) {
  Entry* e = find(topic);
  if (!e) return;
  for (std::size_t i = 0; i < e->n;) {
    const auto& w = e->at(i).w;
    bool same = !w.owner_before(s) && !s.owner_before(w);
    if (same || w.expired())
      drop_sub(e, i, &count_);
    else
      ++i;
  }
  erase_if_empty(e);
}

bool Hub::has(const Topic& topic, Format f) const {
  Entry* e = find(topic);
  return e && e->per_format[static_cast<int>(f)] > 0;
}

bool Hub::has(TopicKind kind, std::string_view key, Format f) const {
  Entry* e = find(kind, key, topic_hash(kind, key));
  return e && e->per_format[static_cast<int>(f)] > 0;
}

bool Hub::has_any(const Topic& topic) const { return find(topic) != nullptr; }

std::size_t Hub::publish(const Topic& topic, Format f, const Frame& frame) {
  Entry* e = find(topic);
  if (!e || e->per_format[static_cast<int>(f)] == 0) return 0;
  Batch batch;  // one wake-up per network thread for all of them
  std::size_t n = 0;
  for (std::size_t i = 0; i < e->n;) {
    Sub& sub = e->at(i);
    if (i + 1 < e->n) {
      // The next subscriber (its control block is next to it with
      // make_shared) comes into the cache while this one is served.
      const char* p = static_cast<const char*>(e->at(i + 1).hint);
      for (int off = -64; off < 256; off += 64) __builtin_prefetch(p + off);
    }
    if (sub.format != f) {
      ++i;
    } else if (auto s = sub.w.lock()) {
      s->deliver(topic, frame);
      ++n;
      ++i;
    } else {
      drop_sub(e, i, &count_);
    }
  }
  erase_if_empty(e);
  return n;
}

const std::unordered_set<std::string>* Hub::patient_tickets(const std::string& session) const {
  auto it = patients_by_session_.find(session);
  return it == patients_by_session_.end() ? nullptr : &it->second;
}

void Hub::set_own_booked(const Topic& topic, bool booked) {
  if (topic.kind != TopicKind::kOwn) return;
  Entry* e = find(topic);
  if (!e || e->session.empty() || e->own_booked == booked) return;
  e->own_booked = booked;
  if (booked) {
    booked_by_session_[e->session].insert(topic.key);
    return;
  }
  auto b = booked_by_session_.find(e->session);
  if (b == booked_by_session_.end()) return;
  b->second.erase(topic.key);
  if (b->second.empty()) booked_by_session_.erase(b);
}

const std::unordered_set<std::string>* Hub::booked_own_tickets(const std::string& session) const {
  auto it = booked_by_session_.find(session);
  return it == booked_by_session_.end() ? nullptr : &it->second;
}

}  // namespace qc::gw
