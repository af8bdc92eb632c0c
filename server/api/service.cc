#include "server/api/service.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "server/infra/clock.h"
#include "server/runtime/authorizer.h"
#include "server/runtime/idempotency.h"
#include "server/api/patient_ref.h"
#include "server/infra/random.h"
#include "proto/codec.h"
#include "server/api/qr.h"

namespace qc::gw {
namespace pb = ::queuecast::v1;

namespace {

constexpr const char kPageCsp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; media-src 'self'; manifest-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const char* content_type_of(Format f) {
  return f == Format::kProto ? "application/x-protobuf" : "application/json";
}

HttpResponse ok_response(std::string body, Format f, int status = 200) {
  HttpResponse r;
  r.status = status;
  r.content_type = content_type_of(f);
  r.body = std::move(body);
  return r;
}

// The request's credential: with an Authorization header, its Bearer token
// (scheme case-insensitive) and nothing else: another scheme ("Basic ...")
// is no credential and does NOT fall back to ?token=, which is read only
// when there is no Authorization header (docs/api.md, "Credentials").
std::string bearer(const HttpRequest& req) {
  std::string_view a = req.authorization;
  auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
  };
  a = trim(a);
  if (a.empty()) return query_param(req.target, "token");
  constexpr std::string_view kScheme = "bearer";
  if (a.size() <= kScheme.size() || (a[kScheme.size()] != ' ' && a[kScheme.size()] != '\t'))
    return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != kScheme[i]) return {};
  }
  return std::string(trim(a.substr(kScheme.size())));
}

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

std::string mime_of(std::string_view file) {
  auto dot = file.rfind('.');
  std::string_view ext = dot == std::string_view::npos ? "" : file.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "json" || ext == "webmanifest") return "application/json";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "mp3") return "audio/mpeg";
  if (ext == "wav") return "audio/wav";
  if (ext == "woff2") return "font/woff2";
  return "application/octet-stream";
}

// A kiosk's answer names no patient: the check-in and walk-in events carry
// the ticket's patientRef, which the kiosk did not type when it checked a
// patient in by label or QR code (the journal keeps it; only the answer is
// stripped).
void strip_patient_refs(CommandOutcome* o) {
  if (!o->replayed) {
    for (Event& ev : o->reply.events)
      if (ev.type == EventType::kCheckedIn || ev.type == EventType::kWalkInRegistered)
        ev.patient_ref.clear();
    return;
  }
  pb::CommandResponse r;
  if (!r.ParseFromString(o->stored)) return;
  for (pb::Event& ev : *r.mutable_events()) {
    if (ev.has_checked_in()) ev.mutable_checked_in()->clear_patient_ref();
    if (ev.has_walk_in_registered()) ev.mutable_walk_in_registered()->clear_patient_ref();
  }
  r.SerializeToString(&o->stored);
}

constexpr std::string_view kLookupsLimited = "too many check-ins by number or patient id; retry later";

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
};
Found find_in_session(const StaffView& v, const std::string& label, const std::string& ref) {
  Found f;
  for (const StaffTicket& t : v.tickets) {
    const bool match = label.empty() ? t.patient_ref == ref : upper_trimmed(t.label) == label;
    if (!match) continue;
    if (t.state == TicketState::kBooked) f.booked.push_back(t.ticket_id);
    else f.other = t.ticket_id;
  }
  return f;
}

}  // namespace

Format response_format(std::string_view accept) {
  return (accept.find("application/x-protobuf") != std::string_view::npos ||
          accept.find("application/protobuf") != std::string_view::npos)
             ? Format::kProto
             : Format::kJson;
}

HttpResponse error_response(int status, std::string_view code, std::string_view message,
                            Format format) {
  HttpResponse r;
  r.status = status;
  r.content_type = content_type_of(format);
  r.body = encode_error_body(code, message, format);
  return r;
}

HttpResponse error_response(Error e, std::string_view message, Format format) {
  return error_response(http_status(e), to_string(e), message, format);
}

