#include "server/net/ws_writer.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>

namespace qc::gw::net {

using Steady = std::chrono::steady_clock;

OutFrame OutFrame::framed(ws::Opcode op, std::shared_ptr<const std::string> payload,
                          Steady::time_point published) {
  OutFrame o{std::move(payload), published, {}, 0};
  o.hdr_len = static_cast<std::uint8_t>(ws::encode_header(op, o.body->size(), o.hdr));
  return o;
}

OutFrame OutFrame::raw(std::shared_ptr<const std::string> bytes) {
  return OutFrame{std::move(bytes), {}, {}, 0};
}

GatherResult gather_write(int fd, std::vector<OutFrame>& items, std::size_t off, Metrics& metrics) {
  std::size_t first = 0;
  while (first < items.size()) {
    iovec iov[kMaxIov];
    int n = 0;
    std::size_t skip = off;
    std::size_t attempted = 0;
    for (std::size_t i = first; i < items.size() && n + 2 <= kMaxIov; ++i) {
      OutFrame& o = items[i];
      if (skip < o.hdr_len) {
        iov[n++] = {o.hdr + skip, o.hdr_len - skip};
        attempted += o.hdr_len - skip;
        skip = 0;
      } else {
        skip -= o.hdr_len;
      }
      iov[n++] = {const_cast<char*>(o.body->data()) + skip, o.body->size() - skip};
      attempted += o.body->size() - skip;
      skip = 0;
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<std::size_t>(n);
    ssize_t w = ::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return {first, off, true};
      w = 0;
    }
    // Retire what is complete.
    auto left = static_cast<std::size_t>(w) + off;
    std::uint64_t sent = 0;
    Steady::time_point now{};
    while (first < items.size() && left >= items[first].size()) {
      OutFrame& o = items[first];
      left -= o.size();
      if (o.hdr_len) {
        ++sent;
        if (o.published != Steady::time_point{}) {
          if (now == Steady::time_point{}) now = Steady::now();
          metrics.push_latency.observe_us(
              std::chrono::duration<double, std::micro>(now - o.published).count());
        }
      }
      o.body.reset();
      ++first;
    }
    off = left;
    if (sent) metrics.ws_frames_sent.fetch_add(sent, std::memory_order_relaxed);
    if (static_cast<std::size_t>(w) < attempted) break;  // the socket is full
  }
  return {first, off, false};
}

}  // namespace qc::gw::net
