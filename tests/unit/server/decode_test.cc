// Pure decoders: routes, query strings, command bodies, WebSocket messages,
// configuration and times.
#include "server/api/decode.h"

#include <gtest/gtest.h>

#include "server/infra/clock.h"
#include "server/infra/config.h"
#include "server/wire/wire.h"
#include "queuecast/v1/queuecast.pb.h"

namespace qc::gw {
namespace {

TEST(Route, ApiPaths) {
  Route r = parse_route("POST", "/v1/sessions/s%201/call-next?x=1");
  EXPECT_EQ(r.id, RouteId::kSessionCommand);
  EXPECT_EQ(r.id1, "s 1");
  EXPECT_EQ(r.action, "call-next");
  EXPECT_EQ(parse_route("GET", "/v1/sessions/s1").id, RouteId::kSessionGet);
  EXPECT_EQ(parse_route("GET", "/v1/sessions").id, RouteId::kSessionList);
  EXPECT_EQ(parse_route("POST", "/v1/sessions").id, RouteId::kSessionCreate);
  EXPECT_EQ(parse_route("GET", "/v1/sessions/s1/board").id, RouteId::kBoard);
  EXPECT_EQ(parse_route("POST", "/v1/sessions/s1/undo").action, "undo");
  EXPECT_EQ(parse_route("GET", "/v1/sessions/s1/undo").id, RouteId::kMethodNotAllowed);
  EXPECT_EQ(parse_route("POST", "/v1/tickets/t1/move-to-next").action, "move-to-next");
  EXPECT_EQ(parse_route("GET", "/v1/tickets/t1").id, RouteId::kTicketGet);
  EXPECT_EQ(parse_route("DELETE", "/v1/holds/h1").action, "release");
  EXPECT_EQ(parse_route("POST", "/v1/holds/h1/confirm").id, RouteId::kHoldCommand);
  EXPECT_EQ(parse_route("GET", "/v1/areas/neuro-2f/display").id1, "neuro-2f");
  EXPECT_EQ(parse_route("GET", "/v1/ws").id, RouteId::kWebSocket);
  EXPECT_EQ(parse_route("GET", "/metrics").id, RouteId::kMetrics);
}

TEST(Route, CheckInByWhatThePatientHolds) {
  Route r = parse_route("POST", "/v1/sessions/li%2Dam/check-in");
  EXPECT_EQ(r.id, RouteId::kCheckInBy);
  EXPECT_EQ(r.id1, "li-am");
  r = parse_route("POST", "/v1/check-in");
  EXPECT_EQ(r.id, RouteId::kCheckInBy);
  EXPECT_EQ(r.id1, "");
  EXPECT_EQ(parse_route("GET", "/v1/check-in").id, RouteId::kMethodNotAllowed);
  EXPECT_EQ(parse_route("GET", "/v1/sessions/s1/check-in").id, RouteId::kMethodNotAllowed);
}

TEST(Route, WrongMethodUnknownPathAndPages) {
  EXPECT_EQ(parse_route("GET", "/v1/sessions/s1/call-next").id, RouteId::kMethodNotAllowed);
  EXPECT_EQ(parse_route("DELETE", "/v1/commands").id, RouteId::kMethodNotAllowed);
  EXPECT_EQ(parse_route("POST", "/v1/tickets/t1/explode").id, RouteId::kNotFound);
  EXPECT_EQ(parse_route("GET", "/v1/sessions/%zz").id, RouteId::kNotFound);
  EXPECT_EQ(parse_route("GET", "/display/neuro-2f?token=x").file, "display.html");
  EXPECT_EQ(parse_route("GET", "/t/0123").file, "ticket.html");
  EXPECT_EQ(parse_route("GET", "/console").file, "console.html");
  EXPECT_EQ(parse_route("GET", "/kiosk").file, "kiosk.html");
  EXPECT_EQ(parse_route("GET", "/manager").file, "manager.html");
  EXPECT_EQ(parse_route("GET", "/").file, "index.html");
  EXPECT_EQ(parse_route("GET", "/static/app.js").file, "app.js");
  EXPECT_EQ(parse_route("GET", "/../etc/passwd").id, RouteId::kNotFound);
  EXPECT_EQ(parse_route("GET", "/static/..%2f..%2fetc").id, RouteId::kNotFound);
}

// Only canonical paths are served: every other spelling of a route is 404,
// never the route itself (a proxy rule such as nginx's `location = /metrics`
// must not be bypassed by another spelling).
TEST(Route, NonCanonicalPathsAreNotFound) {
  for (const char* target :
       {"/metrics/", "/metrics//", "//metrics", "/./metrics", "/metrics/.", "/x/../metrics",
        "metrics", "", "/metrics%2f", "/metrics%2F", "/%2e/metrics", "/%2E%2E/metrics",
        "/v1/sessions/", "/v1//sessions", "/v1/sessions/s1/", "/v1/sessions/s1//board",
        "/v1/sessions/./board", "/v1/sessions/%2e%2e", "/v1/sessions/%2E", "/v1/sessions/a%2fb",
        "/v1/tickets/t1%2F..", "/v1/tickets/a%5cb", "/v1/tickets/a%00b", "/v1/me/", "/v1/ws/",
        "/healthz/", "/readyz//", "/console/", "/t/abc/", "/t//abc", "/t/.", "/t/..", "/t/%2e",
        "/display/a/", "/static/", "/static//app.js", "/static/./app.js", "/static/.hidden",
        "/.git/config", "/static/x/.env", "/a/b/c/d/e/f/g/h/i"}) {
    Route r = parse_route("GET", target);
    EXPECT_EQ(r.id, RouteId::kNotFound) << target;
    r = parse_route("POST", target);
    EXPECT_EQ(r.id, RouteId::kNotFound) << "POST " << target;
  }
  // The canonical forms (with a query) still work.
  EXPECT_EQ(parse_route("GET", "/metrics?x=/").id, RouteId::kMetrics);
  EXPECT_EQ(parse_route("GET", "/t/abc?x=1").file, "ticket.html");
  EXPECT_EQ(parse_route("GET", "/static/charts/planning.svg").file, "charts/planning.svg");
  EXPECT_EQ(parse_route("GET", "/v1/sessions/s%201").id1, "s 1");
}

TEST(Query, Params) {
  EXPECT_EQ(query_param("/x?token=abc&b=2", "token"), "abc");
  EXPECT_EQ(query_param("/x?a=1&text=http%3A%2F%2Fh%2Ft%2F1", "text"), "http://h/t/1");
  EXPECT_EQ(query_param("/x?a=1", "token"), "");
  EXPECT_EQ(query_param("/x?token=%4", "token"), "");
  std::string out;
  EXPECT_FALSE(percent_decode("%", &out));
  EXPECT_FALSE(percent_decode("%g1", &out));
}

TEST(DecodeCommand, ShortcutEndpoints) {
  Command c;
  std::string m;
  Route r = parse_route("POST", "/v1/sessions/s1/book");
  ASSERT_EQ(decode_command(r, R"({"slot":2,"patientRef":"P1","patientName":"Zhang San"})",
                           Format::kJson, &c, &m),
            Error::kOk)
      << m;
  auto* b = std::get_if<Book>(&c.body);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->session_id, "s1");
  EXPECT_EQ(b->slot, 2);
  EXPECT_EQ(b->patient_ref, "P1");

