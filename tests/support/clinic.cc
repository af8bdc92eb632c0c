#include "tests/support/clinic.h"

#include <algorithm>

#include "proto/codec.h"
#include "tests/support/sessions.h"

namespace qc::test {
namespace {

Actor nurse(int s) { return Actor{ActorKind::kNurse, "n" + std::to_string(s)}; }

}  // namespace

Clinic::Clinic(std::uint64_t seed, int sessions_per_day, int patients_per_session)
    : rng_(seed), sessions_(sessions_per_day), patients_(patients_per_session) {}

void Clinic::plan_day() {
  const Time day = kDay0 + Time(day_) * kDay;
  const std::string d = std::to_string(day_);
  std::vector<std::pair<Time, Command>> cmds;
  for (int s = 0; s < sessions_; ++s) {
    const std::string sid = "d" + d + "-s" + std::to_string(s);
    SessionSpec spec;
    spec.session_id = sid;
    spec.doctor_id = "doc" + std::to_string(s);
    spec.doctor_name = "Dr. " + std::to_string(s);
    spec.department = "dept" + std::to_string(s % 3);
    spec.room = std::to_string(s + 1);
    spec.area = "area" + std::to_string(s % 2);
    spec.start = day + 8 * kHour;
    spec.end = day + 12 * kHour;
    spec.registration_open = day + 7 * kHour;
    spec.slot_minutes = 60;
    spec.appointment_quota.assign(4, patients_ / 4 + 1);
    spec.walkin_quota.assign(4, patients_ / 2 + 1);
    const Time t0 = day - kDay + 9 * kHour + s;  // the day before
    cmds.push_back({t0, Command{Actor{ActorKind::kAdmin, "admin"}, CreateSession{spec}}});
    const int booked = patients_ / 2;
    for (int p = 0; p < booked; ++p) {
      Book b;
      b.session_id = sid;
      b.slot = p % 4;
      b.patient_ref = "P" + d + "-" + std::to_string(s) + "-" + std::to_string(p);
      b.patient_name = "Patient " + std::to_string(p);
      b.ticket_id = sid + "-A" + std::to_string(p);
      b.channel = "";
      cmds.push_back({t0 + (p + 1) * kSecond, Command{Actor{ActorKind::kChannel, "web"}, b}});
      // Most come: on time, some late (demoted), some never (no-show).
      const int r = int(rng_() % 10);
      if (r < 8) {
        const Time slot_start = spec.start + b.slot * kHour;
        const Time when = r < 7 ? std::max(spec.registration_open, slot_start - 20 * kMinute) +
                                      Time(rng_() % (30 * kMinute))
                                : slot_start + kHour + Time(rng_() % (20 * kMinute));
        cmds.push_back({when, Command{Actor{ActorKind::kKiosk, "k1"}, CheckIn{b.ticket_id}}});
      }
    }
    for (int p = booked; p < patients_; ++p) {
      RegisterWalkIn w;
      w.session_id = sid;
      w.patient_ref = "W" + d + "-" + std::to_string(s) + "-" + std::to_string(p);
      w.patient_name = "Walk-in " + std::to_string(p);
      w.ticket_id = sid + "-W" + std::to_string(p);
      const Time when = spec.registration_open + Time(rng_() % (4 * kHour));
      cmds.push_back({when, Command{Actor{ActorKind::kNurse, "desk"}, w}});
    }
    // The doctor calls every ~4 minutes; now and then a patient misses the
    // call and comes back; the nurse completes some explicitly.
    for (Time t = spec.start; t < spec.end; t += 4 * kMinute) {
      cmds.push_back({t + s, Command{nurse(s), CallNext{sid}}});
      if (rng_() % 10 == 0) cmds.push_back({t + s + 1, Command{nurse(s), Pause{sid}}});
      if (rng_() % 10 == 0) cmds.push_back({t + s + 2, Command{nurse(s), Resume{sid}}});
    }
    cmds.push_back({spec.end + 30 * kMinute + s, Command{nurse(s), CloseSession{sid}}});
  }
  for (Time t = day + 6 * kHour; t < day + 13 * kHour; t += 5 * kMinute)
    cmds.push_back({t, Command{Actor{}, Tick{}}});
  std::stable_sort(cmds.begin(), cmds.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& c : cmds) queue_.push_back(std::move(c));
  ++day_;
}

Command Clinic::next(Time* at) {
  if (queue_.empty()) plan_day();
  auto c = std::move(queue_.front());
  queue_.pop_front();
  *at = c.first;
  return std::move(c.second);
}

journal::Record make_record(std::uint64_t seq, const Command& command, Time at,
                            const std::vector<Event>& events, std::string idempotency_key) {
  journal::Record r;
  r.seq = seq;
  r.at = at;
  r.actor = std::string(to_string(command.actor.kind)) +
            (command.actor.id.empty() ? "" : ":" + command.actor.id);
  r.command_name = std::string(command_name(command.body));
  std::visit([&](const auto& b) {
    if constexpr (requires { b.session_id; }) r.session_id = b.session_id;
    else if constexpr (requires { b.spec.session_id; }) r.session_id = b.spec.session_id;
  }, command.body);
  codec::pb::Command pc;
  codec::to_proto(command, at, &pc);
  pc.SerializeToString(&r.command);
  codec::pb::Event pe;
  for (const Event& e : events) {
    journal::EventRow row;
    row.type = std::string(to_string(e.type));
    row.ticket_id = e.ticket_id;
    if (e.session_id != r.session_id) row.session_id = e.session_id;
    pe.Clear();
    codec::to_proto(e, &pe);
    pe.SerializeToString(&row.bytes);
    r.events.push_back(std::move(row));
  }
  r.idempotency_key = std::move(idempotency_key);
  if (!r.idempotency_key.empty()) r.response = "ok:" + std::to_string(seq);
  return r;
}

}  // namespace qc::test
