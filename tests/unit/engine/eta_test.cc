// The estimated call time (docs/engine.md, "Estimates"): the doctor's usual
// late start (SessionSpec::first_call_delay) before the first call, and the
// BOOKED tickets that may still check in on time and be called first (half
// of them are counted).
#include <fstream>
#include <iterator>
#include "tests/support/scenario.h"

namespace qc::test {
namespace {

constexpr Duration kAvg = 10 * kMinute;  // the default avg_consult seed

TEST(Eta, CountsFromTheDoctorsUsualFirstCall) {
  Scenario sc(late_doctor());
  sc.run({walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), walk_in("W3", at("07:02"))});
  // Not 08:00 + 2 * 10 min: the doctor usually calls first at 08:50.
  EXPECT_EQ(sc.view("W3", at("07:30")).eta, at("08:50") + 2 * kAvg);
  EXPECT_EQ(sc.view("W1", at("07:30")).eta, at("08:50"));
  EXPECT_EQ(sc.engine.board("S", at("07:30"))->doctor_available_at, at("08:50"));
  // Later than usual: from now.
  EXPECT_EQ(sc.view("W1", at("09:05")).eta, at("09:05"));
  // After the first call the delay no longer counts: last call + avg.
  sc.run({call_next(at("08:30"))});
  EXPECT_EQ(sc.view("W2", at("08:31")).eta, at("08:30") + kAvg);
  EXPECT_EQ(sc.view("W3", at("08:31")).eta, at("08:30") + 2 * kAvg);
}

TEST(Eta, NoDelayByDefault) {
  Scenario sc;
  sc.run({walk_in("W1", at("07:00"))});
  EXPECT_EQ(sc.view("W1", at("07:30")).eta, at("08:00"));
}

TEST(Eta, DelayMustBeInRange) {
  SessionSpec s = late_doctor();
  s.first_call_delay = -1;
  Scenario sc(Scenario::Empty{});
  EXPECT_EQ(sc.apply(step(CreateSession{s}, at("06:00"))).error, Error::kInvalidArgument);
  s.first_call_delay = 367 * kDay;
  EXPECT_EQ(sc.apply(step(CreateSession{s}, at("06:00"))).error, Error::kInvalidArgument);
  s.first_call_delay = 0;
  EXPECT_TRUE(sc.apply(step(CreateSession{s}, at("06:00"))).ok());
}

TEST(Eta, BookedOfEarlierSlotsCountHalf) {
  Scenario sc;  // ARRIVAL
  sc.run({book("A0", 0, day_before("10:00")), book("B0", 0, day_before("10:00")),
          book("A1", 1, day_before("10:00")), book("A3", 3, day_before("10:00"))});
  sc.run({walk_in("W1", at("07:00"))});  // slot 0
  PatientView w1 = sc.view("W1", at("07:10"));
  EXPECT_EQ(w1.ahead, 0);
  EXPECT_EQ(w1.eta, at("08:00"));  // ARRIVAL: later slot-0 check-ins go behind W1
  // A3 (slot 3) would be behind W1 (waiting) and, probably, half of the three
  // bookings of slots 0 and 1 that can still come on time.
  PatientView a3 = sc.view("A3", at("07:10"));
  EXPECT_EQ(a3.ahead, 1);
  EXPECT_EQ(a3.eta, at("08:00") + kAvg + 3 * (kAvg / 2));
  EXPECT_EQ(a3.recommended_arrival, a3.eta - 15 * kMinute);
  // A1 counts the two slot-0 bookings; A0 none (its own slot is not earlier).
  EXPECT_EQ(sc.view("A1", at("07:10")).eta, at("08:00") + kAvg + 2 * (kAvg / 2));
  EXPECT_EQ(sc.view("A0", at("07:10")).eta, at("08:00") + kAvg);
  // A0 checks in: a WAITING ticket now (a whole consultation), B0 still half.
  sc.run({check_in("A0", at("07:20"))});
  EXPECT_EQ(sc.view("A3", at("07:20")).eta, at("08:00") + 2 * kAvg + 2 * (kAvg / 2));
  // After 09:00, B0 can no longer come on time (it would be demoted): not counted.
  EXPECT_EQ(sc.view("A3", at("09:01")).eta, at("09:01") + 2 * kAvg + 1 * (kAvg / 2));
  // Cancelled bookings do not count.
  Scenario sc2;
  sc2.run({book("A0", 0, day_before("10:00")), book("A3", 3, day_before("10:00"))});
  EXPECT_EQ(sc2.view("A3", at("07:10")).eta, at("08:00") + kAvg / 2);
  sc2.run({cancel("A0", day_before("11:00"))});
  EXPECT_EQ(sc2.view("A3", at("07:10")).eta, at("08:00"));
}

TEST(Eta, AppointmentsFirstCountsTheSameSlotForWalkIns) {
  Scenario sc(example_spec(Policy::kAppointmentsFirst));
  sc.run({book("A0", 0, day_before("10:00")), walk_in("W1", at("07:00"))});
  // A0, if on time, goes before W1 (appointment class within slot 0).
  EXPECT_EQ(sc.view("W1", at("07:10")).eta, at("08:00") + kAvg / 2);
  // A0's own projection: in front of W1, nothing booked ahead.
  EXPECT_EQ(sc.view("A0", at("07:10")).ahead, 0);
  EXPECT_EQ(sc.view("A0", at("07:10")).eta, at("08:00"));
}

TEST(Eta, MadeNextIsNotDelayedByBookings) {
  Scenario sc;
  sc.run({book("A0", 0, day_before("10:00")), book("A2", 2, day_before("10:00")),
          walk_in("W1", at("07:00")), walk_in("W2", at("07:01")), call_next(at("08:00")),
          missed("W1", at("08:01")), ret("W1", at("08:05"))});
  // W1 is made next (band 0): A0, even on time, would go behind it.
  PatientView v = sc.view("W1", at("08:06"));
  EXPECT_EQ(v.placement, Placement::kMadeNext);
  EXPECT_EQ(v.ahead, 0);
  EXPECT_EQ(v.eta, at("08:10"));
}

TEST(Eta, FullRefreshEqualsSingleViews) {
  for (Policy policy : {Policy::kArrival, Policy::kAppointmentsFirst}) {
    Scenario sc(late_doctor(policy));
    sc.run({book("A0", 0, day_before("10:00")), book("B0", 0, day_before("10:00")),
            book("A1", 1, day_before("10:00")), book("A2", 2, day_before("10:00")),
            book("A3", 3, day_before("10:00")), book("B3", 3, day_before("10:00")),
            cancel("B3", day_before("11:00")), walk_in("W1", at("07:00")),
            walk_in("W2", at("07:01")), check_in("A1", at("07:02")), walk_in("W3", at("07:30"))});
    for (const char* when : {"07:40", "08:55", "09:30", "10:10", "11:59"}) {
      std::vector<PatientView> all;
      ASSERT_TRUE(sc.engine.patient_views("S", at(when), &all));
      for (const PatientView& v : all) {
        PatientView one = sc.view(v.ticket_id, at(when));
        EXPECT_EQ(v.eta, one.eta) << v.ticket_id << " " << when;
        EXPECT_EQ(v.recommended_arrival, one.recommended_arrival) << v.ticket_id << " " << when;
        EXPECT_EQ(v.ahead, one.ahead) << v.ticket_id << " " << when;
      }
    }
    sc.run({call_next(at("08:52")), check_in("A0", at("08:53"))});
    std::vector<PatientView> all;
    ASSERT_TRUE(sc.engine.patient_views("S", at("09:10"), &all));
    for (const PatientView& v : all) EXPECT_EQ(v.eta, sc.view(v.ticket_id, at("09:10")).eta);
  }
}

TEST(Eta, SnapshotKeepsTheDelayAndTheBookings) {
  Scenario sc(late_doctor());
  sc.run({book("A0", 0, day_before("10:00")), book("A3", 3, day_before("10:00")),
          book("B3", 3, day_before("10:00")), cancel("B3", day_before("11:00")),
          walk_in("W1", at("07:00"))});
  Engine copy;
  ASSERT_TRUE(copy.load(sc.engine.save()));
  EXPECT_EQ(copy.session_spec("S")->first_call_delay, 50 * kMinute);
  PatientView a = sc.view("A3", at("07:10"));
  PatientView b = *copy.patient_view("A3", at("07:10"));
  EXPECT_EQ(a.eta, at("08:50") + kAvg + kAvg / 2);
  EXPECT_EQ(b.eta, a.eta);
}

// A QCSNAP01 image (before first_call_delay) still loads, with no delay.
TEST(Eta, VersionOneSnapshotsLoadWithoutDelay) {
  SessionSpec spec = late_doctor();
  spec.first_call_delay = 50 * kMinute + 123;  // a byte pattern found once in the image
  // The same day saved by the QCSNAP05 format (tests/unit/engine/data).
  Scenario sc(spec);
  sc.run({book("A0", 0, day_before("10:00")), walk_in("W1", at("07:00"))});
  std::ifstream in(std::string(QC_SNAPSHOT_DATA) + "/late-doctor.qcsnap05", std::ios::binary);
  std::string image((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(image.substr(0, 8), "QCSNAP05");
  Engine five;
  ASSERT_TRUE(five.load(image));
  EXPECT_EQ(five.save(), sc.engine.save());
  // 05 ends with two sections (tickets' booking channels, then the undo
  // records): none here, two 4-byte zero counts; older images end before them.
  ASSERT_EQ(image.substr(image.size() - 8), std::string(8, '\0'));
  image.resize(image.size() - 8);
  std::string field(8, '\0');
  for (int i = 0; i < 8; ++i)
    field[i] = static_cast<char>((static_cast<std::uint64_t>(spec.first_call_delay) >> (8 * i)) & 0xFF);
  std::size_t at_field = image.find(field);
  ASSERT_NE(at_field, std::string::npos);
  ASSERT_EQ(image.find(field, at_field + 1), std::string::npos);
  std::string v1 = "QCSNAP01" + image.substr(8, at_field - 8) + image.substr(at_field + 8);
  Engine old;
  ASSERT_TRUE(old.load(v1));
  EXPECT_EQ(old.session_spec("S")->first_call_delay, 0);
  EXPECT_EQ(old.patient_view("W1", at("07:30"))->eta, at("08:00"));  // not 08:50
  EXPECT_FALSE(old.load("QCSNAP07" + image.substr(8)));
  EXPECT_FALSE(old.load(v1.substr(0, v1.size() - 1)));
}

}  // namespace
}  // namespace qc::test
