// Snapshots: save() writes the whole state as a deterministic binary image
// (little-endian integers, length-prefixed strings, every container in a
// fixed order: sessions in creation order, maps sorted by key); load()
// parses and validates an image into a fresh state and swaps it in only if
// all of it is valid. Indexes and the waiting queues are rebuilt on load.
#include <algorithm>
#include <cstring>

#include "engine/ops.h"

namespace qc {

namespace {

// 02 added SessionSpec::first_call_delay, 03 SessionTemplate::first_call_delay,
// 02 added SessionSpec::first_call_delay, 03 SessionTemplate::first_call_delay,
// 04 SessionTemplate::avg_consult_seed and arrival_buffer, 05 the booking
// channel of every ticket and the session's undo record; older images still
// load (delays 0, the seed and buffer's defaults, channels of reserved-share
// tickets only, nothing to undo).
constexpr std::string_view kMagic = "QCSNAP05";
constexpr std::string_view kMagicV4 = "QCSNAP04";
constexpr std::string_view kMagicV3 = "QCSNAP03";
constexpr std::string_view kMagicV2 = "QCSNAP02";
constexpr std::string_view kMagicV1 = "QCSNAP01";
constexpr std::int64_t kTimeBound = std::int64_t{1} << 62;

class Writer {
 public:
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
  void u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
  void i32(std::int32_t v) { u32(static_cast<std::uint32_t>(v)); }
  void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
  void str(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
  }
  void vec(const std::vector<std::int32_t>& v) {
    u32(static_cast<std::uint32_t>(v.size()));
    for (std::int32_t x : v) i32(x);
  }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view d, int version) : version(version), d_(d) {}
  const int version;  // of the image (1 to 5)
  bool ok() const { return ok_; }
  bool done() const { return ok_ && p_ == d_.size(); }
  void fail() { ok_ = false; }
  std::uint8_t u8() { return static_cast<std::uint8_t>(take(1)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(take(4)); }
  std::uint64_t u64() { return take(8); }
  std::int32_t i32() { return static_cast<std::int32_t>(u32()); }
  std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
  // A time or duration: kNoTime or within +-2^62.
  std::int64_t time() {
    std::int64_t v = i64();
    if (v != kNoTime && (v > kTimeBound || v < -kTimeBound)) ok_ = false;
    return v;
  }
  std::string str() {
    std::uint32_t n = u32();
    if (!ok_ || n > d_.size() - p_) {
      ok_ = false;
      return {};
    }
    std::string s(d_.substr(p_, n));
    p_ += n;
    return s;
  }
  // A count of items each at least `min_bytes` long (guards allocations).
  std::uint32_t count(std::size_t min_bytes) {
    std::uint32_t n = u32();
    if (!ok_ || std::size_t{n} * min_bytes > d_.size() - p_) {
      ok_ = false;
      return 0;
    }
    return n;
  }
  std::vector<std::int32_t> vec() {
    std::uint32_t n = count(4);
    std::vector<std::int32_t> v(n);
    for (auto& x : v) x = i32();
    return v;
  }

 private:
  std::uint64_t take(int n) {
    if (!ok_ || d_.size() - p_ < static_cast<std::size_t>(n)) {
      ok_ = false;
      return 0;
    }
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i)
      v |= std::uint64_t(static_cast<unsigned char>(d_[p_ + i])) << (8 * i);
    p_ += n;
    return v;
  }
  std::string_view d_;
  std::size_t p_ = 0;
  bool ok_ = true;
};

void write_spec(Writer& w, const SessionSpec& s) {
  w.str(s.session_id);
  w.str(s.doctor_id);
  w.str(s.doctor_name);
  w.str(s.department);
  w.str(s.room);
  w.str(s.area);
  w.i64(s.start);
  w.i64(s.end);
  w.i64(s.registration_open);
  w.i32(s.slot_minutes);
  w.vec(s.appointment_quota);
  w.vec(s.walkin_quota);
  w.u8(static_cast<std::uint8_t>(s.policy));
  w.i64(s.late_grace);
  w.i64(s.cancel_deadline);
  w.i64(s.walkin_conversion_time);
  w.i32(s.utc_offset_minutes);
  w.i64(s.avg_consult_seed);
  w.i64(s.arrival_buffer);
  w.i64(s.first_call_delay);
  w.u32(static_cast<std::uint32_t>(s.reservations.size()));
  for (const Reservation& r : s.reservations) {
    w.str(r.channel);
    w.vec(r.units);
    w.i64(r.release_at);
  }
}

SessionSpec read_spec(Reader& r) {
  SessionSpec s;
  s.session_id = r.str();
  s.doctor_id = r.str();
  s.doctor_name = r.str();
  s.department = r.str();
  s.room = r.str();
  s.area = r.str();
  s.start = r.time();
  s.end = r.time();
  s.registration_open = r.time();
  s.slot_minutes = r.i32();
  s.appointment_quota = r.vec();
  s.walkin_quota = r.vec();
  std::uint8_t policy = r.u8();
  if (policy > 1) r.fail();
  s.policy = static_cast<Policy>(policy);
  s.late_grace = r.time();
  s.cancel_deadline = r.time();
  s.walkin_conversion_time = r.time();
  s.utc_offset_minutes = r.i32();
  s.avg_consult_seed = r.time();
  s.arrival_buffer = r.time();
  if (r.version >= 2) s.first_call_delay = r.time();
  std::uint32_t n = r.count(12);
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    Reservation& x = s.reservations.emplace_back();
    x.channel = r.str();
    x.units = r.vec();
    x.release_at = r.time();
  }
  return s;
}