  ASSERT_EQ(decode_command(parse_route("POST", "/v1/tickets/t9/check-in"), "", Format::kJson, &c, &m),
            Error::kOk);
  EXPECT_EQ(std::get<CheckIn>(c.body).ticket_id, "t9");
  ASSERT_EQ(decode_command(parse_route("POST", "/v1/tickets/t9/return"), "{}", Format::kJson, &c, &m),
            Error::kOk);
  EXPECT_EQ(std::get<ReturnTicket>(c.body).ticket_id, "t9");
  ASSERT_EQ(decode_command(parse_route("POST", "/v1/sessions/s1/suspend"), R"({"reason":"ill"})",
                           Format::kJson, &c, &m),
            Error::kOk);
  EXPECT_EQ(std::get<SuspendSession>(c.body).reason, "ill");
  ASSERT_EQ(decode_command(parse_route("DELETE", "/v1/holds/h1"), "", Format::kJson, &c, &m), Error::kOk);
  EXPECT_EQ(std::get<Release>(c.body).hold_id, "h1");
}

// The clinical flow's routes and bodies (docs/api.md "Priority, return
// after tests, several rooms").
TEST(DecodeCommand, ClinicalFlowEndpoints) {
  Command c;
  std::string m;
  for (const char* a : {"set-priority", "send-for-tests", "return-from-tests"}) {
    Route r = parse_route("POST", std::string("/v1/tickets/t1/") + a);
    EXPECT_EQ(r.id, RouteId::kTicketCommand) << a;
    EXPECT_EQ(r.action, a);
    EXPECT_EQ(parse_route("GET", std::string("/v1/tickets/t1/") + a).id, RouteId::kMethodNotAllowed);
  }
  ASSERT_EQ(decode_command(parse_route("POST", "/v1/tickets/t9/set-priority"), R"({"priority":"elderly"})",
                           Format::kJson, &c, &m),
            Error::kOk)
      << m;
  EXPECT_EQ(std::get<SetPriority>(c.body).ticket_id, "t9");
  EXPECT_EQ(std::get<SetPriority>(c.body).priority, "elderly");
  ASSERT_EQ(decode_command(parse_route("POST", "/v1/tickets/t9/set-priority"), R"({"priority":""})",
                           Format::kJson, &c, &m),
            Error::kOk);
  EXPECT_EQ(std::get<SetPriority>(c.body).priority, "");
  // The body is required: an empty one never means "remove".
  EXPECT_EQ(decode_command(parse_route("POST", "/v1/tickets/t9/set-priority"), "", Format::kJson, &c, &m),
            Error::kInvalidArgument);
  EXPECT_EQ(decode_command(parse_route("POST", "/v1/tickets/t9/set-priority"),
                           R"({"ticketId":"t8","priority":"elderly"})", Format::kJson, &c, &m),
            Error::kInvalidArgument);
  ASSERT_EQ(decode_command(parse_route("POST", "/v1/tickets/t9/send-for-tests"), "", Format::kJson, &c, &m),
            Error::kOk);
  EXPECT_EQ(std::get<SendForTests>(c.body).ticket_id, "t9");
  ASSERT_EQ(decode_command(parse_route("POST", "/v1/tickets/t9/return-from-tests"), "", Format::kJson, &c, &m),
            Error::kOk);
  EXPECT_EQ(std::get<ReturnFromTests>(c.body).ticket_id, "t9");
  // Rooms in the bodies of calls and pause/resume; none is still fine.
  ASSERT_EQ(decode_command(parse_route("POST", "/v1/sessions/s1/call-next"), R"({"room":"5"})",
                           Format::kJson, &c, &m),
            Error::kOk);
  EXPECT_EQ(std::get<CallNext>(c.body).room, "5");
  ASSERT_EQ(decode_command(parse_route("POST", "/v1/sessions/s1/call-next"), "", Format::kJson, &c, &m),
            Error::kOk);
  EXPECT_EQ(std::get<CallNext>(c.body).room, "");
  ASSERT_EQ(decode_command(parse_route("POST", "/v1/tickets/t9/call"), R"({"room":"3"})", Format::kJson, &c, &m),
            Error::kOk);
  EXPECT_EQ(std::get<CallTicket>(c.body).room, "3");
  ASSERT_EQ(decode_command(parse_route("POST", "/v1/sessions/s1/pause"), R"({"room":"3"})", Format::kJson, &c, &m),
            Error::kOk);
  EXPECT_EQ(std::get<Pause>(c.body).room, "3");
  ASSERT_EQ(decode_command(parse_route("POST", "/v1/sessions/s1/resume"), R"({"room":"3"})", Format::kJson, &c, &m),
            Error::kOk);
  EXPECT_EQ(std::get<Resume>(c.body).room, "3");
  ASSERT_EQ(decode_command(parse_route("POST", "/v1/sessions/s1/walk-ins"),
                           R"({"patientRef":"P1","priority":"pregnant"})", Format::kJson, &c, &m),
            Error::kOk);
  EXPECT_EQ(std::get<RegisterWalkIn>(c.body).priority, "pregnant");
}

TEST(Config, PriorityReasonsAndChannels) {
  Config c;
  std::string e;
  EXPECT_EQ(c.priority.reasons, (std::vector<std::string>{"elderly", "military", "disabled", "pregnant"}));
  EXPECT_TRUE(c.priority.allows("elderly"));
  EXPECT_FALSE(c.priority.allows("vip"));
  const std::string web = R"("channels":[{"id":"web","key_sha256":")" + std::string(64, 'c') +
                          R"("},{"id":"app","key_sha256":")" + std::string(64, 'd') + R"("}])";
  ASSERT_TRUE(parse_config_json(R"({"priority":{"reasons":["elderly","veteran_1"],"channels":["web"]},)" + web + "}",
                                &c, &e))
      << e;
  EXPECT_EQ(c.priority.reasons, (std::vector<std::string>{"elderly", "veteran_1"}));
  ASSERT_EQ(c.keys.size(), 2u);
  EXPECT_TRUE(c.keys[0].sets_priority);   // web
  EXPECT_FALSE(c.keys[1].sets_priority);  // app
  Config bad;
  EXPECT_FALSE(parse_config_json(R"({"priority":{"reasons":["Elderly"]}})", &bad, &e));
  EXPECT_NE(e.find("priority.reasons"), std::string::npos) << e;
  Config bad2, bad3, bad4;
  EXPECT_FALSE(parse_config_json(R"({"priority":{"reason":["elderly"]}})", &bad2, &e));
  EXPECT_FALSE(parse_config_json(R"({"priority":{"channels":["wbe"]},)" + web + "}", &bad3, &e));
  EXPECT_NE(e.find("wbe"), std::string::npos) << e;
  EXPECT_FALSE(parse_config_json(R"({"priority":["elderly"]})", &bad4, &e));
  // (The shipped example, deploy/queuecast.example.json, is every
  // integration test's configuration.)
}

