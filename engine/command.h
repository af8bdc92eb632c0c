// Commands: everything that can be asked of the engine. A command is plain
// data; Engine::apply(command, now) either applies it (events) or rejects it
// (an Error, and nothing changed).
//
// The wire form is queuecast.v1.Command (proto/queuecast/v1/queuecast.proto);
// proto/codec.h converts between the two.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/schedule.h"
#include "engine/types.h"

namespace qc {

// A reserved share of appointment capacity for one channel, released to every
// channel at `release_at` (paper 001).
struct Reservation {
  std::string channel;
  std::vector<std::int32_t> units;  // per slot, size M; units[i] <= A[i]
  Time release_at = kNoTime;
  bool operator==(const Reservation&) const = default;
};

// One doctor's clinic for one period of one day.
struct SessionSpec {
  std::string session_id;
  std::string doctor_id;
  std::string doctor_name;
  std::string department;
  std::string room;   // consulting room shown on displays ("3诊室")
  std::string area;   // waiting area: one display view per area
  // Several rooms sharing the session's queue (普通门诊): empty means one
  // room, `room`. At most kMaxRooms, each 1 to 64 bytes, no duplicates.
  std::vector<std::string> rooms{};
  // Insertion (spec "Priority, return after tests, several rooms"): a
  // priority ticket goes after the priority_after-th waiting ticket, one
  // back from tests after the return_after-th; nobody is overtaken by
  // insertion more than max_overtaken times. Each 0 to 1000.
  std::int32_t priority_after = 1;
  std::int32_t return_after = 2;
  std::int32_t max_overtaken = 3;
  Time start = 0;
  Time end = 0;
  Time registration_open = 0;  // walk-in registration and check-in open
  std::int32_t slot_minutes = 60;
  std::vector<std::int32_t> appointment_quota;  // A[i], size M
  std::vector<std::int32_t> walkin_quota;       // W[i], size M
  Policy policy = Policy::kArrival;
  Duration late_grace = 0;
  Time cancel_deadline = kNoTime;          // default: registration_open
  Time walkin_conversion_time = kNoTime;   // default: 00:00 local of start's day
  std::int32_t utc_offset_minutes = 480;   // local time of the hospital (UTC+8)
  Duration avg_consult_seed = 0;           // default: 10 minutes
  Duration arrival_buffer = 15 * kMinute;  // recommended arrival = eta - buffer (clamped)
  // The doctor's usual delay from `start` to the first call (ward rounds, a
  // late start), e.g. learned by `queuecast plan`; estimates count from
  // start + first_call_delay until the first call. Default 0.
  Duration first_call_delay = 0;
  std::vector<Reservation> reservations;   // reserved shares (may be empty)
  bool operator==(const SessionSpec&) const = default;
};

// A booking channel (clinic desk, web, phone, WeChat, app, kiosk, referral).
struct Channel {
  std::string channel_id;
  Duration window_opens_before = 0;  // D days before session start (0: always open)
  Duration window_closes_before = 0; // H hours before session start (0: until conversion)
  bool operator==(const Channel&) const = default;
};

struct CreateSession { SessionSpec spec; };
struct DefineChannel { Channel channel; };

// Single-step appointment booking (a hold confirmed at once).
struct Book {
  std::string session_id;
  std::int32_t slot = 0;
  std::string patient_ref;   // opaque patient reference (HIS id)
  std::string patient_name;  // never leaves the engine unmasked except to staff
  std::string ticket_id;     // optional: the hospital's own appointment number
  std::string channel;       // optional: empty means no channel rules
  std::string token;         // optional: patient token issued by the gateway
  std::string priority{};    // optional: a priority reason code (the gateway checks the list)
};
// Two-step booking: lock one unit of A[slot] for `ttl`.
struct Hold {
  std::string session_id;
  std::int32_t slot = 0;
  std::string patient_ref;
  std::string patient_name;
  std::string channel;
  Duration ttl = 0;          // 0: the engine's default hold TTL
  std::string hold_id;       // optional: engine assigns one when empty
  std::string priority{};    // optional: passed on to the ticket at confirm
};
struct Confirm {
  std::string hold_id;
  std::string ticket_id;  // optional
  std::string token;      // optional
};
struct Release { std::string hold_id; };
struct Cancel { std::string ticket_id; };
struct RegisterWalkIn {
  std::string session_id;
  std::string patient_ref;
  std::string patient_name;
  std::string ticket_id;  // optional
  std::string token;      // optional
  std::string priority{};  // optional: a priority reason code
};
struct CheckIn { std::string ticket_id; };
// `room`: which room calls; required when the session has several rooms,
// else empty or the session's room.
struct CallNext { std::string session_id; std::string room{}; };
struct CallTicket { std::string ticket_id; std::string room{}; };
struct Recall { std::string ticket_id; };
struct Complete { std::string ticket_id; };
struct MarkMissed { std::string ticket_id; };
struct ReturnTicket { std::string ticket_id; };
struct MoveToNext { std::string ticket_id; };
// `room` empty: every room of the session.
struct Pause { std::string session_id; std::string room{}; };
struct Resume { std::string session_id; std::string room{}; };
struct SuspendSession { std::string session_id; std::string reason; };
struct CloseSession { std::string session_id; };
// Reverts the session's last call_next / call_ticket / complete / mark_missed
// (docs/engine.md, "Undo"): only while nothing else changed the session and
// for kUndoWindow after it; one level.
struct Undo { std::string session_id; };
inline constexpr Duration kUndoWindow = 60 * kSecond;
// Staff set or remove (empty `priority`) a ticket's priority reason.
struct SetPriority { std::string ticket_id; std::string priority{}; };
// The CALLED patient goes for tests (AT_TESTS; the room is free again) ...
struct SendForTests { std::string ticket_id; };
// ... and comes back with the results: WAITING, inserted after return_after.
struct ReturnFromTests { std::string ticket_id; };
inline constexpr std::size_t kMaxRooms = 16;
// A priority reason code: 1 to 32 bytes of [a-z0-9_] (which codes are
// allowed is the deployment's list, checked by the gateway).
bool valid_priority_code(std::string_view code);
// Time-driven changes: hold expiry, reserved-share release, walk-in
// conversion, automatic session close.
struct Tick {};

using CommandBody = std::variant<
    CreateSession, DefineChannel, Book, Hold, Confirm, Release, Cancel,
    RegisterWalkIn, CheckIn, CallNext, CallTicket, Recall, Complete,
    MarkMissed, ReturnTicket, MoveToNext, Pause, Resume, SuspendSession,
    CloseSession, Tick,
    // Schedules (engine/schedule.h)
    DefineTemplate, GenerateSessions, AdjustQuotas, DoctorLeave,
    Undo,
    // Clinical flow (spec "Priority, return after tests, several rooms")
    SetPriority, SendForTests, ReturnFromTests>;

struct Command {
  Actor actor;
  CommandBody body;
};

// The stable snake_case name of a command ("call_next"), for logs and metrics.
std::string_view command_name(const CommandBody& body);

}  // namespace qc
