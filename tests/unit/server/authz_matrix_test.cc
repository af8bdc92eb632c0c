// Who may act on which object: every credential kind x every command and
// read x the object's owner, against a real in-process Service and Runtime
// (docs/api.md "Credentials", the ownership table). Each cell runs on a
// fresh server, so a command that succeeds cannot change the next cell.
//
// The objects, made by an unscoped admin before each cell:
//   own   ticket/hold in session S (department neuro, area neuro-2f), booked
//         under channel "web"; the ticket's patient token is kT1
//   peer  the same in session S, booked under channel "phone" (token kT3)
//   away  the same in session C (department cardio, area cardio-1f),
//         channel "phone" (token kT2)
// A command on a session uses the object's session; a read of a display the
// object's area.
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "store/journal.h"
#include "server/runtime/command_facts.h"
#include "server/api/cluster_handler.h"
#include "server/api/service.h"
#include "server/infra/sha256.h"
#include "tests/support/sessions.h"
#include "queuecast/v1/queuecast.pb.h"
#include <google/protobuf/util/json_util.h>

namespace qc::gw {
namespace {

constexpr Time kT0 = 1'795'330'800'000;  // 2026-11-22T08:00:00Z: the sessions' start
const std::string kT1 = "11111111111111111111111111111111";
const std::string kT2 = "22222222222222222222222222222222";
const std::string kT3 = "33333333333333333333333333333333";
const std::string kUnknownToken = "99999999999999999999999999999999";

SessionSpec spec(std::string id, std::string dept, std::string area) {
  SessionSpec s = qc::test::test_session(std::move(id), std::move(dept), std::move(area), kT0, 8);
  s.cancel_deadline = kT0;
  return s;
}

// The credentials (the matrix's columns).
struct Cred {
  const char* name;
  std::string secret;  // "" = none
};
const std::vector<Cred>& creds() {
  static const std::vector<Cred> c = {
      {"admin", "k-admin"},          {"admin scoped neuro", "k-admin-neuro"},
      {"nurse in scope (neuro)", "k-nurse-neuro"},
      {"nurse of session C", "k-nurse-c"},
      {"channel web", "k-web"},      {"kiosk neuro", "k-kiosk"},
      {"display neuro-2f", "k-display"},
      {"patient kT1", kT1},          {"patient unknown token", kUnknownToken},
      {"none", ""},
  };
  return c;
}

KeyEntry key(Role role, std::string id, std::string secret, std::vector<std::string> depts = {},
             std::vector<std::string> sessions = {}) {
  return KeyEntry{role, std::move(id), sha256_hex(secret), std::move(depts), std::move(sessions)};
}

enum class Obj { kOwn, kPeer, kAway };
const char* name(Obj o) { return o == Obj::kOwn ? "own" : o == Obj::kPeer ? "peer" : "away"; }
std::string session_of(Obj o) { return o == Obj::kAway ? "C" : "S"; }
std::string area_of(Obj o) { return o == Obj::kAway ? "cardio-1f" : "neuro-2f"; }
std::string ticket_of(Obj o) {
  return o == Obj::kOwn ? "S-web-1" : o == Obj::kPeer ? "S-phone-1" : "C-phone-1";
}
std::string hold_of(Obj o) {
  return o == Obj::kOwn ? "S-web-h" : o == Obj::kPeer ? "S-phone-h" : "C-phone-h";
}

class Server {
 public:
  // `priority_channels`: the configuration's priority.channels.
  explicit Server(std::vector<std::string> priority_channels = {}) {
    config_.keys = {
        key(Role::kAdmin, "boss", "k-admin"),
        key(Role::kAdmin, "neuro-boss", "k-admin-neuro", {"neuro"}),
        key(Role::kNurse, "n1", "k-nurse-neuro", {"neuro"}),
        key(Role::kNurse, "n2", "k-nurse-c", {}, {"C"}),
        key(Role::kChannel, "web", "k-web"),
        key(Role::kChannel, "phone", "k-phone"),
        key(Role::kKiosk, "kiosk1", "k-kiosk", {"neuro"}),
        key(Role::kDisplay, "neuro-2f", "k-display"),
    };
    config_.priority.channels = std::move(priority_channels);
    for (KeyEntry& k : config_.keys)
      k.sets_priority = k.role == Role::kChannel &&
                        std::count(config_.priority.channels.begin(), config_.priority.channels.end(), k.id);
    keys_ = std::make_unique<KeyStore>(config_.keys);
    runtime_ = std::make_unique<Runtime>(RuntimeOptions{}, clock_, metrics_,
                                         journal::make_memory_journal());
    std::string err;
    EXPECT_TRUE(runtime_->recover(&err)) << err;
    runtime_->start();
    service_ = std::make_unique<Service>(config_, *runtime_, *keys_, metrics_);
    const Principal admin{Role::kAdmin, "setup", {}, {}};
    for (CommandBody b : std::vector<CommandBody>{
             DefineChannel{Channel{"web", 0, 0}}, DefineChannel{Channel{"phone", 0, 0}},
             CreateSession{spec("S", "neuro", "neuro-2f")},
             CreateSession{spec("C", "cardio", "cardio-1f")},
             Book{"S", 1, "p-own", "Own", "S-web-1", "web", kT1},
             Book{"S", 1, "p-peer", "Peer", "S-phone-1", "phone", kT3},
             Book{"C", 1, "p-away", "Away", "C-phone-1", "phone", kT2},
             Hold{"S", 2, "q-own", "Own", "web", 0, "S-web-h"},
             Hold{"S", 2, "q-peer", "Peer", "phone", 0, "S-phone-h"},
             Hold{"C", 2, "q-away", "Away", "phone", 0, "C-phone-h"},
         }) {
      CommandOutcome o = run(std::move(b), admin);
      EXPECT_EQ(o.error, Error::kOk) << o.message;
    }
  }
  ~Server() { runtime_->stop(); }

