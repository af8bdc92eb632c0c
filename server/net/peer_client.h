// The node-to-node HTTP client: an entry node forwards a request to the node
// that owns its partition and relays the answer (docs/design/cluster.md
// section 5, "A. HTTP keep-alive to the owner's API").
//
// - HTTP/1.1 with keep-alive: per address a pool of idle connections (at
//   most PeerOptions::max_idle_per_peer kept); one request at a time per
//   connection (no pipelining). A forward finding no idle connection opens
//   one, so the open connections to a peer follow the forwards in flight to
//   it; beyond max_idle_per_peer they are closed after their answer (set it
//   to the concurrency expected, or connections churn under load).
// - At most once: a request whose bytes were (maybe) written is never sent
//   again by this client, since a POST could apply twice: the result says
//   ok=false, maybe_sent=true, and the caller decides (a keyed command may
//   be re-sent with its Idempotency-Key). Before an idle connection is
//   reused, it is dropped if the peer closed it (a look at the socket
//   without blocking), so the keep-alive race (the peer closes an idle
//   connection as a request goes out on it) is rare. A pooled connection
//   found dead with nothing written is replaced once by a fresh one.
// - Bounded: connect (name resolution included) + write + read within
//   PeerOptions::timeout_ms; a response body over 16 MiB or a head over
//   64 KiB is an error.
//
// Threading: the client has its own io_context on one thread of its own.
// forward() may be called from any thread; `done` runs on the client's
// thread (it must only post onward, and must not throw or destroy the
// client). The destructor (not from a `done`) completes every pending
// forward with ok=false ("client stopped") and joins the thread; a name
// being resolved delays it until the resolver answers.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "server/api/handler.h"

namespace qc::gw {

struct PeerOptions {
  int timeout_ms = 2000;       // the whole forward: connect, write, read
  int max_idle_per_peer = 16;  // idle keep-alive connections kept per address
};

class PeerClient {
 public:
  explicit PeerClient(PeerOptions o = {});
  ~PeerClient();
  PeerClient(const PeerClient&) = delete;
  PeerClient& operator=(const PeerClient&) = delete;

  struct Result {
    bool ok = false;          // an HTTP answer came back (any status)
    bool maybe_sent = false;  // !ok: the request may have reached the peer (bytes were written)
    std::string why;          // !ok: "connection refused", "timed out", ...
    HttpResponse response;    // ok: status, content_type, body, headers
  };

  // Sends `req` to `address` ("host:port": an IPv4 literal, "[IPv6]" or a
  // name) and calls `done` exactly once. Sent: req.method and req.target;
  // Host (req.host, or `address` when empty); Content-Type, Accept,
  // Authorization, Idempotency-Key and Origin when not empty;
  // X-Forwarded-For: req.client (when not empty); then `headers`, in order;
  // the body with Content-Length. Relayed: the status, Content-Type (into
  // content_type; "" when absent), the body and every other header in order
  // except the hop-by-hop and framing ones (Connection, Keep-Alive,
  // Proxy-Connection, TE, Trailer, Upgrade, Content-Length,
  // Transfer-Encoding) and Date and Server. A method, target or header that
  // could not be sent as one field (a CR, LF or NUL; a name or method that
  // is not a token) fails the forward with nothing sent. Thread-safe.
  void forward(const std::string& address, HttpRequest req,
               std::vector<std::pair<std::string, std::string>> headers,
               std::function<void(Result)> done);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace qc::gw
