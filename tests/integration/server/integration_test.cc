// Integration tests: the real queuecastd binary on an ephemeral port, real
// HTTP and WebSocket clients (Beast). Each test starts its own server with
// the example configuration (demo keys) and an in-memory store.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "server/infra/clock.h"
#include "tests/support/daemon.h"
#include "tests/support/http_client.h"
#include "tests/support/ws_client.h"
#include "queuecast/v1/queuecast.pb.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

const char* kNurse = "demo-nurse-key";         // nurse n17, department neuro
const char* kCardioNurse = "demo-nurse-cardio-key";
const char* kAdmin = "demo-admin-key";
const char* kDisplay = "demo-display-neuro";   // area neuro-2f
const char* kChannel = "demo-channel-web";

// ------------------------------------------------------------ the server --

// queuecastd with the booking rate limits out of the way (a test that
// wants them passes its own --limit, which wins).
class Daemon : public qc::test::Daemon {
 public:
  explicit Daemon(std::vector<std::string> extra = {}) : qc::test::Daemon(with_limits(std::move(extra))) {}

 private:
  static std::vector<std::string> with_limits(std::vector<std::string> extra) {
    std::vector<std::string> a = {"--limit", "booking_per_address_per_minute=100000",
                                  "--limit", "booking_per_patient_per_minute=100000"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
};

// ------------------------------------------------------------------ HTTP --

struct Reply {
  int status = 0;
  std::string body;
  json::value json;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  std::map<std::string, std::string> headers;
  std::string code() const {
    if (!json.is_object() || !json.as_object().contains("error")) return "";
    return std::string(json.at("error").at("code").as_string());
  }
};

Reply call(unsigned short port, http::verb method, const std::string& target,
           const std::string& body = "", const std::string& key = "",
           std::vector<std::pair<std::string, std::string>> headers = {}) {
  std::string extra;
  if (!key.empty()) extra += "Authorization: Bearer " + key + "\r\n";
  for (auto& [k, v] : headers) extra += k + ": " + v + "\r\n";
  qc::test::HttpClient client(port);
  auto res = client.request(std::string(http::to_string(method)), target, body, extra);
  Reply r;
  if (res.status == 0) return r;
  r.status = res.status;
  r.body = std::move(res.body);
  r.headers = std::move(res.headers);
  boost::system::error_code jec;
  r.json = json::parse(r.body, jec);
  return r;
}
Reply post(unsigned short port, const std::string& target, const std::string& body, const std::string& key,
           std::vector<std::pair<std::string, std::string>> headers = {}) {
  return call(port, http::verb::post, target, body, key, std::move(headers));
}
Reply get(unsigned short port, const std::string& target, const std::string& key = "") {
  return call(port, http::verb::get, target, "", key);
}

// A session of our own around the server's now: 4 one-hour slots, the first
// started 30 minutes ago, plenty of walk-in capacity.
// `shift` moves it (a day later: tomorrow's session).
std::string make_session(unsigned short port, const std::string& id, int walkins_per_slot = 50, qc::Time shift = 0) {
  qc::Time now = qc::gw::RealClock().now() + shift;
  auto t = [](qc::Time x) { return qc::gw::format_rfc3339(x); };
  std::string q = std::to_string(walkins_per_slot);
  std::string body = R"({"sessionId":")" + id + R"(","doctorId":"li","doctorName":"Dr. Li","department":"neuro",
    "room":"3","area":"neuro-2f","start":")" + t(now - 30 * qc::kMinute) + R"(","end":")" + t(now + 210 * qc::kMinute) +
                     R"(","registrationOpen":")" + t(now - 90 * qc::kMinute) + R"(","walkinConversionTime":")" +
                     t(now + 210 * qc::kMinute) + R"(","slotMinutes":60,"appointmentQuota":[10,10,10,10],
    "walkinQuota":[)" + q + "," + q + "," + q + "," + q + "]}";
  Reply r = post(port, "/v1/sessions", body, kAdmin);
  EXPECT_EQ(r.status, 201) << r.body;
  return id;
}

// make_session() plus the channel "web" (kChannel books under it).
std::string session_with_channel(unsigned short port, const std::string& id) {
  std::string sid = make_session(port, id);
  EXPECT_EQ(post(port, "/v1/commands", R"({"defineChannel":{"channel":{"channelId":"web"}}})", kAdmin).status, 200);
  return sid;
}

struct Ticket {
  std::string id, label, token;
};
Ticket walk_in(unsigned short port, const std::string& sid, const std::string& name) {
  Reply r = post(port, "/v1/sessions/" + sid + "/walk-ins",
                 R"({"patientRef":"ref-)" + std::to_string(std::hash<std::string>{}(name)) +
                     R"(","patientName":")" + name + R"("})",
                 kNurse);
  EXPECT_EQ(r.status, 201) << r.body;
  if (r.status != 201) return {};
  return {std::string(r.json.at("ticketId").as_string()), std::string(r.json.at("label").as_string()),
          std::string(r.json.at("token").as_string())};
}

// ------------------------------------------------------------- WebSocket --

using Ws = qc::test::WsClient;  // tests/support/ws_client.h

std::int64_t num(const json::value& v, const char* field) {
  const json::value& f = v.at(field);
  if (f.is_string()) return std::stoll(std::string(f.as_string()));
  return f.to_number<std::int64_t>();
}

// ----------------------------------------------------------------- tests --

TEST(Integration, PatientsSeeTheirPositionFallAsTheNurseCalls) {
  Daemon d;
  std::string sid = make_session(d.port(), "it-queue");
  Ticket a = walk_in(d.port(), sid, "Zhang San"), b = walk_in(d.port(), sid, "Li Si"),
         c = walk_in(d.port(), sid, "Wang Wu");
  Ws patient(d.port());
  ASSERT_TRUE(patient.ok());
  patient.send(R"({"subscribe":{"patient":{"token":")" + c.token + R"("},"lastVersion":"0"}})");
  auto v = patient.next_view("patient");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->at("label").as_string(), c.label);
  EXPECT_EQ(num(*v, "ahead"), 2);
  Ws display(d.port());
  display.send(R"({"subscribe":{"display":{"area":"neuro-2f","token":")" + std::string(kDisplay) + R"("}}})");
  ASSERT_TRUE(display.next_view("display"));

  for (int expected : {1, 0}) {
    ASSERT_EQ(post(d.port(), "/v1/sessions/" + sid + "/call-next", "", kNurse).status, 200);
    v = patient.next_view("patient");
    ASSERT_TRUE(v);
    EXPECT_EQ(num(*v, "ahead"), expected);
  }
  // The display shows the called label, with the name masked.
  std::optional<json::value> dv;
  for (int i = 0; i < 3 && (dv = display.next_view("display")); ++i) {
    std::string s = json::serialize(*dv);
    if (s.find(b.label) != std::string::npos && s.find("\"called\"") != std::string::npos) break;
  }
  ASSERT_TRUE(dv);
  std::string s = json::serialize(*dv);
  EXPECT_NE(s.find(b.label), std::string::npos);
  EXPECT_EQ(s.find("Li Si"), std::string::npos);
  EXPECT_EQ(s.find("Wang Wu"), std::string::npos);
  ASSERT_EQ(post(d.port(), "/v1/sessions/" + sid + "/call-next", "", kNurse).status, 200);
  v = patient.next_view("patient");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->at("state").as_string(), "TICKET_STATE_CALLED");
  (void)a;
}

