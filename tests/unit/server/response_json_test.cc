// render_response's direct JSON (server/wire/response_json.h) against the
// protobuf path it replaces (render_response_reference), byte for byte, on
// randomized CommandResponses that set every field of every message the
// response schema holds (filled through protobuf's reflection, so a field
// missing from the direct reader's tables shows up as a difference).
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "server/wire/response_json.h"
#include "server/wire/wire.h"
#include "proto/codec.h"

namespace qc::gw {
namespace {

namespace gp = google::protobuf;
namespace pb = ::queuecast::v1;

class Filler {
 public:
  explicit Filler(std::uint64_t seed, bool invalid_utf8 = false)
      : rng_(seed), invalid_utf8_(invalid_utf8) {}

  void fill(gp::Message* m, int depth) {
    const gp::Descriptor* d = m->GetDescriptor();
    if (d->full_name() == "google.protobuf.Timestamp") return timestamp(m);
    const gp::Reflection* r = m->GetReflection();
    // One member (or none) of each real oneof.
    for (int i = 0; i < d->real_oneof_decl_count(); ++i) {
      const gp::OneofDescriptor* o = d->oneof_decl(i);  // real oneofs come first
      if (coin(8)) continue;
      field(m, r, o->field(static_cast<int>(below(static_cast<std::uint64_t>(o->field_count())))),
            depth);
    }
    for (int i = 0; i < d->field_count(); ++i) {
      const gp::FieldDescriptor* f = d->field(i);
      if (f->real_containing_oneof() != nullptr) continue;
      if (f->is_repeated()) {
        std::uint64_t n = depth == 0 ? below(7) : below(3);
        for (std::uint64_t k = 0; k < n; ++k) field(m, r, f, depth);
      } else if (!coin(4)) {
        field(m, r, f, depth);
      }
    }
  }

 private:
  std::uint64_t below(std::uint64_t n) { return rng_() % n; }
  bool coin(int one_in) { return below(static_cast<std::uint64_t>(one_in)) == 0; }

