// The view encoders (JSON: server/wire/view_json.h; binary: the codec's
// scratch messages, proto/codec.h; used by encode_view / encode_plain)
// against the protobuf path (fresh messages)
// (encode_view_reference / encode_plain_reference): byte for byte, in both
// formats, on randomized views and on views of a real engine.
#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "server/wire/view_json.h"
#include "server/wire/wire.h"
#include "tests/support/random_values.h"

namespace qc::gw {
namespace {

// A tripwire: the writers name every field of the views, and Gen below fills
// every field. A field added to engine/view.h changes these sizes (on this
// platform, x86-64 libstdc++): then add it to server/wire/view_json.cc,
// proto/codec_view.cc (if it is on the wire) and to Gen, and update the sizes here.
static_assert(sizeof(void*) != 8 || sizeof(std::string) != 32 ||
                  (sizeof(PatientView) == 288 && sizeof(DisplayEntry) == 64 &&
                   sizeof(DisplayRoom) == 232 && sizeof(DisplayView) == 64 &&
                   sizeof(StaffTicket) == 248 && sizeof(StaffView) == 312 &&
                   sizeof(Board) == 144),
              "a view changed: update the direct writers and this test's generator");

// ---- comparison ----

std::string printable(const std::string& s, std::size_t from, std::size_t n) {
  std::string out;
  for (std::size_t i = from; i < s.size() && i < from + n; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    }
  }
  return out;
}

::testing::AssertionResult same(const std::string& fast, const std::string& reference) {
  if (fast == reference) return ::testing::AssertionSuccess();
  std::size_t i = 0;
  while (i < fast.size() && i < reference.size() && fast[i] == reference[i]) ++i;
  std::size_t from = i > 60 ? i - 60 : 0;
  return ::testing::AssertionFailure()
         << "first difference at byte " << i << " (sizes " << fast.size() << " / "
         << reference.size() << ")\n  direct:    ..." << printable(fast, from, 160)
         << "\n  reference: ..." << printable(reference, from, 160);
}

template <typename View>
::testing::AssertionResult same_all_formats(const View& v, Time sent_at) {
  for (Format f : {Format::kJson, Format::kProto}) {
    const char* name = f == Format::kJson ? "json" : "proto";
    if (auto r = same(encode_view(v, sent_at, f), encode_view_reference(v, sent_at, f)); !r)
      return r << "\n  (encode_view, " << name << ")";
    if (auto r = same(encode_plain(v, f), encode_plain_reference(v, f)); !r)
      return r << "\n  (encode_plain, " << name << ")";
    std::string appended = "prefix";
    append_view(v, sent_at, f, &appended);
    if (auto r = same(appended, "prefix" + encode_view_reference(v, sent_at, f)); !r)
      return r << "\n  (append_view, " << name << ")";
  }
  return ::testing::AssertionSuccess();
}

using test::Gen;

constexpr int kRounds = 400;

TEST(ViewWire, PatientViewsMatchTheProtobufPath) {
  Gen g(1);
  for (int i = 0; i < kRounds * 4; ++i) {
    PatientView v = g.patient();
    ASSERT_TRUE(same_all_formats(v, g.time())) << "round " << i;
  }
}

TEST(ViewWire, DisplayViewsMatchTheProtobufPath) {
  Gen g(2);
  for (int i = 0; i < kRounds; ++i) {
    DisplayView v = g.display();
    ASSERT_TRUE(same_all_formats(v, g.time())) << "round " << i;
  }
}

TEST(ViewWire, StaffViewsMatchTheProtobufPath) {
  Gen g(3);
  for (int i = 0; i < kRounds; ++i) {
    StaffView v = g.staff();
    ASSERT_TRUE(same_all_formats(v, g.time())) << "round " << i;
  }
}

TEST(ViewWire, BoardsMatchTheProtobufPath) {
  Gen g(4);
  for (int i = 0; i < kRounds * 2; ++i) {
    Board v = g.board();
    ASSERT_TRUE(same_all_formats(v, g.time())) << "round " << i;
  }
}

TEST(ViewWire, DefaultViewsMatchTheProtobufPath) {
  EXPECT_TRUE(same_all_formats(PatientView{}, 0));
  EXPECT_TRUE(same_all_formats(DisplayView{}, kNoTime));
  EXPECT_TRUE(same_all_formats(StaffView{}, 0));
  EXPECT_TRUE(same_all_formats(Board{}, 1));
}

// Strings that are not UTF-8 cannot come from the decoders (they reject
// them), but the printer's handling of them is matched too. protobuf logs
// each one it serializes; keep the test's output readable.
void quiet(google::protobuf::LogLevel, const char*, int, const std::string&) {}

TEST(ViewWire, InvalidUtf8MatchesTheProtobufPath) {
  google::protobuf::LogHandler* old = google::protobuf::SetLogHandler(&quiet);
  Gen g(5, /*invalid_utf8=*/true);
  for (int i = 0; i < kRounds; ++i) {
    PatientView p = g.patient();
    Board b = g.board();
    DisplayView d = g.display();
    EXPECT_TRUE(same_all_formats(p, g.time())) << "round " << i;
    EXPECT_TRUE(same_all_formats(b, g.time())) << "round " << i;
    EXPECT_TRUE(same_all_formats(d, g.time())) << "round " << i;
  }
  google::protobuf::SetLogHandler(old);
}

TEST(ViewWire, ErrorsAndPongsMatchTheProtobufPath) {
  Gen g(6);
  for (int i = 0; i < kRounds; ++i) {
    const std::string code = g.str();
    const std::string message = g.str();
    const Time at = g.time();
    for (Format f : {Format::kJson, Format::kProto}) {
      ASSERT_TRUE(same(encode_ws_error(code, message, f), encode_ws_error_reference(code, message, f)))
          << "round " << i;
      ASSERT_TRUE(
          same(encode_error_body(code, message, f), encode_error_body_reference(code, message, f)))
          << "round " << i;
      ASSERT_TRUE(same(encode_pong(at, f), encode_pong_reference(at, f))) << "round " << i;
    }
  }
  EXPECT_EQ(encode_error_body("no_capacity", "slot 3 is full", Format::kJson),
            "{\"error\":{\"code\":\"no_capacity\",\"message\":\"slot 3 is full\"}}");
}

// A few exact strings, so that a change of the escaping is visible here and
// not only as a difference from protobuf.
TEST(ViewWire, StringEscapes) {
  auto esc = [](std::string_view s) {
    std::string out;
    append_json_string_pb(s, &out);
    return out;
  };
  EXPECT_EQ(esc(""), "\"\"");
  EXPECT_EQ(esc("张三 A12"), "\"张三 A12\"");
  EXPECT_EQ(esc("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
  EXPECT_EQ(esc("<script>&"), "\"\\u003cscript\\u003e&\"");
  EXPECT_EQ(esc("\n\t\x01\x7f"), "\"\\n\\t\\u0001\\u007f\"");
  EXPECT_EQ(esc("\xe2\x80\xa8"), "\"\\u2028\"");
  EXPECT_EQ(esc("x\xc3" "Ay"), "\"xy\"");
  std::string t;
  append_json_timestamp(1795363200250, &t);
  EXPECT_EQ(t, "\"2026-11-22T16:00:00.250Z\"");
  t.clear();
  append_json_duration(-1500, &t);
  EXPECT_EQ(t, "\"-1.500s\"");
}

// Views as the engine builds them.
TEST(ViewWire, EngineViewsMatchTheProtobufPath) {
  constexpr Time kDay0 = 1795363200000;
  Engine e;
  SessionSpec s;
  s.session_id = "s1";
  s.doctor_id = "d1";
  s.doctor_name = "王医生";
  s.room = "3诊室";
  s.area = "neuro-2f";
  s.start = kDay0 + 8 * kHour;
  s.end = kDay0 + 12 * kHour;
  s.registration_open = kDay0 + 7 * kHour;
  s.appointment_quota.assign(4, 5);
  s.walkin_quota.assign(4, 10);
  const Actor nurse{ActorKind::kNurse, "n1"};
  ASSERT_TRUE(e.apply(Command{nurse, CreateSession{s}}, kDay0 - kDay).ok());
  for (int i = 0; i < 12; ++i)
    e.apply(Command{nurse, Book{"s1", i % 4, "p" + std::to_string(i), i % 2 ? "张三" : "Zhang San",
                                "", "", ""}},
            kDay0 - kHour);
  for (int i = 0; i < 20; ++i)
    e.apply(Command{nurse, RegisterWalkIn{"s1", "w" + std::to_string(i), "李四", "", ""}},
            kDay0 + 7 * kHour + i * 1234);
  for (int i = 0; i < 5; ++i) e.apply(Command{nurse, CallNext{"s1"}}, kDay0 + 8 * kHour + i * 61001);
  const Time now = kDay0 + 9 * kHour + 17;
  std::vector<PatientView> views;
  ASSERT_TRUE(e.patient_views("s1", now, &views));
  ASSERT_FALSE(views.empty());
  for (const PatientView& v : views) EXPECT_TRUE(same_all_formats(v, now)) << v.ticket_id;
  std::optional<StaffView> staff = e.staff_view("s1", now);
  ASSERT_TRUE(staff);
  EXPECT_TRUE(same_all_formats(*staff, now));
  EXPECT_TRUE(same_all_formats(e.display_view("neuro-2f", now), now));
  std::optional<Board> board = e.board("s1", now);
  ASSERT_TRUE(board);
  EXPECT_TRUE(same_all_formats(*board, now));
}

}  // namespace
}  // namespace qc::gw
