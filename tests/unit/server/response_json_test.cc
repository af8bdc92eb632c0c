// The direct JSON of a command's reply (append_reply_json, server/wire/
// reply.h) against protobuf's JSON mapping of the same reply (to_proto, then
// codec::to_json), byte for byte, on randomized replies that set every field
// of every event type; and a stored (binary) reply, as an idempotency replay
// answers it, against the reply answered when the command ran.
#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "proto/codec.h"
#include "server/wire/reply.h"
#include "server/wire/wire.h"

namespace qc::gw {
namespace {

namespace gp = google::protobuf;
namespace pb = ::queuecast::v1;

// Random values as view_json_test.cc's Gen draws them (the same pools and
// edges, deliberately: each test file stays readable alone until tests/support
// holds one generator).
class Filler {
 public:
  explicit Filler(std::uint64_t seed, bool invalid_utf8 = false)
      : rng_(seed), invalid_utf8_(invalid_utf8) {}

  CommandReply reply() {
    CommandReply r;
    const std::uint64_t n = below(7);
    for (std::uint64_t i = 0; i < n; ++i) r.events.push_back(event());
    if (!coin(4)) r.ticket_id = str();
    if (!coin(4)) r.label = str();
    if (!coin(4)) r.token = str();
    if (!coin(4)) r.hold_id = str();
    if (!coin(3)) r.expires_at = time();
    if (!coin(3)) r.slot = i32();
    if (!coin(3)) r.ticket = view();
    return r;
  }

  Event event() {
    Event e;
    e.type = static_cast<EventType>(below(kEventTypeCount));
    e.at = coin(8) ? kNoTime : time();
    e.actor = Actor{enum_of<ActorKind>(7), str()};
    e.session_id = str();
    e.ticket_id = str();
    e.label = str();
    e.patient_ref = str();
    e.reason = str();
    e.kind = enum_of<TicketKind>(2);
    e.from = enum_of<TicketState>(7);
    e.to = enum_of<TicketState>(7);
    e.placement = enum_of<Placement>(4);
    e.slot = i32();
    e.effective_slot = i32();
    e.count = coin(2) ? static_cast<std::int32_t>(below(4)) : i32();
    e.until = coin(3) ? kNoTime : time();
    return e;
  }

  PatientView view() {
    PatientView v;
    v.ticket_id = str();
    v.session_id = str();
    v.label = str();
    v.kind = enum_of<TicketKind>(2);
    v.state = enum_of<TicketState>(7);
    v.placement = enum_of<Placement>(4);
    v.session_status = enum_of<SessionStatus>(4);
    v.slot = i32();
    v.effective_slot = i32();
    v.slot_start = time();
    v.slot_end = time();
    v.ahead = i32();
    v.eta = coin(3) ? kNoTime : time();
    v.recommended_arrival = coin(3) ? kNoTime : time();
    v.called_label = str();
    v.room = str();
    v.doctor_name = str();
    v.version = coin(3) ? below(3) : rng_() >> below(64);
    return v;
  }

 private:
  std::uint64_t below(std::uint64_t n) { return rng_() % n; }
  bool coin(int one_in) { return below(static_cast<std::uint64_t>(one_in)) == 0; }

  // Mostly a value of the enum; sometimes one it does not have (printed as a number).
  template <typename E>
  E enum_of(std::uint64_t values) {
    return static_cast<E>(coin(10) ? 40 + below(100) : below(values));
  }

  Time time() {
    static constexpr Time kEdges[] = {0, 1, -1, 1795363200123, 1795363200000,
                                      -62135596800000LL, 253402300799999LL,
                                      std::numeric_limits<Time>::max(),
                                      std::numeric_limits<Time>::min() + 1};
    if (coin(4)) return kEdges[below(std::size(kEdges))];
    return static_cast<Time>(below(4'000'000'000'000ULL)) * (coin(2) ? 1 : 1000);
  }

  std::string str() {
    static const char* const kPool[] = {
        "", "t-0001", "A12", "张三", "王小明", "3诊室", "call_next", "a\"b\\c", "<b>&amp;",
        "\n\t\x01\x7f", "\xe2\x80\xa8\xef\xbb\xbf", "\xc2\x80\xc2\xad", "\xf0\x9f\x98\x80",
        "p-00000000000000000000000000000000000000000000000000000000000000000000000000"};
    static const char* const kInvalid[] = {"\xff", "\xc3" "A", "\xed\xa0\x80", "\xc0\xaf", "x\xe5\xbc"};
    if (invalid_utf8_ && coin(6)) return kInvalid[below(std::size(kInvalid))];
    std::string s = kPool[below(std::size(kPool))];
    if (coin(4)) s += kPool[below(std::size(kPool))];
    return s;
  }

