// Service: engine commands (POST), and the check-in by what the patient
// holds (label, token, patientRef), which resolves to a CheckIn command.
#include <cctype>
#include <memory>
#include <mutex>

#include "proto/codec.h"
#include "server/api/patient_ref.h"
#include "server/api/service.h"
#include "server/infra/random.h"
#include "server/runtime/authorizer.h"
#include "server/runtime/command_facts.h"
#include "server/runtime/idempotency.h"

namespace qc::gw {
namespace pb = ::queuecast::v1;

namespace {

bool is_booking(const CommandBody& b) {
  return std::holds_alternative<Book>(b) || std::holds_alternative<Hold>(b) ||
         std::holds_alternative<RegisterWalkIn>(b) || std::holds_alternative<Confirm>(b);
}

// Whether this credential may book at all: only those are charged the
// booking limits. A patient token may not book, and a token-shaped string is
// not yet known to be a real token here: neither may use up a limit that
// the clinic's channels and staff need.
bool may_book(const Principal& p) {
  return p.role == Role::kAdmin || p.role == Role::kNurse || p.role == Role::kChannel ||
         p.role == Role::kKiosk;
}

const std::string* patient_ref_of(const CommandBody& b) {
  if (auto* c = std::get_if<Book>(&b)) return &c->patient_ref;
  if (auto* c = std::get_if<Hold>(&b)) return &c->patient_ref;
  if (auto* c = std::get_if<RegisterWalkIn>(&b)) return &c->patient_ref;
  return nullptr;
}

std::string* channel_of(CommandBody& b) {
  if (auto* c = std::get_if<Book>(&b)) return &c->channel;
  if (auto* c = std::get_if<Hold>(&b)) return &c->channel;
  return nullptr;
}

// A kiosk's answer names no patient: the check-in and walk-in events carry
// the ticket's patientRef, which the kiosk did not type when it checked a
// patient in by label or QR code, and an insertion's events name the
// tickets it passed, other patients' (the journal keeps them; only the
// answer is stripped: by the shard for a fresh answer, CommandRequest::
// strip_patient_refs; here for a replayed one).
void strip_patient_refs(CommandOutcome* o) {
  if (!o->replayed) return;
  pb::CommandResponse r;
  if (!r.ParseFromString(o->stored)) return;
  // Every event body that has a patient_ref field (the oneof's member).
  const auto* oneof = pb::Event::descriptor()->FindOneofByName("body");
  for (pb::Event& ev : *r.mutable_events()) {
    const auto* reflection = ev.GetReflection();
    const auto* member = reflection->GetOneofFieldDescriptor(ev, oneof);
    if (!member || member->message_type() == nullptr) continue;
    google::protobuf::Message* body = reflection->MutableMessage(&ev, member);
    if (const auto* ref = body->GetDescriptor()->FindFieldByName("patient_ref"))
      body->GetReflection()->ClearField(body, ref);
  }
  r.SerializeToString(&o->stored);
}

// The deployment's list of priority reasons (config `priority.reasons`):
// anything else is refused before any shard. "" (none; set_priority:
// removed) always passes.
Error check_priority_reason(const CommandBody& body, const PriorityConfig& config,
                            std::string* message) {
  const std::string* code = priority_of(body);
  if (!code || code->empty() || config.allows(*code)) return Error::kOk;
  *message = "unknown priority reason (this clinic's reasons:";
  for (const std::string& r : config.reasons) *message += " " + r;
  *message += ")";
  return Error::kInvalidArgument;
}

}  // namespace

BatchItemReply command_answer(CommandOutcome o, Format out, bool kiosk) {
  BatchItemReply a;
  if (o.error != Error::kOk) {
    a.status = http_status(o.error);
    a.code = to_string(o.error);
    a.message = std::move(o.message);
    return a;
  }
  if (kiosk) strip_patient_refs(&o);
  a.status = o.created ? 201 : 200;
  a.replayed = o.replayed;
  a.body = std::move(o).encode(out);
  return a;
}

namespace {

std::string upper_trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  std::string o(s);
  for (char& c : o) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return o;
}

// What a check-in by label or patientRef found in one session.
struct Found {
  std::vector<std::string> booked;  // BOOKED tickets that match
  std::string other;                // a matching ticket in another state (the engine says why)
  bool other_at_tests = false;      // `other` is AT_TESTS: the patient is back from tests
};
Found find_in_session(const StaffView& v, const std::string& label, const std::string& ref) {
  Found f;
  for (const StaffTicket& t : v.tickets) {
    const bool match = label.empty() ? t.patient_ref == ref : upper_trimmed(t.label) == label;
    if (!match) continue;
    if (t.state == TicketState::kBooked) {
      f.booked.push_back(t.ticket_id);
    } else {
      f.other = t.ticket_id;
      f.other_at_tests = t.state == TicketState::kAtTests;
    }
  }
  return f;
}

}  // namespace