void write_template(Writer& w, const SessionTemplate& t) {
  w.str(t.template_id);
  w.str(t.doctor_id);
  w.str(t.doctor_name);
  w.str(t.department);
  w.str(t.room);
  w.str(t.area);
  w.i32(t.weekday);
  w.i32(t.start_minute);
  w.i32(t.end_minute);
  w.i32(t.registration_open_minute);
  w.i32(t.slot_minutes);
  w.vec(t.appointment_quota);
  w.vec(t.walkin_quota);
  w.u8(static_cast<std::uint8_t>(t.policy));
  w.i32(t.utc_offset_minutes);
  w.i64(t.first_call_delay);
  w.i64(t.avg_consult_seed);
  w.i64(t.arrival_buffer);
}

SessionTemplate read_template(Reader& r) {
  SessionTemplate t;
  t.template_id = r.str();
  t.doctor_id = r.str();
  t.doctor_name = r.str();
  t.department = r.str();
  t.room = r.str();
  t.area = r.str();
  t.weekday = r.i32();
  t.start_minute = r.i32();
  t.end_minute = r.i32();
  t.registration_open_minute = r.i32();
  t.slot_minutes = r.i32();
  t.appointment_quota = r.vec();
  t.walkin_quota = r.vec();
  std::uint8_t policy = r.u8();
  if (policy > 1) r.fail();
  t.policy = static_cast<Policy>(policy);
  t.utc_offset_minutes = r.i32();
  if (r.version >= 3) t.first_call_delay = r.time();
  if (r.version >= 4) {
    t.avg_consult_seed = r.time();
    t.arrival_buffer = r.time();
  }
  return t;
}

template <class Map>
std::vector<const typename Map::value_type*> sorted(const Map& m) {
  std::vector<const typename Map::value_type*> v;
  v.reserve(m.size());
  for (const auto& kv : m) v.push_back(&kv);
  std::sort(v.begin(), v.end(), [](auto* a, auto* b) { return a->first < b->first; });
  return v;
}

// The undo record of a session (only while it applies, UndoRec); written
// after everything else, as (session index, record) pairs.
void write_undo(Writer& w, const SessionRec& s) {
  const UndoRec& u = s.undo;
  w.u8(static_cast<std::uint8_t>(u.action));
  w.i64(u.at);
  w.i32(u.called);
  w.i32(u.serving_slot);
  w.i64(u.last_call);
  w.i64(u.consult_sum);
  w.i64(u.consult_n);
  w.u8(u.paused_since_call ? 1 : 0);
  w.u8(u.n);
  for (std::uint8_t i = 0; i < u.n; ++i) {
    w.u32(u.tickets[i].index);
    w.u8(static_cast<std::uint8_t>(u.tickets[i].state));
    w.i64(u.tickets[i].called_at);
  }
}

