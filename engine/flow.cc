// The clinical flow (spec "Priority, return after tests, several rooms"):
// set_priority, send_for_tests, return_from_tests.
#include "engine/ops.h"

namespace qc {

Error op_set_priority(State&, const Actor&, const SetPriority& c, Time, Events*,
                      std::string* msg) {
  return reject(msg, Error::kInvalidArgument, "not implemented yet", c.ticket_id);
}
Error op_send_for_tests(State&, const Actor&, const SendForTests& c, Time, Events*,
                        std::string* msg) {
  return reject(msg, Error::kInvalidArgument, "not implemented yet", c.ticket_id);
}
Error op_return_from_tests(State&, const Actor&, const ReturnFromTests& c, Time, Events*,
                           std::string* msg) {
  return reject(msg, Error::kInvalidArgument, "not implemented yet", c.ticket_id);
}

}  // namespace qc
