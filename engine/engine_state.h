// The engine's internal state. INTERNAL: not part of the API; only the
// engine's own .cc files (engine*.cc, schedule.cc) include it.
//
// Layout: sessions live in a vector in creation order (index = SessionIdx);
// each session owns its tickets (vector, creation order) and its holds.
// Hash maps index ids to (session, position) and are never iterated for
// anything that reaches output, so output is deterministic.
//
// Invariants:
// - every ticket is found by find_ticket: through its session's label hint
//   if its id is "<session id>-<label>" (and no other ticket of the session
//   has that label's hint), else through `ticket_index`; `token_index`
//   one per ticket whose token is 32 lowercase hex digits (kept as 16 bytes
//   in the ticket), `other_tokens` the other tokens;
//   every hold id (open or finished) is in `hold_index`.
// - A session's `waiting` holds exactly its WAITING tickets, sorted by key
//   DESCENDING (the next ticket to call is waiting.back()).
// - a_free[i] + sum(reserved_left of unreleased reservations)[i] is the
//   unbooked appointment capacity of slot i; w_free[i] the free walk-in units.
// - A patient's `active` lists one session index per active booking (BOOKED
//   appointment or open hold); never twice the same session.
//
// Rejections: a command handler checks every precondition before its first
// mutation, so a rejected command changes nothing.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/chunked.h"
#include "engine/engine.h"
#include "engine/flat_index.h"

namespace qc {

using SessionIdx = std::uint32_t;

// Bounds that keep time arithmetic far from overflow: every `now` and every
// time in a spec is within +-kMaxTime (about 36,500 years around 1970);
// spans (grace, buffer, seed, ttl) at most kMaxSpan.
inline constexpr Time kMaxTime = Time{1} << 50;
inline constexpr Duration kMaxSpan = 366 * kDay;
// Call-to-call intervals longer than this are not learned (avg_consult).
inline constexpr Duration kMaxConsultInterval = kDay;
inline constexpr SessionIdx kNoSession = ~SessionIdx{0};

// Transparent hashing so maps keyed by std::string are searched by string_view.
struct SvHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};
struct SvEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
};
template <class V>
using StrMap = std::unordered_map<std::string, V, SvHash, SvEq>;

// Where a ticket or hold lives: sessions[session].tickets/holds[index].
struct Loc {
  SessionIdx session = kNoSession;
  std::uint32_t index = 0;
};

// The queue key (band, slot, class, seq, sub) packed so that integer order
// is key order: band in bit 63, slot in bits 47..62, class in bit 46, seq in
// bits 16..45, sub in bits 0..15. Band 0 keys have slot = class = 0 (only
// seq matters there). `sub` is 0 except for an inserted ticket, whose key is
// the key of the ticket P it was placed after plus one (spec: "as if it had
// P's slot and class and a seq just after P's"); inserted tickets after the
// same P chain (P+1, P+2, ...), which is why P+1 is never a waiting key.
inline constexpr int kSubBits = 16;
inline constexpr std::uint64_t kSeqLimit = std::uint64_t{1} << 30;
inline constexpr std::uint64_t kSubMask = (std::uint64_t{1} << kSubBits) - 1;
inline std::uint64_t make_key(int band, int slot, int cls, std::uint64_t seq) {
  if (band == 0) { slot = 0; cls = 0; }
  return (std::uint64_t(band & 1) << 63) | (std::uint64_t(slot & 0xFFFF) << 47) |
         (std::uint64_t(cls & 1) << 46) | ((seq & (kSeqLimit - 1)) << kSubBits);
}
inline std::uint64_t key_seq(std::uint64_t key) { return (key >> kSubBits) & (kSeqLimit - 1); }
inline int key_band(std::uint64_t key) { return static_cast<int>(key >> 63); }
inline std::int32_t key_slot(std::uint64_t key) {
  return static_cast<std::int32_t>((key >> 47) & 0xFFFF);
}
inline int key_class(std::uint64_t key) { return static_cast<int>((key >> 46) & 1); }

struct WaitEntry {
  std::uint64_t key;
  std::uint32_t ticket;  // index into SessionRec::tickets
};

inline constexpr std::uint8_t kNoReservation = 0xFF;
inline constexpr std::uint8_t kNoRoom = 0xFF;