  CommandOutcome run(CommandBody body, Principal who) {
    std::promise<CommandOutcome> p;
    CommandRequest r;
    r.command.actor = who.actor();
    r.command.body = std::move(body);
    r.principal = std::move(who);
    r.done = [&p](CommandOutcome o) { p.set_value(std::move(o)); };
    runtime_->submit(std::move(r));
    return p.get_future().get();
  }

  HttpResponse http(std::string method, std::string target, std::string secret,
                    std::string body = "") {
    HttpRequest req;
    req.method = std::move(method);
    req.target = std::move(target);
    req.body = std::move(body);
    req.content_type = "application/json";
    req.client = "127.0.0.1";
    if (!secret.empty()) req.authorization = "Bearer " + secret;
    std::promise<HttpResponse> p;
    service_->handle(std::move(req), [&p](HttpResponse r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }

  Service& service() { return *service_; }

 private:
  Config config_;
  VirtualClock clock_{kT0 - 30 * kMinute, 1.0};
  Metrics metrics_;
  std::unique_ptr<KeyStore> keys_;
  std::unique_ptr<Runtime> runtime_;
  std::unique_ptr<Service> service_;
};

struct Request {
  const char* method;
  std::string target;
  std::string body;
};

// A command or read, and who may do it: one letter per credential, in the
// order of creds():
//   A  allowed on every object        D  403 on every object
//   S  allowed on objects of session S (own, peer), 403 on away
//   C  allowed on objects of session C (away), 403 on own and peer
//   O  allowed on the own object only, 403 on peer and away
//   U  401 on every object
// "Allowed" = neither 401 nor 403 (the engine may still refuse, e.g. a call
// of a BOOKED ticket is wrong_state).
struct Row {
  const char* what;
  Request (*request)(Obj);
  const char* rule;
};

std::string ticket_path(Obj o, const char* action) {
  return "/v1/tickets/" + ticket_of(o) + "/" + action;
}
std::string session_path(Obj o, const char* action) {
  return "/v1/sessions/" + session_of(o) + "/" + action;
}

// A SessionSpec (JSON) of a new session.
std::string new_session(const std::string& id, const std::string& dept, const std::string& area) {
  return R"({"sessionId":")" + id + R"(","doctorId":"d","doctorName":"D","department":")" + dept +
         R"(","room":"1","area":")" + area +
         R"(","start":"2026-11-22T08:00:00Z","end":"2026-11-22T12:00:00Z",)"
         R"("registrationOpen":"2026-11-22T07:00:00Z","slotMinutes":60,)"
         R"("appointmentQuota":[1,1,1,1],"walkinQuota":[1,1,1,1]})";
}
// A new session "N" in the object's department and area.
std::string new_session_of(Obj o) {
  return o == Obj::kAway ? new_session("N", "cardio", "cardio-1f") : new_session("N", "neuro", "neuro-2f");
}
std::string token_of(Obj o) { return o == Obj::kOwn ? kT1 : o == Obj::kPeer ? kT3 : kT2; }
// POST /v1/commands with one command: {"<kind>":{<fields>}}.
Request cmd(const char* kind, const std::string& fields) {
  return Request{"POST", "/v1/commands", std::string("{\"") + kind + "\":{" + fields + "}}"};
}
Request ticket_cmd(const char* kind, Obj o) { return cmd(kind, R"("ticketId":")" + ticket_of(o) + "\""); }
Request session_cmd(const char* kind, Obj o) { return cmd(kind, R"("sessionId":")" + session_of(o) + "\""); }

