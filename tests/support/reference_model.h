// A small reference model of the queue rules, written separately from the
// engine, for the randomized test (model_test.cc). It follows
// ../shared/spec/queue-rules.md and docs/engine.md literally, with plain
// vectors, linear scans and a sort to find the call order: no priority
// queues, no incremental indexes beyond id -> position maps.
//
// It covers the commands the randomized test generates: create_session
// (with reserved shares), define_channel, book, hold, confirm, release,
// cancel, register_walk_in, check_in, call_next, call_ticket, recall,
// complete, mark_missed, return, move_to_next, pause, resume,
// suspend_session, close_session, tick, doctor_leave, undo, and patient tokens
// (their uniqueness only); and the clinical flow (spec "Priority, return
// after tests, several rooms"): priority on tickets and set_priority,
// insertion after k with the max_overtaken bound and the overtaken counts,
// AT_TESTS with send_for_tests / return_from_tests, several rooms (calls
// and pauses per room). It does not model views (beyond what staff see of a
// ticket: priority, room, overtaken, placement; and a BOOKED ticket's
// projected place), estimates, or the other schedule commands (define_template,
// generate_sessions, adjust_quotas answer invalid_argument here and the test
// never sends them).
//
// Thread-safety: none; a value type.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "engine/command.h"
#include "engine/engine.h"
#include "engine/types.h"

namespace qc::model {

// The place of a WAITING ticket: the spec's key (band, slot, class, seq)
// plus `sub`, the order among inserted tickets. A ticket placed by the
// normal rules has sub 0. A ticket inserted right after P takes P's slot,
// class and seq and a sub taken from a session counter that only grows, so
// it sorts after P (and after every ticket inserted after P before it, which
// the insertion rule puts in front of it anyway) and before everything that
// was behind P: "as if it had P's slot and class and a seq just after P's".
// A ticket inserted at the head of band 1 (no P) has, as docs/engine.md
// decides, slot 0, class 0 and seq 0, which no ticket takes: it stays ahead
// of every band-1 ticket. Within band 0 only seq matters.
struct Key {
  std::int32_t band = 1;
  std::int32_t slot = 0;
  std::int32_t cls = 0;
  std::uint64_t seq = 0;
  std::uint64_t sub = 0;
  auto tuple() const {
    return band == 0 ? std::make_tuple(0, 0, 0, seq, std::uint64_t{0})
                     : std::make_tuple(1, slot, cls, seq, sub);
  }
  bool operator<(const Key& o) const { return tuple() < o.tuple(); }
  bool operator==(const Key&) const = default;
};

struct Ticket {
  std::string id;
  std::string label;
  std::string patient;
  TicketKind kind = TicketKind::kAppointment;
  TicketState state = TicketState::kBooked;
  std::int32_t slot = 0;            // booked or registered slot
  std::int32_t effective_slot = 0;  // the slot it waits in (an inserted one: P's)
  Key key;                          // its place while WAITING
  Placement placement = Placement::kNone;  // how it last entered WAITING
  int reservation = -1;             // the reserved share its unit came from
  std::string priority;             // reason code, "" none
  std::string room;                 // CALLED or AT_TESTS: the room that called it
  std::int32_t overtaken = 0;       // times passed by an insertion, for life
  bool operator==(const Ticket&) const = default;
};

struct Hold {
  std::string id;
  std::string session_id;
  std::int32_t slot = 0;
  std::string patient;
  Time expires_at = 0;
  bool open = true;
  int reservation = -1;
  std::string priority;  // given to the ticket at confirm
  bool operator==(const Hold&) const = default;
};

// A channel's reserved share of A (docs/engine.md 14, 15, 18).
struct Reserve {
  std::string channel;
  std::vector<std::int32_t> left;  // per slot
  Time release_at = kNoTime;
  bool released = false;
};

// A consulting room of a session (spec "Several rooms sharing one queue").
// Its CALLED ticket is the ticket in state CALLED whose `room` is its name.
struct Room {
  std::string name;
  bool paused = false;
  bool operator==(const Room&) const = default;
};

struct Session {
  SessionSpec spec;
  // Open, Closed or Suspended as commands made it; Paused exactly when
  // every room is paused (and it is neither closed nor suspended).
  SessionStatus status = SessionStatus::kOpen;
  std::vector<Room> rooms;  // spec.rooms, or the one room spec.room
  std::int32_t slots = 0;  // M
  std::vector<std::int32_t> a_left;  // the general pool
  std::vector<std::int32_t> w_left;
  std::vector<Reserve> reserves;
  std::int32_t serving_slot = -1;
  std::uint64_t next_seq = 1;       // seq 0: the head key (Key)
  std::uint64_t next_sub = 1;       // order of insertions (Key::sub)
  std::int32_t appointments = 0;  // labels A001...
  std::int32_t walkins = 0;       // labels W001...
  std::int32_t holds = 0;         // hold ids <sid>-H<n>
  bool converted = false;
  Time conversion_time = 0;
  Time cancel_deadline = 0;
  std::vector<Ticket> tickets;  // creation order

