// Schedules: weekly templates, session generation, batch quota adjustment and
// doctor leave (停诊). See engine/schedule.h for the commands and
// docs/planning.md ("Schedules") for the decisions.
//
// Every handler validates everything first and only then mutates, so a
// rejected command changes nothing.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "engine/ops.h"

namespace qc {

namespace {

constexpr std::int32_t kMaxGenerateDays = 366;
constexpr std::int32_t kMaxSlots = 4096;
constexpr std::int32_t kMaxQuota = 100000;

Error bad(std::string* msg, std::string_view why) {
  return reject(msg, Error::kInvalidArgument, why);
}

bool valid_quotas(const std::vector<std::int32_t>& q) {
  return std::all_of(q.begin(), q.end(), [](std::int32_t v) { return v >= 0 && v <= kMaxQuota; });
}

// The local day number (days since 1970-01-01 local) of local midnight `midnight`.
std::int64_t local_day_number(Time midnight, std::int32_t offset_minutes) {
  const Time local = midnight + Time{offset_minutes} * kMinute;
  std::int64_t day = local / kDay;
  if (local % kDay < 0) --day;
  return day;
}

Error validate_template(const SessionTemplate& t, std::string* msg) {
  if (t.template_id.empty() || t.template_id.size() > 48)
    return bad(msg, "template_id must have 1 to 48 bytes");
  if (t.doctor_id.empty()) return bad(msg, "doctor_id must not be empty");
  if (t.weekday < 0 || t.weekday > 6) return bad(msg, "weekday must be 0 (Sunday) to 6 (Saturday)");
  if (t.slot_minutes <= 0) return bad(msg, "slot_minutes must be positive");
  if (t.start_minute < 0 || t.end_minute > 24 * 60 || t.end_minute <= t.start_minute)
    return bad(msg, "start and end must be minutes within the day, end after start");
  if (t.registration_open_minute < 0 || t.registration_open_minute > t.start_minute)
    return bad(msg, "registration must open at or before the start, within the day");
  if ((t.end_minute - t.start_minute) % t.slot_minutes != 0)
    return bad(msg, "slot_minutes must divide the period");
  const std::int32_t m = (t.end_minute - t.start_minute) / t.slot_minutes;
  if (m > kMaxSlots) return bad(msg, "too many slots");
  if (static_cast<std::int32_t>(t.appointment_quota.size()) != m ||
      static_cast<std::int32_t>(t.walkin_quota.size()) != m)
    return bad(msg, "quotas must have one entry per slot");
  if (!valid_quotas(t.appointment_quota) || !valid_quotas(t.walkin_quota))
    return bad(msg, "quotas must be between 0 and 100000");
  if (t.policy != Policy::kArrival && t.policy != Policy::kAppointmentsFirst)
    return bad(msg, "unknown policy");
  if (t.utc_offset_minutes < -14 * 60 || t.utc_offset_minutes > 14 * 60)
    return bad(msg, "utc_offset_minutes out of range");
  if (t.first_call_delay < 0 || t.first_call_delay > kMaxSpan)
    return bad(msg, "first_call_delay must be between 0 and 366 days");
  if (t.avg_consult_seed < 0 || t.avg_consult_seed > kMaxSpan)
    return bad(msg, "avg_consult_seed must be between 0 and 366 days");
  if (t.arrival_buffer < 0 || t.arrival_buffer > kMaxSpan)
    return bad(msg, "arrival_buffer must be between 0 and 366 days");
  if (const char* why =
          flow_settings_error(t.rooms, t.priority_after, t.return_after, t.max_overtaken))
    return bad(msg, why);
  return Error::kOk;
}

SessionSpec spec_from_template(const SessionTemplate& t, Time midnight, const std::string& id) {
  SessionSpec sp;
  sp.session_id = id;
  sp.doctor_id = t.doctor_id;
  sp.doctor_name = t.doctor_name;
  sp.department = t.department;
  sp.room = t.room;
  sp.area = t.area;
  sp.start = midnight + Time{t.start_minute} * kMinute;
  sp.end = midnight + Time{t.end_minute} * kMinute;
  sp.registration_open = midnight + Time{t.registration_open_minute} * kMinute;
  sp.slot_minutes = t.slot_minutes;
  sp.appointment_quota = t.appointment_quota;
  sp.walkin_quota = t.walkin_quota;
  sp.policy = t.policy;
  sp.utc_offset_minutes = t.utc_offset_minutes;
  sp.first_call_delay = t.first_call_delay;
  sp.avg_consult_seed = t.avg_consult_seed;
  sp.arrival_buffer = t.arrival_buffer;
  sp.rooms = t.rooms;
  sp.priority_after = t.priority_after;
  sp.return_after = t.return_after;
  sp.max_overtaken = t.max_overtaken;
  return sp;
}

Error validate_range(const std::string& doctor_id, Time from, Time to, std::string* msg) {
  if (doctor_id.empty()) return bad(msg, "doctor_id must not be empty");
  if (to <= from) return bad(msg, "the range must have to > from");
  return Error::kOk;
}

bool live(const SessionRec& s) {
  return s.status == SessionStatus::kOpen || s.status == SessionStatus::kPaused;
}

}  // namespace

Error apply_define_template(Engine::State& st, const Actor& actor, const DefineTemplate& c,
                            Time now, std::vector<Event>* events, std::string* msg) {
  if (Error e = validate_template(c.tmpl, msg); e != Error::kOk) return e;
  if (st.templates.count(c.tmpl.template_id))
    return reject(msg, Error::kAlreadyExists, "template id in use", c.tmpl.template_id);
  st.templates.emplace(c.tmpl.template_id, c.tmpl);
  Event& e = events->emplace_back();
  e.type = EventType::kTemplateDefined;
  e.at = now;
  e.actor = actor;
  e.ticket_id = c.tmpl.template_id;
  return Error::kOk;
}

Error apply_generate_sessions(Engine::State& st, const Actor& actor, const GenerateSessions& c,
                              Time now, std::vector<Event>* events, std::string* msg) {
  if (c.days < 1 || c.days > kMaxGenerateDays) return bad(msg, "days must be 1 to 366");
  // Plan every session first (day by day, templates in id order), validate,
  // then create: a rejection changes nothing.
  std::vector<SessionSpec> specs;
  for (std::int32_t k = 0; k < c.days; ++k) {
    for (const auto& [id, t] : st.templates) {
      const Time midnight = local_midnight(c.from, t.utc_offset_minutes) + k * kDay;
      const std::int64_t day = local_day_number(midnight, t.utc_offset_minutes);
      const std::int32_t weekday = static_cast<std::int32_t>(((day % 7) + 7 + 4) % 7);  // 1970-01-01: Thursday
      if (weekday != t.weekday) continue;
      const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
      char date[16];
      std::snprintf(date, sizeof date, "%04d%02u%02u", static_cast<int>(ymd.year()),
                    static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
      std::string sid = id + "-" + date;
      if (find_session(st, sid) != kNoSession) continue;  // generated before: skipped
      specs.push_back(spec_from_template(t, midnight, sid));
    }
  }
  for (const SessionSpec& sp : specs) {
    if (Error e = validate_session_spec(st, sp, msg); e != Error::kOk) return e;
  }
  for (const SessionSpec& sp : specs) create_session(st, actor, sp, now, events);
  return Error::kOk;
}

Error apply_adjust_quotas(Engine::State& st, const Actor& actor, const AdjustQuotas& c,
                          Time now, std::vector<Event>* events, std::string* msg) {
  if (Error e = validate_range(c.doctor_id, c.from, c.to, msg); e != Error::kOk) return e;
  if (!valid_quotas(c.appointment_quota) || !valid_quotas(c.walkin_quota))
    return bad(msg, "quotas must be between 0 and 100000");
  std::vector<SessionIdx> targets;
  for (SessionIdx si = 0; si < st.sessions.size(); ++si) {
    const SessionRec& s = st.sessions[si];
    if (s.spec.doctor_id != c.doctor_id || s.spec.start < c.from || s.spec.start >= c.to) continue;
    if (!live(s) || s.spec.start <= now) continue;  // started, suspended or closed: left alone
    if (static_cast<std::size_t>(s.slots) != c.appointment_quota.size() ||
        static_cast<std::size_t>(s.slots) != c.walkin_quota.size())
      return reject(msg, Error::kInvalidArgument, "quotas must have one entry per slot of session",
                    s.spec.session_id);
    targets.push_back(si);
  }
  if (targets.empty())
    return reject(msg, Error::kUnknownSession,
                  "no session of this doctor that has not started begins in the range", c.doctor_id);
  for (SessionIdx si : targets)
    set_session_quotas(st, si, actor, c.appointment_quota, c.walkin_quota, now, events);
  return Error::kOk;
}

Error apply_doctor_leave(Engine::State& st, const Actor& actor, const DoctorLeave& c, Time now,
                         std::vector<Event>* events, std::string* msg) {
  if (Error e = validate_range(c.doctor_id, c.from, c.to, msg); e != Error::kOk) return e;
  std::vector<SessionIdx> targets;
  for (SessionIdx si = 0; si < st.sessions.size(); ++si) {
    const SessionRec& s = st.sessions[si];
    if (s.spec.doctor_id == c.doctor_id && s.spec.start >= c.from && s.spec.start < c.to && live(s))
      targets.push_back(si);
  }
  if (targets.empty())
    return reject(msg, Error::kUnknownSession, "no open session of this doctor begins in the range",
                  c.doctor_id);
  const std::string_view reason = c.reason.empty() ? std::string_view("leave") : std::string_view(c.reason);
  for (SessionIdx si : targets) {
    suspend_session(st, si, actor, reason, "leave", now, events);
    touch(st, si);
  }
  return Error::kOk;
}

}  // namespace qc
