// Who is asking, and may they? Credentials and the role/scope/ownership
// rules of docs/api.md ("Credentials"): authorize() is the one place that
// decides, for every command and read.
//
// - KeyStore maps a presented secret to a Principal. Staff, channel, kiosk
//   and display secrets are configured as SHA-256 hex digests only; a
//   32-hex-character secret that matches none of them is a patient-token
//   candidate (the shard resolves it to a ticket through the engine).
// - authorize() is a pure function of (principal, operation, target facts).
//   The target facts that need engine state (a ticket's session and
//   department, the ticket a token belongs to) are looked up on the shard
//   thread by Authorizer (server/runtime/authorizer.h), which every command
//   and read asks.
//
// Thread-safety: a KeyStore's keys are fixed at construction; share it (its
// cache of staff secrets already seen has its own lock).
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/types.h"
#include "server/infra/credentials.h"

namespace qc::gw {

struct Principal {
  Role role = Role::kNone;
  std::string id;                        // staff/channel/kiosk id; display: area; patient: token
  std::vector<std::string> departments;  // staff/kiosk scope (empty + empty sessions: all)
  std::vector<std::string> sessions;
  // A channel the deployment allows to give a priority reason at book /
  // hold (config `priority.channels`).
  bool sets_priority = false;
  // The engine actor recorded in the events of this principal's commands.
  // Patients: kPatient with the ticket id (filled in on the shard).
  Actor actor() const;
  // Stable name for idempotency keys and logs: "nurse:n17", "patient:<token>".
  std::string name() const;
};


class KeyStore {
 public:
  KeyStore() = default;
  explicit KeyStore(const std::vector<KeyEntry>& entries);
  // kNone for an empty or unknown secret (that is not token-shaped).
  Principal authenticate(std::string_view secret) const;
  std::size_t size() const { return by_hash_.size(); }

 private:
  std::unordered_map<std::string, KeyEntry> by_hash_;
  // Secrets that matched a key, so that a staff request costs a lookup, not
  // a SHA-256 (every configured key has one secret: at most size() entries;
  // a secret that matches nothing is never kept).
  mutable std::mutex seen_mu_;
  mutable std::unordered_map<std::string, const KeyEntry*> seen_;
};

// What is asked.
enum class Op : std::uint8_t {
  kAdminCommand,  // create_session, define_channel, schedules
  kBook,          // book, hold, confirm, release
  kCancel,
  kWalkIn,
  kCheckIn,
  kNurseAction,   // call_next, call, recall, complete, missed, return, move, pause, resume, suspend,
                  // close, undo, set_priority, send_for_tests
  kReturnFromTests,  // a patient back from tests: staff, and the kiosk they check in at
  kReadStaff,
  kReadPatient,
  kReadDisplay,
  kSubscribeBoard,
  kTick,          // system only
};

// Facts about the target, looked up by the caller.
struct Target {
  std::string session_id;   // "" when the command names no session
  std::string department;   // the session's department
  std::string area;         // for displays
  std::string ticket_id;    // the ticket addressed (patient checks)
  std::string token_ticket; // the ticket the patient's token belongs to ("" unknown)
  std::string hold_id;      // the hold addressed (confirm, release)
  // The channel that booked the ticket / placed the hold addressed; ""
  // when none did (staff, kiosk, walk-in) or it does not exist.
  std::string owner_channel;
  // A display's area: the sessions placed in it (id, department), for
  // staff reading the display of an area they work in; for create_session,
  // those of the new session's area.
  std::vector<std::pair<std::string, std::string>> area_sessions;
  // The command gives a ticket a priority reason (book, hold,
  // register_walk_in with `priority`): staff, and channels the deployment
  // allows (Principal::sets_priority).
  bool sets_priority = false;
};

// kOk, kUnauthorized (no/unknown credential) or kForbidden (known, not allowed).
Error authorize(const Principal& p, Op op, const Target& t);
bool in_scope(const Principal& p, std::string_view session_id, std::string_view department);

}  // namespace qc::gw