TEST(Integration, NurseUndoesACallAndThePhoneFollows) {
  Daemon d;
  std::string sid = make_session(d.port(), "it-undo");
  Ticket a = walk_in(d.port(), sid, "Zhang San"), b = walk_in(d.port(), sid, "Li Si");
  Ws phone(d.port());
  ASSERT_TRUE(phone.ok());
  phone.send(R"({"subscribe":{"patient":{"token":")" + a.token + R"("},"lastVersion":"0"}})");
  auto v = phone.next_view("patient");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->at("state").as_string(), "TICKET_STATE_WAITING");
  // Nothing to undo yet; only a nurse of the department may undo.
  Reply r = post(d.port(), "/v1/sessions/" + sid + "/undo", "", kNurse);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.code(), "nothing_to_undo");
  ASSERT_EQ(post(d.port(), "/v1/sessions/" + sid + "/call-next", "", kNurse).status, 200);
  v = phone.next_view("patient");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->at("state").as_string(), "TICKET_STATE_CALLED");
  EXPECT_EQ(post(d.port(), "/v1/sessions/" + sid + "/undo", "", kDisplay).status, 403);
  EXPECT_EQ(post(d.port(), "/v1/sessions/" + sid + "/undo", "", kCardioNurse).status, 403);
  r = post(d.port(), "/v1/sessions/" + sid + "/undo", "", kNurse);
  ASSERT_EQ(r.status, 200) << json::serialize(r.json);
  std::string body = json::serialize(r.json);
  EXPECT_NE(body.find("actionUndone"), std::string::npos) << body;
  EXPECT_NE(body.find(a.id), std::string::npos) << body;
  // The patient's phone is told: waiting again, next in line.
  v = phone.next_view("patient");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->at("state").as_string(), "TICKET_STATE_WAITING");
  EXPECT_EQ(num(*v, "ahead"), 0);
  Reply board = get(d.port(), "/v1/sessions/" + sid + "/board");
  EXPECT_EQ(board.json.at("calledLabel").as_string(), "");
  r = post(d.port(), "/v1/sessions/" + sid + "/undo", "", kNurse);  // one level only
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.code(), "nothing_to_undo");
  Reply m = get(d.port(), "/metrics");
  EXPECT_NE(m.body.find("queuecast_commands_total{command=\"undo\",code=\"ok\"} 1"),
            std::string::npos);
  EXPECT_NE(m.body.find("queuecast_commands_total{command=\"undo\",code=\"nothing_to_undo\"} 2"),
            std::string::npos);
  (void)b;
}

// Every message that arrives until the connection has been quiet for
// `quiet`: (kind, view) pairs, kind "patient"/"board"/... or "error".
std::vector<std::pair<std::string, json::value>> drain(Ws& w, std::chrono::milliseconds quiet = 400ms) {
  std::vector<std::pair<std::string, json::value>> out;
  while (auto m = w.next_or_quiet(quiet)) {
    if (!m->is_object()) continue;
    const json::object& o = m->as_object();
    if (o.contains("view")) {
      for (const char* k : {"patient", "board", "display", "staff"})
        if (o.at("view").as_object().contains(k)) out.emplace_back(k, o.at("view").at(k));
    } else if (o.contains("error")) {
      out.emplace_back("error", o.at("error"));
    }
  }
  return out;
}

std::vector<std::string> kinds(const std::vector<std::pair<std::string, json::value>>& msgs) {
  std::vector<std::string> k;
  for (const auto& [kind, v] : msgs) k.push_back(kind);
  return k;
}

const json::value* last_of(const std::vector<std::pair<std::string, json::value>>& msgs,
                           const std::string& kind) {
  const json::value* v = nullptr;
  for (const auto& [k, x] : msgs)
    if (k == kind) v = &x;
  return v;
}

// RFC 3339 -> ms (the server's own parser).
qc::Time ms_of(const json::value& v) {
  qc::Time t = 0;
  EXPECT_TRUE(qc::gw::parse_rfc3339(std::string(v.as_string()), &t)) << v;
  return t;
}

// A phone's position and estimate, as the page derives them from the board.
struct Derived {
  std::int64_t index = -1;
  qc::Time eta = 0;
};
Derived derive(const json::value& board, const std::string& label) {
  Derived d;
  const json::array& waiting = board.at("waiting").as_array();
  const json::array& offsets = board.at("etaOffsetsMs").as_array();
  EXPECT_EQ(waiting.size(), offsets.size());
  for (std::size_t i = 0; i < waiting.size() && i < offsets.size(); ++i)
    if (waiting[i].as_string() == label) {
      d.index = static_cast<std::int64_t>(i);
      d.eta = ms_of(board.at("doctorAvailableAt")) + offsets[i].to_number<std::int64_t>();
    }
  return d;
}

TEST(Integration, PhonesOnTheBoardGetOneBoardPerCallAndTheirOwnViewWhenTheirTicketChanges) {
  Daemon d;
  std::string sid = make_session(d.port(), "it-phone-board");
  Ticket a = walk_in(d.port(), sid, "Zhang San"), b = walk_in(d.port(), sid, "Li Si"),
         c = walk_in(d.port(), sid, "Wang Wu"), e = walk_in(d.port(), sid, "Zhao Liu");
  Ws phone(d.port());
  ASSERT_TRUE(phone.ok());
  phone.send(R"({"subscribe":{"patient":{"token":")" + c.token + R"(","board":true},"lastVersion":"0"}})");
  auto first = drain(phone);
  ASSERT_EQ(kinds(first), (std::vector<std::string>{"board", "patient"}));
  const json::value& own = *last_of(first, "patient");
  const json::value& board = *last_of(first, "board");
  EXPECT_EQ(own.at("ticketId").as_string(), c.id);
  EXPECT_EQ(own.at("label").as_string(), c.label);
  EXPECT_EQ(num(own, "ahead"), 2);
  // The board gives the same position and estimate as the own view.
  Derived dc = derive(board, c.label);
  EXPECT_EQ(dc.index, 2);
  EXPECT_EQ(dc.eta, ms_of(own.at("eta")));
  EXPECT_EQ(num(board, "version"), num(own, "version"));
  // No names on the board.
  std::string bs = json::serialize(board);
  for (const char* name : {"Zhang San", "Li Si", "Wang Wu", "Zhao Liu"}) EXPECT_EQ(bs.find(name), std::string::npos);

  // Each call: one board, in which the position falls; no own view (the
  // ticket did not change).
  for (std::int64_t expected : {1, 0}) {
    ASSERT_EQ(post(d.port(), "/v1/sessions/" + sid + "/call-next", "", kNurse).status, 200);
    auto got = drain(phone);
    ASSERT_EQ(kinds(got), (std::vector<std::string>{"board"})) << expected;
    Derived x = derive(got[0].second, c.label);
    EXPECT_EQ(x.index, expected);
    // The estimate is the one the patient view would give now.
    Reply pv = get(d.port(), "/v1/me", c.token);
    ASSERT_EQ(pv.status, 200);
    if (num(pv.json, "version") == num(got[0].second, "version")) {
      EXPECT_LE(std::llabs(x.eta - ms_of(pv.json.at("eta"))), 1000);  // /v1/me is read a moment later
    }
  }
  // Its own call: the board and the own view, CALLED.
  ASSERT_EQ(post(d.port(), "/v1/sessions/" + sid + "/call-next", "", kNurse).status, 200);
  auto called = drain(phone);
  ASSERT_NE(last_of(called, "patient"), nullptr);
  ASSERT_NE(last_of(called, "board"), nullptr);
  EXPECT_EQ(called.size(), 2u);
  EXPECT_EQ(last_of(called, "patient")->at("state").as_string(), "TICKET_STATE_CALLED");
  EXPECT_EQ(last_of(called, "board")->at("calledLabel").as_string(), c.label);
  EXPECT_EQ(derive(*last_of(called, "board"), c.label).index, -1);
  // Missed: its own view again.
  ASSERT_EQ(post(d.port(), "/v1/tickets/" + c.id + "/missed", "", kNurse).status, 200);
  auto missed = drain(phone);
  ASSERT_NE(last_of(missed, "patient"), nullptr);
  EXPECT_EQ(last_of(missed, "patient")->at("state").as_string(), "TICKET_STATE_MISSED");
  // Another ticket's changes never bring that ticket's view.
  ASSERT_EQ(post(d.port(), "/v1/sessions/" + sid + "/call-next", "", kNurse).status, 200);  // e
  ASSERT_EQ(post(d.port(), "/v1/tickets/" + e.id + "/complete", "", kNurse).status, 200);
  for (const auto& [k, v] : drain(phone)) {
    EXPECT_EQ(k, "board");
    if (k == "patient") {
      EXPECT_EQ(v.at("ticketId").as_string(), c.id);
    }
  }
  // A reconnect with the current version gets its own view (never the
  // board's version alone), and a bad token is refused as before.
  Reply now = get(d.port(), "/v1/sessions/" + sid + "/board");
  Ws again(d.port());
  again.send(R"({"subscribe":{"patient":{"token":")" + c.token + R"(","board":true},"lastVersion":")" +
             std::to_string(num(now.json, "version")) + "\"}}");
  EXPECT_EQ(kinds(drain(again)), (std::vector<std::string>{"patient"}));
  again.send(R"({"subscribe":{"patient":{"token":"0123456789abcdef0123456789abcdef","board":true}}})");
  auto refused = drain(again);
  ASSERT_EQ(kinds(refused), (std::vector<std::string>{"error"}));
  EXPECT_EQ(refused[0].second.at("code").as_string(), "unauthorized");
  (void)a;
  (void)b;
}

