// UTF-8 checks for text that leaves the server: WebSocket text frames and
// close reasons (server/wire/ws_frame.h), error messages (server/wire/wire.h),
// log lines (server/infra/log.h).
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace qc::gw {

// RFC 3629 UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
bool valid_utf8(std::string_view s);

// `s` with every byte that is not part of valid UTF-8 replaced by U+FFFD: a
// message may name an id taken from the path (percent-decoded bytes), and
// an error body or a log line is always valid JSON and a valid protobuf
// string.
std::string utf8_text(std::string_view s);

}  // namespace qc::gw