// Reads and checks the record against the session already read, so that an
// undo of it can only produce a state the session had: every ticket changed
// by the action as it would have (WAITING -> CALLED, CALLED -> DONE/MISSED),
// a restored WAITING ticket's key free, the restored called ticket the one
// that was CALLED.
bool read_undo(Reader& r, SessionRec& s) {
  std::uint8_t action = r.u8();
  if (action == 0 || action > 4) return false;
  UndoRec u;
  u.action = static_cast<UndoAction>(action);
  u.version = s.version;
  u.at = r.time();
  u.called = r.i32();
  u.serving_slot = r.i32();
  u.last_call = r.time();
  u.consult_sum = r.time();
  u.consult_n = r.i64();
  u.paused_since_call = r.u8() != 0;
  u.n = r.u8();
  if (!r.ok() || u.n < 1 || u.n > 2) return false;
  if (u.at <= -kMaxTime || u.at >= kMaxTime) return false;
  if (u.serving_slot < -1 || u.serving_slot >= s.slots) return false;
  if (u.last_call != kNoTime && (u.last_call <= -kMaxTime || u.last_call >= kMaxTime))
    return false;
  if (u.consult_n < 0 || u.consult_n > s.consult_n || u.consult_sum < 0 ||
      u.consult_sum > s.consult_sum)
    return false;
  bool restores_called = false;
  bool called_covered = s.called < 0;  // the CALLED ticket now is one the undo returns
  for (std::uint8_t i = 0; i < u.n; ++i) {
    UndoTicket& x = u.tickets[i];
    x.index = r.u32();
    std::uint8_t state = r.u8();
    x.called_at = r.time();
    if (!r.ok() || x.index >= s.tickets.size() || (i == 1 && x.index == u.tickets[0].index))
      return false;
    x.state = static_cast<TicketState>(state);
    const TicketRec& t = s.tickets[x.index];
    if (x.state == TicketState::kWaiting) {
      if (t.state != TicketState::kCalled) return false;
      if ((t.key & ((std::uint64_t{1} << 46) - 1)) >= s.next_seq) return false;
      called_covered = true;
      for (const WaitEntry& e : s.waiting)
        if (e.key == t.key) return false;
    } else if (x.state == TicketState::kCalled) {
      if (t.state != TicketState::kDone && t.state != TicketState::kMissed) return false;
      if (u.called != static_cast<std::int32_t>(x.index)) return false;
      restores_called = true;
    } else {
      return false;
    }
  }
  if (!called_covered || (!restores_called && u.called != -1)) return false;
  s.undo = u;
  return true;
}