// A display label ("A001", "W012"): a letter and up to 10 digits, inline.
class Label {
 public:
  Label() = default;
  explicit Label(std::string_view s) { assign(s); }
  void assign(std::string_view s) {
    n_ = static_cast<std::uint8_t>(s.size() < sizeof(c_) ? s.size() : sizeof(c_));
    for (std::uint8_t i = 0; i < n_; ++i) c_[i] = s[i];
  }
  std::string_view view() const { return std::string_view(c_, n_); }
  operator std::string_view() const { return view(); }
  bool operator==(const Label& o) const { return view() == o.view(); }

 private:
  char c_[11] = {};
  std::uint8_t n_ = 0;
};

// One ticket. The first 64 bytes hold what a command reads first (id, label,
// queue key, slots, state), aligned to a cache line.
struct alignas(64) TicketRec {
  std::string id;
  Label label;
  std::uint64_t key = 0;         // queue key while WAITING
  std::int32_t slot = -1;        // booked/registered slot
  std::int32_t effective_slot = -1;
  TicketKind kind = TicketKind::kAppointment;
  TicketState state = TicketState::kBooked;
  Placement placement = Placement::kNone;
  std::uint8_t reservation = kNoReservation;  // appointment unit taken from this reservation
  // --- second line ---
  std::uint32_t patient = ~std::uint32_t{0};  // index in State::patients (appointments)
  bool has_token = false;                      // token_bin holds a 32-hex-digit token
  std::array<std::uint8_t, 16> token_bin{};
  // The channel that booked it: 1 + its index in State::ticket_channels, 0
  // for none (staff without a channel, kiosks, walk-ins). Authorization
  // reads it (Engine::ticket_channel): a channel acts on its own tickets only.
  std::uint32_t channel = 0;
  Time created_at = 0;
  Time checked_in_at = kNoTime;  // entered WAITING the last time
  Time called_at = kNoTime;
  std::string patient_ref;
  std::string patient_name;
  // The clinical flow (spec "Priority, return after tests, several rooms").
  std::uint8_t priority = 0;           // 1 + index in State::priority_codes, 0 none
  std::uint8_t room = kNoRoom;         // the room that called it last
  std::uint16_t overtaken = 0;         // times passed by an insertion (whole life)
  std::uint8_t recalls = 0;            // recalls since its last call (up to 255)
};

// Parses a 32-lowercase-hex-digit token into 16 bytes; false otherwise.
bool pack_token(std::string_view token, std::array<std::uint8_t, 16>* out);
std::string unpack_token(const std::array<std::uint8_t, 16>& bin);

struct HoldRec {
  std::string id;
  std::string patient_ref;
  std::string patient_name;
  std::string channel;
  Time placed_at = 0;
  Time expires_at = 0;
  std::int32_t slot = 0;
  std::uint8_t reservation = kNoReservation;
  bool open = true;  // false once confirmed, released or expired
  std::uint32_t patient = ~std::uint32_t{0};  // index in State::patients
  std::string priority;  // given to the ticket at confirm
};

struct ReservationState {
  std::string channel;
  std::vector<std::int32_t> left;  // unreleased reserved units per slot
  Time release_at = kNoTime;
  bool released = false;
};

// What an undo needs to restore the session's last undoable action exactly
// (docs/engine.md, "Undo"): the session's queue bookkeeping and the touched
// tickets' state and called_at before it. Valid while the session's version
// is still `version` (nothing else changed the session since).
enum class UndoAction : std::uint8_t {
  kNone = 0, kCallNext = 1, kCallTicket = 2, kComplete = 3, kMarkMissed = 4,
};
struct UndoTicket {
  std::uint32_t index = 0;                   // in SessionRec::tickets
  TicketState state = TicketState::kBooked;  // before the action
  Time called_at = kNoTime;                  // before the action
};
struct UndoRec {
  UndoAction action = UndoAction::kNone;
  std::uint64_t version = 0;  // the session's version right after the action
  Time at = kNoTime;          // the action's now
  std::uint8_t room = 0;      // the room whose fields below are kept
  std::int32_t called = -1;   // the room's
  std::int32_t serving_slot = -1;
  Time last_call = kNoTime;   // the room's
  Duration consult_sum = 0;
  std::int64_t consult_n = 0;
  bool paused_since_call = false;  // the room's
  std::uint8_t n = 0;         // tickets touched, in the order they changed
  UndoTicket tickets[2];
};

// One consulting room of a session: its CALLED ticket, its last call (the
// consultation times are learned per room) and whether it is paused.
struct RoomRec {
  std::string name;
  std::int32_t called = -1;  // index of the room's CALLED ticket, -1 none
  Time last_call = kNoTime;
  bool paused_since_call = false;
  bool paused = false;
};

