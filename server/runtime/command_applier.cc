#include "server/runtime/command_applier.h"

#include <optional>
#include <utility>

#include "server/runtime/authorizer.h"
#include "server/runtime/command_facts.h"

namespace qc::gw {
namespace pb = ::queuecast::v1;

void CommandApplier::apply(CommandRequest& req, Time now, bool system, Group& g) {
  Ack ack;
  ack.done = std::move(req.done);
  Command& cmd = req.command;
  Target target;
  if (answered_before_apply(req, now, system, &target, &ack.outcome)) {
    g.acks.push_back(std::move(ack));
    return;
  }
  // Server-wide unique ids: claimed before the command is applied.
  const auto [id_map, new_id] = server_wide_id(cmd.body);
  Directory::Claim claim = Directory::Claim::kOwn;
  if (new_id) {
    claim = s_.directory.claim(id_map, *new_id, s_.index);
    if (claim == Directory::Claim::kTaken) {
      ack.outcome.error = Error::kAlreadyExists;
      ack.outcome.message = (id_map == Directory::kSession ? "session id in use: "
                             : id_map == Directory::kHold  ? "hold id in use: "
                                                           : "ticket id in use: ") + *new_id;
      s_.metrics.count_command(cmd.body, Error::kAlreadyExists);
      g.acks.push_back(std::move(ack));
      return;
    }
  }
  events_.clear();
  std::string msg;
  Error e = s_.engine.apply_into(cmd, now, &events_, &msg);
  s_.metrics.count_command(cmd.body, e);
  if (e != Error::kOk) {
    if (claim == Directory::Claim::kClaimed) s_.directory.release(id_map, *new_id, s_.index);
    ack.outcome.error = e;
    ack.outcome.message = std::move(msg);
    g.acks.push_back(std::move(ack));
    return;
  }
  if (claim == Directory::Claim::kClaimed) g.claims.emplace_back(id_map, *new_id);
  if (system && events_.empty()) return;  // an idle tick: nothing to journal
  note_ids(cmd);
  s_.changes.add(events_);
  std::string stored;
  reply(req, now, &ack.outcome, &stored);
  // The reply's binary form, when it was built from events_ (record() takes
  // each event's bytes from it).
  const std::string_view binary_reply =
      !resp_has_events_ ? std::string_view() : !stored.empty() ? std::string_view(stored)
                                                                : std::string_view(ack.outcome.body);
  record(req, target, now, std::move(stored), binary_reply, g);
  g.acks.push_back(std::move(ack));
}

bool CommandApplier::answered_before_apply(CommandRequest& req, Time now, bool system,
                                           Target* target, CommandOutcome* o) {
  Command& cmd = req.command;
  if (!s_.serving()) {
    o->error = Error::kUnavailable;
    o->message = "partition " + std::to_string(s_.index) + " is not served by this node; retry";
    s_.metrics.count_command(cmd.body, Error::kUnavailable);
    return true;
  }
  if (s_.degraded) {
    o->error = Error::kUnavailable;
    o->message = "the journal is unavailable; retry later";
    s_.metrics.count_command(cmd.body, Error::kUnavailable);
    return true;
  }
  if (!req.idempotency_key.empty()) {
    // A key remembered by a group still in flight answers after it (groups
    // are answered in order; a failed commit fails the later ones too).
    const std::string* r = nullptr;
    switch (s_.idem.find(req.idempotency_key, req.request_fingerprint, now, &r)) {
      case IdempotencyMap::Match::kSame:
        o->stored = *r;
        o->replayed = true;
        o->created = creates(cmd.body);
        return true;
      case IdempotencyMap::Match::kDifferent:
        o->error = Error::kIdempotencyKeyReused;
        o->message = kKeyReusedMessage;
        s_.metrics.count_command(cmd.body, Error::kIdempotencyKeyReused);
        return true;
      case IdempotencyMap::Match::kNone:
        break;
    }
  }
  if (Error e = check_chosen_ids(cmd.body, &o->message); e != Error::kOk) {
    o->error = e;
    s_.metrics.count_command(cmd.body, e);
    return true;
  }
  if (!system) {
    const Error a = Authorizer(s_.engine, &s_.directory).command(req.principal, cmd, target);
    if (a != Error::kOk) {
      o->error = a;
      o->message = a == Error::kUnauthorized ? "unknown or missing credential"
                                             : "this credential may not do that here";
      s_.metrics.count_command(cmd.body, a);
      return true;
    }
  } else {
    *target = Authorizer(s_.engine).of_command(cmd);
  }
  if (req.admit && !req.admit(now)) {
    o->error = Error::kRateLimited;
    o->message = "too many bookings; retry later";
    return true;
  }
  return false;
}

void CommandApplier::reply(const CommandRequest& req, Time now, CommandOutcome* o,
                           std::string* stored) {
  const Command& cmd = req.command;
  CommandReply& reply = reply_;
  reply.ticket_id.clear();
  reply.label.clear();
  reply.token.clear();
  reply.hold_id.clear();
  reply.expires_at = kNoTime;
  reply.slot.reset();
  reply.ticket.reset();
  for (const Event& ev : events_) {
    if (ev.type == EventType::kTicketBooked || ev.type == EventType::kWalkInRegistered ||
        ev.type == EventType::kCheckedIn || ev.type == EventType::kReturnedFromTests) {
      // A kiosk's or nurse's check-in too (and a patient's back from tests):
      // answer with the ticket and its patient token so the printed ticket
      // carries the patient page's QR.
      reply.ticket_id = ev.ticket_id;
      reply.label = ev.label;
      reply.slot = ev.slot;
    } else if (ev.type == EventType::kHoldPlaced) {
      reply.hold_id = ev.ticket_id;
      reply.slot = ev.slot;
      if (ev.until != kNoTime) reply.expires_at = ev.until;
    }
  }
  if (!reply.ticket_id.empty()) {
    if (const std::string* tok = token_of(cmd.body)) reply.token = *tok;
    else if (auto tok = s_.engine.ticket_token(reply.ticket_id)) reply.token = *tok;
    reply.ticket = s_.engine.patient_view(reply.ticket_id, now);
  }
  o->created = creates(cmd.body);
  // The events are lent to the reply, not copied (record() needs them after).
  reply.events.swap(events_);
  resp_has_events_ = false;
  if (!req.idempotency_key.empty()) {
    serialize_reply(reply, &resp_, stored);
    resp_has_events_ = true;
  }
  bool stripped = false;
  if (req.strip_patient_refs) {
    // Every event's: an insertion's events name the tickets it passed.
    for (Event& ev : reply.events) {
      if (!ev.patient_ref.empty()) {
        if (!stripped) events_ = reply.events;  // the journal keeps them
        stripped = true;
        ev.patient_ref.clear();
      }
    }
  }
  if (req.format == Format::kProto) {
    if (resp_has_events_ && !stripped) {
      o->body = *stored;
    } else {
      serialize_reply(reply, &resp_, &o->body);
      resp_has_events_ = !stripped;
    }
  } else {
    o->body.reserve(256 + 192 * reply.events.size());
    append_reply_json(reply, &o->body);
  }
  if (stripped) reply.events.clear();
  else reply.events.swap(events_);
}

void CommandApplier::record(const CommandRequest& req, const Target& target, Time now,
                            std::string stored, std::string_view binary_reply, Group& g) {
  const Command& cmd = req.command;
  journal::Record& r = g.records.emplace_back();
  r.seq = s_.next_seq++;
  r.at = now;
  r.actor = actor_string(cmd.actor);
  r.session_id = !target.session_id.empty() ? target.session_id
                 : !events_.empty()         ? events_.front().session_id
                                            : std::string();
  r.command_name = std::string(command_name(cmd.body));
  pb::Command& pc = command_pb_;
  pc.Clear();
  codec::to_proto(cmd, now, &pc);
  pc.SerializeToString(&r.command);
  if (!req.idempotency_key.empty()) {
    // The stored answer stays the binary CommandResponse: journals written
    // before keep answering their replays byte for byte.
    r.idempotency_key = req.idempotency_key;
    r.response = std::move(stored);
    r.request_fingerprint = req.request_fingerprint;
    s_.idem.remember(req.idempotency_key, r.request_fingerprint, r.response, now);
  }
  r.events.reserve(events_.size());
  // The events as protobuf: those of the reply's bytes when it was just
  // built from them, else converted here.
  const bool reuse = !binary_reply.empty() && reply_event_bytes(binary_reply, &event_bytes_) &&
                     event_bytes_.size() == events_.size();
  for (std::size_t i = 0; i < events_.size(); ++i) {
    const Event& ev = events_[i];
    journal::EventRow& row = r.events.emplace_back();
    row.type = std::string(to_string(ev.type));
    row.ticket_id = ev.ticket_id;
    if (reuse) {
      row.bytes.assign(event_bytes_[i]);
    } else {
      codec::to_proto(ev, &event_pb_);
      event_pb_.SerializeToString(&row.bytes);
    }
    if (ev.session_id != r.session_id) row.session_id = ev.session_id;
  }
  if (s_.own) cluster_claims(cmd, &r.claims);
}

// Cluster mode: the ids this record creates, which its commit records in
// the cluster's id map ("<prefix>:ids") atomically with the append, and
// which the commit refuses when another partition has one (docs/cluster.md,
// "Global ids").
void CommandApplier::cluster_claims(const Command& cmd, std::vector<std::string>* claims) const {
  for (const Event& ev : events_) {
    switch (ev.type) {
      case EventType::kSessionCreated:
        claims->push_back(Directory::id_field(Directory::kSession, ev.session_id));
        break;
      case EventType::kTicketBooked:
      case EventType::kWalkInRegistered:
        claims->push_back(Directory::id_field(Directory::kTicket, ev.ticket_id));
        break;
      case EventType::kHoldPlaced:
        claims->push_back(Directory::id_field(Directory::kHold, ev.ticket_id));
        break;
      default:
        break;
    }
  }
  if (const std::string* tok = token_of(cmd.body))
    claims->push_back(Directory::id_field(Directory::kToken, *tok));
}

void CommandApplier::note_ids(const Command& cmd) {
  for (const Event& ev : events_) {
    switch (ev.type) {
      case EventType::kSessionCreated:
        s_.directory.put(Directory::kSession, ev.session_id, s_.index);
        break;
      case EventType::kTicketBooked:
      case EventType::kWalkInRegistered:
        s_.directory.put(Directory::kTicket, ev.ticket_id, s_.index);
        break;
      case EventType::kHoldPlaced:
        s_.directory.put(Directory::kHold, ev.ticket_id, s_.index);
        break;
      default:
        break;
    }
  }
  if (const std::string* tok = token_of(cmd.body)) s_.directory.put(Directory::kToken, *tok, s_.index);
}

}  // namespace qc::gw