TEST(Integration, APhoneOnTheBoardNeverGetsAnotherTicketsView) {
  Daemon d;
  std::string sid = make_session(d.port(), "it-phone-scope");
  Ticket a = walk_in(d.port(), sid, "Zhang San"), b = walk_in(d.port(), sid, "Li Si");
  Ws pa(d.port()), pb(d.port());
  pa.send(R"({"subscribe":{"patient":{"token":")" + a.token + R"(","board":true}}})");
  pb.send(R"({"subscribe":{"patient":{"token":")" + b.token + R"(","board":true}}})");
  drain(pa);
  drain(pb);
  // b is called, missed, returns: b's phone gets b's views, a's phone only boards.
  ASSERT_EQ(post(d.port(), "/v1/tickets/" + b.id + "/call", "", kNurse).status, 200);
  ASSERT_EQ(post(d.port(), "/v1/tickets/" + b.id + "/missed", "", kNurse).status, 200);
  ASSERT_EQ(post(d.port(), "/v1/tickets/" + b.id + "/return", "", kNurse).status, 200);
  auto ga = drain(pa), gb = drain(pb);
  EXPECT_FALSE(ga.empty());
  for (const auto& [k, v] : ga) EXPECT_EQ(k, "board");
  ASSERT_NE(last_of(gb, "patient"), nullptr);
  for (const auto& [k, v] : gb) {
    if (k == "patient") {
      EXPECT_EQ(v.at("ticketId").as_string(), b.id);
    }
  }
  EXPECT_EQ(last_of(gb, "patient")->at("state").as_string(), "TICKET_STATE_WAITING");
  // A BOOKED ticket's phone: its projected position moves with every call,
  // so its own view comes with each board until it checks in.
  ASSERT_EQ(post(d.port(), "/v1/commands", R"({"defineChannel":{"channel":{"channelId":"web"}}})", kAdmin).status,
            200);
  Reply booked = post(d.port(), "/v1/sessions/" + sid + "/book",
                      R"({"slot":3,"patientRef":"P-booked","patientName":"Qian Qi"})", kChannel);
  ASSERT_EQ(booked.status, 201) << booked.body;
  const std::string btoken(booked.json.at("token").as_string());
  const std::string bid(booked.json.at("ticketId").as_string());
  Ws pc(d.port());
  pc.send(R"({"subscribe":{"patient":{"token":")" + btoken + R"(","board":true}}})");
  auto gc = drain(pc);
  ASSERT_NE(last_of(gc, "patient"), nullptr);
  EXPECT_EQ(last_of(gc, "patient")->at("state").as_string(), "TICKET_STATE_BOOKED");
  ASSERT_EQ(post(d.port(), "/v1/sessions/" + sid + "/call-next", "", kNurse).status, 200);
  gc = drain(pc);
  EXPECT_EQ(kinds(gc), (std::vector<std::string>{"board", "patient"}));
  ASSERT_EQ(post(d.port(), "/v1/tickets/" + bid + "/check-in", "", kNurse).status, 200);
  gc = drain(pc);
  ASSERT_NE(last_of(gc, "patient"), nullptr);
  EXPECT_EQ(last_of(gc, "patient")->at("state").as_string(), "TICKET_STATE_WAITING");
  // Checked in: the board alone from now on.
  ASSERT_EQ(post(d.port(), "/v1/sessions/" + sid + "/call-next", "", kNurse).status, 200);
  EXPECT_EQ(kinds(drain(pc)), (std::vector<std::string>{"board"}));
  // The binary protocol: the same subscription and the board's estimates.
  Ws bin(d.port(), "queuecast.v1.proto");
  queuecast::v1::ClientMessage m;
  m.mutable_subscribe()->mutable_patient()->set_token(a.token);
  m.mutable_subscribe()->mutable_patient()->set_board(true);
  bin.send_binary(m.SerializeAsString());
  int boards = 0, patients = 0;
  while (auto raw = bin.next_raw(400ms)) {
    queuecast::v1::ServerMessage sm;
    ASSERT_TRUE(sm.ParseFromString(*raw));
    if (sm.view().has_board()) {
      ++boards;
      EXPECT_EQ(sm.view().board().eta_offsets_ms_size(), sm.view().board().waiting_size());
    }
    if (sm.view().has_patient()) {
      ++patients;
      EXPECT_EQ(sm.view().patient().ticket_id(), a.id);
    }
  }
  EXPECT_EQ(boards, 1);
  EXPECT_EQ(patients, 1);
}

TEST(Integration, AReconnectWithAnOldVersionGetsTheCurrentViewAtOnce) {
  Daemon d;
  std::string sid = make_session(d.port(), "it-reconnect");
  walk_in(d.port(), sid, "A");
  std::int64_t version;
  {
    Ws w(d.port());
    w.send(R"({"subscribe":{"board":{"sessionId":")" + sid + R"("}}})");
    auto v = w.next_view("board");
    ASSERT_TRUE(v);
    version = num(*v, "version");
  }
  ASSERT_EQ(post(d.port(), "/v1/sessions/" + sid + "/call-next", "", kNurse).status, 200);
  Ws old(d.port());
  old.send(R"({"subscribe":{"board":{"sessionId":")" + sid + R"("},"lastVersion":")" + std::to_string(version) + "\"}}");
  auto v = old.next_view("board");
  ASSERT_TRUE(v);
  EXPECT_GT(num(*v, "version"), version);
  EXPECT_EQ(v->at("calledLabel").as_string(), "W001");
  // Up to date: nothing is sent until something changes.
  Ws current(d.port());
  current.send(R"({"subscribe":{"board":{"sessionId":")" + sid + R"("},"lastVersion":")" +
               std::to_string(num(*v, "version")) + "\"}}");
  EXPECT_FALSE(current.next_view("board", 500ms));
}

TEST(Integration, EveryRoleAndScopeIsEnforced) {
  Daemon d;
  std::string sid = make_session(d.port(), "it-roles");
  Ticket a = walk_in(d.port(), sid, "A"), b = walk_in(d.port(), sid, "B");
  // A patient token reads its own ticket only.
  EXPECT_EQ(get(d.port(), "/v1/tickets/" + a.id + "?token=" + a.token).status, 200);
  Reply other = get(d.port(), "/v1/tickets/" + b.id, a.token);
  EXPECT_EQ(other.status, 403);
  EXPECT_EQ(other.code(), "forbidden");
  EXPECT_EQ(get(d.port(), "/v1/me", a.token).json.at("ticketId").as_string(), a.id);
  EXPECT_EQ(get(d.port(), "/v1/me", "0123456789abcdef0123456789abcdef").status, 401);
  // A display cannot call; nobody without a key can; a nurse only in her department.
  Reply r = post(d.port(), "/v1/sessions/" + sid + "/call-next", "", kDisplay);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.code(), "forbidden");
  r = post(d.port(), "/v1/sessions/" + sid + "/call-next", "", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.code(), "unauthorized");
  EXPECT_EQ(post(d.port(), "/v1/sessions/" + sid + "/call-next", "", kCardioNurse).status, 403);
  EXPECT_EQ(post(d.port(), "/v1/tickets/" + b.id + "/cancel", "", a.token).status, 403);
  EXPECT_EQ(post(d.port(), "/v1/sessions", "{}", kNurse).status, 400);  // body checked first
  // Nothing changed: nobody was called.
  Reply board = get(d.port(), "/v1/sessions/" + sid + "/board");
  EXPECT_EQ(board.json.at("calledLabel").as_string(), "");
  // Displays need their own area's token; staff views need a staff key.
  EXPECT_EQ(get(d.port(), "/v1/areas/neuro-2f/display", kDisplay).status, 200);
  EXPECT_EQ(get(d.port(), "/v1/areas/cardio-3f/display", kDisplay).status, 403);
  EXPECT_EQ(get(d.port(), "/v1/sessions/" + sid, kDisplay).status, 403);
  Reply staff = get(d.port(), "/v1/sessions/" + sid, kNurse);
  EXPECT_EQ(staff.status, 200);
  Ws w(d.port());
  w.send(R"({"subscribe":{"patient":{"token":"0123456789abcdef0123456789abcdef"}}})");
  auto m = w.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->at("error").at("code").as_string(), "unauthorized");
  w.send(R"({"subscribe":{"staff":{"sessionId":")" + sid + R"(","key":")" + kDisplay + R"("}}})");
  m = w.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->at("error").at("code").as_string(), "forbidden");
  w.send(R"({"subscribe":{"display":{"area":"cardio-3f","token":")" + std::string(kDisplay) + R"("}}})");
  m = w.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->at("error").at("code").as_string(), "forbidden");
}