TEST(DecodeCommand, BadBodiesAreInvalidArgument) {
  Command c;
  std::string m;
  Route book = parse_route("POST", "/v1/sessions/s1/book");
  EXPECT_EQ(decode_command(book, "{", Format::kJson, &c, &m), Error::kInvalidArgument);
  EXPECT_EQ(decode_command(book, R"({"slot":1,"bogus":true})", Format::kJson, &c, &m),
            Error::kInvalidArgument);
  EXPECT_NE(m.find("bogus"), std::string::npos);
  EXPECT_EQ(decode_command(book, R"({"slot":"two"})", Format::kJson, &c, &m), Error::kInvalidArgument);
  EXPECT_EQ(decode_command(book, "", Format::kJson, &c, &m), Error::kInvalidArgument);
  EXPECT_EQ(decode_command(book, R"({"sessionId":"other","slot":1})", Format::kJson, &c, &m),
            Error::kInvalidArgument);
  EXPECT_EQ(decode_command(book, "\xff\xff\xff", Format::kProto, &c, &m), Error::kInvalidArgument);
  Route cmds = parse_route("POST", "/v1/commands");
  EXPECT_EQ(decode_command(cmds, "{}", Format::kJson, &c, &m), Error::kInvalidArgument);
  EXPECT_EQ(decode_command(cmds, R"({"createSession":{"spec":{"sessionId":"x"}}})", Format::kJson, &c, &m),
            Error::kInvalidArgument);  // start/end required
  ASSERT_EQ(decode_command(cmds, R"({"callNext":{"sessionId":"s1"},"actor":{"kind":"ACTOR_KIND_ADMIN","id":"evil"}})",
                           Format::kJson, &c, &m),
            Error::kOk)
      << m;
  EXPECT_EQ(c.actor.kind, ActorKind::kSystem);  // the client's actor is ignored
}

