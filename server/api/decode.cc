#include "server/api/decode.h"

#include <array>
#include <vector>

#include "server/api/patient_ref.h"
#include "server/infra/sha256.h"
#include "proto/codec.h"

namespace qc::gw {
namespace pb = ::queuecast::v1;

namespace {

// Whether one path segment is canonical: not empty, not a dot segment, and
// no percent-escape that decodes to '/', '\\', a control character or a dot
// segment (a proxy that normalises the path would route it elsewhere).
bool canonical_segment(std::string_view seg) {
  if (seg.empty() || seg == "." || seg == "..") return false;
  if (seg.find('%') == std::string_view::npos) return true;
  std::string d;
  if (!percent_decode(seg, &d) || d == "." || d == "..") return false;
  for (char c : d) {
    if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// The segments of a canonical path ("/v1/sessions/s1" -> v1, sessions, s1;
// "/" -> none); false for anything else: no leading '/', an empty segment
// ("//", a trailing '/'), a dot segment, an encoded '/' or dot segment, or
// more than 8 segments. Such paths are refused (404), never served as their
// canonical form, so a proxy rule for "/metrics" cannot be bypassed with
// "/metrics/" or "//metrics" (docs/api.md, "Paths").
bool split_path(std::string_view path, std::vector<std::string_view>* parts) {
  parts->clear();
  if (path.empty() || path.front() != '/') return false;
  if (path.size() == 1) return true;
  std::size_t i = 1;
  while (true) {
    std::size_t j = path.find('/', i);
    std::string_view seg = path.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i);
    if (!canonical_segment(seg) || parts->size() == 8) return false;
    parts->push_back(seg);
    if (j == std::string_view::npos) return true;
    i = j + 1;
  }
}

bool safe_file(std::string_view f) {
  if (f.empty() || f.size() > 200) return false;
  if (f.find("..") != std::string_view::npos || f.front() == '/' || f.front() == '.' ||
      f.find("/.") != std::string_view::npos)
    return false;  // no dot files either
  for (char c : f) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '/'))
      return false;
  }
  return true;
}

}  // namespace

