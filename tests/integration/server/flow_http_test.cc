// The clinical flow through the real queuecastd over HTTP (docs/api.md
// "Priority, return after tests, several rooms"): priority given at a
// walk-in and later, send for tests and return (by the nurse, and by the
// kiosk's check-in with the patient's QR code), two rooms calling
// alternately, and who sees a priority: the patient on their own ticket and
// the staff; never a display, a board or another patient.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proto/codec.h"
#include "queuecast/v1/queuecast.pb.h"
#include "server/infra/clock.h"
#include "tests/support/daemon.h"
#include "tests/support/http_client.h"
#include "tests/support/sessions.h"

namespace {

namespace pb = ::queuecast::v1;

const std::string kAdmin = "Authorization: Bearer demo-admin-key\r\n";
const std::string kNurse = "Authorization: Bearer demo-nurse-key\r\n";
const std::string kKiosk = "Authorization: Bearer demo-kiosk-key\r\n";
const std::string kChannel = "Authorization: Bearer demo-channel-web\r\n";
const std::string kDisplay = "Authorization: Bearer demo-display-neuro\r\n";
const std::string kSid = "gen";

std::string bearer(const std::string& token) { return "Authorization: Bearer " + token + "\r\n"; }

template <typename M>
M parse(const std::string& json) {
  M m;
  std::string msg;
  EXPECT_EQ(qc::codec::parse_json(json, &m, &msg), qc::Error::kOk) << msg << "\n" << json;
  return m;
}

// The session's WAITING labels in call order, from the staff view.
std::vector<std::string> waiting(const pb::StaffView& v) {
  std::vector<std::string> out;
  for (const pb::StaffTicket& t : v.tickets())
    if (t.state() == pb::TICKET_STATE_WAITING) out.push_back(t.label());
  return out;
}
const pb::StaffTicket* find(const pb::StaffView& v, const std::string& label) {
  for (const pb::StaffTicket& t : v.tickets())
    if (t.label() == label) return &t;
  return nullptr;
}

class Flow : public ::testing::Test {
 protected:
  void SetUp() override {
    // A general clinic of two rooms that started 30 minutes ago.
    const qc::Time start = qc::gw::RealClock().now() - 30 * qc::kMinute;
    qc::SessionSpec spec = qc::test::test_session(kSid, "neuro", "neuro-2f", start, 20);
    spec.rooms = {"3", "5"};
    auto r = http_.request("POST", "/v1/commands",
                           qc::codec::command_to_json(qc::Command{qc::Actor{}, qc::CreateSession{spec}}, 0),
                           kAdmin);
    ASSERT_EQ(r.status, 201) << r.body;
    r = http_.request("POST", "/v1/commands", R"({"defineChannel":{"channel":{"channelId":"web"}}})", kAdmin);
    ASSERT_EQ(r.status, 200) << r.body;
  }

  // A walk-in registered by the nurse; its label, id and patient token.
  struct Ticket {
    std::string id, label, token;
  };
  Ticket walk_in(const std::string& who, const std::string& priority = "") {
    std::string body = R"({"patientRef":"P-)" + who + R"(","patientName":")" + who + R"(")";
    if (!priority.empty()) body += R"(,"priority":")" + priority + R"(")";
    auto r = http_.request("POST", "/v1/sessions/" + kSid + "/walk-ins", body + "}", kNurse);
    EXPECT_EQ(r.status, 201) << r.body;
    auto resp = parse<pb::CommandResponse>(r.body);
    return Ticket{resp.ticket_id(), resp.label(), resp.token()};
  }
  pb::StaffView staff() {
    auto r = http_.request("GET", "/v1/sessions/" + kSid, "", kNurse);
    EXPECT_EQ(r.status, 200) << r.body;
    return parse<pb::StaffView>(r.body);
  }
  qc::test::HttpResponse post(const std::string& path, const std::string& body, const std::string& who) {
    return http_.request("POST", path, body, who);
  }

