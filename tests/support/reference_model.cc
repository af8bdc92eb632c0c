// The reference model: see reference_model.h. Every rule below quotes where
// it comes from: "spec" = ../shared/spec/queue-rules.md, "docs N" =
// docs/engine.md, "Decisions where the spec is silent", item N.
#include "tests/support/reference_model.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <tuple>
#include <type_traits>
#include <variant>

namespace qc::model {

namespace {

std::string label_of(char prefix, std::int32_t n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%c%03d", prefix, n);
  return buf;
}

Time floor_div(Time a, Time b) {
  Time q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool closed_or_suspended(const Session& s) {
  return s.status == SessionStatus::kClosed || s.status == SessionStatus::kSuspended;
}

// Policy class of a kind (spec: "The order of the queue").
std::int32_t class_of(const Session& s, TicketKind kind) {
  if (s.spec.policy == Policy::kAppointmentsFirst && kind == TicketKind::kWalkIn) return 1;
  return 0;
}

const Key& key_of(const Ticket& t) { return t.key; }

// A priority reason code (engine/command.h): "" is none.
bool bad_priority(const std::string& code) { return !code.empty() && !valid_priority_code(code); }

}  // namespace

Model::Model(EngineOptions options) : options_(options) {}

// ---------------------------------------------------------------- lookups --

Session* Model::find_session(const std::string& id) {
  for (Session& s : sessions_)
    if (s.spec.session_id == id) return &s;
  return nullptr;
}

const Session* Model::session(const std::string& id) const {
  for (const Session& s : sessions_)
    if (s.spec.session_id == id) return &s;
  return nullptr;
}

Ticket* Model::find_ticket(const std::string& id, Session** session) {
  auto it = ticket_index_.find(id);
  if (it == ticket_index_.end()) return nullptr;
  *session = &sessions_[it->second.first];
  return &(*session)->tickets[it->second.second];
}

Hold* Model::find_hold(const std::string& id) {
  for (Hold& h : holds_)
    if (h.id == id) return &h;
  return nullptr;
}

bool Model::ticket_id_used(const std::string& id) const { return ticket_index_.count(id) != 0; }

bool Model::hold_id_used(const std::string& id) const {
  for (const Hold& h : holds_)
    if (h.id == id) return true;
  return false;
}

const Channel* Model::find_channel(const std::string& id) const {
  for (const Channel& c : channels_)
    if (c.channel_id == id) return &c;
  return nullptr;
}

// docs 9: an active booking is a BOOKED appointment or an open hold.
int Model::active_bookings(const std::string& patient) const {
  int n = 0;
  for (const Session& s : sessions_) n += active_bookings_in(patient, s);
  return n;
}

int Model::active_bookings_in(const std::string& patient, const Session& s) const {
  int n = 0;
  for (const Ticket& t : s.tickets)
    if (t.patient == patient && t.state == TicketState::kBooked) ++n;
  for (const Hold& h : holds_)
    if (h.open && h.patient == patient && h.session_id == s.spec.session_id) ++n;
  return n;
}

std::vector<std::string> Model::waiting_order(const std::string& session_id) const {
  const Session* s = session(session_id);
  if (!s) return {};
  std::vector<const Ticket*> waiting;
  for (const Ticket& t : s->tickets)
    if (t.state == TicketState::kWaiting) waiting.push_back(&t);
  std::sort(waiting.begin(), waiting.end(),
            [](const Ticket* a, const Ticket* b) { return key_of(*a) < key_of(*b); });
  std::vector<std::string> ids;
  for (const Ticket* t : waiting) ids.push_back(t->id);
  return ids;
}

std::string Model::called_in(const std::string& session_id, const std::string& room) const {
  const Session* s = session(session_id);
  if (!s) return "";
  for (const Ticket& t : s->tickets)
    if (t.state == TicketState::kCalled && t.room == room) return t.id;
  return "";
}

std::optional<std::string> Model::called_ticket(const std::string& session_id) const {
  const Session* s = session(session_id);
  if (!s) return std::nullopt;
  for (const Room& r : s->rooms) {
    std::string id = called_in(session_id, r.name);
    if (!id.empty()) return id;
  }
  return std::nullopt;
}

std::optional<TicketState> Model::ticket_state(const std::string& ticket_id) const {
  auto it = ticket_index_.find(ticket_id);
  if (it == ticket_index_.end()) return std::nullopt;
  return sessions_[it->second.first].tickets[it->second.second].state;
}

std::int32_t Model::projected_ahead(const std::string& ticket_id, Time now) const {
  auto it = ticket_index_.find(ticket_id);
  if (it == ticket_index_.end()) return -1;
  Session s = sessions_[it->second.first];  // a copy to check in on
  Ticket& t = s.tickets[it->second.second];
  enqueue(s, t, now, s.serving_slot > t.slot);
  std::int32_t ahead = 0;
  for (const Ticket& o : s.tickets)
    if (&o != &t && o.state == TicketState::kWaiting && o.key < t.key) ++ahead;
  return ahead;
}

// ---------------------------------------------------------------- helpers --

// Presenting (spec: "Presenting"): on time / passed / demoted. A priority
// ticket is then inserted after priority_after, or keeps the presenting
// rule's place when that is not behind; a demoted place does not apply to
// it (spec "Priority": lateness demotion does not apply).
void Model::enqueue(Session& s, Ticket& t, Time now, bool passed) {
  bool on_time = now <= s.slot_end(t.slot) + s.spec.late_grace;
  t.state = TicketState::kWaiting;
  Key key;
  key.seq = s.next_seq++;
  Placement placement;
  if (on_time && !passed) {
    key.band = 1;
    key.slot = t.slot;
    key.cls = class_of(s, t.kind);
    placement = Placement::kNormal;
  } else if (on_time) {
    key.band = 0;
    key.slot = t.slot;
    key.cls = class_of(s, t.kind);
    placement = Placement::kMadeNext;
  } else {
    key.band = 1;
    key.slot = s.slots - 1;
    key.cls = class_of(s, TicketKind::kWalkIn);
    placement = Placement::kDemoted;
  }
  t.effective_slot = key.slot;
  if (t.priority.empty()) {
    t.key = key;
    t.placement = placement;
    return;
  }
  std::optional<Key> normal;
  if (placement != Placement::kDemoted) normal = key;
  place(s, t, normal, placement, s.spec.priority_after);
}

// Spec "Insertion and the overtaking bound", step by step. `t` is not
// counted among the waiting tickets: it is entering, or (`moving`) it
// already waits and its priority was just set; then `normal` is its place.
void Model::place(Session& s, Ticket& t, std::optional<Key> normal, Placement normal_placement,
                  std::int32_t k, bool moving) {
  std::size_t band0 = 0;
  std::vector<Ticket*> band1;  // the band-1 WAITING tickets, in key order
  std::vector<const Ticket*> waiting;
  for (Ticket& o : s.tickets) {
    if (&o == &t || o.state != TicketState::kWaiting) continue;
    waiting.push_back(&o);
    if (o.key.band == 0) {
      ++band0;
    } else {
      band1.push_back(&o);
    }
  }
  std::sort(band1.begin(), band1.end(),
            [](const Ticket* a, const Ticket* b) { return a->key < b->key; });
  // P: the last of the k-th one (the last one if fewer than k), every
  // protected one, every one that entered by insertion. -1: no P.
  int p = -1;
  if (k > 0 && !band1.empty()) p = static_cast<int>(std::min<std::size_t>(k, band1.size())) - 1;
  for (std::size_t i = 0; i < band1.size(); ++i) {
    bool is_protected = band1[i]->overtaken >= s.spec.max_overtaken;
    bool is_inserted = band1[i]->key.sub != 0;
    if (is_protected || is_inserted) p = std::max(p, static_cast<int>(i));
  }
  // Places compared by the number of WAITING tickets ahead: the normal
  // place wins unless the inserted one is strictly ahead of it.
  std::size_t inserted_ahead = band0 + static_cast<std::size_t>(p + 1);
  if (normal) {
    std::size_t normal_ahead = 0;
    for (const Ticket* o : waiting)
      if (o->key < *normal) ++normal_ahead;
    if (normal_ahead <= inserted_ahead) {
      t.key = *normal;
      t.placement = normal_placement;
      return;
    }
  }
  // A ticket that already waits (set_priority) passes only the tickets
  // between the insertion point and where it was (docs/engine.md).
  std::optional<Key> was;
  if (moving) was = t.key;
  if (p >= 0) {
    const Ticket& after = *band1[static_cast<std::size_t>(p)];
    t.key = after.key;  // P's slot, class and seq ...
    t.effective_slot = after.effective_slot;
  } else {
    // The head of band 1: docs/engine.md gives it slot 0, class 0, seq 0,
    // which no ticket takes (seqs start at 1): before every band-1 key,
    // now and later. Its effective slot is the serving slot, so calling it
    // never moves the serving slot back (slot 0 before the first call).
    t.key = Key{1, 0, 0, 0, 0};
    t.effective_slot = std::max(s.serving_slot, 0);
  }
  t.key.band = 1;
  t.key.sub = s.next_sub++;  // ... and just after P
  t.placement = Placement::kInserted;
  // Every band-1 WAITING ticket now behind it has been overtaken once more
  // (entering: all of them; moving: those it moved past).
  for (std::size_t i = static_cast<std::size_t>(p + 1); i < band1.size(); ++i)
    if (!was || band1[i]->key < *was) ++band1[i]->overtaken;
}

Error Model::room_of(const Session& s, const std::string& room, bool all_allowed,
                     std::string* name) {
  if (room.empty()) {
    if (all_allowed) {
      name->clear();
      return Error::kOk;
    }
    if (s.rooms.size() != 1) return Error::kInvalidArgument;  // "room required"
    *name = s.rooms[0].name;
    return Error::kOk;
  }
  for (const Room& r : s.rooms) {
    if (r.name == room) {
      *name = room;
      return Error::kOk;
    }
  }
  return Error::kInvalidArgument;  // "unknown room"
}

// The session is paused when every room is.
void Model::update_paused(Session& s) {
  if (closed_or_suspended(s)) return;
  bool all = true;
  for (const Room& r : s.rooms) all = all && r.paused;
  s.status = all ? SessionStatus::kPaused : SessionStatus::kOpen;
}

// Spec "Capacity": before the conversion time the unit goes back to A[s],
// after it to W[s]; docs 6 and 15: decided by the command's own now, or
// W[s] once the conversion ran; before it, to the reserved share it came
// from while that is unreleased.
void Model::give_back_unit(Session& s, std::int32_t slot, int reservation, Time now) {
  auto i = static_cast<std::size_t>(slot);
  if (now >= s.conversion_time || s.converted) {
    ++s.w_left[i];
  } else if (reservation >= 0 && !s.reserves[static_cast<std::size_t>(reservation)].released) {
    ++s.reserves[static_cast<std::size_t>(reservation)].left[i];
  } else {
    ++s.a_left[i];
  }
}

// docs 3: BOOKED and WAITING -> CANCELLED (never a no-show); AT_TESTS ->
// DONE (spec: the patient was seen); open holds released.
void Model::suspend(Session& s) {
  for (Ticket& t : s.tickets) {
    if (t.state == TicketState::kBooked || t.state == TicketState::kWaiting)
      t.state = TicketState::kCancelled;
    if (t.state == TicketState::kAtTests) t.state = TicketState::kDone;
  }
  release_holds_of(s, 0);
  s.status = SessionStatus::kSuspended;
}

void Model::release_holds_of(const Session& s, Time) {
  for (Hold& h : holds_)
    if (h.open && h.session_id == s.spec.session_id) h.open = false;
}

// docs 2: BOOKED -> NO_SHOW (counted), CALLED -> DONE, WAITING -> CANCELLED,
// MISSED stays, holds released. docs 9: no-shows counted at the close time;
// N within the window bans until that time + ban.
void Model::close(Session& s, Time now) {
  std::vector<std::string> missed_patients;
  for (Ticket& t : s.tickets) {
    switch (t.state) {
      case TicketState::kBooked:
        t.state = TicketState::kNoShow;
        patients_[t.patient].no_shows.push_back(now);
        missed_patients.push_back(t.patient);
        break;
      case TicketState::kCalled: t.state = TicketState::kDone; break;
      case TicketState::kAtTests: t.state = TicketState::kDone; break;  // spec: seen
      case TicketState::kWaiting: t.state = TicketState::kCancelled; break;
      default: break;
    }
  }
  release_holds_of(s, now);
  s.status = SessionStatus::kClosed;
  for (const std::string& p : missed_patients) {
    Patient& patient = patients_[p];
    int recent = 0;
    for (Time t : patient.no_shows)
      if (t > now - options_.noshow_window) ++recent;
    if (recent >= options_.noshow_threshold)
      patient.banned_until = std::max(patient.banned_until, now + options_.ban);
  }
}

// Book and hold, after the unknown-id, argument and session-state checks:
// time windows -> patient rules -> capacity (docs: check order).
Error Model::check_booking(Session& s, std::int32_t slot, const std::string& patient,
                           const std::string& channel, Time now, int* reservation) {
  if (!channel.empty()) {
    const Channel* c = find_channel(channel);
    if (c->window_opens_before > 0 && now < s.spec.start - c->window_opens_before)
      return Error::kWindowClosed;
    if (c->window_closes_before > 0 && now >= s.spec.start - c->window_closes_before)
      return Error::kWindowClosed;
  }
  auto it = patients_.find(patient);
  if (it != patients_.end() && it->second.banned_until != kNoTime &&
      now < it->second.banned_until)
    return Error::kBlacklisted;
  if (active_bookings_in(patient, s) > 0) return Error::kAlreadyBooked;
  if (active_bookings(patient) >= options_.max_active_bookings) return Error::kBookingLimit;
  // docs 5: booking is allowed until the walk-in conversion time.
  if (now >= s.conversion_time) return Error::kNoCapacity;
  // docs 14: the first of the channel's unreleased reserved shares with a
  // unit in the slot, else the general pool.
  auto i = static_cast<std::size_t>(slot);
  for (std::size_t r = 0; r < s.reserves.size(); ++r) {
    const Reserve& res = s.reserves[r];
    if (!channel.empty() && res.channel == channel && !res.released && res.left[i] > 0) {
      *reservation = static_cast<int>(r);
      return Error::kOk;
    }
  }
  if (s.a_left[i] <= 0) return Error::kNoCapacity;
  *reservation = -1;
  return Error::kOk;
}

Error Model::create_session(const SessionSpec& spec) {
  // docs 12 (the parts the test exercises).
  if (spec.session_id.empty() || spec.end <= spec.start || spec.slot_minutes <= 0 ||
      spec.registration_open > spec.start ||
      (spec.end - spec.start) % (static_cast<Time>(spec.slot_minutes) * kMinute) != 0)
    return Error::kInvalidArgument;
  auto m = static_cast<std::size_t>((spec.end - spec.start) / (spec.slot_minutes * kMinute));
  if (spec.appointment_quota.size() != m || spec.walkin_quota.size() != m)
    return Error::kInvalidArgument;
  for (std::size_t i = 0; i < m; ++i)
    if (spec.appointment_quota[i] < 0 || spec.walkin_quota[i] < 0) return Error::kInvalidArgument;
  std::vector<std::int32_t> reserved(m, 0);
  for (const Reservation& r : spec.reservations) {
    if (r.channel.empty() || r.units.size() != m) return Error::kInvalidArgument;
    for (std::size_t i = 0; i < m; ++i) {
      if (r.units[i] < 0) return Error::kInvalidArgument;
      reserved[i] += r.units[i];
    }
  }
  for (std::size_t i = 0; i < m; ++i)
    if (reserved[i] > spec.appointment_quota[i]) return Error::kInvalidArgument;
  // Clinical flow settings (engine/command.h): at most kMaxRooms rooms of 1
  // to 64 bytes, no duplicates; each setting 0 to 1000.
  if (spec.rooms.size() > kMaxRooms) return Error::kInvalidArgument;
  for (std::size_t i = 0; i < spec.rooms.size(); ++i) {
    if (spec.rooms[i].empty() || spec.rooms[i].size() > 64) return Error::kInvalidArgument;
    for (std::size_t j = 0; j < i; ++j)
      if (spec.rooms[j] == spec.rooms[i]) return Error::kInvalidArgument;
  }
  for (std::int32_t v : {spec.priority_after, spec.return_after, spec.max_overtaken})
    if (v < 0 || v > 1000) return Error::kInvalidArgument;
  if (find_session(spec.session_id)) return Error::kAlreadyExists;
  Session s;
  s.spec = spec;
  if (spec.rooms.empty()) {
    s.rooms.push_back(Room{spec.room, false});
  } else {
    for (const std::string& r : spec.rooms) s.rooms.push_back(Room{r, false});
  }
  s.slots = static_cast<std::int32_t>(m);
  s.a_left = spec.appointment_quota;
  s.w_left = spec.walkin_quota;
  for (const Reservation& r : spec.reservations) {
    s.reserves.push_back(Reserve{r.channel, r.units, r.release_at, false});
    for (std::size_t i = 0; i < m; ++i) s.a_left[i] -= r.units[i];
  }
  Time offset = static_cast<Time>(spec.utc_offset_minutes) * kMinute;
  s.conversion_time = spec.walkin_conversion_time != kNoTime
                          ? spec.walkin_conversion_time
                          : floor_div(spec.start + offset, kDay) * kDay - offset;
  s.cancel_deadline =
      spec.cancel_deadline != kNoTime ? spec.cancel_deadline : spec.registration_open;
  sessions_.push_back(std::move(s));
  return Error::kOk;
}

// ------------------------------------------------------------------ apply --

std::vector<Hold> Model::holds_of(const std::string& session_id) const {
  std::vector<Hold> out;
  for (const Hold& h : holds_)
    if (h.session_id == session_id) out.push_back(h);
  return out;
}

// Everything a command can change in a session; the `converted` and
// `released` flags alone (a conversion or release that moved no unit) are no
// change.
bool Model::same(const Session& a, const Session& b) {
  if (a.status != b.status || a.rooms != b.rooms || a.a_left != b.a_left ||
      a.w_left != b.w_left || a.serving_slot != b.serving_slot || a.next_seq != b.next_seq ||
      a.next_sub != b.next_sub ||
      a.appointments != b.appointments || a.walkins != b.walkins || a.holds != b.holds ||
      a.tickets != b.tickets || a.reserves.size() != b.reserves.size())
    return false;
  for (std::size_t i = 0; i < a.reserves.size(); ++i)
    if (a.reserves[i].left != b.reserves[i].left) return false;
  return true;
}

Error Model::apply(const Command& command, Time now) {
  if (const auto* u = std::get_if<qc::Undo>(&command.body)) {
    Session* s = find_session(u->session_id);
    if (!s) return Error::kUnknownSession;
    auto it = undo_.find(u->session_id);
    if (it == undo_.end()) return Error::kNothingToUndo;
    if (now - it->second.at > kUndoWindow) return Error::kUndoExpired;
    *s = it->second.before;
    undo_.erase(it);
    return Error::kOk;
  }
  // The session an undoable action (or a call_next / recall) concerns.
  std::string sid;
  bool undoable = false;
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, CallNext>) {
          sid = c.session_id;
          undoable = true;
        } else if constexpr (std::is_same_v<T, CallTicket> || std::is_same_v<T, Complete> ||
                             std::is_same_v<T, MarkMissed> || std::is_same_v<T, Recall> ||
                             std::is_same_v<T, SetPriority>) {
          // recall and set_priority end the memo even when nothing changed
          // (they produce events: the session's version moves).
          Session* s = nullptr;
          if (find_ticket(c.ticket_id, &s)) sid = s->spec.session_id;
          undoable = !std::is_same_v<T, Recall> && !std::is_same_v<T, SetPriority>;
        }
      },
      command.body);
  const Session* target = sid.empty() ? nullptr : session(sid);
  std::optional<Session> before;
  if (target && undoable) before = *target;
  Error e = apply_rules(command, now);
  if (e != Error::kOk) return e;
  for (auto it = undo_.begin(); it != undo_.end();) {
    const Session* s = session(it->first);
    if (it->first == sid || !same(*s, it->second.after) ||
        holds_of(it->first) != it->second.holds_after)
      it = undo_.erase(it);
    else
      ++it;
  }
  if (before) {
    const Session& after = *session(sid);
    if (!same(*before, after)) undo_[sid] = UndoMemo{now, *before, after, holds_of(sid)};
  }
  return Error::kOk;
}

