// The three views of a session (spec: "What each viewer sees").
//
// - PatientView: one ticket, as its patient sees it; no other patient's data
//   except public labels.
// - DisplayView: one waiting area, for the screens; names masked.
// - StaffView: one session, everything, in key order, with names.
// - Board: the public part of a session (labels, order, pace; no names),
//   from which every patient's position can be derived cheaply.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/types.h"

namespace qc {

struct PatientView {
  std::string ticket_id;
  std::string session_id;
  std::string label;
  TicketKind kind = TicketKind::kAppointment;
  TicketState state = TicketState::kBooked;
  Placement placement = Placement::kNone;
  SessionStatus session_status = SessionStatus::kOpen;
  std::int32_t slot = -1;            // booked/registered slot
  std::int32_t effective_slot = -1;  // where it waits (after demotion etc.)
  Time slot_start = 0;
  Time slot_end = 0;
  // WAITING: WAITING tickets before it (0 = next). BOOKED: the same if it
  // checked in now (projected). Otherwise -1.
  std::int32_t ahead = -1;
  Time eta = kNoTime;                  // estimated call time (WAITING, BOOKED)
  Time recommended_arrival = kNoTime;  // BOOKED only
  std::string called_label;            // the label called last (in any room)
  // CALLED: the room that called it. Otherwise the session's room, or its
  // rooms joined by " / " when it has several.
  std::string room;
  std::string doctor_name;
  std::uint64_t version = 0;           // the session's version
  // The ticket's own priority reason code ("" none): shown to its patient
  // only (the page says 优先), never on displays.
  std::string priority;
};

struct DisplayEntry {
  std::string label;
  std::string masked_name;  // "张*", "Z*** S."; empty when labels only
};

// One card per room: a session with several rooms has one DisplayRoom per
// room, each with its own called ticket and the session's next labels.
// Nothing says why a ticket is where it is (priority is private).
struct DisplayRoom {
  std::string session_id;
  std::string room;
  std::string doctor_name;
  SessionStatus status = SessionStatus::kOpen;
  bool has_called = false;
  DisplayEntry called;                 // the ticket now called
  Time called_at = kNoTime;            // when it was called (an undo restores an older one)
  std::vector<DisplayEntry> next;      // the next few, in call order
  std::vector<DisplayEntry> missed;    // "please return to the nurse station"
  std::uint64_t version = 0;
};

struct DisplayView {
  std::string area;
  std::vector<DisplayRoom> rooms;  // ordered by room, then session id
  std::uint64_t version = 0;       // only grows (docs/api.md "Versions"); not the rooms' sum
};

struct StaffTicket {
  std::string ticket_id;
  std::string label;
  std::string patient_ref;
  std::string patient_name;
  TicketKind kind = TicketKind::kAppointment;
  TicketState state = TicketState::kBooked;
  Placement placement = Placement::kNone;
  std::int32_t slot = -1;
  std::int32_t effective_slot = -1;
  std::int32_t band = -1;      // 0 made next, 1 normal; -1 when not WAITING
  std::uint64_t seq = 0;
  std::int32_t position = -1;  // index in call order when WAITING
  Time checked_in_at = kNoTime;
  Time called_at = kNoTime;
  std::string priority;        // reason code, "" none
  std::string room;            // CALLED or AT_TESTS: the room that called it
  std::int32_t overtaken = 0;  // times passed by an insertion (protected at max_overtaken)
};

struct StaffRoom {
  std::string room;
  bool paused = false;
  std::string called_ticket;  // "" none
  std::string called_label;
  // When the estimate expects it free by its pace (before its first call
  // start + first_call_delay, then its last call + avg_consult); a paused
  // room is free for the estimates not before now. Independent of now.
  Time available_at = 0;
};

struct StaffView {
  std::string session_id;
  std::string doctor_name;
  std::string room;
  std::string area;
  SessionStatus status = SessionStatus::kOpen;
  Time start = 0;
  Time end = 0;
  std::int32_t slot_minutes = 0;
  std::int32_t serving_slot = -1;
  std::vector<std::int32_t> appointment_left;  // unbooked A per slot, general pool (any channel)
  std::vector<std::int32_t> reserved_left;     // unreleased reserved units per slot (all channels)
  std::vector<std::int32_t> walkin_left;       // free W per slot
  Duration avg_consult = 0;
  // CALLED first (by room order), then WAITING in key order, then
  // AT_TESTS, MISSED, BOOKED, and the final states, each group in ticket
  // creation order.
  std::vector<StaffTicket> tickets;
  std::uint64_t version = 0;
  std::vector<StaffRoom> rooms;  // the session's rooms, in the spec's order
  std::int32_t priority_after = 1, return_after = 2, max_overtaken = 3;
};

// The public board of a session: serialized once per change and shared by
// every phone of the session; each phone finds its own label in `waiting`:
// its position is the index i, its estimated call time
// doctor_available_at + eta_offsets_ms[i], equal to the `eta` of its
// PatientView at the same `now` (the engine's estimate, booked tickets that
// may still come in ahead included; docs/engine.md "Estimates").
struct Board {
  std::string session_id;
  SessionStatus status = SessionStatus::kOpen;
  std::string called_label;
  std::vector<std::string> waiting;  // labels in call order
  Time doctor_available_at = 0;
  Duration avg_consult = 0;
  std::uint64_t version = 0;
  // Parallel to `waiting`: milliseconds from doctor_available_at to each
  // ticket's estimated call (>= 0, non-decreasing; capped at INT32_MAX).
  std::vector<std::int32_t> eta_offsets_ms;
};

}  // namespace qc