// Every spelling of one reference reaches the engine as the same bytes, so
// the per-patient limits (active bookings, blacklist, booking rate) hold.
TEST(DecodeCommand, PatientRefsAreNormalizedOnceAtTheEdge) {
  auto ref_of = [](const std::string& route, const std::string& ref_json, std::string* m) {
    Command c;
    std::string body = std::string(route.ends_with("walk-ins") ? "{" : R"({"slot":1,)") +
                       R"("patientRef":)" + ref_json + R"(,"patientName":"x"})";
    Error e = decode_command(parse_route("POST", route), body, Format::kJson, &c, m);
    if (e != Error::kOk) return std::string("error:") + std::string(to_string(e));
    if (auto* b = std::get_if<Book>(&c.body)) return b->patient_ref;
    if (auto* h = std::get_if<Hold>(&c.body)) return h->patient_ref;
    return std::get<RegisterWalkIn>(c.body).patient_ref;
  };
  std::string m;
  for (const std::string route : {"/v1/sessions/s1/book", "/v1/sessions/s1/holds"}) {
    EXPECT_EQ(ref_of(route, R"("HIS-42")", &m), "HIS-42");
    EXPECT_EQ(ref_of(route, R"("HIS-42 ")", &m), "HIS-42");
    EXPECT_EQ(ref_of(route, R"(" HIS-42")", &m), "HIS-42");
    EXPECT_EQ(ref_of(route, R"("\t HIS-42\n")", &m), "HIS-42");
    EXPECT_EQ(ref_of(route, R"("HIS-42\u200b")", &m), "HIS-42");          // zero-width space
    EXPECT_EQ(ref_of(route, R"("H\u00adIS-\u200d42\ufeff")", &m), "HIS-42");  // soft hyphen, ZWJ, BOM
    EXPECT_EQ(ref_of(route, R"("\uff28\uff29\uff33-42")", &m), "HIS-42");  // fullwidth ＨＩＳ
    EXPECT_EQ(ref_of(route, R"("\uff28\uff29\uff33\uff0d\uff14\uff12")", &m), "HIS-42");
    EXPECT_EQ(ref_of(route, R"("his-42")", &m), "HIS-42");  // ASCII letters: upper case
    EXPECT_EQ(ref_of(route, R"("HIS  \u3000 42")", &m), "HIS 42");  // inner white space: one space
    EXPECT_EQ(ref_of(route, R"("\u5f20\u4e09-7")", &m), "\u5f20\u4e09-7");  // Han kept
    // Empty once normalized, look-alike letters of another script, bad UTF-8.
    EXPECT_EQ(ref_of(route, R"(" \u200b ")", &m), "error:invalid_argument");
    EXPECT_NE(m.find("patientRef"), std::string::npos);
    EXPECT_EQ(ref_of(route, R"("\u041dIS-42")", &m), "error:invalid_argument");  // Cyrillic Н
    EXPECT_EQ(ref_of(route, R"("\ud800")", &m), "error:invalid_argument");
    EXPECT_EQ(ref_of(route, "\"" + std::string(129, 'A') + "\"", &m), "error:invalid_argument");
  }
  EXPECT_EQ(ref_of("/v1/sessions/s1/walk-ins", R"("HIS-42\u200b ")", &m), "HIS-42");
  // The whole-command endpoint and binary bodies get the same rule.
  Command c;
  ASSERT_EQ(decode_command(parse_route("POST", "/v1/commands"),
                           R"({"book":{"sessionId":"s1","slot":1,"patientRef":" \uff48is-42"}})",
                           Format::kJson, &c, &m),
            Error::kOk)
      << m;
  EXPECT_EQ(std::get<Book>(c.body).patient_ref, "HIS-42");
  ::queuecast::v1::Command pc;
  pc.mutable_register_walk_in()->set_session_id("s1");
  pc.mutable_register_walk_in()->set_patient_ref("HIS-42\xe2\x80\x8b");  // U+200B in UTF-8
  ASSERT_EQ(decode_command(parse_route("POST", "/v1/commands"), pc.SerializeAsString(), Format::kProto, &c, &m),
            Error::kOk)
      << m;
  EXPECT_EQ(std::get<RegisterWalkIn>(c.body).patient_ref, "HIS-42");
  pc.mutable_register_walk_in()->set_patient_ref("HIS-\xff");
  EXPECT_EQ(decode_command(parse_route("POST", "/v1/commands"), pc.SerializeAsString(), Format::kProto, &c, &m),
            Error::kInvalidArgument);
}

