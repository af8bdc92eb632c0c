// The views: patient (one ticket, or every ticket of a session in one
// pass), display (per waiting area, masked names), staff, board.
#include <algorithm>
#include <limits>
#include <cstdint>
#include <vector>

#include "engine/ops.h"

namespace qc {

namespace {

// When a room can take the next patient: before its first call, start +
// first_call_delay (the doctor's usual late start); then max(start,
// its last call + avg_consult); while paused, not before now.
Time room_available_at(const SessionRec& s, const RoomRec& r, Time now) {
  Time t = s.spec.start;
  if (r.last_call == kNoTime) t += s.spec.first_call_delay;
  else t = std::max(t, r.last_call + s.avg_consult());
  if (r.paused) t = std::max(t, now);
  return t;
}

// When the session can take the next patient: its first room to be free.
Time doctor_available_at(const SessionRec& s, Time now) {
  Time t = room_available_at(s, s.rooms[0], now);
  for (std::size_t i = 1; i < s.rooms.size(); ++i)
    t = std::min(t, room_available_at(s, s.rooms[i], now));
  return t;
}

// The share (percent) of the BOOKED tickets that could still check in on
// time that the estimate expects to come in time and be called first
// (docs/engine.md, "Estimates"). Half: many of those not here yet come late
// (and are demoted behind everybody) or not at all.
constexpr std::int64_t kBookedAheadPercent = 50;

// A BOOKED ticket of slot b checking in at `now` is on time (normal place,
// or made next if passed) iff now <= slot_end(b) + late_grace; the slots for
// which this holds are a suffix [first, M).
std::int32_t first_on_time_slot(const SessionRec& s, Time now) {
  if (now <= s.spec.start + s.spec.late_grace) return 0;
  Duration late = now - s.spec.start - s.spec.late_grace;  // > 0
  std::int64_t first = (late + s.slot_len - 1) / s.slot_len - 1;  // slot_end(first) >= now - grace
  return static_cast<std::int32_t>(std::min<std::int64_t>(first, s.slots));
}

// How many of the BOOKED tickets would, by checking in on time now, take a
// place before queue key `key` (band 1: an earlier slot; the same slot when
// `key` has the walk-in class under APPOINTMENTS_FIRST; band 0 keys: none).
// `before[b]` (size M+1, optional) is the number of on-time BOOKED tickets
// of slots < b.
std::int64_t booked_before_key(const SessionRec& s, std::uint64_t key, std::int32_t first,
                               const std::int64_t* before) {
  if (!key_band(key)) return 0;
  std::int32_t slot = key_slot(key);
  std::int32_t upto = slot + key_class(key);  // exclusive
  upto = std::min(upto, s.slots);
  if (upto <= first) return 0;
  if (before) return before[upto];
  std::int64_t n = 0;
  for (std::int32_t b = first; b < upto; ++b) n += s.booked[b];
  return n;
}

// The estimated call times of a session at `now` (docs/engine.md,
// "Estimates"). Each room is free at max(now, its available time), then
// every avg_consult; the tickets in key order are given one by one to the
// room free first, so the i-th call starts at E(i), the i-th smallest of
// {free_j + m * avg}. A ticket with `ahead` WAITING tickets before it and
// `booked` BOOKED tickets that may still come in before it (half a ticket
// each) is called at E(ahead + booked / 2). With one room E(i) = base + i *
// avg, today's formula, computed directly.
class Estimator {
 public:
  Estimator(const SessionRec& s, Time now) : avg_(s.avg_consult()) {
    if (s.rooms.size() == 1) {
      base_ = std::max(now, room_available_at(s, s.rooms[0], now));
      return;
    }
    for (const RoomRec& r : s.rooms) free_.push_back(std::max(now, room_available_at(s, r, now)));
    base_ = *std::min_element(free_.begin(), free_.end());
    max_free_ = *std::max_element(free_.begin(), free_.end());
  }

  Time eta(std::int32_t ahead, std::int64_t booked) {
    if (free_.empty()) return base_ + ahead * avg_ + booked * (avg_ * kBookedAheadPercent / 100);
    const std::int64_t i = ahead + booked / 2;
    const Time at = start(i);
    if (booked % 2 == 0) return at;
    return at + (start(i + 1) - at) / 2;
  }