Error Model::apply_rules(const Command& command, Time now) {
  return std::visit(
      [&](const auto& c) -> Error {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, CreateSession>) {
          return create_session(c.spec);
        } else if constexpr (std::is_same_v<T, DefineChannel>) {
          if (c.channel.channel_id.empty()) return Error::kInvalidArgument;
          if (find_channel(c.channel.channel_id)) return Error::kAlreadyExists;
          channels_.push_back(c.channel);
          return Error::kOk;
        } else if constexpr (std::is_same_v<T, Book> || std::is_same_v<T, qc::Hold>) {
          Session* s = find_session(c.session_id);
          if (!s) return Error::kUnknownSession;
          if (!c.channel.empty() && !find_channel(c.channel)) return Error::kUnknownChannel;
          if (c.slot < 0 || c.slot >= s->slots || c.patient_ref.empty() ||
              bad_priority(c.priority))
            return Error::kInvalidArgument;
          if constexpr (std::is_same_v<T, Book>) {
            if (!c.ticket_id.empty() && ticket_id_used(c.ticket_id)) return Error::kAlreadyExists;
            if (!c.token.empty() && tokens_.count(c.token)) return Error::kAlreadyExists;
          } else {
            if (c.ttl < 0) return Error::kInvalidArgument;
            if (!c.hold_id.empty() && hold_id_used(c.hold_id)) return Error::kAlreadyExists;
          }
          if (closed_or_suspended(*s)) return Error::kSessionClosed;
          int reservation = -1;
          if (Error e = check_booking(*s, c.slot, c.patient_ref, c.channel, now, &reservation);
              e != Error::kOk)
            return e;
          if (reservation >= 0) {
            --s->reserves[static_cast<std::size_t>(reservation)].left[static_cast<std::size_t>(c.slot)];
          } else {
            --s->a_left[static_cast<std::size_t>(c.slot)];
          }
          if constexpr (std::is_same_v<T, Book>) {
            Ticket t;
            t.label = label_of('A', ++s->appointments);
            t.id = c.ticket_id.empty() ? s->spec.session_id + "-" + t.label : c.ticket_id;
            t.patient = c.patient_ref;
            t.kind = TicketKind::kAppointment;
            t.state = TicketState::kBooked;
            t.slot = t.effective_slot = c.slot;
            t.reservation = reservation;
            t.priority = c.priority;
            if (!c.token.empty()) tokens_.insert(c.token);
            ticket_index_[t.id] = {static_cast<std::size_t>(s - sessions_.data()), s->tickets.size()};
            s->tickets.push_back(std::move(t));
          } else {
            Hold h;
            int n = ++s->holds;
            h.id = c.hold_id.empty() ? s->spec.session_id + "-H" + std::to_string(n) : c.hold_id;
            h.session_id = s->spec.session_id;
            h.slot = c.slot;
            h.patient = c.patient_ref;
            h.expires_at = now + (c.ttl > 0 ? c.ttl : options_.default_hold_ttl);
            h.reservation = reservation;
            h.priority = c.priority;
            holds_.push_back(std::move(h));
          }
          return Error::kOk;
        } else if constexpr (std::is_same_v<T, Confirm>) {
          // docs 16: a finished hold is unknown_hold, or session_closed when
          // its session is closed or suspended: so "finished" is checked like
          // a state, after already_exists and the session state.
          Hold* h = find_hold(c.hold_id);
          if (!h) return Error::kUnknownHold;
          if (!c.ticket_id.empty() && ticket_id_used(c.ticket_id)) return Error::kAlreadyExists;
          if (!c.token.empty() && tokens_.count(c.token)) return Error::kAlreadyExists;
          Session* s = find_session(h->session_id);
          if (closed_or_suspended(*s)) return Error::kSessionClosed;
          if (!h->open) return Error::kUnknownHold;
          if (now >= h->expires_at) return Error::kHoldExpired;
          h->open = false;
          Ticket t;
          t.label = label_of('A', ++s->appointments);
          t.id = c.ticket_id.empty() ? s->spec.session_id + "-" + t.label : c.ticket_id;
          t.patient = h->patient;
          t.kind = TicketKind::kAppointment;
          t.state = TicketState::kBooked;
          t.slot = t.effective_slot = h->slot;
          t.reservation = h->reservation;
          t.priority = h->priority;  // the hold's priority, carried to the ticket
          if (!c.token.empty()) tokens_.insert(c.token);
          ticket_index_[t.id] = {static_cast<std::size_t>(s - sessions_.data()), s->tickets.size()};
          s->tickets.push_back(std::move(t));
          return Error::kOk;
        } else if constexpr (std::is_same_v<T, Release>) {
          Hold* h = find_hold(c.hold_id);
          if (!h) return Error::kUnknownHold;
          Session* s = find_session(h->session_id);
          if (closed_or_suspended(*s)) return Error::kSessionClosed;
          if (!h->open) return Error::kUnknownHold;
          h->open = false;
          give_back_unit(*s, h->slot, h->reservation, now);
          return Error::kOk;
        } else if constexpr (std::is_same_v<T, Cancel>) {
          Session* s = nullptr;
          Ticket* t = find_ticket(c.ticket_id, &s);
          if (!t) return Error::kUnknownTicket;
          if (closed_or_suspended(*s)) return Error::kSessionClosed;
          if (t->state != TicketState::kBooked) return Error::kWrongState;
          if (now >= s->cancel_deadline) return Error::kCancelDeadlinePassed;
          t->state = TicketState::kCancelled;
          give_back_unit(*s, t->slot, t->reservation, now);
          return Error::kOk;
        } else if constexpr (std::is_same_v<T, RegisterWalkIn>) {
          Session* s = find_session(c.session_id);
          if (!s) return Error::kUnknownSession;
          if (bad_priority(c.priority)) return Error::kInvalidArgument;
          if (!c.ticket_id.empty() && ticket_id_used(c.ticket_id)) return Error::kAlreadyExists;
          if (!c.token.empty() && tokens_.count(c.token)) return Error::kAlreadyExists;
          if (closed_or_suspended(*s)) return Error::kSessionClosed;
          if (now < s->spec.registration_open) return Error::kNotOpenYet;
          if (now >= s->spec.end) return Error::kSessionClosed;
          // docs 10: the earliest slot with W left whose end is after now.
          std::int32_t slot = -1;
          for (std::int32_t i = 0; i < s->slots; ++i) {
            if (s->w_left[static_cast<std::size_t>(i)] > 0 && s->slot_end(i) > now) {
              slot = i;
              break;
            }
          }
          if (slot < 0) return Error::kNoCapacity;
          --s->w_left[static_cast<std::size_t>(slot)];
          Ticket t;
          t.label = label_of('W', ++s->walkins);
          t.id = c.ticket_id.empty() ? s->spec.session_id + "-" + t.label : c.ticket_id;
          t.patient = c.patient_ref;
          t.kind = TicketKind::kWalkIn;
          t.slot = slot;
          t.effective_slot = slot;
          t.state = TicketState::kWaiting;
          t.key = Key{1, slot, class_of(*s, TicketKind::kWalkIn), s->next_seq++, 0};
          t.placement = Placement::kNormal;
          t.priority = c.priority;
          if (!c.token.empty()) tokens_.insert(c.token);
          ticket_index_[t.id] = {static_cast<std::size_t>(s - sessions_.data()), s->tickets.size()};
          s->tickets.push_back(std::move(t));
          // A priority walk-in is inserted after priority_after unless its
          // normal place is not behind that.
          Ticket& added = s->tickets.back();
          if (!added.priority.empty())
            place(*s, added, added.key, Placement::kNormal, s->spec.priority_after);
          return Error::kOk;
        } else if constexpr (std::is_same_v<T, CheckIn>) {
          Session* s = nullptr;
          Ticket* t = find_ticket(c.ticket_id, &s);
          if (!t) return Error::kUnknownTicket;
          if (closed_or_suspended(*s)) return Error::kSessionClosed;
          if (t->state != TicketState::kBooked) return Error::kWrongState;
          if (now < s->spec.registration_open) return Error::kNotOpenYet;
          if (now >= s->spec.end) return Error::kSessionClosed;
          // Passed, for a BOOKED ticket: serving_slot > s.
          enqueue(*s, *t, now, s->serving_slot > t->slot);
          return Error::kOk;
        } else if constexpr (std::is_same_v<T, CallNext>) {
          Session* s = find_session(c.session_id);
          if (!s) return Error::kUnknownSession;
          std::string room;
          if (Error e = room_of(*s, c.room, false, &room); e != Error::kOk) return e;
          if (closed_or_suspended(*s)) return Error::kSessionClosed;
          for (const Room& r : s->rooms)
            if (r.name == room && r.paused) return Error::kSessionPaused;
          // The room's CALLED ticket is done; the smallest key is called to it.
          Ticket* best = nullptr;
          for (Ticket& t : s->tickets) {
            if (t.state == TicketState::kCalled && t.room == room) {
              t.state = TicketState::kDone;
              t.room.clear();
            }
            if (t.state == TicketState::kWaiting && (!best || key_of(t) < key_of(*best))) best = &t;
          }
          if (best) {
            best->state = TicketState::kCalled;
            best->room = room;
            if (best->key.band == 1) s->serving_slot = best->effective_slot;
          }
          return Error::kOk;
        } else if constexpr (std::is_same_v<T, CallTicket> || std::is_same_v<T, Recall> ||
                             std::is_same_v<T, Complete> || std::is_same_v<T, MarkMissed> ||
                             std::is_same_v<T, ReturnTicket> || std::is_same_v<T, MoveToNext> ||
                             std::is_same_v<T, SetPriority> || std::is_same_v<T, SendForTests> ||
                             std::is_same_v<T, ReturnFromTests>) {
          Session* s = nullptr;
          Ticket* t = find_ticket(c.ticket_id, &s);
          if (!t) return Error::kUnknownTicket;
          std::string room;  // call_ticket: the calling room
          if constexpr (std::is_same_v<T, CallTicket>) {
            if (Error e = room_of(*s, c.room, false, &room); e != Error::kOk) return e;
          }
          if constexpr (std::is_same_v<T, SetPriority>) {
            if (bad_priority(c.priority)) return Error::kInvalidArgument;
          }
          if (s->status == SessionStatus::kClosed) return Error::kSessionClosed;
          if (s->status == SessionStatus::kSuspended) {
            // docs 1: only complete / mark_missed of the CALLED ticket.
            constexpr bool kFinishing = std::is_same_v<T, Complete> || std::is_same_v<T, MarkMissed>;
            if (!kFinishing || t->state != TicketState::kCalled) return Error::kSessionClosed;
          }
          if constexpr (std::is_same_v<T, CallTicket>) {
            if (t->state != TicketState::kWaiting) return Error::kWrongState;
            for (Ticket& o : s->tickets) {
              if (o.state == TicketState::kCalled && o.room == room) {
                o.state = TicketState::kDone;
                o.room.clear();
              }
            }
            t->state = TicketState::kCalled;
            t->room = room;
          } else if constexpr (std::is_same_v<T, Recall>) {
            if (t->state != TicketState::kCalled) return Error::kWrongState;
          } else if constexpr (std::is_same_v<T, Complete>) {
            // spec: CALLED or AT_TESTS -> DONE.
            if (t->state != TicketState::kCalled && t->state != TicketState::kAtTests)
              return Error::kWrongState;
            t->state = TicketState::kDone;
            t->room.clear();
          } else if constexpr (std::is_same_v<T, MarkMissed>) {
            if (t->state != TicketState::kCalled) return Error::kWrongState;
            t->state = TicketState::kMissed;
            t->room.clear();
          } else if constexpr (std::is_same_v<T, ReturnTicket>) {
            if (t->state != TicketState::kMissed) return Error::kWrongState;
            if (now >= s->spec.end) return Error::kSessionClosed;
            enqueue(*s, *t, now, /*passed=*/true);
          } else if constexpr (std::is_same_v<T, MoveToNext>) {
            if (t->state != TicketState::kWaiting) return Error::kWrongState;
            t->key = Key{0, t->key.slot, t->key.cls, s->next_seq++, 0};
            t->placement = Placement::kMadeNext;
          } else if constexpr (std::is_same_v<T, SetPriority>) {
            // Allowed on BOOKED, WAITING, CALLED, MISSED, AT_TESTS. A WAITING
            // ticket given a priority is inserted at once if that is earlier
            // than where it is; removing it leaves the ticket where it is.
            if (t->state == TicketState::kDone || t->state == TicketState::kCancelled ||
                t->state == TicketState::kNoShow)
              return Error::kWrongState;
            t->priority = c.priority;
            if (t->state == TicketState::kWaiting && !t->priority.empty())
              place(*s, *t, t->key, t->placement, priority_k(*s), /*moving=*/true);
          } else if constexpr (std::is_same_v<T, SendForTests>) {
            // CALLED -> AT_TESTS; the room is free (it keeps the room's name).
            if (t->state != TicketState::kCalled) return Error::kWrongState;
            t->state = TicketState::kAtTests;
          } else {
            // return_from_tests: AT_TESTS -> WAITING, inserted after
            // return_after (the smaller of it and priority_after for a
            // priority ticket). Its normal place, the end of the queue, is
            // never ahead: it is always inserted (docs/engine.md), also
            // when nobody waits behind it. Spec: "session not closed", so
            // also after the session's end (the automatic close waits).
            if (t->state != TicketState::kAtTests) return Error::kWrongState;
            t->state = TicketState::kWaiting;
            t->room.clear();
            ++s->next_seq;  // entering WAITING takes a seq (docs 21)
            std::int32_t k = s->spec.return_after;
            if (!t->priority.empty()) k = std::min(k, s->spec.priority_after);
            place(*s, *t, std::nullopt, Placement::kNone, k);
          }
          return Error::kOk;
        } else if constexpr (std::is_same_v<T, Pause> || std::is_same_v<T, Resume>) {
          Session* s = find_session(c.session_id);
          if (!s) return Error::kUnknownSession;
          std::string room;  // "" = every room
          if (Error e = room_of(*s, c.room, true, &room); e != Error::kOk) return e;
          if (closed_or_suspended(*s)) return Error::kSessionClosed;
          for (Room& r : s->rooms)
            if (c.room.empty() || r.name == room) r.paused = std::is_same_v<T, Pause>;
          update_paused(*s);
          return Error::kOk;
        } else if constexpr (std::is_same_v<T, SuspendSession>) {
          Session* s = find_session(c.session_id);
          if (!s) return Error::kUnknownSession;
          if (closed_or_suspended(*s)) return Error::kSessionClosed;
          suspend(*s);
          return Error::kOk;
        } else if constexpr (std::is_same_v<T, CloseSession>) {
          Session* s = find_session(c.session_id);
          if (!s) return Error::kUnknownSession;
          if (s->status == SessionStatus::kClosed) return Error::kSessionClosed;
          close(*s, now);
          return Error::kOk;
        } else if constexpr (std::is_same_v<T, Tick>) {
          for (Session& s : sessions_) {
            if (s.status == SessionStatus::kClosed) continue;
            // docs 18: (a) hold expiry, (b) reserved shares, (c) conversion,
            // (d) auto close; a suspended session only gets (d).
            const bool running = s.status != SessionStatus::kSuspended;
            for (Hold& h : holds_) {
              if (!running) break;
              if (h.open && h.session_id == s.spec.session_id && h.expires_at <= now) {
                h.open = false;
                give_back_unit(s, h.slot, h.reservation, now);
              }
            }
            // docs 18 (b): reserved shares released to every channel.
            for (Reserve& r : s.reserves) {
              if (running && !r.released && r.release_at != kNoTime && r.release_at <= now) {
                for (std::size_t i = 0; i < r.left.size(); ++i) {
                  s.a_left[i] += r.left[i];
                  r.left[i] = 0;
                }
                r.released = true;
              }
            }
            // (c) walk-in conversion: every unbooked unit moves to W.
            if (running && !s.converted && now >= s.conversion_time) {
              for (std::size_t i = 0; i < static_cast<std::size_t>(s.slots); ++i) {
                s.w_left[i] += s.a_left[i];
                s.a_left[i] = 0;
                for (Reserve& r : s.reserves) {
                  if (r.released) continue;
                  s.w_left[i] += r.left[i];
                  r.left[i] = 0;
                }
              }
              s.converted = true;
            }
            bool busy = false;
            // spec: no automatic close while a ticket is AT_TESTS either
            for (const Ticket& t : s.tickets)
              if (t.state == TicketState::kWaiting || t.state == TicketState::kCalled ||
                  t.state == TicketState::kAtTests)
                busy = true;
            if ((now >= s.spec.end && !busy) || now >= s.spec.end + options_.auto_close_grace)
              close(s, now);
          }
          return Error::kOk;
        } else if constexpr (std::is_same_v<T, DoctorLeave>) {
          // docs/planning.md: suspends every open or paused session of the
          // doctor starting in [from, to); none at all is unknown_session.
          bool any = false;
          for (Session& s : sessions_) {
            if (s.spec.doctor_id == c.doctor_id && s.spec.start >= c.from && s.spec.start < c.to &&
                !closed_or_suspended(s)) {
              suspend(s);
              any = true;
            }
          }
          return any ? Error::kOk : Error::kUnknownSession;
        } else {
          // other schedule commands: not modelled (undo is handled by apply())
          return Error::kInvalidArgument;
        }
      },
      command.body);
}

}  // namespace qc::model
