// Schedules: weekly templates, session generation, quota adjustment, doctor
// leave. Placeholder until the schedule module lands: every schedule command
// is rejected with invalid_argument "not implemented".
#include "engine/engine_state.h"

namespace qc {

namespace {
Error not_implemented(std::string* msg) {
  if (msg) *msg = "not implemented";
  return Error::kInvalidArgument;
}
}  // namespace

Error apply_define_template(Engine::State&, const Actor&, const DefineTemplate&, Time,
                            std::vector<Event>*, std::string* msg) {
  return not_implemented(msg);
}
Error apply_generate_sessions(Engine::State&, const Actor&, const GenerateSessions&, Time,
                              std::vector<Event>*, std::string* msg) {
  return not_implemented(msg);
}
Error apply_adjust_quotas(Engine::State&, const Actor&, const AdjustQuotas&, Time,
                          std::vector<Event>*, std::string* msg) {
  return not_implemented(msg);
}
Error apply_doctor_leave(Engine::State&, const Actor&, const DoctorLeave&, Time,
                         std::vector<Event>*, std::string* msg) {
  return not_implemented(msg);
}

}  // namespace qc