// A session's rooms: the first inline (most sessions have one; a call
// reads it without another cache miss), the others in a vector.
class RoomList {
 public:
  std::size_t size() const { return n_; }
  RoomRec& operator[](std::size_t i) { return i == 0 ? first_ : more_[i - 1]; }
  const RoomRec& operator[](std::size_t i) const { return i == 0 ? first_ : more_[i - 1]; }
  RoomRec& emplace_back() {
    if (n_++ == 0) return first_ = RoomRec{};
    return more_.emplace_back();
  }
  void clear() {
    n_ = 0;
    more_.clear();
  }
  template <class L, class R>
  class Iter {
   public:
    Iter(L* list, std::size_t i) : list_(list), i_(i) {}
    R& operator*() const { return (*list_)[i_]; }
    Iter& operator++() {
      ++i_;
      return *this;
    }
    bool operator!=(const Iter& o) const { return i_ != o.i_; }

   private:
    L* list_;
    std::size_t i_;
  };
  Iter<RoomList, RoomRec> begin() { return {this, 0}; }
  Iter<RoomList, RoomRec> end() { return {this, n_}; }
  Iter<const RoomList, const RoomRec> begin() const { return {this, 0}; }
  Iter<const RoomList, const RoomRec> end() const { return {this, n_}; }

 private:
  RoomRec first_;
  std::size_t n_ = 0;
  std::vector<RoomRec> more_;
};

struct SessionRec {
  // Hot: what queue commands read (the first cache lines).
  SessionStatus status = SessionStatus::kOpen;
  std::int32_t slots = 0;  // M
  std::uint64_t version = 0;
  std::uint64_t touched_stamp = 0;  // last command that bumped the version
  std::vector<TicketRec> tickets;   // creation order
  std::vector<WaitEntry> waiting;   // descending key; back() = next
  RoomList rooms;                   // at least one; spec.rooms, or spec.room alone
  std::int32_t serving_slot = -1;
  std::uint64_t next_seq = 1;
  Duration slot_len = 0;            // slot_minutes in ms
  Duration consult_sum = 0;
  std::int64_t consult_n = 0;
  Duration avg_seed = 0;
  std::int32_t at_tests = 0;        // tickets AT_TESTS
  bool converted = false;  // tick did the walk-in conversion
  std::int32_t appt_labels = 0;    // labels given: A001..
  std::int32_t walkin_labels = 0;  // W001..
  std::int32_t holds_made = 0;     // H1..
  std::int32_t open_holds = 0;
  Time cancel_deadline = 0;
  Time conversion_time = 0;

  // Capacity (see the invariants above).
  std::vector<std::int32_t> a_quota;  // current A[i] (adjustments and conversions applied)
  std::vector<std::int32_t> w_quota;  // current W[i]
  std::vector<std::int32_t> a_free;   // unbooked, unreserved appointment units
  std::vector<std::int32_t> w_free;   // free walk-in units
  std::vector<std::int32_t> a_used;   // appointment units booked or held (not returned)
  std::vector<std::int32_t> w_used;   // walk-in units taken
  std::vector<std::int32_t> booked;   // BOOKED tickets per slot (for the estimates; rebuilt by load)
  std::vector<ReservationState> reservations;

  std::vector<HoldRec> holds;  // creation order, finished ones included

  UndoRec undo;  // the last undoable action (see UndoRec)

  // Label hints, how find_ticket finds engine-assigned ids:
  // label_tickets[k][n - 1] is the index of the ticket labelled A<n> (k = 0)
  // or W<n> (k = 1) whose id is "<session id>-<label>", or kNoTicket. Such a
  // ticket is not in State::ticket_index.
  std::vector<std::uint32_t> label_tickets[2];

  SessionSpec spec;  // as given (defaults unresolved); resolved values above

  Time slot_start(std::int32_t s) const { return spec.start + s * slot_len; }
  Time slot_end(std::int32_t s) const { return spec.start + (s + 1) * slot_len; }
  Duration avg_consult() const { return (2 * avg_seed + consult_sum) / (2 + consult_n); }
  // The undo record if it still applies (nothing changed the session since).
  bool undo_valid() const { return undo.action != UndoAction::kNone && undo.version == version; }
  // The ticket called last in any room (-1 none): the one phones name.
  std::int32_t last_called() const {
    std::int32_t best = -1;
    for (const RoomRec& r : rooms)
      if (r.called >= 0 && (best < 0 || tickets[r.called].called_at > tickets[best].called_at))
        best = r.called;
    return best;
  }
  bool any_called() const {
    for (const RoomRec& r : rooms)
      if (r.called >= 0) return true;
    return false;
  }
};

