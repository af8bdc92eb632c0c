// `queuecast replay` end to end: the real binary, fed the command files in
// data/ (see data/README.md for the .expect format), a file of bad lines,
// and a generated file of thousands of commands replayed twice.
#include <gtest/gtest.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "proto/codec.h"
#include "tests/support/command_generator.h"
#include "tests/support/reference_model.h"

namespace qc {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

const std::string kBin = QC_QUEUECAST_BIN;
const std::string kData = QC_CLI_DATA;

struct Proc {
  int status = -1;  // exit code
  std::string out;
};

// Runs `queuecast <args>` through the shell (args are ours: no user input).
Proc run(const std::string& args) {
  Proc r;
  std::string cmd = "'" + kBin + "' " + args + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool parse(const std::string& json, Value* v) {
  return google::protobuf::util::JsonStringToMessage(json, v).ok();
}

std::string show(const Value& v) {
  std::string s;
  (void)google::protobuf::util::MessageToJsonString(v, &s);
  return s;
}

// `want` is a subset of `got` (objects: the keys given; arrays: same length,
// element by element; scalars: equal).
bool subset(const Value& want, const Value& got, const std::string& path, std::string* why) {
  if (want.kind_case() != got.kind_case()) {
    *why = path + ": want " + show(want) + ", got " + show(got);
    return false;
  }
  switch (want.kind_case()) {
    case Value::kStructValue:
      for (const auto& [k, w] : want.struct_value().fields()) {
        auto it = got.struct_value().fields().find(k);
        if (it == got.struct_value().fields().end()) {
          *why = path + "." + k + ": missing";
          return false;
        }
        if (!subset(w, it->second, path + "." + k, why)) return false;
      }
      return true;
    case Value::kListValue: {
      const ListValue& w = want.list_value();
      const ListValue& g = got.list_value();
      if (w.values_size() != g.values_size()) {
        *why = path + ": want " + show(want) + ", got " + show(got);
        return false;
      }
      for (int i = 0; i < w.values_size(); ++i)
        if (!subset(w.values(i), g.values(i), path + "[" + std::to_string(i) + "]", why))
          return false;
      return true;
    }
    default:
      if (want.SerializeAsString() != got.SerializeAsString()) {
        *why = path + ": want " + show(want) + ", got " + show(got);
        return false;
      }
      return true;
  }
}

// The event kinds of an output line's `events` (the key that is not a
// common field).
Value event_types(const Value& line) {
  Value out;
  ListValue* list = out.mutable_list_value();
  auto it = line.struct_value().fields().find("events");
  if (it == line.struct_value().fields().end()) return out;
  for (const Value& e : it->second.list_value().values()) {
    for (const auto& [k, v] : e.struct_value().fields()) {
      if (k != "at" && k != "actor" && k != "sessionId") list->add_values()->set_string_value(k);
    }
  }
  return out;
}

// Replays data/NAME.jsonl and checks every line against data/NAME.expect.
void check_file(const std::string& name, const std::string& options = "") {
  Proc r = run("replay " + options + " '" + kData + "/" + name + ".jsonl'");
  ASSERT_EQ(r.status, 0);
  std::vector<std::string> in = lines_of(read_file(kData + "/" + name + ".jsonl"));
  std::vector<std::string> out = lines_of(r.out);
  std::vector<std::string> want = lines_of(read_file(kData + "/" + name + ".expect"));
  ASSERT_EQ(out.size(), in.size()) << "one output line per input line";
  ASSERT_EQ(want.size(), in.size()) << name << ".expect must have one line per input line";
  for (std::size_t i = 0; i < out.size(); ++i) {
    Value got, exp;
    ASSERT_TRUE(parse(out[i], &got)) << "line " << i + 1 << " is not JSON: " << out[i];
    ASSERT_TRUE(parse(want[i], &exp)) << name << ".expect line " << i + 1;
    // Every line has the documented keys.
    for (const char* key : {"ok", "events", "session", "waiting", "called"})
      EXPECT_TRUE(got.struct_value().fields().count(key)) << "line " << i + 1 << " lacks " << key;
    Struct* fields = exp.mutable_struct_value();
    auto types = fields->mutable_fields()->find("eventTypes");
    if (types != fields->mutable_fields()->end()) {
      std::string why;
      EXPECT_TRUE(subset(types->second, event_types(got), "eventTypes", &why))
          << name << " line " << i + 1 << ": " << why << "\n  output: " << out[i];
      fields->mutable_fields()->erase("eventTypes");
    }
    auto contains = fields->mutable_fields()->find("messageContains");
    if (contains != fields->mutable_fields()->end()) {
      auto m = got.struct_value().fields().find("message");
      ASSERT_NE(m, got.struct_value().fields().end()) << name << " line " << i + 1;
      EXPECT_NE(m->second.string_value().find(contains->second.string_value()), std::string::npos)
          << name << " line " << i + 1 << ": message " << m->second.string_value();
      fields->mutable_fields()->erase("messageContains");
    }
    std::string why;
    EXPECT_TRUE(subset(exp, got, "", &why))
        << name << " line " << i + 1 << ": " << why << "\n  input:  " << in[i]
        << "\n  output: " << out[i];
  }
}

TEST(Replay, WorkedExamplesOfTheSpec) { check_file("worked_examples"); }

// Examples 7-9 (priority, return after tests, several rooms).
TEST(Replay, WorkedExamplesOfTheClinicalFlow) { check_file("flow_examples"); }

TEST(Replay, BadLinesGetAnErrorAndTheReplayGoesOn) { check_file("bad_lines"); }

// `--why TICKET`: every ticket put ahead of TICKET and why, then a summary.
std::vector<Value> why(const std::string& ticket, const std::string& file = "flow_examples") {
  Proc r = run("replay --why " + ticket + " '" + kData + "/" + file + ".jsonl'");
  EXPECT_EQ(r.status, 0);
  std::vector<Value> out;
  for (const std::string& line : lines_of(r.out)) {
    Value v;
    EXPECT_TRUE(parse(line, &v)) << line;
    out.push_back(v);
  }
  return out;
}

void expect_subset(const std::string& want, const Value& got) {
  Value w;
  ASSERT_TRUE(parse(want, &w)) << want;
  std::string reason;
  EXPECT_TRUE(subset(w, got, "", &reason)) << reason;
}

TEST(Replay, WhyWasThatPatientCalledBeforeMe) {
  // Example 7: W4 was passed by P1, P2 and P3 (each a priority walk-in),
  // then protected: P4 goes after it.
  std::vector<Value> w4 = why("e7W4");
  ASSERT_EQ(w4.size(), 5u);
  expect_subset(R"({"rule":"inserted","ticket":"e7P1","reason":"priority","priority":"elderly","overtaken":1,"at":"2026-11-22T23:40:00Z"})", w4[0]);
  expect_subset(R"({"rule":"inserted","ticket":"e7P2","reason":"priority","priority":"military","overtaken":2})", w4[1]);
  expect_subset(R"({"rule":"inserted","ticket":"e7P3","reason":"priority","priority":"disabled","overtaken":3})", w4[2]);
  expect_subset(R"({"rule":"protected","overtaken":3})", w4[3]);
  expect_subset(R"({"ticket":"e7W4","found":true,"state":"waiting","inserted":3,"made_next":0,)"
                R"("move_to_next":0,"overtaken":3,"protected":true})",
                w4[4]);
  // W1 was ahead of every insertion: nothing passed it.
  std::vector<Value> w1 = why("e7W1");
  ASSERT_EQ(w1.size(), 1u);
  expect_subset(R"({"ticket":"e7W1","found":true,"inserted":0,"overtaken":0,"protected":false})", w1[0]);
  // Example 8: W1 came back from tests after W3; W4 was passed once.
  std::vector<Value> e8 = why("e8W4");
  ASSERT_EQ(e8.size(), 2u);
  expect_subset(R"({"rule":"inserted","ticket":"e8W1","reason":"return_from_tests","overtaken":1,"at":"2026-11-23T01:00:00Z"})", e8[0]);
  EXPECT_FALSE(e8[0].struct_value().fields().count("priority"));
  expect_subset(R"({"ticket":"e8W4","inserted":1,"overtaken":1,"protected":false})", e8[1]);
  expect_subset(R"({"ticket":"e8W2","inserted":0})", why("e8W2").back());
  expect_subset(R"({"ticket":"nobody","found":false})", why("nobody").back());
  EXPECT_EQ(run("replay --why").status, 2);
}

// The rules that put a ticket ahead without insertion (and do not count
// toward max_overtaken): band 0 (a missed patient back in time), a nurse's
// move_to_next and direct call.
TEST(Replay, WhyNamesBandZeroAndTheNursesDecisions) {
  check_file("why_rules");
  std::vector<Value> w2 = why("r1W2", "why_rules");
  ASSERT_EQ(w2.size(), 4u);
  expect_subset(R"({"line":8,"rule":"made_next","ticket":"r1W1","event":"ticket_returned"})", w2[0]);
  expect_subset(R"({"line":9,"rule":"move_to_next","ticket":"r1W3"})", w2[1]);
  expect_subset(R"({"line":10,"rule":"call_ticket","ticket":"r1W4"})", w2[2]);
  expect_subset(R"({"ticket":"r1W2","inserted":0,"made_next":1,"move_to_next":1,"call_ticket":1,)"
                R"("overtaken":0,"protected":false})",
                w2[3]);
  // W4 was passed the same two ways, then called directly itself.
  expect_subset(R"({"ticket":"r1W4","state":"called","made_next":1,"move_to_next":1,"call_ticket":0})",
                why("r1W4", "why_rules").back());
  // W1, back at the head, was passed only by the direct call of W4.
  expect_subset(R"({"ticket":"r1W1","made_next":0,"move_to_next":0,"call_ticket":1})",
                why("r1W1", "why_rules").back());
}

TEST(Replay, EngineOptionsOnTheCommandLine) {
  Proc loose = run("replay '" + kData + "/options.jsonl'");
  ASSERT_EQ(loose.status, 0);
  ASSERT_EQ(lines_of(loose.out).size(), 4u);
  EXPECT_EQ(lines_of(loose.out)[3].rfind("{\"ok\":true", 0), 0u);
  Proc strict = run("replay --max-active-bookings 1 '" + kData + "/options.jsonl'");
  ASSERT_EQ(strict.status, 0);
  EXPECT_EQ(lines_of(strict.out)[3].rfind("{\"ok\":false,\"error\":\"booking_limit\"", 0), 0u)
      << lines_of(strict.out)[3];
}

TEST(Replay, UsageAndErrors) {
  Proc help = run("--help");
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("replay"), std::string::npos);
  Proc rhelp = run("replay --help");
  EXPECT_EQ(rhelp.status, 0);
  EXPECT_NE(rhelp.out.find("JSON"), std::string::npos);
  EXPECT_EQ(run("replay --no-such-option").status, 2);
  EXPECT_EQ(run("replay --max-active-bookings").status, 2);
  EXPECT_EQ(run("replay --max-active-bookings x " + kData + "/options.jsonl").status, 2);
  EXPECT_EQ(run("replay /nonexistent/file.jsonl").status, 1);
  EXPECT_EQ(run("frobnicate").status, 2);
  Proc empty = run("replay < /dev/null");
  EXPECT_EQ(empty.status, 0);
  EXPECT_EQ(empty.out, "");
}

// Writes a generated command file; returns the steps.
std::vector<model_test::Step> generate(const std::string& path, std::size_t n, std::uint64_t seed) {
  model_test::Generator gen(seed);
  model::Model steering;
  std::vector<model_test::Step> steps;
  std::ofstream out(path, std::ios::binary);
  for (std::size_t i = 0; i < n; ++i) {
    steps.push_back(gen.next(steering));
    steering.apply(steps.back().cmd, steps.back().now);
    out << model_test::to_json_line(steps.back()) << "\n";
  }
  return steps;
}

TEST(Replay, DeterministicByteForByte) {
  const std::string path = ::testing::TempDir() + "/replay_determinism.jsonl";
  std::vector<model_test::Step> steps = generate(path, 5000, 20261123);
  Proc a = run("replay '" + path + "'");
  Proc b = run("replay '" + path + "'");
  Proc c = run("replay < '" + path + "'");
  ASSERT_EQ(a.status, 0);
  ASSERT_EQ(b.status, 0);
  ASSERT_EQ(c.status, 0);
  EXPECT_TRUE(a.out == b.out) << "two replays of the same file differ";
  EXPECT_TRUE(a.out == c.out) << "file and standard input differ";
  std::vector<std::string> out = lines_of(a.out);
  ASSERT_EQ(out.size(), steps.size());
  // The tool applies what the file says: each line's verdict is the
  // engine's verdict on the generated command itself.
  Engine engine;
  std::vector<Event> events;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    events.clear();
    Error e = engine.apply_into(steps[i].cmd, steps[i].now, &events);
    std::string prefix = e == Error::kOk
                             ? std::string("{\"ok\":true,")
                             : "{\"ok\":false,\"error\":\"" + std::string(to_string(e)) + "\"";
    ASSERT_EQ(out[i].rfind(prefix, 0), 0u) << "line " << i + 1 << ": " << out[i];
    Value v;
    ASSERT_TRUE(parse(out[i], &v)) << "line " << i + 1;
    EXPECT_EQ(v.struct_value().fields().at("events").list_value().values_size(),
              static_cast<int>(events.size()))
        << "line " << i + 1;
  }
}

}  // namespace
}  // namespace qc
