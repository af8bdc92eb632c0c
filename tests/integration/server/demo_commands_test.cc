// `queuecastd --demo-commands` (what scripts/run --cluster sends to a
// cluster's node 0): each line is a body POST /v1/commands accepts, and
// together they make the clinic --demo-clinic makes in-process.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <sstream>
#include <string>

#include "tests/support/daemon.h"
#include "tests/support/http_client.h"

namespace {

const std::string kAdmin = "Authorization: Bearer demo-admin-key\r\n";

std::string run(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

std::set<std::string> session_ids(int port) {
  qc::test::HttpClient http(port);
  const auto r = http.request("GET", "/v1/sessions", "", kAdmin);
  EXPECT_EQ(r.status, 200) << r.body;
  std::set<std::string> ids;
  const std::string key = "\"sessionId\":\"";
  for (std::size_t at = 0; (at = r.body.find(key, at)) != std::string::npos; ++at) {
    const auto end = r.body.find('"', at + key.size());
    ids.insert(r.body.substr(at + key.size(), end - at - key.size()));
  }
  return ids;
}

TEST(DemoCommands, SentThroughTheApiTheyMakeTheClinicDemoClinicMakes) {
  const std::string lines = run(std::string(QC_QUEUECASTD) + " --demo-commands");
  qc::test::Daemon through_api;
  std::istringstream in(lines);
  std::string line;
  int sent = 0;
  qc::test::HttpClient http(through_api.port());
  while (std::getline(in, line)) {
    const auto r = http.request("POST", "/v1/commands", line, kAdmin);
    EXPECT_TRUE(r.status == 200 || r.status == 201) << r.status << " " << r.body << "\n" << line;
    ++sent;
  }
  EXPECT_EQ(sent, 4) << lines;  // the channel and three sessions
  // The first is the channel definition (answered 200 above).
  EXPECT_NE(lines.find("\"defineChannel\":{\"channel\":{\"channelId\":\"web\""), std::string::npos);

  qc::test::Daemon in_process({"--demo-clinic"});
  const std::set<std::string> want = session_ids(in_process.port());
  EXPECT_EQ(want.size(), 3u);
  EXPECT_EQ(session_ids(through_api.port()), want);
}

}  // namespace