// Up to kInlineActive active bookings are kept inline (no allocation).
struct ActiveList {
  static constexpr std::uint32_t kInlineActive = 3;
  std::uint32_t n = 0;
  SessionIdx inline_[kInlineActive] = {};
  std::vector<SessionIdx> more;
  std::uint32_t size() const { return n; }
  SessionIdx at(std::uint32_t i) const { return i < kInlineActive ? inline_[i] : more[i - kInlineActive]; }
  bool contains(SessionIdx si) const {
    for (std::uint32_t i = 0; i < n; ++i)
      if (at(i) == si) return true;
    return false;
  }
  void add(SessionIdx si) {
    if (n < kInlineActive) inline_[n] = si; else more.push_back(si);
    ++n;
  }
  // Removes one occurrence (order of the rest may change).
  void remove(SessionIdx si) {
    for (std::uint32_t i = 0; i < n; ++i) {
      if (at(i) != si) continue;
      SessionIdx last = at(n - 1);
      if (i < kInlineActive) inline_[i] = last; else more[i - kInlineActive] = last;
      if (n > kInlineActive) more.pop_back();
      --n;
      return;
    }
  }
};

struct PatientRec {
  std::string ref;                 // the patient reference
  ActiveList active;               // one per active booking
  std::vector<Time> noshows;       // close times of no-shows (pruned to the window)
  Time banned_until = kNoTime;
};

struct Engine::State {
  EngineOptions options;
  std::vector<SessionRec> sessions;  // creation order
  FlatIndex<SessionIdx> session_index;  // session id -> index (see find_session)
  FlatIndex<Loc> ticket_index;  // other ticket ids -> ticket (see find_ticket)
  StrMap<Loc> hold_index;        // every hold, open or finished
  FlatIndex<Loc> token_index;    // 32-hex-digit patient tokens -> ticket
  StrMap<Loc> other_tokens;      // any other patient token -> ticket
  Chunked<PatientRec> patients;         // first booking order (records never move)
  FlatIndex<std::uint32_t> patient_index;  // patient ref -> index in patients
  std::map<std::string, Channel, std::less<>> channels;
  // Names of the channels that booked tickets (TicketRec::channel - 1),
  // in order of first booking.
  std::vector<std::string> ticket_channels;
  // The priority reason codes given so far, in order of first use
  // (TicketRec::priority - 1): at most kMaxPriorityCodes.
  std::vector<std::string> priority_codes;
  // Weekly templates, by id; owned and used by engine/schedule.cc.
  std::map<std::string, SessionTemplate> templates;
  std::uint64_t command_stamp = 0;  // incremented for every command applied
  // Per session (same index): no time-driven change is pending before this
  // time (a lower bound; tick skips the session until then). Kept by
  // create_session, hold placement, tick and load.
  std::vector<Time> due;
};

// The earliest pending time-driven change of a session (hold expiry,
// reserved release, conversion, auto close); kMaxTime if none.
Time session_due(const SessionRec& s);

// ---- Helpers shared by the engine's .cc files (engine_state.cc) ----

// TicketRec::priority of a code ("" -> 0), added on first use; the caller
// checked priority_code_fits(). priority_code() is the inverse ("" for 0).
inline constexpr std::size_t kMaxPriorityCodes = 255;
bool priority_code_fits(const Engine::State& st, std::string_view code);
std::uint8_t priority_slot(Engine::State& st, std::string_view code);
const std::string& priority_code(const Engine::State& st, std::uint8_t slot);

// TicketRec::channel of a channel name ("" -> 0), added on first use.
std::uint32_t ticket_channel_slot(Engine::State& st, std::string_view channel);

// The session index of `id`, or kNoSession.
SessionIdx find_session(const Engine::State& st, std::string_view id);

// Ticket and token indexes. A ticket whose id is "<session id>-<label>"
// (engine-assigned) is found through its session's label hint; any other id
// (client-chosen, or made unique with ".2") through `ticket_index`.
inline constexpr std::uint32_t kNoTicket = ~std::uint32_t{0};
bool find_ticket(const Engine::State& st, std::string_view id, Loc* loc);
// find_ticket through `ticket_index` only.
bool find_ticket_indexed(const Engine::State& st, std::string_view id, Loc* loc);
// Makes ticket `ti` of session `si` (id and label set, id not in use) findable.
void index_ticket(Engine::State& st, SessionIdx si, std::uint32_t ti);
bool find_token(const Engine::State& st, std::string_view token, Loc* loc);
// A token as the indexes see it, parsed once: 32 lowercase hex digits are
// packed (16 bytes, kept in the ticket), any other form stays text.
struct TokenKey {
  explicit TokenKey(std::string_view t) : text(t), packed(pack_token(t, &bin)) {}
  std::string_view text;
  bool packed;
  std::array<std::uint8_t, 16> bin;
};
bool find_token(const Engine::State& st, const TokenKey& token, Loc* loc);
// The token_index hash of a packed token.
inline std::uint64_t token_hash(const std::array<std::uint8_t, 16>& bin) {
  return FlatIndex<Loc>::hash16(bin.data());
}
// Records `token` (not empty, not in use) for the ticket at `loc`.
void index_token(Engine::State& st, const TokenKey& token, Loc loc);

