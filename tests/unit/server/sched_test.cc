// The scheduler slice of queuecastd's threads (server/infra/sched.h) and its
// configuration (Config::sched_slice_us, Config::push_backlog).
#include "server/infra/sched.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <thread>

#include "server/infra/config.h"

namespace qc::gw {
namespace {

// Custom slices of SCHED_OTHER threads came with Linux 6.12.
bool kernel_has_custom_slices() {
  utsname u{};
  if (uname(&u) != 0) return false;
  int major = 0, minor = 0;
  if (std::sscanf(u.release, "%d.%d", &major, &minor) != 2) return false;
  return major > 6 || (major == 6 && minor >= 12);
}

TEST(Sched, AThreadGetsTheSliceItAsksForAndKeepsItsNiceValue) {
  if (!kernel_has_custom_slices()) GTEST_SKIP() << "Linux < 6.12: no custom slices";
  // On a thread of its own: the test process keeps its slice.
  std::thread([] {
    const pid_t tid = static_cast<pid_t>(::syscall(SYS_gettid));
    ASSERT_EQ(::setpriority(PRIO_PROCESS, static_cast<id_t>(tid), 3), 0);
    const std::int64_t before = thread_slice_us();
    ASSERT_GT(before, 0);
    bool applied = true;
    std::string error;
    ASSERT_TRUE(set_thread_slice(0, &applied, &error)) << error;  // 0: nothing changes
    EXPECT_FALSE(applied);
    EXPECT_EQ(thread_slice_us(), before);
    ASSERT_TRUE(set_thread_slice(250, &applied, &error)) << error;
    EXPECT_TRUE(applied);
    EXPECT_EQ(thread_slice_us(), 250);
    EXPECT_EQ(::getpriority(PRIO_PROCESS, static_cast<id_t>(tid)), 3);
    // Threads inherit it (queuecastd sets it before starting any).
    std::int64_t child = -1;
    std::thread([&child] { child = thread_slice_us(); }).join();
    EXPECT_EQ(child, 250);
  }).join();
}

TEST(Sched, TheSliceAndThePushBacklogAreConfigured) {
  Config c;
  EXPECT_EQ(c.sched_slice_us, 100);
  EXPECT_EQ(c.push_backlog, 1024);
  std::string e;
  ASSERT_TRUE(parse_config_json(R"({"sched_slice_us": 0, "push_backlog": 500})", &c, &e)) << e;
  EXPECT_EQ(c.sched_slice_us, 0);
  EXPECT_EQ(c.push_backlog, 500);
  EXPECT_FALSE(parse_config_json(R"({"sched_slice_us": -1})", &c, &e));
  EXPECT_FALSE(parse_config_json(R"({"sched_slice_us": 100001})", &c, &e));
  EXPECT_FALSE(parse_config_json(R"({"push_backlog": -5})", &c, &e));
  EXPECT_FALSE(parse_config_json(R"({"push_backlog": "many"})", &c, &e));

  const char* ok[] = {"queuecastd", "--sched-slice-us", "300", "--push-backlog", "0"};
  ASSERT_EQ(parse_flags(5, const_cast<char**>(ok), &c, &e), 0) << e;
  EXPECT_EQ(c.sched_slice_us, 300);
  EXPECT_EQ(c.push_backlog, 0);
  const char* bad_slice[] = {"queuecastd", "--sched-slice-us", "1ms"};
  EXPECT_EQ(parse_flags(3, const_cast<char**>(bad_slice), &c, &e), 1);
  EXPECT_NE(e.find("--sched-slice-us"), std::string::npos);
  const char* bad_backlog[] = {"queuecastd", "--push-backlog", "-1"};
  EXPECT_EQ(parse_flags(3, const_cast<char**>(bad_backlog), &c, &e), 1);
  EXPECT_NE(e.find("--push-backlog"), std::string::npos);
}

}  // namespace
}  // namespace qc::gw
