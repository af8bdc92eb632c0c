// Fuzz target: the server's reader of client WebSocket frames
// (server/wire/ws_frame.h ws::Reader), fed as a connection feeds it: in chunks
// (the first input byte picks the chunk size), keeping the bytes of an
// incomplete frame for the next chunk.
// Properties: never crashes; never consumes more than it was given; what a
// connection must keep between reads stays bounded (one frame header plus
// the larger of the message limit and 125 bytes); a message is at most the
// limit and a text message is valid UTF-8; control payloads are at most 125
// bytes; an error carries 1002, 1007 or 1009 and ends the stream; and the
// events do not depend on how the bytes were split (byte by byte = whole).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/wire/ws_frame.h"
#include "tests/fuzz/check.h"

namespace {

namespace ws = qc::gw::ws;
constexpr std::size_t kMax = 256;  // a small message limit reaches 1009 often

struct Result {
  std::vector<std::string> events;  // kind + payload (+ code)
  std::uint16_t error = 0;
};

Result run(std::string_view in, std::size_t chunk) {
  ws::Reader r(kMax);
  Result res;
  std::string pending;
  for (std::size_t pos = 0; pos < in.size(); pos += chunk) {
    pending.append(in.substr(pos, chunk));
    std::size_t off = 0;
    while (off < pending.size()) {
      ws::Event ev;
      std::size_t used = r.next(pending.data() + off, pending.size() - off, &ev);
      FUZZ_CHECK(used <= pending.size() - off);
      off += used;
      if (ev.kind == ws::Event::kError) {
        FUZZ_CHECK(ev.code == ws::kCloseProtocol || ev.code == ws::kCloseBadData ||
                   ev.code == ws::kCloseTooBig);
        FUZZ_CHECK(ev.error != nullptr);
        fuzz_debug("error:", ev.error);
        res.error = ev.code;
        return res;
      }
      if (ev.kind == ws::Event::kMessage) {
        FUZZ_CHECK(ev.payload.size() <= kMax);
        if (!ev.binary) FUZZ_CHECK(ws::valid_utf8(ev.payload));
      } else if (ev.kind != ws::Event::kNone) {
        FUZZ_CHECK(ev.payload.size() <= ws::kMaxControlPayload);
      }
      if (ev.kind == ws::Event::kClose) FUZZ_CHECK(ws::valid_close_code(ev.code) || ev.code == ws::kCloseNoStatus);
      if (ev.kind != ws::Event::kNone) {
        std::string e(1, static_cast<char>('0' + ev.kind));
        e += ev.binary ? 'b' : 't';
        e += std::to_string(ev.code);
        e += ':';
        e.append(ev.payload);
        res.events.push_back(std::move(e));
      }
      if (used == 0) break;
    }
    pending.erase(0, off);
    FUZZ_CHECK(pending.size() <= ws::kMaxClientHeader + kMax + chunk);
    r.trim();
  }
  fuzz_debug("events:", std::to_string(res.events.size()));
  return res;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::size_t chunk = 1 + data[0] % 64;
  Result a = run(in, chunk);
  Result b = run(in, in.size() ? in.size() : 1);
  Result c = run(in, 1);
  FUZZ_CHECK(a.error == b.error && b.error == c.error);
  FUZZ_CHECK(a.events == b.events && b.events == c.events);
  return 0;
}
