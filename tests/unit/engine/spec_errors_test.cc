// Every error code the engine can return, provoked at least once, and the
// check order of docs/engine.md where two rules apply at once. A rejected
// command changes nothing (Scenario::reject compares save() images).
// Never returned by the engine (the gateway's): unauthorized, forbidden,
// rate_limited, unavailable.
#include "tests/support/scenario.h"

namespace qc::test {
namespace {

TEST(SpecErrors, UnknownSession) {
  Scenario sc;
  sc.reject(call_next(at("08:00"), "X"), Error::kUnknownSession);
  sc.reject(book("A1", 0, day_before("10:00"), "p1", "", "X"), Error::kUnknownSession);
  sc.reject(walk_in("W1", at("07:00"), "", "X"), Error::kUnknownSession);
  sc.reject(pause(at("08:00"), "X"), Error::kUnknownSession);
  sc.reject(close(at("08:00"), "X"), Error::kUnknownSession);
  sc.reject(hold("H1", 0, day_before("10:00"), "p1", "", 0, "X"), Error::kUnknownSession);
  // Unknown ids come before malformed fields.
  sc.reject(book("A1", 99, day_before("10:00"), "p1", "", "X"), Error::kUnknownSession);
}

TEST(SpecErrors, UnknownTicket) {
  Scenario sc;
  for (const Step& s : {check_in("nope", at("07:00")), call_ticket("nope", at("08:00")),
                        recall("nope", at("08:00")), complete("nope", at("08:00")),
                        missed("nope", at("08:00")), ret("nope", at("08:00")),
                        move_next("nope", at("08:00")), cancel("nope", at("06:00"))})
    sc.reject(s, Error::kUnknownTicket);
}

TEST(SpecErrors, UnknownHoldAndChannel) {
  Scenario sc;
  sc.reject(confirm("nope", "", day_before("10:00")), Error::kUnknownHold);
  sc.reject(release("nope", day_before("10:00")), Error::kUnknownHold);
  sc.reject(book("A1", 0, day_before("10:00"), "p1", "fax"), Error::kUnknownChannel);
  sc.reject(hold("H1", 0, day_before("10:00"), "p1", "fax"), Error::kUnknownChannel);
}

TEST(SpecErrors, WrongState) {
  Scenario sc;
  sc.run({book("A1", 0, day_before("10:00")), walk_in("W1", at("07:00"))});
  sc.reject(call_ticket("A1", at("08:00")), Error::kWrongState);  // BOOKED
  sc.reject(complete("W1", at("08:00")), Error::kWrongState);     // WAITING
  sc.reject(check_in("W1", at("08:00")), Error::kWrongState);
  sc.reject(cancel("W1", day_before("11:00")), Error::kWrongState);
  sc.reject(ret("W1", at("08:00")), Error::kWrongState);
  sc.reject(recall("W1", at("08:00")), Error::kWrongState);
  sc.reject(missed("A1", at("08:00")), Error::kWrongState);
}

TEST(SpecErrors, NotOpenYet) {
  Scenario sc;
  sc.run({book("A1", 0, day_before("10:00"))});
  sc.reject(walk_in("W1", at("06:59")), Error::kNotOpenYet);
  sc.reject(check_in("A1", at("06:59")), Error::kNotOpenYet);
}

TEST(SpecErrors, SessionClosedByTime) {
  Scenario sc;
  sc.run({book("A1", 0, day_before("10:00"))});
  sc.reject(walk_in("W1", at("12:00")), Error::kSessionClosed);
  sc.reject(check_in("A1", at("12:00")), Error::kSessionClosed);
}

TEST(SpecErrors, SessionClosedBeatsWrongState) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00")), close(at("08:00"))});
  sc.reject(check_in("W1", at("08:01")), Error::kSessionClosed);
}

TEST(SpecErrors, SessionPaused) {
  Scenario sc;
  sc.run({pause(at("08:00"))});
  sc.reject(call_next(at("08:01")), Error::kSessionPaused);
}

TEST(SpecErrors, NoCapacity) {
  SessionSpec spec = example_spec();
  spec.appointment_quota = {0, 0, 0, 1};
  spec.walkin_quota = {0, 0, 0, 0};
  Scenario sc(spec);
  sc.reject(book("A1", 0, day_before("10:00")), Error::kNoCapacity);
  sc.reject(walk_in("W1", at("07:00")), Error::kNoCapacity);
}

TEST(SpecErrors, CancelDeadlinePassed) {
  SessionSpec spec = example_spec();
  spec.cancel_deadline = day_before("20:00");
  Scenario sc(spec);
  sc.run({book("A1", 0, day_before("10:00"))});
  sc.reject(cancel("A1", day_before("20:00")), Error::kCancelDeadlinePassed);
  sc.run({cancel("A1", day_before("19:59"))});
}

TEST(SpecErrors, AlreadyBookedBlacklistedBookingLimitOrder) {
  EngineOptions o;
  o.max_active_bookings = 1;
  Scenario sc(example_spec(), o);
  sc.run({book("A1", 0, day_before("10:00"), "p1")});
  // Both already_booked and booking_limit apply: already_booked first.
  sc.reject(book("A2", 1, day_before("10:01"), "p1"), Error::kAlreadyBooked);
  sc.run({step(CreateSession{example_spec(Policy::kArrival, "T")}, day_before("10:02"))});
  sc.reject(book("A3", 1, day_before("10:03"), "p1", "", "T"), Error::kBookingLimit);
}

TEST(SpecErrors, Blacklisted) {
  EngineOptions o;
  o.noshow_threshold = 1;
  Scenario sc(example_spec(), o);
  sc.run({book("A1", 0, day_before("10:00"), "p1"), close(at("12:00"))});
  SessionSpec next = example_spec(Policy::kArrival, "T");
  next.start += 2 * kDay;
  next.end += 2 * kDay;
  next.registration_open += 2 * kDay;
  sc.run({step(CreateSession{next}, at("12:00"))});
  sc.reject(book("A2", 0, at("13:00"), "p1", "", "T"), Error::kBlacklisted);
  sc.reject(hold("H2", 0, at("13:00"), "p1", "", 0, "T"), Error::kBlacklisted);
}

TEST(SpecErrors, HoldExpired) {
  Scenario sc;
  sc.run({hold("H1", 0, day_before("10:00"), "p1", "", kMinute)});
  sc.reject(confirm("H1", "", day_before("10:01")), Error::kHoldExpired);
}

TEST(SpecErrors, WindowClosed) {
  Scenario sc;
  sc.run({step(DefineChannel{Channel{"app", 3 * kDay, 0}}, day_before("00:00"))});
  sc.reject(book("A1", 0, at("08:00") - 3 * kDay - 1, "p1", "app"), Error::kWindowClosed);
}

TEST(SpecErrors, AlreadyExists) {
  Scenario sc;
  sc.run({book("A1", 0, day_before("10:00"), "p1"), hold("H1", 0, day_before("10:00"), "p2"),
          step(DefineChannel{Channel{"web", 0, 0}}, day_before("10:00"))});
  sc.reject(step(CreateSession{example_spec()}, day_before("10:00")), Error::kAlreadyExists);
  sc.reject(book("A1", 1, day_before("10:00"), "p3"), Error::kAlreadyExists);
  sc.reject(walk_in("A1", at("07:00")), Error::kAlreadyExists);
  sc.reject(hold("H1", 1, day_before("10:00"), "p4"), Error::kAlreadyExists);
  sc.reject(confirm("H1", "A1", day_before("10:01")), Error::kAlreadyExists);
  sc.reject(step(DefineChannel{Channel{"web", 0, 0}}, day_before("10:00")), Error::kAlreadyExists);
  sc.run({step(Book{kSid, 1, "p5", "n", "", "", "tok-1"}, day_before("10:00"))});
  sc.reject(step(RegisterWalkIn{kSid, "p6", "n", "", "tok-1"}, at("07:00")), Error::kAlreadyExists);
  EXPECT_EQ(sc.engine.ticket_by_token("tok-1"), std::optional<std::string>("S-A002"));
}

TEST(SpecErrors, InvalidArgument) {
  Scenario sc;
  sc.reject(book("A1", 4, day_before("10:00")), Error::kInvalidArgument);   // slot
  sc.reject(book("A1", -1, day_before("10:00")), Error::kInvalidArgument);
  sc.reject(step(Book{kSid, 0, "", "n", "", "", ""}, day_before("10:00")),
            Error::kInvalidArgument);  // empty patient_ref
  sc.reject(hold("H1", 0, day_before("10:00"), "p1", "", -1), Error::kInvalidArgument);
  sc.reject(step(DefineChannel{Channel{"", 0, 0}}, day_before("10:00")), Error::kInvalidArgument);
  sc.reject(step(DefineChannel{Channel{"c", kDay, 2 * kDay}}, day_before("10:00")),
            Error::kInvalidArgument);
  sc.reject(call_next(Time{1} << 50), Error::kInvalidArgument);  // now out of range
  sc.reject(book(std::string(65, 'x'), 0, day_before("10:00")), Error::kInvalidArgument);
  sc.reject(walk_in("W1", at("07:00"), std::string(129, 'p')), Error::kInvalidArgument);
  sc.reject(hold(std::string(65, 'h'), 0, day_before("10:00"), "p1"), Error::kInvalidArgument);
  sc.reject(step(RegisterWalkIn{kSid, "p", std::string(257, 'n'), "", ""}, at("07:00")),
            Error::kInvalidArgument);
  auto bad = [&](auto mutate) {
    SessionSpec s = example_spec(Policy::kArrival, "B");
    mutate(s);
    sc.reject(step(CreateSession{s}, day_before("10:00")), Error::kInvalidArgument);
  };
  bad([](SessionSpec& s) { s.session_id = ""; });
  bad([](SessionSpec& s) { s.end = s.start; });
  bad([](SessionSpec& s) { s.slot_minutes = 0; });
  bad([](SessionSpec& s) { s.slot_minutes = 50; });  // does not divide 240
  bad([](SessionSpec& s) { s.appointment_quota = {1, 2, 3}; });
  bad([](SessionSpec& s) { s.walkin_quota = {1, 2, 3, -1}; });
  bad([](SessionSpec& s) { s.registration_open = s.start + 1; });
  bad([](SessionSpec& s) { s.late_grace = -1; });
  bad([](SessionSpec& s) { s.reservations = {Reservation{"web", {11, 0, 0, 0}, kNoTime}}; });
  bad([](SessionSpec& s) { s.reservations = {Reservation{"", {1, 0, 0, 0}, kNoTime}}; });
  bad([](SessionSpec& s) { s.reservations = {Reservation{"web", {1, 0}, kNoTime}}; });
  bad([](SessionSpec& s) { s.utc_offset_minutes = 15 * 60; });
}

TEST(SpecErrors, ScheduleCommandsAreValuesNotCrashes) {
  // Whatever the schedule module answers, a rejection changes nothing.
  Scenario sc;
  Result r = sc.apply(step(AdjustQuotas{"nobody", 0, 0, {}, {}}, day_before("10:00")));
  if (!r.ok()) {
    EXPECT_TRUE(r.events.empty());
  }
}

}  // namespace
}  // namespace qc::test