  qc::test::Daemon d_;
  qc::test::HttpClient http_{d_.port()};
};

TEST_F(Flow, PriorityTestsAndTwoRoomsOverHttp) {
  const Ticket w1 = walk_in("W1"), w2 = walk_in("W2"), w3 = walk_in("W3"), w4 = walk_in("W4");
  // A priority walk-in goes after the first waiting patient (priorityAfter 1).
  const Ticket p1 = walk_in("P1", "elderly");
  pb::StaffView v = staff();
  EXPECT_EQ(waiting(v), (std::vector<std::string>{w1.label, p1.label, w2.label, w3.label, w4.label}));
  ASSERT_NE(find(v, p1.label), nullptr);
  EXPECT_EQ(find(v, p1.label)->priority(), "elderly");
  EXPECT_EQ(find(v, p1.label)->placement(), pb::PLACEMENT_INSERTED);
  EXPECT_EQ(find(v, w2.label)->overtaken(), 1);
  EXPECT_EQ(find(v, w1.label)->overtaken(), 0);
  EXPECT_EQ(v.rooms_size(), 2);
  EXPECT_EQ(v.priority_after(), 1);
  EXPECT_EQ(v.return_after(), 2);
  EXPECT_EQ(v.max_overtaken(), 3);

  // Only staff (and allowed channels) give a priority; only listed reasons.
  EXPECT_EQ(post("/v1/sessions/" + kSid + "/walk-ins",
                 R"({"patientRef":"P-K","patientName":"K","priority":"elderly"})", kKiosk)
                .status,
            403);
  EXPECT_EQ(post("/v1/sessions/" + kSid + "/book",
                 R"({"slot":3,"patientRef":"P-C","patientName":"C","priority":"elderly"})", kChannel)
                .status,
            403);
  auto r = post("/v1/tickets/" + w4.id + "/set-priority", R"({"priority":"vip"})", kNurse);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("unknown priority reason"), std::string::npos) << r.body;
  EXPECT_EQ(post("/v1/tickets/" + w4.id + "/set-priority", R"({"priority":"pregnant"})", bearer(w4.token)).status,
            403);

