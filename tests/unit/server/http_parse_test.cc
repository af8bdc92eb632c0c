// Reading requests off the wire (server/net/http_parse.h), without a socket:
// framing that a proxy and queuecastd could read differently is refused
// (400, connection closed), so no request can be smuggled after another.
#include "server/net/http_parse.h"

#include <random>

#include <gtest/gtest.h>

#include <string>

namespace qc::gw {
namespace {

WireRead read(const std::string& bytes) { return read_requests(bytes, Limits{}); }

const std::string kSmuggled = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";

TEST(HttpWire, PipelinedRequestsAreReadInOrder) {
  WireRead r = read("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                    "POST /v1/commands HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
                    "POST /v1/commands HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "2\r\n{}\r\n0\r\n\r\n" +
                    kSmuggled);
  EXPECT_EQ(r.status, 0) << r.error;
  ASSERT_EQ(r.requests.size(), 4u);
  EXPECT_EQ(r.requests[0].request.target, "/healthz");
  EXPECT_EQ(r.requests[1].request.body, "{}");
  EXPECT_EQ(r.requests[2].request.body, "{}");
  EXPECT_EQ(r.requests[3].request.target, "/metrics");
  // "Chunked" in any case is chunked.
  r = read("POST /v1/commands HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ChUnKeD\r\n\r\n0\r\n\r\n");
  EXPECT_EQ(r.status, 0) << r.error;
  EXPECT_EQ(r.requests.size(), 1u);
}

// Every framing a proxy might read otherwise: 400, and the bytes after it
// are never read as a request.
TEST(HttpWire, AmbiguousFramingIsRefusedAndNothingAfterItIsRead) {
  const std::string head = "POST /v1/commands HTTP/1.1\r\nHost: x\r\n";
  const std::string chunk = "\r\n5\r\nhello\r\n0\r\n\r\n";
  const char* cases[] = {
      "Transfer-Encoding: xchunked\r\n",
      "Transfer-Encoding: chunked, identity\r\n",
      "Transfer-Encoding: identity, chunked\r\n",
      "Transfer-Encoding: identity\r\n",
      "Transfer-Encoding: gzip, chunked\r\n",
      "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
      "Transfer-Encoding: xchunked\r\nTransfer-Encoding: chunked\r\n",
      "Transfer-Encoding: chunked\r\nContent-Length: 30\r\n",
      "Content-Length: 30\r\nTransfer-Encoding: chunked\r\n",
      "Content-Length: 30\r\nTransfer-Encoding: xchunked\r\n",
      "Transfer-Encoding: xchunked\r\nContent-Length: 30\r\n",
      "Transfer-Encoding:\r\n chunked\r\n",        // obs-fold
      "Transfer-Encoding: chunked\r\n\t, identity\r\n",
      "X-Pad: a\r\n Transfer-Encoding: chunked\r\n",  // obs-fold hiding a field
      "Transfer-Encoding : chunked\r\n",           // whitespace before the colon
      "Transfer-Encoding: \"chunked\"\r\n",
      "Transfer-Encoding: chunked;q=1\r\n",
      "Transfer-Encoding: chunked\x0b\r\n",
      "Content-Length: 3\r\nContent-Length: 30\r\n",
      "Content-Length: 3\r\nContent-Length: 3\r\n",
      "Content-Length: 3, 3\r\n",
      "Content-Length: +3\r\n",
      "Content-Length: -1\r\n",
      "Content-Length: 0x3\r\n",
      "Content-Length: 3 3\r\n",
      "Content-Length: 99999999999999999999999\r\n",
      "Content-Length:\r\n 3\r\n",
      "Host: y\r\n",                                // two Host fields
      "Transfer-Encoding: chunked\r\nX: \x01\r\n",  // a control character in a value
  };
  for (const char* fields : cases) {
    const std::string bytes = head + fields + chunk + kSmuggled;
    WireRead r = read(bytes);
    SCOPED_TRACE(testing::Message() << "fields: " << fields);
    EXPECT_EQ(r.status, 400) << r.error;
    EXPECT_FALSE(r.error.empty());
    EXPECT_TRUE(r.requests.empty()) << r.requests.front().request.target;
  }
}

TEST(HttpWire, OtherFramingFaults) {
  // HTTP/1.0 with Transfer-Encoding; HTTP/1.1 without Host; whitespace
  // before the first field; a bare LF; a bad chunk size.
  for (const std::string bytes :
       {std::string("POST /v1/commands HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        std::string("GET /healthz HTTP/1.1\r\n\r\n"),
        std::string("GET /healthz HTTP/1.1\r\n Host: x\r\n\r\n"),
        std::string("\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nA: 1\r\n b\r\n\r\n"),
        std::string("GET /healthz HTTP/1.1\nHost: x\n\n"),
        std::string("POST /v1/commands HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
        std::string("GET /healthz HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n"),
        std::string("GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n")}) {
    WireRead r = read(bytes + kSmuggled);
    EXPECT_EQ(r.status, 400) << bytes;
    EXPECT_TRUE(r.requests.empty()) << bytes;
  }
  // An HTTP/1.0 request needs no Host.
  WireRead r = read("GET /healthz HTTP/1.0\r\n\r\n");
  EXPECT_EQ(r.status, 0) << r.error;
  EXPECT_EQ(r.requests.size(), 1u);
}

TEST(HttpWire, LimitsAnswer413And431) {
  Limits l;
  l.http_body_bytes = 4;
  WireRead r = read_requests("POST /v1/commands HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", l);
  EXPECT_EQ(r.status, 413);
  r = read("GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(kHttpHeaderLimit, 'a') + "\r\n\r\n");
  EXPECT_EQ(r.status, 431);
}

TEST(HttpWire, HeadScannerFindsObsFoldOnlyInTheHead) {
  HeadScanner s;
  s.feed("GET / HTTP/1.1\r\nHost: x\r\n");
  s.feed("\r");
  s.feed("\n x");  // body bytes
  EXPECT_TRUE(s.done());
  EXPECT_FALSE(s.obs_fold());
  // Empty lines before the request line do not end the head.
  HeadScanner u;
  u.feed("\r\n\r\nGET / HTTP/1.1\r\nA: 1\r\n b\r\n\r\n");
  EXPECT_TRUE(u.obs_fold());
  EXPECT_TRUE(u.done());
  HeadScanner t;
  for (char c : std::string("GET / HTTP/1.1\r\nA: 1\r\n\tB\r\n\r\n")) t.feed(std::string_view(&c, 1));
  EXPECT_TRUE(t.obs_fold());
  EXPECT_TRUE(t.done());
}

// A request line a proxy or another server could route differently: a
// target that is not a path (absolute-form, asterisk-form, authority-form)
// or a method that is not an HTTP method token this server knows (methods
// are case-sensitive: "get" is not GET). 400, and nothing after it is read.
// The scanner jumps from line end to line end; the model reads byte by byte
// (RFC 9112's lines: LF ends a line, CRLF too; a head ends with an empty line).
TEST(HttpWire, HeadScannerAgreesWithAByteByByteModelOnAnyChunking) {
  struct Model {
    enum { kStart, kLine, kCr, kLineStart, kEndCr, kDone } state = kStart;
    bool fold = false;
    void feed(char c) {
      switch (state) {
        case kStart: if (c != '\r' && c != '\n') state = kLine; break;
        case kLine: if (c == '\r') state = kCr; else if (c == '\n') state = kLineStart; break;
        case kCr: state = c == '\n' ? kLineStart : c == '\r' ? kCr : kLine; break;
        case kLineStart:
          if (c == '\r') state = kEndCr;
          else if (c == '\n') state = kDone;
          else { fold = fold || c == ' ' || c == '\t'; state = kLine; }
          break;
        case kEndCr: state = c == '\n' ? kDone : kLine; break;
        case kDone: break;
      }
    }
  };
  std::mt19937 rng(14);
  const std::string alphabet = "\r\n\r\n \tab:";
  for (int round = 0; round < 20000; ++round) {
    std::string bytes(rng() % 40, ' ');
    for (char& c : bytes) c = alphabet[rng() % alphabet.size()];
    Model m;
    HeadScanner s;
    for (std::size_t at = 0; at < bytes.size();) {
      const std::size_t n = std::min<std::size_t>(bytes.size() - at, 1 + rng() % 8);
      s.feed(std::string_view(bytes).substr(at, n));
      for (std::size_t i = at; i < at + n; ++i) m.feed(bytes[i]);
      at += n;
      ASSERT_EQ(s.done(), m.state == Model::kDone) << testing::PrintToString(bytes) << " at " << at;
      ASSERT_EQ(s.obs_fold(), m.fold) << testing::PrintToString(bytes) << " at " << at;
    }
  }
}

TEST(HttpWire, RequestLineOdditiesAreRefusedAndNothingAfterItIsRead) {
  const char* lines[] = {
      "GET http://x/metrics HTTP/1.1", "GET https://x/healthz HTTP/1.1", "OPTIONS * HTTP/1.1",
      "CONNECT x:443 HTTP/1.1",        "GET x/metrics HTTP/1.1",         "get /healthz HTTP/1.1",
      "Get /healthz HTTP/1.1",         "GETS /healthz HTTP/1.1",         "PURGE /healthz HTTP/1.1",
      "PROPFIND /healthz HTTP/1.1",    "GET ?x HTTP/1.1",
  };
  for (const char* line : lines) {
    WireRead r = read(std::string(line) + "\r\nHost: x\r\n\r\n" + kSmuggled);
    SCOPED_TRACE(line);
    EXPECT_EQ(r.status, 400) << r.error;
    EXPECT_TRUE(r.requests.empty());
  }
  // The methods the API and pages use, and the other standard ones (405
  // where a route does not take them), are read.
  for (const char* m : {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"}) {
    WireRead r = read(std::string(m) + " /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.status, 0) << m << " " << r.error;
    EXPECT_EQ(r.requests.size(), 1u) << m;
  }
}

// A field that names one value, sent twice: which one counts would depend
// on who reads it (the server reads the first). 400, nothing after it read.
TEST(HttpWire, SingleValueFieldsTwiceAreRefused) {
  for (const char* field : {"Authorization: Bearer a", "authorization: Bearer a", "Origin: http://x",
                            "Content-Type: application/json", "Idempotency-Key: k", "X-Real-IP: 10.0.0.1",
                            "Queuecast-Forwarded: qc-a 7 3"}) {
    const std::string f = std::string(field) + "\r\n";
    WireRead r = read("GET /v1/sessions HTTP/1.1\r\nHost: x\r\n" + f + f + "\r\n" + kSmuggled);
    SCOPED_TRACE(field);
    EXPECT_EQ(r.status, 400) << r.error;
    EXPECT_TRUE(r.requests.empty());
    r = read("GET /v1/sessions HTTP/1.1\r\nHost: x\r\n" + f + "\r\n");
    EXPECT_EQ(r.status, 0) << r.error;
  }
}

// A request a peer node forwarded (docs/design/cluster.md section 5) names
// itself in Queuecast-Forwarded, in any case; a client's request has none.
TEST(HttpWire, QueuecastForwardedIsRead) {
  WireRead r = read("POST /v1/commands HTTP/1.1\r\nHost: x\r\nIdempotency-Key: k1\r\n"
                    "Queuecast-Forwarded: qc-a 7 3\r\nContent-Length: 2\r\n\r\n{}"
                    "GET /v1/sessions HTTP/1.1\r\nHost: x\r\nqueuecast-forwarded:  qc-b 0 12 \r\n\r\n"
                    "GET /v1/sessions HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.status, 0) << r.error;
  ASSERT_EQ(r.requests.size(), 3u);
  EXPECT_EQ(r.requests[0].request.forwarded, "qc-a 7 3");
  EXPECT_EQ(r.requests[0].request.idempotency_key, "k1");
  EXPECT_EQ(r.requests[0].request.body, "{}");
  EXPECT_EQ(r.requests[1].request.forwarded, "qc-b 0 12");  // surrounding whitespace is not the value
  EXPECT_EQ(r.requests[2].request.forwarded, "");
}

}  // namespace
}  // namespace qc::gw
