// Stable names (errors, states, events, commands) and name masking.
#include <set>

#include "tests/support/scenario.h"

namespace qc::test {
namespace {

TEST(Names, ErrorsRoundTripAndAreUnique) {
  std::set<std::string_view> seen;
  for (int i = 0; i < kErrorCount; ++i) {
    Error e = static_cast<Error>(i);
    std::string_view name = to_string(e);
    EXPECT_TRUE(seen.insert(name).second) << name;
    Error back;
    ASSERT_TRUE(parse_error(name, &back));
    EXPECT_EQ(back, e);
  }
  EXPECT_EQ(to_string(Error::kNoCapacity), "no_capacity");
  EXPECT_EQ(to_string(Error::kCancelDeadlinePassed), "cancel_deadline_passed");
  Error out;
  EXPECT_FALSE(parse_error("nope", &out));
}

TEST(Names, EventsAndEnums) {
  std::set<std::string_view> seen;
  for (int i = 0; i < kEventTypeCount; ++i)
    EXPECT_TRUE(seen.insert(to_string(static_cast<EventType>(i))).second);
  EXPECT_EQ(to_string(EventType::kTicketCalled), "ticket_called");
  EXPECT_EQ(to_string(EventType::kQuotasAdjusted), "quotas_adjusted");
  EXPECT_EQ(to_string(TicketState::kNoShow), "no_show");
  EXPECT_EQ(to_string(TicketKind::kWalkIn), "walk_in");
  EXPECT_EQ(to_string(Placement::kMadeNext), "made_next");
  EXPECT_EQ(to_string(Policy::kAppointmentsFirst), "appointments_first");
  EXPECT_EQ(to_string(SessionStatus::kSuspended), "suspended");
  EXPECT_EQ(to_string(ActorKind::kKiosk), "kiosk");
}

TEST(Names, Commands) {
  EXPECT_EQ(command_name(CallNext{}), "call_next");
  EXPECT_EQ(command_name(ReturnTicket{}), "return");
  EXPECT_EQ(command_name(RegisterWalkIn{}), "register_walk_in");
  EXPECT_EQ(command_name(DoctorLeave{}), "doctor_leave");
  EXPECT_EQ(command_name(Tick{}), "tick");
}

TEST(Names, MaskName) {
  EXPECT_EQ(mask_name("张三"), "张*");
  EXPECT_EQ(mask_name("王小明"), "王**");
  EXPECT_EQ(mask_name("张"), "张*");
  EXPECT_EQ(mask_name("Zhang San"), "Z*** S.");
  EXPECT_EQ(mask_name("  Mary Ann Lee "), "M*** A. L.");
  EXPECT_EQ(mask_name("Madonna"), "M***");
  EXPECT_EQ(mask_name(""), "");
  EXPECT_EQ(mask_name("   "), "");
  EXPECT_EQ(mask_name("\xff\xfe"), "\xff*");  // invalid UTF-8: byte-wise, no crash
}

}  // namespace
}  // namespace qc::test