  // A priority set later moves the ticket up at once (after P1: inserted
  // tickets keep their order), passing W2 and W3.
  r = post("/v1/tickets/" + w4.id + "/set-priority", R"({"priority":"pregnant"})", kNurse);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("prioritySet":{)"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("ticketInserted":{)"), std::string::npos) << r.body;
  v = staff();
  EXPECT_EQ(waiting(v), (std::vector<std::string>{w1.label, p1.label, w4.label, w2.label, w3.label}));
  EXPECT_EQ(find(v, w2.label)->overtaken(), 2);

  // Privacy: the patient sees their own priority; nobody else's anywhere.
  r = http_.request("GET", "/v1/me", "", bearer(p1.token));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse<pb::PatientView>(r.body).priority(), "elderly");
  r = http_.request("GET", "/v1/me", "", bearer(w2.token));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(parse<pb::PatientView>(r.body).priority(), "");
  EXPECT_EQ(r.body.find("elderly"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("pregnant"), std::string::npos) << r.body;
  EXPECT_EQ(http_.request("GET", "/v1/tickets/" + p1.id, "", bearer(w2.token)).status, 403);
  for (const std::string& path : {"/v1/sessions/" + kSid + "/board", std::string("/v1/areas/neuro-2f/display")}) {
    r = http_.request("GET", path, "", kDisplay);
    ASSERT_EQ(r.status, 200) << path << " " << r.body;
    for (const char* secret : {"priority", "elderly", "pregnant", "nserted", "vertaken"})
      EXPECT_EQ(r.body.find(secret), std::string::npos) << path << " shows " << secret << ": " << r.body;
  }

  // Two rooms calling alternately from one queue.
  r = post("/v1/sessions/" + kSid + "/call-next", "", kNurse);
  EXPECT_EQ(r.status, 400) << "a session with several rooms needs the room: " << r.body;
  r = post("/v1/sessions/" + kSid + "/call-next", R"({"room":"3"})", kNurse);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("room":"3")"), std::string::npos) << r.body;
  r = post("/v1/sessions/" + kSid + "/call-next", R"({"room":"5"})", kNurse);
  ASSERT_EQ(r.status, 200) << r.body;
  v = staff();
  ASSERT_EQ(v.rooms_size(), 2);
  EXPECT_EQ(v.rooms(0).room(), "3");
  EXPECT_EQ(v.rooms(0).called_label(), w1.label);
  EXPECT_EQ(v.rooms(1).room(), "5");
  EXPECT_EQ(v.rooms(1).called_label(), p1.label);
  EXPECT_EQ(find(v, p1.label)->room(), "5");
  r = http_.request("GET", "/v1/me", "", bearer(p1.token));
  EXPECT_EQ(parse<pb::PatientView>(r.body).room(), "5");
  // The display shows one card per room, each with its own called patient.
  r = http_.request("GET", "/v1/areas/neuro-2f/display", "", kDisplay);
  ASSERT_EQ(r.status, 200);
  auto display = parse<pb::DisplayView>(r.body);
  std::vector<std::string> cards;
  for (const pb::DisplayRoom& room : display.rooms())
    if (room.session_id() == kSid) cards.push_back(room.room() + ":" + room.called().label());
  EXPECT_EQ(cards, (std::vector<std::string>{"3:" + w1.label, "5:" + p1.label}));
  // The sessions list (a kiosk's doctor choice) names the rooms, no patient.
  r = http_.request("GET", "/v1/sessions", "", kKiosk);
  ASSERT_EQ(r.status, 200) << r.body;
  auto list = parse<pb::SessionList>(r.body);
  ASSERT_EQ(list.sessions_size(), 1);
  ASSERT_EQ(list.sessions(0).rooms_size(), 2);
  EXPECT_EQ(list.sessions(0).rooms(1).room(), "5");
  EXPECT_EQ(list.sessions(0).rooms(1).called_ticket(), "");
  EXPECT_EQ(r.body.find(p1.id), std::string::npos) << r.body;
  // ... and the deployment's priority reasons, for a console's choice.
  EXPECT_EQ(std::vector<std::string>(list.priority_reasons().begin(), list.priority_reasons().end()),
            (std::vector<std::string>{"elderly", "military", "disabled", "pregnant"}));
  // Room 3 calls again: its own patient is done, room 5's is not.
  r = post("/v1/sessions/" + kSid + "/call-next", R"({"room":"3"})", kNurse);
  ASSERT_EQ(r.status, 200) << r.body;
  v = staff();
  EXPECT_EQ(v.rooms(0).called_label(), w4.label);
  EXPECT_EQ(v.rooms(1).called_label(), p1.label);
  EXPECT_EQ(find(v, w1.label)->state(), pb::TICKET_STATE_DONE);
  // Pause one room: the other still calls.
  ASSERT_EQ(post("/v1/sessions/" + kSid + "/pause", R"({"room":"5"})", kNurse).status, 200);
  v = staff();
  EXPECT_TRUE(v.rooms(1).paused());
  EXPECT_FALSE(v.rooms(0).paused());
  EXPECT_EQ(v.status(), pb::SESSION_STATUS_OPEN);
  ASSERT_EQ(post("/v1/sessions/" + kSid + "/resume", R"({"room":"5"})", kNurse).status, 200);

  // Send for tests: room 5 is free; back from tests by the nurse: after
  // returnAfter (2) waiting patients.
  r = post("/v1/tickets/" + p1.id + "/send-for-tests", "", kNurse);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("sentForTests":{)"), std::string::npos) << r.body;
  v = staff();
  EXPECT_EQ(find(v, p1.label)->state(), pb::TICKET_STATE_AT_TESTS);
  EXPECT_EQ(v.rooms(1).called_ticket(), "");
  r = http_.request("GET", "/v1/me", "", bearer(p1.token));
  EXPECT_EQ(parse<pb::PatientView>(r.body).state(), pb::TICKET_STATE_AT_TESTS);
  const Ticket w5 = walk_in("W5"), w6 = walk_in("W6");
  EXPECT_EQ(waiting(staff()), (std::vector<std::string>{w2.label, w3.label, w5.label, w6.label}));
  // The patient checks in again at the kiosk with the ticket's QR code:
  // the server returns the ticket from tests.
  r = post("/v1/check-in", R"({"token":")" + p1.token + R"("})", kKiosk);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("returnedFromTests":{)"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("P-"), std::string::npos) << "a kiosk's answer names no patient: " << r.body;
  v = staff();
  // P1 is a priority ticket too: the smaller k (priorityAfter 1) applies.
  EXPECT_EQ(waiting(v), (std::vector<std::string>{w2.label, p1.label, w3.label, w5.label, w6.label}));
  // The nurse's way: W4 (room 3) to tests and back, by ticket id.
  ASSERT_EQ(post("/v1/tickets/" + w4.id + "/send-for-tests", "", kNurse).status, 200);
  // W4 passes waiting patients: the kiosk's answer names none of them (nor
  // W4's patient), also when replayed from its idempotency key.
  const std::string key = kKiosk + "Idempotency-Key: back-w4\r\n";
  auto back = post("/v1/tickets/" + w4.id + "/return-from-tests", "", key);
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_NE(back.body.find(R"("ticketOvertaken":{)"), std::string::npos) << back.body;
  EXPECT_EQ(back.body.find("P-"), std::string::npos) << back.body;
  EXPECT_EQ(parse<pb::CommandResponse>(back.body).ticket().state(), pb::TICKET_STATE_WAITING) << back.body;
  auto again = post("/v1/tickets/" + w4.id + "/return-from-tests", "", key);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, back.body);
  EXPECT_EQ(post("/v1/tickets/" + w4.id + "/return-from-tests", "", kKiosk).status, 409);  // WAITING now
  EXPECT_EQ(post("/v1/tickets/" + w4.id + "/send-for-tests", "", kKiosk).status, 403);
  v = staff();
  EXPECT_EQ(find(v, w4.label)->state(), pb::TICKET_STATE_WAITING);
  EXPECT_EQ(find(v, w4.label)->priority(), "pregnant");
  // Removing the priority leaves the ticket where it is.
  const std::vector<std::string> before = waiting(v);
  ASSERT_EQ(post("/v1/tickets/" + w4.id + "/set-priority", R"({"priority":""})", kNurse).status, 200);
  v = staff();
  EXPECT_EQ(waiting(v), before);
  EXPECT_EQ(find(v, w4.label)->priority(), "");
}

}  // namespace