Service::Service(const Config& config, Runtime& runtime, const KeyStore& keys, Metrics& metrics)
    : config_(config),
      runtime_(runtime),
      keys_(keys),
      metrics_(metrics),
      booking_by_patient_(config.limits.booking_per_patient_per_minute / 60.0,
                          std::max(1.0, config.limits.booking_per_patient_per_minute)),
      booking_by_address_(config.limits.booking_per_address_per_minute / 60.0,
                          std::max(1.0, config.limits.booking_per_address_per_minute)),
      requests_by_address_(config.limits.requests_per_address_per_second,
                           std::max(1.0, config.limits.requests_per_address_per_second * 2)) {}

Principal Service::principal_of(const HttpRequest& req) const {
  return keys_.authenticate(bearer(req));
}

bool Service::origin_allowed(std::string_view origin, std::string_view host) const {
  if (origin.empty()) return true;  // not a browser, or a same-origin GET
  for (const auto& o : config_.limits.allowed_origins) {
    if (o == "*" || o == origin) return true;
  }
  // Same host: "http://<host>" or "https://<host>".
  for (std::string_view scheme : {"http://", "https://"}) {
    if (origin.size() == scheme.size() + host.size() && origin.starts_with(scheme) &&
        origin.substr(scheme.size()) == host)
      return true;
  }
  return false;
}

void Service::handle(HttpRequest req, Respond inner) {
  metrics_.http_requests.fetch_add(1, std::memory_order_relaxed);
  // Every answer carries the server's clock (virtual in demos), taken when it
  // is sent: pages show times from it, never from the browser's clock.
  Respond respond = [inner = std::move(inner), this](HttpResponse r) {
    r.headers.emplace_back("X-Server-Time", format_rfc3339(runtime_.clock().now()));
    inner(std::move(r));
  };
  const Format out = response_format(req.accept);
  Route route = parse_route(req.method, req.target);
  switch (route.id) {
    case RouteId::kNotFound:
      return respond(error_response(404, "not_found", "no such endpoint", out));
    case RouteId::kMethodNotAllowed:
      return respond(error_response(405, "method_not_allowed", "method not allowed here", out));
    case RouteId::kHealthz: {
      HttpResponse r;
      r.content_type = "text/plain";
      r.body = "ok\n";
      return respond(std::move(r));
    }
    case RouteId::kReadyz: {
      HttpResponse r;
      r.content_type = "text/plain";
      bool ready = runtime_.ready() && !draining_;
      r.status = ready ? 200 : 503;
      r.body = ready ? "ready\n" : (draining_ ? "draining\n" : "not ready\n");
      return respond(std::move(r));
    }
    case RouteId::kMetrics: {
      HttpResponse r;
      r.content_type = "text/plain; version=0.0.4";
      r.body = metrics_.render();
      return respond(std::move(r));
    }
    case RouteId::kPage:
      return respond(page(route));
    case RouteId::kQr:
      return respond(qr(req));
    case RouteId::kWebSocket:
      return respond(error_response(426, "upgrade_required", "use a WebSocket upgrade", out));
    default:
      break;
  }
  if (!origin_allowed(req.origin, req.host))
    return respond(error_response(Error::kForbidden, "origin not allowed", out));
  if (!requests_by_address_.allow(req.client, runtime_.clock().now())) {
    metrics_.rate_limited.fetch_add(1, std::memory_order_relaxed);
    return respond(error_response(Error::kRateLimited, "too many requests from this address", out));
  }
  switch (route.id) {
    case RouteId::kCommands:
    case RouteId::kSessionCreate:
    case RouteId::kSessionCommand:
    case RouteId::kHoldCommand:
    case RouteId::kTicketCommand:
      return command(route, req, out, std::move(respond));
    case RouteId::kCheckInBy:
      return check_in_by(route, req, out, std::move(respond));
    default:
      return read(route, req, out, std::move(respond));
  }
}