bool read_session(Reader& r, State& st) {
  SessionSpec spec = read_spec(r);
  if (!r.ok()) return false;
  if (validate_session_spec(st, spec, nullptr) != Error::kOk) return false;
  std::vector<Event> scratch;
  SessionIdx si = create_session(st, Actor{}, spec, 0, &scratch);
  SessionRec& s = st.sessions[si];
  const std::size_t m = static_cast<std::size_t>(s.slots);
  std::uint8_t status = r.u8();
  if (status > 3) return false;
  s.status = static_cast<SessionStatus>(status);
  s.version = r.u64();
  s.touched_stamp = 0;
  for (auto* v : {&s.a_quota, &s.w_quota, &s.a_free, &s.w_free, &s.a_used, &s.w_used}) {
    *v = r.vec();
    if (v->size() != m) return false;
  }
  std::uint32_t nres = r.count(13);
  if (!r.ok() || nres != s.reservations.size()) return false;
  for (ReservationState& x : s.reservations) {
    x.channel = r.str();
    x.left = r.vec();
    x.release_at = r.time();
    x.released = r.u8() != 0;
    if (x.left.size() != m) return false;
  }
  s.converted = r.u8() != 0;
  std::uint32_t nt = r.count(40);
  s.tickets.reserve(nt);
  for (std::uint32_t i = 0; i < nt && r.ok(); ++i) {
    TicketRec& t = s.tickets.emplace_back();
    t.id = r.str();
    std::string label = r.str();
    if (label.size() > 11) return false;
    t.label.assign(label);
    t.patient_ref = r.str();
    t.patient_name = r.str();
    t.created_at = r.time();
    t.checked_in_at = r.time();
    t.called_at = r.time();
    t.key = r.u64();
    t.slot = r.i32();
    t.effective_slot = r.i32();
    std::uint8_t kind = r.u8(), state = r.u8(), placement = r.u8();
    t.reservation = r.u8();
    if (kind > 1 || state > 6 || placement > 3) return false;
    t.kind = static_cast<TicketKind>(kind);
    t.state = static_cast<TicketState>(state);
    t.placement = static_cast<Placement>(placement);
    if (t.id.empty() || t.slot < 0 || t.slot >= s.slots || t.effective_slot < 0 ||
        t.effective_slot >= s.slots)
      return false;
    if (t.reservation != kNoReservation && t.reservation >= nres) return false;
    t.has_token = r.u8() != 0;
    if (t.has_token)
      for (auto& b : t.token_bin) b = r.u8();
    // The booking channel: from the last section (v5); older images know it
    // only for a ticket of a channel's reserved share.
    if (r.version < 5 && t.reservation != kNoReservation)
      t.channel = ticket_channel_slot(st, s.reservations[t.reservation].channel);
    Loc dup;
    if (find_ticket(st, t.id, &dup)) return false;
    index_ticket(st, si, i);
    if (t.has_token) {
      if (find_token(st, unpack_token(t.token_bin), &dup)) return false;
      st.token_index.insert(token_hash(t.token_bin), Loc{si, i});
    }
    if (t.state == TicketState::kWaiting) s.waiting.push_back(WaitEntry{t.key, i});
    if (t.state == TicketState::kBooked) s.booked[t.slot] += 1;
    if (t.state == TicketState::kCalled) {
      if (s.called >= 0) return false;
      s.called = static_cast<std::int32_t>(i);
    }
  }
  std::sort(s.waiting.begin(), s.waiting.end(),
            [](const WaitEntry& a, const WaitEntry& b) { return a.key > b.key; });
  for (std::size_t i = 1; i < s.waiting.size(); ++i)
    if (s.waiting[i].key == s.waiting[i - 1].key) return false;
  s.serving_slot = r.i32();
  s.next_seq = r.u64();
  s.appt_labels = r.i32();
  s.walkin_labels = r.i32();
  s.holds_made = r.i32();
  s.last_call = r.time();
  s.paused_since_call = r.u8() != 0;
  s.consult_sum = r.time();
  s.consult_n = r.i64();
  if (s.serving_slot < -1 || s.serving_slot >= s.slots) return false;
  if (s.next_seq >= (std::uint64_t{1} << 46) || s.consult_n < 0 ||
      s.consult_n > (std::int64_t{1} << 32) || s.consult_sum < 0 ||
      s.consult_sum / kMaxConsultInterval > s.consult_n)
    return false;
  if (s.last_call != kNoTime && (s.last_call <= -kMaxTime || s.last_call >= kMaxTime))
    return false;
  for (const WaitEntry& e : s.waiting)
    if ((e.key & ((std::uint64_t{1} << 46) - 1)) >= s.next_seq) return false;
  std::uint32_t nh = r.count(40);
  for (std::uint32_t i = 0; i < nh && r.ok(); ++i) {
    HoldRec& h = s.holds.emplace_back();
    h.id = r.str();
    h.patient_ref = r.str();
    h.patient_name = r.str();
    h.channel = r.str();
    h.placed_at = r.time();
    h.expires_at = r.time();
    h.slot = r.i32();
    h.reservation = r.u8();
    h.open = r.u8() != 0;
    if (h.id.empty() || h.slot < 0 || h.slot >= s.slots || h.expires_at == kNoTime) return false;
    if (h.reservation != kNoReservation && h.reservation >= nres) return false;
    if (!st.hold_index.emplace(h.id, Loc{si, i}).second) return false;
    if (h.open) s.open_holds += 1;
  }
  return r.ok();
}

}  // namespace