const std::vector<Row>& rows() {
  static const std::vector<Row> r = {
      // Commands: administration.
      {"create_session", [](Obj o) { return Request{"POST", "/v1/sessions", new_session_of(o)}; },
       "ASDDDDDDDU"},
      {"define_channel",
       [](Obj) { return Request{"POST", "/v1/commands", R"({"defineChannel":{"channel":{"channelId":"app"}}})"}; },
       "ADDDDDDDDU"},
      {"define_template",
       [](Obj) {
         return Request{"POST", "/v1/commands",
                        R"({"defineTemplate":{"template":{"templateId":"t","department":"neuro"}}})"};
       },
       "ADDDDDDDDU"},
      {"generate_sessions",
       [](Obj) { return Request{"POST", "/v1/commands", R"({"generateSessions":{"from":"2026-11-23T00:00:00Z","days":1}})"}; },
       "ADDDDDDDDU"},
      {"adjust_quotas",
       [](Obj) {
         return Request{"POST", "/v1/commands",
                        R"({"adjustQuotas":{"doctorId":"d","from":"2026-11-23T00:00:00Z","to":"2026-11-24T00:00:00Z",)"
                        R"("appointmentQuota":[1,1,1,1],"walkinQuota":[1,1,1,1]}})"};
       },
       "ADDDDDDDDU"},
      {"doctor_leave",
       [](Obj) {
         return Request{"POST", "/v1/commands",
                        R"({"doctorLeave":{"doctorId":"d","from":"2026-11-23T00:00:00Z","to":"2026-11-24T00:00:00Z","reason":"x"}})"};
       },
       "ADDDDDDDDU"},
      // Booking.
      {"book",
       [](Obj o) { return Request{"POST", session_path(o, "book"), R"({"slot":0,"patientRef":"p-new","patientName":"N"})"}; },
       "ASSCADDDDU"},
      {"hold",
       [](Obj o) { return Request{"POST", session_path(o, "holds"), R"({"slot":0,"patientRef":"p-new","patientName":"N"})"}; },
       "ASSCADDDDU"},
      {"confirm", [](Obj o) { return Request{"POST", "/v1/holds/" + hold_of(o) + "/confirm", "{}"}; },
       "ASSCODDDDU"},
      {"release", [](Obj o) { return Request{"DELETE", "/v1/holds/" + hold_of(o), ""}; },
       "ASSCODDDDU"},
      {"cancel", [](Obj o) { return Request{"POST", ticket_path(o, "cancel"), ""}; },
       "ASSCODDOUU"},
      // The waiting room.
      {"walk_in",
       [](Obj o) { return Request{"POST", session_path(o, "walk-ins"), R"({"patientRef":"p-walk","patientName":"W"})"}; },
       "ASSCDSDDDU"},
      {"check_in", [](Obj o) { return Request{"POST", ticket_path(o, "check-in"), ""}; },
       "ASSCDSDDDU"},
      {"check_in by label",
       [](Obj o) { return Request{"POST", session_path(o, "check-in"), R"({"label":"A001"})"}; },
       "ASSCDSDDDU"},
      {"check_in by patientRef",
       [](Obj o) { return Request{"POST", session_path(o, "check-in"), R"({"patientRef":"p-)" + std::string(name(o)) + R"("})"}; },
       "ASSCDSDDDU"},
      {"call_next", [](Obj o) { return Request{"POST", session_path(o, "call-next"), ""}; },
       "ASSCDDDDDU"},
      {"undo", [](Obj o) { return Request{"POST", session_path(o, "undo"), ""}; }, "ASSCDDDDDU"},
      {"call", [](Obj o) { return Request{"POST", ticket_path(o, "call"), ""}; }, "ASSCDDDDDU"},
      {"recall", [](Obj o) { return Request{"POST", ticket_path(o, "recall"), ""}; }, "ASSCDDDDDU"},
      {"complete", [](Obj o) { return Request{"POST", ticket_path(o, "complete"), ""}; }, "ASSCDDDDDU"},
      {"missed", [](Obj o) { return Request{"POST", ticket_path(o, "missed"), ""}; }, "ASSCDDDDDU"},
      {"return", [](Obj o) { return Request{"POST", ticket_path(o, "return"), ""}; }, "ASSCDDDDDU"},
      {"move_to_next", [](Obj o) { return Request{"POST", ticket_path(o, "move-to-next"), ""}; },
       "ASSCDDDDDU"},
      {"pause", [](Obj o) { return Request{"POST", session_path(o, "pause"), ""}; }, "ASSCDDDDDU"},
      {"resume", [](Obj o) { return Request{"POST", session_path(o, "resume"), ""}; }, "ASSCDDDDDU"},
      {"suspend", [](Obj o) { return Request{"POST", session_path(o, "suspend"), R"({"reason":"ill"})"}; },
       "ASSCDDDDDU"},
      {"close", [](Obj o) { return Request{"POST", session_path(o, "close"), ""}; }, "ASSCDDDDDU"},
      // The clinical flow: staff give priority and send for tests; a patient
      // back from tests checks in again at the kiosk (like check_in).
      {"set_priority",
       [](Obj o) { return Request{"POST", ticket_path(o, "set-priority"), R"({"priority":"elderly"})"}; },
       "ASSCDDDDDU"},
      {"send_for_tests", [](Obj o) { return Request{"POST", ticket_path(o, "send-for-tests"), ""}; },
       "ASSCDDDDDU"},
      {"return_from_tests", [](Obj o) { return Request{"POST", ticket_path(o, "return-from-tests"), ""}; },
       "ASSCDSDDDU"},
      // A priority given at booking or registration: staff only here (the
      // configuration allows no channel; a kiosk never).
      {"book with priority",
       [](Obj o) {
         return Request{"POST", session_path(o, "book"),
                        R"({"slot":0,"patientRef":"p-new","patientName":"N","priority":"elderly"})"};
       },
       "ASSCDDDDDU"},
      {"hold with priority",
       [](Obj o) {
         return Request{"POST", session_path(o, "holds"),
                        R"({"slot":0,"patientRef":"p-new","patientName":"N","priority":"military"})"};
       },
       "ASSCDDDDDU"},
      {"walk_in with priority",
       [](Obj o) {
         return Request{"POST", session_path(o, "walk-ins"),
                        R"({"patientRef":"p-walk","patientName":"W","priority":"pregnant"})"};
       },
       "ASSCDDDDDU"},
      {"tick (POST /v1/commands)", [](Obj) { return Request{"POST", "/v1/commands", R"({"tick":{}})"}; },
       "DDDDDDDDDU"},
      // Every command kind through POST /v1/commands: the same rule as its
      // own endpoint.
      {"/v1/commands createSession",
       [](Obj o) { return Request{"POST", "/v1/commands", R"({"createSession":{"spec":)" + new_session_of(o) + "}}"}; },
       "ASDDDDDDDU"},
      {"/v1/commands book",
       [](Obj o) { return cmd("book", R"("sessionId":")" + session_of(o) + R"(","slot":0,"patientRef":"p-new","patientName":"N")"); },
       "ASSCADDDDU"},
      {"/v1/commands hold",
       [](Obj o) { return cmd("hold", R"("sessionId":")" + session_of(o) + R"(","slot":0,"patientRef":"p-new","patientName":"N")"); },
       "ASSCADDDDU"},
      {"/v1/commands confirm", [](Obj o) { return cmd("confirm", R"("holdId":")" + hold_of(o) + "\""); },
       "ASSCODDDDU"},
      {"/v1/commands release", [](Obj o) { return cmd("release", R"("holdId":")" + hold_of(o) + "\""); },
       "ASSCODDDDU"},
      {"/v1/commands cancel", [](Obj o) { return ticket_cmd("cancel", o); }, "ASSCODDOUU"},
      {"/v1/commands registerWalkIn",
       [](Obj o) { return cmd("registerWalkIn", R"("sessionId":")" + session_of(o) + R"(","patientRef":"p-walk","patientName":"W")"); },
       "ASSCDSDDDU"},
      {"/v1/commands checkIn", [](Obj o) { return ticket_cmd("checkIn", o); }, "ASSCDSDDDU"},
      {"/v1/commands callNext", [](Obj o) { return session_cmd("callNext", o); }, "ASSCDDDDDU"},
      {"/v1/commands undo", [](Obj o) { return session_cmd("undo", o); }, "ASSCDDDDDU"},
      {"/v1/commands callTicket", [](Obj o) { return ticket_cmd("callTicket", o); }, "ASSCDDDDDU"},
      {"/v1/commands recall", [](Obj o) { return ticket_cmd("recall", o); }, "ASSCDDDDDU"},
      {"/v1/commands complete", [](Obj o) { return ticket_cmd("complete", o); }, "ASSCDDDDDU"},
      {"/v1/commands markMissed", [](Obj o) { return ticket_cmd("markMissed", o); }, "ASSCDDDDDU"},
      {"/v1/commands return", [](Obj o) { return ticket_cmd("return", o); }, "ASSCDDDDDU"},
      {"/v1/commands moveToNext", [](Obj o) { return ticket_cmd("moveToNext", o); }, "ASSCDDDDDU"},
      {"/v1/commands pause", [](Obj o) { return session_cmd("pause", o); }, "ASSCDDDDDU"},
      {"/v1/commands resume", [](Obj o) { return session_cmd("resume", o); }, "ASSCDDDDDU"},
      {"/v1/commands suspendSession",
       [](Obj o) { return cmd("suspendSession", R"("sessionId":")" + session_of(o) + R"(","reason":"ill")"); },
       "ASSCDDDDDU"},
      {"/v1/commands closeSession", [](Obj o) { return session_cmd("closeSession", o); }, "ASSCDDDDDU"},
      {"/v1/commands setPriority",
       [](Obj o) { return cmd("setPriority", R"("ticketId":")" + ticket_of(o) + R"(","priority":"disabled")"); },
       "ASSCDDDDDU"},
      {"/v1/commands sendForTests", [](Obj o) { return ticket_cmd("sendForTests", o); }, "ASSCDDDDDU"},
      {"/v1/commands returnFromTests", [](Obj o) { return ticket_cmd("returnFromTests", o); },
       "ASSCDSDDDU"},
      {"/v1/commands book with priority",
       [](Obj o) {
         return cmd("book", R"("sessionId":")" + session_of(o) +
                                R"(","slot":0,"patientRef":"p-new","patientName":"N","priority":"elderly")");
       },
       "ASSCDDDDDU"},
      {"/v1/commands registerWalkIn with priority",
       [](Obj o) {
         return cmd("registerWalkIn", R"("sessionId":")" + session_of(o) +
                                          R"(","patientRef":"p-walk","patientName":"W","priority":"elderly")");
       },
       "ASSCDDDDDU"},
      // Check-in without the session in the path.
      {"POST /v1/check-in by token",
       [](Obj o) { return Request{"POST", "/v1/check-in", R"({"token":")" + token_of(o) + R"("})"}; },
       "ASSCDSDDDU"},
      {"POST /v1/check-in by session and label",
       [](Obj o) { return Request{"POST", "/v1/check-in", R"({"sessionId":")" + session_of(o) + R"(","label":"A001"})"}; },
       "ASSCDSDDDU"},
      // By patientRef alone only the key's scope is searched: a patient
      // outside it is not found (404), never 403 (that would say it exists).
      {"POST /v1/check-in by patientRef",
       [](Obj o) { return Request{"POST", "/v1/check-in", R"({"patientRef":"p-)" + std::string(name(o)) + R"("})"}; },
       "AAAADADDDU"},
      // Reads.
      {"GET session", [](Obj o) { return Request{"GET", "/v1/sessions/" + session_of(o), ""}; },
       "ASSCDDDDDU"},
      // A kiosk lists the sessions of its scope (its doctor choice), without tickets.
      {"GET sessions", [](Obj) { return Request{"GET", "/v1/sessions", ""}; }, "AAAADADDDU"},
      {"GET board", [](Obj o) { return Request{"GET", session_path(o, "board"), ""}; }, "AAAAAAAAAA"},
      {"GET ticket", [](Obj o) { return Request{"GET", "/v1/tickets/" + ticket_of(o), ""}; },
       "ASSCDDDOUU"},
      {"GET me", [](Obj) { return Request{"GET", "/v1/me", ""}; }, "DDDDDDDAUU"},
      {"GET display", [](Obj o) { return Request{"GET", "/v1/areas/" + area_of(o) + "/display", ""}; },
       "ASSCDDSDDU"},
  };
  return r;
}

