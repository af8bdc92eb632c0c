// Varints and length-prefixed strings (protobuf's base-128 varint), for the
// small binary layouts that are not protobuf messages: the Redis journal's
// packed groups (store/redis_journal.h) and the messages between cluster
// nodes (server/live/relay.h). Header-only.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace qc::varint {

inline void put(std::string* out, std::uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

inline void put_str(std::string* out, std::string_view s) {
  put(out, s.size());
  out->append(s);
}

// False on a truncated or over-long varint.
inline bool get(std::string_view* in, std::uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    const auto b = static_cast<unsigned char>(in->front());
    in->remove_prefix(1);
    *v |= std::uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

// *s views into *in's bytes. False when the length runs past the end.
inline bool get_str(std::string_view* in, std::string_view* s) {
  std::uint64_t n;
  if (!get(in, &n) || n > in->size()) return false;
  *s = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

}  // namespace qc::varint
