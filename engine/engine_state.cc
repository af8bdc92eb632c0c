// Helpers over the engine's internal state: session creation and
// validation, suspension, close, quotas, the waiting queue, the presenting
// rule, patient bookkeeping.
#include "engine/engine_state.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "engine/ops.h"

namespace qc {

Error reject(std::string* msg, Error e, std::string_view text, std::string_view id) {
  if (msg) {
    msg->assign(text);
    if (!id.empty()) {
      msg->append(": ");
      msg->append(id);
    }
  }
  return e;
}

void fill_ticket(Event& e, const TicketRec& t) {
  e.ticket_id = t.id;
  e.label = t.label.view();
  e.kind = t.kind;
  e.slot = t.slot;
  e.effective_slot = t.effective_slot;
  e.placement = t.placement;
  e.to = t.state;
}

SessionIdx find_session(const Engine::State& st, std::string_view id) {
  const SessionIdx* si = st.session_index.find(
      FlatIndex<SessionIdx>::hash(id), [&](SessionIdx x) { return st.sessions[x].spec.session_id == id; });
  return si == nullptr ? kNoSession : *si;
}

namespace {
// 1 + the index of `name` in `names` (added on first use); 0 for "".
std::size_t name_slot(std::vector<std::string>& names, std::string_view name) {
  if (name.empty()) return 0;
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return i + 1;
  names.emplace_back(name);
  return names.size();
}
}  // namespace

std::uint32_t ticket_channel_slot(Engine::State& st, std::string_view channel) {
  return static_cast<std::uint32_t>(name_slot(st.ticket_channels, channel));
}

bool priority_code_fits(const Engine::State& st, std::string_view code) {
  if (code.empty() || st.priority_codes.size() < kMaxPriorityCodes) return true;
  return std::find(st.priority_codes.begin(), st.priority_codes.end(), code) !=
         st.priority_codes.end();
}

std::uint8_t priority_slot(Engine::State& st, std::string_view code) {
  return static_cast<std::uint8_t>(name_slot(st.priority_codes, code));
}

const std::string& priority_code(const Engine::State& st, std::uint8_t slot) {
  static const std::string none;
  return slot == 0 || slot > st.priority_codes.size() ? none : st.priority_codes[slot - 1];
}

std::uint32_t find_patient(const Engine::State& st, std::string_view ref) {
  const std::uint32_t* p = st.patient_index.find(
      FlatIndex<std::uint32_t>::hash(ref), [&](std::uint32_t x) { return st.patients[x].ref == ref; });
  return p == nullptr ? kNoPatient : *p;
}

std::uint32_t patient_for(Engine::State& st, std::string_view ref) {
  std::uint32_t p = find_patient(st, ref);
  if (p != kNoPatient) return p;
  p = static_cast<std::uint32_t>(st.patients.size());
  st.patients.emplace_back().ref = std::string(ref);
  st.patient_index.insert(FlatIndex<std::uint32_t>::hash(ref), p);
  return p;
}

namespace {
// "A001" -> kind 0, n 1; "W1000" -> kind 1, n 1000; false for anything else.
bool parse_label(std::string_view label, int* kind, std::uint32_t* n) {
  if (label.size() < 4 || label.size() > 10 || (label[0] != 'A' && label[0] != 'W')) return false;
  std::uint32_t v = 0;
  for (std::size_t i = 1; i < label.size(); ++i) {
    unsigned d = static_cast<unsigned char>(label[i]) - unsigned{'0'};
    if (d > 9) return false;
    v = v * 10 + d;
    if (v > (1u << 30)) return false;
  }
  *kind = label[0] == 'A' ? 0 : 1;
  *n = v;
  return v > 0;
}

// Engine-assigned ids are "<session>-<label>": the session's label hints
// find the ticket without the global index (whose entries are cold in a
// large engine). Verified by comparing the id; false means "not found this
// way".
bool find_ticket_by_label(const Engine::State& st, std::string_view id, Loc* loc) {
  std::size_t dash = id.rfind('-');
  if (dash == std::string_view::npos || dash == 0) return false;
  int kind;
  std::uint32_t n;
  if (!parse_label(id.substr(dash + 1), &kind, &n)) return false;
  SessionIdx si = find_session(st, id.substr(0, dash));
  if (si == kNoSession) return false;
  const SessionRec& s = st.sessions[si];
  const std::vector<std::uint32_t>& hints = s.label_tickets[kind];
  if (n > hints.size()) return false;
  std::uint32_t ti = hints[n - 1];
  if (ti >= s.tickets.size() || s.tickets[ti].id != id) return false;
  *loc = Loc{si, ti};
  return true;
}
}  // namespace

namespace {
// Sets the hint of label `label` to ticket `ti` if that label has none yet.
bool note_label(SessionRec& s, std::string_view label, std::uint32_t ti) {
  int kind;
  std::uint32_t n;
  // A label's number is at most the number of tickets (bounds the hints).
  if (!parse_label(label, &kind, &n) || n > s.tickets.size()) return false;
  std::vector<std::uint32_t>& hints = s.label_tickets[kind];
  if (hints.size() < n) {
    if (hints.capacity() < n)
      hints.reserve(std::max<std::size_t>(n, hints.capacity() + hints.capacity() / 4 + 16));
    hints.resize(n, kNoTicket);
  }
  if (hints[n - 1] != kNoTicket) return false;
  hints[n - 1] = ti;
  return true;
}

// "<session id>-<label>": the form of an engine-assigned id.
bool is_label_id(std::string_view id, std::string_view session, std::string_view label) {
  return id.size() == session.size() + 1 + label.size() && id[session.size()] == '-' &&
         id.substr(0, session.size()) == session && id.substr(session.size() + 1) == label;
}
}  // namespace

bool find_ticket(const Engine::State& st, std::string_view id, Loc* loc) {
  return find_ticket_by_label(st, id, loc) || find_ticket_indexed(st, id, loc);
}

bool find_ticket_indexed(const Engine::State& st, std::string_view id, Loc* loc) {
  const Loc* l = st.ticket_index.find(FlatIndex<Loc>::hash(id), [&](Loc x) {
    return st.sessions[x.session].tickets[x.index].id == id;
  });
  if (l == nullptr) return false;
  *loc = *l;
  return true;
}

void index_ticket(Engine::State& st, SessionIdx si, std::uint32_t ti) {
  SessionRec& s = st.sessions[si];
  const TicketRec& t = s.tickets[ti];
  if (is_label_id(t.id, s.spec.session_id, t.label) && note_label(s, t.label, ti)) return;
  st.ticket_index.insert(FlatIndex<Loc>::hash(t.id), Loc{si, ti});
}

namespace {
// Nibble value of a lowercase hex digit, 0xFF otherwise.
struct HexTable {
  std::uint8_t v[256];
  constexpr HexTable() : v{} {
    for (int i = 0; i < 256; ++i) v[i] = 0xFF;
    for (int i = 0; i < 10; ++i) v['0' + i] = static_cast<std::uint8_t>(i);
    for (int i = 0; i < 6; ++i) v['a' + i] = static_cast<std::uint8_t>(10 + i);
  }
};
constexpr HexTable kHex;
}  // namespace

// Per byte of x (8 characters), the bit 0x80 is set if the character is a
// lowercase hex digit; the nibbles are the digits' values.
bool pack_token(std::string_view token, std::array<std::uint8_t, 16>* out) {
  if (token.size() != 32) return false;
  constexpr std::uint64_t L = 0x0101010101010101ull, H = 0x8080808080808080ull;
  // Per byte (all bytes < 0x80): bit 7 set iff the byte is >= k.
  auto ge = [](std::uint64_t x, std::uint64_t k) { return ((x | H) - k * L) & H; };
  std::uint64_t bad = 0;
  for (int w = 0; w < 4; ++w) {
    std::uint64_t x;
    std::memcpy(&x, token.data() + 8 * w, 8);
    std::uint64_t ok = (ge(x, 0x30) & ~ge(x, 0x3A)) | (ge(x, 0x61) & ~ge(x, 0x67));
    bad |= (x & H) | (ok ^ H);
    // '0'..'9' -> 0..9, 'a'..'f' -> 10..15 (little-endian: byte 0 is the first digit).
    std::uint64_t v = (x & (0x0F * L)) + ((x >> 6) & L) * 9;
    std::uint64_t t = ((v & 0x00FF00FF00FF00FFull) << 4) | ((v >> 8) & 0x00FF00FF00FF00FFull);
    t = (t | (t >> 8)) & 0x0000FFFF0000FFFFull;
    t = (t | (t >> 16)) & 0x00000000FFFFFFFFull;
    std::uint32_t b = static_cast<std::uint32_t>(t);
    std::memcpy(out->data() + 4 * w, &b, 4);
  }
  return bad == 0;
}

std::string unpack_token(const std::array<std::uint8_t, 16>& bin) {
  static const char* hex = "0123456789abcdef";
  std::string s(32, '0');
  for (std::size_t i = 0; i < 16; ++i) {
    s[2 * i] = hex[bin[i] >> 4];
    s[2 * i + 1] = hex[bin[i] & 15];
  }
  return s;
}

bool find_token(const Engine::State& st, const TokenKey& token, Loc* loc) {
  if (token.packed) {
    const Loc* l = st.token_index.find(token_hash(token.bin), [&](Loc x) {
      const TicketRec& t = st.sessions[x.session].tickets[x.index];
      return t.has_token && t.token_bin == token.bin;
    });
    if (l == nullptr) return false;
    *loc = *l;
    return true;
  }
  auto it = st.other_tokens.find(token.text);
  if (it == st.other_tokens.end()) return false;
  *loc = it->second;
  return true;
}

bool find_token(const Engine::State& st, std::string_view token, Loc* loc) {
  return find_token(st, TokenKey(token), loc);
}

void index_token(Engine::State& st, const TokenKey& token, Loc loc) {
  TicketRec& t = st.sessions[loc.session].tickets[loc.index];
  if (token.packed) {
    t.token_bin = token.bin;
    t.has_token = true;
    st.token_index.insert(token_hash(token.bin), loc);
  } else {
    st.other_tokens.emplace(std::string(token.text), loc);
  }
}

void touch(Engine::State& st, SessionIdx si) {
  SessionRec& s = st.sessions[si];
  if (s.touched_stamp != st.command_stamp) {
    s.touched_stamp = st.command_stamp;
    ++s.version;
  }
}

Error wrong_state(std::string* msg, const TicketRec& t, TicketState need) {
  if (msg) {
    msg->assign("ticket ");
    msg->append(t.id);
    msg->append(" is ");
    msg->append(to_string(t.state));
    msg->append(", needs ");
    msg->append(to_string(need));
  }
  return Error::kWrongState;
}

Error check_not_closed(const SessionRec& s, std::string* msg) {
  if (s.status == SessionStatus::kClosed)
    return reject(msg, Error::kSessionClosed, "session is closed", s.spec.session_id);
  if (s.status == SessionStatus::kSuspended)
    return reject(msg, Error::kSessionClosed, "session is suspended", s.spec.session_id);
  return Error::kOk;
}

Error known_session(const Engine::State& st, std::string_view id, SessionIdx* si,
                    std::string* msg) {
  *si = find_session(st, id);
  if (*si == kNoSession) return reject(msg, Error::kUnknownSession, "unknown session", id);
  return Error::kOk;
}

Error open_session(const Engine::State& st, std::string_view id, SessionIdx* si,
                   std::string* msg) {
  if (Error e = known_session(st, id, si, msg); e != Error::kOk) return e;
  return check_not_closed(st.sessions[*si], msg);
}

Error open_ticket(const Engine::State& st, std::string_view id, Loc* loc, std::string* msg) {
  if (!find_ticket(st, id, loc)) return reject(msg, Error::kUnknownTicket, "unknown ticket", id);
  return check_not_closed(st.sessions[loc->session], msg);
}

Time local_midnight(Time t, std::int32_t utc_offset_minutes) {
  Time off = Time{utc_offset_minutes} * kMinute;
  Time local = t + off;
  Time day = local / kDay;
  if (local % kDay < 0) --day;
  return day * kDay - off;
}

// ---- queue ----

namespace {
auto key_greater = [](const WaitEntry& e, std::uint64_t k) { return e.key > k; };
}

void queue_insert(SessionRec& s, std::uint32_t ticket, std::uint64_t key) {
  auto it = std::lower_bound(s.waiting.begin(), s.waiting.end(), key, key_greater);
  s.waiting.insert(it, WaitEntry{key, ticket});
}

void queue_erase(SessionRec& s, std::uint64_t key) {
  auto it = std::lower_bound(s.waiting.begin(), s.waiting.end(), key, key_greater);
  if (it != s.waiting.end() && it->key == key) s.waiting.erase(it);
}

std::int32_t queue_rank(const SessionRec& s, std::uint64_t key) {
  auto it = std::lower_bound(s.waiting.begin(), s.waiting.end(), key, key_greater);
  auto n = s.waiting.end() - it;
  if (it != s.waiting.end() && it->key == key) --n;
  return static_cast<std::int32_t>(n);
}

Presenting presenting(const SessionRec& s, const TicketRec& t, bool missed, Time now,
                      std::uint64_t seq) {
  bool on_time = now <= s.slot_end(t.slot) + s.spec.late_grace;
  bool passed = missed || s.serving_slot > t.slot;
  if (!on_time) {
    int last = s.slots - 1;
    return {make_key(1, last, kind_class(s, TicketKind::kWalkIn), seq), last,
            Placement::kDemoted};
  }
  if (passed) return {make_key(0, 0, 0, seq), t.slot, Placement::kMadeNext};
  return {make_key(1, t.slot, kind_class(s, t.kind), seq), t.slot, Placement::kNormal};
}

// ---- patients and capacity ----

std::uint32_t patient_add_active(Engine::State& st, const std::string& ref, SessionIdx si) {
  std::uint32_t p = patient_for(st, ref);
  st.patients[p].active.add(si);
  return p;
}

void patient_remove_active(Engine::State& st, std::uint32_t p, SessionIdx si) {
  if (p < st.patients.size()) st.patients[p].active.remove(si);
}

std::int32_t return_appointment_unit(SessionRec& s, std::int32_t slot,
                                     std::uint8_t reservation, Time now) {
  s.a_used[slot] -= 1;
  if (now >= s.conversion_time || s.converted) {
    s.a_quota[slot] -= 1;
    s.w_quota[slot] += 1;
    s.w_free[slot] += 1;
    return 2;
  }
  if (reservation != kNoReservation && reservation < s.reservations.size() &&
      !s.reservations[reservation].released) {
    s.reservations[reservation].left[slot] += 1;
  } else {
    s.a_free[slot] += 1;
  }
  return 1;
}

void finish_hold(Engine::State& st, SessionIdx si, std::uint32_t hi) {
  HoldRec& h = st.sessions[si].holds[hi];
  h.open = false;
  st.sessions[si].open_holds -= 1;
  patient_remove_active(st, h.patient, si);
}

Time session_due(const SessionRec& s) {
  if (s.status == SessionStatus::kClosed) return kMaxTime;
  Time due = s.spec.end;
  if (s.status == SessionStatus::kSuspended) return due;
  if (!s.converted) due = std::min(due, s.conversion_time);
  for (const ReservationState& r : s.reservations)
    if (!r.released && r.release_at != kNoTime) due = std::min(due, r.release_at);
  if (s.open_holds > 0)
    for (const HoldRec& h : s.holds)
      if (h.open) due = std::min(due, h.expires_at);
  return due;
}

// ---- sessions ----

const char* flow_settings_error(const std::vector<std::string>& rooms,
                                std::int32_t priority_after, std::int32_t return_after,
                                std::int32_t max_overtaken) {
  if (rooms.size() > kMaxRooms) return "too many rooms (at most 16)";
  for (std::size_t i = 0; i < rooms.size(); ++i) {
    if (rooms[i].empty() || rooms[i].size() > 64) return "a room name must have 1 to 64 bytes";
    for (std::size_t j = 0; j < i; ++j)
      if (rooms[j] == rooms[i]) return "rooms must not repeat";
  }
  for (std::int32_t k : {priority_after, return_after, max_overtaken})
    if (k < 0 || k > 1000)
      return "priority_after, return_after and max_overtaken must be between 0 and 1000";
  return nullptr;
}

Error validate_session_spec(const Engine::State& st, const SessionSpec& sp, std::string* msg) {
  auto bad = [&](std::string_view why) {
    return reject(msg, Error::kInvalidArgument, why, sp.session_id);
  };
  if (sp.session_id.empty() || sp.session_id.size() > 64)
    return bad("session_id must have 1 to 64 bytes");
  if (sp.slot_minutes <= 0) return bad("slot_minutes must be positive");
  auto in_range = [](Time t) { return t > -kMaxTime && t < kMaxTime; };
  if (!in_range(sp.start) || !in_range(sp.end) || !in_range(sp.registration_open))
    return bad("times out of range");
  if ((sp.cancel_deadline != kNoTime && !in_range(sp.cancel_deadline)) ||
      (sp.walkin_conversion_time != kNoTime && !in_range(sp.walkin_conversion_time)))
    return bad("times out of range");
  if (sp.late_grace > kMaxSpan || sp.avg_consult_seed > kMaxSpan ||
      sp.arrival_buffer > kMaxSpan)
    return bad("late_grace, avg_consult_seed and arrival_buffer must be at most 366 days");
  if (sp.end <= sp.start) return bad("end must be after start");
  Duration len = Duration{sp.slot_minutes} * kMinute;
  if ((sp.end - sp.start) % len != 0) return bad("slot_minutes must divide the period");
  std::int64_t m = (sp.end - sp.start) / len;
  if (m > 4096) return bad("too many slots (at most 4096)");
  if (static_cast<std::int64_t>(sp.appointment_quota.size()) != m ||
      static_cast<std::int64_t>(sp.walkin_quota.size()) != m)
    return bad("quotas must have one entry per slot");
  for (std::int64_t i = 0; i < m; ++i) {
    if (sp.appointment_quota[i] < 0 || sp.walkin_quota[i] < 0 ||
        sp.appointment_quota[i] > 100000 || sp.walkin_quota[i] > 100000)
      return bad("quotas must be between 0 and 100000");
  }
  if (sp.registration_open > sp.start) return bad("registration_open must not be after start");
  if (sp.late_grace < 0) return bad("late_grace must not be negative");
  if (sp.avg_consult_seed < 0) return bad("avg_consult_seed must not be negative");
  if (sp.arrival_buffer < 0) return bad("arrival_buffer must not be negative");
  if (sp.first_call_delay < 0 || sp.first_call_delay > kMaxSpan)
    return bad("first_call_delay must be between 0 and 366 days");
  if (sp.utc_offset_minutes < -14 * 60 || sp.utc_offset_minutes > 14 * 60)
    return bad("utc_offset_minutes out of range");
  if (sp.reservations.size() > 254) return bad("too many reservations");
  if (const char* why =
          flow_settings_error(sp.rooms, sp.priority_after, sp.return_after, sp.max_overtaken))
    return bad(why);
  std::vector<std::int64_t> reserved(static_cast<std::size_t>(m), 0);
  for (const Reservation& r : sp.reservations) {
    if (r.channel.empty()) return bad("a reservation needs a channel");
    if (r.release_at != kNoTime && !in_range(r.release_at))
      return bad("release_at out of range");
    if (static_cast<std::int64_t>(r.units.size()) != m)
      return bad("reservation units must have one entry per slot");
    for (std::int64_t i = 0; i < m; ++i) {
      if (r.units[i] < 0) return bad("reservation units must not be negative");
      reserved[i] += r.units[i];
      if (reserved[i] > sp.appointment_quota[i])
        return bad("reserved units exceed the appointment quota");
    }
  }
  if (find_session(st, sp.session_id) != kNoSession)
    return reject(msg, Error::kAlreadyExists, "session exists", sp.session_id);
  return Error::kOk;
}

void init_rooms(SessionRec& s) {
  s.rooms.clear();
  if (s.spec.rooms.empty()) {
    s.rooms.emplace_back().name = s.spec.room;
  } else {
    for (const std::string& r : s.spec.rooms) s.rooms.emplace_back().name = r;
  }
}

SessionIdx create_session(Engine::State& st, const Actor& actor, const SessionSpec& sp,
                          Time now, std::vector<Event>* events) {
  SessionIdx si = static_cast<SessionIdx>(st.sessions.size());
  SessionRec& s = st.sessions.emplace_back();
  st.session_index.insert(FlatIndex<SessionIdx>::hash(sp.session_id), si);
  s.spec = sp;
  s.slot_len = Duration{sp.slot_minutes} * kMinute;
  s.slots = static_cast<std::int32_t>((sp.end - sp.start) / s.slot_len);
  s.cancel_deadline = sp.cancel_deadline == kNoTime ? sp.registration_open : sp.cancel_deadline;
  s.conversion_time = sp.walkin_conversion_time == kNoTime
                          ? local_midnight(sp.start, sp.utc_offset_minutes)
                          : sp.walkin_conversion_time;
  s.avg_seed = sp.avg_consult_seed > 0 ? sp.avg_consult_seed : 10 * kMinute;
  init_rooms(s);
  std::size_t m = static_cast<std::size_t>(s.slots);
  s.a_quota = sp.appointment_quota;
  s.w_quota = sp.walkin_quota;
  s.a_free = sp.appointment_quota;
  s.w_free = sp.walkin_quota;
  s.a_used.assign(m, 0);
  s.booked.assign(m, 0);
  s.w_used.assign(m, 0);
  // Size the indexes for the session's quotas now, while rehashing is cheap
  // (sessions are created ahead of their day), not in the middle of the day.
  std::size_t appointments = 0, total = 0;
  for (std::size_t i = 0; i < m; ++i) {
    appointments += static_cast<std::size_t>(sp.appointment_quota[i]);
    total += static_cast<std::size_t>(sp.appointment_quota[i] + sp.walkin_quota[i]);
  }
  st.token_index.reserve(st.token_index.size() + total);
  st.patient_index.reserve(st.patient_index.size() + appointments);
  // The session's own tickets too: growing the vector during the day would
  // copy every ticket each time (bounded, in case of absurd quotas).
  s.tickets.reserve(std::min<std::size_t>(total, 4096));
  s.label_tickets[0].reserve(std::min<std::size_t>(appointments, 4096));
  s.label_tickets[1].reserve(std::min<std::size_t>(total - appointments, 4096));
  for (const Reservation& r : sp.reservations) {
    ReservationState& rs = s.reservations.emplace_back();
    rs.channel = r.channel;
    rs.left = r.units;
    rs.release_at = r.release_at;
    for (std::size_t i = 0; i < m; ++i) s.a_free[i] -= r.units[i];
  }
  st.due.push_back(session_due(s));
  add_event(events, EventType::kSessionCreated, now, actor, s);
  touch(st, si);
  return si;
}

namespace {
// Suspension and close: every open hold ends (kHoldReleased with `reason`,
// count 0: its unit stays where it is).
void release_open_holds(Engine::State& st, SessionIdx si, const Actor& actor,
                        std::string_view reason, Time now, std::vector<Event>* ev) {
  SessionRec& s = st.sessions[si];
  for (std::uint32_t hi = 0; hi < s.holds.size(); ++hi) {
    if (!s.holds[hi].open) continue;
    finish_hold(st, si, hi);
    add_hold_event(ev, EventType::kHoldReleased, now, actor, s, s.holds[hi], reason, 0);
  }
}
}  // namespace

void suspend_session(Engine::State& st, SessionIdx si, const Actor& actor,
                     std::string_view reason, std::string_view cancel_reason, Time now,
                     std::vector<Event>* events) {
  SessionRec& s = st.sessions[si];
  std::string_view why = cancel_reason.empty() ? std::string_view("suspended") : cancel_reason;
  for (TicketRec& t : s.tickets) {
    if (t.state == TicketState::kAtTests) {  // the patient was seen
      t.state = TicketState::kDone;
      Event& e = add_event(events, EventType::kTicketCompleted, now, actor, s);
      fill_ticket(e, t);
      e.from = TicketState::kAtTests;
      e.reason = "suspended";
      e.room = room_name(s, t.room);
      continue;
    }
    if (t.state != TicketState::kBooked && t.state != TicketState::kWaiting) continue;
    TicketState from = t.state;
    if (from == TicketState::kBooked) {
      patient_remove_active(st, t.patient, si);
      s.booked[t.slot] -= 1;
    }
    t.state = TicketState::kCancelled;
    Event& e = add_event(events, EventType::kTicketCancelled, now, actor, s);
    fill_ticket(e, t);
    e.from = from;
    e.patient_ref = t.patient_ref;
    e.reason = why;
    e.count = 0;
  }
  s.waiting.clear();
  s.at_tests = 0;
  release_open_holds(st, si, actor, why, now, events);
  s.status = SessionStatus::kSuspended;
  Event& e = add_event(events, EventType::kSessionSuspended, now, actor, s);
  e.reason = reason;
  touch(st, si);
}

void close_session_now(Engine::State& st, SessionIdx si, const Actor& actor, Time now,
                       std::vector<Event>* ev) {
  SessionRec& s = st.sessions[si];
  const EngineOptions& o = st.options;
  for (TicketRec& t : s.tickets) {
    TicketState from = t.state;
    if (from == TicketState::kCalled || from == TicketState::kAtTests) {
      t.state = TicketState::kDone;
      Event& e = add_event(ev, EventType::kTicketCompleted, now, actor, s);
      fill_ticket(e, t);
      e.from = from;
      e.reason = "session_closed";
      e.room = room_name(s, t.room);
    } else if (from == TicketState::kWaiting) {
      t.state = TicketState::kCancelled;
      Event& e = add_event(ev, EventType::kTicketCancelled, now, actor, s);
      fill_ticket(e, t);
      e.from = from;
      e.patient_ref = t.patient_ref;
      e.reason = "session_closed";
      e.count = 0;
    } else if (from == TicketState::kBooked) {
      t.state = TicketState::kNoShow;
      s.booked[t.slot] -= 1;
      Event& e = add_event(ev, EventType::kTicketNoShow, now, actor, s);
      fill_ticket(e, t);
      e.from = from;
      e.patient_ref = t.patient_ref;
      std::uint32_t pi = t.patient;
      if (pi >= st.patients.size()) continue;
      PatientRec& p = st.patients[pi];
      p.active.remove(si);
      p.noshows.push_back(now);
      Time floor = now - o.noshow_window;
      p.noshows.erase(std::remove_if(p.noshows.begin(), p.noshows.end(),
                                     [&](Time x) { return x <= floor; }),
                      p.noshows.end());
      if (o.noshow_threshold > 0 &&
          static_cast<std::int64_t>(p.noshows.size()) >= o.noshow_threshold) {
        p.banned_until = std::max(p.banned_until, now + o.ban);
        Event& b = add_event(ev, EventType::kPatientBlacklisted, now, actor, s);
        b.patient_ref = t.patient_ref;
        b.until = p.banned_until;
        b.count = static_cast<std::int32_t>(p.noshows.size());
      }
    }
  }
  s.waiting.clear();
  for (RoomRec& r : s.rooms) r.called = -1;
  s.at_tests = 0;
  release_open_holds(st, si, actor, "session_closed", now, ev);
  s.status = SessionStatus::kClosed;
  add_event(ev, EventType::kSessionClosed, now, actor, s);
  touch(st, si);
}

void set_session_quotas(Engine::State& st, SessionIdx si, const Actor& actor,
                        const std::vector<std::int32_t>& aq, const std::vector<std::int32_t>& wq,
                        Time now, std::vector<Event>* events) {
  SessionRec& s = st.sessions[si];
  for (std::int32_t i = 0; i < s.slots; ++i) {
    std::int32_t reserved = 0;
    for (const ReservationState& r : s.reservations)
      if (!r.released) reserved += r.left[i];
    s.a_quota[i] = std::max(aq[i], s.a_used[i] + reserved);
    s.a_free[i] = s.a_quota[i] - s.a_used[i] - reserved;
    s.w_quota[i] = std::max(wq[i], s.w_used[i]);
    s.w_free[i] = s.w_quota[i] - s.w_used[i];
  }
  add_event(events, EventType::kQuotasAdjusted, now, actor, s);
  touch(st, si);
}

}  // namespace qc