bool percent_decode(std::string_view in, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+') {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

std::string query_param(std::string_view target, std::string_view name) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    auto eq = pair.find('=');
    std::string_view k = pair.substr(0, eq);
    if (k == name) {
      std::string out;
      if (eq == std::string_view::npos) return {};
      if (!percent_decode(pair.substr(eq + 1), &out)) return {};
      return out;
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return {};
}

Format body_format(std::string_view ct) {
  auto semi = ct.find(';');
  std::string_view base = ct.substr(0, semi);
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  return (base == "application/x-protobuf" || base == "application/protobuf") ? Format::kProto
                                                                              : Format::kJson;
}

Route parse_route(std::string_view method, std::string_view target) {
  Route r;
  std::string_view path = target.substr(0, target.find('?'));
  std::vector<std::string_view> parts;
  if (path.size() > 2048 || !split_path(path, &parts)) return r;
  const bool get = method == "GET" || method == "HEAD";
  const bool post = method == "POST";
  auto result = [&](RouteId id, bool method_ok) {
    r.id = method_ok ? id : RouteId::kMethodNotAllowed;
    return r;
  };
  auto id1 = [&](std::string_view raw) {
    std::string s;
    if (!percent_decode(raw, &s) || s.empty()) return false;
    r.id1 = std::move(s);
    return true;
  };
  const std::size_t n = parts.size();
  if (n == 0) {
    r.file = "index.html";
    return result(RouteId::kPage, get);
  }
  if (parts[0] == "healthz" && n == 1) return result(RouteId::kHealthz, get);
  if (parts[0] == "readyz" && n == 1) return result(RouteId::kReadyz, get);
  if (parts[0] == "metrics" && n == 1) return result(RouteId::kMetrics, get);
  if (parts[0] == "v1") {
    if (n == 2 && parts[1] == "commands") return result(RouteId::kCommands, post);
    if (n == 2 && parts[1] == "commands:batch") return result(RouteId::kCommandBatch, post);
    if (n == 2 && parts[1] == "me") return result(RouteId::kMe, get);
    if (n == 2 && parts[1] == "check-in") return result(RouteId::kCheckInBy, post);
    if (n == 2 && parts[1] == "ws") return result(RouteId::kWebSocket, method == "GET");
    if (n == 2 && parts[1] == "qr.svg") return result(RouteId::kQr, get);
    if (n == 2 && parts[1] == "sessions") {
      if (get) return result(RouteId::kSessionList, true);
      return result(RouteId::kSessionCreate, post);
    }
    if (n >= 3 && parts[1] == "sessions") {
      if (!id1(parts[2])) return r;
      if (n == 3) return result(RouteId::kSessionGet, get);
      if (n == 4 && parts[3] == "board") return result(RouteId::kBoard, get);
      if (n == 4 && parts[3] == "check-in") return result(RouteId::kCheckInBy, post);
      static constexpr std::array<std::string_view, 9> kActions = {
          "call-next", "pause", "resume", "suspend", "close", "book", "holds", "walk-ins", "undo"};
      if (n == 4) {
        for (auto a : kActions) {
          if (parts[3] == a) {
            r.action = std::string(a);
            return result(RouteId::kSessionCommand, post);
          }
        }
      }
      return r;
    }
    if (n >= 3 && parts[1] == "holds") {
      if (!id1(parts[2])) return r;
      if (n == 3) {
        r.action = "release";
        return result(RouteId::kHoldCommand, method == "DELETE");
      }
      if (n == 4 && parts[3] == "confirm") {
        r.action = "confirm";
        return result(RouteId::kHoldCommand, post);
      }
      return r;
    }
    if (n >= 3 && parts[1] == "tickets") {
      if (!id1(parts[2])) return r;
      if (n == 3) return result(RouteId::kTicketGet, get);
      static constexpr std::array<std::string_view, 11> kActions = {
          "check-in",     "cancel",         "call",          "recall",
          "complete",     "missed",         "return",        "move-to-next",
          "set-priority", "send-for-tests", "return-from-tests"};
      if (n == 4) {
        for (auto a : kActions) {
          if (parts[3] == a) {
            r.action = std::string(a);
            return result(RouteId::kTicketCommand, post);
          }
        }
      }
      return r;
    }
    if (n == 4 && parts[1] == "areas" && parts[3] == "display") {
      if (!id1(parts[2])) return r;
      return result(RouteId::kDisplay, get);
    }
    return r;
  }
  // Pages.
  if (n == 2 && parts[0] == "display") {
    r.file = "display.html";
    return result(RouteId::kPage, get);
  }
  if (n == 2 && parts[0] == "t") {
    r.file = "ticket.html";
    return result(RouteId::kPage, get);
  }
  if (n == 1) {
    for (std::string_view p : {"console", "kiosk", "manager"}) {
      if (parts[0] == p) {
        r.file = std::string(p) + ".html";
        return result(RouteId::kPage, get);
      }
    }
  }
  // Any other file of the web root (css, js, images): /static/app.js or /app.js.
  std::string_view rest = path.substr(1);
  if (rest.starts_with("static/")) rest.remove_prefix(7);
  if (safe_file(rest)) {
    r.file = std::string(rest);
    return result(RouteId::kPage, get);
  }
  return r;
}

namespace {

Error bad(std::string* m, std::string text) {
  if (m) *m = std::move(text);
  return Error::kInvalidArgument;
}

// Parses `body` into `msg` (empty body = empty message).
Error parse_body(std::string_view body, Format format, google::protobuf::Message* msg,
                 std::string* m) {
  if (body.empty()) return Error::kOk;
  if (format == Format::kProto) {
    if (!msg->ParseFromArray(body.data(), static_cast<int>(body.size())))
      return bad(m, "body is not a valid binary " + msg->GetTypeName());
    return Error::kOk;
  }
  return codec::parse_json(body, msg, m);
}

// Checks a body's id against the path's and sets it.
Error same_id(std::string* field, const std::string& path_id, const char* name, std::string* m) {
  if (!field->empty() && *field != path_id)
    return bad(m, std::string(name) + " in the body differs from the path");
  *field = path_id;
  return Error::kOk;
}

// The command body a path addresses (a session, a hold or a ticket action).
struct Addressed {
  google::protobuf::Message* msg = nullptr;
  std::string* id = nullptr;        // the body's id field, set from the path
  const char* id_name = nullptr;    // its JSON name, for the mismatch message
  const char* required = nullptr;   // the body's type when an empty body is an error
};

Error to_engine(pb::Command& pc, Command* out, std::string* m) {
  // The server stamps `at` and sets the actor: whatever the client sent is ignored.
  pc.mutable_at()->set_seconds(0);
  pc.mutable_at()->set_nanos(0);
  pc.clear_actor();
  Time at = 0;
  if (Error e = codec::from_proto(pc, out, &at, m); e != Error::kOk) return e;
  // One spelling per patient for every patient limit (patient_ref.h).
  std::string why;
  if (!normalize_patient_refs(out, &why)) return bad(m, why);
  return Error::kOk;
}

// A whole queuecast.v1.Command (POST /v1/commands, an item of a batch).
Error whole_command(pb::Command& pc, Command* out, std::string* m) {
  if (pc.body_case() == pb::Command::BODY_NOT_SET) return bad(m, "the command has no body");
  return to_engine(pc, out, m);
}

}  // namespace

Error decode_command(const Route& route, std::string_view body, Format format, Command* out,
                     std::string* m) {
  pb::Command pc;
  Error e = Error::kOk;
  const std::string& id = route.id1;
  const std::string& a = route.action;
  // A path-addressed command: its body message and the id the path gives it.
  Addressed t;
  auto session = [&t](auto* c, const char* required = nullptr) {
    t = Addressed{c, c->mutable_session_id(), "sessionId", required};
  };
  auto hold = [&t](auto* c) { t = Addressed{c, c->mutable_hold_id(), "holdId", nullptr}; };
  auto ticket = [&t](auto* c, const char* required = nullptr) {
    t = Addressed{c, c->mutable_ticket_id(), "ticketId", required};
  };
  switch (route.id) {
    case RouteId::kCommands:
      if (body.empty()) return bad(m, "empty body: expected a queuecast.v1.Command");
      e = parse_body(body, format, &pc, m);
      if (e != Error::kOk) return e;
      return whole_command(pc, out, m);
    case RouteId::kSessionCreate:
      if (body.empty()) return bad(m, "empty body: expected a SessionSpec");
      e = parse_body(body, format, pc.mutable_create_session()->mutable_spec(), m);
      break;
    case RouteId::kSessionCommand:
      if (a == "call-next") session(pc.mutable_call_next());
      else if (a == "pause") session(pc.mutable_pause());
      else if (a == "resume") session(pc.mutable_resume());
      else if (a == "suspend") session(pc.mutable_suspend_session());
      else if (a == "close") session(pc.mutable_close_session());
      else if (a == "book") session(pc.mutable_book(), "Book");
      else if (a == "holds") session(pc.mutable_hold(), "Hold");
      else if (a == "undo") session(pc.mutable_undo());
      else if (a == "walk-ins") session(pc.mutable_register_walk_in());
      else return bad(m, "unknown session action");
      break;
    case RouteId::kHoldCommand:
      if (a == "confirm") hold(pc.mutable_confirm());
      else hold(pc.mutable_release());
      break;
    case RouteId::kTicketCommand:
      if (a == "check-in") ticket(pc.mutable_check_in());
      else if (a == "cancel") ticket(pc.mutable_cancel());
      else if (a == "call") ticket(pc.mutable_call_ticket());
      else if (a == "recall") ticket(pc.mutable_recall());
      else if (a == "complete") ticket(pc.mutable_complete());
      else if (a == "missed") ticket(pc.mutable_mark_missed());
      else if (a == "return") ticket(pc.mutable_return_());
      else if (a == "move-to-next") ticket(pc.mutable_move_to_next());
      // The body says which priority ({"priority":""} removes it): never implied.
      else if (a == "set-priority") ticket(pc.mutable_set_priority(), "SetPriority");
      else if (a == "send-for-tests") ticket(pc.mutable_send_for_tests());
      else if (a == "return-from-tests") ticket(pc.mutable_return_from_tests());
      else return bad(m, "unknown ticket action");
      break;
    default:
      return bad(m, "not a command endpoint");
  }
  if (t.msg) {
    if (t.required && body.empty()) return bad(m, std::string("empty body: expected a ") + t.required);
    e = parse_body(body, format, t.msg, m);
    if (e == Error::kOk) e = same_id(t.id, id, t.id_name, m);
  }
  if (e != Error::kOk) return e;
  return to_engine(pc, out, m);
}

std::string_view decode_batch(std::string_view body, Format format, std::size_t max_commands,
                              std::vector<BatchCommand>* out, std::string* m) {
  out->clear();
  if (body.empty()) {
    *m = "empty body: expected a queuecast.v1.CommandBatch";
    return "invalid_argument";
  }
  pb::CommandBatch batch;
  if (parse_body(body, format, &batch, m) != Error::kOk) return "invalid_argument";
  const std::size_t n = static_cast<std::size_t>(batch.commands_size());
  if (n == 0) {
    *m = "the batch has no commands";
    return "batch_empty";
  }
  if (n > max_commands) {
    *m = "a batch holds at most " + std::to_string(max_commands) + " commands, this one " +
         std::to_string(n);
    return "batch_too_large";
  }
  out->resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    pb::CommandBatch::Item& item = *batch.mutable_commands(static_cast<int>(i));
    BatchCommand& c = (*out)[i];
    c.idempotency_key = std::move(*item.mutable_idempotency_key());
    if (!c.idempotency_key.empty()) item.command().SerializeToString(&c.bytes);
    c.error = whole_command(*item.mutable_command(), &c.command, &c.message);
  }
  return {};
}

