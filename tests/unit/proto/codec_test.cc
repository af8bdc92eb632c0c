// The codec (proto/codec.h): pure functions, tested without I/O. Round trips
// of every command, event and view that randomized engine runs produce;
// enums and error codes against the engine's; malformed input is a value
// (invalid_argument naming the field), never a crash.
#include <gtest/gtest.h>
#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <cctype>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "proto/codec.h"
#include "tests/support/command_generator.h"
#include "tests/support/reference_model.h"

namespace qc {
namespace {

namespace pb = codec::pb;
using google::protobuf::util::MessageDifferencer;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The wire name of an enum value without its prefix, in lower case.
template <typename Wire>
std::string wire_name(const google::protobuf::EnumDescriptor* d, int v, const std::string& prefix) {
  std::string n = d->FindValueByNumber(v)->name();
  if (n.rfind(prefix, 0) == 0) n = n.substr(prefix.size());
  return lower(n);
}

TEST(Codec, ErrorCodesAreTheEnginesOneToOne) {
  const auto* d = pb::ErrorCode_descriptor();
  EXPECT_EQ(d->value_count(), kErrorCount);
  for (int v = 0; v < kErrorCount; ++v) {
    Error e = static_cast<Error>(v);
    ASSERT_NE(d->FindValueByNumber(v), nullptr) << v;
    EXPECT_EQ(static_cast<int>(codec::to_proto(e)), v);
    Error back;
    ASSERT_TRUE(codec::from_proto(static_cast<pb::ErrorCode>(v), &back));
    EXPECT_EQ(back, e);
    if (v > 0) EXPECT_EQ(lower(d->FindValueByNumber(v)->name()), to_string(e));
  }
  Error out;
  EXPECT_FALSE(codec::from_proto(static_cast<pb::ErrorCode>(kErrorCount), &out));
  EXPECT_FALSE(codec::from_proto(static_cast<pb::ErrorCode>(-1), &out));
}

TEST(Codec, EnumsNumberedAndNamedLikeTheEngine) {
  for (int v = 0; v < 8; ++v)
    EXPECT_EQ(wire_name<pb::TicketState>(pb::TicketState_descriptor(), v, "TICKET_STATE_"),
              to_string(static_cast<TicketState>(v)));
  for (int v = 0; v < 2; ++v)
    EXPECT_EQ(wire_name<pb::TicketKind>(pb::TicketKind_descriptor(), v, "TICKET_KIND_"),
              to_string(static_cast<TicketKind>(v)));
  for (int v = 0; v < 2; ++v)
    EXPECT_EQ(wire_name<pb::Policy>(pb::Policy_descriptor(), v, "POLICY_"),
              to_string(static_cast<Policy>(v)));
  for (int v = 0; v < 5; ++v)
    EXPECT_EQ(wire_name<pb::Placement>(pb::Placement_descriptor(), v, "PLACEMENT_"),
              to_string(static_cast<Placement>(v)));
  for (int v = 0; v < 4; ++v)
    EXPECT_EQ(wire_name<pb::SessionStatus>(pb::SessionStatus_descriptor(), v, "SESSION_STATUS_"),
              to_string(static_cast<SessionStatus>(v)));
  for (int v = 0; v < 7; ++v)
    EXPECT_EQ(wire_name<pb::ActorKind>(pb::ActorKind_descriptor(), v, "ACTOR_KIND_"),
              to_string(static_cast<ActorKind>(v)));
  EXPECT_EQ(pb::TicketState_descriptor()->value_count(), 8);  // AT_TESTS = 7
  EXPECT_EQ(pb::Placement_descriptor()->value_count(), 5);    // INSERTED = 4
  EXPECT_EQ(pb::ActorKind_descriptor()->value_count(), 7);
  // One oneof member per event type, numbered 10 + type.
  const auto* body = pb::Event::descriptor()->FindOneofByName("body");
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(body->field_count(), kEventTypeCount);
  for (int t = 0; t < kEventTypeCount; ++t) {
    const auto* f = pb::Event::descriptor()->FindFieldByNumber(10 + t);
    ASSERT_NE(f, nullptr) << t;
    EXPECT_EQ(f->name(), to_string(static_cast<EventType>(t)));
  }
}

TEST(Codec, TimesAreMillisecondsBothWays) {
  for (Time t : {Time{0}, Time{1}, Time{-1}, Time{999}, Time{-1001}, Time{1795363200123},
                 Time{-62135596800000}, Time{253402300799999}}) {
    google::protobuf::Timestamp ts;
    codec::to_proto(t, &ts);
    EXPECT_GE(ts.nanos(), 0);
    Time back = 0;
    std::string m;
    ASSERT_EQ(codec::from_proto(ts, &back, &m), Error::kOk) << t << " " << m;
    EXPECT_EQ(back, t);
  }
  google::protobuf::Timestamp ts;
  ts.set_seconds(5);
  codec::to_proto(kNoTime, &ts);
  EXPECT_EQ(ts.seconds(), 0);  // cleared
  ts.set_seconds(1);
  ts.set_nanos(1'999'999);  // sub-millisecond digits are truncated
  Time t = 0;
  std::string m;
  ASSERT_EQ(codec::from_proto(ts, &t, &m), Error::kOk);
  EXPECT_EQ(t, 1001);
  ts.set_nanos(-1);
  EXPECT_EQ(codec::from_proto(ts, &t, &m), Error::kInvalidArgument);
  ts.set_nanos(0);
  ts.set_seconds(1LL << 60);
  EXPECT_EQ(codec::from_proto(ts, &t, &m), Error::kInvalidArgument);
  EXPECT_NE(m.find("out of range"), std::string::npos);

  for (Duration d : {Duration{0}, Duration{1500}, Duration{-1500}, Duration{15 * kMinute}}) {
    google::protobuf::Duration w;
    codec::duration_to_proto(d, &w);
    Duration back = 0;
    ASSERT_EQ(codec::duration_from_proto(w, &back, &m), Error::kOk);
    EXPECT_EQ(back, d);
  }
  google::protobuf::Duration bad;
  bad.set_seconds(1);
  bad.set_nanos(-5);
  Duration d = 0;
  EXPECT_EQ(codec::duration_from_proto(bad, &d, &m), Error::kInvalidArgument);

  // RFC 3339 with an offset is the same instant as in UTC.
  Command a, b;
  Time at_a = 0, at_b = 0;
  ASSERT_EQ(codec::parse_command_json(R"({"at":"2026-11-23T08:00:00+08:00","tick":{}})", &a,
                                      &at_a, &m),
            Error::kOk);
  ASSERT_EQ(codec::parse_command_json(R"({"at":"2026-11-23T00:00:00.000Z","tick":{}})", &b,
                                      &at_b, &m),
            Error::kOk);
  EXPECT_EQ(at_a, at_b);
  EXPECT_EQ(at_a, model_test::kBaseDay + 8 * kHour);
}

std::vector<model_test::Step> generated(std::size_t n, std::uint64_t seed) {
  model_test::Generator gen(seed);
  model::Model steering;
  std::vector<model_test::Step> steps;
  for (std::size_t i = 0; i < n; ++i) {
    steps.push_back(gen.next(steering));
    steering.apply(steps.back().cmd, steps.back().now);
  }
  return steps;
}

// Commands the generator does not produce: schedules, every optional field.
std::vector<model_test::Step> extra_commands() {
  SessionSpec spec;
  spec.session_id = "x";
  spec.doctor_id = "d";
  spec.doctor_name = "Dr. 李";
  spec.start = model_test::kBaseDay + 8 * kHour;
  spec.end = spec.start + 4 * kHour;
  spec.registration_open = spec.start - kHour;
  spec.slot_minutes = 30;
  spec.appointment_quota = {1, 2, 3, 4, 5, 6, 7, 8};
  spec.walkin_quota = {0, 0, 1, 1, 2, 2, 3, 3};
  spec.policy = Policy::kAppointmentsFirst;
  spec.late_grace = 10 * kMinute;
  spec.cancel_deadline = spec.start - 30 * kMinute;
  spec.walkin_conversion_time = spec.start - 2 * kHour;
  spec.utc_offset_minutes = 0;
  spec.avg_consult_seed = 7 * kMinute + 500;
  spec.arrival_buffer = 0;
  spec.first_call_delay = 52 * kMinute + 7;
  spec.reservations = {Reservation{"wechat", {1, 1, 0, 0, 0, 0, 0, 0}, spec.start - kDay},
                       Reservation{"phone", {0, 0, 0, 0, 0, 0, 0, 1}, kNoTime}};
  spec.rooms = {"3", "5"};
  spec.priority_after = 0;  // 0 is a value, not "absent"
  spec.return_after = 4;
  spec.max_overtaken = 1000;
  SessionTemplate tmpl;
  tmpl.template_id = "t1";
  tmpl.weekday = 0;
  tmpl.start_minute = 0;
  tmpl.slot_minutes = 15;
  tmpl.appointment_quota = {1};
  tmpl.utc_offset_minutes = -300;
  tmpl.first_call_delay = 41 * kMinute + 3;
  tmpl.avg_consult_seed = 7 * kMinute + 11;
  tmpl.arrival_buffer = 25 * kMinute;
  tmpl.rooms = {"A", "B", "C"};
  tmpl.priority_after = 2;
  tmpl.return_after = 0;
  tmpl.max_overtaken = 5;
  Actor actor{ActorKind::kChannel, "wechat"};
  Time t = spec.start - kDay;
  return {
      {Command{actor, CreateSession{spec}}, t},
      {Command{actor, DefineChannel{Channel{"wechat", 7 * kDay, 2 * kHour}}}, t},
      {Command{actor, Hold{"x", 3, "p", "n", "wechat", 90 * kSecond, "h1"}}, t},
      {Command{actor, Confirm{"h1", "T1", "tok"}}, t},
      {Command{actor, Book{"x", 0, "p", "n", "", "", "tok2"}}, t},
      {Command{actor, SuspendSession{"x", "ill"}}, t},
      {Command{actor, DefineTemplate{tmpl}}, t},
      {Command{actor, GenerateSessions{t, 14}}, t},
      {Command{actor, AdjustQuotas{"d", t, t + kDay, {1, 2}, {3, 4}}}, t},
      {Command{actor, DoctorLeave{"d", t, t + kDay, "conference"}}, t},
      {Command{Actor{ActorKind::kKiosk, "k"}, RegisterWalkIn{"x", "", "", "", ""}}, -1},
      // The clinical flow: priority on book / hold / walk-in, rooms, the
      // new commands.
      {Command{actor, Book{"x", 1, "p3", "n", "", "", "tok3", "elderly"}}, t},
      {Command{actor, Hold{"x", 2, "p4", "n", "wechat", 0, "h2", "pregnant"}}, t},
      {Command{actor, RegisterWalkIn{"x", "p5", "n", "", "tok5", "military"}}, t},
      {Command{actor, CallNext{"x", "5"}}, t},
      {Command{actor, CallTicket{"T1", "3"}}, t},
      {Command{actor, Pause{"x", "3"}}, t},
      {Command{actor, Resume{"x", "3"}}, t},
      {Command{actor, SetPriority{"T1", "disabled"}}, t},
      {Command{actor, SetPriority{"T1", ""}}, t},
      {Command{actor, SendForTests{"T1"}}, t},
      {Command{actor, ReturnFromTests{"T1"}}, t},
  };
}

TEST(Codec, CommandsRoundTripThroughBinaryAndJson) {
  std::vector<model_test::Step> steps = generated(4000, 11);
  for (auto& s : extra_commands()) steps.push_back(s);
  std::set<std::string> kinds;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const model_test::Step& st = steps[i];
    kinds.insert(std::string(command_name(st.cmd.body)));
    pb::Command wire;
    codec::to_proto(st.cmd, st.now, &wire);
    // Binary.
    pb::Command parsed;
    ASSERT_TRUE(parsed.ParseFromString(wire.SerializeAsString()));
    Command back;
    Time at = 0;
    std::string m;
    ASSERT_EQ(codec::from_proto(parsed, &back, &at, &m), Error::kOk) << i << ": " << m;
    EXPECT_EQ(at, st.now);
    EXPECT_EQ(back.actor, st.cmd.actor);
    pb::Command again;
    codec::to_proto(back, at, &again);
    EXPECT_TRUE(MessageDifferencer::Equals(wire, again)) << i << ": " << wire.ShortDebugString()
                                                         << "\n vs " << again.ShortDebugString();
    // JSON, as the codec prints it.
    std::string json = codec::command_to_json(st.cmd, st.now);
    Command j;
    Time jat = 0;
    ASSERT_EQ(codec::parse_command_json(json, &j, &jat, &m), Error::kOk) << json << ": " << m;
    pb::Command jw;
    codec::to_proto(j, jat, &jw);
    EXPECT_TRUE(MessageDifferencer::Equals(wire, jw)) << json;
  }
  EXPECT_GE(kinds.size(), 24u) << "every command kind is covered";
}

TEST(Codec, NewCommandsAndFieldsKeepTheirValues) {
  // (CommandsRoundTripThroughBinaryAndJson covers every field both ways;
  // here the values themselves.)
  auto back = [](const Command& c) {
    pb::Command wire;
    codec::to_proto(c, 1, &wire);
    Command out;
    Time at = 0;
    std::string m;
    EXPECT_EQ(codec::from_proto(wire, &out, &at, &m), Error::kOk) << m;
    return out;
  };
  const Actor nurse{ActorKind::kNurse, "n"};
  EXPECT_EQ(std::get<Book>(back(Command{nurse, Book{"x", 1, "p", "n", "", "", "", "elderly"}}).body)
                .priority,
            "elderly");
  EXPECT_EQ(std::get<Hold>(back(Command{nurse, Hold{"x", 1, "p", "n", "", 0, "", "pregnant"}}).body)
                .priority,
            "pregnant");
  EXPECT_EQ(std::get<RegisterWalkIn>(back(Command{nurse, RegisterWalkIn{"x", "p", "n", "", "", "disabled"}}).body)
                .priority,
            "disabled");
  EXPECT_EQ(std::get<CallNext>(back(Command{nurse, CallNext{"x", "5"}}).body).room, "5");
  EXPECT_EQ(std::get<CallTicket>(back(Command{nurse, CallTicket{"t", "3"}}).body).room, "3");
  EXPECT_EQ(std::get<Pause>(back(Command{nurse, Pause{"x", "3"}}).body).room, "3");
  EXPECT_EQ(std::get<Resume>(back(Command{nurse, Resume{"x", "5"}}).body).room, "5");
  const SetPriority sp = std::get<SetPriority>(back(Command{nurse, SetPriority{"t", "military"}}).body);
  EXPECT_EQ(sp.ticket_id, "t");
  EXPECT_EQ(sp.priority, "military");
  EXPECT_EQ(std::get<SendForTests>(back(Command{nurse, SendForTests{"t"}}).body).ticket_id, "t");
  EXPECT_EQ(std::get<ReturnFromTests>(back(Command{nurse, ReturnFromTests{"t"}}).body).ticket_id, "t");
  const SessionSpec spec0 = std::get<CreateSession>(extra_commands()[0].cmd.body).spec;
  EXPECT_TRUE(std::get<CreateSession>(back(Command{nurse, CreateSession{spec0}}).body).spec == spec0);
  // Absent insertion settings are the defaults 1/2/3, not 0; no rooms is one room.
  std::string m;
  Command c;
  Time at = 0;
  ASSERT_EQ(codec::parse_command_json(
                R"({"at":"2026-11-23T00:00:00Z","createSession":{"spec":{"sessionId":"s",)"
                R"("start":"2026-11-23T00:00:00Z","end":"2026-11-23T04:00:00Z",)"
                R"("registrationOpen":"2026-11-22T23:00:00Z"}}})",
                &c, &at, &m),
            Error::kOk)
      << m;
  const SessionSpec& spec = std::get<CreateSession>(c.body).spec;
  EXPECT_TRUE(spec.rooms.empty());
  EXPECT_EQ(spec.priority_after, 1);
  EXPECT_EQ(spec.return_after, 2);
  EXPECT_EQ(spec.max_overtaken, 3);
  ASSERT_EQ(codec::parse_command_json(
                R"({"at":"2026-11-23T00:00:00Z","createSession":{"spec":{"sessionId":"s",)"
                R"("start":"2026-11-23T00:00:00Z","end":"2026-11-23T04:00:00Z",)"
                R"("registrationOpen":"2026-11-22T23:00:00Z","rooms":["3","5"],)"
                R"("priorityAfter":0,"returnAfter":0,"maxOvertaken":7}}})",
                &c, &at, &m),
            Error::kOk)
      << m;
  const SessionSpec& spec2 = std::get<CreateSession>(c.body).spec;
  EXPECT_EQ(spec2.rooms, (std::vector<std::string>{"3", "5"}));
  EXPECT_EQ(spec2.priority_after, 0);
  EXPECT_EQ(spec2.return_after, 0);
  EXPECT_EQ(spec2.max_overtaken, 7);
  ASSERT_EQ(codec::parse_command_json(
                R"({"at":"2026-11-23T00:00:00Z","defineTemplate":{"template":{"templateId":"t"}}})",
                &c, &at, &m),
            Error::kOk)
      << m;
  const SessionTemplate& t = std::get<DefineTemplate>(c.body).tmpl;
  EXPECT_EQ(t.priority_after, 1);
  EXPECT_EQ(t.return_after, 2);
  EXPECT_EQ(t.max_overtaken, 3);
  // The JSON names of the new commands.
  for (const char* line :
       {R"({"at":"2026-11-23T00:00:00Z","setPriority":{"ticketId":"t","priority":"elderly"}})",
        R"({"at":"2026-11-23T00:00:00Z","sendForTests":{"ticketId":"t"}})",
        R"({"at":"2026-11-23T00:00:00Z","returnFromTests":{"ticketId":"t"}})",
        R"({"at":"2026-11-23T00:00:00Z","callNext":{"sessionId":"s","room":"5"}})",
        R"({"at":"2026-11-23T00:00:00Z","registerWalkIn":{"sessionId":"s","priority":"elderly"}})"})
    EXPECT_EQ(codec::parse_command_json(line, &c, &at, &m), Error::kOk) << line << ": " << m;
  ASSERT_EQ(codec::parse_command_json(
                R"({"at":"2026-11-23T00:00:00Z","setPriority":{"ticketId":"t","priority":"pregnant"}})",
                &c, &at, &m),
            Error::kOk);
  EXPECT_EQ(std::get<SetPriority>(c.body).priority, "pregnant");
}

// Every event type of the clinical flow, with every field it may carry
// (room, other ticket, count), survives binary and JSON.
TEST(Codec, ClinicalFlowEventsRoundTrip) {
  std::vector<Event> events;
  auto ticket = [&](EventType type) {
    Event e;
    e.type = type;
    e.at = model_test::kBaseDay + 8 * kHour + 1;
    e.actor = Actor{ActorKind::kNurse, "n1"};
    e.session_id = "s";
    e.ticket_id = "s-W002";
    e.label = "W002";
    e.kind = TicketKind::kWalkIn;
    e.slot = 1;
    e.effective_slot = 1;
    e.placement = Placement::kInserted;
    e.from = TicketState::kWaiting;
    e.to = TicketState::kWaiting;
    e.patient_ref = "P2";
    return e;
  };
  Event e = ticket(EventType::kPrioritySet);
  e.reason = "elderly";
  events.push_back(e);
  e = ticket(EventType::kTicketInserted);
  e.reason = "priority";
  e.other_ticket = "s-W001";
  e.count = 3;
  events.push_back(e);
  e = ticket(EventType::kTicketOvertaken);
  e.placement = Placement::kNormal;
  e.other_ticket = "s-W009";
  e.count = 2;
  events.push_back(e);
  e = ticket(EventType::kTicketProtected);
  e.count = 3;
  events.push_back(e);
  e = ticket(EventType::kSentForTests);
  e.from = TicketState::kCalled;
  e.to = TicketState::kAtTests;
  e.room = "5";
  events.push_back(e);
  e = ticket(EventType::kReturnedFromTests);
  e.from = TicketState::kAtTests;
  events.push_back(e);
  e = ticket(EventType::kTicketCalled);
  e.reason = "call_next";
  e.room = "3";
  events.push_back(e);
  e = ticket(EventType::kTicketRecalled);
  e.room = "3";
  events.push_back(e);
  e = ticket(EventType::kTicketMissed);
  e.room = "5";
  events.push_back(e);
  e = ticket(EventType::kActionUndone);
  e.room = "5";
  events.push_back(e);
  e = ticket(EventType::kTicketCompleted);
  e.room = "5";
  e.from = TicketState::kAtTests;
  e.to = TicketState::kDone;
  e.reason = "session_closed";
  events.push_back(e);
  Event p;
  p.type = EventType::kSessionPaused;
  p.at = e.at;
  p.session_id = "s";
  p.room = "3";
  p.count = 1;
  events.push_back(p);
  p.type = EventType::kSessionResumed;
  p.room = "";
  p.count = 0;
  events.push_back(p);
  for (const Event& ev : events) {
    pb::Event wire;
    codec::to_proto(ev, &wire);
    pb::Event parsed;
    ASSERT_TRUE(parsed.ParseFromString(wire.SerializeAsString()));
    Event back;
    std::string m;
    ASSERT_EQ(codec::from_proto(parsed, &back, &m), Error::kOk) << m;
    EXPECT_EQ(back, ev) << wire.ShortDebugString();
    const std::string json = codec::event_to_json(ev);
    pb::Event from_json;
    ASSERT_EQ(codec::parse_json(json, &from_json, &m), Error::kOk) << json << ": " << m;
    Event back2;
    ASSERT_EQ(codec::from_proto(from_json, &back2, &m), Error::kOk) << m;
    EXPECT_EQ(back2, ev) << json;
  }
  EXPECT_NE(codec::event_to_json(events[0]).find(R"("prioritySet":{)"), std::string::npos);
  EXPECT_NE(codec::event_to_json(events[0]).find(R"("priority":"elderly")"), std::string::npos);
  EXPECT_NE(codec::event_to_json(events[1]).find(R"("otherTicket":"s-W001")"), std::string::npos);
  EXPECT_NE(codec::event_to_json(events[6]).find(R"("room":"3")"), std::string::npos);
  EXPECT_NE(codec::event_to_json(events[1]).find(R"("ticketInserted":{)"), std::string::npos);
  EXPECT_NE(codec::event_to_json(events[4]).find(R"("to":"TICKET_STATE_AT_TESTS")"),
            std::string::npos);
}

TEST(Codec, HandWrittenReplayLinesMeanTheGeneratedCommands) {
  // The randomized tests print failing prefixes with to_json_line(): they
  // must replay as exactly those commands (the actor aside).
  for (const model_test::Step& st : generated(3000, 12)) {
    std::string m;
    Command j;
    Time at = 0;
    ASSERT_EQ(codec::parse_command_json(model_test::to_json_line(st), &j, &at, &m), Error::kOk) << m;
    EXPECT_EQ(at, st.now);
    pb::Command a, b;
    codec::to_proto(st.cmd, st.now, &a);
    codec::to_proto(j, at, &b);
    a.clear_actor();
    b.clear_actor();
    EXPECT_TRUE(MessageDifferencer::Equals(a, b))
        << model_test::to_json_line(st) << "\n" << a.ShortDebugString() << "\n" << b.ShortDebugString();
  }
}

TEST(Codec, EveryEngineEventRoundTrips) {
  Engine engine;
  std::vector<Event> events;
  std::set<EventType> types;
  std::size_t count = 0;
  for (const model_test::Step& st : generated(20000, 13)) {
    events.clear();
    engine.apply_into(st.cmd, st.now, &events);
    for (const Event& e : events) {
      ++count;
      types.insert(e.type);
      pb::Event wire;
      codec::to_proto(e, &wire);
      pb::Event parsed;
      ASSERT_TRUE(parsed.ParseFromString(wire.SerializeAsString()));
      Event back;
      std::string m;
      ASSERT_EQ(codec::from_proto(parsed, &back, &m), Error::kOk) << m;
      ASSERT_EQ(back, e) << to_string(e.type) << ": " << wire.ShortDebugString();
      // JSON too.
      std::string json = codec::event_to_json(e);
      pb::Event from_json;
      ASSERT_EQ(codec::parse_json(json, &from_json, &m), Error::kOk) << json << ": " << m;
      Event back2;
      ASSERT_EQ(codec::from_proto(from_json, &back2, &m), Error::kOk) << m;
      ASSERT_EQ(back2, e) << json;
    }
  }
  EXPECT_GT(count, 5000u);
  EXPECT_GE(types.size(), 20u) << "the run produced most event types";
}

template <typename View, typename Wire>
void expect_view_round_trip(const View& v) {
  Wire wire;
  codec::to_proto(v, &wire);
  View back;
  std::string m;
  ASSERT_EQ(codec::from_proto(wire, &back, &m), Error::kOk) << m;
  Wire again;
  codec::to_proto(back, &again);
  EXPECT_TRUE(MessageDifferencer::Equals(wire, again)) << wire.ShortDebugString();
  std::string bytes;
  codec::serialize(v, &bytes);
  Wire parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  EXPECT_TRUE(MessageDifferencer::Equals(wire, parsed));
}

TEST(Codec, ViewsRoundTrip) {
  Engine engine;
  std::size_t staff_tickets = 0;
  std::vector<model_test::Step> steps = generated(3000, 14);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    engine.apply(steps[i].cmd, steps[i].now);
    if (i % 100 != 99) continue;
    Time now = steps[i].now;
    for (const std::string& sid : engine.session_ids()) {
      std::optional<StaffView> staff = engine.staff_view(sid, now);
      ASSERT_TRUE(staff);
      staff_tickets += staff->tickets.size();
      expect_view_round_trip<StaffView, pb::StaffView>(*staff);
      std::optional<Board> board = engine.board(sid, now);
      ASSERT_TRUE(board);
      expect_view_round_trip<Board, pb::Board>(*board);
      std::vector<PatientView> pv;
      ASSERT_TRUE(engine.patient_views(sid, now, &pv));
      for (const PatientView& p : pv) expect_view_round_trip<PatientView, pb::PatientView>(p);
    }
    expect_view_round_trip<DisplayView, pb::DisplayView>(engine.display_view("area", now));
  }
  EXPECT_GT(staff_tickets, 100u);
}

