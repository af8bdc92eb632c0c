// The command generator of the randomized tests: seeded sequences of
// commands of every kind the reference model covers, valid and invalid, over
// several clinic days (sessions created the day before, bookings, the night's
// walk-in conversion, the clinic, the closing ticks), and the clinical flow:
// sessions of 1-3 rooms with random insertion settings, priority on a share
// of walk-ins and bookings, set_priority, trips to tests, calls and pauses
// naming rooms (now and then a wrong or missing one). It looks at the
// reference model's state to aim most commands at plausible targets.
// Also: a Step's JSON line for `queuecast replay`.
//
// Used by tests/unit/engine/model_test.cc, tests/unit/proto/codec_test.cc and
// tests/integration/cli/replay_test.cc (determinism, codec).
#pragma once

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <initializer_list>
#include <random>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "engine/command.h"
#include "engine/types.h"
#include "tests/support/reference_model.h"

namespace qc::model_test {

// 2026-11-23 00:00 at UTC+8 (a Monday).
inline constexpr Time kBaseDay = 1795363200000;

struct Step {
  Command cmd;
  Time now = 0;
};

// ------------------------------------------------------------ JSON output --

// Days since 1970-01-01 -> civil date (H. Hinnant's algorithm).
inline void civil_from_days(std::int64_t z, int* y, unsigned* m, unsigned* d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t yy = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int>(yy + (*m <= 2));
}

// RFC 3339 in local time UTC+8, to the millisecond.
inline std::string rfc3339(Time t) {
  Time local = t + 8 * kHour;
  std::int64_t days = local / kDay - (local % kDay < 0 ? 1 : 0);
  Time ms = local - days * kDay;
  int y;
  unsigned mo, d;
  civil_from_days(days, &y, &mo, &d);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03d+08:00", y, mo, d,
                static_cast<int>(ms / kHour), static_cast<int>(ms / kMinute % 60),
                static_cast<int>(ms / kSecond % 60), static_cast<int>(ms % 1000));
  return buf;
}

inline std::string dur(Duration d) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "\"%" PRId64 ".%03ds\"", d / 1000, static_cast<int>(d % 1000));
  return buf;
}