// A check-in by label, patientRef or (a kiosk's) ticket id names the ticket
// by something that can be guessed: it counts against the per-address
// booking limit (docs/api.md "Check-in at the kiosk").
bool Service::guessable_lookup_allowed(const HttpRequest& req) {
  if (booking_by_address_.allow(req.client, runtime_.clock().now())) return true;
  metrics_.rate_limited.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void Service::command(const Route& route, HttpRequest& req, Format out, Respond respond) {
  if (draining_)
    return respond(error_response(Error::kUnavailable, "server is shutting down", out));
  Command cmd;
  std::string msg;
  Error e = decode_command(route, req.body, body_format(req.content_type), &cmd, &msg);
  if (e != Error::kOk) return respond(error_response(e, msg, out));
  // A ticket id is as guessable as a label (<session>-A001): a kiosk's
  // check-in by ticket id counts like one by label (check_in_by()).
  if (std::holds_alternative<CheckIn>(cmd.body) && principal_of(req).role == Role::kKiosk &&
      !guessable_lookup_allowed(req))
    return respond(error_response(Error::kRateLimited, kLookupsLimited, out));
  submit(std::move(cmd), req, out, std::move(respond));
}

void Service::submit(Command cmd, HttpRequest& req, Format out, Respond respond) {
  Principal who = principal_of(req);
  std::string_view why;
  if (Error e = may_submit(who, cmd.body, &why); e != Error::kOk)
    return respond(error_response(e, why, out));
  std::string key, fingerprint;
  if (!req.idempotency_key.empty()) {
    if (!valid_idempotency_key(req.idempotency_key))
      return respond(error_response(Error::kInvalidArgument,
                                    "Idempotency-Key must be 1-128 printable characters", out));
    key = scoped_key(who.name(), req.idempotency_key);
    fingerprint = request_fingerprint(who.name(), req.method, req.target, req.content_type, req.body);
  }
  if (std::string* ch = channel_of(cmd.body); ch && who.role == Role::kChannel) {
    if (!ch->empty() && *ch != who.id)
      return respond(error_response(Error::kForbidden, "a channel key books under its own channel", out));
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
      admit = [this, client = req.client, ref = ref ? *ref : std::string()](Time now) {
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
  const bool kiosk = who.role == Role::kKiosk;
  CommandRequest cr;
  cr.command = std::move(cmd);
  cr.principal = std::move(who);
  cr.idempotency_key = std::move(key);
  cr.request_fingerprint = std::move(fingerprint);
  cr.admit = std::move(admit);
  cr.done = [respond = std::move(respond), out, kiosk](CommandOutcome o) {
    if (o.error != Error::kOk) return respond(error_response(o.error, o.message, out));
    if (kiosk) strip_patient_refs(&o);
    HttpResponse r = ok_response(o.encode(out), out, o.created ? 201 : 200);
    if (o.replayed) r.headers.emplace_back("Idempotency-Replayed", "true");
    respond(std::move(r));
  };
  runtime_.submit(std::move(cr));
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
  // ticket's state then.
  auto go = [this, req, out, respond](const std::string& tid) mutable {
    Command cmd;
    cmd.body = CheckIn{tid};
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
      go(*tid);
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
      if (f.booked.size() == 1) return go(f.booked.front());
      if (!f.other.empty()) return go(f.other);
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
          if (!f.other.empty()) acc->other = f.other;
        }
      },
      [acc, out, respond, go]() mutable {
        if (acc->booked.size() > 1)
          return respond(error_response(409, "ambiguous",
                                        "this patient has several appointments today; choose the doctor", out));
        if (acc->booked.empty() && !acc->other.empty()) return go(acc->other);
        if (acc->booked.empty())
          return respond(error_response(Error::kUnknownTicket, "no appointment of this patient to check in today", out));
        go(acc->booked.front());
      });
}

void Service::read(const Route& route, HttpRequest& req, Format out, Respond respond) {
  Principal who = principal_of(req);
  const std::string id = route.id1;
  std::string_view why;
  switch (route.id) {
    case RouteId::kBoard:
      return runtime_.read_session(id, [id, out, respond](ShardContext& ctx) {
        auto b = ctx.engine.board(id, ctx.now);
        if (!b) return respond(error_response(Error::kUnknownSession, "no such session", out));
        respond(ok_response(encode_plain(*b, out), out));
      });
    case RouteId::kSessionGet:
      if (Error e = may_ask(who, Ask::kReadSession, &why); e != Error::kOk)
        return respond(error_response(e, why, out));
      return runtime_.read_session(id, [id, out, respond, who](ShardContext& ctx) {
        Error e = Authorizer(ctx.engine).session_op(who, Op::kReadStaff, id);
        if (e != Error::kOk) return respond(error_response(e, "not allowed to read this session", out));
        auto v = ctx.engine.staff_view(id, ctx.now);
        if (!v) return respond(error_response(Error::kUnknownSession, "no such session", out));
        respond(ok_response(encode_plain(*v, out), out));
      });
    case RouteId::kSessionList: {
      // Staff list the sessions they may read; a kiosk lists the sessions it
      // may register walk-ins into (its scope), for its doctor choice. Every
      // list is without tickets (v->tickets.clear() below), so a kiosk
      // learns doctor, room, times, status and capacity left, no patient.
      if (Error e = may_ask(who, Ask::kListSessions, &why); e != Error::kOk)
        return respond(error_response(e, why, out));
      const bool kiosk = who.role == Role::kKiosk;
      struct Acc {
        std::mutex mu;
        pb::SessionList list;
      };
      auto acc = std::make_shared<Acc>();
      runtime_.read_all(
          [acc, who, kiosk](ShardContext& ctx) {
            const Authorizer az(ctx.engine);
            for (const std::string& sid : ctx.engine.session_ids()) {
              if (az.session_op(who, kiosk ? Op::kWalkIn : Op::kReadStaff, sid) != Error::kOk) continue;
              auto v = ctx.engine.staff_view(sid, ctx.now);
              if (!v) continue;
              v->tickets.clear();
              std::lock_guard lock(acc->mu);
              codec::to_proto(*v, acc->list.add_sessions());
            }
          },
          [acc, out, respond]() {
            std::string body;
            if (out == Format::kProto) acc->list.SerializeToString(&body);
            else codec::to_json(acc->list, &body);
            respond(ok_response(std::move(body), out));
          });
      return;
    }
    case RouteId::kTicketGet:
    case RouteId::kMe: {
      bool me = route.id == RouteId::kMe;
      if (Error e = may_ask(who, me ? Ask::kMe : Ask::kReadTicket, &why); e != Error::kOk)
        return respond(error_response(e, why, out));
      auto fn = [id, me, out, respond, who](ShardContext& ctx) {
        std::string tid;
        std::string_view why = "not allowed to read this ticket";
        Error e = Authorizer(ctx.engine).read_ticket(who, id, me, &tid, &why);
        if (e != Error::kOk) return respond(error_response(e, why, out));
        auto pv = ctx.engine.patient_view(tid, ctx.now);
        if (!pv) return respond(error_response(Error::kUnknownTicket, "no such ticket", out));
        respond(ok_response(encode_plain(*pv, out), out));
      };
      if (who.role == Role::kPatient) return runtime_.read_token(who.id, std::move(fn));
      return runtime_.read_ticket(id, std::move(fn));
    }
    case RouteId::kDisplay:
      return runtime_.read_area(id, [id, out, respond, who](ShardContext& ctx) {
        const Authorizer az(ctx.engine);
        Error e = az.check(who, Op::kReadDisplay, az.area(id));
        if (e != Error::kOk)
          return respond(error_response(e, "a display token of this area or staff working here needed", out));
        respond(ok_response(encode_plain(ctx.engine.display_view(id, ctx.now), out), out));
      });
    default:
      return respond(error_response(404, "not_found", "no such endpoint", out));
  }
}

HttpResponse Service::page(const Route& route) const {
  namespace fs = std::filesystem;
  if (config_.web_root.empty())
    return error_response(404, "not_found", "no web root configured", Format::kJson);
  // Only a regular file inside the web root (after resolving symlinks and
  // dot segments): a directory, a socket or a path leading out is 404.
  std::error_code ec;
  const fs::path root = fs::canonical(config_.web_root, ec);
  if (ec) return error_response(404, "not_found", "no such page", Format::kJson);
  const fs::path file = fs::weakly_canonical(root / route.file, ec);
  const bool inside =
      !ec && std::mismatch(root.begin(), root.end(), file.begin(), file.end()).first == root.end();
  if (!inside || !fs::is_regular_file(file, ec))
    return error_response(404, "not_found", "no such page", Format::kJson);
  std::ifstream in(file, std::ios::binary);
  if (!in) return error_response(404, "not_found", "no such page", Format::kJson);
  std::stringstream ss;
  ss << in.rdbuf();
  HttpResponse r;
  r.content_type = mime_of(route.file);
  r.body = ss.str();
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  // The pages load scripts, styles and images from the server only and talk
  // to it only (fetch, WebSocket); no inline script or style (docs/pages.md).
  r.headers.emplace_back("Content-Security-Policy", kPageCsp);
  // The patient page's URL carries its token: never send it as a Referer.
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  return r;
}

HttpResponse Service::qr(const HttpRequest& req) const {
  std::string text = query_param(req.target, "text");
  // Only links to patient pages ("/t/<token>") of some http(s) server.
  bool ok = false;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (std::string_view(text).starts_with(scheme)) {
      auto slash = text.find('/', scheme.size());
      ok = slash != std::string::npos && std::string_view(text).substr(slash).starts_with("/t/");
    }
  }
  if (!ok) return error_response(Error::kInvalidArgument, "text must be a URL of a /t/ patient page", Format::kJson);
  std::string svg = qr_svg(text);
  if (svg.empty()) return error_response(Error::kInvalidArgument, "cannot encode this text", Format::kJson);
  HttpResponse r;
  r.content_type = "image/svg+xml";
  r.body = std::move(svg);
  r.headers.emplace_back("Cache-Control", "max-age=86400");
  return r;
}