// A check-in by label, patientRef or (a kiosk's) ticket id names the ticket
// by something that can be guessed: it counts against the per-address
// booking limit (docs/api.md "Check-in at the kiosk").
bool Service::guessable_lookup_allowed(const HttpRequest& req) {
  if (booking_by_address_.allow(req.client, runtime_.clock().now())) return true;
  metrics_.rate_limited.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void Service::command(const Route& route, HttpRequest& req, Format out, Respond respond,
                      Command* decoded) {
  if (draining_)
    return respond(error_response(Error::kUnavailable, "server is shutting down", out));
  Command cmd;
  if (decoded) {
    cmd = std::move(*decoded);
  } else {
    std::string msg;
    Error e = decode_command(route, req.body, body_format(req.content_type), &cmd, &msg);
    if (e != Error::kOk) return respond(error_response(e, msg, out));
  }
  if (!kiosk_lookup_allowed(cmd, principal_of(req), req))
    return respond(error_response(Error::kRateLimited, kLookupsLimited, out));
  submit(std::move(cmd), req, out, std::move(respond));
}

// A ticket id is as guessable as a label (<session>-A001): a kiosk's
// check-in and return from tests by ticket id count alike.
bool Service::kiosk_lookup_allowed(const Command& cmd, const Principal& who, const HttpRequest& req) {
  return !(std::holds_alternative<CheckIn>(cmd.body) ||
           std::holds_alternative<ReturnFromTests>(cmd.body)) ||
         who.role != Role::kKiosk || guessable_lookup_allowed(req);
}

void Service::submit(Command cmd, HttpRequest& req, Format out, Respond respond) {
  Principal who = principal_of(req);
  std::string fingerprint;
  if (!req.idempotency_key.empty())
    fingerprint = request_fingerprint(who.name(), req.method, req.target, req.content_type, req.body);
  CommandRequest cr;
  std::string why;
  if (Error e = prepare(std::move(cmd), std::move(who), req.client, req.idempotency_key,
                        std::move(fingerprint), out, &cr, &why);
      e != Error::kOk)
    return respond(error_response(e, why, out));
  cr.done = [respond = std::move(respond), out, kiosk = cr.strip_patient_refs](CommandOutcome o) {
    BatchItemReply a = command_answer(std::move(o), out, kiosk);
    if (!a.code.empty()) return respond(error_response(a.status, a.code, a.message, out));
    HttpResponse r = ok_response(std::move(a.body), out, a.status);
    if (a.replayed) r.headers.emplace_back("Idempotency-Replayed", "true");
    respond(std::move(r));
  };
  runtime_.submit(std::move(cr));
}

Error Service::prepare(Command cmd, Principal who, const std::string& client, std::string_view key,
                       std::string fingerprint, Format out, CommandRequest* cr, std::string* message) {
  std::string_view why;
  if (Error e = may_submit(who, cmd.body, &why); e != Error::kOk) {
    message->assign(why);
    return e;
  }
  if (Error e = check_priority_reason(cmd.body, config_.priority, message); e != Error::kOk)
    return e;
  std::string scoped;
  if (!key.empty()) {
    if (!valid_idempotency_key(key)) {
      *message = "Idempotency-Key must be 1-128 printable characters";
      return Error::kInvalidArgument;
    }
    scoped = scoped_key(who.name(), key);
  } else {
    fingerprint.clear();
  }
  if (std::string* ch = channel_of(cmd.body); ch && who.role == Role::kChannel) {
    if (!ch->empty() && *ch != who.id) {
      *message = "a channel key books under its own channel";
      return Error::kForbidden;
    }
    *ch = who.id;
  }
  std::function<bool(Time)> admit;
  if (is_booking(cmd.body)) {
    // Charged on the shard, after authorization and the idempotency lookup:
    // a request this credential may not make (another department's
    // session, an unknown one) and a replay use up no patient's or
    // address's booking limit.
    if (may_book(who)) {
      const std::string* ref = patient_ref_of(cmd.body);
      admit = [this, client, ref = ref ? *ref : std::string()](Time now) {
        if (booking_by_address_.allow(client, now) && (ref.empty() || booking_by_patient_.allow(ref, now)))
          return true;
        metrics_.rate_limited.fetch_add(1, std::memory_order_relaxed);
        return false;
      };
    }
    // A fresh patient token for the new ticket (the client cannot choose it).
    if (auto* b = std::get_if<Book>(&cmd.body)) b->token = random_token();
    if (auto* c = std::get_if<Confirm>(&cmd.body)) c->token = random_token();
    if (auto* w = std::get_if<RegisterWalkIn>(&cmd.body)) w->token = random_token();
  }
  cmd.actor = who.actor();
  cr->strip_patient_refs = who.role == Role::kKiosk;
  cr->command = std::move(cmd);
  cr->principal = std::move(who);
  cr->idempotency_key = std::move(scoped);
  cr->request_fingerprint = std::move(fingerprint);
  cr->admit = std::move(admit);
  cr->format = out;
  return Error::kOk;
}

void Service::check_in_by(const Route& route, HttpRequest& req, Format out, Respond respond) {
  if (draining_)
    return respond(error_response(Error::kUnavailable, "server is shutting down", out));
  pb::CheckInBy by;
  std::string msg;
  if (req.body.empty())
    return respond(error_response(Error::kInvalidArgument,
                                  "empty body: expected one of label, token, patientRef", out));
  if (body_format(req.content_type) == Format::kProto) {
    if (!by.ParseFromArray(req.body.data(), static_cast<int>(req.body.size())))
      return respond(error_response(Error::kInvalidArgument, "body is not a valid binary CheckInBy", out));
  } else if (Error e = codec::parse_json(req.body, &by, &msg); e != Error::kOk) {
    return respond(error_response(e, msg, out));
  }
  std::string sid = route.id1;
  if (!by.session_id().empty() && !sid.empty() && by.session_id() != sid)
    return respond(error_response(Error::kInvalidArgument, "sessionId in the body differs from the path", out));
  if (sid.empty()) sid = by.session_id();
  const std::string label = upper_trimmed(by.label());
  // The patientRef in the canonical form the bookings were stored in.
  std::string ref;
  if (!by.patient_ref().empty() && !normalize_patient_ref(by.patient_ref(), &ref, &msg))
    return respond(error_response(Error::kInvalidArgument, msg, out));
  const std::string token(by.token());
  const int forms = !label.empty() + !ref.empty() + !token.empty();
  if (forms != 1)
    return respond(error_response(Error::kInvalidArgument,
                                  "give exactly one of label, token, patientRef", out));
  if (!label.empty() && sid.empty())
    return respond(error_response(Error::kInvalidArgument, "a label needs the session", out));
  if (label.size() > 64 || ref.size() > 256 || token.size() > 256 || sid.size() > 256)
    return respond(error_response(Error::kInvalidArgument, "field too long", out));
  Principal who = principal_of(req);
  // Only roles that may check anyone in go further: the lookup limit below
  // is never charged to a key that could not use it.
  std::string_view why;
  if (Error e = may_ask(who, Ask::kCheckInBy, &why); e != Error::kOk)
    return respond(error_response(e, why, out));
  // A label or patientRef can be guessed (a QR token cannot): such lookups
  // count against the per-address booking limit, so a kiosk key cannot
  // walk through patient ids or numbers at full speed.
  if (token.empty() && !guessable_lookup_allowed(req))
    return respond(error_response(Error::kRateLimited, kLookupsLimited, out));

  // Resolution reads the state on the owning shard (authorization first:
  // nothing is looked up in a session the key may not check in), then the
  // CheckIn goes through submit() like any command; the engine judges the
  // ticket's state then. A ticket AT_TESTS is a patient back with their
  // results, checking in again with the same ticket: ReturnFromTests.
  auto go = [this, req, out, respond](const std::string& tid, bool at_tests) mutable {
    Command cmd;
    if (at_tests) cmd.body = ReturnFromTests{tid};
    else cmd.body = CheckIn{tid};
    submit(std::move(cmd), req, out, std::move(respond));
  };
  if (!token.empty()) {
    return runtime_.read_token(token, [who, token, sid, out, respond, go](ShardContext& ctx) mutable {
      auto tid = ctx.engine.ticket_by_token(token);
      if (!tid) return respond(error_response(Error::kUnknownTicket, "unknown ticket code", out));
      const Authorizer az(ctx.engine);
      Target t = az.ticket(*tid);
      if (az.check(who, Op::kCheckIn, t) != Error::kOk)
        return respond(error_response(Error::kForbidden, "this key may not check in this ticket", out));
      if (!sid.empty() && t.session_id != sid)
        return respond(error_response(Error::kUnknownTicket, "this code is not an appointment of this session", out));
      go(*tid, ctx.engine.ticket_state(*tid) == TicketState::kAtTests);
    });
  }
  if (!sid.empty()) {
    return runtime_.read_session(sid, [who, sid, label, ref, out, respond, go](ShardContext& ctx) mutable {
      if (Authorizer(ctx.engine).session_op(who, Op::kCheckIn, sid) != Error::kOk)
        return respond(error_response(Error::kForbidden, "this key may not check in patients of this session", out));
      auto v = ctx.engine.staff_view(sid, ctx.now);
      if (!v) return respond(error_response(Error::kUnknownSession, "no such session", out));
      Found f = find_in_session(*v, label, ref);
      if (f.booked.size() > 1)
        return respond(error_response(409, "ambiguous", "several appointments match; ask the nurse station", out));
      if (f.booked.size() == 1) return go(f.booked.front(), false);
      if (!f.other.empty()) return go(f.other, f.other_at_tests);
      return respond(error_response(Error::kUnknownTicket,
                                    label.empty() ? "no appointment of this patient in this session"
                                                  : "no appointment with this number in this session",
                                    out));
    });
  }
  // patientRef alone: the BOOKED tickets of this patient in the sessions the
  // key may check in that are open for check-in now (registration open, not
  // ended). More than one is `ambiguous` (the kiosk asks for the doctor and
  // asks again with the session): never a guess.
  // None BOOKED but one in another state (already checked in): the engine
  // answers for it (wrong_state), and a retry with the first request's
  // Idempotency-Key gets the first answer, as by label or in a session.
  struct Acc {
    std::mutex mu;
    std::vector<std::string> booked;
    std::string other;
    bool other_at_tests = false;
  };
  auto acc = std::make_shared<Acc>();
  runtime_.read_all(
      [acc, who, ref](ShardContext& ctx) {
        const Authorizer az(ctx.engine);
        for (const std::string& s : ctx.engine.session_ids()) {
          if (az.session_op(who, Op::kCheckIn, s) != Error::kOk) continue;
          const SessionSpec* spec = ctx.engine.session_spec(s);
          if (!spec || spec->registration_open > ctx.now || spec->end <= ctx.now) continue;
          auto v = ctx.engine.staff_view(s, ctx.now);
          if (!v) continue;
          Found f = find_in_session(*v, "", ref);
          std::lock_guard lock(acc->mu);
          acc->booked.insert(acc->booked.end(), f.booked.begin(), f.booked.end());
          if (!f.other.empty()) {
            acc->other = f.other;
            acc->other_at_tests = f.other_at_tests;
          }
        }
      },
      [acc, out, respond, go]() mutable {
        if (acc->booked.size() > 1)
          return respond(error_response(409, "ambiguous",
                                        "this patient has several appointments today; choose the doctor", out));
        if (acc->booked.empty() && !acc->other.empty()) return go(acc->other, acc->other_at_tests);
        if (acc->booked.empty())
          return respond(error_response(Error::kUnknownTicket, "no appointment of this patient to check in today", out));
        go(acc->booked.front(), false);
      });
}

}  // namespace qc::gw
