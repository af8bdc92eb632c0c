// View encoding benchmarks (Google Benchmark). Figures and the command line
// are in docs/benchmarks.md, "View encoding".
//
// - BM_Encode<View>/proto:P/direct:D: one encode_view (ServerMessage{view})
//   of a view built by a real engine, in JSON (proto:0) or binary (proto:1),
//   by the protobuf path (direct:0, encode_view_reference: codec::to_proto +
//   protobuf's JSON printer or SerializeToString) or the direct writers
//   (direct:1, encode_view). Views: the patient view of a WAITING phone of a
//   190-ticket session, that session's board and staff view (190 tickets),
//   and the display view of an area with 4 such sessions.
// - BM_PatientRefresh190/proto:P/path:K: what a call costs the shard for
//   the 190 phones of one session: Engine::patient_views() of the session,
//   then one encode_view per phone (path 0: protobuf, 1: direct; path 2:
//   patient_views() alone). Counter `per_delivery` = CPU time / 190.
// - BM_RenderResponse/walkin:W/direct:D: the JSON of the answer
//   (CommandReply, server/wire/reply.h) to call_next (walkin:0: the events
//   of the call) or to a walk-in registration (walkin:1: its event, the
//   ticket, its token and patient view), built as the shard builds them; by
//   the protobuf path (direct:0, to_proto + protobuf's JSON printer) or the
//   direct writer (direct:1, encode_reply).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "engine/engine.h"
#include "server/wire/reply.h"
#include "server/wire/wire.h"
#include "proto/codec.h"

namespace {

using namespace qc;
using qc::gw::Format;

constexpr Time kDay0 = 1795363200000;  // 2026-11-23 00:00 UTC+8
constexpr int kSlots = 4;
constexpr int kPhones = 190;

Actor nurse() { return Actor{ActorKind::kNurse, "n1"}; }

// A session like the fan-out benchmark's (bench/loadgen.cc): appointments
// and walk-ins, most WAITING, a few called and done.
void add_session(Engine& e, int i) {
  SessionSpec s;
  s.session_id = "s" + std::to_string(i);
  s.doctor_id = "d" + std::to_string(i);
  s.doctor_name = "王建国";
  s.room = std::to_string(i + 1) + "诊室";
  s.area = "neuro-2f";
  s.start = kDay0 + 8 * kHour;
  s.end = kDay0 + 12 * kHour;
  s.registration_open = kDay0 + 7 * kHour;
  s.appointment_quota.assign(kSlots, 25);
  s.walkin_quota.assign(kSlots, 30);
  s.avg_consult_seed = 4 * kMinute;
  e.apply(Command{nurse(), CreateSession{s}}, kDay0 - 2 * kDay);
  std::vector<std::string> booked;
  for (int k = 0; k < 90; ++k) {
    Result r = e.apply(Command{nurse(), Book{s.session_id, k % kSlots, "p" + std::to_string(k),
                                            k % 2 ? "张三" : "Zhang San", "", "", ""}},
                       kDay0 - kDay);
    if (r.ok()) booked.push_back(r.events.at(0).ticket_id);
  }
  for (std::size_t k = 0; k < booked.size(); k += 3)
    e.apply(Command{nurse(), CheckIn{booked[k]}}, kDay0 + 7 * kHour + static_cast<Time>(k));
  for (int k = 0; k < kPhones - 90; ++k)
    e.apply(Command{nurse(), RegisterWalkIn{s.session_id, "w" + std::to_string(k), "李四", "", ""}},
            kDay0 + 7 * kHour + 100 + k);
  for (int k = 0; k < 12; ++k)
    e.apply(Command{nurse(), CallNext{s.session_id}}, kDay0 + 8 * kHour + k * 4 * kMinute);
}

struct Fixture {
  Engine engine;
  Time now = kDay0 + 9 * kHour + 123;
  PatientView patient;
  Board board;
  StaffView staff;
  DisplayView display;