inline std::string q(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

inline std::string ints(const std::vector<std::int32_t>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + std::to_string(v[i]);
  return out + "]";
}

inline std::string strings(const std::vector<std::string>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + q(v[i]);
  return out + "]";
}

// An optional string field: `,"name":"value"`, or nothing when empty.
inline std::string opt(const char* name, const std::string& v) {
  return v.empty() ? std::string() : std::string(",\"") + name + "\":" + q(v);
}

// One step as a line of `queuecast replay` input.
inline std::string to_json_line(const Step& st) {
  std::string body = std::visit(
      [](const auto& c) -> std::string {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, CreateSession>) {
          const SessionSpec& s = c.spec;
          std::string j = "\"createSession\":{\"spec\":{\"sessionId\":" + q(s.session_id) +
                          ",\"doctorId\":" + q(s.doctor_id) + ",\"area\":" + q(s.area) + ",\"start\":\"" + rfc3339(s.start) +
                          "\",\"end\":\"" + rfc3339(s.end) + "\",\"registrationOpen\":\"" +
                          rfc3339(s.registration_open) +
                          "\",\"slotMinutes\":" + std::to_string(s.slot_minutes) +
                          ",\"appointmentQuota\":" + ints(s.appointment_quota) +
                          ",\"walkinQuota\":" + ints(s.walkin_quota);
          j += opt("room", s.room);
          if (!s.rooms.empty()) j += ",\"rooms\":" + strings(s.rooms);
          // Always written: an absent value means the default, not 0.
          j += ",\"priorityAfter\":" + std::to_string(s.priority_after) +
               ",\"returnAfter\":" + std::to_string(s.return_after) +
               ",\"maxOvertaken\":" + std::to_string(s.max_overtaken);
          if (s.policy == Policy::kAppointmentsFirst) j += ",\"policy\":\"POLICY_APPOINTMENTS_FIRST\"";
          if (s.late_grace) j += ",\"lateGrace\":" + dur(s.late_grace);
          if (s.cancel_deadline != kNoTime) j += ",\"cancelDeadline\":\"" + rfc3339(s.cancel_deadline) + "\"";
          if (s.walkin_conversion_time != kNoTime)
            j += ",\"walkinConversionTime\":\"" + rfc3339(s.walkin_conversion_time) + "\"";
          if (!s.reservations.empty()) {
            j += ",\"reservations\":[";
            for (std::size_t i = 0; i < s.reservations.size(); ++i) {
              const Reservation& r = s.reservations[i];
              j += std::string(i ? "," : "") + "{\"channel\":" + q(r.channel) + ",\"units\":" + ints(r.units);
              if (r.release_at != kNoTime) j += ",\"releaseAt\":\"" + rfc3339(r.release_at) + "\"";
              j += "}";
            }
            j += "]";
          }
          return j + "}}";
        } else if constexpr (std::is_same_v<T, DefineChannel>) {
          std::string j = "\"defineChannel\":{\"channel\":{\"channelId\":" + q(c.channel.channel_id);
          if (c.channel.window_opens_before) j += ",\"windowOpensBefore\":" + dur(c.channel.window_opens_before);
          if (c.channel.window_closes_before) j += ",\"windowClosesBefore\":" + dur(c.channel.window_closes_before);
          return j + "}}";
        } else if constexpr (std::is_same_v<T, Book>) {
          return "\"book\":{\"sessionId\":" + q(c.session_id) + ",\"slot\":" + std::to_string(c.slot) +
                 ",\"patientRef\":" + q(c.patient_ref) + ",\"patientName\":" + q(c.patient_name) +
                 ",\"ticketId\":" + q(c.ticket_id) + ",\"channel\":" + q(c.channel) + ",\"token\":" + q(c.token) +
                 opt("priority", c.priority) + "}";
        } else if constexpr (std::is_same_v<T, Hold>) {
          std::string j = "\"hold\":{\"sessionId\":" + q(c.session_id) + ",\"slot\":" + std::to_string(c.slot) +
                          ",\"patientRef\":" + q(c.patient_ref) + ",\"patientName\":" + q(c.patient_name) +
                          ",\"channel\":" + q(c.channel) + ",\"holdId\":" + q(c.hold_id);
          if (c.ttl) j += ",\"ttl\":" + dur(c.ttl);
          return j + opt("priority", c.priority) + "}";
        } else if constexpr (std::is_same_v<T, Confirm>) {
          return "\"confirm\":{\"holdId\":" + q(c.hold_id) + ",\"ticketId\":" + q(c.ticket_id) +
                 ",\"token\":" + q(c.token) + "}";
        } else if constexpr (std::is_same_v<T, Release>) {
          return "\"release\":{\"holdId\":" + q(c.hold_id) + "}";
        } else if constexpr (std::is_same_v<T, RegisterWalkIn>) {
          return "\"registerWalkIn\":{\"sessionId\":" + q(c.session_id) + ",\"patientRef\":" +
                 q(c.patient_ref) + ",\"patientName\":" + q(c.patient_name) + ",\"ticketId\":" +
                 q(c.ticket_id) + ",\"token\":" + q(c.token) + opt("priority", c.priority) + "}";
        } else if constexpr (std::is_same_v<T, SuspendSession>) {
          return "\"suspendSession\":{\"sessionId\":" + q(c.session_id) + ",\"reason\":" + q(c.reason) + "}";
        } else if constexpr (std::is_same_v<T, CallNext>) {
          return "\"callNext\":{\"sessionId\":" + q(c.session_id) + opt("room", c.room) + "}";
        } else if constexpr (std::is_same_v<T, Pause>) {
          return "\"pause\":{\"sessionId\":" + q(c.session_id) + opt("room", c.room) + "}";
        } else if constexpr (std::is_same_v<T, Resume>) {
          return "\"resume\":{\"sessionId\":" + q(c.session_id) + opt("room", c.room) + "}";
        } else if constexpr (std::is_same_v<T, CloseSession>) {
          return "\"closeSession\":{\"sessionId\":" + q(c.session_id) + "}";
        } else if constexpr (std::is_same_v<T, Tick>) {
          return "\"tick\":{}";
        } else if constexpr (std::is_same_v<T, Cancel>) {
          return "\"cancel\":{\"ticketId\":" + q(c.ticket_id) + "}";
        } else if constexpr (std::is_same_v<T, CheckIn>) {
          return "\"checkIn\":{\"ticketId\":" + q(c.ticket_id) + "}";
        } else if constexpr (std::is_same_v<T, CallTicket>) {
          return "\"callTicket\":{\"ticketId\":" + q(c.ticket_id) + opt("room", c.room) + "}";
        } else if constexpr (std::is_same_v<T, Recall>) {
          return "\"recall\":{\"ticketId\":" + q(c.ticket_id) + "}";
        } else if constexpr (std::is_same_v<T, Complete>) {
          return "\"complete\":{\"ticketId\":" + q(c.ticket_id) + "}";
        } else if constexpr (std::is_same_v<T, MarkMissed>) {
          return "\"markMissed\":{\"ticketId\":" + q(c.ticket_id) + "}";
        } else if constexpr (std::is_same_v<T, ReturnTicket>) {
          return "\"return\":{\"ticketId\":" + q(c.ticket_id) + "}";
        } else if constexpr (std::is_same_v<T, DoctorLeave>) {
          return "\"doctorLeave\":{\"doctorId\":" + q(c.doctor_id) + ",\"from\":\"" + rfc3339(c.from) +
                 "\",\"to\":\"" + rfc3339(c.to) + "\",\"reason\":" + q(c.reason) + "}";
        } else if constexpr (std::is_same_v<T, MoveToNext>) {
          return "\"moveToNext\":{\"ticketId\":" + q(c.ticket_id) + "}";
        } else if constexpr (std::is_same_v<T, Undo>) {
          return "\"undo\":{\"sessionId\":" + q(c.session_id) + "}";
        } else if constexpr (std::is_same_v<T, SetPriority>) {
          return "\"setPriority\":{\"ticketId\":" + q(c.ticket_id) + ",\"priority\":" + q(c.priority) + "}";
        } else if constexpr (std::is_same_v<T, SendForTests>) {
          return "\"sendForTests\":{\"ticketId\":" + q(c.ticket_id) + "}";
        } else if constexpr (std::is_same_v<T, ReturnFromTests>) {
          return "\"returnFromTests\":{\"ticketId\":" + q(c.ticket_id) + "}";
        } else {
          return "\"tick\":{},\"_unsupported\":true";
        }
      },
      st.cmd.body);
  return "{\"at\":\"" + rfc3339(st.now) + "\",\"actor\":{\"kind\":\"ACTOR_KIND_NURSE\",\"id\":\"n1\"}," +
         body + "}";
}