enum class Want { kAllowed, kForbidden, kUnauthorized };

Want want(char rule, Obj o) {
  switch (rule) {
    case 'A': return Want::kAllowed;
    case 'D': return Want::kForbidden;
    case 'U': return Want::kUnauthorized;
    case 'S': return o != Obj::kAway ? Want::kAllowed : Want::kForbidden;
    case 'C': return o == Obj::kAway ? Want::kAllowed : Want::kForbidden;
    case 'O': return o == Obj::kOwn ? Want::kAllowed : Want::kForbidden;
  }
  ADD_FAILURE() << "bad rule " << rule;
  return Want::kForbidden;
}

void expect_status(Want w, int status) {
  switch (w) {
    case Want::kAllowed:
      EXPECT_NE(status, 401);
      EXPECT_NE(status, 403);
      break;
    case Want::kForbidden:
      EXPECT_EQ(status, 403);
      break;
    case Want::kUnauthorized:
      EXPECT_EQ(status, 401);
      break;
  }
}

TEST(AuthzMatrix, EveryCredentialEveryCommandAndReadOwnAndOthersObjects) {
  ASSERT_EQ(creds().size(), 10u);
  int cells = 0;
  for (const Row& row : rows()) {
    ASSERT_EQ(std::string_view(row.rule).size(), creds().size()) << row.what;
    for (std::size_t c = 0; c < creds().size(); ++c) {
      for (Obj o : {Obj::kOwn, Obj::kPeer, Obj::kAway}) {
        Server server;
        Request rq = row.request(o);
        HttpResponse r = server.http(rq.method, rq.target, creds()[c].secret, rq.body);
        const Want w = want(row.rule[c], o);
        SCOPED_TRACE(std::string(row.what) + " by " + creds()[c].name + " on " + name(o) +
                     " object: " + std::to_string(r.status) + " " + r.body);
        ++cells;
        expect_status(w, r.status);
        // A refusal never shows another patient's reference or token.
        if (r.status == 401 || r.status == 403) {
          for (const char* secret : {"p-own", "p-peer", "p-away", "q-own", "q-peer", "q-away",
                                     "P-OWN", "P-PEER", "P-AWAY", "Q-OWN", "Q-PEER", "Q-AWAY"})
            EXPECT_EQ(r.body.find(secret), std::string::npos);
          for (const std::string& t : {kT1, kT2, kT3}) EXPECT_EQ(r.body.find(t), std::string::npos);
        }
      }
    }
  }
  EXPECT_EQ(cells, static_cast<int>(rows().size() * creds().size() * 3));
}