TEST(Integration, BadInputGetsClearErrors) {
  Daemon d;
  std::string sid = make_session(d.port(), "it-bad");
  Reply r = post(d.port(), "/v1/sessions/" + sid + "/book", "{\"slot\":", kChannel);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.code(), "invalid_argument");
  r = post(d.port(), "/v1/sessions/" + sid + "/book", R"({"slot":1,"patientRef":"P","surprise":1})", kChannel);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("surprise"), std::string::npos);
  EXPECT_EQ(get(d.port(), "/v1/nowhere").status, 404);
  EXPECT_EQ(get(d.port(), "/v1/sessions/" + sid + "/call-next").status, 405);
  EXPECT_EQ(post(d.port(), "/v1/tickets/nope/check-in", "", kNurse).code(), "forbidden");  // scoped nurse
  EXPECT_EQ(post(d.port(), "/v1/tickets/nope/check-in", "", kAdmin).code(), "unknown_ticket");
  r = post(d.port(), "/v1/sessions/" + sid + "/book", std::string(70 * 1024, ' '), kChannel);
  EXPECT_EQ(r.status, 413);
  // WebSocket: malformed and unknown fields get an error; the connection stays.
  Ws w(d.port());
  w.send("{not json");
  auto m = w.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->at("error").at("code").as_string(), "invalid_argument");
  w.send(R"({"subscribe":{"board":{"sessionId":"x"}},"colour":"red"})");
  m = w.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->at("error").at("code").as_string(), "invalid_argument");
  w.send(R"({"ping":{}})");
  m = w.next();
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->as_object().contains("pong"));
  // A subprotocol we do not speak, and a foreign Origin, are refused.
  EXPECT_FALSE(Ws(d.port(), "chat.v2").ok());
  Ws evil(d.port(), "queuecast.v1.json", "http://evil.example");
  EXPECT_FALSE(evil.ok());
  EXPECT_EQ(evil.status(), 403);
}

TEST(Integration, OversizedFramesAndFloodsAreClosedOthersUnaffected) {
  Daemon d;
  Ws bystander(d.port());
  Ws big(d.port());
  big.send(std::string(5000, 'x'));
  EXPECT_EQ(big.close_code(), 1009);
  Ws flood(d.port());
  for (int i = 0; i < 100; ++i) flood.send(R"({"ping":{}})");
  EXPECT_EQ(flood.close_code(), 4029);
  bystander.send(R"({"ping":{}})");
  auto m = bystander.next();
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->as_object().contains("pong"));
}

TEST(Integration, ASlowReaderIsClosedWith4000OthersKeepTheirViews) {
  Daemon d({"--limit", "slow_timeout_ms=300", "--limit", "send_buffer_bytes=4096"});
  std::string sid = make_session(d.port(), "it-slow", 200);
  std::string sub = R"({"subscribe":{"staff":{"sessionId":")" + sid + R"(","key":")" + kNurse + R"("}}})";
  Ws slow(d.port(), "queuecast.v1.json", "", 4096);
  slow.send(sub);
  // The reader that keeps up reads on its own thread, until it sees "last".
  std::atomic<std::int64_t> last{0};
  std::atomic<bool> saw_last{false};
  std::thread reader([&] {
    Ws fine(d.port());
    fine.send(sub);
    auto until = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < until) {
      auto v = fine.next_view("staff", 5000ms);  // no timeout (a cancelled read breaks the stream)
      if (!v) continue;
      last = num(*v, "version");
      if (json::serialize(*v).find("\"last\"") != std::string::npos) {
        saw_last = true;
        break;
      }
    }
  });
  std::this_thread::sleep_for(200ms);
  // Big staff views (long names), one per command; `slow` never reads.
  struct Join {
    std::thread& t;
    ~Join() {
      if (t.joinable()) t.join();
    }
  } join{reader};
  std::string name(240, 'n');  // names are at most 256 bytes
  for (int i = 0; i < 80; ++i) {
    ASSERT_EQ(walk_in(d.port(), sid, name + std::to_string(i)).label.empty(), false);
  }
  std::this_thread::sleep_for(1000ms);  // > slow_timeout_ms while `slow` reads nothing
  ASSERT_EQ(walk_in(d.port(), sid, "last").label.empty(), false);
  // It has the newest view (conflation may have skipped some in between).
  reader.join();
  EXPECT_TRUE(saw_last) << "last version seen " << last;
  EXPECT_GT(last, 60);
  EXPECT_EQ(slow.close_code(10000ms), 4000);
}

TEST(Integration, IdempotentRetriesAndBookingRateLimits) {
  Daemon d({"--limit", "booking_per_patient_per_minute=2"});
  std::string sid = make_session(d.port(), "it-idem");
  ASSERT_EQ(post(d.port(), "/v1/commands", R"({"defineChannel":{"channel":{"channelId":"web"}}})", kAdmin).status,
            200);
  std::string body = R"({"slot":2,"patientRef":"P77","patientName":"Zhao Liu"})";
  Reply a = post(d.port(), "/v1/sessions/" + sid + "/book", body, kChannel, {{"Idempotency-Key", "his-1"}});
  ASSERT_EQ(a.status, 201) << a.body;
  Reply b = post(d.port(), "/v1/sessions/" + sid + "/book", body, kChannel, {{"Idempotency-Key", "his-1"}});
  EXPECT_EQ(b.status, 201);
  EXPECT_EQ(b.body, a.body);
  EXPECT_EQ(b.header("Idempotency-Replayed"), "true");
  // Another credential with the same key is another request (the replay
  // above was not charged: this is P77's second attempt, which runs).
  Reply c = post(d.port(), "/v1/sessions/" + sid + "/book", body, kAdmin, {{"Idempotency-Key", "his-1"}});
  EXPECT_EQ(c.code(), "already_booked") << c.body;
  Reply e = post(d.port(), "/v1/sessions/" + sid + "/book", body, kAdmin, {{"Idempotency-Key", "his-2"}});
  EXPECT_EQ(e.code(), "rate_limited");  // P77's third booking attempt within the minute
  EXPECT_EQ(e.status, 429);
}

