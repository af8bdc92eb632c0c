// Varints and length-prefixed strings for the layers above that may not
// include proto/ (server/live's messages between cluster nodes,
// server/live/relay.h): proto/varint.h, under server/wire's name.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace qc::gw::binary {

void put_varint(std::string* out, std::uint64_t v);
void put_str(std::string* out, std::string_view s);
bool get_varint(std::string_view* in, std::uint64_t* v);
// *s views into *in's bytes.
bool get_str(std::string_view* in, std::string_view* s);

}  // namespace qc::gw::binary