Error decode_client_message(std::string_view bytes, Format format, ClientRequest* out,
                            std::string* m) {
  pb::ClientMessage msg;
  if (bytes.empty()) return bad(m, "empty message");
  Error e = Error::kOk;
  if (format == Format::kProto) {
    if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
      return bad(m, "not a valid binary ClientMessage");
  } else {
    e = codec::parse_json(bytes, &msg, m);
    if (e != Error::kOk) return e;
  }
  *out = ClientRequest{};
  if (!msg.request_id().empty()) {
    const std::string& id = msg.request_id();
    bool printable = id.size() <= 128;
    for (char c : id) printable = printable && c >= 0x20 && c <= 0x7e;
    if (!printable) return bad(m, "requestId must be 1-128 printable ASCII characters");
    out->request_id = id;
  }
  switch (msg.msg_case()) {
    case pb::ClientMessage::kPing:
      out->kind = ClientRequest::kPing;
      return Error::kOk;
    case pb::ClientMessage::kSubscribe: {
      const pb::Subscribe& s = msg.subscribe();
      out->kind = ClientRequest::kSubscribe;
      out->last_version = s.last_version();
      switch (s.who_case()) {
        case pb::Subscribe::kPatient:
          out->who = ClientRequest::kPatient;
          out->token = s.patient().token();
          out->board = s.patient().board();
          break;
        case pb::Subscribe::kDisplay:
          out->who = ClientRequest::kDisplay;
          out->id = s.display().area();
          out->token = s.display().token();
          if (out->id.empty()) return bad(m, "subscribe.display.area is required");
          break;
        case pb::Subscribe::kStaff:
          out->who = ClientRequest::kStaff;
          out->id = s.staff().session_id();
          out->token = s.staff().key();
          if (out->id.empty()) return bad(m, "subscribe.staff.sessionId is required");
          break;
        case pb::Subscribe::kBoard:
          out->who = ClientRequest::kBoard;
          out->id = s.board().session_id();
          if (out->id.empty()) return bad(m, "subscribe.board.sessionId is required");
          break;
        default:
          return bad(m, "subscribe needs one of patient, display, staff, board");
      }
      if (out->id.size() > 256 || out->token.size() > 256) return bad(m, "field too long");
      return Error::kOk;
    }
    default:
      return bad(m, "expected subscribe or ping");
  }
}

FollowRequest follow_request(const ClientRequest& r) {
  FollowRequest f;
  switch (r.who) {
    case ClientRequest::kPatient: f.kind = TopicKind::kPatient; break;
    case ClientRequest::kDisplay: f.kind = TopicKind::kDisplay; break;
    case ClientRequest::kStaff: f.kind = TopicKind::kStaff; break;
    case ClientRequest::kBoard: f.kind = TopicKind::kBoard; break;
  }
  f.id = r.id;
  f.token = r.token;
  f.with_board = r.board;
  f.last_version = r.last_version;
  return f;
}

std::string request_fingerprint(std::string_view principal, std::string_view method,
                                std::string_view target, std::string_view content_type,
                                std::string_view body) {
  std::string_view raw = target.substr(0, target.find('?'));
  std::string path;
  if (!percent_decode(raw, &path)) path = raw;
  const std::string_view format = body_format(content_type) == Format::kProto ? "proto" : "json";
  std::string in;
  in.reserve(principal.size() + method.size() + path.size() + body.size() + 64);
  for (std::string_view part : {principal, method, std::string_view(path), format, body}) {
    in += std::to_string(part.size());
    in += ':';
    in += part;
  }
  const auto digest = sha256(in);
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

}  // namespace qc::gw
