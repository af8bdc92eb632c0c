#include "server/live/hub.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <new>

namespace qc::gw {

// ------------------------------------------------------------- batches --

namespace {
struct BatchState {
  int depth = 0;
  std::vector<DeliveryBatch::Flusher*> deferred;
};
thread_local BatchState t_batch;
}  // namespace

DeliveryBatch::DeliveryBatch() { ++t_batch.depth; }

DeliveryBatch::~DeliveryBatch() {
  if (--t_batch.depth > 0) return;
  // A flusher may publish again (it does not today); loop until none left.
  while (!t_batch.deferred.empty()) {
    std::vector<Flusher*> run;
    run.swap(t_batch.deferred);
    for (Flusher* f : run) f->flush_deferred();
  }
}

bool DeliveryBatch::defer(Flusher* f) {
  if (t_batch.depth == 0) return false;
  auto& d = t_batch.deferred;
  if (std::find(d.begin(), d.end(), f) == d.end()) d.push_back(f);
  return true;
}

// -------------------------------------------------------------- topics --

std::string patient_topic(std::string_view id) { return "p/" + std::string(id); }
std::string own_topic(std::string_view id) { return "o/" + std::string(id); }
std::string board_topic(std::string_view id) { return "b/" + std::string(id); }
std::string staff_topic(std::string_view id) { return "s/" + std::string(id); }
std::string display_topic(std::string_view id) { return "d/" + std::string(id); }

struct Hub::Entry {
  std::uint64_t hash = 0;
  std::uint32_t key_len = 0;
  std::uint32_t n = 0;                          // subscribers
  std::uint32_t per_format[kFormatCount] = {};  // subscribers by format
  Sub first;                                    // subscriber 0 (when n > 0)
  std::vector<Sub> rest;                        // subscribers 1..n-1
  std::string session;                          // patient and own topics: the ticket's session
  bool own_booked = false;                      // own topics: set_own_booked()

  std::string_view key() const { return {reinterpret_cast<const char*>(this + 1), key_len}; }
  Sub& at(std::size_t i) { return i == 0 ? first : rest[i - 1]; }

  // One allocation: the entry, then the topic's bytes.
  static Entry* make(std::string_view key, std::uint64_t hash) {
    void* p = ::operator new(sizeof(Entry) + key.size());
    auto* e = new (p) Entry();
    e->hash = hash;
    e->key_len = static_cast<std::uint32_t>(key.size());
    if (!key.empty()) std::memcpy(static_cast<void*>(e + 1), key.data(), key.size());
    return e;
  }
  static void destroy(Entry* e) {
    e->~Entry();
    ::operator delete(static_cast<void*>(e));
  }
};

namespace {
std::uint64_t hash_of(std::string_view s) { return std::hash<std::string_view>{}(s); }
}  // namespace

Hub::~Hub() {
  for (Slot& s : slots_)
    if (s.entry) Entry::destroy(s.entry);
}

Hub::Entry* Hub::find(std::string_view topic, std::uint64_t hash) const {
  if (slots_.empty()) return nullptr;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (!s.entry) return nullptr;
    if (s.hash == hash && s.entry->key() == topic) return s.entry;
  }
}

Hub::Entry* Hub::find(std::string_view topic) const {
  if (last_ && last_->key() == topic) return last_;
  Entry* e = find(topic, hash_of(topic));
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

Hub::Entry* Hub::insert(std::string_view topic, std::uint64_t hash) {
  if ((used_ + 1) * 2 > slots_.size()) grow();
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = hash & mask;
  while (slots_[i].entry) i = (i + 1) & mask;
  slots_[i] = Slot{hash, Entry::make(topic, hash)};
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

void Hub::add(const std::string& topic, const std::string& session, std::shared_ptr<Subscriber> s) {
  const std::uint64_t h = hash_of(topic);
  Entry* e = find(topic, h);
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
  if (session.empty()) return;
  if (topic.rfind("p/", 0) == 0) {
    e->session = session;
    patients_by_session_[session].insert(topic.substr(2));
  } else if (topic.rfind("o/", 0) == 0) {
    e->session = session;  // for set_own_booked()
  }
}

void Hub::erase_if_empty(Entry* e) {
  if (e->n != 0) return;
  if (e->own_booked) {
    auto b = booked_by_session_.find(e->session);
    if (b != booked_by_session_.end()) {
      b->second.erase(std::string(e->key().substr(2)));
      if (b->second.empty()) booked_by_session_.erase(b);
    }
  }
  if (!e->session.empty() && e->key().substr(0, 2) == "p/") {
    auto p = patients_by_session_.find(e->session);
    if (p != patients_by_session_.end()) {
      p->second.erase(std::string(e->key().substr(2)));
      if (p->second.empty()) patients_by_session_.erase(p);
    }
  }
  erase(e);
}

void Hub::remove(const std::string& topic, const std::weak_ptr<Subscriber>& s) {
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

bool Hub::has(const std::string& topic, Format f) const {
  Entry* e = find(topic);
  return e && e->per_format[static_cast<int>(f)] > 0;
}

bool Hub::has_any(const std::string& topic) const { return find(topic) != nullptr; }

std::size_t Hub::publish(const std::string& topic, Format f, const Frame& frame) {
  Entry* e = find(topic);
  if (!e || e->per_format[static_cast<int>(f)] == 0) return 0;
  DeliveryBatch batch;  // one wake-up per network thread for all of them
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

void Hub::set_own_booked(const std::string& topic, bool booked) {
  if (topic.rfind("o/", 0) != 0) return;
  Entry* e = find(topic);
  if (!e || e->session.empty() || e->own_booked == booked) return;
  e->own_booked = booked;
  std::string id = topic.substr(2);
  if (booked) {
    booked_by_session_[e->session].insert(std::move(id));
    return;
  }
  auto b = booked_by_session_.find(e->session);
  if (b == booked_by_session_.end()) return;
  b->second.erase(id);
  if (b->second.empty()) booked_by_session_.erase(b);
}

const std::unordered_set<std::string>* Hub::booked_own_tickets(const std::string& session) const {
  auto it = booked_by_session_.find(session);
  return it == booked_by_session_.end() ? nullptr : &it->second;
}

}  // namespace qc::gw
