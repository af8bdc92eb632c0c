// Authorization, asked in one place. authorize() (auth.h) is the rule;
// this file is its only caller (commands, reads, check-ins and live-push
// subscriptions) and gathers what the rule needs:
//
// - Before a request reaches a shard, the credential alone decides what can
//   be refused at once (may_submit(), may_ask()): no credential, a display
//   token sending a command, a patient token listing sessions, ...
// - On the shard, Authorizer gathers the target facts from the engine (the
//   session and department of a session, ticket or hold, the channel that
//   made it, the ticket a patient token belongs to, the sessions of an
//   area) and asks authorize().
//
// Thread-safety: the free functions are pure; an Authorizer reads the
// engine and the directory, so it lives on the shard thread.
#pragma once

#include <string>
#include <string_view>

#include "engine/command.h"
#include "engine/engine.h"
#include "server/live/subscriptions.h"
#include "server/runtime/auth.h"

namespace qc::gw {

class Directory;

// Before the shard: whether this credential may send `body` at all.
// kUnauthorized (no credential), kForbidden (a display token, the tick), or
// kOk (the shard decides the rest); *why says why when not kOk.
Error may_submit(const Principal& p, const CommandBody& body, std::string_view* why);

// Before the shard: the requests whose credential alone decides.
enum class Ask : std::uint8_t {
  kReadSession,   // GET /v1/sessions/{sid}: any credential, the shard decides
  kReadTicket,    // GET /v1/tickets/{tid}: any credential, the shard decides
  kMe,            // GET /v1/me: a patient token
  kListSessions,  // GET /v1/sessions: staff or kiosk
  kCheckInBy,     // POST .../check-in: kiosk or staff
  kCluster,       // GET /v1/cluster (cluster mode): an unscoped admin
};
Error may_ask(const Principal& p, Ask what, std::string_view* why);
// Before any shard: whether `p` may send schedule commands at all (an
// unscoped admin); *message says why not.
Error may_send_schedules(const Principal& p, std::string* message);
// Before the shard: a live-push subscription. Authenticates the key of a
// staff or display subscription into *who; *message says why when not kOk.
Error may_follow(const FollowRequest& req, const KeyStore& keys, Principal* who, std::string* message);

// On the shard.
class Authorizer {
 public:
  // `directory`: to tell a patient token of another shard's ticket from an
  // unknown one (commands only); may be null.
  explicit Authorizer(const Engine& engine, const Directory* directory = nullptr)
      : engine_(engine), directory_(directory) {}

  // Target facts.
  Target session(std::string_view session_id) const;
  Target ticket(std::string_view ticket_id) const;
  Target hold(std::string_view hold_id) const;
  Target area(std::string_view area) const;
  // What a command addresses (a new session: its area's sessions too).
  Target of_command(const Command& c) const;

  // A command from `p`, with *target = of_command(cmd) filled in; a
  // patient's command gets its actor here (the ticket its token belongs to).
  Error command(const Principal& p, Command& cmd, Target* target) const;
  // A read or check of `op` on `t`.
  Error check(const Principal& p, Op op, const Target& t) const { return authorize(p, op, t); }
  // A read of a ticket's patient view: `ticket_id`, or with `me` the ticket
  // of the patient's token. *ticket: the ticket to read when kOk; *why
  // says why when the token is unknown.
  Error read_ticket(const Principal& p, std::string_view ticket_id, bool me, std::string* ticket,
                    std::string_view* why) const;
  // A live-push subscription by `who` (may_follow() passed), on the shard
  // that owns what it names.
  Error follow(const Principal& who, const FollowRequest& req, std::string* message) const;
  // A session `op` may touch (checking in, listing).
  Error session_op(const Principal& p, Op op, std::string_view session_id) const {
    return authorize(p, op, session(session_id));
  }

 private:
  // of_command() without the facts of the command's own fields.
  Target target_of(const Command& c) const;

  const Engine& engine_;
  const Directory* directory_;
};

}  // namespace qc::gw