std::string Engine::save() const {
  const State& st = *state_;
  Writer w;
  w.out().append(kMagic);
  const EngineOptions& o = st.options;
  w.i32(o.max_active_bookings);
  w.i32(o.noshow_threshold);
  w.i64(o.noshow_window);
  w.i64(o.ban);
  w.i64(o.default_hold_ttl);
  w.i64(o.auto_close_grace);
  w.i32(o.display_next_count);
  w.u8(o.display_names ? 1 : 0);
  w.u32(static_cast<std::uint32_t>(st.channels.size()));
  for (const auto& [id, ch] : st.channels) {
    w.str(ch.channel_id);
    w.i64(ch.window_opens_before);
    w.i64(ch.window_closes_before);
  }
  w.u32(static_cast<std::uint32_t>(st.templates.size()));
  for (const auto& [id, t] : st.templates) write_template(w, t);
  w.u32(static_cast<std::uint32_t>(st.sessions.size()));
  for (const SessionRec& s : st.sessions) {
    write_spec(w, s.spec);
    w.u8(static_cast<std::uint8_t>(s.status));
    w.u64(s.version);
    for (auto* v : {&s.a_quota, &s.w_quota, &s.a_free, &s.w_free, &s.a_used, &s.w_used}) w.vec(*v);
    w.u32(static_cast<std::uint32_t>(s.reservations.size()));
    for (const ReservationState& x : s.reservations) {
      w.str(x.channel);
      w.vec(x.left);
      w.i64(x.release_at);
      w.u8(x.released ? 1 : 0);
    }
    w.u8(s.converted ? 1 : 0);
    w.u32(static_cast<std::uint32_t>(s.tickets.size()));
    for (const TicketRec& t : s.tickets) {
      w.str(t.id);
      w.str(t.label.view());
      w.str(t.patient_ref);
      w.str(t.patient_name);
      w.i64(t.created_at);
      w.i64(t.checked_in_at);
      w.i64(t.called_at);
      w.u64(t.key);
      w.i32(t.slot);
      w.i32(t.effective_slot);
      w.u8(static_cast<std::uint8_t>(t.kind));
      w.u8(static_cast<std::uint8_t>(t.state));
      w.u8(static_cast<std::uint8_t>(t.placement));
      w.u8(t.reservation);
      w.u8(t.has_token ? 1 : 0);
      if (t.has_token)
        for (std::uint8_t b : t.token_bin) w.u8(b);
    }
    w.i32(s.serving_slot);
    w.u64(s.next_seq);
    w.i32(s.appt_labels);
    w.i32(s.walkin_labels);
    w.i32(s.holds_made);
    w.i64(s.last_call);
    w.u8(s.paused_since_call ? 1 : 0);
    w.i64(s.consult_sum);
    w.i64(s.consult_n);
    w.u32(static_cast<std::uint32_t>(s.holds.size()));
    for (const HoldRec& h : s.holds) {
      w.str(h.id);
      w.str(h.patient_ref);
      w.str(h.patient_name);
      w.str(h.channel);
      w.i64(h.placed_at);
      w.i64(h.expires_at);
      w.i32(h.slot);
      w.u8(h.reservation);
      w.u8(h.open ? 1 : 0);
    }
  }
  w.u32(static_cast<std::uint32_t>(st.patients.size()));
  for (std::size_t pi = 0; pi < st.patients.size(); ++pi) {
    const PatientRec& p = st.patients[pi];
    w.str(p.ref);
    w.u32(p.active.size());
    for (std::uint32_t i = 0; i < p.active.size(); ++i) w.u32(p.active.at(i));
    w.u32(static_cast<std::uint32_t>(p.noshows.size()));
    for (Time t : p.noshows) w.i64(t);
    w.i64(p.banned_until);
  }
  auto tokens = sorted(st.other_tokens);
  w.u32(static_cast<std::uint32_t>(tokens.size()));
  for (const auto* kv : tokens) {
    w.str(kv->first);
    w.u32(kv->second.session);
    w.u32(kv->second.index);
  }
  // v5: the booking channel of every ticket that has one.
  std::uint32_t booked_by_channel = 0;
  for (const SessionRec& s : st.sessions)
    for (const TicketRec& t : s.tickets) booked_by_channel += t.channel != 0;
  w.u32(booked_by_channel);
  for (std::uint32_t si = 0; si < st.sessions.size(); ++si) {
    const SessionRec& s = st.sessions[si];
    for (std::uint32_t ti = 0; ti < s.tickets.size(); ++ti) {
      if (s.tickets[ti].channel == 0) continue;
      w.u32(si);
      w.u32(ti);
      w.str(st.ticket_channels[s.tickets[ti].channel - 1]);
    }
  }
  // v5: the undo record of every session that has one.
  std::uint32_t undos = 0;
  for (const SessionRec& s : st.sessions) undos += s.undo_valid() ? 1 : 0;
  w.u32(undos);
  for (SessionIdx si = 0; si < st.sessions.size(); ++si) {
    if (!st.sessions[si].undo_valid()) continue;
    w.u32(si);
    write_undo(w, st.sessions[si]);
  }
  return std::move(w.out());
}

