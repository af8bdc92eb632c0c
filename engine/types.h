// Basic vocabulary of the queue engine: time, error codes, ticket kinds and
// states, actors. Everything here is plain data; no I/O, no clock.
//
// Thread-safety: these are values; share them freely once built.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace qc {

// Milliseconds since the Unix epoch (UTC). The engine never reads a clock:
// every command is applied at a `now` given by the caller.
using Time = std::int64_t;
// A span of time in milliseconds.
using Duration = std::int64_t;

inline constexpr Duration kSecond = 1'000;
inline constexpr Duration kMinute = 60 * kSecond;
inline constexpr Duration kHour = 60 * kMinute;
inline constexpr Duration kDay = 24 * kHour;
inline constexpr Time kNoTime = std::numeric_limits<Time>::min();

// Every business rejection. The values map 1:1 onto queuecast.v1.ErrorCode
// (proto/queuecast/v1/queuecast.proto) and onto the stable strings returned
// by to_string() ("unknown_session", ...). Never renumber.
enum class Error : std::uint8_t {
  kOk = 0,
  kUnknownSession = 1,
  kUnknownTicket = 2,
  kWrongState = 3,
  kNotOpenYet = 4,
  kSessionClosed = 5,
  kSessionPaused = 6,
  kNoCapacity = 7,
  kCancelDeadlinePassed = 8,
  kAlreadyBooked = 9,
  kBlacklisted = 10,
  kHoldExpired = 11,
  kInvalidArgument = 12,
  kUnauthorized = 13,
  kForbidden = 14,
  kRateLimited = 15,
  // Beyond the spec's minimum list.
  kAlreadyExists = 16,   // a session, ticket, hold, channel or template id in use
  kUnknownHold = 17,     // no such hold (never placed, or confirmed/released/expired)
  kBookingLimit = 18,    // the patient holds K active bookings already
  kWindowClosed = 19,    // outside the channel's booking window
  kUnavailable = 20,     // the durable store is down (raised by the gateway, never by the engine)
  kUnknownChannel = 21,  // a booking names a channel that was never defined
  kIdempotencyKeyReused = 22,  // raised by the gateway, never by the engine
  kNothingToUndo = 23,   // undo: no undoable action, or the session changed since
  kUndoExpired = 24,     // undo: the action is older than kUndoWindow
};
inline constexpr int kErrorCount = 25;

enum class TicketKind : std::uint8_t { kAppointment = 0, kWalkIn = 1 };

enum class TicketState : std::uint8_t {
  kBooked = 0,
  kWaiting = 1,
  kCalled = 2,
  kMissed = 3,
  kDone = 4,
  kCancelled = 5,
  kNoShow = 6,
  kAtTests = 7,  // sent for tests by the doctor; back in the queue by return_from_tests
};

// Queue policy: how appointments and walk-ins share a slot.
enum class Policy : std::uint8_t { kArrival = 0, kAppointmentsFirst = 1 };

// Which presenting rule placed a ticket in the queue (spec: "Presenting").
enum class Placement : std::uint8_t {
  kNone = 0,      // not placed (BOOKED, final states)
  kNormal = 1,    // band 1, its own slot and class
  kMadeNext = 2,  // band 0: on time but passed, or a nurse's move_to_next
  kDemoted = 3,   // late: band 1, last slot, walk-in class
  kInserted = 4,  // priority or back from tests: band 1, inserted after k (spec)
};

enum class SessionStatus : std::uint8_t {
  kOpen = 0,
  kPaused = 1,
  kSuspended = 2,  // doctor off duty (停诊)
  kClosed = 3,
};

enum class ActorKind : std::uint8_t {
  kSystem = 0,   // timers (tick), recovery, the simulator
  kNurse = 1,
  kAdmin = 2,
  kChannel = 3,  // a booking channel (web, phone, WeChat, HIS, ...)
  kPatient = 4,
  kDisplay = 5,
  kKiosk = 6,
};

// Who issued a command. Recorded in every event it produces (audit).
struct Actor {
  ActorKind kind = ActorKind::kSystem;
  std::string id;  // nurse id, channel id, patient ref; empty for system
  bool operator==(const Actor&) const = default;
};

// Stable lower_snake_case names, as used in JSON, logs and the journal.
std::string_view to_string(Error e);
std::string_view to_string(TicketKind k);
std::string_view to_string(TicketState s);
std::string_view to_string(Policy p);
std::string_view to_string(Placement p);
std::string_view to_string(SessionStatus s);
std::string_view to_string(ActorKind a);

// Inverse of to_string(Error); false if the name is unknown.
bool parse_error(std::string_view name, Error* out);

}  // namespace qc