// The booking limits are charged only for what would really run: a
// credential that may not book in the session (another department's nurse
// or kiosk, an unknown session it may not see) and replays of an applied
// booking use up neither the patient's nor the address's limit.
TEST(Integration, OnlyAuthorizedBookingsUseUpBookingLimits) {
  Daemon d({"--limit", "booking_per_patient_per_minute=2", "--limit", "booking_per_address_per_minute=4"});
  std::string sid = session_with_channel(d.port(), "it-charge");
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(post(d.port(), "/v1/sessions/" + sid + "/walk-ins", R"({"patientRef":"VICTIM-1","patientName":"x"})",
                   kCardioNurse).code(),
              "forbidden") << i;
    EXPECT_EQ(post(d.port(), "/v1/sessions/" + sid + "/holds", R"({"slot":1,"patientRef":"VICTIM-1"})",
                   "demo-kiosk-cardio-key").code(),
              "forbidden") << i;
  }
  Reply ok = post(d.port(), "/v1/sessions/" + sid + "/walk-ins", R"({"patientRef":"victim-1","patientName":"Li"})",
                  kNurse, {{"Idempotency-Key", "w-1"}});
  EXPECT_EQ(ok.status, 201) << ok.body;
  for (int i = 0; i < 4; ++i) {
    Reply again = post(d.port(), "/v1/sessions/" + sid + "/walk-ins",
                       R"({"patientRef":"victim-1","patientName":"Li"})", kNurse, {{"Idempotency-Key", "w-1"}});
    EXPECT_EQ(again.status, 201) << again.body;
    EXPECT_EQ(again.header("Idempotency-Replayed"), "true");
  }
  // The patient's second booking attempt of the minute runs (whatever the
  // engine says of it); the third is over the limit.
  Reply second = post(d.port(), "/v1/sessions/" + sid + "/book",
                      R"({"slot":2,"patientRef":"VICTIM-1","patientName":"Li"})", kChannel);
  EXPECT_NE(second.code(), "rate_limited") << second.body;
  EXPECT_NE(second.status, 403) << second.body;
  EXPECT_EQ(post(d.port(), "/v1/sessions/" + sid + "/book", R"({"slot":2,"patientRef":"VICTIM-1","patientName":"Li"})",
                 kChannel).code(),
            "rate_limited");
}

// A key reused on another request is refused with 422 and changes nothing:
// the call-next does not get the walk-in's answer (its patient token), and
// nobody is called. The same request with the key still gets its first
// answer, in JSON or protobuf as the Accept header asks.
TEST(Integration, AReusedIdempotencyKeyIsRefusedNotReplayed) {
  Daemon d;
  std::string sid = make_session(d.port(), "it-idem-reuse");
  const std::string walk_body = R"({"patientRef":"P9","patientName":"Sun Qi"})";
  Reply walk = post(d.port(), "/v1/sessions/" + sid + "/walk-ins", walk_body, kNurse, {{"Idempotency-Key", "k1"}});
  ASSERT_EQ(walk.status, 201) << walk.body;
  const std::string token(walk.json.at("token").as_string());
  Reply next = post(d.port(), "/v1/sessions/" + sid + "/call-next", "", kNurse, {{"Idempotency-Key", "k1"}});
  EXPECT_EQ(next.status, 422) << next.body;
  EXPECT_EQ(next.code(), "idempotency_key_reused");
  EXPECT_EQ(next.body.find(token), std::string::npos) << next.body;
  EXPECT_EQ(next.header("Idempotency-Replayed"), "");
  // Nothing changed: the walk-in still waits, nobody was called.
  Reply s = get(d.port(), "/v1/sessions/" + sid, kNurse);
  ASSERT_EQ(s.status, 200) << s.body;
  EXPECT_EQ(s.body.find("TICKET_STATE_CALLED"), std::string::npos) << s.body;
  EXPECT_NE(s.body.find("TICKET_STATE_WAITING"), std::string::npos) << s.body;
  // Another body on the same path is another request too.
  Reply other = post(d.port(), "/v1/sessions/" + sid + "/walk-ins",
                     R"({"patientRef":"P10","patientName":"Zhou Ba"})", kNurse, {{"Idempotency-Key", "k1"}});
  EXPECT_EQ(other.status, 422) << other.body;
  // The first request again: its first answer.
  Reply again = post(d.port(), "/v1/sessions/" + sid + "/walk-ins", walk_body, kNurse, {{"Idempotency-Key", "k1"}});
  EXPECT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(again.body, walk.body);
  EXPECT_EQ(again.header("Idempotency-Replayed"), "true");
  // The answer's format is not part of the request.
  Reply pb = post(d.port(), "/v1/sessions/" + sid + "/walk-ins", walk_body, kNurse,
                  {{"Idempotency-Key", "k1"}, {"Accept", "application/x-protobuf"}});
  EXPECT_EQ(pb.status, 201);
  EXPECT_EQ(pb.header("Idempotency-Replayed"), "true");
  queuecast::v1::CommandResponse resp;
  ASSERT_TRUE(resp.ParseFromString(pb.body));
  EXPECT_EQ(resp.token(), token);
  // Another credential's k1 is its own key.
  Reply admin_next = post(d.port(), "/v1/sessions/" + sid + "/call-next", "", kAdmin, {{"Idempotency-Key", "k1"}});
  EXPECT_EQ(admin_next.status, 200) << admin_next.body;
}

// Nothing unauthenticated uses up a booking limit: token-shaped strings
// (which look like patient tokens until the shard looks them up) and
// patients, who may not book, are not charged; the clinic's channel books on.
TEST(Integration, UnverifiedCredentialsDoNotUseUpBookingLimits) {
  Daemon d({"--limit", "booking_per_patient_per_minute=2", "--limit", "booking_per_address_per_minute=3"});
  std::string sid = session_with_channel(d.port(), "it-unauth");
  for (int i = 0; i < 12; ++i) {
    char token[33];
    std::snprintf(token, sizeof token, "%032x", 0xabc0 + i);
    Reply r = post(d.port(), "/v1/sessions/" + sid + "/book",
                   R"({"slot":1,"patientRef":"HIS-42","patientName":"x"})", token);
    EXPECT_NE(r.code(), "rate_limited") << i;
    EXPECT_TRUE(r.status == 401 || r.status == 403) << r.body;
  }
  Reply ok = post(d.port(), "/v1/sessions/" + sid + "/book",
                  R"({"slot":1,"patientRef":"HIS-42","patientName":"Zhou"})", kChannel);
  EXPECT_EQ(ok.status, 201) << ok.body;
  // The booking's own patient token may not book either, and is not charged.
  std::string token(ok.json.at("token").as_string());
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(post(d.port(), "/v1/sessions/" + sid + "/book",
                   R"({"slot":2,"patientRef":"HIS-43","patientName":"x"})", token).code(),
              "forbidden");
  EXPECT_EQ(post(d.port(), "/v1/sessions/" + sid + "/book",
                 R"({"slot":2,"patientRef":"HIS-43","patientName":"Wu"})", kChannel).status,
            201);
}

// Behind a proxy the per-address booking limit counts the address the proxy
// forwards, believed only from a configured trusted proxy.
TEST(Integration, BookingLimitsPerAddressBehindATrustedProxy) {
  qc::test::ConfigFile proxies(R"({"trusted_proxies":["127.0.0.1"]})");
  Daemon d({"--config", proxies.path(), "--limit", "booking_per_address_per_minute=2"});
  std::string sid = make_session(d.port(), "it-proxy");
  ASSERT_EQ(post(d.port(), "/v1/commands", R"({"defineChannel":{"channel":{"channelId":"web"}}})", kAdmin).status,
            200);
  int n = 0;
  auto book = [&](std::vector<std::pair<std::string, std::string>> headers) {
    std::string body = R"({"slot":1,"patientRef":"P-)" + std::to_string(++n) + R"(","patientName":"x"})";
    return post(d.port(), "/v1/sessions/" + sid + "/book", body, kChannel, std::move(headers));
  };
  EXPECT_EQ(book({{"X-Forwarded-For", "203.0.113.1"}}).status, 201);
  EXPECT_EQ(book({{"X-Forwarded-For", "198.51.100.9, 203.0.113.1"}}).status, 201);
  EXPECT_EQ(book({{"X-Forwarded-For", "203.0.113.1"}}).code(), "rate_limited");
  // Another client behind the same proxy is not blocked.
  EXPECT_EQ(book({{"X-Forwarded-For", "203.0.113.2"}}).status, 201);
  EXPECT_EQ(book({{"X-Real-IP", "203.0.113.3"}}).status, 201);
  EXPECT_EQ(book({{"X-Real-IP", "203.0.113.3"}}).status, 201);
  EXPECT_EQ(book({{"X-Real-IP", "203.0.113.3"}}).code(), "rate_limited");

  // Without trusted proxies the headers are ignored: rotating them escapes nothing.
  Daemon plain({"--limit", "booking_per_address_per_minute=2"});
  std::string sid2 = make_session(plain.port(), "it-noproxy");
  for (int i = 0; i < 3; ++i) {
    Reply r = post(plain.port(), "/v1/sessions/" + sid2 + "/book",
                   R"({"slot":1,"patientRef":"Q-)" + std::to_string(i) + R"(","patientName":"x"})", kAdmin,
                   {{"X-Forwarded-For", "203.0.113." + std::to_string(i)}});
    if (i < 2) EXPECT_EQ(r.status, 201) << r.body;
    else EXPECT_EQ(r.code(), "rate_limited");
  }
}

