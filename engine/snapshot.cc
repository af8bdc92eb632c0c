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
// 04 SessionTemplate::avg_consult_seed and arrival_buffer, 05 the booking
// channel of every ticket and the session's undo record; older images still
// load (delays 0, the seed and buffer's defaults, channels of reserved-share
// tickets only, nothing to undo).
constexpr std::string_view kMagic = "QCSNAP06";
constexpr std::string_view kMagicV5 = "QCSNAP05";
constexpr std::string_view kMagicV4 = "QCSNAP04";
constexpr std::string_view kMagicV3 = "QCSNAP03";
constexpr std::string_view kMagicV2 = "QCSNAP02";
constexpr std::string_view kMagicV1 = "QCSNAP01";
constexpr std::int64_t kTimeBound = std::int64_t{1} << 62;

// Writer and Reader have the same field methods (str, i32, time, vec, ...),
// so that one function template per record (spec_fields, ticket_fields, ...)
// lists its fields once, in image order, for both save and load: given a
// Writer and a const record it writes, given a Reader and a record it reads.
class Writer {
 public:
  static constexpr int version = 6;  // writes the newest format only
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(std::uint16_t v) { le(v, 2); }
  // Little-endian, one append each (a snapshot of a busy day is millions
  // of these: the shard saves its rollback base every 50,000 records).
  void u32(std::uint32_t v) { le(v, 4); }
  void u64(std::uint64_t v) { le(v, 8); }
  void i32(std::int32_t v) { u32(static_cast<std::uint32_t>(v)); }
  void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
  void time(std::int64_t v) { i64(v); }
  void flag(bool v) { u8(v ? 1 : 0); }
  // An enum as one byte (at most `max`).
  template <class E>
  void code(E v, int /*max*/) { u8(static_cast<std::uint8_t>(v)); }
  void str(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
  }
  void label(const Label& l) { str(l.view()); }
  void vec(const std::vector<std::int32_t>& v) {
    u32(static_cast<std::uint32_t>(v.size()));
    for (std::int32_t x : v) i32(x);
  }
  // A vector of records: its size, then `item` of each.
  template <class V, class F>
  void seq(const V& v, std::size_t /*min_bytes*/, F&& item) {
    u32(static_cast<std::uint32_t>(v.size()));
    for (const auto& x : v) item(x);
  }
  std::string& out() { return out_; }

 private:
  void le(std::uint64_t v, int n) {
    char b[8];
    for (int i = 0; i < n; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
    out_.append(b, static_cast<std::size_t>(n));
  }
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view d, int version) : version(version), d_(d) {}
  const int version;  // of the image (1 to 6)
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

