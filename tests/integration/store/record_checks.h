// Test support: comparing journal records field by field, and reading a
// whole journal back.
//
// Thread-safety: none; for one test thread.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "store/journal.h"

namespace qc::test {

// Every field of `got` equals `want`'s; events too unless `with_events` is
// false (scan_commands() leaves them out).
inline void expect_same(const journal::Record& got, const journal::Record& want,
                        bool with_events = true) {
  EXPECT_EQ(got.seq, want.seq);
  EXPECT_EQ(got.at, want.at);
  EXPECT_EQ(got.actor, want.actor);
  EXPECT_EQ(got.session_id, want.session_id);
  EXPECT_EQ(got.command_name, want.command_name);
  EXPECT_EQ(got.command, want.command);
  EXPECT_EQ(got.idempotency_key, want.idempotency_key);
  EXPECT_EQ(got.response, want.response);
  EXPECT_EQ(got.request_fingerprint, want.request_fingerprint);
  if (!with_events) return;
  ASSERT_EQ(got.events.size(), want.events.size()) << "seq " << got.seq;
  for (std::size_t i = 0; i < got.events.size(); ++i) {
    EXPECT_EQ(got.events[i].type, want.events[i].type);
    EXPECT_EQ(got.events[i].ticket_id, want.events[i].ticket_id);
    EXPECT_EQ(got.events[i].bytes, want.events[i].bytes);
    EXPECT_EQ(got.events[i].session_id, want.events[i].session_id);
  }
}

// The records after `after`, in order (a failed scan fails the test).
inline std::vector<journal::Record> all(journal::Journal& j, std::uint64_t after = 0) {
  std::vector<journal::Record> out;
  std::string error;
  EXPECT_TRUE(j.scan(
      after, [&](const journal::Record& r) { out.push_back(r); return true; }, &error))
      << error;
  return out;
}

}  // namespace qc::test
