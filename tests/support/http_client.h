// Test support: the HTTP client of the tests and benchmarks, a tiny blocking
// HTTP/1.1 client over one keep-alive TCP connection to 127.0.0.1 (enough to
// drive queuecastd: bodies with Content-Length). Every read and write has a
// timeout; any failure closes the connection and the next request
// reconnects.
//
// Thread-safety: one thread per instance.
#pragma once

#include <map>
#include <string>

namespace qc::test {

struct HttpResponse {
  int status = 0;            // 0: no answer (connection failed, reset, timed out)
  std::string body;
  bool replayed = false;     // header Idempotency-Replayed: true
  std::map<std::string, std::string> headers;  // as on the wire (the last of a repeated one)
  std::string error;         // why status is 0
};

class HttpClient {
 public:
  explicit HttpClient(int port = 0, int timeout_ms = 5000) : port_(port), timeout_ms_(timeout_ms) {}
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  void set_port(int port);
  // method "GET"/"POST"; headers: extra lines "Name: value\r\n". A body
  // is sent as JSON unless the headers name another Content-Type.
  HttpResponse request(const std::string& method, const std::string& path,
                       const std::string& body = "", const std::string& headers = "");
  void close();

 private:
  bool connect(std::string* error);
  int port_;
  int timeout_ms_;
  int fd_ = -1;
};

}  // namespace qc::test
