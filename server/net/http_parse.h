// How queuecastd reads an HTTP/1.1 request off the wire: Beast's parser with
// the server's limits, plus the framing rules of RFC 9112 that Beast leaves
// open, so that a front proxy and queuecastd can never disagree on where a
// request ends (request smuggling). docs/api.md, "HTTP framing":
//
//   - Transfer-Encoding, when present, is exactly `chunked` (one field, any
//     case), without Content-Length, in HTTP/1.1; anything else
//     (`xchunked`, `chunked, identity`, `identity`, two fields) is refused;
//   - Content-Length is one field with one decimal number (Beast refuses
//     differing duplicates; equal ones and lists are refused here too);
//   - no obs-fold (a field line starting with SP or HTAB), which Beast would
//     silently join to the previous field;
//   - an HTTP/1.1 request has exactly one Host field.
//
// A refused request is answered 400 (413 for a body over the limit, 431 for
// a head over 16 KiB) and the connection is closed: nothing after it on the
// connection is read as a request.
//
// The Beast session (http_server.cc) and the sans-I/O reader below (unit
// tests, the fuzz target tests/fuzz/fuzz_http_wire.cc) share this code; the
// Beast side of it is declared in server/net/net.h. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "server/api/handler.h"
#include "server/infra/limits.h"

namespace qc::gw {

// The most bytes of a request head (request line and fields).
inline constexpr std::size_t kHttpHeaderLimit = 16 * 1024;

// Watches the bytes of one request head as they arrive, for what the parser
// does not report: obs-fold. Bytes after the head (body, next request) are
// ignored.
class HeadScanner {
 public:
  void reset() { *this = HeadScanner(); }
  // The next bytes of the connection, in order.
  void feed(std::string_view bytes);
  bool done() const { return state_ == kDone; }
  bool obs_fold() const { return obs_fold_; }

 private:
  // kStart: before the request line (empty lines there are skipped).
  enum State : unsigned char { kStart, kLine, kCr, kLineStart, kEndCr, kDone };
  State state_ = kStart;
  bool obs_fold_ = false;
};

// One request read by read_requests(), as the server would hand it to
// Handler::handle.
struct WireRequest {
  HttpRequest request;
  unsigned version = 11;  // 10 or 11
  bool keep_alive = true;
  bool upgrade = false;   // a WebSocket upgrade
};

struct WireRead {
  std::vector<WireRequest> requests;  // the accepted requests, in order
  int status = 0;                     // 0, or the error status sent before closing
  std::string error;                  // why (for status != 0)
  std::size_t consumed = 0;           // bytes of the accepted requests
  bool incomplete = false;            // stopped in the middle of a request
};

// Sans-I/O: reads the requests a client sent as `bytes` on one connection,
// as queuecastd's HTTP session does (same parser settings and checks); stops
// at the first refused request, at a request after which the server closes
// (Connection: close, HTTP/1.0 without keep-alive, an upgrade), at an
// incomplete request or after `max_requests`. `client` fills
// HttpRequest::client.
WireRead read_requests(std::string_view bytes, const Limits& limits, std::size_t max_requests = 64,
                       std::string_view client = "127.0.0.1");

}  // namespace qc::gw