// Spellings of one patientRef are one patient for the patient limits, and a
// refusal does not repeat the reference.
TEST(Integration, PatientRefSpellingsAreOnePatient) {
  Daemon d({"--limit", "booking_per_patient_per_minute=3"});
  std::string sid = make_session(d.port(), "it-ref");
  std::string path = "/v1/sessions/" + sid + "/book";
  Reply a = post(d.port(), path, R"({"slot":1,"patientRef":"HIS-42","patientName":"Zhou"})", kAdmin);
  ASSERT_EQ(a.status, 201) << a.body;
  for (const char* ref : {"HIS-42 ", " HIS-42", "HIS-42\u200b", "\uff28\uff29\uff33-42"}) {
    Reply r = post(d.port(), path, std::string(R"({"slot":2,"patientRef":")") + ref + R"(","patientName":"Zhou"})",
                   kAdmin);
    EXPECT_TRUE(r.code() == "already_booked" || r.code() == "rate_limited") << ref << " " << r.body;
    EXPECT_EQ(r.body.find("HIS"), std::string::npos) << r.body;
  }
  // The fourth and fifth attempts of this patient within the minute were rate limited.
  EXPECT_EQ(post(d.port(), path, R"({"slot":2,"patientRef":"his-42","patientName":"Zhou"})", kAdmin).code(),
            "rate_limited");
  Reply bad = post(d.port(), path, R"({"slot":2,"patientRef":"\u200b ","patientName":"x"})", kAdmin);
  EXPECT_EQ(bad.code(), "invalid_argument");
}

// Subscribes waiting for their shard count against
// max_subscriptions_per_connection like confirmed ones; every answer to a
// message with a requestId echoes it (confirmation or error).
TEST(Integration, PipelinedSubscribesStayUnderTheCapAndAnswersEchoTheRequestId) {
  Daemon d({"--limit", "max_subscriptions_per_connection=3", "--limit", "ws_message_burst=100"});
  std::vector<std::string> subs;
  for (int i = 0; i < 24; ++i) {  // answers stay under the 32 queued control frames
    std::string sid = make_session(d.port(), "it-cap-" + std::to_string(i));
    subs.push_back(R"({"subscribe":{"board":{"sessionId":")" + sid + R"("}},"requestId":"s)" +
                   std::to_string(i) + R"("})");
  }
  Ws w(d.port());
  w.send_together(subs);
  std::set<std::string> confirmed, refused;
  while (confirmed.size() + refused.size() < subs.size()) {
    auto m = w.next();
    ASSERT_TRUE(m) << confirmed.size() << " confirmed, " << refused.size() << " refused, close " << w.close_code();
    const auto& o = m->as_object();
    if (o.contains("view")) {
      EXPECT_FALSE(o.contains("requestId"));  // pushes carry none
      continue;
    }
    ASSERT_TRUE(o.contains("requestId")) << json::serialize(*m);
    std::string id(o.at("requestId").as_string());
    if (o.contains("subscribed")) {
      confirmed.insert(id);
    } else {
      EXPECT_EQ(o.at("error").at("code").as_string(), "invalid_argument");
      EXPECT_NE(json::serialize(*m).find("too many subscriptions"), std::string::npos);
      refused.insert(id);
    }
  }
  EXPECT_EQ(confirmed.size(), 3u);
  EXPECT_EQ(refused.size(), 21u);
  // A failed subscribe names its request; a message without one gets no id.
  Ws p(d.port());
  p.send(R"({"subscribe":{"patient":{"token":"0123456789abcdef0123456789abcdef"}},"requestId":"mine-1"})");
  auto m = p.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->at("error").at("code").as_string(), "unauthorized");
  EXPECT_EQ(m->at("requestId").as_string(), "mine-1");
  p.send(R"({"subscribe":{"staff":{"key":"x"}},"requestId":"mine-2"})");  // no sessionId
  m = p.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->at("error").at("code").as_string(), "invalid_argument");
  EXPECT_EQ(m->at("requestId").as_string(), "mine-2");
  p.send(R"({"subscribe":{"board":{"sessionId":"nope"}}})");
  m = p.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->at("error").at("code").as_string(), "unknown_session");
  EXPECT_FALSE(m->as_object().contains("requestId"));
  p.send(R"({"ping":{},"requestId":"bad\u0001id"})");
  m = p.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->at("error").at("code").as_string(), "invalid_argument");
  // The binary protocol: the same field.
  Ws b(d.port(), "queuecast.v1.proto");
  queuecast::v1::ClientMessage cm;
  cm.mutable_subscribe()->mutable_board()->set_session_id("it-cap-0");
  cm.set_request_id("bin-7");
  b.send_binary(cm.SerializeAsString());
  bool saw = false;
  for (int i = 0; i < 2 && !saw; ++i) {
    auto raw = b.next_raw();
    ASSERT_TRUE(raw);
    queuecast::v1::ServerMessage sm;
    ASSERT_TRUE(sm.ParseFromString(*raw));
    if (sm.has_subscribed()) {
      EXPECT_EQ(sm.request_id(), "bin-7");
      saw = true;
    }
  }
  EXPECT_TRUE(saw);
}

TEST(Integration, ACheckInAnswersWithTheTicketAndItsPatientToken) {
  Daemon d;
  std::string sid = make_session(d.port(), "it-checkin");
  ASSERT_EQ(post(d.port(), "/v1/commands", R"({"defineChannel":{"channel":{"channelId":"web"}}})", kAdmin).status,
            200);
  Reply booked = post(d.port(), "/v1/sessions/" + sid + "/book",
                      R"({"slot":2,"patientRef":"P5","patientName":"Qian Wu"})", kChannel);
  ASSERT_EQ(booked.status, 201) << booked.body;
  std::string tid(booked.json.at("ticketId").as_string());
  std::string token(booked.json.at("token").as_string());
  ASSERT_EQ(token.size(), 32u);
  // The kiosk or nurse prints a ticket whose QR code opens the patient page.
  Reply in = post(d.port(), "/v1/tickets/" + tid + "/check-in", "", kNurse);
  ASSERT_EQ(in.status, 200) << in.body;
  EXPECT_EQ(in.json.at("ticketId").as_string(), tid);
  EXPECT_EQ(in.json.at("token").as_string(), token);
  EXPECT_EQ(in.json.at("label").as_string(), booked.json.at("label").as_string());
  EXPECT_EQ(in.json.at("ticket").at("state").as_string(), "TICKET_STATE_WAITING");
}