bool Engine::load(std::string_view image) {
  const std::string_view magic = image.substr(0, kMagic.size());
  int version = 0;
  if (magic == kMagic) version = 5;
  else if (magic == kMagicV4) version = 4;
  else if (magic == kMagicV3) version = 3;
  else if (magic == kMagicV2) version = 2;
  else if (magic == kMagicV1) version = 1;
  else return false;
  Reader r(image.substr(kMagic.size()), version);
  auto st = std::make_unique<State>();
  EngineOptions& o = st->options;
  o.max_active_bookings = r.i32();
  o.noshow_threshold = r.i32();
  o.noshow_window = r.time();
  o.ban = r.time();
  o.default_hold_ttl = r.time();
  o.auto_close_grace = r.time();
  o.display_next_count = r.i32();
  o.display_names = r.u8() != 0;
  if (o.noshow_window < 0 || o.ban < 0 || o.default_hold_ttl < 0 || o.auto_close_grace < 0)
    return false;
  std::uint32_t n = r.count(20);
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    Channel ch;
    ch.channel_id = r.str();
    ch.window_opens_before = r.time();
    ch.window_closes_before = r.time();
    if (!st->channels.emplace(ch.channel_id, ch).second) return false;
  }
  n = r.count(40);
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    SessionTemplate t = read_template(r);
    if (!st->templates.emplace(t.template_id, t).second) return false;
  }
  n = r.count(64);
  st->sessions.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i)
    if (!read_session(r, *st)) return false;
  n = r.count(16);
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    std::string ref = r.str();
    if (ref.empty() || find_patient(*st, ref) != kNoPatient) return false;
    std::uint32_t pi = patient_for(*st, ref);
    PatientRec& p = st->patients[pi];
    std::uint32_t na = r.count(4);
    for (std::uint32_t k = 0; k < na && r.ok(); ++k) {
      SessionIdx si = r.u32();
      if (si >= st->sessions.size()) return false;
      p.active.add(si);
    }
    std::uint32_t nn = r.count(8);
    for (std::uint32_t k = 0; k < nn && r.ok(); ++k) p.noshows.push_back(r.time());
    p.banned_until = r.time();
  }
  n = r.count(12);
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    std::string token = r.str();
    Loc loc{r.u32(), r.u32()};
    if (loc.session >= st->sessions.size() ||
        loc.index >= st->sessions[loc.session].tickets.size())
      return false;
    Loc dup;
    if (token.empty() || find_token(*st, token, &dup)) return false;
    std::array<std::uint8_t, 16> bin;
    if (pack_token(token, &bin)) return false;  // those live in the tickets
    st->other_tokens.emplace(std::move(token), loc);
  }
  if (r.version >= 5) {
    n = r.count(12);
    for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
      Loc loc{r.u32(), r.u32()};
      std::string channel = r.str();
      if (loc.session >= st->sessions.size() ||
          loc.index >= st->sessions[loc.session].tickets.size() || channel.empty() ||
          channel.size() > 64)
        return false;
      st->sessions[loc.session].tickets[loc.index].channel = ticket_channel_slot(*st, channel);
    }
  }
  if (r.version >= 5) {
    n = r.count(20);
    SessionIdx next = 0;  // records in session order, one per session at most
    for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
      SessionIdx si = r.u32();
      if (!r.ok() || si < next || si >= st->sessions.size()) return false;
      if (!read_undo(r, st->sessions[si])) return false;
      next = si + 1;
    }
  }
  if (!r.done()) return false;
  st->due.clear();
  for (const SessionRec& s : st->sessions) st->due.push_back(session_due(s));
  // Patient indexes of appointments and holds.
  for (SessionRec& s : st->sessions) {
    for (TicketRec& t : s.tickets)
      if (t.kind == TicketKind::kAppointment && !t.patient_ref.empty())
        t.patient = find_patient(*st, t.patient_ref);
    for (HoldRec& h : s.holds) h.patient = find_patient(*st, h.patient_ref);
  }
  state_ = std::move(st);
  return true;
}

}  // namespace qc