TEST(Codec, ClinicalFlowViewFieldsRoundTrip) {
  StaffView sv;
  sv.session_id = "s";
  sv.priority_after = 0;
  sv.return_after = 4;
  sv.max_overtaken = 9;
  sv.rooms = {StaffRoom{"3", true, "s-W001", "W001", model_test::kBaseDay + 5},
              StaffRoom{"5", false, "", "", model_test::kBaseDay + 7}};
  StaffTicket t;
  t.ticket_id = "s-W001";
  t.state = TicketState::kAtTests;
  t.placement = Placement::kInserted;
  t.priority = "elderly";
  t.room = "3";
  t.overtaken = 2;
  sv.tickets = {t};
  expect_view_round_trip<StaffView, pb::StaffView>(sv);
  pb::StaffView w;
  codec::to_proto(sv, &w);
  StaffView back;
  std::string m;
  ASSERT_EQ(codec::from_proto(w, &back, &m), Error::kOk) << m;
  EXPECT_EQ(back.rooms.size(), 2u);
  EXPECT_TRUE(back.rooms[0].paused);
  EXPECT_EQ(back.rooms[1].available_at, model_test::kBaseDay + 7);
  EXPECT_EQ(back.tickets[0].priority, "elderly");
  EXPECT_EQ(back.tickets[0].room, "3");
  EXPECT_EQ(back.tickets[0].overtaken, 2);
  EXPECT_EQ(back.priority_after, 0);
  EXPECT_EQ(back.return_after, 4);
  EXPECT_EQ(back.max_overtaken, 9);
  PatientView pv;
  pv.ticket_id = "s-W001";
  pv.priority = "pregnant";
  expect_view_round_trip<PatientView, pb::PatientView>(pv);
  pb::PatientView pw;
  codec::to_proto(pv, &pw);
  PatientView pback;
  ASSERT_EQ(codec::from_proto(pw, &pback, &m), Error::kOk);
  EXPECT_EQ(pback.priority, "pregnant");
}