// A patient checks in at the kiosk with what they hold: the number printed
// on the booking (with the session chosen on screen), the booking's QR code
// (the /t/<token> link), or their patient id. Never the internal ticket id.
TEST(Integration, AKioskChecksInByLabelTokenOrPatientRefWithinItsScope) {
  const char* kKiosk = "demo-kiosk-key";              // kiosk-1f, every department
  const char* kCardioKiosk = "demo-kiosk-cardio-key";  // kiosk-3f, cardio only
  Daemon d;
  std::string sid = make_session(d.port(), "it-kiosk"), sid2 = make_session(d.port(), "it-kiosk2");
  ASSERT_EQ(post(d.port(), "/v1/commands", R"({"defineChannel":{"channel":{"channelId":"web"}}})", kAdmin).status,
            200);
  auto book = [&](const std::string& s, const std::string& ref, int slot) {
    Reply r = post(d.port(), "/v1/sessions/" + s + "/book",
                   R"({"slot":)" + std::to_string(slot) + R"(,"patientRef":")" + ref + R"(","patientName":"N"})",
                   kChannel);
    EXPECT_EQ(r.status, 201) << r.body;
    return Ticket{std::string(r.json.at("ticketId").as_string()), std::string(r.json.at("label").as_string()),
                  std::string(r.json.at("token").as_string())};
  };
  std::string tomorrow = make_session(d.port(), "it-kiosk-tomorrow", 50, 24 * 60 * qc::kMinute);
  Ticket a = book(sid, "P-label", 1), b = book(sid, "P-token", 1), c = book(sid, "P-ref", 2);
  book(tomorrow, "P-ref", 2);  // not open for check-in yet: no ambiguity with today's
  Ticket two1 = book(sid, "P-two", 2), two2 = book(sid2, "P-two", 2);
  // A session's state, as its version (the board's times move with the clock).
  auto board = [&](const std::string& s) {
    return std::string(get(d.port(), "/v1/sessions/" + s + "/board").json.at("version").as_string());
  };

  // A kiosk lists the sessions of its scope (for its doctor choice), without tickets.
  Reply list = get(d.port(), "/v1/sessions", kKiosk);
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.json.at("sessions").as_array().size(), 3u);
  EXPECT_EQ(list.body.find("P-label"), std::string::npos);
  EXPECT_EQ(list.body.find("ticketId"), std::string::npos);
  Reply cardio_list = get(d.port(), "/v1/sessions", kCardioKiosk);
  ASSERT_EQ(cardio_list.status, 200);
  EXPECT_EQ(cardio_list.body.find("it-kiosk"), std::string::npos);

  // Out of scope: refused before anything is looked up; nothing changes.
  const std::string before = board(sid);
  Reply r = post(d.port(), "/v1/sessions/" + sid + "/check-in", R"({"label":")" + a.label + R"("})", kCardioKiosk);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.code(), "forbidden");
  r = post(d.port(), "/v1/check-in", R"({"token":")" + b.token + R"("})", kCardioKiosk);
  EXPECT_EQ(r.code(), "forbidden");
  r = post(d.port(), "/v1/check-in", R"({"patientRef":"P-ref"})", kCardioKiosk);
  EXPECT_EQ(r.code(), "unknown_ticket");  // its scope holds no such patient
  EXPECT_EQ(board(sid), before);

  // Bad or unknown input: clear errors, nothing changes.
  EXPECT_EQ(post(d.port(), "/v1/sessions/" + sid + "/check-in", R"({"label":"Z999"})", kKiosk).code(),
            "unknown_ticket");
  EXPECT_EQ(post(d.port(), "/v1/check-in", R"({"label":")" + a.label + R"("})", kKiosk).code(),
            "invalid_argument");  // a label needs the session
  EXPECT_EQ(post(d.port(), "/v1/sessions/" + sid + "/check-in",
                 R"({"label":")" + a.label + R"(","patientRef":"P-label"})", kKiosk).code(),
            "invalid_argument");
  EXPECT_EQ(post(d.port(), "/v1/sessions/" + sid + "/check-in", "", kKiosk).code(), "invalid_argument");
  EXPECT_EQ(post(d.port(), "/v1/check-in", R"({"token":"0123456789abcdef0123456789abcdef"})", kKiosk).code(),
            "unknown_ticket");
  EXPECT_EQ(post(d.port(), "/v1/sessions/nope/check-in", R"({"label":"A001"})", kKiosk).code(),
            "unknown_session");
  EXPECT_EQ(post(d.port(), "/v1/sessions/" + sid + "/check-in", R"({"label":")" + a.label + R"("})", a.token).code(),
            "forbidden");  // a patient token checks nobody in
  EXPECT_EQ(board(sid), before);

  // By the printed number and the chosen session (case and spaces ignored).
  std::string typed = a.label;
  for (char& ch : typed) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  r = post(d.port(), "/v1/sessions/" + sid + "/check-in", R"({"label":" )" + typed + R"( "})", kKiosk);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json.at("ticketId").as_string(), a.id);
  EXPECT_EQ(r.json.at("token").as_string(), a.token);
  EXPECT_EQ(r.json.at("ticket").at("state").as_string(), "TICKET_STATE_WAITING");
  EXPECT_EQ(r.json.at("ticket").at("doctorName").as_string(), "Dr. Li");
  EXPECT_EQ(r.json.at("ticket").at("room").as_string(), "3");
  EXPECT_TRUE(r.json.at("ticket").as_object().contains("eta"));
  EXPECT_EQ(r.body.find("P-label"), std::string::npos) << "the kiosk's answer names no patient";
  // Again: the engine says it is already checked in.
  EXPECT_EQ(post(d.port(), "/v1/sessions/" + sid + "/check-in", R"({"label":")" + a.label + R"("})", kKiosk).code(),
            "wrong_state");

  // By the booking's QR code: the token of its /t/<token> link.
  r = post(d.port(), "/v1/check-in", R"({"token":")" + b.token + R"("})", kKiosk);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json.at("ticketId").as_string(), b.id);
  EXPECT_EQ(post(d.port(), "/v1/sessions/" + sid2 + "/check-in", R"({"token":")" + c.token + R"("})", kKiosk).code(),
            "unknown_ticket");  // not an appointment of that session

  // By patient id: one appointment today is checked in; two are not guessed.
  r = post(d.port(), "/v1/check-in", R"({"patientRef":"P-ref"})", kKiosk, {{"Idempotency-Key", "kiosk-ref-1"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json.at("ticketId").as_string(), c.id);
  // The kiosk retries (the answer was lost): the same answer, the same
  // printed ticket; without the key the engine says it is checked in.
  Reply again = post(d.port(), "/v1/check-in", R"({"patientRef":"P-ref"})", kKiosk, {{"Idempotency-Key", "kiosk-ref-1"}});
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.body, r.body);
  EXPECT_EQ(post(d.port(), "/v1/check-in", R"({"patientRef":"P-ref"})", kKiosk).code(), "wrong_state");
  const std::string before2 = board(sid) + "/" + board(sid2);
  r = post(d.port(), "/v1/check-in", R"({"patientRef":"P-two"})", kKiosk);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.code(), "ambiguous");
  EXPECT_EQ(board(sid) + "/" + board(sid2), before2);
  r = post(d.port(), "/v1/sessions/" + sid2 + "/check-in", R"({"patientRef":"P-two"})", kKiosk);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json.at("ticketId").as_string(), two2.id);
  (void)two1;
}

// Check-ins by a guessable identifier (label, patientRef) count against the
// per-address limit: a kiosk key cannot enumerate patient ids at full
// speed. A QR token (not guessable) is not counted.
TEST(Integration, CheckInLookupsByLabelOrPatientRefAreRateLimited) {
  const char* kKiosk = "demo-kiosk-key";
  Daemon d({"--limit", "booking_per_address_per_minute=3"});
  std::string sid = make_session(d.port(), "it-ci-limit");
  EXPECT_EQ(post(d.port(), "/v1/check-in", R"({"patientRef":"HIS-1"})", kKiosk).code(), "unknown_ticket");
  EXPECT_EQ(post(d.port(), "/v1/sessions/" + sid + "/check-in", R"({"label":"A009"})", kKiosk).code(),
            "unknown_ticket");
  EXPECT_EQ(post(d.port(), "/v1/check-in", R"({"patientRef":"HIS-3"})", kKiosk).code(), "unknown_ticket");
  Reply r = post(d.port(), "/v1/check-in", R"({"patientRef":"HIS-4"})", kKiosk);
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(r.code(), "rate_limited");
  EXPECT_EQ(post(d.port(), "/v1/sessions/" + sid + "/check-in", R"({"label":"A001"})", kNurse).code(),
            "rate_limited");
  EXPECT_EQ(post(d.port(), "/v1/check-in", R"({"token":"0123456789abcdef0123456789abcdef"})", kKiosk).code(),
            "unknown_ticket");
  // A ticket id (<session>-A001) is as guessable as a label: a kiosk's
  // check-in by ticket id counts too, on either endpoint; a nurse's (the
  // console's button; the nurse reads the session anyway) does not.
  EXPECT_EQ(post(d.port(), "/v1/tickets/" + sid + "-A002/check-in", "", kKiosk).code(), "rate_limited");
  EXPECT_EQ(post(d.port(), "/v1/commands", R"({"checkIn":{"ticketId":")" + sid + R"(-A002"}})", kKiosk).code(),
            "rate_limited");
  EXPECT_EQ(post(d.port(), "/v1/tickets/" + sid + "-A002/check-in", "", kAdmin).code(), "unknown_ticket");
}