// -------------------------------------------------------------- generator --

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}

  // Clinic days begun so far.
  int days() const { return started_ ? day_ + 1 : 0; }

  // The next step, given the model's current state (to aim at valid targets).
  Step next(const model::Model& m) {
    if (pending_.empty()) {
      if (!started_) {
        begin_day();
      } else if (step_in_day_ >= day_length_) {
        end_day();
        begin_day();
      }
    }
    if (!pending_.empty()) {
      Step s = std::move(pending_.front());
      pending_.pop_front();
      return s;
    }
    advance_time();
    ++step_in_day_;
    return Step{Command{Actor{ActorKind::kNurse, "n1"}, body(m)}, now_};
  }

 private:
  double uniform() { return std::uniform_real_distribution<double>(0, 1)(rng_); }
  int below(int n) { return static_cast<int>(rng_() % static_cast<std::uint64_t>(n)); }
  bool chance(double p) { return uniform() < p; }
  template <typename T>
  const T& pick(const std::vector<T>& v) { return v[static_cast<std::size_t>(below(static_cast<int>(v.size())))]; }

  // Clinic days are two calendar days apart, so that the booking day of the
  // next one starts after the previous one is over.
  Time base() const { return kBaseDay + 2 * day_ * kDay; }

  void push(CommandBody b, Time now) {
    pending_.push_back(Step{Command{Actor{ActorKind::kAdmin, "admin"}, std::move(b)}, now});
  }

  SessionSpec make_spec(int k) {
    SessionSpec s;
    s.session_id = "d" + std::to_string(day_) + "-" + std::to_string(k);
    s.doctor_id = "doc" + std::to_string(k);
    s.area = "area";
    static constexpr int kStart[] = {8, 8, 13, 14};
    static constexpr int kEnd[] = {12, 11, 17, 16};
    static constexpr int kSlot[] = {60, 30, 60, 30};
    s.start = base() + kStart[k] * kHour;
    s.end = base() + kEnd[k] * kHour;
    s.registration_open = s.start - kHour;
    s.slot_minutes = kSlot[k];
    int slots = static_cast<int>((s.end - s.start) / (s.slot_minutes * kMinute));
    for (int i = 0; i < slots; ++i) {
      s.appointment_quota.push_back(below(5));
      s.walkin_quota.push_back(below(4));
    }
    s.policy = chance(0.5) ? Policy::kAppointmentsFirst : Policy::kArrival;
    s.late_grace = chance(0.3) ? 10 * kMinute : 0;
    // Rooms: one (unnamed, named, or a list of one) or a general clinic of 2-3.
    double r = uniform();
    if (r < 0.2) {
      s.room = "";
    } else if (r < 0.4) {
      s.room = "3诊室";
    } else if (r < 0.5) {
      s.rooms = {"3"};
    } else {
      s.rooms = {"3", "5"};
      if (chance(0.4)) s.rooms.push_back("8");
    }
    // Insertion settings: the defaults (1, 2, 3) or random small ones.
    if (chance(0.75)) {
      s.priority_after = below(4);
      s.return_after = below(4);
      s.max_overtaken = below(5);
    }
    if (chance(0.2)) s.cancel_deadline = base() + 7 * kHour + 30 * kMinute;
    if (chance(0.2)) s.walkin_conversion_time = base() + 6 * kHour;
    // Reserved shares (paper 001): the phone line keeps some units, released
    // to everyone the evening before, or never.
    for (const char* ch : {"phone", "web"}) {
      if (!chance(0.25)) continue;
      Reservation r;
      r.channel = ch;
      for (int i = 0; i < slots; ++i) {
        int reserved = 0;
        for (const Reservation& o : s.reservations) reserved += o.units[static_cast<std::size_t>(i)];
        int free = s.appointment_quota[static_cast<std::size_t>(i)] - reserved;
        r.units.push_back(free > 0 ? below(free + 1) : 0);
      }
      r.release_at = chance(0.5) ? base() - 4 * kHour + below(120) * kMinute : kNoTime;
      s.reservations.push_back(std::move(r));
    }
    return s;
  }

  void begin_day() {
    if (started_) ++day_;
    started_ = true;
    step_in_day_ = 0;
    day_length_ = 150 + below(250);
    now_ = base() - 14 * kHour;  // 10:00 the day before
    if (day_ == 0) {
      push(DefineChannel{Channel{"web", 7 * kDay, 12 * kHour}}, now_);
      push(DefineChannel{Channel{"phone", 0, 0}}, now_);
    }
    old_.insert(old_.end(), cur_.begin(), cur_.end());
    cur_.clear();
    int n = 2 + below(3);
    for (int k = 0; k < n; ++k) {
      specs_.push_back(make_spec(k));
      cur_.push_back(specs_.back().session_id);
      push(CreateSession{specs_.back()}, now_);
    }
  }

  // Late in the day a tick closes the idle sessions; some are closed by
  // staff; the night tick closes the rest (end + grace).
  void end_day() {
    push(Tick{}, std::max(now_, base() + 17 * kHour + below(60) * kMinute));
    Time t = std::max(now_, base() + 18 * kHour);
    for (const std::string& sid : cur_)
      if (chance(0.5)) push(CloseSession{sid}, t);
    push(Tick{}, base() + 23 * kHour);
  }

  // Time: 20% of the day's steps the day before (booking), 10% the night
  // and early morning (conversion), 70% during the clinic.
  void advance_time() {
    double f = static_cast<double>(step_in_day_) / day_length_;
    Time target;
    if (f < 0.2) {
      target = base() - 14 * kHour + static_cast<Time>(f / 0.2 * 13.5 * kHour);
    } else if (f < 0.3) {
      target = base() - 30 * kMinute + static_cast<Time>((f - 0.2) / 0.1 * 7.5 * kHour);
    } else {
      target = base() + 6 * kHour + 50 * kMinute + static_cast<Time>((f - 0.3) / 0.7 * 10.7 * kHour);
    }
    Time jitter = (below(41) - 20) * kMinute;
    Time t = target + jitter;
    t -= t % kMinute;
    if (chance(0.05)) {
      now_ = std::max(now_ - below(10) * kMinute, base() - 14 * kHour);  // a little back in time
    } else {
      now_ = std::max(now_, t);
    }
    if (chance(0.1)) now_ += below(60) * kSecond;  // off the minute
  }

  std::string patient() {
    if (chance(0.01)) return "";
    if (chance(0.3)) return "p" + std::to_string(below(3));  // frequent bookers: booking_limit
    return "p" + std::to_string(below(24));
  }

  // Sessions of the day still running at now_ (per the model).
  std::vector<std::string> live(const model::Model& m) const {
    std::vector<std::string> out;
    for (const std::string& sid : cur_) {
      const model::Session* s = m.session(sid);
      if (s && s->status != SessionStatus::kClosed && s->status != SessionStatus::kSuspended &&
          now_ < s->spec.end)
        out.push_back(sid);
    }
    return out;
  }

  std::string session_id(const model::Model& m) {
    double r = uniform();
    if (r < 0.03) return "nosuch";
    if (r < 0.06 && !old_.empty()) return pick(old_);
    std::vector<std::string> l = live(m);
    if (!l.empty() && chance(0.85)) return pick(l);
    return pick(cur_);
  }

  std::string ticket_id(const model::Model& m, std::initializer_list<TicketState> preferred) {
    double r = uniform();
    if (r < 0.03) return "T-unknown";
    std::vector<std::string> all, good;
    if (r < 0.06 && !old_.empty()) {
      const model::Session* s = m.session(pick(old_));
      if (s && !s->tickets.empty()) return pick(s->tickets).id;
    }
    std::vector<std::string> l = live(m);
    for (const std::string& sid : (!l.empty() && chance(0.85)) ? l : cur_) {
      const model::Session* s = m.session(sid);
      if (!s) continue;
      for (const model::Ticket& t : s->tickets) {
        all.push_back(t.id);
        for (TicketState p : preferred)
          if (t.state == p) good.push_back(t.id);
      }
    }
    if (!good.empty() && chance(0.85)) return pick(good);
    if (!all.empty()) return pick(all);
    return "T-none";
  }

  std::string hold_id(const model::Model& m) {
    std::vector<std::string> open, any;
    for (const model::Hold& h : m.holds()) {
      any.push_back(h.id);
      if (h.open) open.push_back(h.id);
    }
    if (!open.empty() && chance(0.5)) return open.back();  // the newest: often still valid
    if (!open.empty() && chance(0.6)) return pick(open);
    if (!any.empty() && chance(0.7)) return pick(any);
    return "H-unknown";
  }

  std::string new_client_ticket_id() {
    if (!client_ticket_ids_.empty() && chance(0.15)) return pick(client_ticket_ids_);  // in use
    client_ticket_ids_.push_back("HIS-" + std::to_string(++client_counter_));
    return client_ticket_ids_.back();
  }

  // Patient tokens (issued by the gateway): mostly none, some new, a few in use.
  std::string token() {
    double r = uniform();
    if (r < 0.7) return "";
    if (r < 0.75 && !tokens_.empty()) return pick(tokens_);
    tokens_.push_back("tok-" + std::to_string(++client_counter_));
    return tokens_.back();
  }

  std::string channel() {
    double r = uniform();
    if (r < 0.55) return "";
    if (r < 0.85) return "web";
    if (r < 0.98) return "phone";
    return "fax";  // never defined
  }

  const SessionSpec* spec_of(const std::string& sid) const {
    for (const SessionSpec& s : specs_)
      if (s.session_id == sid) return &s;
    return nullptr;
  }

  static std::string session_of_ticket(const model::Model& m, const std::string& ticket_id) {
    for (const model::Session& s : m.sessions())
      for (const model::Ticket& t : s.tickets)
        if (t.id == ticket_id) return s.spec.session_id;
    return "";
  }

  // The room a call (or, with `pause`, a pause/resume) names: mostly a room
  // of the session; sometimes none ("room required" with several rooms, every
  // room for a pause) or one it does not have.
  std::string room_for(const std::string& sid, bool pause) {
    const SessionSpec* spec = spec_of(sid);
    if (!spec) return "";
    std::vector<std::string> rooms = spec->rooms;
    if (rooms.empty()) rooms.push_back(spec->room);
    double r = uniform();
    if (r < 0.03) return "9";  // no such room
    if (rooms.size() == 1) return chance(0.6) ? "" : rooms[0];
    if (r < 0.05 || (pause && r < 0.3)) return "";
    return pick(rooms);
  }

  // A priority reason code on a share of the tickets (rarely a malformed one).
  std::string priority(double share) {
    if (!chance(share)) return "";
    static const std::vector<std::string> kReasons = {"elderly", "military", "disabled",
                                                      "pregnant"};
    if (chance(0.04)) return chance(0.5) ? "Elderly" : std::string(33, 'x');
    return pick(kReasons);
  }

  std::int32_t slot_for(const std::string& sid) {
    int slots = 4;
    for (const SessionSpec& s : specs_)
      if (s.session_id == sid) slots = static_cast<int>((s.end - s.start) / (s.slot_minutes * kMinute));
    if (chance(0.03)) return chance(0.5) ? -1 : slots;
    return below(slots);
  }

  CommandBody bad_create() {
    SessionSpec s = make_spec(below(4));
    switch (below(7)) {
      case 0: s.end = s.start; break;
      case 1: s.walkin_quota.push_back(1); break;
      case 2: s.registration_open = s.start + kMinute; break;
      case 3: s.rooms = {"3", chance(0.5) ? "3" : ""}; break;  // duplicate or empty room
      case 4:  // too many rooms
        s.rooms.clear();
        for (std::size_t i = 0; i <= kMaxRooms; ++i) s.rooms.push_back("r" + std::to_string(i));
        break;
      case 5: (chance(0.5) ? s.max_overtaken : s.return_after) = chance(0.5) ? -1 : 1001; break;
      default: s.session_id = pick(cur_); break;  // already_exists
    }
    return CreateSession{s};
  }

  enum Kind {
    kBook, kHold, kConfirm, kRelease, kCancel, kWalkIn, kCheckIn, kCallNext, kCallTicket,
    kRecall, kComplete, kMissed, kReturn, kMoveToNext, kPause, kResume, kSuspend, kClose,
    kTick, kBadCreate, kLeave, kUndo, kSetPriority, kSendForTests, kReturnFromTests, kKinds
  };

  CommandBody body(const model::Model& m) {
    double f = static_cast<double>(step_in_day_) / day_length_;
    //                      book hold conf rel  canc walk chk  next ctkt rcl  comp miss ret  mtn  paus res  susp clos tick bad leave undo prio test back
    static constexpr double kBefore[kKinds] = {30, 12, 10, 3, 2, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.05, 0.05, 5, 1, 0.05, 0.3, 0.8, 0.2, 0.2};
    static constexpr double kNight[kKinds] = {6, 4, 5, 2, 2, 3, 3, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 1, 1, 0.05, 0.05, 8, 0.5, 0.05, 0.3, 0.8, 0.3, 0.3};
    static constexpr double kClinic[kKinds] = {2, 1, 1, 0.5, 2, 12, 15, 15, 3, 2, 6, 5, 5, 2, 1.5, 3, 0.05, 0.08, 5, 0.3, 0.03, 4, 2.5, 3, 4};
    const double* w = f < 0.2 ? kBefore : f < 0.3 ? kNight : kClinic;
    double total = 0;
    for (int i = 0; i < kKinds; ++i) total += w[i];
    double r = uniform() * total;
    int kind = 0;
    while (kind < kKinds - 1 && r >= w[kind]) r -= w[kind++];
    switch (static_cast<Kind>(kind)) {
      case kBook: {
        std::string sid = session_id(m);
        std::string p = patient();
        return Book{sid, slot_for(sid), p, "Name " + p, chance(0.15) ? new_client_ticket_id() : "",
                    channel(), token(), priority(0.1)};
      }
      case kHold: {
        std::string sid = session_id(m);
        std::string p = patient();
        static constexpr Duration kTtl[] = {0, 0, 5 * kMinute, 30 * kMinute, 2 * kHour, kDay};
        Duration ttl = kTtl[below(6)];
        std::string hid;
        if (chance(0.2)) {
          if (!client_hold_ids_.empty() && chance(0.15)) {
            hid = pick(client_hold_ids_);
          } else {
            client_hold_ids_.push_back("HOLD-" + std::to_string(++client_counter_));
            hid = client_hold_ids_.back();
          }
        }
        return Hold{sid, slot_for(sid), p, "Name " + p, channel(), ttl, hid, priority(0.1)};
      }
      case kConfirm:
        return Confirm{hold_id(m), chance(0.15) ? new_client_ticket_id() : "", token()};
      case kRelease: return Release{hold_id(m)};
      case kCancel: return Cancel{ticket_id(m, {TicketState::kBooked})};
      case kWalkIn: {
        std::string p = chance(0.05) ? "" : patient();
        return RegisterWalkIn{session_id(m), p, "Name " + p,
                              chance(0.1) ? new_client_ticket_id() : "", token(), priority(0.12)};
      }
      case kCheckIn: return CheckIn{ticket_id(m, {TicketState::kBooked})};
      case kCallNext: {
        std::string sid = session_id(m);
        return CallNext{sid, room_for(sid, false)};
      }
      case kCallTicket: {
        std::string tid = ticket_id(m, {TicketState::kWaiting});
        return CallTicket{tid, room_for(session_of_ticket(m, tid), false)};
      }
      case kRecall: return Recall{ticket_id(m, {TicketState::kCalled})};
      case kComplete:  // mostly the CALLED ticket; now and then one at tests (no visit after them)
        return Complete{ticket_id(m, {chance(0.9) ? TicketState::kCalled : TicketState::kAtTests})};
      case kMissed: return MarkMissed{ticket_id(m, {TicketState::kCalled})};
      case kReturn: return ReturnTicket{ticket_id(m, {TicketState::kMissed})};
      case kMoveToNext: return MoveToNext{ticket_id(m, {TicketState::kWaiting})};
      case kPause: {
        std::string sid = session_id(m);
        return Pause{sid, room_for(sid, true)};
      }
      case kResume: {
        std::string sid = session_id(m);
        return Resume{sid, room_for(sid, true)};
      }
      case kSuspend: return SuspendSession{session_id(m), "doctor ill"};
      case kClose: return CloseSession{session_id(m)};
      case kTick: return Tick{};
      case kBadCreate: return bad_create();
      case kLeave: return DoctorLeave{"doc" + std::to_string(below(4)), base(), base() + kDay, "leave"};
      case kUndo: return Undo{session_id(m)};
      case kSetPriority: {
        std::string tid = ticket_id(m, {TicketState::kWaiting, TicketState::kWaiting, TicketState::kBooked,
                                        TicketState::kCalled, TicketState::kMissed, TicketState::kAtTests});
        return SetPriority{tid, chance(0.25) ? "" : priority(1.0)};
      }
      case kSendForTests: return SendForTests{ticket_id(m, {TicketState::kCalled})};
      case kReturnFromTests: return ReturnFromTests{ticket_id(m, {TicketState::kAtTests})};
      case kKinds: break;
    }
    return Tick{};
  }

  std::mt19937_64 rng_;
  std::deque<Step> pending_;
  int day_ = 0;
  int step_in_day_ = 0;
  int day_length_ = 0;
  bool started_ = false;
  Time now_ = 0;
  std::vector<std::string> cur_, old_;
  std::vector<SessionSpec> specs_;
  std::vector<std::string> client_ticket_ids_, client_hold_ids_, tokens_;
  int client_counter_ = 0;
};

inline std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  return std::strtoull(v, nullptr, 10);
}

// splitmix64: independent seeds for the sequences of one run.
inline std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace qc::model_test
