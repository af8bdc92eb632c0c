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
#include "tests/support/random_values.h"

namespace qc::gw {
namespace {

namespace gp = google::protobuf;
namespace pb = ::queuecast::v1;

// A reply with every field of every event type set (the random values:
// tests/support/random_values.h, shared with view_json_test.cc).
CommandReply random_reply(test::Gen& g) {
  CommandReply r;
  const std::uint64_t n = g.below(7);
  for (std::uint64_t i = 0; i < n; ++i) r.events.push_back(g.event());
  if (!g.coin(4)) r.ticket_id = g.str();
  if (!g.coin(4)) r.label = g.str();
  if (!g.coin(4)) r.token = g.str();
  if (!g.coin(4)) r.hold_id = g.str();
  if (!g.coin(3)) r.expires_at = g.time();
  if (!g.coin(3)) r.slot = g.i32();
  if (!g.coin(3)) r.ticket = g.patient();
  return r;
}

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
  test::Gen g(11);
  for (int i = 0; i < 3000; ++i) {
    const CommandReply r = random_reply(g);
    ASSERT_TRUE(same_json(r)) << "round " << i;
  }
}

// A replay answers from the stored binary reply: the same bytes, and the
// same JSON, as the answer given when the command ran.
TEST(ResponseJson, StoredRepliesAnswerAsTheFirstTime) {
  test::Gen g(13);
  pb::CommandResponse scratch;
  for (int i = 0; i < 1000; ++i) {
    const CommandReply r = random_reply(g);
    std::string stored;
    serialize_reply(r, &scratch, &stored);
    ASSERT_EQ(render_stored_response(stored, Format::kProto), encode_reply(r, Format::kProto));
    ASSERT_TRUE(same(encode_reply(r, Format::kJson), render_stored_response(stored, Format::kJson)))
        << "round " << i;
  }
}

// The journal's event rows take each event's bytes out of the binary reply:
// the same bytes as the event serialized alone.
TEST(ResponseJson, EventBytesOfABinaryReplyAreEachEventsOwnSerialization) {
  test::Gen g(17);
  pb::CommandResponse scratch;
  std::vector<std::string_view> slices;
  for (int i = 0; i < 1000; ++i) {
    const CommandReply r = random_reply(g);
    std::string stored;
    serialize_reply(r, &scratch, &stored);
    ASSERT_TRUE(reply_event_bytes(stored, &slices)) << "round " << i;
    ASSERT_EQ(slices.size(), r.events.size());
    for (std::size_t e = 0; e < slices.size(); ++e)
      ASSERT_EQ(slices[e], scratch.events(static_cast<int>(e)).SerializeAsString()) << i << " " << e;
  }
  // Not a CommandResponse: a length past the end, a truncated tag.
  EXPECT_FALSE(reply_event_bytes(std::string("\x0a\x05" "ab", 4), &slices));
  EXPECT_FALSE(reply_event_bytes(std::string("\x12", 1), &slices));
  EXPECT_TRUE(reply_event_bytes("", &slices));
  EXPECT_TRUE(slices.empty());
}

// Strings that are not UTF-8 are dropped as protobuf's printer drops them.
void quiet(gp::LogLevel, const char*, int, const std::string&) {}

TEST(ResponseJson, InvalidUtf8MatchesTheProtobufPath) {
  gp::LogHandler* old = gp::SetLogHandler(&quiet);
  test::Gen g(12, /*invalid_utf8=*/true);
  for (int i = 0; i < 500; ++i) EXPECT_TRUE(same_json(random_reply(g))) << "round " << i;
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