// A command sent in a batch (POST /v1/commands:batch) is authorized as
// through POST /v1/commands: every /v1/commands row, as the one command of
// a batch, gets the row's answer in its result (the batch itself is 200).
TEST(AuthzMatrix, ACommandInABatchIsAuthorizedAsThroughCommands) {
  int cells = 0;
  for (const Row& row : rows()) {
    if (row.request(Obj::kOwn).target != "/v1/commands") continue;
    for (std::size_t c = 0; c < creds().size(); ++c) {
      for (Obj o : {Obj::kOwn, Obj::kPeer, Obj::kAway}) {
        Server server;
        const std::string body = R"({"commands":[{"command":)" + row.request(o).body + "}]}";
        HttpResponse r = server.http("POST", "/v1/commands:batch", creds()[c].secret, body);
        SCOPED_TRACE(std::string(row.what) + " in a batch by " + creds()[c].name + " on " +
                     name(o) + " object: " + std::to_string(r.status) + " " + r.body);
        ASSERT_EQ(r.status, 200);
        queuecast::v1::CommandBatchResult result;
        ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.body, &result).ok());
        ASSERT_EQ(result.results_size(), 1);
        expect_status(want(row.rule[c], o), result.results(0).status());
        ++cells;
      }
    }
  }
  EXPECT_GT(cells, 20 * 30);
}

