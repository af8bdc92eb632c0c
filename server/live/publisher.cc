#include "server/live/publisher.h"

#include <chrono>
#include <memory>

#include "server/infra/batch.h"

namespace qc::gw {

void Changes::add(const std::vector<Event>& events) {
  for (const Event& ev : events) {
    if (ev.session_id.empty()) continue;
    sessions.insert(ev.session_id);
    if (!ev.ticket_id.empty()) {
      tickets_.push_back(ev.ticket_id);
      sorted_ = false;
    }
    switch (ev.type) {
      case EventType::kSessionPaused:
      case EventType::kSessionResumed:
      case EventType::kSessionSuspended:
      case EventType::kSessionClosed:
        statuses.insert(ev.session_id);
        break;
      default:
        break;
    }
  }
}

const std::vector<std::string>& Changes::tickets() const {
  if (!sorted_) {
    std::sort(tickets_.begin(), tickets_.end());
    tickets_.erase(std::unique(tickets_.begin(), tickets_.end()), tickets_.end());
    sorted_ = true;
  }
  return tickets_;
}

bool Changes::names_ticket(const std::string& id) const {
  const auto& t = tickets();
  return std::binary_search(t.begin(), t.end(), id);
}

namespace {

template <typename View>
void render(const Hub& hub, const Topic& topic, const View& v, Time now,
            std::chrono::steady_clock::time_point t, std::vector<Publication>* out) {
  for (int f = 0; f < kFormatCount; ++f) {
    const auto format = static_cast<Format>(f);
    if (!hub.has(topic, format)) continue;
    out->push_back(Publication{
        topic, format, Frame{std::make_shared<const std::string>(encode_view(v, now, format)), t}, -1});
  }
}

// The own view `pv` if its ticket has own-view subscribers.
void render_own(const Hub& hub, const PatientView& pv, Time now,
                std::chrono::steady_clock::time_point t, std::vector<Publication>* out) {
  const Topic topic = own_topic(pv.ticket_id);
  if (!hub.has_any(topic)) return;
  const std::size_t from = out->size();
  render(hub, topic, pv, now, t, out);
  for (std::size_t i = from; i < out->size(); ++i)
    (*out)[i].own_booked = pv.state == TicketState::kBooked ? 1 : 0;
}

// The own view of ticket `id` if it has own-view subscribers.
void render_own(const Engine& engine, const Hub& hub, const std::string& id, Time now,
                std::chrono::steady_clock::time_point t, std::vector<Publication>* out) {
  if (!hub.has_any(own_topic(id))) return;
  if (std::optional<PatientView> pv = engine.patient_view(id, now)) render_own(hub, *pv, now, t, out);
}

}  // namespace

void render_views(const Engine& engine, const Hub& hub, const Changes& changes, Time now,
                  std::vector<Publication>* out) {
  const auto t = std::chrono::steady_clock::now();
  std::set<std::string> areas = changes.areas;
  std::vector<PatientView> pvs;
  for (const std::string& sid : changes.sessions) {
    const SessionSpec* spec = engine.session_spec(sid);
    if (!spec) continue;
    areas.insert(spec->area);
    const Topic bt = board_topic(sid);
    if (hub.has_any(bt)) {
      if (auto b = engine.board(sid, now)) render(hub, bt, *b, now, t, out);
    }
    const Topic st = staff_topic(sid);
    if (hub.has_any(st)) {
      if (auto v = engine.staff_view(sid, now)) render(hub, st, *v, now, t, out);
    }
    if (const auto* tickets = hub.patient_tickets(sid)) {
      if (tickets->size() > 4) {
        // One pass over the session; the topic's buffer is reused (no
        // allocation per ticket).
        engine.patient_views(sid, now, &pvs);
        Topic pt{TopicKind::kPatient, {}};
        for (const PatientView& pv : pvs) {
          pt.key.assign(pv.ticket_id);
          if (hub.has_any(pt)) render(hub, pt, pv, now, t, out);
        }
      } else {
        for (const std::string& id : *tickets) {
          if (auto pv = engine.patient_view(id, now)) render(hub, patient_topic(id), *pv, now, t, out);
        }
      }
    }
    // Own views beyond the named tickets (those follow below): every one
    // of a session whose status changed (rare: one pass over the session),
    // otherwise those of BOOKED tickets.
    if (changes.statuses.count(sid) != 0) {
      engine.patient_views(sid, now, &pvs);
      for (const PatientView& pv : pvs)
        if (!changes.names_ticket(pv.ticket_id)) render_own(hub, pv, now, t, out);
    } else if (const auto* booked = hub.booked_own_tickets(sid)) {
      for (const std::string& id : *booked)
        if (!changes.names_ticket(id)) render_own(engine, hub, id, now, t, out);
    }
  }
  for (const std::string& id : changes.tickets()) render_own(engine, hub, id, now, t, out);
  for (const std::string& area : areas) {
    const Topic dt = display_topic(area);
    if (hub.has_any(dt)) render(hub, dt, engine.display_view(area, now), now, t, out);
  }
}

void deliver(Hub& hub, std::vector<Publication>* pubs) {
  Batch batch;
  for (const Publication& p : *pubs) {
    hub.publish(p.topic, p.format, p.frame);
    if (p.own_booked >= 0) hub.set_own_booked(p.topic, p.own_booked == 1);
  }
  pubs->clear();
}

}  // namespace qc::gw
