// Capacity and the shared pool at the level of the spec, and the booking
// rules: book, hold/confirm/release/expiry, channels and windows, reserved
// shares, walk-in conversion, cancellations, K bookings, blacklist.
#include "tests/support/scenario.h"

namespace qc::test {
namespace {

SessionSpec small_spec() {
  SessionSpec s = example_spec();
  s.appointment_quota = {1, 2, 0, 1};
  s.walkin_quota = {1, 1, 1, 1};
  return s;
}

TEST(SpecPool, BookUsesTheSlotQuota) {
  Scenario sc(small_spec());
  Result r = sc.run({book("A1", 0, day_before("10:00"))});
  Event e = find_event(r.events, EventType::kTicketBooked);
  EXPECT_EQ(e.ticket_id, "A1");
  EXPECT_EQ(e.label, "A001");
  EXPECT_EQ(e.slot, 0);
  EXPECT_EQ(e.kind, TicketKind::kAppointment);
  EXPECT_EQ(e.patient_ref, "p-A1");
  EXPECT_EQ(sc.state("A1"), TicketState::kBooked);
  sc.reject(book("A2", 0, day_before("10:01")), Error::kNoCapacity);
  sc.reject(book("A3", 2, day_before("10:01")), Error::kNoCapacity);
  EXPECT_EQ(sc.staff(day_before("10:02")).appointment_left, (std::vector<std::int32_t>{0, 2, 0, 1}));
}

TEST(SpecPool, CancelBeforeConversionReturnsUnitToA) {
  Scenario sc(small_spec());
  sc.run({book("A1", 0, day_before("10:00"))});
  Result r = sc.run({cancel("A1", day_before("11:00"))});
  Event e = find_event(r.events, EventType::kTicketCancelled);
  EXPECT_EQ(e.count, 1);
  EXPECT_EQ(e.reason, "patient");
  EXPECT_EQ(sc.staff(day_before("11:00")).appointment_left[0], 1);
  sc.run({book("A2", 0, day_before("11:01"))});
  sc.reject(cancel("A1", day_before("11:02")), Error::kWrongState);
}

TEST(SpecPool, ConversionMovesUnbookedAToW) {
  Scenario sc(small_spec());
  sc.run({book("A1", 1, day_before("10:00"))});
  Result r = sc.run({tick(at("00:00"))});
  std::vector<std::pair<int, int>> moved;
  for (const Event& e : r.events)
    if (e.type == EventType::kCapacityConverted) moved.push_back({e.slot, e.count});
  EXPECT_EQ(moved, (std::vector<std::pair<int, int>>{{0, 1}, {1, 1}, {3, 1}}));
  StaffView v = sc.staff(at("00:00"));
  EXPECT_EQ(v.appointment_left, (std::vector<std::int32_t>{0, 0, 0, 0}));
  EXPECT_EQ(v.walkin_left, (std::vector<std::int32_t>{2, 2, 1, 2}));
  // Only once.
  r = sc.run({tick(at("00:01"))});
  EXPECT_EQ(count_events(r.events, EventType::kCapacityConverted), 0);
}

TEST(SpecPool, BookingAfterConversionTimeHasNoCapacityEvenBeforeTick) {
  Scenario sc(small_spec());
  sc.reject(book("A1", 0, at("00:00")), Error::kNoCapacity);
  SessionSpec spec = small_spec();
  spec.walkin_conversion_time = at("06:00");
  Scenario late(spec);
  late.run({book("A1", 0, at("05:59"))});
  late.reject(book("A2", 1, at("06:00")), Error::kNoCapacity);
}

TEST(SpecPool, HoldConfirm) {
  Scenario sc(small_spec());
  Result r = sc.run({hold("H1", 0, day_before("10:00"), "p1", "", 10 * kMinute)});
  Event e = find_event(r.events, EventType::kHoldPlaced);
  EXPECT_EQ(e.ticket_id, "H1");
  EXPECT_EQ(e.until, day_before("10:10"));
  EXPECT_EQ(sc.staff(day_before("10:00")).appointment_left[0], 0);
  sc.reject(book("A2", 0, day_before("10:01"), "p2"), Error::kNoCapacity);
  r = sc.run({confirm("H1", "T1", day_before("10:09"))});
  e = find_event(r.events, EventType::kTicketBooked);
  EXPECT_EQ(e.ticket_id, "T1");
  EXPECT_EQ(e.patient_ref, "p1");
  EXPECT_EQ(sc.state("T1"), TicketState::kBooked);
  sc.reject(confirm("H1", "T2", day_before("10:09")), Error::kUnknownHold);
  sc.reject(release("H1", day_before("10:09")), Error::kUnknownHold);
}

TEST(SpecPool, HoldReleaseGivesUnitBack) {
  Scenario sc(small_spec());
  sc.run({hold("H1", 0, day_before("10:00"), "p1")});
  Result r = sc.run({release("H1", day_before("10:01"))});
  EXPECT_EQ(find_event(r.events, EventType::kHoldReleased).count, 1);
  sc.run({book("A2", 0, day_before("10:02"), "p2")});
}

TEST(SpecPool, HoldExpiresOnTickOnly) {
  Scenario sc(small_spec());
  sc.run({hold("H1", 0, day_before("10:00"), "p1", "", 5 * kMinute)});
  // At expiry, confirm is hold_expired and changes nothing...
  sc.reject(confirm("H1", "T1", day_before("10:05")), Error::kHoldExpired);
  // ...and the unit is still locked until the tick.
  sc.reject(book("A2", 0, day_before("10:06"), "p2"), Error::kNoCapacity);
  Result r = sc.run({tick(day_before("10:06"))});
  Event e = find_event(r.events, EventType::kHoldExpired);
  EXPECT_EQ(e.ticket_id, "H1");
  EXPECT_EQ(e.slot, 0);
  sc.run({book("A2", 0, day_before("10:07"), "p2")});
  sc.reject(confirm("H1", "T1", day_before("10:08")), Error::kUnknownHold);
}

TEST(SpecPool, DefaultHoldTtlAndEngineHoldIds) {
  Scenario sc(small_spec());
  Result r = sc.run({hold("", 1, day_before("10:00"), "p1"), hold("", 1, day_before("10:00"), "p2")});
  Event e = find_event(r.events, EventType::kHoldPlaced);
  EXPECT_EQ(e.ticket_id, "S-H2");
  EXPECT_EQ(e.until, day_before("10:15"));
  r = sc.run({confirm("S-H1", "", day_before("10:01"))});
  EXPECT_EQ(find_event(r.events, EventType::kTicketBooked).ticket_id, "S-A001");
}

TEST(SpecPool, ChannelWindow) {
  Scenario sc;
  sc.run({step(DefineChannel{Channel{"web", 7 * kDay, 2 * kHour}}, day_before("00:00"))});
  sc.reject(book("A1", 0, at("08:00") - 7 * kDay - 1, "p1", "web"), Error::kWindowClosed);
  sc.run({book("A1", 0, at("08:00") - 7 * kDay, "p1", "web")});
  SessionSpec spec = example_spec(Policy::kArrival, "L");
  spec.walkin_conversion_time = at("08:00");  // so that the window is what closes
  sc.run({step(CreateSession{spec}, day_before("00:00"))});
  sc.run({book("A2", 0, at("05:59"), "p2", "web", "L")});
  sc.reject(book("A3", 0, at("06:00"), "p3", "web", "L"), Error::kWindowClosed);
  sc.reject(book("A4", 0, day_before("10:00"), "p4", "fax"), Error::kUnknownChannel);
}

TEST(SpecPool, ReservedShareOnlyForItsChannelUntilReleased) {
  SessionSpec spec = small_spec();
  spec.appointment_quota = {2, 0, 0, 0};
  spec.reservations = {Reservation{"phone", {1, 0, 0, 0}, day_before("12:00")}};
  Scenario sc(spec);
  sc.run({step(DefineChannel{Channel{"phone", 0, 0}}, day_before("00:00")),
          step(DefineChannel{Channel{"web", 0, 0}}, day_before("00:00")),
          book("A1", 0, day_before("10:00"), "p1", "web")});
  sc.reject(book("A2", 0, day_before("10:01"), "p2", "web"), Error::kNoCapacity);
  EXPECT_EQ(sc.staff(day_before("10:01")).appointment_left[0], 0);
  EXPECT_EQ(sc.staff(day_before("10:01")).reserved_left[0], 1);
  sc.run({book("A3", 0, day_before("10:02"), "p3", "phone")});
  // The phone unit comes back to the phone share while it is reserved.
  sc.run({cancel("A3", day_before("10:03"))});
  sc.reject(book("A2", 0, day_before("10:04"), "p2", "web"), Error::kNoCapacity);
  Result r = sc.run({tick(day_before("12:00"))});
  Event e = find_event(r.events, EventType::kReservedReleased);
  EXPECT_EQ(e.slot, 0);
  EXPECT_EQ(e.count, 1);
  EXPECT_EQ(e.reason, "phone");
  sc.run({book("A2", 0, day_before("12:01"), "p2", "web")});
}

TEST(SpecPool, ConversionTakesReservedUnitsToo) {
  SessionSpec spec = small_spec();
  spec.appointment_quota = {2, 0, 0, 0};
  spec.reservations = {Reservation{"phone", {1, 0, 0, 0}, kNoTime}};
  Scenario sc(spec);
  Result r = sc.run({tick(at("00:00"))});
  EXPECT_EQ(find_event(r.events, EventType::kCapacityConverted).count, 2);
  EXPECT_EQ(sc.staff(at("00:00")).walkin_left[0], 3);
}

TEST(SpecPool, WalkInCapacityNeverReturns) {
  SessionSpec spec = small_spec();
  spec.walkin_quota = {1, 0, 0, 0};
  Scenario sc(spec);
  sc.run({walk_in("W1", at("07:00")), call_next(at("08:00")), complete("W1", at("08:05"))});
  sc.reject(walk_in("W2", at("08:06")), Error::kNoCapacity);
}

// ---- booking rules ----

TEST(SpecBookingRules, OneActiveBookingPerPatientPerSession) {
  Scenario sc;
  sc.run({book("A1", 0, day_before("10:00"), "p1")});
  sc.reject(book("A2", 1, day_before("10:01"), "p1"), Error::kAlreadyBooked);
  sc.reject(hold("H1", 1, day_before("10:01"), "p1"), Error::kAlreadyBooked);
  sc.run({cancel("A1", day_before("10:02")), book("A3", 1, day_before("10:03"), "p1")});
  // Checked in: no longer an active booking.
  sc.run({check_in("A3", at("07:00")), book("A4", 2, at("07:00") - kDay, "p1")});
}

TEST(SpecBookingRules, AtMostKActiveBookings) {
  Scenario sc(Scenario::Empty{});
  for (const char* sid : {"S1", "S2", "S3", "S4"})
    sc.run({step(CreateSession{example_spec(Policy::kArrival, sid)}, day_before("00:00"))});
  sc.run({book("A1", 0, day_before("10:00"), "p1", "", "S1"),
          book("A2", 0, day_before("10:00"), "p1", "", "S2"),
          hold("H3", 0, day_before("10:00"), "p1", "", 0, "S3")});
  sc.reject(book("A4", 0, day_before("10:01"), "p1", "", "S4"), Error::kBookingLimit);
  sc.run({release("H3", day_before("10:02")), book("A4", 0, day_before("10:03"), "p1", "", "S4")});
}

TEST(SpecBookingRules, NoShowsLeadToBlacklistForBanDays) {
  EngineOptions o;  // N = 3 within 90 days, ban 30 days
  Scenario sc(Scenario::Empty{}, o);
  std::vector<std::string> sids = {"D1", "D2", "D3"};
  Result last;
  for (int i = 0; i < 3; ++i) {
    SessionSpec spec = example_spec(Policy::kArrival, sids[i]);
    Time shift = i * 7 * kDay;
    spec.start += shift;
    spec.end += shift;
    spec.registration_open += shift;
    sc.run({step(CreateSession{spec}, day_before("00:00")),
            book("B" + std::to_string(i), 0, day_before("10:00") + shift, "p1", "", sids[i])});
    last = sc.run({close(at("12:00") + shift, sids[i])});
    EXPECT_EQ(count_events(last.events, EventType::kPatientBlacklisted), i == 2 ? 1 : 0);
  }
  Time closed = at("12:00") + 14 * kDay;
  Event e = find_event(last.events, EventType::kPatientBlacklisted);
  EXPECT_EQ(e.until, closed + 30 * kDay);
  EXPECT_EQ(e.count, 3);
  SessionSpec later = example_spec(Policy::kArrival, "E");
  later.start += 60 * kDay;
  later.end += 60 * kDay;
  later.registration_open += 60 * kDay;
  sc.run({step(CreateSession{later}, closed)});
  sc.reject(book("X", 0, closed + 30 * kDay - 1, "p1", "", "E"), Error::kBlacklisted);
  sc.run({book("X", 0, closed + 30 * kDay, "p1", "", "E")});
}

TEST(SpecBookingRules, NoShowsOutsideTheWindowDoNotCount) {
  EngineOptions o;
  o.noshow_threshold = 2;
  o.noshow_window = 10 * kDay;
  Scenario sc(Scenario::Empty{}, o);
  for (int i = 0; i < 2; ++i) {
    SessionSpec spec = example_spec(Policy::kArrival, "D" + std::to_string(i));
    Time shift = i * 10 * kDay;  // exactly the window apart: the first falls out
    spec.start += shift;
    spec.end += shift;
    spec.registration_open += shift;
    sc.run({step(CreateSession{spec}, day_before("00:00")),
            book("B" + std::to_string(i), 0, day_before("10:00") + shift, "p1", "", spec.session_id)});
    Result r = sc.run({close(at("12:00") + shift, spec.session_id)});
    EXPECT_EQ(count_events(r.events, EventType::kPatientBlacklisted), 0);
  }
}

TEST(SpecBookingRules, SuspendedBookingsAreNotNoShows) {
  EngineOptions o;
  o.noshow_threshold = 1;
  Scenario sc(example_spec(), o);
  sc.run({book("A1", 0, day_before("10:00"), "p1"), suspend(at("07:00")), close(at("12:00"))});
  EXPECT_EQ(sc.state("A1"), TicketState::kCancelled);
  SessionSpec next = example_spec(Policy::kArrival, "N");
  next.start += kDay;
  next.end += kDay;
  next.registration_open += kDay;
  sc.run({step(CreateSession{next}, at("12:00")), book("A2", 0, at("13:00"), "p1", "", "N")});
}

}  // namespace
}  // namespace qc::test
