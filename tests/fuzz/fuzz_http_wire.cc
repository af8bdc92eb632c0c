// Fuzz target: the raw bytes a client sends on one HTTP connection, read as
// queuecastd reads them (server/net/http_parse.h: Beast's parser with the
// server's settings plus the framing rules), then routed (parse_route).
//
// Input: the bytes of the connection (seeds in corpus/http_wire/: pipelined
// requests, Transfer-Encoding and Content-Length variants, obs-fold,
// smuggling attempts, non-canonical paths).
// Properties: never crashes; a refusal is 400/413/431 with a message; an
// accepted request's head has no obs-fold, and a Transfer-Encoding field in
// it is exactly "chunked" without Content-Length; the accepted requests do
// not depend on the bytes after them; a routed path is canonical.
#include <google/protobuf/stubs/logging.h>

#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/api/decode.h"
#include "server/net/http_parse.h"
#include "tests/fuzz/check.h"

namespace {

std::string lower(std::string_view s) {
  std::string o(s);
  for (char& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// An independent look at an accepted request's head (its bytes up to the
// blank line): what the framing rules promise.
void check_head(std::string_view bytes) {
  const std::size_t end = bytes.find("\r\n\r\n");
  FUZZ_CHECK(end != std::string_view::npos);
  const std::string head = lower(bytes.substr(0, end + 2));
  FUZZ_CHECK(head.find("\n ") == std::string::npos && head.find("\n\t") == std::string::npos);
  int te = 0, cl = 0;
  std::size_t at = head.find("\r\n");
  while (at != std::string::npos && at + 2 < head.size()) {
    const std::size_t eol = head.find("\r\n", at + 2);
    std::string_view line = std::string_view(head).substr(at + 2, eol - at - 2);
    if (line.starts_with("transfer-encoding:")) {
      ++te;
      FUZZ_CHECK(trim(line.substr(18)) == "chunked");
    }
    if (line.starts_with("content-length:")) ++cl;
    at = eol;
  }
  FUZZ_CHECK(te <= 1 && cl <= 1 && !(te && cl));
}

void check_canonical(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  FUZZ_CHECK(path.starts_with("/"));
  FUZZ_CHECK(path == "/" || !path.ends_with("/"));
  FUZZ_CHECK(path.find("//") == std::string_view::npos);
  FUZZ_CHECK(path.find("/./") == std::string_view::npos && !path.ends_with("/."));
  FUZZ_CHECK(path.find("/../") == std::string_view::npos && !path.ends_with("/.."));
  const std::string p = lower(path);
  FUZZ_CHECK(p.find("%2f") == std::string::npos && p.find("%5c") == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = (google::protobuf::SetLogHandler(nullptr), true);
  (void)quiet;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  qc::gw::Limits limits;
  limits.http_body_bytes = 4096;
  const qc::gw::WireRead r = qc::gw::read_requests(bytes, limits, 16);
  fuzz_debug("requests", std::to_string(r.requests.size()) + " status " + std::to_string(r.status) +
                             " " + r.error);
  FUZZ_CHECK(r.consumed <= size);
  FUZZ_CHECK(r.status == 0 || r.status == 400 || r.status == 413 || r.status == 431);
  FUZZ_CHECK((r.status == 0) == r.error.empty());
  FUZZ_CHECK(r.status == 0 || !r.incomplete);

  // Each accepted request, on its own, reads the same; and its head keeps
  // the framing promises.
  std::size_t from = 0;
  if (!r.requests.empty()) {
    const qc::gw::WireRead again = qc::gw::read_requests(bytes.substr(0, r.consumed), limits, 16);
    FUZZ_CHECK(again.requests.size() == r.requests.size());
    FUZZ_CHECK(again.consumed == r.consumed);
  }
  for (const qc::gw::WireRequest& w : r.requests) {
    check_head(bytes.substr(from));
    const qc::gw::WireRead one = qc::gw::read_requests(bytes.substr(from), limits, 1);
    FUZZ_CHECK(one.requests.size() == 1);
    FUZZ_CHECK(one.requests[0].request.target == w.request.target);
    FUZZ_CHECK(one.requests[0].request.body == w.request.body);
    from += one.consumed;
    FUZZ_CHECK(w.request.body.size() <= limits.http_body_bytes);
    const qc::gw::Route route = qc::gw::parse_route(w.request.method, w.request.target);
    if (route.id != qc::gw::RouteId::kNotFound) check_canonical(w.request.target);
    if (route.id == qc::gw::RouteId::kPage) {
      FUZZ_CHECK(route.file.find("..") == std::string::npos);
      FUZZ_CHECK(!route.file.empty() && route.file.front() != '.' && route.file.front() != '/');
    }
  }
  FUZZ_CHECK(from == r.consumed);
  return 0;
}