  Time slot_end(std::int32_t s) const {
    return spec.start + static_cast<Time>(s + 1) * spec.slot_minutes * kMinute;
  }
};

class Model {
 public:
  explicit Model(EngineOptions options = {});

  // Applies a command; returns kOk or the rejection (and then nothing changed).
  // Undo is modelled here, around apply_rules(): see UndoMemo.
  Error apply(const Command& command, Time now);

  // ---- Reads ----
  const std::vector<Session>& sessions() const { return sessions_; }
  const Session* session(const std::string& id) const;
  std::vector<std::string> waiting_order(const std::string& session_id) const;
  // The CALLED ticket of the session's first room (spec order) that has one.
  std::optional<std::string> called_ticket(const std::string& session_id) const;
  // The CALLED ticket of one room ("" none).
  std::string called_in(const std::string& session_id, const std::string& room) const;
  std::optional<TicketState> ticket_state(const std::string& ticket_id) const;
  // A BOOKED ticket's place if it checked in at `now` (docs/engine.md,
  // Views: the rank of the key it would take by the presenting rule, its
  // insertion included): the number of WAITING tickets ahead of it.
  std::int32_t projected_ahead(const std::string& ticket_id, Time now) const;
  // Open holds (for the generator to pick from).
  const std::vector<Hold>& holds() const { return holds_; }

 private:
  struct Patient {
    std::vector<Time> no_shows;  // close times of the sessions they missed
    Time banned_until = kNoTime;
  };

  Session* find_session(const std::string& id);
  Ticket* find_ticket(const std::string& id, Session** session);
  Hold* find_hold(const std::string& id);  // open or finished
  bool ticket_id_used(const std::string& id) const;
  bool hold_id_used(const std::string& id) const;
  const Channel* find_channel(const std::string& id) const;

  // Number of active bookings (BOOKED appointments and open holds).
  int active_bookings(const std::string& patient) const;
  int active_bookings_in(const std::string& patient, const Session& s) const;

  // Checks shared by book and hold, after the unknown-id checks.
  // On success *reservation is where the unit comes from (-1: the pool).
  Error check_booking(Session& s, std::int32_t slot, const std::string& patient,
                      const std::string& channel, Time now, int* reservation);
  static void enqueue(Session& s, Ticket& t, Time now, bool passed_rule_applies);
  // Insertion after k (spec "Insertion and the overtaking bound"): places
  // `t`, entering WAITING or (`moving`, set_priority) already WAITING,
  // either at `normal` (nullopt: no normal place, it is inserted) or after
  // k; counts the overtaken tickets.
  static void place(Session& s, Ticket& t, std::optional<Key> normal, Placement normal_placement,
             std::int32_t k, bool moving = false);
  static std::int32_t priority_k(const Session& s) { return s.spec.priority_after; }
  // The room a call or pause names: its canonical name, or an error.
  // `all_allowed`: "" means every room (pause/resume).
  static Error room_of(const Session& s, const std::string& room, bool all_allowed,
                       std::string* name);
  static void update_paused(Session& s);
  void give_back_unit(Session& s, std::int32_t slot, int reservation, Time now);
  void suspend(Session& s);
  void close(Session& s, Time now);
  void release_holds_of(const Session& s, Time now);

  Error create_session(const SessionSpec& spec);
  Error apply_rules(const Command& command, Time now);

  // Undo (docs/engine.md, "Undo"), modelled by whole copies: the session as
  // it was before its last call_next / call_ticket / complete / mark_missed
  // and as that action left it. Any later change of the session (its
  // tickets, capacity, status, holds), or a call_next or recall on it, ends
  // the memo; an undo within kUndoWindow puts `before` back.
  struct UndoMemo {
    Time at = 0;
    Session before;
    Session after;
    std::vector<Hold> holds_after;
  };
  std::vector<Hold> holds_of(const std::string& session_id) const;
  static bool same(const Session& a, const Session& b);
  std::map<std::string, UndoMemo> undo_;  // by session id

  EngineOptions options_;
  std::vector<Session> sessions_;
  std::vector<Hold> holds_;  // every hold ever placed, in order
  std::vector<Channel> channels_;
  std::map<std::string, Patient> patients_;
  std::map<std::string, std::pair<std::size_t, std::size_t>> ticket_index_;
  std::set<std::string> tokens_;  // patient tokens issued (docs 17: in use for good)
};

}  // namespace qc::model
