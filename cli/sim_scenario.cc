// Scenario files of `queuecast simulate` (cli/sim_scenario.h).
#include "cli/sim_scenario.h"

#include <cmath>

#include "cli/sim_json.h"

namespace qc::cli {

namespace {

using Type = JsonValue::Type;

bool clock_minutes(const std::string& s, std::int32_t* out) {
  if (s.size() != 5 || s[2] != ':') return false;
  for (int k : {0, 1, 3, 4})
    if (s[static_cast<std::size_t>(k)] < '0' || s[static_cast<std::size_t>(k)] > '9') return false;
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return false;
  *out = h * 60 + m;
  return true;
}

struct Reader {
  std::string* error;
  bool bad(const std::string& key, const std::string& why) {
    *error = "\"" + key + "\": " + why;
    return false;
  }
  bool number(const std::string& key, const JsonValue& v, double* out) {
    if (v.type != Type::kNumber) return bad(key, "must be a number");
    *out = v.number;
    return true;
  }
  bool integer(const std::string& key, const JsonValue& v, std::int32_t* out) {
    if (v.type != Type::kNumber || v.number != std::floor(v.number) || std::fabs(v.number) > 1e9)
      return bad(key, "must be an integer");
    *out = static_cast<std::int32_t>(v.number);
    return true;
  }
  bool boolean(const std::string& key, const JsonValue& v, bool* out) {
    if (v.type != Type::kBool) return bad(key, "must be true or false");
    *out = v.boolean;
    return true;
  }
  bool clock(const std::string& key, const JsonValue& v, std::int32_t* out) {
    if (v.type != Type::kString || !clock_minutes(v.string, out)) return bad(key, "must be a time \"HH:MM\"");
    return true;
  }
  bool numbers(const std::string& key, const JsonValue& v, std::vector<double>* out) {
    if (v.type != Type::kArray) return bad(key, "must be an array of numbers");
    out->clear();
    for (const JsonValue& x : v.array) {
      if (x.type != Type::kNumber) return bad(key, "must be an array of numbers");
      out->push_back(x.number);
    }
    return true;
  }
};

bool read_arrival(Reader& r, const JsonValue& v, sim::ArrivalBehaviour* a) {
  if (v.type != Type::kObject) return r.bad("arrival", "must be an object");
  for (const auto& [k, x] : v.object) {
    const std::string key = "arrival." + k;
    bool ok = true;
    if (k == "earlyShare") ok = r.number(key, x, &a->early_share);
    else if (k == "lateShare") ok = r.number(key, x, &a->late_share);
    else if (k == "earlyMinMinutes") ok = r.number(key, x, &a->early_min);
    else if (k == "earlyMaxMinutes") ok = r.number(key, x, &a->early_max);
    else if (k == "lateMinMinutes") ok = r.number(key, x, &a->late_min);
    else if (k == "lateMaxMinutes") ok = r.number(key, x, &a->late_max);
    else if (k == "aroundMinutes") ok = r.number(key, x, &a->around_minutes);
    else if (!k.empty() && k[0] == '_') continue;
    else return r.bad(key, "unknown key");
    if (!ok) return false;
  }
  return true;
}

}  // namespace

bool parse_scenario(std::string_view json, sim::Scenario* out, std::string* error) {
  JsonValue doc;
  if (!parse_json(json, &doc, error)) return false;
  if (doc.type != Type::kObject) {
    *error = "the scenario must be a JSON object";
    return false;
  }
  sim::Scenario sc;
  Reader r{error};
  for (const auto& [k, v] : doc.object) {
    bool ok = true;
    if (k == "name") {
      if (v.type != Type::kString) return r.bad(k, "must be a string");
      sc.name = v.string;
    } else if (k == "description" || (!k.empty() && k[0] == '_')) {
      continue;
    } else if (k == "registrationOpen") ok = r.clock(k, v, &sc.registration_open_minute);
    else if (k == "start") ok = r.clock(k, v, &sc.start_minute);
    else if (k == "end") ok = r.clock(k, v, &sc.end_minute);
    else if (k == "slotMinutes") ok = r.integer(k, v, &sc.slot_minutes);
    else if (k == "policy") {
      if (v.type == Type::kString && v.string == "arrival") sc.policy = Policy::kArrival;
      else if (v.type == Type::kString && v.string == "appointments_first") sc.policy = Policy::kAppointmentsFirst;
      else return r.bad(k, "must be \"arrival\" or \"appointments_first\"");
    } else if (k == "lateGraceMinutes") ok = r.integer(k, v, &sc.late_grace_minutes);
    else if (k == "walkinRatePerMinute") ok = r.numbers(k, v, &sc.walkin_rate_per_minute);
    else if (k == "walkinCapacity") ok = r.integer(k, v, &sc.walkin_capacity);
    else if (k == "walkinDayCv") ok = r.number(k, v, &sc.walkin_day_cv);
    else if (k == "appointmentsPerDay") ok = r.integer(k, v, &sc.appointments_per_day);
    else if (k == "noShowRate") ok = r.number(k, v, &sc.noshow_rate);
    else if (k == "arrival") ok = read_arrival(r, v, &sc.arrival);
    else if (k == "consultMeanMinutes") ok = r.numbers(k, v, &sc.consult_mean_minutes);
    else if (k == "consultCv") ok = r.number(k, v, &sc.consult_cv);
    else if (k == "lateStartMeanMinutes") ok = r.number(k, v, &sc.late_start_mean_minutes);
    else if (k == "lateStartSdMinutes") ok = r.number(k, v, &sc.late_start_sd_minutes);
    else if (k == "firstCallDelayMinutes") ok = r.number(k, v, &sc.first_call_delay_minutes);
    else if (k == "firstSlotSeen") ok = r.number(k, v, &sc.first_slot_seen);
    else if (k == "carryBacklog") ok = r.boolean(k, v, &sc.carry_backlog);
    else if (k == "maxAppointmentWaitIncreaseMinutes") ok = r.number(k, v, &sc.max_appointment_wait_increase_minutes);
    else return r.bad(k, "unknown key");
    if (!ok) return false;
  }
  if (std::string why = sc.validate(); !why.empty()) {
    *error = why;
    return false;
  }
  *out = std::move(sc);
  return true;
}

}  // namespace qc::cli