  Fixture() {
    for (int i = 0; i < 4; ++i) add_session(engine, i);
    std::vector<PatientView> views;
    engine.patient_views("s0", now, &views);
    for (const PatientView& v : views)
      if (v.state == TicketState::kWaiting && v.ahead > 20) {
        patient = v;
        break;
      }
    board = *engine.board("s0", now);
    staff = *engine.staff_view("s0", now);
    display = engine.display_view("neuro-2f", now);
  }
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

template <typename View>
const View& sample();
template <>
const PatientView& sample<PatientView>() { return fixture().patient; }
template <>
const Board& sample<Board>() { return fixture().board; }
template <>
const StaffView& sample<StaffView>() { return fixture().staff; }
template <>
const DisplayView& sample<DisplayView>() { return fixture().display; }

Format format_of(const benchmark::State& state) {
  return state.range(0) ? Format::kProto : Format::kJson;
}

template <typename View>
void BM_Encode(benchmark::State& state) {
  const View& v = sample<View>();
  const Time now = fixture().now;
  const Format f = format_of(state);
  const bool direct = state.range(1) != 0;
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string s = direct ? gw::encode_view(v, now, f) : gw::encode_view_reference(v, now, f);
    bytes = s.size();
    benchmark::DoNotOptimize(s.data());
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK_TEMPLATE(BM_Encode, PatientView)->ArgNames({"proto", "direct"})->ArgsProduct({{0, 1}, {0, 1}});
BENCHMARK_TEMPLATE(BM_Encode, Board)->ArgNames({"proto", "direct"})->ArgsProduct({{0, 1}, {0, 1}});
BENCHMARK_TEMPLATE(BM_Encode, DisplayView)->ArgNames({"proto", "direct"})->ArgsProduct({{0, 1}, {0, 1}});
BENCHMARK_TEMPLATE(BM_Encode, StaffView)->ArgNames({"proto", "direct"})->ArgsProduct({{0, 1}, {0, 1}});

void BM_PatientRefresh190(benchmark::State& state) {
  const Fixture& fx = fixture();
  const Format f = format_of(state);
  const int path = static_cast<int>(state.range(1));
  std::vector<PatientView> views;
  std::size_t encoded = 0;
  for (auto _ : state) {
    fx.engine.patient_views("s0", fx.now, &views);
    for (const PatientView& v : views) {
      if (path == 2) break;
      std::string s = path == 1 ? gw::encode_view(v, fx.now, f)
                                : gw::encode_view_reference(v, fx.now, f);
      encoded += s.size();
      benchmark::DoNotOptimize(s.data());
    }
  }
  benchmark::DoNotOptimize(encoded);
  state.counters["views"] = static_cast<double>(views.size());
  state.counters["per_delivery"] = benchmark::Counter(
      static_cast<double>(views.size()),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_PatientRefresh190)
    ->ArgNames({"proto", "path"})
    ->ArgsProduct({{0, 1}, {0, 1, 2}})
    ->Unit(benchmark::kMicrosecond);

// The answer to `cmd` on a copy of the fixture's engine, as
// server/runtime/command_applier.cc builds it.
gw::CommandReply response_to(const Command& cmd) {
  Engine e;
  add_session(e, 0);
  const Time now = fixture().now;
  Result r = e.apply(cmd, now);
  gw::CommandReply reply;
  reply.events = r.events;
  for (const Event& ev : r.events) {
    if (ev.type == EventType::kWalkInRegistered) {
      reply.ticket_id = ev.ticket_id;
      reply.label = ev.label;
      reply.slot = ev.slot;
      reply.token = "0123456789abcdef0123456789abcdef";
      reply.ticket = e.patient_view(ev.ticket_id, now);
    }
  }
  return reply;
}

void BM_RenderResponse(benchmark::State& state) {
  const bool walkin = state.range(0) != 0;
  const bool direct = state.range(1) != 0;
  const gw::CommandReply reply =
      walkin ? response_to(Command{nurse(), RegisterWalkIn{"s0", "wx", "赵六", "", ""}})
             : response_to(Command{nurse(), CallNext{"s0"}});
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string s;
    if (direct) {
      s = gw::encode_reply(reply, Format::kJson);
    } else {
      queuecast::v1::CommandResponse m;
      gw::to_proto(reply, &m);
      codec::to_json(m, &s);
    }
    bytes = s.size();
    benchmark::DoNotOptimize(s.data());
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_RenderResponse)->ArgNames({"walkin", "direct"})->ArgsProduct({{0, 1}, {0, 1}});

}  // namespace

BENCHMARK_MAIN();
