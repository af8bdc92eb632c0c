// The kinds of credential queuecastd knows and a configured key (a role, an
// id, the SHA-256 of its secret and its scope): what the configuration file
// declares (server/infra/config.h) and authentication reads
// (server/runtime/auth.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qc::gw {

enum class Role : std::uint8_t { kNone, kAdmin, kNurse, kChannel, kKiosk, kDisplay, kPatient };
std::string_view to_string(Role r);

struct KeyEntry {
  Role role = Role::kNone;
  std::string id;
  std::string sha256;  // hex digest of the secret
  std::vector<std::string> departments;
  std::vector<std::string> sessions;
  // A channel listed in the configuration's `priority.channels`.
  bool sets_priority = false;
};

}  // namespace qc::gw
