// Random values for the encoders' differential tests (the direct writers
// against protobuf: tests/unit/server/view_json_test.cc,
// response_json_test.cc): strings from a pool of hard cases (CJK, escapes,
// U+2028, NUL, long, optionally invalid UTF-8), integers and times at their
// edges, views and events with every field set. Seeded: reproducible.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "engine/event.h"
#include "engine/types.h"
#include "engine/view.h"

namespace qc::test {

class Gen {
 public:
  explicit Gen(std::uint64_t seed, bool invalid_utf8 = false)
      : rng_(seed), invalid_utf8_(invalid_utf8) {}

  std::uint64_t below(std::uint64_t n) { return rng_() % n; }
  bool coin(int one_in) { return below(static_cast<std::uint64_t>(one_in)) == 0; }

  // Mostly a value of the enum; sometimes one it does not have (printed as
  // a number): events carry what the engine wrote.
  template <typename E>
  E enum_of(std::uint64_t values) {
    return static_cast<E>(coin(10) ? 40 + below(100) : below(values));
  }

  // An event with every field set (the encoders print what its type uses).
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
    e.from = enum_of<TicketState>(8);
    e.to = enum_of<TicketState>(8);
    e.placement = enum_of<Placement>(5);
    e.slot = i32();
    e.effective_slot = i32();
    e.count = coin(2) ? static_cast<std::int32_t>(below(4)) : i32();
    e.until = coin(3) ? kNoTime : time();
    e.room = str();
    e.other_ticket = str();
    return e;
  }

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
  TicketState state() { return static_cast<TicketState>(below(8)); }
  Placement placement() { return static_cast<Placement>(below(5)); }
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
    v.priority = str();
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
      t.priority = str();
      t.room = str();
      t.overtaken = i32();
      v.tickets.push_back(std::move(t));
    }
    v.version = u64();
    for (std::size_t k = std::min<std::size_t>(count(), 16); k > 0; --k)
      v.rooms.push_back(StaffRoom{str(), coin(2), str(), str(), time()});
    v.priority_after = i32();
    v.return_after = i32();
    v.max_overtaken = i32();
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

}  // namespace qc::test
