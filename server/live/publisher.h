// The live views a commit group changed: rendered on the shard thread right
// after the group is applied, delivered to the Hub's subscribers once the
// group is durable.
//
// Splitting render from deliver lets the shard publish exactly the state of
// a committed group even when it has already applied later groups, and
// drop the views of a group whose commit failed.
//
// Thread-safety: everything here runs on the shard thread that owns the
// Engine and the Hub.
#pragma once

#include <cstdint>
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "server/live/hub.h"

namespace qc::gw {

// What one group changed.
struct Changes {
  std::set<std::string> sessions;  // sessions named by an event
  // Tickets (and holds) named by an event: a group names a few dozen, mostly
  // new (a vector, not a node per ticket), sorted and made unique when first
  // read.
  const std::vector<std::string>& tickets() const;
  std::set<std::string> statuses;  // sessions paused, resumed, suspended or closed
  // Areas whose display changed by time alone (Engine::display_areas_changed).
  std::set<std::string> areas;
  void add(const std::vector<Event>& events);
  bool names_ticket(const std::string& id) const;
  bool empty() const { return sessions.empty() && areas.empty(); }
  void clear() {
    sessions.clear();
    tickets_.clear();
    sorted_ = true;
    statuses.clear();
    areas.clear();
  }

 private:
  mutable std::vector<std::string> tickets_;
  mutable bool sorted_ = true;
};

struct Publication {
  Topic topic;
  Format format = Format::kJson;
  Frame frame;
  // Own views (TopicKind::kOwn): 1 if the view is of a BOOKED ticket, else 0 (deliver()
  // hands it to Hub::set_own_booked); -1 for every other topic.
  std::int8_t own_booked = -1;
};

// Appends to *out a frame for every (topic, format) that `hub` has
// subscribers for and whose view `changes` may have changed: the boards,
// staff views and patient views (kPatient) of the changed sessions, and the
// displays of their areas and of `changes.areas`. Each payload is encoded once and shared.
//
// Own views (kOwn, phones that follow the board): only those of the tickets
// named by an event of the group, of the BOOKED tickets of the changed
// sessions (a projected position and recommended arrival move with every
// call, and the board does not carry them; the hub knows which own tickets
// are BOOKED, Hub::set_own_booked), and all of a session whose status
// changed. A WAITING ticket's position, estimate and the called label move
// with the board. No engine lookup per subscribed ticket: the cost per call
// does not grow with the phones of the session.
void render_views(const Engine& engine, const Hub& hub, const Changes& changes, Time now,
                  std::vector<Publication>* out);

// Hands every publication to the hub's subscribers (conflated per topic),
// inside one Batch (server/infra/batch.h), records the BOOKED state of own views in the hub,
// and clears *pubs.
void deliver(Hub& hub, std::vector<Publication>* pubs);

}  // namespace qc::gw
