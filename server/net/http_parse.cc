// Reading HTTP requests: see server/net/http_parse.h.
#include "server/net/http_parse.h"

#include <algorithm>
#include <cstring>
#include <iterator>

#include "server/net/net.h"

namespace qc::gw {

void HeadScanner::feed(std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size() && state_ != kDone) {
    if (state_ == kLine || state_ == kCr) {
      // Inside a line only its end matters: the next LF (after a CR or bare)
      // starts a line; a CR elsewhere continues the line.
      const void* lf = std::memchr(bytes.data() + i, '\n', bytes.size() - i);
      if (lf == nullptr) {
        state_ = bytes.back() == '\r' ? kCr : kLine;
        return;
      }
      i = static_cast<std::size_t>(static_cast<const char*>(lf) - bytes.data()) + 1;
      state_ = kLineStart;
      continue;
    }
    const char c = bytes[i++];
    switch (state_) {
      case kStart:
        if (c != '\r' && c != '\n') state_ = kLine;
        break;
      case kLineStart:
        if (c == '\r') {
          state_ = kEndCr;
        } else if (c == '\n') {
          state_ = kDone;
        } else {
          // A line starting with whitespace: obs-fold (or whitespace before
          // the first field, RFC 9112 2.2): refused either way.
          if (c == ' ' || c == '\t') obs_fold_ = true;
          state_ = kLine;
        }
        break;
      case kEndCr:
        state_ = c == '\n' ? kDone : kLine;
        break;
      default:
        break;
    }
  }
}

namespace net {

void configure_parser(RequestParser& parser, const Limits& limits) {
  parser.body_limit(limits.http_body_bytes);
  parser.header_limit(static_cast<std::uint32_t>(kHttpHeaderLimit));
}

int read_error_status(beast::error_code ec, std::string* message) {
  if (ec == http::error::body_limit) {
    *message = "request body too large";
    return 413;
  }
  if (ec == http::error::header_limit) {
    *message = "request head too large";
    return 431;
  }
  // A closed connection (before or in the middle of a request) or a full
  // buffer is not answered.
  if (ec.category() != http::make_error_code(http::error::bad_method).category() ||
      ec == http::error::end_of_stream || ec == http::error::partial_message ||
      ec == http::error::need_more || ec == http::error::buffer_overflow)
    return 0;
  *message = "malformed request: " + ec.message();
  return 400;
}

namespace {

// The fields the server reads, found in one pass over the request's fields
// (instead of a lookup per name).
struct Fields {
  // Fields that name one value: twice, the server would read the first and
  // a proxy or log might read the other (two credentials, two origins).
  enum Single {
    kAuthorization, kOrigin, kContentType, kIdempotencyKey, kRealIp, kWsKey, kWsVersion, kForwarded,
    kSingles
  };
  static constexpr std::string_view kSingleNames[kSingles] = {
      "Authorization", "Origin", "Content-Type", "Idempotency-Key", "X-Real-IP",
      "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Queuecast-Forwarded"};
  std::size_t count[kSingles] = {};
  std::string_view value[kSingles];
  std::size_t transfer_encoding = 0, content_length = 0, host = 0;
  std::string_view transfer_encoding_value, content_length_value, host_value, accept;

