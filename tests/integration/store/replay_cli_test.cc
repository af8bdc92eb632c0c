// queuecast replay --journal: a session's history with the rule that applied,
// --check, and clear errors (runs the real `queuecast` binary).
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "engine/engine.h"
#include "store/journal.h"
#include "store/redis_cluster.h"
#include "tests/integration/store/redis_client.h"
#include "tests/support/clinic.h"
#include "tests/support/redis_server.h"

#ifndef QC_CLI_PATH
#define QC_CLI_PATH "queuecast"
#endif

namespace qc::journal {
namespace {

// Runs a shell command line; its stdout, and the exit status in *status.
std::string run(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = ::pclose(p);
  *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

TEST(ReplayCli, PrintsASessionsHistoryWithTheRules) {
  const std::string dir = test::make_temp_dir("replay-cli");
  const std::string db = dir + "/j.db";
  std::uint64_t demoted = 0;
  {
    std::string error;
    auto j = open("sqlite://" + db, &error);
    ASSERT_TRUE(j) << error;
    test::Clinic clinic(3, 2, 40);
    Engine engine;
    std::vector<Event> events;
    std::uint64_t seq = 0;
    for (int i = 0; i < 400; ++i) {
      Time at;
      Command c = clinic.next(&at);
      events.clear();
      if (engine.apply_into(c, at, &events) != Error::kOk) continue;
      for (const Event& e : events)
        if (e.session_id == "d0-s1" && e.placement == Placement::kDemoted) ++demoted;
      std::vector<Record> b = {test::make_record(++seq, c, at, events)};
      ASSERT_TRUE(j->append(b, &error)) << error;
    }
  }
  int status = -1;
  const std::string out =
      run(std::string(QC_CLI_PATH) + " replay --journal " + db + " --session d0-s1", &status);
  EXPECT_EQ(status, 0);
  EXPECT_NE(out.find("create_session d0-s1"), std::string::npos) << out.substr(0, 500);
  EXPECT_NE(out.find("+08:00  #"), std::string::npos);  // the session's local time
  EXPECT_NE(out.find("channel:web  book d0-s1-A0"), std::string::npos);
  EXPECT_EQ(out.find("d0-s0"), std::string::npos) << "another session leaked in";
  if (demoted > 0) {
    EXPECT_NE(out.find("demoted: late for slot"), std::string::npos);
  }
  EXPECT_NE(out.find("walk-in, slot"), std::string::npos);

  const std::string check =
      run(std::string(QC_CLI_PATH) + " replay --journal sqlite://" + db + " --check", &status);
  EXPECT_EQ(status, 0) << check;
  EXPECT_NE(check.find("recovered to seq"), std::string::npos) << check;

  run(std::string(QC_CLI_PATH) + " replay --journal " + dir + "/missing/x.db 2>/dev/null", &status);
  EXPECT_EQ(status, 1);
  run(std::string(QC_CLI_PATH) + " replay --journal 2>/dev/null", &status);
  EXPECT_EQ(status, 2);
  test::remove_tree(dir);
}

// A partition's journal written by two owners in turn: each command's line
// tells the epoch that wrote it (unfenced commits tell none).
TEST(ReplayCli, ShowsTheEpochOfFencedCommits) {
  test::RedisServer redis;
  std::string error;
  ASSERT_TRUE(redis.start(&error)) << error;
  const std::string key = partition_key("qc", 2);
  auto j = open(redis.url(key), &error);
  ASSERT_TRUE(j) << error;
  auto c = test::redis_connect(redis);
  ASSERT_TRUE(c);
  test::Clinic clinic(1, 1, 10);
  Engine engine;
  std::vector<Event> events;
  std::uint64_t seq = 0;
  for (int step = 0; seq < 6 && step < 200; ++step) {
    Time at;
    Command command = clinic.next(&at);
    events.clear();
    if (engine.apply_into(command, at, &events) != Error::kOk) continue;
    // Commits 1-2 unfenced, 3-4 by epoch 7, 5-6 by epoch 8.
    if (seq == 2 || seq == 4) {
      const std::string epoch = seq == 2 ? "7" : "8";
      ASSERT_EQ(test::redis_text(c.get(), {"SET", key + ":epoch", epoch}), "OK");
      j->set_fence(partition_fence("qc", 2, std::stoull(epoch)));
    }
    std::vector<Record> b = {test::make_record(++seq, command, at, events)};
    ASSERT_TRUE(j->append(b, &error)) << error;
  }
  ASSERT_EQ(seq, 6u);
  int status = -1;
  const std::string out =
      run(std::string(QC_CLI_PATH) + " replay --journal '" + redis.url(key) + "'", &status);
  EXPECT_EQ(status, 0) << out;
  std::vector<std::string> lines;
  for (std::size_t at = 0, nl; (nl = out.find('\n', at)) != std::string::npos; at = nl + 1)
    if (out.compare(at, 4, "    ") != 0) lines.push_back(out.substr(at, nl - at));  // commands
  ASSERT_EQ(lines.size(), 6u) << out;
  for (std::size_t i = 0; i < 6; ++i) {
    const std::string want = i < 2 ? "" : i < 4 ? "  [epoch 7]" : "  [epoch 8]";
    EXPECT_NE(lines[i].find("  #" + std::to_string(i + 1) + "  "), std::string::npos) << lines[i];
    const std::size_t where =
        want.empty() ? std::string::npos : lines[i].size() - want.size() + 2;  // at the end
    EXPECT_EQ(lines[i].find("[epoch"), where) << lines[i];
  }
}

}  // namespace
}  // namespace qc::journal
