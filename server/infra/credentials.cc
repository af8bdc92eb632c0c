#include "server/infra/credentials.h"

namespace qc::gw {

std::string_view to_string(Role r) {
  switch (r) {
    case Role::kNone: return "none";
    case Role::kAdmin: return "admin";
    case Role::kNurse: return "nurse";
    case Role::kChannel: return "channel";
    case Role::kKiosk: return "kiosk";
    case Role::kDisplay: return "display";
    case Role::kPatient: return "patient";
  }
  return "none";
}

}  // namespace qc::gw