TEST(DecodeClientMessage, SubscribeAndPing) {
  ClientRequest r;
  std::string m;
  ASSERT_EQ(decode_client_message(R"({"subscribe":{"patient":{"token":"abc"},"lastVersion":"12"}})",
                                  Format::kJson, &r, &m),
            Error::kOk)
      << m;
  EXPECT_EQ(r.kind, ClientRequest::kSubscribe);
  EXPECT_EQ(r.who, ClientRequest::kPatient);
  EXPECT_EQ(r.token, "abc");
  EXPECT_EQ(r.last_version, 12u);
  EXPECT_FALSE(r.board);
  // A phone following the session's board.
  ASSERT_EQ(decode_client_message(R"({"subscribe":{"patient":{"token":"abc","board":true}}})",
                                  Format::kJson, &r, &m),
            Error::kOk)
      << m;
  EXPECT_EQ(r.who, ClientRequest::kPatient);
  EXPECT_TRUE(r.board);
  EXPECT_EQ(r.token, "abc");
  EXPECT_EQ(decode_client_message(R"({"subscribe":{"patient":{"token":"abc","board":[1]}}})",
                                  Format::kJson, &r, &m),
            Error::kInvalidArgument);
  // Binary: Subscribe{patient{token "abc", board true}}.
  ASSERT_EQ(decode_client_message(std::string("\x0a\x09\x0a\x07\x0a\x03" "abc" "\x10\x01", 11),
                                  Format::kProto, &r, &m),
            Error::kOk)
      << m;
  EXPECT_TRUE(r.board);
  EXPECT_EQ(r.token, "abc");
  ASSERT_EQ(decode_client_message(R"({"subscribe":{"display":{"area":"a","token":"t"}}})", Format::kJson, &r, &m),
            Error::kOk);
  EXPECT_EQ(r.who, ClientRequest::kDisplay);
  ASSERT_EQ(decode_client_message(R"({"subscribe":{"board":{"sessionId":"s1"}}})", Format::kJson, &r, &m),
            Error::kOk);
  EXPECT_EQ(r.who, ClientRequest::kBoard);
  ASSERT_EQ(decode_client_message(R"({"ping":{}})", Format::kJson, &r, &m), Error::kOk);
  EXPECT_EQ(r.kind, ClientRequest::kPing);
  EXPECT_EQ(decode_client_message("", Format::kJson, &r, &m), Error::kInvalidArgument);
  EXPECT_EQ(decode_client_message("{}", Format::kJson, &r, &m), Error::kInvalidArgument);
  EXPECT_EQ(decode_client_message("nope", Format::kJson, &r, &m), Error::kInvalidArgument);
  EXPECT_EQ(decode_client_message(R"({"subscribe":{}})", Format::kJson, &r, &m), Error::kInvalidArgument);
  // A patient subscription without a token decodes; the server answers it
  // `unauthorized` (a missing credential), see authz_matrix_test.cc.
  ASSERT_EQ(decode_client_message(R"({"subscribe":{"patient":{}}})", Format::kJson, &r, &m),
            Error::kOk);
  EXPECT_EQ(r.who, ClientRequest::kPatient);
  EXPECT_EQ(r.token, "");
  EXPECT_EQ(decode_client_message(R"({"ping":{},"extra":1})", Format::kJson, &r, &m),
            Error::kInvalidArgument);
  EXPECT_EQ(decode_client_message("\x0a\x03\x0a\x01", Format::kProto, &r, &m), Error::kInvalidArgument);
}