  std::int32_t i32() {
    static constexpr std::int32_t kEdges[] = {0, -1, 1, 127, 128, 300, -300,
                                              std::numeric_limits<std::int32_t>::min(),
                                              std::numeric_limits<std::int32_t>::max()};
    return coin(2) ? kEdges[below(std::size(kEdges))] : static_cast<std::int32_t>(rng_());
  }

  std::mt19937_64 rng_;
  bool invalid_utf8_;
};

std::string reference_json(const CommandReply& r) {
  pb::CommandResponse m;
  to_proto(r, &m);
  std::string out;
  codec::to_json(m, &out);
  return out;
}

::testing::AssertionResult same(const std::string& fast, const std::string& reference) {
  if (fast == reference) return ::testing::AssertionSuccess();
  std::size_t i = 0;
  while (i < fast.size() && i < reference.size() && fast[i] == reference[i]) ++i;
  std::size_t from = i > 80 ? i - 80 : 0;
  return ::testing::AssertionFailure()
         << "first difference at byte " << i << "\n  direct:    ..." << fast.substr(from, 200)
         << "\n  reference: ..." << reference.substr(from, 200);
}

::testing::AssertionResult same_json(const CommandReply& r) {
  return same(encode_reply(r, Format::kJson), reference_json(r));
}

TEST(ResponseJson, RandomRepliesMatchTheProtobufPath) {
  Filler g(11);
  for (int i = 0; i < 3000; ++i) {
    const CommandReply r = g.reply();
    ASSERT_TRUE(same_json(r)) << "round " << i;
  }
}

// A replay answers from the stored binary reply: the same bytes, and the
// same JSON, as the answer given when the command ran.
TEST(ResponseJson, StoredRepliesAnswerAsTheFirstTime) {
  Filler g(13);
  pb::CommandResponse scratch;
  for (int i = 0; i < 1000; ++i) {
    const CommandReply r = g.reply();
    std::string stored;
    serialize_reply(r, &scratch, &stored);
    ASSERT_EQ(render_stored_response(stored, Format::kProto), encode_reply(r, Format::kProto));
    ASSERT_TRUE(same(encode_reply(r, Format::kJson), render_stored_response(stored, Format::kJson)))
        << "round " << i;
  }
}

// Strings that are not UTF-8 are dropped as protobuf's printer drops them.
void quiet(gp::LogLevel, const char*, int, const std::string&) {}

TEST(ResponseJson, InvalidUtf8MatchesTheProtobufPath) {
  gp::LogHandler* old = gp::SetLogHandler(&quiet);
  Filler g(12, /*invalid_utf8=*/true);
  for (int i = 0; i < 500; ++i) EXPECT_TRUE(same_json(g.reply())) << "round " << i;
  gp::SetLogHandler(old);
}

TEST(ResponseJson, EmptyReply) {
  EXPECT_EQ(encode_reply(CommandReply{}, Format::kJson),
            "{\"events\":[],\"ticketId\":\"\",\"label\":\"\",\"token\":\"\",\"holdId\":\"\"}");
  EXPECT_TRUE(same_json(CommandReply{}));
}

// Every event type of the engine is written as protobuf writes it (a new
// event type must be added to the direct writer's tables too).
TEST(ResponseJson, EveryEventTypeMatches) {
  for (int t = 0; t < kEventTypeCount; ++t) {
    Event e;
    e.type = static_cast<EventType>(t);
    e.at = 1795363200123;
    e.session_id = "s1";
    e.ticket_id = "t-7";
    e.label = "W07";
    e.reason = "call_next";
    e.slot = 1;
    e.to = TicketState::kCalled;
    CommandReply r;
    r.events.push_back(e);
    EXPECT_TRUE(same_json(r)) << to_string(e.type);
  }
}

// A reply as the shard builds it: a walk-in's events and its ticket.
TEST(ResponseJson, EngineResponseMatches) {
  Event e;
  e.type = EventType::kWalkInRegistered;
  e.at = 1795363200123;
  e.actor = Actor{ActorKind::kNurse, "n1"};
  e.session_id = "s1";
  e.ticket_id = "t-7";
  e.label = "W07";
  e.kind = TicketKind::kWalkIn;
  e.slot = 2;
  e.effective_slot = 2;
  e.placement = Placement::kNormal;
  e.from = TicketState::kBooked;
  e.to = TicketState::kWaiting;
  e.patient_ref = "李四";
  CommandReply r;
  r.events.push_back(e);
  r.ticket_id = e.ticket_id;
  r.label = e.label;
  r.slot = 0;
  r.token = "0123456789abcdef0123456789abcdef";
  PatientView v;
  v.ticket_id = e.ticket_id;
  v.eta = 1795366800000;
  r.ticket = v;
  EXPECT_TRUE(same_json(r));
  EXPECT_NE(encode_reply(r, Format::kJson).find("\"slot\":0}"), std::string::npos);
}

}  // namespace
}  // namespace qc::gw