// Patients (records exist once a patient booked or held).
inline constexpr std::uint32_t kNoPatient = ~std::uint32_t{0};

// Starts loading a record that a command will need a little later, so that
// its cache miss overlaps with other work (sessions are interleaved: the
// records of a command are usually cold).
inline void prefetch(const void* p) { __builtin_prefetch(p); }
std::uint32_t find_patient(const Engine::State& st, std::string_view ref);
// The patient's index, creating the record if needed.
std::uint32_t patient_for(Engine::State& st, std::string_view ref);

// Bumps the session's version once per command (idempotent within a command).
void touch(Engine::State& st, SessionIdx si);

// The clinical flow's settings of a spec or template: nullptr if valid,
// else what is wrong (at most kMaxRooms rooms of 1-64 bytes, no repeats;
// priority_after, return_after, max_overtaken 0-1000).
const char* flow_settings_error(const std::vector<std::string>& rooms,
                                std::int32_t priority_after, std::int32_t return_after,
                                std::int32_t max_overtaken);
// Checks a spec for create_session: invalid_argument (with *msg) if malformed,
// already_exists if the id is in use, else kOk. Does not change anything.
Error validate_session_spec(const Engine::State& st, const SessionSpec& spec,
                            std::string* msg);
// Creates a session from a spec that validate_session_spec() accepted and
// appends kSessionCreated. Returns its index.
// The session's rooms from its spec (spec.rooms, or spec.room alone).
void init_rooms(SessionRec& s);
// A room's name; "" for kNoRoom.
inline const std::string& room_name(const SessionRec& s, std::uint8_t room) {
  static const std::string none;
  return room < s.rooms.size() ? s.rooms[room].name : none;
}
SessionIdx create_session(Engine::State& st, const Actor& actor, const SessionSpec& spec,
                          Time now, std::vector<Event>* events);

// Suspends a session (停诊): BOOKED and WAITING tickets -> CANCELLED (reason
// "suspended", or `cancel_reason` if not empty, e.g. "leave"), open holds
// released, the CALLED ticket stays, then kSessionSuspended with `reason`.
// Precondition: the session is open or paused (callers reject closed and
// suspended sessions with session_closed first).
void suspend_session(Engine::State& st, SessionIdx si, const Actor& actor,
                     std::string_view reason, std::string_view cancel_reason, Time now,
                     std::vector<Event>* events);

// Sets a session's quotas (sizes must equal its slot count; caller
// validates). Units in use (booked, held, taken by walk-ins) are kept: a
// quota never goes below them. Appends kQuotasAdjusted.
void set_session_quotas(Engine::State& st, SessionIdx si, const Actor& actor,
                        const std::vector<std::int32_t>& appointment_quota,
                        const std::vector<std::int32_t>& walkin_quota, Time now,
                        std::vector<Event>* events);

// 00:00 local time of the day containing `t`, for a UTC offset in minutes.
Time local_midnight(Time t, std::int32_t utc_offset_minutes);

// ---- The schedule commands (engine/schedule.cc, owned by the schedule module) ----
// Same contract as every command: on a rejection return the error (and set
// *msg), append nothing, change nothing. Versions of sessions named by the
// appended events are bumped by the dispatcher.
Error apply_define_template(Engine::State& st, const Actor& actor, const DefineTemplate& c,
                            Time now, std::vector<Event>* events, std::string* msg);
Error apply_generate_sessions(Engine::State& st, const Actor& actor, const GenerateSessions& c,
                              Time now, std::vector<Event>* events, std::string* msg);
Error apply_adjust_quotas(Engine::State& st, const Actor& actor, const AdjustQuotas& c,
                          Time now, std::vector<Event>* events, std::string* msg);
Error apply_doctor_leave(Engine::State& st, const Actor& actor, const DoctorLeave& c,
                         Time now, std::vector<Event>* events, std::string* msg);

}  // namespace qc
