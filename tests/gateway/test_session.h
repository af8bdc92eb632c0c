// A session for the gateway's tests: Dr. Li in room 3, four one-hour slots
// from `start` with `quota` appointments and `quota` walk-ins each,
// registration an hour before, no walk-in conversion before the end.
#pragma once

#include <string>

#include "engine/command.h"

namespace qc::gw {

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

}  // namespace qc::gw
