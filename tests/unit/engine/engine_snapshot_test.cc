// save()/load() round trips, corrupt images, copies, and determinism: the
// same commands give the same events, byte for byte.
#include <fstream>
#include <iterator>
#include <random>

#include "tests/support/scenario.h"

namespace qc::test {
namespace {

// A busy day over two sessions with every kind of command.
std::vector<Step> day_script() {
  SessionSpec t = example_spec(Policy::kAppointmentsFirst, "T");
  t.reservations = {Reservation{"phone", {1, 1, 0, 0}, day_before("18:00")}};
  return {
      step(DefineChannel{Channel{"phone", 0, 0}}, day_before("08:00")),
      step(CreateSession{t}, day_before("08:00")),
      book("A1", 0, day_before("09:00")), book("A2", 1, day_before("09:01")),
      book("A3", 2, day_before("09:02")), book("A4", 3, day_before("09:03")),
      book("B1", 0, day_before("09:04"), "q1", "phone", "T"),
      hold("H1", 1, day_before("09:05"), "q2", "phone", 30 * kMinute, "T"),
      hold("H2", 2, day_before("09:06"), "q3", "", 5 * kMinute, "T"),
      step(Book{"T", 1, "q4", "Qian Si", "", "", "tok-q4"}, day_before("09:07")),
      confirm("H1", "", day_before("09:10")), tick(day_before("09:20")),
      cancel("A4", day_before("10:00")), tick(at("00:00")),
      walk_in("W1", at("07:00")), check_in("A1", at("07:05")), check_in("A2", at("07:10")),
      step(RegisterWalkIn{"T", "q9", "李四", "", "tok-q9"}, at("07:11")),
      call_next(at("08:00")), call_next(at("08:12")), missed("A1", at("08:13")),
      call_next(at("08:14")), ret("A1", at("08:30")), pause(at("08:31")),
      call_ticket("A1", at("08:40")), resume(at("08:45")), walk_in("W2", at("08:50")),
      move_next("W2", at("08:51")), recall("A1", at("08:52")), complete("A1", at("08:55")),
      call_next(at("09:00")), check_in("A3", at("11:05")), suspend(at("09:30"), "ill", "T"),
  };
}

std::vector<Event> run_all(Engine& e, const std::vector<Step>& steps,
                           std::vector<Error>* errors = nullptr) {
  std::vector<Event> out;
  for (const Step& s : steps) {
    Error err = e.apply_into(s.cmd, s.now, &out);
    if (errors) errors->push_back(err);
  }
  return out;
}

Engine started() {
  Engine e;
  e.apply(Command{nurse(), CreateSession{example_spec()}}, day_before("07:00"));
  return e;
}

TEST(Snapshot, LoadOfSaveGivesTheSameStateAndTheSameFuture) {
  std::vector<Step> script = day_script();
  for (std::size_t cut = 0; cut <= script.size(); cut += 4) {
    Engine a = started();
    std::vector<Step> head(script.begin(), script.begin() + cut);
    std::vector<Step> tail(script.begin() + cut, script.end());
    run_all(a, head);
    std::string image = a.save();
    Engine b;
    ASSERT_TRUE(b.load(image)) << "cut " << cut;
    EXPECT_EQ(b.save(), image);
    EXPECT_EQ(b.waiting_order("S"), a.waiting_order("S"));
    EXPECT_EQ(b.session_version("T"), a.session_version("T"));
    std::vector<Error> ea, eb;
    EXPECT_EQ(run_all(b, tail, &eb), run_all(a, tail, &ea)) << "cut " << cut;
    EXPECT_EQ(ea, eb);
    EXPECT_EQ(b.save(), a.save());
    std::vector<PatientView> va, vb;
    a.patient_views("S", at("09:40"), &va);
    b.patient_views("S", at("09:40"), &vb);
    ASSERT_EQ(va.size(), vb.size());
    for (std::size_t i = 0; i < va.size(); ++i) {
      EXPECT_EQ(va[i].eta, vb[i].eta);
      EXPECT_EQ(va[i].ahead, vb[i].ahead);
    }
  }
}

TEST(Snapshot, ScriptExercisesMostCommands) {
  Engine a = started();
  std::vector<Error> errors;
  std::vector<Event> ev = run_all(a, day_script(), &errors);
  int ok = 0;
  for (Error e : errors) ok += e == Error::kOk;
  EXPECT_EQ(ok, static_cast<int>(errors.size()));
  EXPECT_GT(ev.size(), 40u);
}

TEST(Snapshot, CorruptImagesAreRejectedAndLeaveTheEngineUnchanged) {
  Engine a = started();
  run_all(a, day_script());
  std::string image = a.save();
  Engine b = started();
  std::string before = b.save();
  EXPECT_FALSE(b.load(""));
  EXPECT_FALSE(b.load("garbage"));
  // Every strict prefix is invalid.
  for (std::size_t n = 0; n < image.size(); n += 7) EXPECT_FALSE(b.load(image.substr(0, n)));
  EXPECT_FALSE(b.load(image + "x"));
  // Random byte flips never crash (may or may not be valid).
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    std::string bad = image;
    bad[8 + rng() % (bad.size() - 8)] ^= static_cast<char>(1 + rng() % 255);
    Engine c;
    if (c.load(bad)) {
      // A loaded image must be usable.
      std::vector<Event> ev;
      c.apply_into(Command{nurse(), CallNext{"S"}}, at("09:00"), &ev);
      c.apply_into(Command{nurse(), Tick{}}, at("20:00"), &ev);
      std::vector<PatientView> pv;
      c.patient_views("S", at("09:00"), &pv);
      c.display_view("neuro-2f", at("09:00"));
    }
  }
  EXPECT_EQ(b.save(), before);
}

TEST(Snapshot, TokensOfEveryFormSurviveSaveLoad) {
  Engine a = started();
  const std::string hex = "0123456789abcdef0123456789abcdef";
  const std::string upper = "0123456789ABCDEF0123456789ABCDEF";
  a.apply(Command{nurse(), Book{"S", 0, "p1", "n", "", "", hex}}, day_before("10:00"));
  a.apply(Command{nurse(), Book{"S", 1, "p2", "n", "", "", upper}}, day_before("10:00"));
  a.apply(Command{nurse(), RegisterWalkIn{"S", "p3", "n", "", "short"}}, at("07:00"));
  // A token differing in one digit is another token.
  std::string near = hex;
  near[31] = 'e';
  Result dup = a.apply(Command{nurse(), Book{"S", 2, "p4", "n", "", "", hex}}, day_before("10:00"));
  EXPECT_EQ(dup.error, Error::kAlreadyExists);
  Engine b;
  ASSERT_TRUE(b.load(a.save()));
  for (Engine* e : {&a, &b}) {
    EXPECT_EQ(e->ticket_by_token(hex), std::optional<std::string>("S-A001"));
    EXPECT_EQ(e->ticket_by_token(upper), std::optional<std::string>("S-A002"));
    EXPECT_EQ(e->ticket_by_token("short"), std::optional<std::string>("S-W001"));
    EXPECT_FALSE(e->ticket_by_token(near).has_value());
    EXPECT_FALSE(e->ticket_by_token("").has_value());
    // And back from the ticket to its token, whatever its form.
    EXPECT_EQ(e->ticket_token("S-A001"), std::optional<std::string>(hex));
    EXPECT_EQ(e->ticket_token("S-A002"), std::optional<std::string>(upper));
    EXPECT_EQ(e->ticket_token("S-W001"), std::optional<std::string>("short"));
    EXPECT_FALSE(e->ticket_token("S-nope").has_value());
  }
  Engine c = started();
  c.apply(Command{nurse(), Book{"S", 0, "p1", "n"}}, day_before("10:00"));
  EXPECT_FALSE(c.ticket_token("S-A001").has_value());  // booked without a token
}

// Authorization asks who booked a ticket or placed a hold (a channel acts on
// its own only): that survives save/load.
TEST(Snapshot, BookingChannelsOfTicketsAndHoldsSurviveSaveLoad) {
  Engine a;
  a.apply(Command{nurse(), DefineChannel{Channel{"phone", 0, 0}}}, day_before("07:00"));
  a.apply(Command{nurse(), DefineChannel{Channel{"web", 0, 0}}}, day_before("07:00"));
  SessionSpec spec = example_spec();
  spec.reservations = {Reservation{"phone", {1, 0, 0, 0}, day_before("18:00")}};
  ASSERT_TRUE(a.apply(Command{nurse(), CreateSession{spec}}, day_before("07:00")).ok());
  for (const Step& s : {book("P1", 0, day_before("09:00"), "", "phone"),
                        book("P2", 1, day_before("09:00"), "", "phone"),
                        book("W1", 1, day_before("09:00"), "", "web"),
                        book("N1", 2, day_before("09:00")),
                        hold("H1", 3, day_before("09:00"), "q1", "web")})
    ASSERT_TRUE(a.apply(s.cmd, s.now).ok());
  Engine b;
  ASSERT_TRUE(b.load(a.save()));
  for (Engine* e : {&a, &b}) {
    EXPECT_EQ(e->ticket_channel("P1"), std::optional<std::string>("phone"));  // reserved share
    EXPECT_EQ(e->ticket_channel("P2"), std::optional<std::string>("phone"));  // general pool
    EXPECT_EQ(e->ticket_channel("W1"), std::optional<std::string>("web"));
    EXPECT_EQ(e->ticket_channel("N1"), std::optional<std::string>(""));
    EXPECT_FALSE(e->ticket_channel("nope").has_value());
    EXPECT_EQ(e->hold_channel("H1"), std::optional<std::string>("web"));
    EXPECT_EQ(e->hold_session("H1"), std::optional<std::string>(kSid));
    EXPECT_FALSE(e->hold_channel("nope").has_value());
    EXPECT_EQ(e->hold_ids(), std::vector<std::string>{"H1"});
  }
  EXPECT_EQ(b.save(), a.save());
}

// FNV-1a (64 bits) of an image.
std::uint64_t fingerprint(std::string_view image) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : image) h = (h ^ c) * 1099511628211ull;
  return h;
}

