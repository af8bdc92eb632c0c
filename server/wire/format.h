// The two encodings of what queuecastd sends and reads: JSON and binary
// protobuf (docs/api.md). A header of its own, without the engine, so that
// the network layer can name a connection's format.
#pragma once

#include <cstdint>

namespace qc::gw {

enum class Format : std::uint8_t { kJson = 0, kProto = 1 };
inline constexpr int kFormatCount = 2;

}  // namespace qc::gw
