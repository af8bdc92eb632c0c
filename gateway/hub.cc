#include "gateway/hub.h"

namespace qc::gw {

std::string patient_topic(std::string_view id) { return "p/" + std::string(id); }
std::string board_topic(std::string_view id) { return "b/" + std::string(id); }
std::string staff_topic(std::string_view id) { return "s/" + std::string(id); }
std::string display_topic(std::string_view id) { return "d/" + std::string(id); }

void Hub::add(const std::string& topic, const std::string& session, std::shared_ptr<Subscriber> s) {
  Entry& e = topics_[topic];
  auto& list = e.subs[static_cast<int>(s->format())];
  for (auto& w : list) {
    auto l = w.lock();
    if (l.get() == s.get()) return;  // already subscribed
  }
  list.push_back(s);
  ++count_;
  if (topic.rfind("p/", 0) == 0 && !session.empty()) {
    e.session = session;
    patients_by_session_[session].insert(topic.substr(2));
  }
}

void Hub::erase_if_empty(std::unordered_map<std::string, Entry>::iterator it,
                         const std::string& topic) {
  for (auto& l : it->second.subs)
    if (!l.empty()) return;
  if (!it->second.session.empty()) {
    auto p = patients_by_session_.find(it->second.session);
    if (p != patients_by_session_.end()) {
      p->second.erase(topic.substr(2));
      if (p->second.empty()) patients_by_session_.erase(p);
    }
  }
  topics_.erase(it);
}

void Hub::remove(const std::string& topic, const std::weak_ptr<Subscriber>& s) {
  auto it = topics_.find(topic);
  if (it == topics_.end()) return;
  for (auto& list : it->second.subs) {
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
  erase_if_empty(it, topic);
}

bool Hub::has(const std::string& topic, Format f) const {
  auto it = topics_.find(topic);
  return it != topics_.end() && !it->second.subs[static_cast<int>(f)].empty();
}

bool Hub::has_any(const std::string& topic) const { return topics_.count(topic) != 0; }

std::size_t Hub::publish(const std::string& topic, Format f, const Frame& frame) {
  auto it = topics_.find(topic);
  if (it == topics_.end()) return 0;
  auto& list = it->second.subs[static_cast<int>(f)];
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
  if (list.empty()) erase_if_empty(it, topic);
  return n;
}

const std::unordered_set<std::string>* Hub::patient_tickets(const std::string& session) const {
  auto it = patients_by_session_.find(session);
  return it == patients_by_session_.end() ? nullptr : &it->second;
}

}  // namespace qc::gw