// A file of tests/unit/engine/data (images written by earlier releases).
std::string snapshot_file(const std::string& name) {
  std::ifstream in(std::string(QC_SNAPSHOT_DATA) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The day script (with a template, reservations, holds, tokens and an undo
// record), and the steps at which images are taken: every fourth, and the last.
std::vector<Step> pinned_script() {
  SessionTemplate t;
  t.template_id = "pin";
  t.doctor_id = "d-pin";
  t.weekday = 3;
  t.appointment_quota = {2, 2, 0, 1};
  t.walkin_quota = {1, 1, 1, 1};
  t.first_call_delay = 5 * kMinute;
  t.avg_consult_seed = 7 * kMinute;
  std::vector<Step> script = day_script();
  script.insert(script.begin(), step(DefineTemplate{t}, day_before("07:00")));
  return script;
}
bool pinned_step(std::size_t i, std::size_t n) { return i % 4 == 3 || i + 1 == n; }

// The image format (QCSNAP06) is fixed byte for byte: stored snapshots must
// keep loading. Images of the day script at every fourth step.
TEST(Snapshot, ImageBytesArePinned) {
  const std::vector<Step> script = pinned_script();
  std::vector<std::uint64_t> got;
  Engine a = started();
  for (std::size_t i = 0; i < script.size(); ++i) {
    Result r = a.apply(script[i].cmd, script[i].now);
    ASSERT_TRUE(r.ok()) << i << " " << r.message;
    if (pinned_step(i, script.size())) got.push_back(fingerprint(a.save()));
  }
  const std::vector<std::uint64_t> want = {
      14055544072517032116ull,
      4692147201397825067ull,
      9072754363251887485ull,
      9240918437597802020ull,
      10510356922392254867ull,
      10494755013347773452ull,
      8108731414009441930ull,
      11892491452032281179ull,
      6001927554380988350ull};
  EXPECT_EQ(got, want);
}

// The images the previous format (QCSNAP05) wrote at the same steps load
// into the same state: saved again, they are the QCSNAP06 image of a live
// engine at that step, byte for byte (one room, no priority: the defaults).
TEST(Snapshot, VersionFiveImagesLoadIntoTheSameState) {
  const std::vector<Step> script = pinned_script();
  Engine a = started();
  int checked = 0;
  for (std::size_t i = 0; i < script.size(); ++i) {
    ASSERT_TRUE(a.apply(script[i].cmd, script[i].now).ok()) << i;
    if (!pinned_step(i, script.size())) continue;
    const std::string v5 = snapshot_file("day-" + std::to_string(i) + ".qcsnap05");
    ASSERT_EQ(v5.substr(0, 8), "QCSNAP05");
    Engine b;
    ASSERT_TRUE(b.load(v5)) << i;
    EXPECT_EQ(b.save(), a.save()) << i;
    ++checked;
  }
  EXPECT_EQ(checked, 9);
}

// Older images load: without templates, ticket channels and undo records a
// QCSNAP02 to 04 image is a QCSNAP05 one without its last two (empty)
// sections.
TEST(Snapshot, OlderImagesLoad) {
  Engine a = started();
  for (const Step& s : {book("P1", 0, day_before("09:00")), walk_in("W1", at("07:00")),
                        check_in("P1", at("07:05"))})
    ASSERT_TRUE(a.apply(s.cmd, s.now).ok());
  const std::string v5 = snapshot_file("small.qcsnap05");
  ASSERT_EQ(v5.substr(0, 8), "QCSNAP05");
  ASSERT_EQ(v5.substr(v5.size() - 8), std::string(8, '\0'));
  Engine five;
  ASSERT_TRUE(five.load(v5));
  EXPECT_EQ(five.save(), a.save());
  for (const char* magic : {"QCSNAP04", "QCSNAP03", "QCSNAP02"}) {
    std::string old = magic + v5.substr(8, v5.size() - 16);
    Engine b;
    ASSERT_TRUE(b.load(old)) << magic;
    EXPECT_EQ(b.save(), a.save()) << magic;
  }
  Engine c;
  EXPECT_FALSE(c.load("QCSNAP07" + a.save().substr(8)));  // a format from the future
  EXPECT_FALSE(c.load("QCSNAP06" + v5.substr(8)));         // a v5 body is not a v6 one
}

TEST(Determinism, SameCommandsSameEventsAndImages) {
  Engine a = started(), b = started();
  std::vector<Event> ea = run_all(a, day_script());
  std::vector<Event> eb = run_all(b, day_script());
  EXPECT_EQ(ea, eb);
  EXPECT_EQ(a.save(), b.save());
}

TEST(Determinism, CopiesAreIndependentAndEqual) {
  Engine a = started();
  std::vector<Step> script = day_script();
  std::vector<Step> head(script.begin(), script.begin() + 20);
  std::vector<Step> tail(script.begin() + 20, script.end());
  run_all(a, head);
  Engine b = a;
  EXPECT_EQ(run_all(a, tail), run_all(b, tail));
  Engine c = std::move(b);
  EXPECT_EQ(c.save(), a.save());
  EXPECT_FALSE(b.has_session("S"));  // moved-from: empty
  c.apply(Command{nurse(), CloseSession{"S"}}, at("12:00"));
  EXPECT_NE(c.save(), a.save());
}

TEST(Determinism, RejectionsAreValuesAndApplyMatchesApplyInto) {
  Engine a = started();
  Result r = a.apply(Command{nurse(), CallTicket{"nope"}}, at("08:00"));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error, Error::kUnknownTicket);
  EXPECT_TRUE(r.events.empty());
  std::vector<Event> ev{Event{}};
  EXPECT_EQ(a.apply_into(Command{nurse(), CallTicket{"nope"}}, at("08:00"), &ev),
            Error::kUnknownTicket);
  EXPECT_EQ(ev.size(), 1u);  // nothing appended
}

}  // namespace
}  // namespace qc::test
