// The shared slot pool (paper 001) through the public Engine API: holds,
// confirm, release, expiry on tick, reserved shares, channel windows, the
// walk-in conversion, cancellation routes and every booking rule.
//
// Session "S" (tests/support/scenario.h): 2026-11-23 08:00-12:00 local,
// 60-min slots, registration 07:00, conversion 00:00, cancel deadline 07:00.
#include "tests/support/scenario.h"

namespace qc::test {
namespace {

// The example session moved by `days` days, with id `sid`.
SessionSpec spec_on(const std::string& sid, int days, std::vector<std::int32_t> a = {10, 10, 10, 10}) {
  SessionSpec s = example_spec(Policy::kArrival, sid);
  const Duration d = days * kDay;
  s.start += d;
  s.end += d;
  s.registration_open += d;
  s.appointment_quota = std::move(a);
  return s;
}

Step create(const SessionSpec& s, Time now) { return step(CreateSession{s}, now); }
Step channel(const std::string& id, Duration opens_before, Duration closes_before, Time now) {
  return step(DefineChannel{Channel{id, opens_before, closes_before}}, now);
}

std::int32_t a_left(const Scenario& sc, int slot, Time now) {
  return sc.staff(now).appointment_left.at(static_cast<std::size_t>(slot));
}
std::int32_t w_left(const Scenario& sc, int slot, Time now) {
  return sc.staff(now).walkin_left.at(static_cast<std::size_t>(slot));
}

// ---- holds ----

TEST(Pool, HoldLocksAUnitAndExpiresOnTick) {
  Scenario sc(spec_on(kSid, 0, {1, 0, 0, 0}));
  const Time t0 = day_before("10:00");
  Result r = sc.run({hold("H1", 0, t0, "p1", "", 10 * kMinute)});
  Event e = find_event(r.events, EventType::kHoldPlaced);
  EXPECT_EQ(e.ticket_id, "H1");
  EXPECT_EQ(e.until, t0 + 10 * kMinute);
  EXPECT_EQ(a_left(sc, 0, t0), 0);
  // The unit is locked: nobody else can take it.
  sc.reject(book("B1", 0, t0 + kMinute, "p2"), Error::kNoCapacity);
  // A tick before the expiry changes nothing.
  r = sc.run({tick(t0 + 10 * kMinute - 1)});
  EXPECT_EQ(count_events(r.events, EventType::kHoldExpired), 0);
  // At the expiry the tick gives the unit back.
  r = sc.run({tick(t0 + 10 * kMinute)});
  e = find_event(r.events, EventType::kHoldExpired);
  EXPECT_EQ(e.ticket_id, "H1");
  EXPECT_EQ(e.slot, 0);
  EXPECT_EQ(a_left(sc, 0, t0 + 11 * kMinute), 1);
  // The expired hold is gone.
  sc.reject(confirm("H1", "T1", t0 + 12 * kMinute), Error::kUnknownHold);
  sc.run({book("B1", 0, t0 + 12 * kMinute, "p2")});
}

TEST(Pool, DefaultHoldTtlComesFromTheOptions) {
  EngineOptions o;
  o.default_hold_ttl = 3 * kMinute;
  Scenario sc(spec_on(kSid, 0), o);
  Result r = sc.run({hold("H1", 0, day_before("10:00"), "p1")});
  EXPECT_EQ(find_event(r.events, EventType::kHoldPlaced).until, day_before("10:03"));
}

TEST(Pool, ConfirmBeforeExpiryBooksAfterExpiryIsHoldExpired) {
  Scenario sc(spec_on(kSid, 0, {2, 0, 0, 0}));
  const Time t0 = day_before("10:00");
  sc.run({hold("H1", 0, t0, "p1", "", 10 * kMinute), hold("H2", 0, t0, "p2", "", 10 * kMinute)});
  Result r = sc.run({confirm("H1", "T1", t0 + 9 * kMinute)});
  Event e = find_event(r.events, EventType::kTicketBooked);
  EXPECT_EQ(e.ticket_id, "T1");
  EXPECT_EQ(e.slot, 0);
  EXPECT_EQ(sc.state("T1"), TicketState::kBooked);
  // At (not only after) the expiry, even without a tick: hold_expired, no change.
  sc.reject(confirm("H2", "T2", t0 + 10 * kMinute), Error::kHoldExpired);
  EXPECT_FALSE(sc.engine.ticket_state("T2").has_value());
  // The unit returns at the next tick, not before.
  EXPECT_EQ(a_left(sc, 0, t0 + 10 * kMinute), 0);
  sc.run({tick(t0 + 10 * kMinute)});
  EXPECT_EQ(a_left(sc, 0, t0 + 10 * kMinute), 1);
  // A confirmed hold cannot be confirmed again.
  sc.reject(confirm("H1", "T9", t0 + 11 * kMinute), Error::kUnknownHold);
}

TEST(Pool, ReleaseGivesTheUnitBack) {
  Scenario sc(spec_on(kSid, 0, {1, 0, 0, 0}));
  const Time t0 = day_before("10:00");
  sc.run({hold("H1", 0, t0, "p1")});
  EXPECT_EQ(a_left(sc, 0, t0), 0);
  Result r = sc.run({release("H1", t0 + kMinute)});
  Event e = find_event(r.events, EventType::kHoldReleased);
  EXPECT_EQ(e.ticket_id, "H1");
  EXPECT_EQ(a_left(sc, 0, t0), 1);
  sc.reject(release("H1", t0 + 2 * kMinute), Error::kUnknownHold);
  sc.reject(confirm("H1", "T1", t0 + 2 * kMinute), Error::kUnknownHold);
  // The released hold no longer counts as the patient's booking.
  sc.run({book("T1", 0, t0 + 3 * kMinute, "p1")});
}

TEST(Pool, EngineAssignsHoldIdsPerSession) {
  Scenario sc(spec_on(kSid, 0));
  Result r = sc.run({hold("", 0, day_before("10:00"), "p1")});
  EXPECT_EQ(find_event(r.events, EventType::kHoldPlaced).ticket_id, "S-H1");
  r = sc.run({hold("", 1, day_before("10:01"), "p2")});
  EXPECT_EQ(find_event(r.events, EventType::kHoldPlaced).ticket_id, "S-H2");
  sc.reject(hold("S-H1", 1, day_before("10:02"), "p3"), Error::kAlreadyExists);
}

// ---- reserved shares and channel windows ----

TEST(Pool, ReservedShareIsKeptForItsChannelUntilReleased) {
  SessionSpec s = spec_on(kSid, 0, {3, 0, 0, 0});
  s.reservations.push_back(Reservation{"referral", {2, 0, 0, 0}, day_before("18:00")});
  Scenario sc(Scenario::Empty{});
  const Time t0 = day_before("09:00");
  sc.run({channel("web", 0, 0, t0), channel("referral", 0, 0, t0), create(s, t0)});
  EXPECT_EQ(a_left(sc, 0, t0), 1);  // 3 minus the 2 reserved
  sc.run({book("W1", 0, t0 + kMinute, "p1", "web")});
  sc.reject(book("W2", 0, t0 + 2 * kMinute, "p2", "web"), Error::kNoCapacity);
  sc.reject(book("N2", 0, t0 + 2 * kMinute, "p2"), Error::kNoCapacity);  // no channel: general pool only
  // The referral channel books from its reserved share.
  sc.run({book("R1", 0, t0 + 3 * kMinute, "p3", "referral")});
  // A tick before the release time changes nothing.
  Result r = sc.run({tick(day_before("17:59"))});
  EXPECT_EQ(count_events(r.events, EventType::kReservedReleased), 0);
  sc.reject(book("W2", 0, day_before("17:59"), "p2", "web"), Error::kNoCapacity);
  // At the release time the rest of the share goes to everyone.
  r = sc.run({tick(day_before("18:00"))});
  Event e = find_event(r.events, EventType::kReservedReleased);
  EXPECT_EQ(e.slot, 0);
  EXPECT_EQ(e.count, 1);
  EXPECT_EQ(e.reason, "referral");
  sc.run({book("W2", 0, day_before("18:01"), "p2", "web")});
  sc.reject(book("R2", 0, day_before("18:02"), "p4", "referral"), Error::kNoCapacity);
}

TEST(Pool, CancelledReservedUnitGoesBackToItsShare) {
  SessionSpec s = spec_on(kSid, 0, {1, 0, 0, 0});
  s.reservations.push_back(Reservation{"referral", {1, 0, 0, 0}, day_before("18:00")});
  Scenario sc(Scenario::Empty{});
  const Time t0 = day_before("09:00");
  sc.run({channel("referral", 0, 0, t0), channel("web", 0, 0, t0), create(s, t0),
          book("R1", 0, t0 + kMinute, "p1", "referral")});
  Result r = sc.run({cancel("R1", t0 + 2 * kMinute)});
  EXPECT_EQ(find_event(r.events, EventType::kTicketCancelled).count, 1);
  sc.reject(book("W1", 0, t0 + 3 * kMinute, "p2", "web"), Error::kNoCapacity);
  sc.run({book("R2", 0, t0 + 4 * kMinute, "p3", "referral")});
}

TEST(Pool, BookingWithAnUnknownChannelIsRejected) {
  Scenario sc(spec_on(kSid, 0));
  sc.reject(book("X1", 0, day_before("10:00"), "p1", "fax"), Error::kUnknownChannel);
  sc.reject(hold("H1", 0, day_before("10:00"), "p1", "fax"), Error::kUnknownChannel);
}

TEST(Pool, ChannelBookingWindowOpensDaysAndClosesHoursBefore) {
  Scenario sc(Scenario::Empty{});
  const Time start = at("08:00");
  sc.run({channel("phone", 7 * kDay, 24 * kHour, start - 30 * kDay),
          create(spec_on(kSid, 0), start - 30 * kDay)});
  sc.reject(book("P1", 0, start - 7 * kDay - 1, "p1", "phone"), Error::kWindowClosed);
  sc.reject(hold("H1", 0, start - 8 * kDay, "p1", "phone"), Error::kWindowClosed);
  sc.run({book("P1", 0, start - 7 * kDay, "p1", "phone")});
  sc.run({book("P2", 0, start - 24 * kHour - 1, "p2", "phone")});
  sc.reject(book("P3", 0, start - 24 * kHour, "p3", "phone"), Error::kWindowClosed);
  // Without a channel (the clinic desk), no window applies until conversion.
  sc.run({book("D1", 0, start - 12 * kHour, "p3")});
}

TEST(Pool, ChannelWindowMustBeConsistent) {
  Scenario sc(Scenario::Empty{});
  sc.reject(channel("bad", kDay, 2 * kDay, day_before("10:00")), Error::kInvalidArgument);
  sc.reject(channel("neg", -kDay, 0, day_before("10:00")), Error::kInvalidArgument);
}

// ---- walk-in conversion and cancellation routes ----

TEST(Pool, UnbookedAppointmentCapacityConvertsToWalkInsOnTick) {
  SessionSpec s = spec_on(kSid, 0, {2, 1, 0, 0});
  s.walkin_quota = {1, 1, 1, 1};
  Scenario sc(s);
  sc.run({book("A1", 0, day_before("10:00"))});
  // Not before the conversion time (00:00 local of the session's day).
  Result r = sc.run({tick(at("00:00") - 1)});
  EXPECT_EQ(count_events(r.events, EventType::kCapacityConverted), 0);
  r = sc.run({tick(at("00:00"))});
  ASSERT_EQ(count_events(r.events, EventType::kCapacityConverted), 2);
  EXPECT_EQ(r.events[0].slot, 0);
  EXPECT_EQ(r.events[0].count, 1);
  EXPECT_EQ(r.events[1].slot, 1);
  EXPECT_EQ(r.events[1].count, 1);
  EXPECT_EQ(w_left(sc, 0, at("00:01")), 2);
  EXPECT_EQ(w_left(sc, 1, at("00:01")), 2);
  EXPECT_EQ(a_left(sc, 0, at("00:01")), 0);
  // Converting twice does nothing; booking after the conversion time is no_capacity.
  r = sc.run({tick(at("00:05"))});
  EXPECT_EQ(count_events(r.events, EventType::kCapacityConverted), 0);
  sc.reject(book("A2", 1, at("00:10")), Error::kNoCapacity);
  // The converted units serve walk-ins.
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01"))});
  Result w3 = sc.run({walk_in("W3", at("07:02"))});
  EXPECT_EQ(find_event(w3.events, EventType::kWalkInRegistered).slot, 1);
}

TEST(Pool, HoldExpiringAfterTheConversionGivesItsUnitToWalkIns) {
  SessionSpec s = spec_on(kSid, 0, {1, 0, 0, 0});
  s.walkin_quota = {0, 0, 0, 0};
  Scenario sc(s);
  sc.run({hold("H1", 0, at("00:00") - 10 * kMinute, "p1", "", 30 * kMinute)});
  // The conversion leaves the held unit alone (nothing unbooked to convert).
  Result r = sc.run({tick(at("00:00"))});
  EXPECT_EQ(count_events(r.events, EventType::kCapacityConverted), 0);
  // It expires after the conversion time: the unit goes to W, not back to A.
  r = sc.run({tick(at("00:20"))});
  EXPECT_EQ(find_event(r.events, EventType::kHoldExpired).count, 2);
  EXPECT_EQ(w_left(sc, 0, at("00:20")), 1);
  EXPECT_EQ(a_left(sc, 0, at("00:20")), 0);
}

TEST(Pool, HoldPlacedBeforeTheConversionCanBeConfirmedAfterIt) {
  Scenario sc(spec_on(kSid, 0, {1, 0, 0, 0}));
  sc.run({hold("H1", 0, at("00:00") - 10 * kMinute, "p1", "", 30 * kMinute), tick(at("00:00"))});
  Result r = sc.run({confirm("H1", "T1", at("00:05"))});
  EXPECT_EQ(find_event(r.events, EventType::kTicketBooked).ticket_id, "T1");
  EXPECT_EQ(sc.state("T1"), TicketState::kBooked);
}

TEST(Pool, BookingAfterConversionTimeIsNoCapacityEvenWithoutTick) {
  Scenario sc(spec_on(kSid, 0));
  sc.reject(book("A1", 0, at("00:00")), Error::kNoCapacity);
  sc.reject(hold("H1", 0, at("00:30"), "p1"), Error::kNoCapacity);
}

TEST(Pool, CancelBeforeConversionReturnsTheUnitToA) {
  Scenario sc(spec_on(kSid, 0, {1, 0, 0, 0}));
  sc.run({book("A1", 0, day_before("10:00"))});
  EXPECT_EQ(a_left(sc, 0, day_before("10:00")), 0);
  Result r = sc.run({cancel("A1", day_before("20:00"))});
  Event e = find_event(r.events, EventType::kTicketCancelled);
  EXPECT_EQ(e.count, 1);  // back to A
  EXPECT_EQ(e.reason, "patient");
  EXPECT_EQ(sc.state("A1"), TicketState::kCancelled);
  EXPECT_EQ(a_left(sc, 0, day_before("20:00")), 1);
  sc.run({book("A2", 0, day_before("21:00"))});
}

TEST(Pool, CancelAfterConversionGivesTheUnitToW) {
  SessionSpec s = spec_on(kSid, 0, {1, 0, 0, 0});
  s.walkin_quota = {0, 0, 0, 0};
  Scenario sc(s);
  sc.run({book("A1", 0, day_before("10:00")), tick(at("00:00"))});
  EXPECT_EQ(w_left(sc, 0, at("06:00")), 0);
  Result r = sc.run({cancel("A1", at("06:30"))});  // worked example 6
  EXPECT_EQ(find_event(r.events, EventType::kTicketCancelled).count, 2);  // to W
  EXPECT_EQ(w_left(sc, 0, at("06:30")), 1);
  EXPECT_EQ(a_left(sc, 0, at("06:30")), 0);
  sc.run({walk_in("W1", at("07:00"))});
}

TEST(Pool, CancelAfterConversionTimeWithoutTickStillGoesToW) {
  Scenario sc(spec_on(kSid, 0, {1, 0, 0, 0}));
  sc.run({book("A1", 0, day_before("10:00"))});
  Result r = sc.run({cancel("A1", at("01:00"))});  // no tick yet: decided by its own now
  EXPECT_EQ(find_event(r.events, EventType::kTicketCancelled).count, 2);
}

TEST(Pool, CancelAtOrAfterTheDeadlineIsRejected) {
  Scenario sc(spec_on(kSid, 0));
  sc.run({book("A1", 0, day_before("10:00")), book("A2", 1, day_before("10:01"))});
  sc.reject(cancel("A1", at("07:00")), Error::kCancelDeadlinePassed);
  sc.reject(cancel("A2", at("07:30")), Error::kCancelDeadlinePassed);
  sc.run({cancel("A1", at("07:00") - 1)});
  sc.reject(cancel("A1", at("06:59")), Error::kWrongState);  // already cancelled
}

TEST(Pool, ExplicitCancelDeadlineIsHonoured) {
  SessionSpec s = spec_on(kSid, 0);
  s.cancel_deadline = day_before("18:00");
  Scenario sc(s);
  sc.run({book("A1", 0, day_before("10:00"))});
  sc.reject(cancel("A1", day_before("18:00")), Error::kCancelDeadlinePassed);
}

// ---- booking rules ----

TEST(Pool, OneActiveBookingPerPatientPerSession) {
  Scenario sc(spec_on(kSid, 0));
  const Time t0 = day_before("10:00");
  sc.run({book("A1", 0, t0, "p1")});
  sc.reject(book("A2", 1, t0 + kMinute, "p1"), Error::kAlreadyBooked);
  sc.reject(hold("H1", 2, t0 + kMinute, "p1"), Error::kAlreadyBooked);
  // An open hold counts as well.
  sc.run({hold("H2", 0, t0 + 2 * kMinute, "p2")});
  sc.reject(book("A3", 1, t0 + 3 * kMinute, "p2"), Error::kAlreadyBooked);
  // After a cancellation the patient may book again.
  sc.run({cancel("A1", t0 + 4 * kMinute), book("A4", 3, t0 + 5 * kMinute, "p1")});
}

TEST(Pool, AtMostKActiveBookings) {
  EngineOptions o;
  o.max_active_bookings = 3;
  Scenario sc(Scenario::Empty{}, o);
  const Time t0 = day_before("10:00") - 5 * kDay;
  sc.run({create(spec_on("D1", 1), t0), create(spec_on("D2", 2), t0), create(spec_on("D3", 3), t0),
          create(spec_on("D4", 4), t0)});
  sc.run({book("B1", 0, t0, "p1", "", "D1"), book("B2", 0, t0, "p1", "", "D2"),
          hold("H3", 0, t0, "p1", "", kHour, "D3")});
  sc.reject(book("B4", 0, t0 + kMinute, "p1", "", "D4"), Error::kBookingLimit);
  sc.reject(hold("H4", 0, t0 + kMinute, "p1", "", 0, "D4"), Error::kBookingLimit);
  // Another patient is not affected.
  sc.run({book("C4", 0, t0 + kMinute, "p2", "", "D4")});
  // Releasing the hold frees one of the K.
  sc.run({release("H3", t0 + 2 * kMinute), book("B4", 0, t0 + 3 * kMinute, "p1", "", "D4")});
  sc.reject(book("B3", 0, t0 + 4 * kMinute, "p1", "", "D3"), Error::kBookingLimit);
  // A checked-in appointment is no longer an active booking.
  const Time d1 = at("07:30") + kDay;
  sc.run({check_in("B1", d1)});
  sc.run({book("B3", 0, d1 + kMinute, "p1", "", "D3")});
}

TEST(Pool, EmptyPatientRefIsInvalid) {
  Scenario sc(spec_on(kSid, 0));
  Step s = step(Book{kSid, 0, "", "Nobody", "X1", "", ""}, day_before("10:00"));
  sc.reject(s, Error::kInvalidArgument);
}

// N no-shows within the window -> blacklisted for the ban; allowed after it.
class Blacklist : public ::testing::Test {
 protected:
  Blacklist() : sc(Scenario::Empty{}, options()) {}
  static EngineOptions options() {
    EngineOptions o;
    o.noshow_threshold = 3;
    o.noshow_window = 90 * kDay;
    o.ban = 30 * kDay;
    return o;
  }
  // A session `days` after the base day in which p1 books and never comes.
  void no_show_on(const std::string& sid, int days) {
    const SessionSpec s = spec_on(sid, days);
    sc.run({create(s, s.start - 3 * kDay), book(sid + "-A", 0, s.start - 2 * kDay, "p1", "", sid)});
    Result r = sc.run({close(s.end, sid)});
    Event e = find_event(r.events, EventType::kTicketNoShow);
    EXPECT_EQ(e.patient_ref, "p1");
    last_close = s.end;
  }
  Scenario sc;
  Time last_close = 0;
};

TEST_F(Blacklist, ThirdNoShowWithinTheWindowBans) {
  no_show_on("D1", 0);
  no_show_on("D2", 10);
  EXPECT_EQ(count_events(sc.log, EventType::kPatientBlacklisted), 0);
  no_show_on("D3", 20);
  Event b = find_event(sc.log, EventType::kPatientBlacklisted);
  EXPECT_EQ(b.patient_ref, "p1");
  EXPECT_EQ(b.until, last_close + 30 * kDay);
  // Refused for the ban period, for both book and hold.
  const SessionSpec later = spec_on("D4", 60);
  sc.run({create(later, last_close)});
  sc.reject(step(Book{"D4", 0, "p1", "P One", "X1", "", ""}, last_close + kDay), Error::kBlacklisted);
  sc.reject(step(Hold{"D4", 0, "p1", "P One", "", 0, ""}, b.until - 1), Error::kBlacklisted);
  // Others are not affected; p1 may book again once the ban is over.
  sc.run({book("Y1", 0, last_close + kDay, "p2", "", "D4")});
  sc.run({book("X1", 0, b.until, "p1", "", "D4")});
}

// The blacklist is about booking (spec: a patient who does not come loses
// the right to reserve): a banned patient who turns up is registered as a
// walk-in. A refusal never repeats the reference (the caller that asks is
// not told more than the code), nor do the other patient limits.
TEST_F(Blacklist, ABannedPatientMayWalkInAndRefusalsDoNotEchoTheRef) {
  no_show_on("D1", 0);
  no_show_on("D2", 10);
  no_show_on("D3", 20);
  const SessionSpec later = spec_on("D4", 60);
  sc.run({create(later, last_close)});
  Result r = sc.apply(step(Book{"D4", 0, "p1", "P One", "X1", "", ""}, last_close + kDay));
  EXPECT_EQ(r.error, Error::kBlacklisted);
  EXPECT_EQ(r.message.find("p1"), std::string::npos) << r.message;
  r = sc.run({walk_in("W1", later.registration_open + kMinute, "p1", "D4")});
  EXPECT_EQ(find_event(r.events, EventType::kWalkInRegistered).patient_ref, "p1");
  // Already booked in the session, and the cap of active bookings.
  sc.run({book("Y1", 0, last_close + kDay, "p2", "", "D4")});
  r = sc.apply(book("Y2", 1, last_close + kDay, "p2", "", "D4"));
  EXPECT_EQ(r.error, Error::kAlreadyBooked);
  EXPECT_EQ(r.message.find("p2"), std::string::npos) << r.message;
}

TEST_F(Blacklist, NoShowsOutsideTheWindowDoNotCount) {
  no_show_on("D1", 0);
  no_show_on("D2", 50);
  no_show_on("D3", 100);  // the first one is more than 90 days before
  EXPECT_EQ(count_events(sc.log, EventType::kPatientBlacklisted), 0);
  no_show_on("D4", 110);  // now three within 90 days: 50, 100, 110
  EXPECT_EQ(count_events(sc.log, EventType::kPatientBlacklisted), 1);
}

TEST_F(Blacklist, SuspensionAndCancellationAreNeverNoShows) {
  for (int k = 0; k < 3; ++k) {
    const std::string sid = "L" + std::to_string(k);
    const SessionSpec s = spec_on(sid, k);
    sc.run({create(s, s.start - 3 * kDay), book(sid + "-A", 0, s.start - 2 * kDay, "p1", "", sid),
            suspend(s.start - kDay, "sick", sid), close(s.end, sid)});
  }
  EXPECT_EQ(count_events(sc.log, EventType::kTicketNoShow), 0);
  EXPECT_EQ(count_events(sc.log, EventType::kPatientBlacklisted), 0);
}

}  // namespace
}  // namespace qc::test
