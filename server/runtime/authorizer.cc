#include "server/runtime/authorizer.h"

#include <optional>

#include "server/runtime/command_facts.h"
#include "server/runtime/directory.h"
#include "server/runtime/runtime.h"

namespace qc::gw {

namespace {

// A ticket's or hold's facts: its session's, and the channel that made it.
Target object_target(const Authorizer& a, const std::optional<std::string>& sid,
                     std::optional<std::string> channel) {
  Target t = sid ? a.session(*sid) : Target{};
  if (channel) t.owner_channel = std::move(*channel);
  return t;
}

}  // namespace

Error may_submit(const Principal& p, const CommandBody& body, std::string_view* why) {
  if (p.role == Role::kNone) return *why = "missing or unknown credential", Error::kUnauthorized;
  if (p.role == Role::kDisplay) return *why = "a display token is read-only", Error::kForbidden;
  if (std::holds_alternative<Tick>(body))
    return *why = "tick is the server's own command", Error::kForbidden;
  return Error::kOk;
}

Error may_ask(const Principal& p, Ask what, std::string_view* why) {
  switch (what) {
    case Ask::kReadSession:
    case Ask::kReadTicket:
      if (p.role == Role::kNone) return *why = "missing or unknown credential", Error::kUnauthorized;
      return Error::kOk;
    case Ask::kMe:
      if (p.role == Role::kNone) return *why = "missing or unknown credential", Error::kUnauthorized;
      if (p.role != Role::kPatient) return *why = "/v1/me needs a patient token", Error::kForbidden;
      return Error::kOk;
    case Ask::kListSessions:
      // Staff list the sessions they may read; a kiosk lists the sessions it
      // may register walk-ins into (its scope), for its doctor choice.
      if (p.role != Role::kAdmin && p.role != Role::kNurse && p.role != Role::kKiosk)
        return *why = "staff or kiosk only",
               p.role == Role::kNone ? Error::kUnauthorized : Error::kForbidden;
      return Error::kOk;
    case Ask::kCheckInBy:
      if (p.role == Role::kNone) return *why = "missing or unknown credential", Error::kUnauthorized;
      // Only roles that may check anyone in go further: the lookup limit is
      // never charged to a key that could not use it. Which sessions and
      // tickets the key may check in is decided on the shard (Op::kCheckIn).
      if (p.role != Role::kKiosk && p.role != Role::kNurse && p.role != Role::kAdmin)
        return *why = "a kiosk or staff key checks patients in", Error::kForbidden;
      return Error::kOk;
    case Ask::kCluster:
      if (p.role == Role::kNone) return *why = "missing or unknown credential", Error::kUnauthorized;
      if (p.role != Role::kAdmin || !p.departments.empty() || !p.sessions.empty())
        return *why = "only an unscoped admin key reads the cluster", Error::kForbidden;
      return Error::kOk;
  }
  return Error::kForbidden;
}

Target Authorizer::session(std::string_view sid) const {
  Target t;
  t.session_id = std::string(sid);
  if (const SessionSpec* s = engine_.session_spec(sid)) {
    t.department = s->department;
    t.area = s->area;
  }
  return t;
}

Target Authorizer::ticket(std::string_view tid) const {
  Target t = object_target(*this, engine_.ticket_session(tid), engine_.ticket_channel(tid));
  t.ticket_id = std::string(tid);
  return t;
}

Target Authorizer::hold(std::string_view hid) const {
  // Every hold, open or finished, is known to the engine.
  Target t = object_target(*this, engine_.hold_session(hid), engine_.hold_channel(hid));
  t.hold_id = std::string(hid);
  return t;
}

Target Authorizer::area(std::string_view area) const {
  Target t;
  t.area = std::string(area);
  for (const std::string& sid : engine_.session_ids()) {
    const SessionSpec* s = engine_.session_spec(sid);
    if (s && s->area == area) t.area_sessions.emplace_back(sid, s->department);
  }
  return t;
}

Target Authorizer::of_command(const Command& c) const {
  Target t = target_of(c);
  const std::string* priority = priority_of(c.body);
  t.sets_priority = priority && !priority->empty() && !std::holds_alternative<SetPriority>(c.body);
  return t;
}

Target Authorizer::target_of(const Command& c) const {
  if (auto* cs = std::get_if<CreateSession>(&c.body)) {
    Target t;
    t.session_id = cs->spec.session_id;
    t.department = cs->spec.department;
    t.area = cs->spec.area;
    t.area_sessions = area(cs->spec.area).area_sessions;  // (an area is on one shard)
    return t;
  }
  if (const std::string* s = session_of(c.body)) return session(*s);
  if (const std::string* t = ticket_of(c.body)) return ticket(*t);
  if (const std::string* h = hold_of(c.body)) return hold(*h);
  return Target{};
}

Error Authorizer::command(const Principal& p, Command& cmd, Target* target) const {
  *target = of_command(cmd);
  if (p.role == Role::kPatient) {
    auto t = engine_.ticket_by_token(p.id);
    target->token_ticket = t ? *t : std::string();
    // A token of a ticket on another shard is a known token: another ticket
    // than this one (403), as with one shard, not "unknown" (401).
    if (!t && directory_ && directory_->known(Directory::kToken, p.id))
      target->token_ticket = "\x01another shard's ticket";
    cmd.actor = {ActorKind::kPatient, target->token_ticket};
  }
  return authorize(p, op_for(cmd.body), *target);
}

Error Authorizer::read_ticket(const Principal& p, std::string_view ticket_id, bool me,
                              std::string* ticket_out, std::string_view* why) const {
  std::string token_ticket;
  if (p.role == Role::kPatient) {
    auto t = engine_.ticket_by_token(p.id);
    if (!t) return *why = "unknown patient token", Error::kUnauthorized;
    token_ticket = *t;
  }
  *ticket_out = me ? token_ticket : std::string(ticket_id);
  Target target = ticket(*ticket_out);
  target.token_ticket = token_ticket;
  return authorize(p, Op::kReadPatient, target);
}

Error may_send_schedules(const Principal& p, std::string* message) {
  const Error e = authorize(p, Op::kAdminCommand, Target{});
  if (e != Error::kOk)
    *message = e == Error::kUnauthorized ? "unknown or missing credential"
                                         : "this credential may not do that here";
  return e;
}

// ---- Live-push subscriptions (server/runtime/subscribe.h) ----

Error may_follow(const FollowRequest& req, const KeyStore& keys, Principal* who, std::string* message) {
  switch (req.kind) {
    case TopicKind::kPatient:
      // The token itself is the credential: the shard resolves it (follow()).
      if (req.token.empty()) {
        *message = "a patient token is needed";
        return Error::kUnauthorized;
      }
      return Error::kOk;
    case TopicKind::kStaff:
      *who = keys.authenticate(req.token);
      if (who->role != Role::kAdmin && who->role != Role::kNurse) {
        *message = "a staff key is needed";
        return who->role == Role::kNone ? Error::kUnauthorized : Error::kForbidden;
      }
      return Error::kOk;
    case TopicKind::kDisplay:
      *who = keys.authenticate(req.token);
      return Error::kOk;
    case TopicKind::kBoard:  // public
    case TopicKind::kOwn:
      return Error::kOk;
  }
  return Error::kOk;
}

Error Authorizer::follow(const Principal& who, const FollowRequest& req, std::string* message) const {
  Error e = Error::kOk;
  switch (req.kind) {
    case TopicKind::kDisplay:
      e = authorize(who, Op::kReadDisplay, area(req.id));
      if (e != Error::kOk) *message = "a display token of this area or staff working here needed";
      return e;
    case TopicKind::kStaff:
      e = authorize(who, Op::kReadStaff, session(req.id));
      if (e != Error::kOk) *message = "this key may not follow that session";
      return e;
    case TopicKind::kPatient:
    case TopicKind::kOwn:
    case TopicKind::kBoard:
      return Error::kOk;
  }
  return e;
}

}  // namespace qc::gw