TEST(Wire, StatusOfEveryCode) {
  EXPECT_EQ(http_status(Error::kUnknownSession), 404);
  EXPECT_EQ(http_status(Error::kWrongState), 409);
  EXPECT_EQ(http_status(Error::kBlacklisted), 403);
  EXPECT_EQ(http_status(Error::kHoldExpired), 410);
  EXPECT_EQ(http_status(Error::kInvalidArgument), 400);
  EXPECT_EQ(http_status(Error::kUnauthorized), 401);
  EXPECT_EQ(http_status(Error::kRateLimited), 429);
  EXPECT_EQ(http_status(Error::kUnavailable), 503);
  for (int e = 1; e < kErrorCount; ++e) {
    int s = http_status(static_cast<Error>(e));
    EXPECT_GE(s, 400);
    EXPECT_LT(s, 600);
  }
  EXPECT_EQ(encode_error_body("no_capacity", "full", Format::kJson),
            R"({"error":{"code":"no_capacity","message":"full"}})");
}

TEST(Clock, Rfc3339RoundTripAndVirtualClock) {
  Time t = 0;
  ASSERT_TRUE(parse_rfc3339("2026-11-23T08:00:00+08:00", &t));
  EXPECT_EQ(format_rfc3339(t), "2026-11-23T00:00:00.000Z");
  ASSERT_TRUE(parse_rfc3339("1970-01-01T00:00:01.5Z", &t));
  EXPECT_EQ(t, 1500);
  EXPECT_FALSE(parse_rfc3339("2026-11-23 08:00", &t));
  EXPECT_FALSE(parse_rfc3339("2026-13-01T00:00:00Z", &t));
  // Civil dates either side of the epoch, leap days, a day past the month's end.
  ASSERT_TRUE(parse_rfc3339("2024-02-29T23:59:59.999Z", &t));
  EXPECT_EQ(format_rfc3339(t), "2024-02-29T23:59:59.999Z");
  ASSERT_TRUE(parse_rfc3339("1969-12-31T23:59:59.001-00:30", &t));
  EXPECT_EQ(t, 1'799'001);
  EXPECT_EQ(format_rfc3339(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339(-62135596800000), "0001-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(253402300799999), "9999-12-31T23:59:59.999Z");
  ASSERT_TRUE(parse_rfc3339("2026-02-31T00:00:00Z", &t));
  EXPECT_EQ(format_rfc3339(t), "2026-03-03T00:00:00.000Z");
  // The fraction's digits, as the JSON Timestamps print them.
  std::string s;
  auto add = [&](std::int64_t seconds, std::int32_t nanos, int digits) {
    char b[kRfc3339Max];
    if (!s.empty()) s += ' ';
    s.append(b, write_rfc3339(seconds, nanos, digits, b));
  };
  add(951782400, 0, 0);  // 2000-02-29
  add(-1, 5'000'000, 3);
  add(0, 123'456'789, 6);
  add(0, 123'456'789, 9);
  EXPECT_EQ(s, "2000-02-29T00:00:00Z 1969-12-31T23:59:59.005Z 1970-01-01T00:00:00.123456Z "
               "1970-01-01T00:00:00.123456789Z");
  VirtualClock c(1000, 1000.0);
  Time a = c.now();
  EXPECT_GE(a, 1000);
  EXPECT_GE(c.now(), a);  // never backwards
}

TEST(Config, ParsesAndRejectsTypos) {
  Config c;
  std::string e;
  ASSERT_TRUE(parse_config_json(R"({"_c":"comment","listen":"127.0.0.1:9","limits":{"ws_message_bytes":8192},
      "staff":[{"id":"n1","role":"nurse","departments":["neuro"],
                "key_sha256":"be83b605c07b1cbec75579eb136972658417312e30df69c73381a8ca09bce7f9"}]})",
                                &c, &e))
      << e;
  EXPECT_EQ(c.listen, "127.0.0.1:9");
  EXPECT_EQ(c.limits.ws_message_bytes, 8192u);
  ASSERT_EQ(c.keys.size(), 1u);
  EXPECT_EQ(c.keys[0].role, Role::kNurse);
  EXPECT_FALSE(parse_config_json(R"({"limits":{"ws_mesage_bytes":1}})", &c, &e));
  EXPECT_FALSE(parse_config_json(R"({"listne":"x"})", &c, &e));
  EXPECT_FALSE(parse_config_json(R"({"staff":[{"id":"x","key_sha256":"short"}]})", &c, &e));
  {
    // One secret is one credential; one actor has one scope (its key may
    // be rotated: two secrets, the same scope).
    const std::string h1(64, 'a'), h2(64, 'b'), h1_upper(64, 'A');
    Config k;
    EXPECT_FALSE(parse_config_json(R"({"staff":[{"id":"x","role":"admin","key_sha256":")" + h1 +
                                       R"("}],"displays":[{"area":"hall","token_sha256":")" + h1_upper + R"("}]})",
                                   &k, &e));
    EXPECT_NE(e.find("same key_sha256"), std::string::npos) << e;
    Config k2;
    EXPECT_FALSE(parse_config_json(R"({"staff":[{"id":"n1","departments":["neuro"],"key_sha256":")" + h1 +
                                       R"("},{"id":"n1","departments":["cardio"],"key_sha256":")" + h2 + R"("}]})",
                                   &k2, &e));
    EXPECT_NE(e.find("different departments"), std::string::npos) << e;
    Config ok;
    EXPECT_TRUE(parse_config_json(R"({"staff":[{"id":"n1","departments":["neuro"],"key_sha256":")" + h1 +
                                      R"("},{"id":"n1","departments":["neuro"],"key_sha256":")" + h2 +
                                      R"("}],"channels":[{"id":"n1","key_sha256":")" + std::string(64, 'c') + R"("}]})",
                                  &ok, &e))
        << e;
  }
  EXPECT_FALSE(parse_config_json("[", &c, &e));
  EXPECT_TRUE(set_limit("slow_timeout_ms=500", &c.limits, &e));
  EXPECT_EQ(c.limits.slow_timeout_ms, 500);
  EXPECT_FALSE(set_limit("nope=1", &c.limits, &e));
}