  // The field methods of Writer, reading into their argument.
  void u8(std::uint8_t& x) { x = u8(); }
  void u16(std::uint16_t& x) { x = static_cast<std::uint16_t>(take(2)); }
  void u32(std::uint32_t& x) { x = u32(); }
  void u64(std::uint64_t& x) { x = u64(); }
  void i32(std::int32_t& x) { x = i32(); }
  void i64(std::int64_t& x) { x = i64(); }
  void time(std::int64_t& x) { x = time(); }
  void flag(bool& x) { x = u8() != 0; }
  template <class E>
  void code(E& x, int max) {
    std::uint8_t v = u8();
    if (v > max) ok_ = false;
    x = static_cast<E>(v);
  }
  void str(std::string& x) { x = str(); }
  // At most 11 bytes.
  void label(Label& x) {
    std::string s = str();
    if (s.size() > 11) ok_ = false;
    x.assign(s);
  }
  void vec(std::vector<std::int32_t>& x) { x = vec(); }
  template <class V, class F>
  void seq(V& v, std::size_t min_bytes, F&& item) {
    std::uint32_t n = count(min_bytes);
    for (std::uint32_t i = 0; i < n && ok_; ++i) item(v.emplace_back());
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

// The record field lists. IO is Writer (with const records) or Reader.

template <class IO, class O>
void options_fields(IO& io, O& o) {
  io.i32(o.max_active_bookings);
  io.i32(o.noshow_threshold);
  io.time(o.noshow_window);
  io.time(o.ban);
  io.time(o.default_hold_ttl);
  io.time(o.auto_close_grace);
  io.i32(o.display_next_count);
  io.flag(o.display_names);
}

template <class IO, class C>
void channel_fields(IO& io, C& ch) {
  io.str(ch.channel_id);
  io.time(ch.window_opens_before);
  io.time(ch.window_closes_before);
}

// The doctor of a session or template: the fields after its id.
template <class IO, class T>
void doctor_fields(IO& io, T& t) {
  io.str(t.doctor_id);
  io.str(t.doctor_name);
  io.str(t.department);
  io.str(t.room);
  io.str(t.area);
}

// The clinical flow's settings of a session or template (v6).
template <class IO, class S>
void flow_settings(IO& io, S& s) {
  io.seq(s.rooms, 4, [&](auto& x) { io.str(x); });
  io.i32(s.priority_after);
  io.i32(s.return_after);
  io.i32(s.max_overtaken);
}

template <class IO, class S>
void spec_fields(IO& io, S& s) {
  io.str(s.session_id);
  doctor_fields(io, s);
  io.time(s.start);
  io.time(s.end);
  io.time(s.registration_open);
  io.i32(s.slot_minutes);
  io.vec(s.appointment_quota);
  io.vec(s.walkin_quota);
  io.code(s.policy, 1);
  io.time(s.late_grace);
  io.time(s.cancel_deadline);
  io.time(s.walkin_conversion_time);
  io.i32(s.utc_offset_minutes);
  io.time(s.avg_consult_seed);
  io.time(s.arrival_buffer);
  if (io.version >= 2) io.time(s.first_call_delay);
  io.seq(s.reservations, 12, [&](auto& x) {
    io.str(x.channel);
    io.vec(x.units);
    io.time(x.release_at);
  });
  if (io.version >= 6) flow_settings(io, s);
}

template <class IO, class T>
void template_fields(IO& io, T& t) {
  io.str(t.template_id);
  doctor_fields(io, t);
  io.i32(t.weekday);
  io.i32(t.start_minute);
  io.i32(t.end_minute);
  io.i32(t.registration_open_minute);
  io.i32(t.slot_minutes);
  io.vec(t.appointment_quota);
  io.vec(t.walkin_quota);
  io.code(t.policy, 1);
  io.i32(t.utc_offset_minutes);
  if (io.version >= 3) io.time(t.first_call_delay);
  if (io.version >= 4) {
    io.time(t.avg_consult_seed);
    io.time(t.arrival_buffer);
  }
  if (io.version >= 6) flow_settings(io, t);
}

// A session's reserved share as it stands (the spec has the rest).
template <class IO, class R>
void reservation_fields(IO& io, R& x) {
  io.str(x.channel);
  io.vec(x.left);
  io.time(x.release_at);
  io.flag(x.released);
}

template <class IO, class T>
void ticket_fields(IO& io, T& t) {
  io.str(t.id);
  io.label(t.label);
  io.str(t.patient_ref);
  io.str(t.patient_name);
  io.time(t.created_at);
  io.time(t.checked_in_at);
  io.time(t.called_at);
  io.u64(t.key);
  io.i32(t.slot);
  io.i32(t.effective_slot);
  io.code(t.kind, 1);
  io.code(t.state, io.version >= 6 ? 7 : 6);
  io.code(t.placement, io.version >= 6 ? 4 : 3);
  io.u8(t.reservation);
  io.flag(t.has_token);
  if (t.has_token)
    for (auto& b : t.token_bin) io.u8(b);
  if (io.version >= 6) {
    io.u8(t.priority);
    io.u8(t.room);
    io.u16(t.overtaken);
  }
}

// The session's queue bookkeeping, after its tickets.
// Before v6 a session had one room: its fields were the session's.
template <class IO, class S>
void queue_fields(IO& io, S& s) {
  io.i32(s.serving_slot);
  io.u64(s.next_seq);
  io.i32(s.appt_labels);
  io.i32(s.walkin_labels);
  io.i32(s.holds_made);
  if (io.version < 6) {
    io.time(s.rooms[0].last_call);
    io.flag(s.rooms[0].paused_since_call);
  }
  io.time(s.consult_sum);
  io.i64(s.consult_n);
  if (io.version >= 6) {
    for (auto& r : s.rooms) {
      io.time(r.last_call);
      io.flag(r.paused_since_call);
      io.flag(r.paused);
    }
  }
}

template <class IO, class H>
void hold_fields(IO& io, H& h) {
  io.str(h.id);
  io.str(h.patient_ref);
  io.str(h.patient_name);
  io.str(h.channel);
  io.time(h.placed_at);
  io.time(h.expires_at);
  io.i32(h.slot);
  io.u8(h.reservation);
  io.flag(h.open);
  if (io.version >= 6) io.str(h.priority);
}

// An undo record (UndoRec); its tickets (at most 2) follow.
template <class IO, class U>
void undo_fields(IO& io, U& u) {
  io.code(u.action, 4);
  io.time(u.at);
  if (io.version >= 6) io.u8(u.room);
  io.i32(u.called);
  io.i32(u.serving_slot);
  io.time(u.last_call);
  io.time(u.consult_sum);
  io.i64(u.consult_n);
  io.flag(u.paused_since_call);
  io.u8(u.n);
  for (std::uint8_t i = 0; i < u.n && i < 2; ++i) {
    io.u32(u.tickets[i].index);
    io.code(u.tickets[i].state, io.version >= 6 ? 7 : 6);
    io.time(u.tickets[i].called_at);
  }
}

template <class Map>
std::vector<const typename Map::value_type*> sorted(const Map& m) {
  std::vector<const typename Map::value_type*> v;
  v.reserve(m.size());
  for (const auto& kv : m) v.push_back(&kv);
  std::sort(v.begin(), v.end(), [](auto* a, auto* b) { return a->first < b->first; });
  return v;
}

// The undo record of a session (only while it applies, UndoRec) is written
// after everything else, as (session index, undo_fields) pairs.
// Reads and checks the record against the session already read, so that an
// undo of it can only produce a state the session had: every ticket changed
// by the action as it would have (WAITING -> CALLED, CALLED -> DONE/MISSED),
// a restored WAITING ticket's key free, the restored called ticket the one
// that was CALLED.
bool read_undo(Reader& r, SessionRec& s) {
  UndoRec u;
  undo_fields(r, u);
  u.version = s.version;
  if (!r.ok() || u.action == UndoAction::kNone || u.n < 1 || u.n > 2) return false;
  if (u.at <= -kMaxTime || u.at >= kMaxTime) return false;
  if (u.serving_slot < -1 || u.serving_slot >= s.slots) return false;
  if (u.last_call != kNoTime && (u.last_call <= -kMaxTime || u.last_call >= kMaxTime))
    return false;
  if (u.consult_n < 0 || u.consult_n > s.consult_n || u.consult_sum < 0 ||
      u.consult_sum > s.consult_sum)
    return false;
  if (u.room >= s.rooms.size()) return false;
  bool restores_called = false;
  // The room's CALLED ticket now is one the undo returns.
  bool called_covered = s.rooms[u.room].called < 0;
  for (std::uint8_t i = 0; i < u.n; ++i) {
    const UndoTicket& x = u.tickets[i];
    if (x.index >= s.tickets.size() || (i == 1 && x.index == u.tickets[0].index)) return false;
    const TicketRec& t = s.tickets[x.index];
    if (x.state == TicketState::kWaiting) {
      if (t.state != TicketState::kCalled || t.room != u.room) return false;
      if (key_seq(t.key) >= s.next_seq) return false;
      called_covered = true;
      for (const WaitEntry& e : s.waiting)
        if (e.key == t.key) return false;
    } else if (x.state == TicketState::kCalled) {
      if (t.state != TicketState::kDone && t.state != TicketState::kMissed) return false;
      if (u.called != static_cast<std::int32_t>(x.index) || t.room != u.room) return false;
      restores_called = true;
    } else if (x.state == TicketState::kAtTests) {  // complete of a ticket at tests
      // Its room's CALLED ticket (if any) was not touched: the record keeps it.
      if (t.state != TicketState::kDone || u.action != UndoAction::kComplete || u.n != 1 ||
          u.called != s.rooms[u.room].called)
        return false;
      called_covered = true;
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
  SessionSpec spec;
  spec_fields(r, spec);
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
    reservation_fields(r, x);
    if (x.left.size() != m) return false;
  }
  s.converted = r.u8() != 0;
  std::uint32_t nt = r.count(40);
  s.tickets.reserve(nt);
  for (std::uint32_t i = 0; i < nt && r.ok(); ++i) {
    TicketRec& t = s.tickets.emplace_back();
    ticket_fields(r, t);
    if (!r.ok() || t.id.empty() || t.slot < 0 || t.slot >= s.slots || t.effective_slot < 0 ||
        t.effective_slot >= s.slots)
      return false;
    if (t.reservation != kNoReservation && t.reservation >= nres) return false;
    if (r.version < 6) {
      // Keys had the seq in bits 0..45, without the insertion sub-order.
      const std::uint64_t seq = t.key & ((std::uint64_t{1} << 46) - 1);
      if (seq >= kSeqLimit) return false;
      t.key = (t.key & ~((std::uint64_t{1} << 46) - 1)) | (seq << kSubBits);
      if (t.called_at != kNoTime) t.room = 0;  // called in the only room
    }
    if (t.priority > st.priority_codes.size()) return false;
    if ((t.state == TicketState::kCalled || t.state == TicketState::kAtTests) &&
        t.room >= s.rooms.size())
      return false;
    if (t.room != kNoRoom && t.room >= s.rooms.size()) return false;
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
      if (s.rooms[t.room].called >= 0) return false;
      s.rooms[t.room].called = static_cast<std::int32_t>(i);
    }
    if (t.state == TicketState::kAtTests) s.at_tests += 1;
  }
  std::sort(s.waiting.begin(), s.waiting.end(),
            [](const WaitEntry& a, const WaitEntry& b) { return a.key > b.key; });
  for (std::size_t i = 1; i < s.waiting.size(); ++i)
    if (s.waiting[i].key == s.waiting[i - 1].key) return false;
  queue_fields(r, s);
  if (s.serving_slot < -1 || s.serving_slot >= s.slots) return false;
  if (s.next_seq >= kSeqLimit || s.consult_n < 0 ||
      s.consult_n > (std::int64_t{1} << 32) || s.consult_sum < 0 ||
      s.consult_sum / kMaxConsultInterval > s.consult_n)
    return false;
  std::size_t paused = 0;
  for (RoomRec& room : s.rooms) {
    if (room.last_call != kNoTime && (room.last_call <= -kMaxTime || room.last_call >= kMaxTime))
      return false;
    if (r.version < 6) room.paused = s.status == SessionStatus::kPaused;
    paused += room.paused ? 1 : 0;
  }
  if ((s.status == SessionStatus::kPaused) != (paused == s.rooms.size()) &&
      (s.status == SessionStatus::kOpen || s.status == SessionStatus::kPaused))
    return false;
  for (const WaitEntry& e : s.waiting)
    if (key_seq(e.key) >= s.next_seq) return false;
  std::uint32_t nh = r.count(40);
  for (std::uint32_t i = 0; i < nh && r.ok(); ++i) {
    HoldRec& h = s.holds.emplace_back();
    hold_fields(r, h);
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
  options_fields(w, st.options);
  w.u32(static_cast<std::uint32_t>(st.channels.size()));
  for (const auto& [id, ch] : st.channels) channel_fields(w, ch);
  w.u32(static_cast<std::uint32_t>(st.templates.size()));
  for (const auto& [id, t] : st.templates) template_fields(w, t);
  w.seq(st.priority_codes, 4, [&](const std::string& c) { w.str(c); });  // v6
  w.u32(static_cast<std::uint32_t>(st.sessions.size()));
  for (const SessionRec& s : st.sessions) {
    spec_fields(w, s.spec);
    w.u8(static_cast<std::uint8_t>(s.status));
    w.u64(s.version);
    for (auto* v : {&s.a_quota, &s.w_quota, &s.a_free, &s.w_free, &s.a_used, &s.w_used}) w.vec(*v);
    w.u32(static_cast<std::uint32_t>(s.reservations.size()));
    for (const ReservationState& x : s.reservations) reservation_fields(w, x);
    w.flag(s.converted);
    w.seq(s.tickets, 40, [&](const TicketRec& t) { ticket_fields(w, t); });
    queue_fields(w, s);
    w.seq(s.holds, 40, [&](const HoldRec& h) { hold_fields(w, h); });
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
    undo_fields(w, st.sessions[si].undo);
  }
  return std::move(w.out());
}

bool Engine::load(std::string_view image) {
  const std::string_view magic = image.substr(0, kMagic.size());
  int version = 0;
  if (magic == kMagic) version = 6;
  else if (magic == kMagicV5) version = 5;
  else if (magic == kMagicV4) version = 4;
  else if (magic == kMagicV3) version = 3;
  else if (magic == kMagicV2) version = 2;
  else if (magic == kMagicV1) version = 1;
  else return false;
  Reader r(image.substr(kMagic.size()), version);
  auto st = std::make_unique<State>();
  EngineOptions& o = st->options;
  options_fields(r, o);
  if (o.noshow_window < 0 || o.ban < 0 || o.default_hold_ttl < 0 || o.auto_close_grace < 0)
    return false;
  std::uint32_t n = r.count(20);
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    Channel ch;
    channel_fields(r, ch);
    if (!st->channels.emplace(ch.channel_id, ch).second) return false;
  }
  n = r.count(40);
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    SessionTemplate t;
    template_fields(r, t);
    if (!st->templates.emplace(t.template_id, t).second) return false;
  }
  if (r.version >= 6) {
    r.seq(st->priority_codes, 4, [&](std::string& c) { r.str(c); });
    if (st->priority_codes.size() > kMaxPriorityCodes) return false;
    for (std::size_t i = 0; i < st->priority_codes.size(); ++i) {
      if (!valid_priority_code(st->priority_codes[i])) return false;
      for (std::size_t j = 0; j < i; ++j)
        if (st->priority_codes[j] == st->priority_codes[i]) return false;
    }
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
