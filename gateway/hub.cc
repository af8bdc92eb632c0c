#include "gateway/hub.h"

#include <algorithm>

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
std::string board_topic(std::string_view id) { return "b/" + std::string(id); }
std::string staff_topic(std::string_view id) { return "s/" + std::string(id); }
std::string display_topic(std::string_view id) { return "d/" + std::string(id); }

Hub::Map::value_type* Hub::find(const std::string& topic) const {
  if (last_ && last_->first == topic) return last_;
  auto& map = const_cast<Map&>(topics_);
  auto it = map.find(topic);
  if (it == map.end()) return nullptr;
  last_ = &*it;
  return last_;
}

void Hub::add(const std::string& topic, const std::string& session, std::shared_ptr<Subscriber> s) {
  Entry& e = topics_[topic];
  auto& list = e.subs[static_cast<int>(s->format())];
  for (auto& w : list) {
    if (!w.owner_before(s) && !s.owner_before(w)) return;  // already subscribed
  }
  list.push_back(s);
  ++count_;
  if (topic.rfind("p/", 0) == 0 && !session.empty()) {
    e.session = session;
    patients_by_session_[session].insert(topic.substr(2));
  }
}

void Hub::erase_if_empty(Map::value_type* e) {
  for (auto& l : e->second.subs)
    if (!l.empty()) return;
  if (!e->second.session.empty()) {
    auto p = patients_by_session_.find(e->second.session);
    if (p != patients_by_session_.end()) {
      p->second.erase(e->first.substr(2));
      if (p->second.empty()) patients_by_session_.erase(p);
    }
  }
  last_ = nullptr;
  topics_.erase(e->first);
}

void Hub::remove(const std::string& topic, const std::weak_ptr<Subscriber>& s) {
  auto* e = find(topic);
  if (!e) return;
  for (auto& list : e->second.subs) {
    for (std::size_t i = 0; i < list.size();) {
      bool same = !list[i].owner_before(s) && !s.owner_before(list[i]);
      if (same || list[i].expired()) {
        list[i] = std::move(list.back());
        list.pop_back();
        --count_;
      } else {
        ++i;
      }
    }
  }
  erase_if_empty(e);
}

bool Hub::has(const std::string& topic, Format f) const {
  auto* e = find(topic);
  return e && !e->second.subs[static_cast<int>(f)].empty();
}

bool Hub::has_any(const std::string& topic) const { return find(topic) != nullptr; }

std::size_t Hub::publish(const std::string& topic, Format f, const Frame& frame) {
  auto* e = find(topic);
  if (!e) return 0;
  DeliveryBatch batch;  // one wake-up per network thread for all of them
  auto& list = e->second.subs[static_cast<int>(f)];
  std::size_t n = 0;
  for (std::size_t i = 0; i < list.size();) {
    if (auto s = list[i].lock()) {
      s->deliver(topic, frame);
      ++n;
      ++i;
    } else {
      list[i] = std::move(list.back());
      list.pop_back();
      --count_;
    }
  }
  if (list.empty()) erase_if_empty(e);
  return n;
}

const std::unordered_set<std::string>* Hub::patient_tickets(const std::string& session) const {
  auto it = patients_by_session_.find(session);
  return it == patients_by_session_.end() ? nullptr : &it->second;
}

}  // namespace qc::gw
