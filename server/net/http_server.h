// queuecastd's network side: an Asio acceptor, HTTP/1.1 sessions and
// WebSocket sessions (Beast), on `io_threads` threads. With several threads
// every connection has its own strand (with one, the io_context is the
// strand); requests go to a Handler (server/api/handler.h: Service, pure
// handling, no Beast), views come from
// the shards through Subscriber::deliver().
//
// Hand-offs (server/infra/batch.h): with one network thread, the commands
// read in one pass of the event loop go to the shards together (a Batch
// open for the pass); answers come back queued, with one post per shard
// group (the shard's Batch),
// and each is written with one gathered write (head built by hand + body).
//
// Lifecycle: listen() binds (port 0 = any free port; port() tells which),
// run() serves on the calling thread plus io_threads-1 more until the server
// stopped; shutdown() (SIGTERM) stops accepting, closes WebSockets with 1001
// ("going away"), lets in-flight HTTP requests finish (their commands are
// committed and answered by the runtime), then stops.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace qc::gw {

// Declared only: this header (what queuecastd's main sees of the network)
// includes nothing of the engine.
class Handler;
struct Limits;
class TrustedProxies;
struct Metrics;

class Server {
 public:
  // `limits`: of clients; `trusted_proxies`: whose X-Forwarded-For names the
  // client (server/infra/client_address.h). All must outlive the server.
  Server(Handler& handler, const Limits& limits, const TrustedProxies& trusted_proxies,
         Metrics& metrics);
  ~Server();
  bool listen(const std::string& address, std::string* error);
  unsigned short port() const;
  // Blocks until the server stopped. `on_signal` runs (on an io thread) when
  // SIGTERM or SIGINT arrives, before the drain.
  void run(int io_threads, std::function<void()> on_signal);
  // Thread-safe; idempotent.
  void shutdown();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace qc::gw