TEST(Config, TrustedProxiesAreAddressesOrNetworks) {
  Config c;
  std::string e;
  EXPECT_TRUE(c.trusted_proxies.empty());
  ASSERT_TRUE(parse_config_json(R"({"trusted_proxies":["127.0.0.1","10.0.0.0/8","fd00::/8"]})", &c, &e)) << e;
  EXPECT_TRUE(c.trusted_proxies.contains("127.0.0.1"));
  EXPECT_TRUE(c.trusted_proxies.contains("10.200.3.4"));
  EXPECT_TRUE(c.trusted_proxies.contains("::ffff:10.1.1.1"));
  EXPECT_TRUE(c.trusted_proxies.contains("fd12::1"));
  EXPECT_FALSE(c.trusted_proxies.contains("127.0.0.2"));
  EXPECT_FALSE(c.trusted_proxies.contains("11.0.0.1"));
  EXPECT_FALSE(c.trusted_proxies.contains("fe80::1"));
  EXPECT_FALSE(parse_config_json(R"({"trusted_proxies":["nginx"]})", &c, &e));
  EXPECT_NE(e.find("nginx"), std::string::npos);
  EXPECT_FALSE(parse_config_json(R"({"trusted_proxies":["10.0.0.0/33"]})", &c, &e));
  EXPECT_FALSE(parse_config_json(R"({"trusted_proxies":["::/129"]})", &c, &e));
  EXPECT_FALSE(parse_config_json(R"({"trusted_proxies":"127.0.0.1"})", &c, &e));
  EXPECT_FALSE(parse_config_json(R"({"trusted_proxies":[1]})", &c, &e));
}

