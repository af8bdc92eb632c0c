#include "server/demo_clinic.h"

#include <chrono>
#include <cstdio>

namespace qc::gw {

std::vector<Command> demo_clinic_commands(Time now) {
  constexpr std::int32_t kOffset = 480;  // UTC+8
  const Time local = now + kOffset * kMinute;
  const Time day_start_local = local - ((local % kDay) + kDay) % kDay;
  const Time hour_local = local - ((local % kHour) + kHour) % kHour;
  const Time start = hour_local - kHour - kOffset * kMinute;  // UTC
  // YYYYMMDD of the local day.
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day_start_local / kDay}}};
  char date[32];
  std::snprintf(date, sizeof date, "%04d%02u%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));

  std::vector<Command> out;
  Command ch;
  ch.actor = {ActorKind::kAdmin, "demo"};
  ch.body = DefineChannel{Channel{"web", 0, 0}};
  out.push_back(ch);

  struct Doc {
    const char* id;
    const char* name;
    const char* dept;
    const char* room;
    const char* area;
  };
  const Doc docs[] = {
      {"li", "李医生 Dr. Li", "neuro", "3", "neuro-2f"},
      {"wang", "王医生 Dr. Wang", "neuro", "5", "neuro-2f"},
      {"zhao", "赵医生 Dr. Zhao", "cardio", "8", "cardio-3f"},
  };
  for (const Doc& doc : docs) {
    SessionSpec s;
    s.session_id = std::string("demo-") + doc.id + "-" + date;
    s.doctor_id = doc.id;
    s.doctor_name = doc.name;
    s.department = doc.dept;
    s.room = doc.room;
    s.area = doc.area;
    s.start = start;
    s.end = start + 4 * kHour;
    s.registration_open = start - kHour;
    s.slot_minutes = 60;
    s.appointment_quota = {6, 8, 8, 10};
    s.walkin_quota = {4, 4, 4, 2};
    s.utc_offset_minutes = kOffset;
    s.cancel_deadline = start - kHour;
    // Demo: appointments stay bookable all day (no conversion to walk-ins).
    s.walkin_conversion_time = s.end;
    Command c;
    c.actor = {ActorKind::kAdmin, "demo"};
    c.body = CreateSession{s};
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace qc::gw
