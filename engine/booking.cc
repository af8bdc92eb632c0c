// Sessions, channels and the shared pool: create_session, define_channel,
// book, hold, confirm, release, cancel, register_walk_in, tick.
#include <algorithm>
#include <string>

#include "engine/ops.h"

namespace qc {

namespace {

// "A001", "W012", "A1000".
std::string make_label(char prefix, std::int32_t n) {
  char buf[16];
  char digits[12];
  int k = 0;
  std::uint32_t v = static_cast<std::uint32_t>(n);
  do {
    digits[k++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (k < 3) digits[k++] = '0';
  int len = 0;
  buf[len++] = prefix;
  while (k > 0) buf[len++] = digits[--k];
  return std::string(buf, static_cast<std::size_t>(len));
}

// "<session>-<suffix>", made unique against `index` by appending ".2", ".3"...
template <class Taken>
std::string unique_id(Taken&& taken, const std::string& session, const std::string& suffix) {
  std::string id;
  id.reserve(session.size() + 1 + suffix.size());
  id += session;
  id += '-';
  id += suffix;
  if (!taken(id)) return id;
  for (int n = 2;; ++n) {
    std::string alt = id + "." + std::to_string(n);
    if (!taken(alt)) return alt;
  }
}

std::string unique_ticket_id(const State& st, const std::string& session,
                             const std::string& label) {
  Loc loc;
  return unique_id([&](const std::string& id) { return find_ticket(st, id, &loc); }, session,
                   label);
}

// Ticket vectors grow by a quarter (not double): memory per ticket stays
// bounded when a session takes more tickets than its quotas (cancellations).
void reserve_ticket(SessionRec& s) {
  std::size_t cap = s.tickets.capacity();
  if (s.tickets.size() == cap) s.tickets.reserve(cap + std::max<std::size_t>(16, cap / 4));
}

Error check_window(const Channel* ch, const SessionRec& s, Time now, std::string* msg) {
  if (ch == nullptr) return Error::kOk;
  if (ch->window_opens_before > 0 && now < s.spec.start - ch->window_opens_before)
    return reject(msg, Error::kWindowClosed, "booking window not open yet", ch->channel_id);
  if (ch->window_closes_before > 0 && now >= s.spec.start - ch->window_closes_before)
    return reject(msg, Error::kWindowClosed, "booking window closed", ch->channel_id);
  return Error::kOk;
}

Error check_patient(const State& st, std::string_view ref, SessionIdx si, Time now,
                    std::string* msg) {
  std::uint32_t pi = find_patient(st, ref);
  if (pi == kNoPatient) return Error::kOk;
  const PatientRec& p = st.patients[pi];
  if (p.banned_until != kNoTime && now < p.banned_until)
    return reject(msg, Error::kBlacklisted, "patient is refused bookings (no-shows)");
  if (p.active.contains(si))
    return reject(msg, Error::kAlreadyBooked, "patient already has a booking in this session");
  if (static_cast<std::int64_t>(p.active.size()) >= st.options.max_active_bookings)
    return reject(msg, Error::kBookingLimit, "patient has the maximum of active bookings");
  return Error::kOk;
}

// Finds a unit of appointment capacity for `channel` in `slot`: the channel's
// unreleased reservation first, else the general pool. Returns false if none.
bool find_unit(const SessionRec& s, std::int32_t slot, std::string_view channel,
               std::uint8_t* reservation) {
  if (!channel.empty()) {
    for (std::size_t r = 0; r < s.reservations.size(); ++r) {
      const ReservationState& rs = s.reservations[r];
      if (!rs.released && rs.channel == channel && rs.left[slot] > 0) {
        *reservation = static_cast<std::uint8_t>(r);
        return true;
      }
    }
  }
  *reservation = kNoReservation;
  return s.a_free[slot] > 0;
}

void take_unit(SessionRec& s, std::int32_t slot, std::uint8_t reservation) {
  if (reservation != kNoReservation)
    s.reservations[reservation].left[slot] -= 1;
  else
    s.a_free[slot] -= 1;
  s.a_used[slot] += 1;
}

// Common checks of book and hold, up to capacity. On success *reservation is
// where the unit comes from.
Error check_booking(const State& st, SessionIdx si, std::int32_t slot, std::string_view ref,
                    std::string_view channel, Time now, std::uint8_t* reservation,
                    std::string* msg) {
  const SessionRec& s = st.sessions[si];
  if (Error e = check_not_closed(s, msg); e != Error::kOk) return e;
  const Channel* ch = nullptr;
  if (!channel.empty()) {
    auto it = st.channels.find(channel);
    ch = &it->second;  // existence checked by the caller
  }
  if (Error e = check_window(ch, s, now, msg); e != Error::kOk) return e;
  if (Error e = check_patient(st, ref, si, now, msg); e != Error::kOk) return e;
  if (now >= s.conversion_time)
    return reject(msg, Error::kNoCapacity, "appointment capacity was converted to walk-ins",
                  s.spec.session_id);
  if (!find_unit(s, slot, channel, reservation))
    return reject(msg, Error::kNoCapacity, "no appointment capacity left in the slot",
                  s.spec.session_id);
  return Error::kOk;
}

// Field sizes (docs/engine.md, rule 25).
Error check_lengths(std::string_view id, std::string_view token, std::string_view ref,
                    std::string_view name, std::string* msg) {
  if (id.size() > 64) return reject(msg, Error::kInvalidArgument, "id longer than 64 bytes");
  if (token.size() > 128)
    return reject(msg, Error::kInvalidArgument, "token longer than 128 bytes");
  if (ref.size() > 128)
    return reject(msg, Error::kInvalidArgument, "patient_ref longer than 128 bytes");
  if (name.size() > 256)
    return reject(msg, Error::kInvalidArgument, "patient_name longer than 256 bytes");
  return Error::kOk;
}

}  // namespace

Error check_priority(const State& st, std::string_view priority, std::string* msg) {
  if (priority.empty()) return Error::kOk;
  if (!valid_priority_code(priority))
    return reject(msg, Error::kInvalidArgument,
                  "priority must be 1 to 32 characters of a-z, 0-9 and _");
  if (!priority_code_fits(st, priority))
    return reject(msg, Error::kInvalidArgument, "too many different priority codes (255)");
  return Error::kOk;
}

namespace {

// The first checks of book and hold (`c` a Book or a Hold): unknown
// session/channel, malformed fields, then field sizes (`id` the ticket or
// hold id, `token` empty for a hold).
template <class C>
Error check_booking_ids(const State& st, const C& c, std::string_view id, std::string_view token,
                        SessionIdx* si, std::string* msg) {
  if (Error e = known_session(st, c.session_id, si, msg); e != Error::kOk) return e;
  if (!c.channel.empty() && st.channels.find(c.channel) == st.channels.end())
    return reject(msg, Error::kUnknownChannel, "unknown channel", c.channel);
  if (c.slot < 0 || c.slot >= st.sessions[*si].slots)
    return reject(msg, Error::kInvalidArgument, "slot out of range", c.session_id);
  if (c.patient_ref.empty())
    return reject(msg, Error::kInvalidArgument, "patient_ref is required");
  if (Error e = check_priority(st, c.priority, msg); e != Error::kOk) return e;
  return check_lengths(id, token, c.patient_ref, c.patient_name, msg);
}

// The last step of book and hold: check_booking, then the unit is taken and
// the patient's active booking added (*patient its index).
template <class C>
Error take_booking(State& st, SessionIdx si, const C& c, Time now, std::uint8_t* reservation,
                   std::uint32_t* patient, std::string* msg) {
  if (Error e = check_booking(st, si, c.slot, c.patient_ref, c.channel, now, reservation, msg);
      e != Error::kOk)
    return e;
  take_unit(st.sessions[si], c.slot, *reservation);
  *patient = patient_add_active(st, c.patient_ref, si);
  return Error::kOk;
}

Error check_new_ids(const State& st, const std::string& ticket_id, const TokenKey& token,
                    std::string* msg) {
  Loc loc;
  if (!ticket_id.empty() && find_ticket(st, ticket_id, &loc))
    return reject(msg, Error::kAlreadyExists, "ticket id in use", ticket_id);
  if (!token.text.empty() && find_token(st, token, &loc))
    return reject(msg, Error::kAlreadyExists, "token in use");
  return Error::kOk;
}

// Appends a ticket of `kind` in `slot` (also its effective slot), labelled
// A<n> or W<n> with the session's next number of that kind, with id
// `ticket_id` or, if empty, "<session>-<label>" made unique; indexes its id
// and token. The caller sets its state. Returns its index.
std::uint32_t add_ticket(State& st, SessionIdx si, TicketKind kind, std::int32_t slot,
                         const std::string& ticket_id, const TokenKey& token,
                         const std::string& ref, const std::string& name, Time now) {
  SessionRec& s = st.sessions[si];
  const bool walk_in = kind == TicketKind::kWalkIn;
  std::uint32_t ti = static_cast<std::uint32_t>(s.tickets.size());
  reserve_ticket(s);
  TicketRec& t = s.tickets.emplace_back();
  std::string label =
      make_label(walk_in ? 'W' : 'A', walk_in ? ++s.walkin_labels : ++s.appt_labels);
  t.label.assign(label);
  t.id = ticket_id.empty() ? unique_ticket_id(st, s.spec.session_id, label) : ticket_id;
  t.patient_ref = ref;
  t.patient_name = name;
  t.created_at = now;
  t.slot = slot;
  t.effective_slot = slot;
  t.kind = kind;
  index_ticket(st, si, ti);
  if (!token.text.empty()) index_token(st, token, Loc{si, ti});
  return ti;
}

// Creates a BOOKED appointment (the unit is already taken).
void add_booked(State& st, SessionIdx si, const Actor& actor, std::int32_t slot,
                const std::string& ref, const std::string& name, const std::string& ticket_id,
                const TokenKey& token, const std::string& channel, std::uint8_t reservation,
                std::uint32_t patient, const std::string& priority, Time now, Events* ev) {
  SessionRec& s = st.sessions[si];
  TicketRec& t = s.tickets[add_ticket(st, si, TicketKind::kAppointment, slot, ticket_id, token,
                                      ref, name, now)];
  t.state = TicketState::kBooked;
  s.booked[slot] += 1;
  t.reservation = reservation;
  t.patient = patient;
  t.channel = ticket_channel_slot(st, channel);
  add_ticket_event(ev, EventType::kTicketBooked, now, actor, s, t,
      TicketState::kBooked, ref, channel);
  if (!priority.empty()) {
    t.priority = priority_slot(st, priority);
    add_ticket_event(ev, EventType::kPrioritySet, now, actor, s, t, TicketState::kBooked, {},
                     priority);
  }
  touch(st, si);
}

}  // namespace

Error op_create_session(State& st, const Actor& actor, const CreateSession& c, Time now,
                        Events* ev, std::string* msg) {
  if (Error e = validate_session_spec(st, c.spec, msg); e != Error::kOk) return e;
  create_session(st, actor, c.spec, now, ev);
  return Error::kOk;
}

Error op_define_channel(State& st, const Actor& actor, const DefineChannel& c, Time now,
                        Events* ev, std::string* msg) {
  const Channel& ch = c.channel;
  if (ch.channel_id.empty() || ch.channel_id.size() > 64)
    return reject(msg, Error::kInvalidArgument, "channel_id must have 1 to 64 bytes");
  if (ch.window_opens_before < 0 || ch.window_closes_before < 0)
    return reject(msg, Error::kInvalidArgument, "booking window must not be negative",
                  ch.channel_id);
  if (ch.window_opens_before > 0 && ch.window_closes_before >= ch.window_opens_before)
    return reject(msg, Error::kInvalidArgument, "booking window closes before it opens",
                  ch.channel_id);
  if (st.channels.count(ch.channel_id))
    return reject(msg, Error::kAlreadyExists, "channel exists", ch.channel_id);
  st.channels.emplace(ch.channel_id, ch);
  Event& e = ev->emplace_back();
  e.type = EventType::kChannelDefined;
  e.at = now;
  e.actor = actor;
  e.ticket_id = ch.channel_id;
  return Error::kOk;
}

namespace {
// A booking or walk-in needs the index entries of its token and patient and
// the memory of its new ticket, all cold as a rule: start loading them all
// before the first lookup.
void prefetch_new_ticket(const State& st, const SessionRec& s, const TokenKey& token,
                         std::string_view patient_ref) {
  if (token.packed) st.token_index.prefetch(token_hash(token.bin));
  if (!patient_ref.empty())
    st.patient_index.prefetch(FlatIndex<std::uint32_t>::hash(patient_ref));
  if (s.tickets.size() < s.tickets.capacity()) {
    const char* p = reinterpret_cast<const char*>(s.tickets.data() + s.tickets.size());
    for (std::size_t off = 0; off < sizeof(TicketRec); off += 64) __builtin_prefetch(p + off, 1);
  }
}
}  // namespace

Error op_book(State& st, const Actor& actor, const Book& c, Time now, Events* ev,
              std::string* msg) {
  SessionIdx si;
  if (Error e = check_booking_ids(st, c, c.ticket_id, c.token, &si, msg); e != Error::kOk)
    return e;
  const TokenKey token(c.token);
  prefetch_new_ticket(st, st.sessions[si], token, c.patient_ref);
  if (Error e = check_new_ids(st, c.ticket_id, token, msg); e != Error::kOk) return e;
  std::uint8_t res;
  std::uint32_t patient;
  if (Error e = take_booking(st, si, c, now, &res, &patient, msg); e != Error::kOk) return e;
  add_booked(st, si, actor, c.slot, c.patient_ref, c.patient_name, c.ticket_id, token,
             c.channel, res, patient, c.priority, now, ev);
  return Error::kOk;
}

Error op_hold(State& st, const Actor& actor, const Hold& c, Time now, Events* ev,
              std::string* msg) {
  SessionIdx si;
  if (Error e = check_booking_ids(st, c, c.hold_id, {}, &si, msg); e != Error::kOk) return e;
  if (c.ttl < 0 || c.ttl > kMaxSpan)
    return reject(msg, Error::kInvalidArgument, "ttl must be between 0 and 366 days");
  if (!c.hold_id.empty() && st.hold_index.count(std::string_view(c.hold_id)))
    return reject(msg, Error::kAlreadyExists, "hold id in use", c.hold_id);
  std::uint8_t res;
  std::uint32_t patient;
  if (Error e = take_booking(st, si, c, now, &res, &patient, msg); e != Error::kOk) return e;
  SessionRec& s = st.sessions[si];
  std::uint32_t hi = static_cast<std::uint32_t>(s.holds.size());
  HoldRec& h = s.holds.emplace_back();
  ++s.holds_made;
  h.id = c.hold_id.empty()
             ? unique_id([&](const std::string& id) { return st.hold_index.count(id) != 0; },
                         s.spec.session_id, "H" + std::to_string(s.holds_made))
             : c.hold_id;
  h.patient_ref = c.patient_ref;
  h.patient_name = c.patient_name;
  h.channel = c.channel;
  h.priority = c.priority;
  h.placed_at = now;
  h.expires_at = now + (c.ttl > 0 ? c.ttl : st.options.default_hold_ttl);
  h.slot = c.slot;
  h.reservation = res;
  h.open = true;
  h.patient = patient;
  s.open_holds += 1;
  st.hold_index.emplace(h.id, Loc{si, hi});
  st.due[si] = std::min(st.due[si], h.expires_at);
  add_hold_event(ev, EventType::kHoldPlaced, now, actor, s, h, h.channel, 0).until = h.expires_at;
  touch(st, si);
  return Error::kOk;
}

namespace {
// Release and expiry: open hold `hi` ends and its unit goes back
// (return_appointment_unit); event `type` with `reason` says where (count).
void give_back_hold(State& st, SessionIdx si, std::uint32_t hi, const Actor& actor,
                    EventType type, std::string_view reason, Time now, Events* ev) {
  SessionRec& s = st.sessions[si];
  finish_hold(st, si, hi);
  const HoldRec& h = s.holds[hi];
  std::int32_t to = return_appointment_unit(s, h.slot, h.reservation, now);
  add_hold_event(ev, type, now, actor, s, h, reason, to);
  touch(st, si);
}

Error find_hold(const State& st, const std::string& id, Loc* loc, std::string* msg) {
  auto it = st.hold_index.find(std::string_view(id));
  if (it == st.hold_index.end()) return reject(msg, Error::kUnknownHold, "unknown hold", id);
  *loc = it->second;
  const SessionRec& s = st.sessions[loc->session];
  if (Error e = check_not_closed(s, msg); e != Error::kOk) return e;
  if (!s.holds[loc->index].open)
    return reject(msg, Error::kUnknownHold, "hold was confirmed, released or expired", id);
  return Error::kOk;
}
}  // namespace

Error op_confirm(State& st, const Actor& actor, const Confirm& c, Time now, Events* ev,
                 std::string* msg) {
  auto it = st.hold_index.find(std::string_view(c.hold_id));
  if (it == st.hold_index.end()) return reject(msg, Error::kUnknownHold, "unknown hold", c.hold_id);
  if (Error e = check_lengths(c.ticket_id, c.token, {}, {}, msg); e != Error::kOk) return e;
  const TokenKey token(c.token);
  if (Error e = check_new_ids(st, c.ticket_id, token, msg); e != Error::kOk) return e;
  Loc loc;
  if (Error e = find_hold(st, c.hold_id, &loc, msg); e != Error::kOk) return e;
  SessionRec& s = st.sessions[loc.session];
  HoldRec& h = s.holds[loc.index];
  if (now >= h.expires_at) return reject(msg, Error::kHoldExpired, "hold expired", c.hold_id);
  if (Error e = check_priority(st, h.priority, msg); e != Error::kOk) return e;
  h.open = false;
  s.open_holds -= 1;
  // The patient's active booking carries over from the hold to the ticket.
  add_booked(st, loc.session, actor, h.slot, h.patient_ref, h.patient_name, c.ticket_id, token,
             h.channel, h.reservation, h.patient, h.priority, now, ev);
  return Error::kOk;
}

Error op_release(State& st, const Actor& actor, const Release& c, Time now, Events* ev,
                 std::string* msg) {
  Loc loc;
  if (Error e = find_hold(st, c.hold_id, &loc, msg); e != Error::kOk) return e;
  give_back_hold(st, loc.session, loc.index, actor, EventType::kHoldReleased, "released", now,
                 ev);
  return Error::kOk;
}

Error op_cancel(State& st, const Actor& actor, const Cancel& c, Time now, Events* ev,
                std::string* msg) {
  Loc loc;
  if (Error e = open_ticket(st, c.ticket_id, &loc, msg); e != Error::kOk) return e;
  SessionRec& s = st.sessions[loc.session];
  TicketRec& t = s.tickets[loc.index];
  if (t.state != TicketState::kBooked)
    return reject(msg, Error::kWrongState, "only a booked ticket can be cancelled", c.ticket_id);
  if (now >= s.cancel_deadline)
    return reject(msg, Error::kCancelDeadlinePassed, "cancel deadline passed", c.ticket_id);
  std::int32_t to = return_appointment_unit(s, t.slot, t.reservation, now);
  patient_remove_active(st, t.patient, loc.session);
  t.state = TicketState::kCancelled;
  s.booked[t.slot] -= 1;
  Event& e = add_ticket_event(ev, EventType::kTicketCancelled, now, actor, s, t,
      TicketState::kBooked, t.patient_ref, "patient");
  e.count = to;
  touch(st, loc.session);
  return Error::kOk;
}

Error op_register_walk_in(State& st, const Actor& actor, const RegisterWalkIn& c, Time now,
                          Events* ev, std::string* msg) {
  SessionIdx si;
  if (Error e = known_session(st, c.session_id, &si, msg); e != Error::kOk) return e;
  const TokenKey token(c.token);
  prefetch_new_ticket(st, st.sessions[si], token, {});
  if (Error e = check_lengths(c.ticket_id, c.token, c.patient_ref, c.patient_name, msg);
      e != Error::kOk)
    return e;
  if (Error e = check_priority(st, c.priority, msg); e != Error::kOk) return e;
  if (Error e = check_new_ids(st, c.ticket_id, token, msg); e != Error::kOk) return e;
  SessionRec& s = st.sessions[si];
  if (Error e = check_not_closed(s, msg); e != Error::kOk) return e;
  if (now < s.spec.registration_open)
    return reject(msg, Error::kNotOpenYet, "registration is not open yet", c.session_id);
  if (now >= s.spec.end)
    return reject(msg, Error::kSessionClosed, "the session has ended", c.session_id);
  std::int32_t slot = -1;
  for (std::int32_t i = 0; i < s.slots; ++i) {
    if (s.w_free[i] > 0 && s.slot_end(i) > now) {
      slot = i;
      break;
    }
  }
  if (slot < 0) return reject(msg, Error::kNoCapacity, "no walk-in capacity left", c.session_id);
  s.w_free[slot] -= 1;
  s.w_used[slot] += 1;
  std::uint32_t ti = add_ticket(st, si, TicketKind::kWalkIn, slot, c.ticket_id, token,
                                c.patient_ref, c.patient_name, now);
  TicketRec& t = s.tickets[ti];
  t.checked_in_at = now;
  t.priority = priority_slot(st, c.priority);
  const Presenting normal{make_key(1, slot, kind_class(s, TicketKind::kWalkIn), s.next_seq++),
                          slot, Placement::kNormal};
  const Entry e = queue_entry(s, t, normal, EntryKind::kPresent, 0);
  enter_queue(s, ti, e);
  add_ticket_event(ev, EventType::kWalkInRegistered, now, actor, s, t,
      TicketState::kWaiting, t.patient_ref);
  if (t.priority != 0)
    add_ticket_event(ev, EventType::kPrioritySet, now, actor, s, t, TicketState::kWaiting, {},
                     c.priority);
  insertion_events(s, ti, e, ~std::uint64_t{0}, actor, now, ev);
  touch(st, si);
  return Error::kOk;
}

Error op_tick(State& st, const Actor& actor, const Tick&, Time now, Events* ev, std::string*) {
  for (SessionIdx si = 0; si < st.sessions.size(); ++si) {
    if (now < st.due[si]) continue;  // nothing pending yet
    SessionRec& s = st.sessions[si];
    if (s.status == SessionStatus::kClosed) {
      st.due[si] = kMaxTime;
      continue;
    }
    if (s.status != SessionStatus::kSuspended) {
      // 1. Hold expiry.
      if (s.open_holds > 0) {
        for (std::uint32_t hi = 0; hi < s.holds.size(); ++hi) {
          if (!s.holds[hi].open || s.holds[hi].expires_at > now) continue;
          give_back_hold(st, si, hi, actor, EventType::kHoldExpired, {}, now, ev);
        }
      }
      // 2. Reserved shares released to every channel.
      for (ReservationState& r : s.reservations) {
        if (r.released || r.release_at == kNoTime || now < r.release_at) continue;
        r.released = true;
        for (std::int32_t i = 0; i < s.slots; ++i) {
          if (r.left[i] <= 0) continue;
          std::int32_t n = r.left[i];
          s.a_free[i] += n;
          r.left[i] = 0;
          Event& e = add_event(ev, EventType::kReservedReleased, now, actor, s);
          e.slot = i;
          e.count = n;
          e.reason = r.channel;
          touch(st, si);
        }
      }
      // 3. Walk-in conversion.
      if (!s.converted && now >= s.conversion_time) {
        s.converted = true;
        for (std::int32_t i = 0; i < s.slots; ++i) {
          std::int32_t n = s.a_free[i];
          for (ReservationState& r : s.reservations) {
            n += r.left[i];
            r.left[i] = 0;
          }
          if (n <= 0) continue;
          s.a_free[i] = 0;
          s.a_quota[i] -= n;
          s.w_quota[i] += n;
          s.w_free[i] += n;
          Event& e = add_event(ev, EventType::kCapacityConverted, now, actor, s);
          e.slot = i;
          e.count = n;
          touch(st, si);
        }
        for (ReservationState& r : s.reservations) r.released = true;
      }
    }
    // 4. Automatic close.
    if (now >= s.spec.end) {
      bool idle = s.waiting.empty() && !s.any_called() && s.at_tests == 0;
      if (idle || now >= s.spec.end + st.options.auto_close_grace)
        close_session_now(st, si, actor, now, ev);
    }
    st.due[si] = session_due(s);
  }
  return Error::kOk;
}

}  // namespace qc