 private:
  // E(i): generated call by call until every room is in rotation (then it
  // repeats every rooms.size() calls, avg_consult later).
  Time start(std::int64_t i) {
    const std::int64_t r = static_cast<std::int64_t>(free_.size());
    const Duration step = std::max<Duration>(avg_, 1);
    while (static_cast<std::int64_t>(e_.size()) <= i) {
      const std::int64_t n = static_cast<std::int64_t>(e_.size());
      if ((n >= r && e_[n - r] >= max_free_) || n >= kMaxGenerated) break;
      auto it = std::min_element(free_.begin(), free_.end());
      e_.push_back(*it);
      *it += step;
    }
    const std::int64_t n = static_cast<std::int64_t>(e_.size());
    if (i < n) return e_[i];
    if (n < r || e_[n - r] < max_free_)  // kMaxGenerated: one call per step / rooms on
      return e_[n - 1] + (i - n + 1) * step / r;
    const std::int64_t q = (i - n) / r + 1;
    return e_[i - q * r] + q * step;
  }

  static constexpr std::int64_t kMaxGenerated = 1 << 16;
  Duration avg_;
  Time base_ = 0;
  Time max_free_ = 0;
  std::vector<Time> free_;  // several rooms: when each is free next
  std::vector<Time> e_;     // E(0), E(1), ...
};

// The room(s) a waiting patient is told: the session's room, or its rooms.
std::string session_rooms_text(const SessionRec& s) {
  if (s.rooms.size() == 1) return s.rooms[0].name;
  std::string out;
  for (const RoomRec& r : s.rooms) {
    if (!out.empty()) out += " / ";
    out += r.name;
  }
  return out;
}

// Fields of a patient view that do not depend on the queue position.
void fill_common(PatientView& v, const State& st, const SessionRec& s, const TicketRec& t,
                 std::string_view called_label) {
  v.ticket_id = t.id;
  v.session_id = s.spec.session_id;
  v.label = t.label.view();
  v.kind = t.kind;
  v.state = t.state;
  v.placement = t.placement;
  v.session_status = s.status;
  v.slot = t.slot;
  v.effective_slot = t.effective_slot;
  v.slot_start = s.slot_start(t.slot);
  v.slot_end = s.slot_end(t.slot);
  v.ahead = -1;
  v.eta = kNoTime;
  v.recommended_arrival = kNoTime;
  v.called_label = called_label;
  if (s.rooms.size() == 1)
    v.room = s.rooms[0].name;
  else if ((t.state == TicketState::kCalled || t.state == TicketState::kAtTests) &&
           t.room < s.rooms.size())
    v.room = s.rooms[t.room].name;
  else
    v.room = session_rooms_text(s);
  v.doctor_name = s.spec.doctor_name;
  v.version = s.version;
  if (t.priority != 0) v.priority = priority_code(st, t.priority);
  else v.priority.clear();
}

// A BOOKED ticket: the position it would take by checking in now.
void fill_booked(PatientView& v, const SessionRec& s, const TicketRec& t, Time now,
                 Estimator& est, std::int32_t first, const std::int64_t* before) {
  const Presenting p = presenting(s, t, false, now, s.next_seq);
  const Entry e = queue_entry(s, t, p, EntryKind::kPresent, 0);
  v.ahead = queue_rank(s, e.key);
  v.eta = est.eta(v.ahead, booked_before_key(s, e.key, first, before));
  v.recommended_arrival =
      std::clamp(v.eta - s.spec.arrival_buffer, s.spec.registration_open, s.slot_end(t.slot));
}

std::string_view called_label(const SessionRec& s) {
  const std::int32_t c = s.last_called();
  return c >= 0 ? s.tickets[c].label.view() : std::string_view();
}

}  // namespace

std::optional<PatientView> Engine::patient_view(std::string_view ticket_id, Time now) const {
  Loc loc;
  if (!find_ticket(*state_, ticket_id, &loc)) return std::nullopt;
  const SessionRec& s = state_->sessions[loc.session];
  const TicketRec& t = s.tickets[loc.index];
  PatientView v;
  fill_common(v, *state_, s, t, called_label(s));
  Estimator est(s, now);
  std::int32_t first = first_on_time_slot(s, now);
  if (t.state == TicketState::kWaiting) {
    v.ahead = queue_rank(s, t.key);
    v.eta = est.eta(v.ahead, booked_before_key(s, t.key, first, nullptr));
  } else if (t.state == TicketState::kBooked && s.status != SessionStatus::kClosed) {
    fill_booked(v, s, t, now, est, first, nullptr);
  }
  return v;
}

bool Engine::patient_views(std::string_view session_id, Time now,
                           std::vector<PatientView>* out) const {
  SessionIdx si = find_session(*state_, session_id);
  if (si == kNoSession) {
    out->clear();
    return false;
  }
  const SessionRec& s = state_->sessions[si];
  // Every element is overwritten below, so resizing (which keeps the
  // strings' buffers) is the same as clearing and refilling.
  out->resize(s.tickets.size());
  std::string_view called = called_label(s);
  Estimator est(s, now);
  // The on-time BOOKED tickets of the slots before each slot, once per refresh.
  std::int32_t first = first_on_time_slot(s, now);
  std::vector<std::int64_t> before(static_cast<std::size_t>(s.slots) + 1, 0);
  for (std::int32_t b = 0; b < s.slots; ++b)
    before[b + 1] = before[b] + (b >= first ? s.booked[b] : 0);
  for (std::size_t i = 0; i < s.tickets.size(); ++i) {
    const TicketRec& t = s.tickets[i];
    PatientView& v = (*out)[i];
    fill_common(v, *state_, s, t, called);
    if (t.state == TicketState::kBooked && s.status != SessionStatus::kClosed)
      fill_booked(v, s, t, now, est, first, before.data());
  }
  std::int32_t ahead = 0;
  for (auto it = s.waiting.rbegin(); it != s.waiting.rend(); ++it, ++ahead) {
    PatientView& v = (*out)[it->ticket];
    v.ahead = ahead;
    v.eta = est.eta(ahead, booked_before_key(s, it->key, first, before.data()));
  }
  return true;
}

std::optional<StaffView> Engine::staff_view(std::string_view session_id, Time now) const {
  SessionIdx si = find_session(*state_, session_id);
  if (si == kNoSession) return std::nullopt;
  const SessionRec& s = state_->sessions[si];
  StaffView v;
  v.session_id = s.spec.session_id;
  v.doctor_name = s.spec.doctor_name;
  v.room = s.spec.room;
  v.area = s.spec.area;
  v.status = s.status;
  v.start = s.spec.start;
  v.end = s.spec.end;
  v.slot_minutes = s.spec.slot_minutes;
  v.serving_slot = s.serving_slot;
  v.appointment_left = s.a_free;
  v.reserved_left.assign(s.a_free.size(), 0);
  for (const ReservationState& r : s.reservations)
    if (!r.released)
      for (std::int32_t i = 0; i < s.slots; ++i) v.reserved_left[i] += r.left[i];
  v.walkin_left = s.w_free;
  v.avg_consult = s.avg_consult();
  v.version = s.version;
  v.tickets.reserve(s.tickets.size());
  auto add = [&](const TicketRec& t) -> StaffTicket& {
    StaffTicket& x = v.tickets.emplace_back();
    x.ticket_id = t.id;
    x.label = t.label.view();
    x.patient_ref = t.patient_ref;
    x.patient_name = t.patient_name;
    x.kind = t.kind;
    x.state = t.state;
    x.placement = t.placement;
    x.slot = t.slot;
    x.effective_slot = t.effective_slot;
    x.checked_in_at = t.checked_in_at;
    x.called_at = t.called_at;
    x.priority = priority_code(*state_, t.priority);
    if (t.state == TicketState::kCalled || t.state == TicketState::kAtTests) x.room = room_name(s, t.room);
    x.overtaken = t.overtaken;
    return x;
  };
  v.priority_after = s.spec.priority_after;
  v.return_after = s.spec.return_after;
  v.max_overtaken = s.spec.max_overtaken;
  for (const RoomRec& r : s.rooms) {
    StaffRoom& x = v.rooms.emplace_back();
    x.room = r.name;
    x.paused = r.paused;
    if (r.called >= 0) {
      x.called_ticket = s.tickets[r.called].id;
      x.called_label = s.tickets[r.called].label.view();
    }
    x.available_at = room_available_at(s, r, kNoTime);
  }
  for (const RoomRec& r : s.rooms)
    if (r.called >= 0) add(s.tickets[r.called]);
  std::int32_t pos = 0;
  for (auto it = s.waiting.rbegin(); it != s.waiting.rend(); ++it, ++pos) {
    const TicketRec& t = s.tickets[it->ticket];
    StaffTicket& x = add(t);
    x.band = key_band(t.key);
    x.seq = key_seq(t.key);
    x.position = pos;
  }
  for (TicketState group : {TicketState::kAtTests, TicketState::kMissed, TicketState::kBooked})
    for (const TicketRec& t : s.tickets)
      if (t.state == group) add(t);
  for (const TicketRec& t : s.tickets)
    if (t.state == TicketState::kDone || t.state == TicketState::kCancelled ||
        t.state == TicketState::kNoShow)
      add(t);
  return v;
}

namespace {
// A session is on its area's displays from the local midnight that starts
// its day until the end of that day, or until it ends if it runs past
// midnight (an evening clinic): [enter, leave). Equivalent to "of the local
// day of now, or running now".
struct OnDisplay {
  Time enter, leave;
};
OnDisplay on_display(const SessionSpec& sp) {
  const Time enter = local_midnight(sp.start, sp.utc_offset_minutes);
  return {enter, std::max(enter + kDay, sp.end)};
}
}  // namespace

DisplayView Engine::display_view(std::string_view area, Time now) const {
  DisplayView v;
  v.area = std::string(area);
  const State& st = *state_;
  std::vector<SessionIdx> picked;
  // The version only grows (docs/api.md "Versions"): the versions of every
  // session of the area (each grows with every change of the session, and
  // sessions are never removed), plus one for each time a session came onto
  // the displays or left them. Whatever changes the view (a command, a new
  // session, a day change) raises it; a restart rebuilds the same state and
  // so the same number.
  for (SessionIdx si = 0; si < st.sessions.size(); ++si) {
    const SessionRec& s = st.sessions[si];
    if (s.spec.area != area) continue;
    const OnDisplay d = on_display(s.spec);
    v.version += s.version + (d.enter <= now ? 1 : 0) + (d.leave <= now ? 1 : 0);
    if (now < d.enter || d.leave <= now) continue;
    picked.push_back(si);
  }
  std::sort(picked.begin(), picked.end(), [&](SessionIdx a, SessionIdx b) {
    const SessionSpec& x = st.sessions[a].spec;
    const SessionSpec& y = st.sessions[b].spec;
    if (x.room != y.room) return x.room < y.room;
    return x.session_id < y.session_id;
  });
  bool names = st.options.display_names;
  auto entry = [&](const TicketRec& t) {
    DisplayEntry e;
    e.label = t.label.view();
    if (names) e.masked_name = mask_name(t.patient_name);
    return e;
  };
  for (SessionIdx si : picked) {
    const SessionRec& s = st.sessions[si];
    // One card per room; the next labels and the missed list are the session's.
    const std::size_t first_card = v.rooms.size();
    for (const RoomRec& room : s.rooms) {
      DisplayRoom& r = v.rooms.emplace_back();
      r.session_id = s.spec.session_id;
      r.room = room.name;
      r.doctor_name = s.spec.doctor_name;
      r.status = s.rooms.size() > 1 && room.paused ? SessionStatus::kPaused : s.status;
      r.version = s.version;
      if (room.called >= 0) {
        r.has_called = true;
        r.called = entry(s.tickets[room.called]);
        r.called_at = s.tickets[room.called].called_at;
      }
    }
    DisplayRoom& r = v.rooms[first_card];
    std::int32_t n = 0;
    for (auto it = s.waiting.rbegin();
         it != s.waiting.rend() && n < st.options.display_next_count; ++it, ++n)
      r.next.push_back(entry(s.tickets[it->ticket]));
    for (const TicketRec& t : s.tickets)
      if (t.state == TicketState::kMissed) r.missed.push_back(entry(t));
    for (std::size_t i = first_card + 1; i < v.rooms.size(); ++i) {
      v.rooms[i].next = r.next;
      v.rooms[i].missed = r.missed;
    }
  }
  return v;
}

std::vector<std::string> Engine::display_areas_changed(Time from, Time to) const {
  std::vector<std::string> out;
  if (to <= from) return out;
  for (const SessionRec& s : state_->sessions) {
    const OnDisplay d = on_display(s.spec);
    const bool crossed = (from < d.enter && d.enter <= to) || (from < d.leave && d.leave <= to);
    if (crossed && std::find(out.begin(), out.end(), s.spec.area) == out.end())
      out.push_back(s.spec.area);
  }
  return out;
}

std::optional<Board> Engine::board(std::string_view session_id, Time now) const {
  SessionIdx si = find_session(*state_, session_id);
  if (si == kNoSession) return std::nullopt;
  const SessionRec& s = state_->sessions[si];
  Board b;
  b.session_id = s.spec.session_id;
  b.status = s.status;
  b.called_label = std::string(called_label(s));
  b.doctor_available_at = doctor_available_at(s, now);
  b.avg_consult = s.avg_consult();
  b.version = s.version;
  b.waiting.reserve(s.waiting.size());
  b.eta_offsets_ms.reserve(s.waiting.size());
  // The estimates exactly as patient_views() computes them, as offsets.
  Estimator est(s, now);
  const std::int32_t first = first_on_time_slot(s, now);
  std::vector<std::int64_t> before(static_cast<std::size_t>(s.slots) + 1, 0);
  for (std::int32_t i = 0; i < s.slots; ++i)
    before[i + 1] = before[i] + (i >= first ? s.booked[i] : 0);
  std::int32_t ahead = 0;
  for (auto it = s.waiting.rbegin(); it != s.waiting.rend(); ++it, ++ahead) {
    b.waiting.emplace_back(s.tickets[it->ticket].label.view());
    Time eta = est.eta(ahead, booked_before_key(s, it->key, first, before.data()));
    Duration off = std::clamp<Duration>(eta - b.doctor_available_at, 0, std::numeric_limits<std::int32_t>::max());
    b.eta_offsets_ms.push_back(static_cast<std::int32_t>(off));
  }
  return b;
}

}  // namespace qc