// Every command kind of the proto has a row sending it through POST
// /v1/commands: a new kind fails here until the matrix says who may send it.
TEST(AuthzMatrix, EveryCommandKindOfTheProtoHasARow) {
  std::set<std::string> sent;
  for (const Row& row : rows()) {
    Request rq = row.request(Obj::kOwn);
    if (rq.target != "/v1/commands") continue;
    ASSERT_EQ(rq.body.rfind("{\"", 0), 0u) << rq.body;
    sent.insert(rq.body.substr(2, rq.body.find('"', 2) - 2));
  }
  const auto* body = queuecast::v1::Command::descriptor()->FindOneofByName("body");
  ASSERT_NE(body, nullptr);
  for (int i = 0; i < body->field_count(); ++i)
    EXPECT_TRUE(sent.count(body->field(i)->json_name())) << "no /v1/commands row for " << body->field(i)->name();
}

// The allowed cells that matter most really happen (not only "not refused").
TEST(AuthzMatrix, OwnersSucceed) {
  {
    Server s;
    EXPECT_EQ(s.http("POST", "/v1/tickets/S-web-1/cancel", "k-web").status, 200);
  }
  {
    Server s;
    EXPECT_EQ(s.http("POST", "/v1/tickets/S-web-1/cancel", kT1).status, 200);
  }
  {
    Server s;
    EXPECT_EQ(s.http("POST", "/v1/tickets/S-phone-1/cancel", "k-nurse-neuro").status, 200);
  }
  {
    Server s;
    EXPECT_EQ(s.http("POST", "/v1/holds/S-web-h/confirm", "k-web", "{}").status, 201);
    EXPECT_EQ(s.http("DELETE", "/v1/holds/S-phone-h", "k-phone").status, 200);
  }
  {
    Server s;  // a scoped nurse reads the display of an area of its department
    HttpResponse r = s.http("GET", "/v1/areas/neuro-2f/display", "k-nurse-neuro");
    EXPECT_EQ(r.status, 200) << r.body;
  }
}

// A scoped admin's session cannot enter an area used by another department:
// it would put a room on their screens and open their display (with their
// patients' masked names) to the admin and its nurses.
TEST(AuthzMatrix, AScopedAdminCreatesSessionsOnlyInAreasOfItsScope) {
  auto create = [](Server& s, const std::string& key, const std::string& id, const std::string& dept,
                   const std::string& area) { return s.http("POST", "/v1/sessions", key, new_session(id, dept, area)); };
  Server s;
  HttpResponse r = create(s, "k-admin-neuro", "N1", "neuro", "cardio-1f");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(s.http("GET", "/v1/areas/cardio-1f/display", "k-nurse-neuro").status, 403);
  EXPECT_EQ(s.http("GET", "/v1/areas/cardio-1f/display", "k-admin-neuro").status, 403);
  EXPECT_EQ(s.http("GET", "/v1/sessions/N1", "k-admin").status, 404);  // nothing was created
  // Its own department's area, or a new one: fine.
  EXPECT_EQ(create(s, "k-admin-neuro", "N2", "neuro", "neuro-2f").status, 201);
  EXPECT_EQ(create(s, "k-admin-neuro", "N3", "neuro", "neuro-9f").status, 201);
  // An unscoped admin may mix departments in one area (a shared hall).
  EXPECT_EQ(create(s, "k-admin", "N4", "neuro", "cardio-1f").status, 201);
}

