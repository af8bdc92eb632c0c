// The server side of the WebSocket opening handshake (RFC 6455 section 4.2),
// as far as it is more than Beast's HTTP parsing: the subprotocol choice, the
// Sec-WebSocket-Accept key and the 101 response. Pure functions without Beast
// (ws_session.cc applies them to the request Beast parsed); thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "server/wire/format.h"

namespace qc::gw::net {

// The longest Sec-WebSocket-Key accepted: the base64 of 16 bytes (as Beast's
// accept checked).
inline constexpr std::size_t kMaxWebSocketKey = 24;

// The subprotocol to answer with: the first offered one we speak
// ("queuecast.v1.json" or "queuecast.v1.proto"); none offered: "" and JSON.
// False when protocols are offered but none of ours.
bool pick_protocol(std::string_view offered, std::string* protocol, Format* format);

// Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + GUID)).
std::string websocket_accept(std::string_view key);

// The 101 response that opens the connection (`protocol` empty: none).
std::string switching_protocols(std::string_view key, std::string_view protocol);

}  // namespace qc::gw::net
