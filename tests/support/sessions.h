// The clinic builder: every SessionSpec the tests and benchmarks start from.
//
//  - example_spec(): the session of the spec's worked examples ("S",
//    08:00-12:00 local on kDay0, 60-min slots), and late_doctor(), the same
//    with the doctor's usual late first call (engine tests, tests/support/scenario.h);
//  - test_session(): Dr. Li in room 3, four one-hour slots from `start` with
//    `quota` appointments and `quota` walk-ins each (the runtime's tests);
//  - load_session(): a walk-in-only day for load (journal tests, benchmarks).
//
// Times are local (UTC+8) on 2026-11-23 (a Monday); day_before("10:00") is
// the previous day, before the walk-in conversion at 00:00.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "engine/command.h"

namespace qc::test {

// 2026-11-23 00:00 at UTC+8.
inline constexpr Time kDay0 = 1795363200000;

// "HH:MM" local on the day of the session.
inline Time at(const char* hhmm) {
  int h = 0, m = 0;
  std::sscanf(hhmm, "%d:%d", &h, &m);
  return kDay0 + h * kHour + m * kMinute;
}
inline Time day_before(const char* hhmm) { return at(hhmm) - kDay; }

inline const char* kSid = "S";

// The session of the worked examples: 08:00-12:00, 60-min slots,
// registration 07:00, late_grace 0.
inline SessionSpec example_spec(Policy policy = Policy::kArrival, std::string sid = kSid) {
  SessionSpec s;
  s.session_id = sid;
  s.doctor_id = "d-li";
  s.doctor_name = "Dr. Li";
  s.department = "neuro";
  s.room = "3";
  s.area = "neuro-2f";
  s.start = at("08:00");
  s.end = at("12:00");
  s.registration_open = at("07:00");
  s.slot_minutes = 60;
  s.appointment_quota = {10, 10, 10, 10};
  s.walkin_quota = {10, 10, 10, 10};
  s.policy = policy;
  return s;
}

// The example session whose doctor usually calls first 50 minutes late
// (SessionSpec::first_call_delay).
inline SessionSpec late_doctor(Policy policy = Policy::kArrival) {
  SessionSpec s = example_spec(policy);
  s.first_call_delay = 50 * kMinute;
  return s;
}

// Dr. Li in room 3, four one-hour slots from `start` with `quota`
// appointments and `quota` walk-ins each, registration an hour before, no
// walk-in conversion before the end.
inline SessionSpec test_session(std::string id, std::string dept, std::string area, Time start,
                                std::int32_t quota) {
  SessionSpec s;
  s.session_id = std::move(id);
  s.doctor_id = "li";
  s.doctor_name = "Dr. Li";
  s.department = std::move(dept);
  s.room = "3";
  s.area = std::move(area);
  s.start = start;
  s.end = start + 4 * kHour;
  s.registration_open = start - kHour;
  s.slot_minutes = 60;
  s.appointment_quota = {quota, quota, quota, quota};
  s.walkin_quota = {quota, quota, quota, quota};
  s.walkin_conversion_time = s.end;
  return s;
}

// A walk-in-only session for load tests: fourteen one-hour slots from the
// hour before `now`, registration open an hour earlier, 100,000 walk-ins a
// slot, no appointments.
inline SessionSpec load_session(const std::string& session_id, const std::string& doctor_name,
                                const std::string& department, Time now) {
  const Time start = now / kHour * kHour - kHour;
  SessionSpec spec;
  spec.session_id = session_id;
  spec.doctor_name = doctor_name;
  spec.department = department;
  spec.area = department;
  spec.start = start;
  spec.end = start + 14 * kHour;
  spec.registration_open = start - kHour;
  spec.appointment_quota.assign(14, 0);
  spec.walkin_quota.assign(14, 100000);
  return spec;
}

}  // namespace qc::test
