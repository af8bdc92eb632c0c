// Scenario files of `queuecast simulate` (cli/sim_scenario.h).
#include "cli/sim_scenario.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_stack.hpp>

#include <cmath>
#include <cstdlib>
#include <set>

namespace qc::cli {

namespace {

namespace json = boost::json;

// Builds the document as boost::json::parser does, and also refuses a key
// given twice in one object (boost::json::parser keeps the last one) and a
// number out of double's range (it would give infinity). Doubles are read
// with strtod from their text: Boost 1.81's own conversion can be one unit
// in the last place off for numbers of more than 15 digits.
class Builder {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  json::value_stack stack;
  std::string why;  // set when a callback refuses (duplicate key, range)

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t n, json::error_code&) {
    stack.push_array(n);
    return true;
  }
  bool on_object_begin(json::error_code&) {
    keys_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t n, json::error_code&) {
    keys_.pop_back();
    stack.push_object(n);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    stack.push_string(s);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    key_.append(s.data(), s.size());
    stack.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    key_.append(s.data(), s.size());
    if (!keys_.back().insert(key_).second) return refuse("duplicate key \"" + key_ + "\"", ec);
    key_.clear();
    stack.push_key(s);
    return true;
  }
  bool on_number_part(json::string_view s, json::error_code&) {
    number_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    number_.clear();
    stack.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    number_.clear();
    stack.push_uint64(u);
    return true;
  }
  bool on_double(double, json::string_view s, json::error_code& ec) {
    number_.append(s.data(), s.size());
    const double d = std::strtod(number_.c_str(), nullptr);
    number_.clear();
    if (!std::isfinite(d)) return refuse("number out of range", ec);
    stack.push_double(d);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    stack.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    stack.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  bool refuse(std::string text, json::error_code& ec) {
    why = std::move(text);
    ec = json::error::syntax;
    return false;
  }
  std::vector<std::set<std::string>> keys_;  // the keys of each open object
  std::string key_;
  std::string number_;
};

// Parses a whole document; errors name the line and column
// ("line 3, column 14: syntax error"). Nesting deeper than 65 is refused.
bool parse_document(std::string_view text, json::value* out, std::string* error) {
  json::parse_options options;
  options.max_depth = 65;
  options.allow_invalid_utf8 = true;  // bytes copied as they are, as before
  json::basic_parser<Builder> p(options);
  p.handler().stack.reset();
  json::error_code ec;
  std::size_t at = p.write_some(false, text.data(), text.size(), ec);
  if (!ec && at != text.size()) ec = json::error::extra_data;  // write_some stops after the document
  if (!ec) {
    *out = p.handler().stack.release();
    return true;
  }
  std::size_t line = 1, col = 1;
  for (std::size_t k = 0; k < at && k < text.size(); ++k) {
    if (text[k] == '\n') ++line, col = 1;
    else ++col;
  }
  const std::string why = p.handler().why.empty() ? ec.message() : p.handler().why;
  *error = "line " + std::to_string(line) + ", column " + std::to_string(col) + ": " + why;
  return false;
}

bool clock_minutes(std::string_view s, std::int32_t* out) {
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
  bool bad(std::string_view key, const std::string& why) {
    *error = "\"" + std::string(key) + "\": " + why;
    return false;
  }
  bool number(std::string_view key, const json::value& v, double* out) {
    if (!v.is_number()) return bad(key, "must be a number");
    *out = v.to_number<double>();
    return true;
  }
  bool integer(std::string_view key, const json::value& v, std::int32_t* out) {
    const double x = v.is_number() ? v.to_number<double>() : 0.5;
    if (x != std::floor(x) || std::fabs(x) > 1e9) return bad(key, "must be an integer");
    *out = static_cast<std::int32_t>(x);
    return true;
  }
  bool boolean(std::string_view key, const json::value& v, bool* out) {
    if (!v.is_bool()) return bad(key, "must be true or false");
    *out = v.get_bool();
    return true;
  }
  bool clock(std::string_view key, const json::value& v, std::int32_t* out) {
    if (!v.is_string() || !clock_minutes(v.get_string(), out)) return bad(key, "must be a time \"HH:MM\"");
    return true;
  }
  bool numbers(std::string_view key, const json::value& v, std::vector<double>* out) {
    if (!v.is_array()) return bad(key, "must be an array of numbers");
    out->clear();
    for (const json::value& x : v.get_array()) {
      if (!x.is_number()) return bad(key, "must be an array of numbers");
      out->push_back(x.to_number<double>());
    }
    return true;
  }
};

bool read_arrival(Reader& r, const json::value& v, sim::ArrivalBehaviour* a) {
  if (!v.is_object()) return r.bad("arrival", "must be an object");
  for (const auto& kv : v.get_object()) {
    const std::string_view k = kv.key();
    const json::value& x = kv.value();
    const std::string key = "arrival." + std::string(k);
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

bool parse_scenario(std::string_view text, sim::Scenario* out, std::string* error) {
  json::value doc;
  if (!parse_document(text, &doc, error)) return false;
  if (!doc.is_object()) {
    *error = "the scenario must be a JSON object";
    return false;
  }
  sim::Scenario sc;
  Reader r{error};
  for (const auto& kv : doc.get_object()) {
    const std::string_view k = kv.key();
    const json::value& v = kv.value();
    bool ok = true;
    if (k == "name") {
      if (!v.is_string()) return r.bad(k, "must be a string");
      sc.name = v.get_string();
    } else if (k == "description" || (!k.empty() && k[0] == '_')) {
      continue;
    } else if (k == "registrationOpen") ok = r.clock(k, v, &sc.registration_open_minute);
    else if (k == "start") ok = r.clock(k, v, &sc.start_minute);
    else if (k == "end") ok = r.clock(k, v, &sc.end_minute);
    else if (k == "slotMinutes") ok = r.integer(k, v, &sc.slot_minutes);
    else if (k == "policy") {
      if (v.is_string() && v.get_string() == "arrival") sc.policy = Policy::kArrival;
      else if (v.is_string() && v.get_string() == "appointments_first") sc.policy = Policy::kAppointmentsFirst;
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
    else if (k == "rooms") ok = r.integer(k, v, &sc.rooms);
    else if (k == "separateQueues") ok = r.boolean(k, v, &sc.separate_queues);
    else if (k == "priorityWalkinShare") ok = r.number(k, v, &sc.priority_walkin_share);
    else if (k == "priorityAppointmentShare") ok = r.number(k, v, &sc.priority_appointment_share);
    else if (k == "priorityLane") ok = r.boolean(k, v, &sc.priority_lane);
    else if (k == "testsShare") ok = r.number(k, v, &sc.tests_share);
    else if (k == "testsMinMinutes") ok = r.number(k, v, &sc.tests_min_minutes);
    else if (k == "testsMaxMinutes") ok = r.number(k, v, &sc.tests_max_minutes);
    else if (k == "returnConsultMeanMinutes") ok = r.number(k, v, &sc.return_consult_mean_minutes);
    else if (k == "priorityAfter") ok = r.integer(k, v, &sc.priority_after);
    else if (k == "returnAfter") ok = r.integer(k, v, &sc.return_after);
    else if (k == "maxOvertaken") ok = r.integer(k, v, &sc.max_overtaken);
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
