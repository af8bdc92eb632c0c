// Events: what happened. An applied command yields one or more events, in a
// deterministic order; the same commands give the same events, byte for byte.
// Events are what the journal stores for audit, what live push reacts to,
// and what the replay tool prints.
//
// One flat struct keeps events cheap to produce; `type` says which fields
// are meaningful (documented per type below). The wire form is the oneof in
// queuecast.v1.Event.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/types.h"

namespace qc {

enum class EventType : std::uint8_t {
  kSessionCreated = 0,      // session_id
  kChannelDefined = 1,      // ticket_id = channel id
  kHoldPlaced = 2,          // ticket_id = hold id, slot, patient_ref, at + ttl in `until`
  kHoldReleased = 3,        // ticket_id = hold id, slot
  kHoldExpired = 4,         // ticket_id = hold id, slot
  kTicketBooked = 5,        // ticket_id, label, slot, kind, patient_ref, reason=channel
  kTicketCancelled = 6,     // ticket_id, from; reason: "patient" | "suspended" | "session_closed" | "leave"
                            // count = 1 if the unit went back to A, 2 if to W, 0 if none
  kWalkInRegistered = 7,    // ticket_id, label, slot (= effective_slot), placement normal
  kCheckedIn = 8,           // ticket_id, slot, effective_slot, placement (normal/made_next/demoted)
  kTicketCalled = 9,        // ticket_id, label, effective_slot, room; reason "call_next" | "call_ticket"
  kTicketRecalled = 10,     // ticket_id, label
  kTicketCompleted = 11,    // ticket_id, room; reason "complete" | "next_call" | "session_closed"; from CALLED or AT_TESTS
  kTicketMissed = 12,       // ticket_id, label
  kTicketReturned = 13,     // ticket_id, effective_slot, placement (made_next/demoted/normal)
  kMovedToNext = 14,        // ticket_id; placement made_next
  kNobodyWaiting = 15,      // session_id (call_next found an empty queue)
  kSessionPaused = 16,      // room ("" when every room); count = rooms now paused
  kSessionResumed = 17,     // room ("" when every room); count = rooms now paused
  kSessionSuspended = 18,   // reason
  kSessionClosed = 19,
  kTicketNoShow = 20,       // ticket_id, patient_ref
  kCapacityConverted = 21,  // slot, count = units moved from A to W
  kReservedReleased = 22,   // slot, count, reason = channel
  kPatientBlacklisted = 23, // patient_ref, until
  kTemplateDefined = 24,    // ticket_id = template id
  kQuotasAdjusted = 25,     // session_id
  kActionUndone = 26,       // ticket fields after the undo, from = state before it,
                            // reason = the undone command (one event per restored ticket)
  kPrioritySet = 27,        // ticket fields, reason = the priority code ("" = removed)
  kTicketInserted = 28,     // ticket fields (placement inserted); reason "priority" |
                            // "return_from_tests"; other_ticket = the ticket it was placed
                            // after ("" = head of band 1); count = tickets it overtook
  kTicketOvertaken = 29,    // ticket fields of a ticket passed by an insertion;
                            // other_ticket = the inserted ticket; count = times overtaken now
  kTicketProtected = 30,    // ticket fields; count = max_overtaken: no insertion passes it again
  kSentForTests = 31,       // ticket fields (CALLED -> AT_TESTS), room
  kReturnedFromTests = 32,  // ticket fields (AT_TESTS -> WAITING), placement
};
inline constexpr int kEventTypeCount = 33;

struct Event {
  EventType type = EventType::kSessionCreated;
  Time at = 0;             // the `now` of the command
  Actor actor;             // who did it (staff actions are always recorded)
  std::string session_id;
  std::string ticket_id;   // ticket, hold, channel or template id
  std::string label;       // public display label (A012, W005)
  std::string patient_ref;
  std::string reason;
  TicketKind kind = TicketKind::kAppointment;
  TicketState from = TicketState::kBooked;  // state before (ticket events)
  TicketState to = TicketState::kBooked;    // state after (ticket events)
  Placement placement = Placement::kNone;
  std::int32_t slot = -1;            // booked/registered slot
  std::int32_t effective_slot = -1;  // slot it waits in now
  std::int32_t count = 0;
  Time until = kNoTime;              // hold expiry, ban end
  std::string room{};                // calls, completions, tests, pause/resume
  std::string other_ticket{};        // inserted / overtaken: the other ticket
  bool operator==(const Event&) const = default;
};

std::string_view to_string(EventType t);  // "ticket_called", ...

}  // namespace qc
