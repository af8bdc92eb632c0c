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

namespace qc::gw {
namespace {

// A tripwire: the writers name every field of the views, and Gen below fills
// every field. A field added to engine/view.h changes these sizes (on this
// platform, x86-64 libstdc++): then add it to server/wire/view_json.cc,
// proto/codec_view.cc (if it is on the wire) and to Gen, and update the sizes here.
static_assert(sizeof(void*) != 8 || sizeof(std::string) != 32 ||
                  (sizeof(PatientView) == 256 && sizeof(DisplayEntry) == 64 &&
                   sizeof(DisplayRoom) == 232 && sizeof(DisplayView) == 64 &&
                   sizeof(StaffTicket) == 176 && sizeof(StaffView) == 272 &&
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

// ---- random views ----

class Gen {
 public:
  explicit Gen(std::uint64_t seed, bool invalid_utf8 = false)
      : rng_(seed), invalid_utf8_(invalid_utf8) {}

  std::uint64_t below(std::uint64_t n) { return rng_() % n; }
  bool coin(int one_in) { return below(static_cast<std::uint64_t>(one_in)) == 0; }

  std::string str() {
    switch (below(10)) {
      case 0: return "";
      case 1: return ascii(1 + below(12));
      case 2: return pick({"张三", "王小明", "张*", "王**", "Z*** S.", "李四", "欧阳娜娜", "3诊室"});
      case 3: return ascii(200 + below(400));  // long
      default: return mixed(below(40));
    }
  }

  std::int32_t i32() {
    static constexpr std::int32_t kEdges[] = {0,    -1,  1,     127,   128,  -128, 16383, 16384,
                                              -129, 300, 65535, 99999, std::numeric_limits<std::int32_t>::min(),
                                              std::numeric_limits<std::int32_t>::max()};
    if (coin(2)) return kEdges[below(std::size(kEdges))];
    return static_cast<std::int32_t>(rng_());
  }

  std::uint64_t u64() {
    static constexpr std::uint64_t kEdges[] = {0, 1, 127, 128, 16383, 16384, 1u << 31,
                                               std::numeric_limits<std::uint64_t>::max()};
    if (coin(2)) return kEdges[below(std::size(kEdges))];
    return rng_() >> below(64);
  }

  Time time() {
    constexpr std::int64_t kMinMs = -62135596800LL * 1000;
    constexpr std::int64_t kMaxMs = 253402300799LL * 1000;
    static constexpr Time kEdges[] = {kNoTime,
                                      0,
                                      1,
                                      -1,
                                      999,
                                      -999,
                                      1000,
                                      -1000,
                                      -1001,
                                      1795363200000,  // 2026-11-23 local midnight
                                      951782400000,   // 2000-02-29
                                      kMinMs,
                                      kMinMs - 1,
                                      kMinMs + 1,
                                      kMaxMs,
                                      kMaxMs + 999,
                                      kMaxMs + 1000,
                                      std::numeric_limits<Time>::max(),
                                      std::numeric_limits<Time>::min() + 1};
    switch (below(4)) {
      case 0: return kEdges[below(std::size(kEdges))];
      case 1: return 1795363200000 + static_cast<Time>(below(86'400'000));
      case 2: return kMinMs + static_cast<Time>(below(static_cast<std::uint64_t>(kMaxMs - kMinMs)));
      default: return static_cast<Time>(rng_());
    }
  }

  Duration duration() {
    static constexpr Duration kEdges[] = {0,       1,        -1,        999,  -999,  1000,
                                          -1000,   -1500,    600000,    -10,  kNoTime,
                                          315576000000LL * 1000, 315576000000LL * 1000 + 999,
                                          -315576000000LL * 1000 - 1,
                                          std::numeric_limits<Duration>::max()};
    switch (below(3)) {
      case 0: return kEdges[below(std::size(kEdges))];
      case 1: return static_cast<Duration>(below(3'600'000)) - 600'000;
      default: return static_cast<Duration>(rng_());
    }
  }

  TicketKind kind() { return static_cast<TicketKind>(below(2)); }
  TicketState state() { return static_cast<TicketState>(below(7)); }
  Placement placement() { return static_cast<Placement>(below(4)); }
  SessionStatus status() { return static_cast<SessionStatus>(below(4)); }

  std::size_t count() {
    switch (below(4)) {
      case 0: return 0;
      case 1: return 1;
      case 2: return below(6);
      default: return below(60);
    }
  }

  PatientView patient() {
    PatientView v;
    v.ticket_id = str();
    v.session_id = str();
    v.label = str();
    v.kind = kind();
    v.state = state();
    v.placement = placement();
    v.session_status = status();
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
    v.version = u64();
    return v;
  }

  DisplayEntry entry() { return DisplayEntry{str(), str()}; }

  DisplayView display() {
    DisplayView v;
    v.area = str();
    std::size_t rooms = std::min<std::size_t>(count(), 12);
    for (std::size_t i = 0; i < rooms; ++i) {
      DisplayRoom r;
      r.session_id = str();
      r.room = str();
      r.doctor_name = str();
      r.status = status();
      r.has_called = !coin(3);
      if (r.has_called || coin(2)) r.called = entry();  // ignored when !has_called
      r.called_at = coin(4) ? kNoTime : time();         // likewise
      for (std::size_t k = std::min<std::size_t>(count(), 10); k > 0; --k) r.next.push_back(entry());
      for (std::size_t k = std::min<std::size_t>(count(), 6); k > 0; --k) r.missed.push_back(entry());
      r.version = u64();
      v.rooms.push_back(std::move(r));
    }
    v.version = u64();
    return v;
  }

  StaffView staff() {
    StaffView v;
    v.session_id = str();
    v.doctor_name = str();
    v.room = str();
    v.area = str();
    v.status = status();
    v.start = time();
    v.end = time();
    v.slot_minutes = i32();
    v.serving_slot = i32();
    for (std::size_t k = count(); k > 0; --k) v.appointment_left.push_back(i32());
    for (std::size_t k = count(); k > 0; --k) v.reserved_left.push_back(i32());  // not on the wire
    for (std::size_t k = count(); k > 0; --k) v.walkin_left.push_back(i32());
    v.avg_consult = duration();
    for (std::size_t k = count(); k > 0; --k) {
      StaffTicket t;
      t.ticket_id = str();
      t.label = str();
      t.patient_ref = str();
      t.patient_name = str();
      t.kind = kind();
      t.state = state();
      t.placement = placement();
      t.slot = i32();
      t.effective_slot = i32();
      t.band = i32();
      t.seq = u64();
      t.position = i32();
      t.checked_in_at = coin(2) ? kNoTime : time();
      t.called_at = coin(2) ? kNoTime : time();
      v.tickets.push_back(std::move(t));
    }
    v.version = u64();
    return v;
  }

  Board board() {
    Board v;
    v.session_id = str();
    v.status = status();
    v.called_label = str();
    std::size_t n = coin(8) ? 200 + below(300) : count();
    for (std::size_t k = 0; k < n; ++k) v.waiting.push_back(coin(4) ? str() : "A" + std::to_string(k));
    v.doctor_available_at = time();
    v.avg_consult = duration();
    v.version = u64();
    // Usually parallel to `waiting` and non-negative as the engine writes
    // them; sometimes any int32 (the writers take what they are given).
    for (std::size_t k = 0; k < v.waiting.size(); ++k)
      v.eta_offsets_ms.push_back(coin(4) ? i32() : static_cast<std::int32_t>(below(1u << 31)));
    return v;
  }

 private:
  std::string pick(std::initializer_list<const char*> list) {
    return *(list.begin() + below(list.size()));
  }

  std::string ascii(std::size_t n) {
    std::string s(n, 'a');
    for (char& c : s) c = static_cast<char>(0x20 + below(0x5f));
    return s;
  }

  // Pieces that exercise every branch of the escaping.
  std::string mixed(std::size_t pieces) {
    static const char* const kPieces[] = {
        "a", "Z", " ", "0", "\"", "\\", "/", "<", ">", "&", "'", "\x7f", "\n", "\r", "\t", "\b",
        "\f", "\x0b", "\x01", "\x1f", "",  // index 20: NUL
        "张", "三", "é", "ß",
        "\xc2\x80",          // U+0080 (C1)
        "\xc2\x9f",          // U+009F
        "\xc2\xa0",          // U+00A0 (no escape)
        "\xc2\xad",          // U+00AD soft hyphen
        "\xd8\x80",          // U+0600
        "\xdb\x9d",          // U+06DD
        "\xdc\x8f",          // U+070F
        "\xe1\x9e\xb4",      // U+17B4
        "\xe2\x80\x8b",      // U+200B
        "\xe2\x80\xa8",      // U+2028
        "\xe2\x80\xae",      // U+202E
        "\xe2\x80\xaf",      // U+202F (no escape)
        "\xe2\x81\xa0",      // U+2060
        "\xe2\x81\xaf",      // U+206F
        "\xef\xbb\xbf",      // U+FEFF
        "\xef\xbf\xb9",      // U+FFF9
        "\xef\xbf\xbd",      // U+FFFD (no escape)
        "\xf0\x9f\x98\x80",  // U+1F600
        "\xf0\x9d\x85\xb3",  // U+1D173
        "\xf3\xa0\x80\x81",  // U+E0001
        "\xf3\xa0\x81\xbf",  // U+E007F
        "\xf4\x8f\xbf\xbf",  // U+10FFFF
    };
    static const char* const kInvalid[] = {
        "\x80", "\xbf", "\xff", "\xf8\x80", "\xc3", "\xc3" "A", "\xe5\xbc", "\xe5" "A" "\x80",
        "\xed\xa0\x80",      // a surrogate
        "\xf4\x90\x80\x80",  // above U+10FFFF
        "\xf5\x80\x80\x80",
        "\xc0\xaf",          // overlong '/'
        "\xc0\xbc",          // overlong '<'
        "\xc0\x80",          // overlong NUL
        "\xe0\x80\x8a",      // overlong '\n'
    };
    std::string s;
    for (std::size_t i = 0; i < pieces; ++i) {
      if (invalid_utf8_ && coin(4)) {
        s += kInvalid[below(std::size(kInvalid))];
      } else {
        std::size_t k = below(std::size(kPieces));
        if (k == 20) {
          s.push_back('\0');
        } else {
          s += kPieces[k];
        }
      }
    }
    return s;
  }

  std::mt19937_64 rng_;
  bool invalid_utf8_;
};

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
