// Service: handle() dispatches a request by its route. The routes are
// answered in commands.cc (commands, check-in by what the patient holds),
// reads.cc (GET of views) and pages.cc (static pages, QR); the WebSocket
// subscriptions are below.
#include "server/api/service.h"

#include <algorithm>
#include <cctype>

#include "server/infra/clock.h"

namespace qc::gw {

// The request's credential: with an Authorization header, its Bearer token
// (scheme case-insensitive) and nothing else: another scheme ("Basic ...")
// is no credential and does NOT fall back to ?token=, which is read only
// when there is no Authorization header (docs/api.md, "Credentials").
std::string bearer_credential(const HttpRequest& req) {
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

namespace {

const char* content_type_of(Format f) {
  return f == Format::kProto ? "application/x-protobuf" : "application/json";
}

}  // namespace

HttpResponse ok_response(std::string body, Format f, int status) {
  HttpResponse r;
  r.status = status;
  r.content_type = content_type_of(f);
  r.body = std::move(body);
  return r;
}

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
  return keys_.authenticate(bearer_credential(req));
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

void Service::handle(HttpRequest req, Respond inner, Command* decoded) {
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
    return respond(error_response(Error::kRateLimited, kTooManyRequests, out));
  }
  switch (route.id) {
    case RouteId::kCommands:
    case RouteId::kSessionCreate:
    case RouteId::kSessionCommand:
    case RouteId::kHoldCommand:
    case RouteId::kTicketCommand:
      return command(route, req, out, std::move(respond), decoded);
    case RouteId::kCommandBatch:
      return command_batch(req, out, std::move(respond));
    case RouteId::kCheckInBy:
      return check_in_by(route, req, out, std::move(respond));
    default:
      return read(route, req, out, std::move(respond));
  }
}

// ------------------------------------------------------------ WebSocket --

}  // namespace qc::gw
