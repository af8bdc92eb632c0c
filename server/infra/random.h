// Secrets from the kernel's CSPRNG (getrandom(2), a pool of them per
// thread): patient tokens.
//
// Thread-safe. Aborts the process if the kernel cannot give randomness
// (never happens on Linux >= 3.17 once the pool is initialized).
#pragma once

#include <string>

namespace qc::gw {

// 128 random bits as 32 lower-case hex characters.
std::string random_token();
// True when `s` looks like a patient token (32 lower-case hex characters).
bool is_token_shaped(std::string_view s);

}  // namespace qc::gw