  void timestamp(gp::Message* m) {
    auto* ts = static_cast<gp::Timestamp*>(m);
    if (coin(6)) return;  // present but empty: the epoch
    constexpr std::int64_t kMin = -62135596800LL, kMax = 253402300799LL;
    ts->set_seconds(coin(5) ? (coin(2) ? kMin : kMax)
                            : kMin + static_cast<std::int64_t>(below(kMax - kMin + 1)));
    switch (below(4)) {
      case 0: ts->set_nanos(0); break;
      case 1: ts->set_nanos(static_cast<std::int32_t>(below(1000)) * 1'000'000); break;
      case 2: ts->set_nanos(static_cast<std::int32_t>(below(1'000'000)) * 1'000); break;
      default: ts->set_nanos(static_cast<std::int32_t>(below(1'000'000'000)));
    }
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

  void field(gp::Message* m, const gp::Reflection* r, const gp::FieldDescriptor* f, int depth) {
    const bool rep = f->is_repeated();
    switch (f->cpp_type()) {
      case gp::FieldDescriptor::CPPTYPE_STRING:
        rep ? r->AddString(m, f, str()) : r->SetString(m, f, str());
        break;
      case gp::FieldDescriptor::CPPTYPE_INT32:
        rep ? r->AddInt32(m, f, i32()) : r->SetInt32(m, f, i32());
        break;
      case gp::FieldDescriptor::CPPTYPE_INT64:
        rep ? r->AddInt64(m, f, static_cast<std::int64_t>(rng_()))
            : r->SetInt64(m, f, static_cast<std::int64_t>(rng_()));
        break;
      case gp::FieldDescriptor::CPPTYPE_UINT64: {
        std::uint64_t v = coin(3) ? below(3) : rng_() >> below(64);
        rep ? r->AddUInt64(m, f, v) : r->SetUInt64(m, f, v);
        break;
      }
      case gp::FieldDescriptor::CPPTYPE_ENUM: {
        const gp::EnumDescriptor* e = f->enum_type();
        int v = coin(10) ? 40 + static_cast<int>(below(100))  // unknown: printed as a number
                         : e->value(static_cast<int>(below(static_cast<std::uint64_t>(e->value_count()))))
                               ->number();
        rep ? r->AddEnumValue(m, f, v) : r->SetEnumValue(m, f, v);
        break;
      }
      case gp::FieldDescriptor::CPPTYPE_MESSAGE: {
        gp::Message* sub = rep ? r->AddMessage(m, f) : r->MutableMessage(m, f);
        if (depth < 4) fill(sub, depth + 1);
        break;
      }
      default:
        ADD_FAILURE() << "a field type the response schema did not have: " << f->full_name();
    }
  }

  std::mt19937_64 rng_;
  bool invalid_utf8_;
};

::testing::AssertionResult same_json(const std::string& binary) {
  const std::string fast = render_response(binary, Format::kJson);
  const std::string reference = render_response_reference(binary, Format::kJson);
  if (fast == reference) return ::testing::AssertionSuccess();
  std::size_t i = 0;
  while (i < fast.size() && i < reference.size() && fast[i] == reference[i]) ++i;
  std::size_t from = i > 80 ? i - 80 : 0;
  return ::testing::AssertionFailure()
         << "first difference at byte " << i << "\n  direct:    ..." << fast.substr(from, 200)
         << "\n  reference: ..." << reference.substr(from, 200);
}

TEST(ResponseJson, RandomResponsesMatchTheProtobufPath) {
  Filler g(11);
  int direct = 0;
  for (int i = 0; i < 3000; ++i) {
    pb::CommandResponse r;
    g.fill(&r, 0);
    std::string bin;
    ASSERT_TRUE(r.SerializeToString(&bin));
    std::string out;
    if (append_response_json(bin, &out)) ++direct;
    ASSERT_TRUE(same_json(bin)) << "round " << i << "\n" << r.ShortDebugString();
  }
  EXPECT_EQ(direct, 3000);  // every well-formed response takes the direct way
}

// Strings that are not UTF-8 make protobuf's parser stop; the direct reader
// refuses them and render_response falls back to the protobuf path.
void quiet(gp::LogLevel, const char*, int, const std::string&) {}

TEST(ResponseJson, InvalidUtf8FallsBackToTheProtobufPath) {
  gp::LogHandler* old = gp::SetLogHandler(&quiet);
  Filler g(12, /*invalid_utf8=*/true);
  for (int i = 0; i < 500; ++i) {
    pb::CommandResponse r;
    g.fill(&r, 0);
    std::string bin;
    r.SerializeToString(&bin);
    EXPECT_TRUE(same_json(bin)) << "round " << i;
  }
  gp::SetLogHandler(old);
}

TEST(ResponseJson, MalformedBytesAreRefused) {
  std::string out;
  EXPECT_FALSE(append_response_json(std::string("\x0a\x05\x01", 3), &out));  // length past end
  EXPECT_FALSE(append_response_json(std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11),
                                    &out));  // varint too long
  EXPECT_FALSE(append_response_json(std::string("\x10\x01", 2), &out));  // ticket_id as a varint
  EXPECT_TRUE(same_json(std::string("\x0a\x05\x01", 3)));
  out.clear();
  EXPECT_TRUE(append_response_json("", &out));
  EXPECT_EQ(out, "{\"events\":[],\"ticketId\":\"\",\"label\":\"\",\"token\":\"\",\"holdId\":\"\"}");
}

// Every event type of the engine renders on the direct way as protobuf does
// (a new event type must be added to the direct renderer's tables too).
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
    pb::CommandResponse r;
    codec::to_proto(e, r.add_events());
    std::string bin;
    ASSERT_TRUE(r.SerializeToString(&bin));
    EXPECT_TRUE(same_json(bin)) << to_string(e.type);
    std::string out;
    EXPECT_TRUE(append_response_json(bin, &out)) << to_string(e.type);
  }
}

// A response as the shard builds it: a walk-in's events and its ticket.
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
  pb::CommandResponse r;
  codec::to_proto(e, r.add_events());
  r.set_ticket_id(e.ticket_id);
  r.set_label(e.label);
  r.set_slot(0);
  r.set_token("0123456789abcdef0123456789abcdef");
  PatientView v;
  v.ticket_id = e.ticket_id;
  v.eta = 1795366800000;
  codec::to_proto(v, r.mutable_ticket());
  std::string bin;
  r.SerializeToString(&bin);
  EXPECT_TRUE(same_json(bin));
  EXPECT_NE(render_response(bin, Format::kJson).find("\"slot\":0}"), std::string::npos);
}

}  // namespace
}  // namespace qc::gw
