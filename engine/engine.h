// The queue engine: a pure, deterministic state machine.
//
//   Result r = engine.apply(command, now);
//
// applies one command at time `now` and returns the events it produced, or
// rejects it with one Error and then nothing changed at all. The engine never
// reads a clock, does no I/O, starts no thread, logs nothing and throws
// nothing across this API (an allocation failure aborts, as everywhere).
// The same commands at the same times give the same events, byte for byte,
// so a journal of (command, now) pairs replays to the same state.
//
// Thread-safety: none. One Engine is owned by one thread (a shard); other
// threads post commands to it. Copyable (the simulator forks engines).
//
// The rules it applies, and the decisions the queue-rules contract leaves
// open, are written down in docs/engine.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/command.h"
#include "engine/event.h"
#include "engine/types.h"
#include "engine/view.h"

namespace qc {

struct EngineOptions {
  std::int32_t max_active_bookings = 3;   // K
  std::int32_t noshow_threshold = 3;      // N
  Duration noshow_window = 90 * kDay;
  Duration ban = 30 * kDay;
  Duration default_hold_ttl = 15 * kMinute;
  Duration auto_close_grace = 4 * kHour;  // tick closes a session at end + this at the latest
  std::int32_t display_next_count = 5;    // labels shown after the called one
  bool display_names = true;              // false: displays show labels only
  bool operator==(const EngineOptions&) const = default;
};

struct Result {
  Error error = Error::kOk;
  std::string message;        // human-readable, for a rejection
  std::vector<Event> events;  // empty for a rejection
  bool ok() const { return error == Error::kOk; }
};

class Engine {
 public:
  explicit Engine(EngineOptions options = {});
  ~Engine();
  Engine(const Engine&);
  Engine& operator=(const Engine&);
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;

  // Applies `command` at `now`. See the file comment.
  Result apply(const Command& command, Time now);

  // The same without allocating a Result: appends the events to `*events`
  // (which the caller may reuse) and returns the error; on a rejection
  // nothing is appended and `*message`, if given, says why.
  Error apply_into(const Command& command, Time now, std::vector<Event>* events,
                   std::string* message = nullptr);

  // ---- Reads (never change state) ----

  const EngineOptions& options() const;
  bool has_session(std::string_view session_id) const;
  const SessionSpec* session_spec(std::string_view session_id) const;
  // Increases with every applied command that changed the session.
  std::uint64_t session_version(std::string_view session_id) const;
  // Session ids in creation order.
  std::vector<std::string> session_ids() const;

  // WAITING ticket ids of a session in call order (empty if unknown).
  std::vector<std::string> waiting_order(std::string_view session_id) const;
  // The CALLED ticket's id, if any.
  std::optional<std::string> called_ticket(std::string_view session_id) const;
  // State of a ticket, if it exists.
  std::optional<TicketState> ticket_state(std::string_view ticket_id) const;
  // The session a ticket belongs to.
  std::optional<std::string> ticket_session(std::string_view ticket_id) const;
  // The channel that booked a ticket / placed a hold ("" when none: staff
  // without a channel, kiosks, walk-ins); nullopt when there is no such
  // ticket / hold. Authorization: a channel acts on its own only.
  std::optional<std::string> ticket_channel(std::string_view ticket_id) const;
  std::optional<std::string> hold_channel(std::string_view hold_id) const;
  // The session of a hold (open or finished); nullopt when unknown.
  std::optional<std::string> hold_session(std::string_view hold_id) const;
  // Every hold id (open or finished), in no particular order.
  std::vector<std::string> hold_ids() const;
  // The ticket a patient token was issued for (token given in Book/Confirm/RegisterWalkIn).
  std::optional<std::string> ticket_by_token(std::string_view token) const;
  // The inverse: the patient token issued with a ticket, if it has one
  // (staff and kiosks print it on a check-in ticket as a QR code).
  std::optional<std::string> ticket_token(std::string_view ticket_id) const;

  std::optional<PatientView> patient_view(std::string_view ticket_id, Time now) const;
  // Every ticket's patient view of a session, in one pass (full refresh).
  // Clears `*out` first. Returns false for an unknown session.
  bool patient_views(std::string_view session_id, Time now,
                     std::vector<PatientView>* out) const;
  std::optional<StaffView> staff_view(std::string_view session_id, Time now) const;
  // Every session whose spec.area == area, as rooms. Unknown area: no rooms.
  DisplayView display_view(std::string_view area, Time now) const;
  // The areas whose display view changes by time alone (a day change, an
  // evening session leaving) at some moment in (from, to]: the views to push
  // again although no command changed them.
  std::vector<std::string> display_areas_changed(Time from, Time to) const;
  std::optional<Board> board(std::string_view session_id, Time now) const;

  // ---- Snapshots (recovery) ----

  // A deterministic binary image of the whole state; load() of it gives an
  // engine equal to this one (same views, same future events).
  std::string save() const;
  // Replaces this engine's state; false (and unchanged) if `image` is not valid.
  bool load(std::string_view image);

  // The internal state; defined in engine/engine_state.h, which only the
  // engine's own sources include. Not part of the API.
  struct State;

 private:
  std::unique_ptr<State> state_;
};

// Masks a patient name for public screens: "张三" -> "张*", "王小明" -> "王**",
// "Zhang San" -> "Z*** S.". UTF-8 aware; empty stays empty.
std::string mask_name(std::string_view name);

}  // namespace qc
