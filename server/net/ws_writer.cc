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

void WsOutput::add_protocol(std::string_view frame, std::size_t limit) {
  Held& h = held();
  if (h.proto.size() < limit) h.proto += frame;
}

WsOutput::Progress WsOutput::write(int fd, std::vector<Frame>& views, ws::Opcode op,
                                   std::vector<OutFrame>& scratch, Metrics& metrics) {
  Progress p;
  if (has_unsent()) {
    p = write_items(fd, held_->unsent, held_->unsent_off, metrics);
    if (p.status != Progress::kWritten) return p;
    p.unblocked = true;
  }
  auto& items = scratch;
  if (has_protocol()) {
    items.push_back(OutFrame::raw(std::make_shared<const std::string>(std::move(held_->proto))));
    std::string().swap(held_->proto);
  }
  for (Frame& f : views) {
    if (!f.bytes) continue;
    items.push_back(OutFrame::framed(op, std::move(f.bytes), f.published));
  }
  views.clear();
  if (!items.empty()) {
    Progress q = write_items(fd, items, 0, metrics);
    items.clear();
    q.unblocked = p.unblocked;
    p = q;
  }
  if (p.status == Progress::kWritten) held_.reset();
  return p;
}

WsOutput::Progress WsOutput::write_items(int fd, std::vector<OutFrame>& items, std::size_t off,
                                         Metrics& metrics) {
  GatherResult r = gather_write(fd, items, off, metrics);
  if (r.failed) return {Progress::kFailed, false, 0};
  Held* h = held_.get();
  if (r.done == items.size()) {
    if (h && &items == &h->unsent) {
      std::vector<OutFrame>().swap(h->unsent);
      h->unsent_off = 0;
    }
    return {};
  }
  // Blocked: keep the rest (whole frames: they are already committed).
  h = &held();
  const auto first = static_cast<std::ptrdiff_t>(r.done);
  if (&items != &h->unsent) {
    h->unsent.assign(std::make_move_iterator(items.begin() + first), std::make_move_iterator(items.end()));
  } else {
    h->unsent.erase(h->unsent.begin(), h->unsent.begin() + first);
  }
  h->unsent_off = r.off;
  std::size_t bytes = 0;
  for (const OutFrame& o : h->unsent) bytes += o.size();
  return {Progress::kBlocked, false, bytes - h->unsent_off};
}

}  // namespace qc::gw::net
