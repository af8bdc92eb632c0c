// SHA-256 (FIPS 180-4), for hashing staff, channel and display keys so the
// configuration never holds a secret in clear.
//
// Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace qc::gw {

std::array<std::uint8_t, 32> sha256(std::string_view data);
// Lower-case hex of sha256(data): 64 characters.
std::string sha256_hex(std::string_view data);
// Lower-case hex of arbitrary bytes.
std::string to_hex(std::string_view bytes);
// Compares two strings in time independent of where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace qc::gw
