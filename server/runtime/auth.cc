#include "server/runtime/auth.h"

#include <algorithm>

#include "server/infra/random.h"
#include "server/infra/sha256.h"

namespace qc::gw {

Actor Principal::actor() const {
  switch (role) {
    case Role::kAdmin: return {ActorKind::kAdmin, id};
    case Role::kNurse: return {ActorKind::kNurse, id};
    case Role::kChannel: return {ActorKind::kChannel, id};
    case Role::kKiosk: return {ActorKind::kKiosk, id};
    case Role::kDisplay: return {ActorKind::kDisplay, id};
    case Role::kPatient: return {ActorKind::kPatient, ""};
    case Role::kNone: break;
  }
  return {ActorKind::kSystem, ""};
}

std::string Principal::name() const {
  std::string s(to_string(role));
  s += ':';
  s += id;
  return s;
}

KeyStore::KeyStore(const std::vector<KeyEntry>& entries) {
  for (const KeyEntry& e : entries) {
    std::string h = e.sha256;
    std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return std::tolower(c); });
    by_hash_[h] = e;
  }
}

Principal KeyStore::authenticate(std::string_view secret) const {
  Principal p;
  if (secret.empty() || secret.size() > 256) return p;
  const KeyEntry* key = nullptr;
  {
    std::lock_guard lock(seen_mu_);
    if (auto s = seen_.find(std::string(secret)); s != seen_.end()) key = s->second;
  }
  if (key == nullptr) {
    if (auto it = by_hash_.find(sha256_hex(secret)); it != by_hash_.end()) {
      key = &it->second;
      std::lock_guard lock(seen_mu_);
      seen_.emplace(std::string(secret), key);
    }
  }
  if (key != nullptr) {
    p.role = key->role;
    p.id = key->id;
    p.departments = key->departments;
    p.sessions = key->sessions;
    p.sets_priority = key->sets_priority;
    return p;
  }
  if (is_token_shaped(secret)) {
    p.role = Role::kPatient;
    p.id = std::string(secret);
  }
  return p;
}

bool in_scope(const Principal& p, std::string_view session_id, std::string_view department) {
  if (p.departments.empty() && p.sessions.empty()) return true;
  if (!session_id.empty() &&
      std::find(p.sessions.begin(), p.sessions.end(), session_id) != p.sessions.end())
    return true;
  if (!department.empty() &&
      std::find(p.departments.begin(), p.departments.end(), department) != p.departments.end())
    return true;
  return false;
}

Error authorize(const Principal& p, Op op, const Target& t) {
  if (op == Op::kSubscribeBoard) return Error::kOk;  // public
  if (p.role == Role::kNone) return Error::kUnauthorized;
  if (op == Op::kTick) return Error::kForbidden;
  // A priority reason is a clinical decision: staff make it, and a booking
  // channel only where the deployment trusts it to (it verified the
  // patient's age or card); a kiosk or any other channel may not.
  if (t.sets_priority && p.role != Role::kAdmin && p.role != Role::kNurse &&
      !(p.role == Role::kChannel && p.sets_priority))
    return Error::kForbidden;
  auto scoped = [&]() {
    // A session that does not exist yet (unknown) is judged by the engine:
    // an empty department with a non-empty session id can only match by id.
    return in_scope(p, t.session_id, t.department) ? Error::kOk : Error::kForbidden;
  };
  switch (p.role) {
    case Role::kAdmin:
    case Role::kNurse:
      if (p.role == Role::kNurse && op == Op::kAdminCommand) return Error::kForbidden;
      if (op == Op::kAdminCommand) {
        // A scoped admin creates sessions of its scope only in an area whose
        // sessions are all in its scope (or a new one): else its session
        // would put a room on another department's screens and open their
        // display to its staff (kReadDisplay below).
        if (Error e = scoped(); e != Error::kOk) return e;
        for (const auto& [sid, dept] : t.area_sessions)
          if (!in_scope(p, sid, dept)) return Error::kForbidden;
        return Error::kOk;
      }
      if (op == Op::kReadDisplay) {
        // Staff read the display of an area where a session of their scope is.
        if (in_scope(p, "", "")) return Error::kOk;
        for (const auto& [sid, dept] : t.area_sessions)
          if (in_scope(p, sid, dept)) return Error::kOk;
        return Error::kForbidden;
      }
      return scoped();
    case Role::kChannel:
      // Book and hold in any session; confirm/release only its own holds and
      // cancel only its own tickets. Another's and a missing one look alike.
      if (op == Op::kBook && t.hold_id.empty()) return Error::kOk;
      if (op == Op::kBook || op == Op::kCancel)
        return !t.owner_channel.empty() && t.owner_channel == p.id ? Error::kOk
                                                                     : Error::kForbidden;
      return Error::kForbidden;
    case Role::kKiosk:
      // A patient back from tests checks in again at the kiosk.
      if (op != Op::kWalkIn && op != Op::kCheckIn && op != Op::kReturnFromTests)
        return Error::kForbidden;
      return scoped();
    case Role::kDisplay:
      if (op != Op::kReadDisplay) return Error::kForbidden;
      return t.area == p.id ? Error::kOk : Error::kForbidden;
    case Role::kPatient:
      // What no patient may do is 403 whether or not the token is known.
      if (op != Op::kReadPatient && op != Op::kCancel) return Error::kForbidden;
      if (t.token_ticket.empty()) return Error::kUnauthorized;  // token of no ticket
      return t.ticket_id == t.token_ticket ? Error::kOk : Error::kForbidden;
    case Role::kNone:
      break;
  }
  return Error::kUnauthorized;
}

}  // namespace qc::gw