// ------------------------------------------------------------ WebSocket --

void Service::subscribe(const ClientRequest& req, const std::shared_ptr<Subscriber>& sub,
                        std::function<void(SubscribeResult)> done) {
  const Format f = sub->format();
  const std::uint64_t last = req.last_version;
  std::weak_ptr<Subscriber> weak = sub;
  auto fail = [done](Error e, std::string msg) {
    SubscribeResult r;
    r.error = e;
    r.message = std::move(msg);
    done(std::move(r));
  };
  switch (req.who) {
    case ClientRequest::kPatient:
      if (req.token.empty()) return fail(Error::kUnauthorized, "a patient token is needed");
      runtime_.read_token(req.token, [req, weak, f, last, done, fail](ShardContext& ctx) {
        auto s = weak.lock();
        if (!s) return;
        auto t = ctx.engine.ticket_by_token(req.token);
        if (!t) return fail(Error::kUnauthorized, "unknown patient token");
        auto pv = ctx.engine.patient_view(*t, ctx.now);
        if (!pv) return fail(Error::kUnknownTicket, "no such ticket");
        if (req.board) {
          // The phone follows its session's public board (one payload shared
          // by every phone) and gets its own view when the ticket changes.
          auto b = ctx.engine.board(pv->session_id, ctx.now);
          if (!b) return fail(Error::kUnknownSession, "no such session");
          std::string bt = board_topic(pv->session_id);
          std::string own = own_topic(*t);
          ctx.hub.add(bt, "", s);
          ctx.hub.add(own, pv->session_id, s);
          ctx.hub.set_own_booked(own, pv->state == TicketState::kBooked);
          // The board when lastVersion differs, as for every view; the own
          // view always: the client's lastVersion is usually a board's, and
          // an own view of that version may have been lost with the old
          // connection (it goes out after the board).
          const auto at = std::chrono::steady_clock::now();
          if (b->version != last)
            s->deliver(bt, Frame{std::make_shared<const std::string>(encode_view(*b, ctx.now, f)), at});
          s->deliver(own, Frame{std::make_shared<const std::string>(encode_view(*pv, ctx.now, f)), at});
          return done(SubscribeResult{Error::kOk, "", bt, own});
        }
        std::string topic = patient_topic(*t);
        ctx.hub.add(topic, pv->session_id, s);
        if (pv->version != last)
          s->deliver(topic, Frame{std::make_shared<const std::string>(encode_view(*pv, ctx.now, f)),
                                  std::chrono::steady_clock::now()});
        done(SubscribeResult{Error::kOk, "", topic, ""});
      });
      return;
    case ClientRequest::kDisplay: {
      Principal who = keys_.authenticate(req.token);
      runtime_.read_area(req.id, [req, who, weak, f, last, done, fail](ShardContext& ctx) {
        auto s = weak.lock();
        if (!s) return;
        Error e = authorize(who, Op::kReadDisplay, ctx.target_of_area(req.id));
        if (e != Error::kOk) return fail(e, "a display token of this area or staff working here needed");
        DisplayView v = ctx.engine.display_view(req.id, ctx.now);
        std::string topic = display_topic(req.id);
        ctx.hub.add(topic, "", s);
        if (v.version != last || last == 0)
          s->deliver(topic, Frame{std::make_shared<const std::string>(encode_view(v, ctx.now, f)),
                                  std::chrono::steady_clock::now()});
        done(SubscribeResult{Error::kOk, "", topic, ""});
      });
      return;
    }
    case ClientRequest::kStaff: {
      Principal who = keys_.authenticate(req.token);
      if (who.role != Role::kAdmin && who.role != Role::kNurse)
        return fail(who.role == Role::kNone ? Error::kUnauthorized : Error::kForbidden,
                    "a staff key is needed");
      runtime_.read_session(req.id, [req, who, weak, f, last, done, fail](ShardContext& ctx) {
        auto s = weak.lock();
        if (!s) return;
        Error e = authorize(who, Op::kReadStaff, ctx.target_of_session(req.id));
        if (e != Error::kOk) return fail(e, "this key may not follow that session");
        auto v = ctx.engine.staff_view(req.id, ctx.now);
        if (!v) return fail(Error::kUnknownSession, "no such session");
        std::string topic = staff_topic(req.id);
        ctx.hub.add(topic, "", s);
        if (v->version != last)
          s->deliver(topic, Frame{std::make_shared<const std::string>(encode_view(*v, ctx.now, f)),
                                  std::chrono::steady_clock::now()});
        done(SubscribeResult{Error::kOk, "", topic, ""});
      });
      return;
    }
    case ClientRequest::kBoard:
      runtime_.read_session(req.id, [req, weak, f, last, done, fail](ShardContext& ctx) {
        auto s = weak.lock();
        if (!s) return;
        auto b = ctx.engine.board(req.id, ctx.now);
        if (!b) return fail(Error::kUnknownSession, "no such session");
        std::string topic = board_topic(req.id);
        ctx.hub.add(topic, "", s);
        if (b->version != last)
          s->deliver(topic, Frame{std::make_shared<const std::string>(encode_view(*b, ctx.now, f)),
                                  std::chrono::steady_clock::now()});
        done(SubscribeResult{Error::kOk, "", topic, ""});
      });
      return;
  }
}

void Service::unsubscribe(const std::string& topic, const std::weak_ptr<Subscriber>& sub) {
  if (topic.size() < 2) return;
  std::string key = topic.substr(2);
  auto fn = [topic, sub](ShardContext& ctx) { ctx.hub.remove(topic, sub); };
  switch (topic[0]) {
    case 'p':
    case 'o': return runtime_.read_ticket(key, fn);
    case 'd': return runtime_.read_area(key, fn);
    default: return runtime_.read_session(key, fn);
  }
}

}  // namespace qc::gw
