// JSON text pieces as protobuf 3.21's JSON printer writes them: string
// literals, Timestamps and Durations. Shared by the direct writers
// (server/wire/view_json.h, server/wire/reply.h), whose output must be
// byte-identical to that printer's.
//
// Pure functions; thread-safe (append_json_timestamp keeps the date text of
// the last day it printed in a thread_local). They append to *out.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/types.h"

namespace qc::gw {

// A string literal (with its quotes) as protobuf 3.21's JSON printer writes
// it: `"` and `\` backslash-escaped; \b \t \n \f \r; other C0 controls, DEL,
// C1 controls, `<`, `>` and a few invisible/format code points (U+00AD,
// U+2028.., U+FEFF, ...) as \uXXXX (or a surrogate pair); every other valid
// code point copied. Bytes that do not form UTF-8 are dropped the way that
// printer drops them (a bad lead byte alone; a lead byte with the bytes read
// up to and including a bad continuation byte; a truncated tail; surrogates
// and code points above U+10FFFF). Note: this differs from
// codec::append_json_string, which writes U+FFFD for bad bytes.
void append_json_string_pb(std::string_view s, std::string* out);

// A google.protobuf.Timestamp / Duration value with its quotes, for a time in
// engine milliseconds (converted exactly as codec::to_proto /
// codec::duration_to_proto convert it; kNoTime prints the epoch).
void append_json_timestamp(Time t, std::string* out);
// The same from a Timestamp's seconds and nanos (any nanos, printed with 3, 6
// or 9 digits as protobuf does). False (nothing appended) when outside the
// Timestamp's range, which protobuf's printer refuses.
bool append_json_timestamp_parts(std::int64_t seconds, std::int32_t nanos, std::string* out);
void append_json_duration(Duration d, std::string* out);

}  // namespace qc::gw