// A channel gives a priority reason only where the configuration allows it
// (priority.channels); staff always may; a reason not in the
// configuration's list is invalid_argument for everyone, in a batch too.
TEST(AuthzMatrix, PriorityChannelsAndReasonsAreTheConfigurations) {
  const std::string book = R"({"slot":0,"patientRef":"p-new","patientName":"N","priority":"elderly"})";
  {
    Server s({"web"});
    HttpResponse r = s.http("POST", "/v1/sessions/S/book", "k-web", book);
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_NE(r.body.find("prioritySet"), std::string::npos) << r.body;
    EXPECT_EQ(s.http("POST", "/v1/sessions/S/book", "k-phone", book).status, 403);
    EXPECT_EQ(s.http("POST", "/v1/sessions/S/holds", "k-web",
                     R"({"slot":0,"patientRef":"p-h","patientName":"N","priority":"pregnant"})")
                  .status,
              201);
    // Without a priority the other channel books as before.
    EXPECT_EQ(s.http("POST", "/v1/sessions/S/book", "k-phone",
                     R"({"slot":0,"patientRef":"p-x","patientName":"N"})")
                  .status,
              201);
    // A channel allowed to give a priority at booking still may not set one later.
    EXPECT_EQ(s.http("POST", "/v1/tickets/S-web-1/set-priority", "k-web", R"({"priority":"elderly"})").status,
              403);
  }
  Server s;
  for (const char* who : {"k-admin", "k-nurse-neuro", "k-web", "k-kiosk"}) {
    HttpResponse r = s.http("POST", "/v1/sessions/S/walk-ins", who,
                            R"({"patientRef":"p-w","patientName":"W","priority":"vip"})");
    EXPECT_EQ(r.status, 400) << who << " " << r.body;
    EXPECT_NE(r.body.find("unknown priority reason"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("elderly"), std::string::npos) << "names the allowed reasons";
  }
  HttpResponse r = s.http("POST", "/v1/tickets/S-web-1/set-priority", "k-nurse-neuro", R"({"priority":"VIP"})");
  EXPECT_EQ(r.status, 400) << r.body;
  r = s.http("POST", "/v1/commands:batch", "k-nurse-neuro",
             R"({"commands":[{"command":{"setPriority":{"ticketId":"S-web-1","priority":"vip"}}},)"
             R"({"command":{"setPriority":{"ticketId":"S-web-1","priority":"elderly"}}}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  queuecast::v1::CommandBatchResult result;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.body, &result).ok());
  ASSERT_EQ(result.results_size(), 2);
  EXPECT_EQ(result.results(0).status(), 400);
  EXPECT_EQ(result.results(0).error().code(), "invalid_argument");
  EXPECT_NE(result.results(1).status(), 400);
  EXPECT_NE(result.results(1).status(), 403);
  // set-priority needs its body: an empty one is not "remove".
  EXPECT_EQ(s.http("POST", "/v1/tickets/S-web-1/set-priority", "k-nurse-neuro").status, 400);
}

// A channel cannot tell another channel's ticket or hold from one that does
// not exist: both are 403, with the same body; nothing changes.
TEST(AuthzMatrix, AChannelSeesOthersObjectsAsMissing) {
  Server s;
  HttpResponse other = s.http("POST", "/v1/tickets/S-phone-1/cancel", "k-web");
  HttpResponse missing = s.http("POST", "/v1/tickets/S-nothing-1/cancel", "k-web");
  EXPECT_EQ(other.status, 403);
  EXPECT_EQ(missing.status, 403);
  EXPECT_EQ(other.body, missing.body);
  HttpResponse hold_other = s.http("POST", "/v1/holds/C-phone-h/confirm", "k-web", "{}");
  HttpResponse hold_missing = s.http("POST", "/v1/holds/C-nothing-h/confirm", "k-web", "{}");
  EXPECT_EQ(hold_other.status, 403);
  EXPECT_EQ(hold_missing.status, 403);
  EXPECT_EQ(hold_other.body, hold_missing.body);
  EXPECT_EQ(s.http("DELETE", "/v1/holds/S-phone-h", "k-web").status, 403);
  // Untouched: their owner still acts on them.
  EXPECT_EQ(s.http("POST", "/v1/tickets/S-phone-1/cancel", "k-phone").status, 200);
  EXPECT_EQ(s.http("POST", "/v1/holds/C-phone-h/confirm", "k-phone", "{}").status, 201);
}

// Ownership follows the booking through a hold: the ticket confirmed from a
// channel's hold is that channel's.
TEST(AuthzMatrix, AConfirmedHoldsTicketBelongsToTheHoldsChannel) {
  Server s;
  HttpResponse c = s.http("POST", "/v1/holds/S-phone-h/confirm", "k-phone", R"({"ticketId":"his-77"})");
  ASSERT_EQ(c.status, 201) << c.body;
  EXPECT_EQ(s.http("POST", "/v1/tickets/his-77/cancel", "k-web").status, 403);
  EXPECT_EQ(s.http("POST", "/v1/tickets/his-77/cancel", "k-phone").status, 200);
}

class FakeSub final : public Subscriber {
 public:
  Format format() const override { return Format::kJson; }
  void deliver(const Topic&, Frame) override {}
  void send_control(std::shared_ptr<const std::string>) override {}
};

SubscribeResult subscribe(Server& s, std::string_view json) {
  ClientRequest req;
  std::string msg;
  Error e = decode_client_message(json, Format::kJson, &req, &msg);
  if (e != Error::kOk) return SubscribeResult{e, msg, {}};
  auto sub = std::make_shared<FakeSub>();
  std::promise<SubscribeResult> p;
  s.service().subscribe(req, sub, [&p](SubscribeResult r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

// WebSocket subscriptions follow the same rules: a missing credential is
// `unauthorized`; staff in scope of a session of an area follow its display.
TEST(AuthzMatrix, WebSocketSubscriptions) {
  Server s;
  EXPECT_EQ(subscribe(s, R"({"subscribe":{"patient":{}}})").error, Error::kUnauthorized);
  EXPECT_EQ(subscribe(s, R"({"subscribe":{"patient":{"token":""}}})").error, Error::kUnauthorized);
  EXPECT_EQ(subscribe(s, R"({"subscribe":{"display":{"area":"neuro-2f"}}})").error,
            Error::kUnauthorized);
  EXPECT_EQ(subscribe(s, R"({"subscribe":{"staff":{"sessionId":"S"}}})").error,
            Error::kUnauthorized);
  EXPECT_EQ(subscribe(s, R"({"subscribe":{"display":{"area":"neuro-2f","token":"k-nurse-neuro"}}})").error,
            Error::kOk);
  EXPECT_EQ(subscribe(s, R"({"subscribe":{"display":{"area":"cardio-1f","token":"k-nurse-neuro"}}})").error,
            Error::kForbidden);
  EXPECT_EQ(subscribe(s, R"({"subscribe":{"display":{"area":"neuro-2f","token":"k-display"}}})").error,
            Error::kOk);
  EXPECT_EQ(subscribe(s, R"({"subscribe":{"display":{"area":"cardio-1f","token":"k-display"}}})").error,
            Error::kForbidden);
  EXPECT_EQ(subscribe(s, R"({"subscribe":{"staff":{"sessionId":"C","key":"k-nurse-neuro"}}})").error,
            Error::kForbidden);
  EXPECT_EQ(subscribe(s, R"({"subscribe":{"patient":{"token":")" + kT1 + R"("}}})").error, Error::kOk);
}

// GET /v1/cluster (cluster mode, docs/cluster.md): which node serves what,
// for an unscoped admin only; the nodes' internal endpoints answer no
// credential at all (they need the cluster's secret).
TEST(AuthzMatrix, TheClusterStatusIsForAnUnscopedAdminOnly) {
  Server s;
  ClusterOptions o;
  o.node_id = "n0";
  o.partitions = 1;
  ClusterMember member(o, s.service().runtime(), s.service().metrics());  // not started: no Redis
  ClusterHandler cluster(s.service(), member, nullptr, "the-cluster-secret-0123");
  auto ask = [&](const std::string& method, const std::string& target, const std::string& secret) {
    HttpRequest req;
    req.method = method;
    req.target = target;
    req.client = "127.0.0.1";
    if (!secret.empty()) req.authorization = "Bearer " + secret;
    std::promise<HttpResponse> p;
    cluster.handle(std::move(req), [&p](HttpResponse r) { p.set_value(std::move(r)); });
    return p.get_future().get().status;
  };
  for (const Cred& c : creds()) {
    const std::string who = c.name;
    const int expected = who == "admin" ? 200 : who == "none" ? 401 : 403;
    EXPECT_EQ(ask("GET", "/v1/cluster", c.secret), expected) << who;
    EXPECT_EQ(ask("POST", "/internal/v1/follow", c.secret), 404) << who;
  }
}

}  // namespace
}  // namespace qc::gw
