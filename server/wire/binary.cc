#include "server/wire/binary.h"

#include "proto/varint.h"

namespace qc::gw::binary {

void put_varint(std::string* out, std::uint64_t v) { varint::put(out, v); }
void put_str(std::string* out, std::string_view s) { varint::put_str(out, s); }
bool get_varint(std::string_view* in, std::uint64_t* v) { return varint::get(in, v); }
bool get_str(std::string_view* in, std::string_view* s) { return varint::get_str(in, s); }

}  // namespace qc::gw::binary
