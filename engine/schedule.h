// Schedules: weekly templates that generate sessions, batch quota changes
// and doctor leave (停诊) over a date range. Plain command data; the engine
// applies them (engine/schedule.cc).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/types.h"

namespace qc {

// A weekly template: "Dr. Li, Mondays, 08:00-12:00, room 3, 60-min slots".
struct SessionTemplate {
  std::string template_id;
  std::string doctor_id;
  std::string doctor_name;
  std::string department;
  std::string room;
  std::string area;
  std::int32_t weekday = 1;                    // 0 = Sunday ... 6 = Saturday (local)
  std::int32_t start_minute = 8 * 60;          // local minutes after midnight
  std::int32_t end_minute = 12 * 60;
  std::int32_t registration_open_minute = 7 * 60;
  std::int32_t slot_minutes = 60;
  std::vector<std::int32_t> appointment_quota;
  std::vector<std::int32_t> walkin_quota;
  Policy policy = Policy::kArrival;
  std::int32_t utc_offset_minutes = 480;
  // The doctor's usual first call after the start (SessionSpec's field of
  // the same name, e.g. learned by `queuecast plan`), given to every session
  // the template generates.
  Duration first_call_delay = 0;
  // The estimates' seed and the recommended-arrival margin (SessionSpec's
  // fields of the same names), given to every generated session.
  Duration avg_consult_seed = 0;           // 0: the engine's default, 10 minutes
  Duration arrival_buffer = 15 * kMinute;
  // SessionSpec's fields of the same names, given to every generated session.
  std::vector<std::string> rooms{};
  std::int32_t priority_after = 1;
  std::int32_t return_after = 2;
  std::int32_t max_overtaken = 3;
  bool operator==(const SessionTemplate&) const = default;
};

struct DefineTemplate { SessionTemplate tmpl; };

// Creates the sessions of every template for the local days [from, from+days).
// Session ids are "<template_id>-<YYYYMMDD>"; existing ones are skipped.
struct GenerateSessions {
  Time from = 0;  // any instant of the first local day
  std::int32_t days = 7;
};

// Sets the quotas of every not-yet-started session of `doctor_id` whose start
// is in [from, to). Units already booked are kept (quota never below booked).
struct AdjustQuotas {
  std::string doctor_id;
  Time from = 0;
  Time to = 0;
  std::vector<std::int32_t> appointment_quota;
  std::vector<std::int32_t> walkin_quota;
};

// Doctor leave: suspends every session of `doctor_id` starting in [from, to);
// every booked patient is told (events), nobody is counted as a no-show.
struct DoctorLeave {
  std::string doctor_id;
  Time from = 0;
  Time to = 0;
  std::string reason;
};

}  // namespace qc