// Every answer carries the server's clock (virtual here, years from the
// real one): pages show it instead of the browser's.
TEST(Integration, AnswersCarryTheServersClock) {
  Daemon d({"--clock-start", "2031-03-04T08:16:00+08:00"});
  Reply r = get(d.port(), "/v1/sessions", kAdmin);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("X-Server-Time").substr(0, 15), "2031-03-04T00:1") << r.header("X-Server-Time");
  EXPECT_EQ(get(d.port(), "/v1/sessions/nope/board").header("X-Server-Time").substr(0, 10), "2031-03-04");
}

TEST(Integration, MetricsHealthAndGracefulShutdown) {
  Daemon d;
  std::string sid = make_session(d.port(), "it-ops");
  walk_in(d.port(), sid, "A");
  EXPECT_EQ(get(d.port(), "/healthz").status, 200);
  EXPECT_EQ(get(d.port(), "/readyz").status, 200);
  Reply m = get(d.port(), "/metrics");
  EXPECT_NE(m.body.find("queuecast_commands_total{command=\"register_walk_in\",code=\"ok\"} 1"),
            std::string::npos);
  EXPECT_NE(m.body.find("queuecast_commit_latency_seconds_bucket"), std::string::npos);
  Ws w(d.port());
  w.send(R"({"subscribe":{"board":{"sessionId":")" + sid + R"("}}})");
  ASSERT_TRUE(w.next_view("board"));
  EXPECT_EQ(d.terminate(), 0);
  EXPECT_EQ(w.close_code(), 1001);
}

TEST(Integration, BinaryProtobufOverHttpAndWebSocket) {
  namespace pb = queuecast::v1;
  Daemon d;
  std::string sid = make_session(d.port(), "it-proto");
  pb::RegisterWalkIn w;
  w.set_patient_ref("P1");
  w.set_patient_name("Zhang San");
  std::string body;
  w.SerializeToString(&body);
  asio::io_context ioc;
  beast::tcp_stream s(ioc);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), d.port()));
  http::request<http::string_body> req(http::verb::post, "/v1/sessions/" + sid + "/walk-ins", 11);
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::authorization, std::string("Bearer ") + kNurse);
  req.set(http::field::content_type, "application/x-protobuf");
  req.set(http::field::accept, "application/x-protobuf");
  req.body() = body;
  req.prepare_payload();
  http::write(s, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(s, buf, res);
  ASSERT_EQ(res.result_int(), 201) << res.body();
  EXPECT_EQ(res[http::field::content_type], "application/x-protobuf");
  pb::CommandResponse cr;
  ASSERT_TRUE(cr.ParseFromString(res.body()));
  ASSERT_EQ(cr.token().size(), 32u);

  Ws ws(d.port(), "queuecast.v1.proto");
  ASSERT_TRUE(ws.ok());
  pb::ClientMessage m;
  m.mutable_subscribe()->mutable_patient()->set_token(cr.token());
  std::string bytes;
  m.SerializeToString(&bytes);
  ws.send_binary(bytes);
  auto got = ws.next_raw();
  ASSERT_TRUE(got);
  EXPECT_TRUE(ws.last_binary());
  pb::ServerMessage sm;
  ASSERT_TRUE(sm.ParseFromString(*got));
  ASSERT_TRUE(sm.has_view());
  EXPECT_EQ(sm.view().patient().label(), cr.label());
  EXPECT_EQ(sm.view().patient().ahead(), 0);
  EXPECT_GT(sm.view().version(), 0u);
}

TEST(Integration, TwoShardsRouteSessionsTicketsAndTokens) {
  Daemon d({"--shards", "2"});
  ASSERT_EQ(post(d.port(), "/v1/commands", R"({"defineChannel":{"channel":{"channelId":"web"}}})", kAdmin).status,
            200);
  std::vector<std::string> sids;
  for (int i = 0; i < 4; ++i) {
    // Different areas spread the sessions over the shards.
    qc::Time now = qc::gw::RealClock().now();
    auto t = [](qc::Time x) { return qc::gw::format_rfc3339(x); };
    std::string id = "it-shard-" + std::to_string(i);
    std::string body = R"({"sessionId":")" + id + R"(","doctorName":"Dr","department":"neuro","room":"1",
      "area":"area-)" + std::to_string(i) + R"(","start":")" + t(now - 30 * qc::kMinute) + R"(","end":")" +
                       t(now + 210 * qc::kMinute) + R"(","registrationOpen":")" + t(now - 90 * qc::kMinute) +
                       R"(","walkinConversionTime":")" + t(now + 210 * qc::kMinute) +
                       R"(","appointmentQuota":[2,2,2,2],"walkinQuota":[5,5,5,5]})";
    ASSERT_EQ(post(d.port(), "/v1/sessions", body, kAdmin).status, 201);
    sids.push_back(id);
  }
  EXPECT_EQ(get(d.port(), "/v1/sessions", kAdmin).json.at("sessions").as_array().size(), 4u);
  for (const auto& sid : sids) {
    Ticket a = walk_in(d.port(), sid, "A");
    Reply booked = post(d.port(), "/v1/sessions/" + sid + "/book", R"({"slot":3,"patientRef":"B-)" + sid +
                                                                        R"(","patientName":"B"})", kChannel);
    ASSERT_EQ(booked.status, 201) << booked.body;
    Ws p(d.port());
    p.send(R"({"subscribe":{"patient":{"token":")" + a.token + R"("}}})");
    auto v = p.next_view("patient");
    ASSERT_TRUE(v) << sid;
    EXPECT_EQ(num(*v, "ahead"), 0);
    ASSERT_EQ(post(d.port(), "/v1/tickets/" + a.id + "/call", "", kNurse).status, 200);
    v = p.next_view("patient");
    ASSERT_TRUE(v);
    EXPECT_EQ(v->at("state").as_string(), "TICKET_STATE_CALLED");
    EXPECT_EQ(get(d.port(), "/v1/me", a.token).json.at("ticketId").as_string(), a.id);
  }
}

// A trusted proxy carries every client: its connections are not capped per
// address (a phone-full waiting room behind nginx would be refused at the cap).
TEST(Integration, ATrustedProxysConnectionsAreNotCappedPerAddress) {
  qc::test::ConfigFile proxies(R"({"trusted_proxies":["127.0.0.1"]})");
  Daemon d({"--config", proxies.path(), "--limit", "connections_per_address=2"});
  Ws a(d.port()), b(d.port()), c(d.port()), e(d.port());
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(c.ok());
  EXPECT_TRUE(e.ok());
  EXPECT_EQ(get(d.port(), "/metrics").status, 200);
}

TEST(Integration, SilentConnectionsTimeOutAndConnectionsPerAddressAreCapped) {
  Daemon d({"--limit", "connections_per_address=2", "--limit", "handshake_timeout_ms=300"});
  {
    // A connection that never sends its request is dropped after the timeout.
    asio::io_context ioc;
    tcp::socket raw(ioc);
    raw.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), d.port()));
    char byte;
    bool done = false;
    beast::error_code ec;
    auto t0 = std::chrono::steady_clock::now();
    raw.async_read_some(asio::buffer(&byte, 1), [&](beast::error_code e, std::size_t) {
      done = true;
      ec = e;
    });
    ioc.run_for(5000ms);
    EXPECT_TRUE(done);
    EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 3000ms);
  }
  std::this_thread::sleep_for(100ms);
  Ws a(d.port()), b(d.port());
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  Ws c(d.port());
  EXPECT_FALSE(c.ok());  // a third connection from 127.0.0.1 is refused
  a.send(R"({"ping":{}})");
  EXPECT_TRUE(a.next());  // the others are unaffected
  EXPECT_NE(get(d.port(), "/metrics").status, 200);  // still at the cap (HTTP counts too)
}

}  // namespace