  explicit Fields(const http::request<http::string_body>& req) {
    for (const auto& f : req) {
      const std::string_view v(f.value().data(), f.value().size());
      switch (f.name()) {
        case http::field::transfer_encoding: ++transfer_encoding, transfer_encoding_value = v; break;
        case http::field::content_length: ++content_length, content_length_value = v; break;
        case http::field::host: if (host++ == 0) host_value = v; break;
        case http::field::accept: if (accept.empty()) accept = v; break;
        case http::field::authorization: see(kAuthorization, v); break;
        case http::field::origin: see(kOrigin, v); break;
        case http::field::content_type: see(kContentType, v); break;
        case http::field::sec_websocket_key: see(kWsKey, v); break;
        case http::field::sec_websocket_version: see(kWsVersion, v); break;
        case http::field::unknown: {
          const auto n = f.name_string();
          if (beast::iequals(n, "Idempotency-Key")) see(kIdempotencyKey, v);
          else if (beast::iequals(n, "X-Real-IP")) see(kRealIp, v);
          else if (beast::iequals(n, "Queuecast-Forwarded")) see(kForwarded, v);
          break;
        }
        default: break;
      }
    }
  }
  void see(Single s, std::string_view v) {
    if (count[s]++ == 0) value[s] = v;
  }
};

}  // namespace

std::string framing_error(const http::request<http::string_body>& req, const HeadScanner& head) {
  if (head.obs_fold()) return "malformed request: obs-fold (a field line starting with whitespace)";
  // The request line: a path (origin-form; not "http://host/path", "*" or
  // "host:port", which a proxy may route by another rule) and one of the
  // standard methods, case-sensitive ("get" is not GET).
  const auto target = req.target();
  if (target.empty() || target.front() != '/')
    return "malformed request: the request target must be a path starting with /";
  static constexpr std::string_view kMethods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH",
                                                  "OPTIONS", "TRACE"};
  const auto method = req.method_string();
  if (std::find(std::begin(kMethods), std::end(kMethods),
                std::string_view(method.data(), method.size())) == std::end(kMethods))
    return "malformed request: unknown method";
  const Fields f(req);
  if (f.transfer_encoding > 0) {
    if (f.transfer_encoding > 1) return "malformed request: more than one Transfer-Encoding field";
    if (!beast::iequals(f.transfer_encoding_value, "chunked"))
      return "malformed request: the only Transfer-Encoding accepted is \"chunked\"";
    if (f.content_length > 0) return "malformed request: both Transfer-Encoding and Content-Length";
    if (req.version() < 11) return "malformed request: Transfer-Encoding in an HTTP/1.0 request";
  }
  if (f.content_length > 1) return "malformed request: more than one Content-Length field";
  if (f.content_length == 1) {
    const std::string_view v = f.content_length_value;
    if (v.empty() || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return "malformed request: Content-Length must be one decimal number";
  }
  if (req.version() >= 11 && f.host != 1)
    return "malformed request: an HTTP/1.1 request needs exactly one Host field";
  for (int i = 0; i < Fields::kSingles; ++i)
    if (f.count[i] > 1)
      return "malformed request: more than one " + std::string(Fields::kSingleNames[i]) + " field";
  return {};
}

HttpRequest to_http_request(http::request<http::string_body>& req, std::string_view client) {
  const Fields f(req);
  HttpRequest hr;
  hr.method = std::string(req.method_string());
  hr.target = std::string(req.target());
  hr.body = std::move(req.body());
  hr.content_type = f.value[Fields::kContentType];
  hr.accept = f.accept;
  hr.authorization = f.value[Fields::kAuthorization];
  hr.idempotency_key = f.value[Fields::kIdempotencyKey];
  hr.origin = f.value[Fields::kOrigin];
  hr.host = f.host_value;
  hr.client = std::string(client);
  hr.forwarded = f.value[Fields::kForwarded];
  return hr;
}

RequestReader::Step RequestReader::next(std::string_view bytes, std::size_t* used) {
  *used = 0;
  if (!parser_) {
    parser_.emplace();
    configure_parser(*parser_, limits_);
    parser_->eager(true);  // as http::async_read
    head_.reset();
    scanned_ = 0;
  }
  // The parser takes no byte of a head until the whole head is there, so
  // the head's bytes come again at the start of `bytes` until then.
  if (!head_.done() && bytes.size() > scanned_) {
    head_.feed(bytes.substr(scanned_));
    scanned_ = bytes.size();
  }
  beast::error_code ec;
  while (!parser_->is_done()) {
    const std::size_t n = parser_->put(asio::buffer(bytes.data() + *used, bytes.size() - *used), ec);
    *used += n;
    if (!head_.done()) scanned_ -= std::min(scanned_, n);
    if (ec || n == 0) break;
  }
  if (ec == http::error::need_more || (!ec && !parser_->is_done())) return Step::kNeedMore;
  if (ec) {
    status_ = read_error_status(ec, &error_);
    if (status_ == 0) error_ = "malformed request: " + ec.message();
    parser_.reset();
    return Step::kError;
  }
  if (std::string e = framing_error(parser_->get(), head_); !e.empty()) {
    status_ = 400;
    error_ = std::move(e);
    parser_.reset();
    return Step::kError;
  }
  return Step::kRequest;
}

bool RequestReader::wants_continue() const {
  if (!parser_ || !parser_->is_header_done() || parser_->is_done()) return false;
  const auto& req = parser_->get();
  return req.version() >= 11 && beast::iequals(req[http::field::expect], "100-continue");
}

http::request<http::string_body> RequestReader::take() {
  http::request<http::string_body> req = parser_->release();
  parser_.reset();
  return req;
}

}  // namespace net

WireRead read_requests(std::string_view bytes, const Limits& limits, std::size_t max_requests,
                       std::string_view client) {
  using namespace net;
  WireRead out;
  RequestReader reader(limits);
  while (out.requests.size() < max_requests && out.consumed < bytes.size()) {
    std::size_t at = out.consumed, used = 0;
    RequestReader::Step step;
    // One request may take several steps (a body the parser takes in parts).
    do {
      step = reader.next(bytes.substr(at), &used);
      at += used;
    } while (step == RequestReader::Step::kNeedMore && used > 0 && at < bytes.size());
    if (step == RequestReader::Step::kNeedMore) {
      out.incomplete = true;
      return out;
    }
    if (step == RequestReader::Step::kError) {
      out.status = reader.status();
      out.error = reader.error();
      if (out.status == 0) out.status = 400;
      return out;
    }
    http::request<http::string_body> req = reader.take();
    WireRequest w;
    w.version = req.version();
    w.keep_alive = req.keep_alive();
    w.upgrade = beast::websocket::is_upgrade(req);
    w.request = to_http_request(req, client);
    out.consumed = at;
    out.requests.push_back(std::move(w));
    if (!out.requests.back().keep_alive || out.requests.back().upgrade) break;
  }
  return out;
}

}  // namespace qc::gw
