// QR codes for the kiosk ticket: text (a URL of this server) -> SVG.
//
// Contract:
// - qr_svg(text) encodes `text` with libqrencode (8-bit/auto mode, error
//   correction level M) and returns a complete standalone SVG document
//   (`<svg xmlns=...>...</svg>`), black modules on a white background with
//   the standard 4-module quiet zone. The SVG uses a viewBox in module units,
//   one <path> of axis-aligned unit rectangles and shape-rendering="crispEdges",
//   so it scales to any print size without blur.
// - It returns an empty string when the text cannot be encoded: empty text,
//   text longer than kQrMaxTextBytes, text containing a NUL byte, or a
//   libqrencode failure. Callers map that to HTTP 400 invalid_argument.
// - Pure function: no I/O, no global state of ours; thread-safe (libqrencode
//   is thread-safe when built with pthread, as Debian's is).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace qc {

inline constexpr std::size_t kQrMaxTextBytes = 1024;

std::string qr_svg(std::string_view text);

}  // namespace qc
