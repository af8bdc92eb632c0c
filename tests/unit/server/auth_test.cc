#include "server/runtime/auth.h"

#include <gtest/gtest.h>

#include "server/infra/sha256.h"
#include "server/runtime/authorizer.h"

namespace qc::gw {
namespace {

KeyStore store() {
  return KeyStore({
      {Role::kAdmin, "boss", sha256_hex("admin-secret"), {}, {}},
      {Role::kNurse, "n17", sha256_hex("nurse-neuro"), {"neuro"}, {}},
      {Role::kNurse, "n30", sha256_hex("nurse-one-session"), {}, {"s-cardio-1"}},
      {Role::kChannel, "wechat", sha256_hex("channel-key"), {}, {}},
      {Role::kKiosk, "k1", sha256_hex("kiosk-key"), {"neuro"}, {}},
      {Role::kDisplay, "neuro-2f", sha256_hex("display-key"), {}, {}},
  });
}

Target session(std::string sid, std::string dept, std::string area = "") {
  Target t;
  t.session_id = std::move(sid);
  t.department = std::move(dept);
  t.area = std::move(area);
  return t;
}

TEST(KeyStore, AuthenticatesByHashOnly) {
  KeyStore k = store();
  EXPECT_EQ(k.authenticate("admin-secret").role, Role::kAdmin);
  EXPECT_EQ(k.authenticate("nurse-neuro").id, "n17");
  EXPECT_EQ(k.authenticate("display-key").id, "neuro-2f");
  EXPECT_EQ(k.authenticate("").role, Role::kNone);
  EXPECT_EQ(k.authenticate("wrong").role, Role::kNone);
  // The configured digest itself is not a credential.
  EXPECT_EQ(k.authenticate(sha256_hex("admin-secret")).role, Role::kNone);
  // 32 hex characters that match no key: a patient token candidate.
  Principal p = k.authenticate("0123456789abcdef0123456789abcdef");
  EXPECT_EQ(p.role, Role::kPatient);
  EXPECT_EQ(p.actor().kind, ActorKind::kPatient);
  EXPECT_EQ(k.authenticate("0123456789ABCDEF0123456789ABCDEF").role, Role::kNone);
}

TEST(KeyStore, ASecretSeenBeforeAuthenticatesAsTheFirstTime) {
  KeyStore k = store();
  for (int round = 0; round < 3; ++round) {  // the first time by hash, then remembered
    Principal nurse = k.authenticate("nurse-neuro");
    EXPECT_EQ(nurse.role, Role::kNurse);
    EXPECT_EQ(nurse.id, "n17");
    EXPECT_EQ(nurse.departments, std::vector<std::string>{"neuro"});
    EXPECT_EQ(k.authenticate("nurse-one-session").sessions, std::vector<std::string>{"s-cardio-1"});
    EXPECT_EQ(k.authenticate("wrong").role, Role::kNone);
    EXPECT_EQ(k.authenticate("nurse-neuro ").role, Role::kNone);  // not a prefix match
    EXPECT_EQ(k.authenticate("nurse-neur").role, Role::kNone);
    EXPECT_EQ(k.authenticate("0123456789abcdef0123456789abcdef").role, Role::kPatient);
  }
}

TEST(Authorize, RolesAndScopes) {
  KeyStore k = store();
  Principal admin = k.authenticate("admin-secret"), nurse = k.authenticate("nurse-neuro"),
            one = k.authenticate("nurse-one-session"), channel = k.authenticate("channel-key"),
            kiosk = k.authenticate("kiosk-key"), display = k.authenticate("display-key"),
            nobody;
  Target neuro = session("s-neuro-1", "neuro", "neuro-2f");
  Target cardio = session("s-cardio-1", "cardio", "cardio-3f");

  EXPECT_EQ(authorize(nobody, Op::kNurseAction, neuro), Error::kUnauthorized);
  EXPECT_EQ(authorize(admin, Op::kAdminCommand, neuro), Error::kOk);
  EXPECT_EQ(authorize(admin, Op::kTick, neuro), Error::kForbidden);

  EXPECT_EQ(authorize(nurse, Op::kNurseAction, neuro), Error::kOk);
  EXPECT_EQ(authorize(nurse, Op::kNurseAction, cardio), Error::kForbidden);
  EXPECT_EQ(authorize(nurse, Op::kAdminCommand, neuro), Error::kForbidden);
  EXPECT_EQ(authorize(nurse, Op::kReadStaff, cardio), Error::kForbidden);
  EXPECT_EQ(authorize(one, Op::kNurseAction, cardio), Error::kOk);
  EXPECT_EQ(authorize(one, Op::kNurseAction, neuro), Error::kForbidden);

  EXPECT_EQ(authorize(channel, Op::kBook, cardio), Error::kOk);  // book, hold: any session
  EXPECT_EQ(authorize(channel, Op::kNurseAction, cardio), Error::kForbidden);
  // Cancel (a ticket), confirm and release (a hold, Op::kBook): only what
  // the channel itself made; another's and a missing one alike.
  for (Op op : {Op::kCancel, Op::kBook}) {
    Target own = cardio, others = cardio, missing;
    std::string Target::*id = op == Op::kCancel ? &Target::ticket_id : &Target::hold_id;
    Target by_staff = cardio;
    own.*id = others.*id = missing.*id = by_staff.*id = "x1";
    own.owner_channel = "wechat";
    others.owner_channel = "web";
    EXPECT_EQ(authorize(channel, op, own), Error::kOk);
    EXPECT_EQ(authorize(channel, op, others), Error::kForbidden);
    EXPECT_EQ(authorize(channel, op, by_staff), Error::kForbidden);
    EXPECT_EQ(authorize(channel, op, missing), Error::kForbidden);
  }
  Target others_ticket = cardio;
  others_ticket.ticket_id = "t1";
  others_ticket.owner_channel = "web";
  // Staff in scope act on any ticket or hold of their sessions.
  EXPECT_EQ(authorize(nurse, Op::kCancel, others_ticket), Error::kForbidden);  // cardio
  Target neuro_ticket = neuro;
  neuro_ticket.ticket_id = "t2";
  neuro_ticket.owner_channel = "web";
  EXPECT_EQ(authorize(nurse, Op::kCancel, neuro_ticket), Error::kOk);

  EXPECT_EQ(authorize(kiosk, Op::kWalkIn, neuro), Error::kOk);
  EXPECT_EQ(authorize(kiosk, Op::kCheckIn, neuro), Error::kOk);
  EXPECT_EQ(authorize(kiosk, Op::kWalkIn, cardio), Error::kForbidden);
  EXPECT_EQ(authorize(kiosk, Op::kNurseAction, neuro), Error::kForbidden);

  EXPECT_EQ(authorize(display, Op::kReadDisplay, neuro), Error::kOk);
  EXPECT_EQ(authorize(display, Op::kReadDisplay, cardio), Error::kForbidden);
  EXPECT_EQ(authorize(display, Op::kNurseAction, neuro), Error::kForbidden);
  // Staff read the display of an area where a session of their scope is.
  Target area;
  area.area = "neuro-2f";
  area.area_sessions = {{"s-cardio-9", "cardio"}, {"s-neuro-1", "neuro"}};
  EXPECT_EQ(authorize(nurse, Op::kReadDisplay, area), Error::kOk);
  EXPECT_EQ(authorize(admin, Op::kReadDisplay, area), Error::kOk);
  EXPECT_EQ(authorize(kiosk, Op::kReadDisplay, area), Error::kForbidden);
  area.area_sessions.pop_back();
  EXPECT_EQ(authorize(nurse, Op::kReadDisplay, area), Error::kForbidden);
  EXPECT_EQ(authorize(admin, Op::kReadDisplay, area), Error::kOk);  // unscoped
  EXPECT_EQ(authorize(nobody, Op::kSubscribeBoard, neuro), Error::kOk);
}

TEST(Authorize, PatientsOnlyTheirOwnTicket) {
  Principal p;
  p.role = Role::kPatient;
  p.id = "0123456789abcdef0123456789abcdef";
  Target own;
  own.ticket_id = "t1";
  own.token_ticket = "t1";
  Target other = own;
  other.ticket_id = "t2";
  Target unknown_token = own;
  unknown_token.token_ticket = "";
  EXPECT_EQ(authorize(p, Op::kReadPatient, own), Error::kOk);
  EXPECT_EQ(authorize(p, Op::kCancel, own), Error::kOk);
  EXPECT_EQ(authorize(p, Op::kReadPatient, other), Error::kForbidden);
  EXPECT_EQ(authorize(p, Op::kCancel, other), Error::kForbidden);
  EXPECT_EQ(authorize(p, Op::kCheckIn, own), Error::kForbidden);
  EXPECT_EQ(authorize(p, Op::kReadPatient, unknown_token), Error::kUnauthorized);
  // What no patient may do: 403 whether or not the token is known.
  EXPECT_EQ(authorize(p, Op::kReadStaff, unknown_token), Error::kForbidden);
  EXPECT_EQ(authorize(p, Op::kNurseAction, unknown_token), Error::kForbidden);
}

// What the credential alone decides before a request reaches a shard.
TEST(Authorizer, RoleChecksBeforeTheShard) {
  auto role = [](Role r) {
    Principal p;
    p.role = r;
    p.id = "x";
    return p;
  };
  std::string_view why;
  EXPECT_EQ(may_submit(role(Role::kNone), CallNext{"s1"}, &why), Error::kUnauthorized);
  EXPECT_EQ(may_submit(role(Role::kDisplay), CallNext{"s1"}, &why), Error::kForbidden);
  EXPECT_EQ(why, "a display token is read-only");
  EXPECT_EQ(may_submit(role(Role::kAdmin), Tick{}, &why), Error::kForbidden);
  // A patient's command goes on: the shard knows whose ticket the token is.
  EXPECT_EQ(may_submit(role(Role::kPatient), Cancel{"t1"}, &why), Error::kOk);
  EXPECT_EQ(may_submit(role(Role::kChannel), CallNext{"s1"}, &why), Error::kOk);

  EXPECT_EQ(may_ask(role(Role::kNone), Ask::kReadSession, &why), Error::kUnauthorized);
  EXPECT_EQ(may_ask(role(Role::kDisplay), Ask::kReadTicket, &why), Error::kOk);
  EXPECT_EQ(may_ask(role(Role::kNurse), Ask::kMe, &why), Error::kForbidden);
  EXPECT_EQ(may_ask(role(Role::kPatient), Ask::kMe, &why), Error::kOk);
  EXPECT_EQ(may_ask(role(Role::kNone), Ask::kListSessions, &why), Error::kUnauthorized);
  EXPECT_EQ(may_ask(role(Role::kChannel), Ask::kListSessions, &why), Error::kForbidden);
  EXPECT_EQ(may_ask(role(Role::kKiosk), Ask::kListSessions, &why), Error::kOk);
  EXPECT_EQ(may_ask(role(Role::kPatient), Ask::kCheckInBy, &why), Error::kForbidden);
  EXPECT_EQ(may_ask(role(Role::kKiosk), Ask::kCheckInBy, &why), Error::kOk);
  // The cluster's status: an unscoped admin only.
  EXPECT_EQ(may_ask(role(Role::kNone), Ask::kCluster, &why), Error::kUnauthorized);
  EXPECT_EQ(may_ask(role(Role::kNurse), Ask::kCluster, &why), Error::kForbidden);
  EXPECT_EQ(may_ask(role(Role::kChannel), Ask::kCluster, &why), Error::kForbidden);
  EXPECT_EQ(may_ask(role(Role::kAdmin), Ask::kCluster, &why), Error::kOk);
  Principal scoped = role(Role::kAdmin);
  scoped.departments = {"neuro"};
  EXPECT_EQ(may_ask(scoped, Ask::kCluster, &why), Error::kForbidden);
}

}  // namespace
}  // namespace qc::gw