TEST(Codec, MalformedInputIsInvalidArgumentNamingTheField) {
  auto expect_bad = [](const pb::Command& w, const std::string& field) {
    Command c;
    Time at = 0;
    std::string m;
    EXPECT_EQ(codec::from_proto(w, &c, &at, &m), Error::kInvalidArgument) << field;
    EXPECT_NE(m.find(field), std::string::npos) << "message '" << m << "' should name " << field;
  };
  pb::Command w;
  w.mutable_tick();
  expect_bad(w, "at");
  w.mutable_at()->set_seconds(1);
  pb::Command no_body;
  *no_body.mutable_at() = w.at();
  expect_bad(no_body, "body");
  w.mutable_actor()->set_kind(static_cast<pb::ActorKind>(42));
  expect_bad(w, "actor.kind");
  w.clear_actor();
  w.mutable_at()->set_nanos(1'000'000'000);
  expect_bad(w, "at.nanos");
  w.mutable_at()->set_nanos(0);

  pb::Command cs;
  *cs.mutable_at() = w.at();
  pb::SessionSpec* spec = cs.mutable_create_session()->mutable_spec();
  expect_bad(cs, "create_session.spec.start");
  spec->mutable_start()->set_seconds(100);
  spec->mutable_end()->set_seconds(200);
  expect_bad(cs, "create_session.spec.registration_open");
  spec->mutable_registration_open()->set_seconds(50);
  spec->set_policy(static_cast<pb::Policy>(7));
  expect_bad(cs, "create_session.spec.policy");
  spec->set_policy(pb::POLICY_ARRIVAL);
  spec->mutable_late_grace()->set_seconds(1);
  spec->mutable_late_grace()->set_nanos(-1);
  expect_bad(cs, "create_session.spec.late_grace.nanos");
  spec->clear_late_grace();
  spec->add_reservations()->mutable_release_at()->set_seconds(1LL << 62);
  expect_bad(cs, "create_session.spec.reservations[0].release_at");
  spec->clear_reservations();
  Command ok;
  Time at = 0;
  std::string m;
  EXPECT_EQ(codec::from_proto(cs, &ok, &at, &m), Error::kOk) << m;
  const auto& c = std::get<CreateSession>(ok.body);
  EXPECT_EQ(c.spec.slot_minutes, 60);  // absent: the defaults
  EXPECT_EQ(c.spec.utc_offset_minutes, 480);
  EXPECT_EQ(c.spec.arrival_buffer, 15 * kMinute);
  EXPECT_EQ(c.spec.cancel_deadline, kNoTime);

  pb::Command gs;
  *gs.mutable_at() = w.at();
  gs.mutable_generate_sessions();
  expect_bad(gs, "generate_sessions.from");
  pb::Command dl;
  *dl.mutable_at() = w.at();
  dl.mutable_doctor_leave()->mutable_from()->set_seconds(1);
  expect_bad(dl, "doctor_leave.to");

  // Events and views.
  pb::Event ev;
  *ev.mutable_at() = w.at();
  ev.mutable_ticket_called()->set_kind(static_cast<pb::TicketKind>(9));
  Event e;
  EXPECT_EQ(codec::from_proto(ev, &e, &m), Error::kInvalidArgument);
  EXPECT_NE(m.find("ticket_called.kind"), std::string::npos) << m;
  pb::StaffView sv;
  sv.add_tickets()->set_state(static_cast<pb::TicketState>(99));
  StaffView staff;
  EXPECT_EQ(codec::from_proto(sv, &staff, &m), Error::kInvalidArgument);
  EXPECT_NE(m.find("tickets[0].state"), std::string::npos) << m;

  // JSON: unknown fields are rejected.
  Command j;
  EXPECT_EQ(codec::parse_command_json(R"({"at":"2026-11-23T08:00:00Z","tick":{},"x":1})", &j, &at, &m),
            Error::kInvalidArgument);
  EXPECT_NE(m.find("x"), std::string::npos);
}

TEST(Codec, GarbageNeverCrashes) {
  google::protobuf::LogSilencer quiet;  // invalid UTF-8 in strings is logged by protobuf
  std::mt19937_64 rng(99);
  std::vector<model_test::Step> steps = generated(500, 15);
  std::size_t parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    const model_test::Step& st = steps[rng() % steps.size()];
    std::string bytes;
    if (i % 2 == 0) {
      pb::Command w;
      codec::to_proto(st.cmd, st.now, &w);
      bytes = w.SerializeAsString();
    } else {
      bytes = model_test::to_json_line(st);
    }
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips && !bytes.empty(); ++k)
      bytes[rng() % bytes.size()] = static_cast<char>(rng());
    if (rng() % 5 == 0) bytes.resize(rng() % (bytes.size() + 1));
    Command c;
    Time at = 0;
    std::string m;
    if (i % 2 == 0) {
      pb::Command w;
      if (w.ParseFromString(bytes)) {
        ++parsed;
        Error e = codec::from_proto(w, &c, &at, &m);
        if (e != Error::kOk) EXPECT_EQ(e, Error::kInvalidArgument);
      }
    } else {
      Error e = codec::parse_command_json(bytes, &c, &at, &m);
      if (e != Error::kOk) {
        EXPECT_EQ(e, Error::kInvalidArgument);
        EXPECT_FALSE(m.empty());
      }
    }
  }
  EXPECT_GT(parsed, 0u);
}

TEST(Codec, JsonStringsAreAlwaysValid) {
  std::string out;
  codec::append_json_string("a\"b\\c\n\x01\x7f", &out);
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001\\u007f\"");
  out.clear();
  codec::append_json_string("张三", &out);
  EXPECT_EQ(out, "\"张三\"");
  out.clear();
  codec::append_json_string(std::string("x\xff\xc0\x80y\xe5\xbc", 7), &out);
  EXPECT_EQ(out, "\"x\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbd\"");
}

}  // namespace
}  // namespace qc