TEST(Config, OutOfRangeNumbersAreRefusedNotConverted) {
  Config c;
  std::string e;
  EXPECT_FALSE(parse_config_json(R"({"limits":{"http_body_bytes":-5536}})", &c, &e));
  EXPECT_FALSE(parse_config_json(R"({"shards":1e300})", &c, &e));
  EXPECT_FALSE(parse_config_json(R"({"limits":{"ws_message_bytes":1.5}})", &c, &e));
  EXPECT_FALSE(parse_config_json(R"({"engine":{"ban_days":1e14}})", &c, &e));
  EXPECT_FALSE(parse_config_json(R"({"engine":{"noshow_window_days":-1}})", &c, &e));
  EXPECT_FALSE(set_limit("http_body_bytes=-1", &c.limits, &e));
  ASSERT_TRUE(parse_config_json(R"({"engine":{"ban_days":30},"limits":{"http_body_bytes":65536}})", &c, &e)) << e;
  EXPECT_EQ(c.engine.ban, 30 * kDay);
  EXPECT_EQ(c.limits.http_body_bytes, 65536u);
}

// Redis with replicas: the cluster's WAIT option, a sentinel:// URL, and
// the single-node store's --redis-wait-replicas.
TEST(Config, RedisWaitOptionsAndSentinelUrls) {
  Config c;
  std::string e;
  EXPECT_EQ(c.cluster.wait_replicas, 0);
  EXPECT_EQ(c.cluster.wait_timeout_ms, 500);
  ASSERT_TRUE(parse_config_json(
      R"({"cluster":{"redis":"sentinel://h1:26379,h2:26379/queuecast","wait_replicas":1,"wait_timeout_ms":250},)"
      R"("redis_wait_replicas":2,"redis_wait_timeout_ms":900})", &c, &e)) << e;
  EXPECT_EQ(c.cluster.redis, "sentinel://h1:26379,h2:26379/queuecast");
  EXPECT_EQ(c.cluster.wait_replicas, 1);
  EXPECT_EQ(c.cluster.wait_timeout_ms, 250);
  EXPECT_EQ(c.redis_wait_replicas, 2);
  EXPECT_EQ(c.redis_wait_timeout_ms, 900);
  EXPECT_FALSE(parse_config_json(R"({"cluster":{"wait_replicas":-1}})", &c, &e));
  EXPECT_FALSE(parse_config_json(R"({"cluster":{"wait_timeout_ms":0}})", &c, &e));
  EXPECT_FALSE(parse_config_json(R"({"cluster":{"redis":"tcp://h1:6379"}})", &c, &e));
  EXPECT_FALSE(parse_config_json(R"({"redis_wait_replicas":17})", &c, &e));
  Config f;
  const char* argv[] = {"queuecastd", "--redis-wait-replicas", "1"};
  ASSERT_EQ(parse_flags(3, const_cast<char**>(argv), &f, &e), 0) << e;
  EXPECT_EQ(f.redis_wait_replicas, 1);
  const char* bad[] = {"queuecastd", "--redis-wait-replicas", "one"};
  EXPECT_EQ(parse_flags(3, const_cast<char**>(bad), &f, &e), 1);
}

// The runtime's tuning knobs: configuration keys, and flags over them.
TEST(Config, CommitKnobsFromTheFileAndFlags) {
  Config c;
  std::string e;
  EXPECT_EQ(c.commit_depth, 3);
  EXPECT_TRUE(c.commit_wake);
  EXPECT_FALSE(c.redis_sync);
  EXPECT_FALSE(c.sqlite_commit_thread);
  ASSERT_TRUE(parse_config_json(
      R"({"commit_depth":1,"commit_wake":false,"redis_sync":true,"sqlite_commit_thread":true})", &c, &e))
      << e;
  EXPECT_EQ(c.commit_depth, 1);
  EXPECT_FALSE(c.commit_wake);
  EXPECT_TRUE(c.redis_sync);
  EXPECT_TRUE(c.sqlite_commit_thread);
  EXPECT_FALSE(parse_config_json(R"({"sqlite_commit_thread":"yes"})", &c, &e));
  EXPECT_FALSE(parse_config_json(R"({"commit_depth":0})", &c, &e));
  EXPECT_FALSE(parse_config_json(R"({"commit_depth":65})", &c, &e));
  EXPECT_FALSE(parse_config_json(R"({"commit_wake":1})", &c, &e));

  Config f;
  const char* argv[] = {"queuecastd", "--commit-depth", "8", "--commit-wake", "0", "--redis-sync",
                        "--sqlite-commit-thread"};
  ASSERT_EQ(parse_flags(7, const_cast<char**>(argv), &f, &e), 0) << e;
  EXPECT_EQ(f.commit_depth, 8);
  EXPECT_FALSE(f.commit_wake);
  EXPECT_TRUE(f.redis_sync);
  EXPECT_TRUE(f.sqlite_commit_thread);
  const char* bad[] = {"queuecastd", "--commit-wake", "yes"};
  EXPECT_EQ(parse_flags(3, const_cast<char**>(bad), &f, &e), 1);
}

}  // namespace
}  // namespace qc::gw
