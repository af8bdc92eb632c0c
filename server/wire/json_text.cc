// JSON text as protobuf 3.21's JSON printer writes it (see json_text.h).
#include "server/wire/json_text.h"

#include <charconv>
#include <cstring>

#include "proto/codec.h"
#include "server/infra/clock.h"

namespace qc::gw {

namespace {

// ---- strings: protobuf 3.21's JsonEscaping, without its ByteSource ----

constexpr char kHex[] = "0123456789abcdef";

// The escape of each ASCII byte, or nullptr when it is copied as is.
struct AsciiEscapes {
  const char* e[128] = {};
  constexpr AsciiEscapes() {
    constexpr const char* kControls[32] = {
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
        "\\b",     "\\t",     "\\n",     "\\u000b", "\\f",     "\\r",     "\\u000e", "\\u000f",
        "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
        "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f"};
    for (int i = 0; i < 32; ++i) e[i] = kControls[i];
    e[static_cast<int>('"')] = "\\\"";
    e[static_cast<int>('\\')] = "\\\\";
    e[static_cast<int>('<')] = "\\u003c";
    e[static_cast<int>('>')] = "\\u003e";
    e[0x7f] = "\\u007f";
  }
};
constexpr AsciiEscapes kAscii;

char* put_u16_escape(std::uint32_t u, char* b) {
  b[0] = '\\';
  b[1] = 'u';
  b[2] = kHex[(u >> 12) & 15];
  b[3] = kHex[(u >> 8) & 15];
  b[4] = kHex[(u >> 4) & 15];
  b[5] = kHex[u & 15];
  return b + 6;
}

// The printer's escape of code point cp, written to b (at least 12 bytes):
// its length, or 0 when cp is copied as is. cp < 0x80 reaches here only from
// an overlong form.
std::size_t escape_code_point(std::uint32_t cp, char* b) {
  if (cp < 0x80) {
    const char* e = kAscii.e[cp];
    if (!e) return 0;
    std::size_t n = std::strlen(e);
    std::memcpy(b, e, n);
    return n;
  }
  if (cp < 0xa0 || cp == 0xad || cp == 0x06dd || cp == 0x070f || cp == 0x17b4 || cp == 0x17b5 ||
      cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb) || (cp >= 0x0600 && cp <= 0x0603) ||
      (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
      (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x206a && cp <= 0x206f)) {
    put_u16_escape(cp, b);
    return 6;
  }
  if (cp == 0xe0001 || (cp >= 0x1d173 && cp <= 0x1d17a) || (cp >= 0xe0020 && cp <= 0xe007f)) {
    put_u16_escape(0xdc00 + (cp & 0x3ff), put_u16_escape(0xd800 + ((cp - 0x10000) >> 10), b));
    return 12;
  }
  return 0;
}


// ---- times ----

void append_ms_fraction(int ms, char* b, std::size_t* n) {  // ".250"
  b[(*n)++] = '.';
  b[(*n)++] = static_cast<char>('0' + ms / 100);
  b[(*n)++] = static_cast<char>('0' + ms / 10 % 10);
  b[(*n)++] = static_cast<char>('0' + ms % 10);
}


}  // namespace

void append_json_string_pb(std::string_view s, std::string* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n && p[i] < 0x80 && kAscii.e[p[i]] == nullptr) ++i;
  if (i == n) {  // plain ASCII, nothing escaped: the common case (labels, ids)
    const std::size_t at = out->size();
    out->resize(at + n + 2);
    char* d = out->data() + at;
    d[0] = '"';
    if (n) std::memcpy(d + 1, s.data(), n);
    d[n + 1] = '"';
    return;
  }
  out->push_back('"');
  std::size_t run = 0;  // start of the bytes not yet copied
  auto flush = [&](std::size_t end) {
    if (end > run) out->append(s.data() + run, end - run);
  };
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      if (const char* e = kAscii.e[c]) {
        flush(i);
        out->append(e);
        run = i + 1;
      }
      ++i;
      continue;
    }
    // A multi-byte sequence, read as protobuf's ReadCodePoint reads it.
    std::size_t left;
    std::uint32_t cp;
    if (c <= 0xbf || c >= 0xf8) {
      flush(i);  // a bad lead byte: dropped alone
      run = ++i;
      continue;
    } else if (c <= 0xdf) {
      cp = c & 0x1f;
      left = 1;
    } else if (c <= 0xef) {
      cp = c & 0x0f;
      left = 2;
    } else {
      cp = c & 0x07;
      left = 3;
    }
    std::size_t j = i + 1;
    bool ok = true;
    while (left > 0 && j < n) {
      const unsigned char ch = p[j++];
      --left;
      cp = (cp << 6) | (ch & 0x3f);
      if (ch < 0x80 || ch > 0xbf) {
        ok = false;
        break;
      }
    }
    if (!ok || left > 0 || (cp & 0xfffff800u) == 0xd800u || cp > 0x10ffff) {
      flush(i);  // dropped: the bytes read, including a bad continuation byte
      run = i = j;
      continue;
    }
    char esc[12];
    if (std::size_t k = escape_code_point(cp, esc)) {
      flush(i);
      out->append(esc, k);
      run = j;
    }
    i = j;
  }
  flush(n);
  out->push_back('"');
}

void append_json_timestamp(Time t, std::string* out) {
  std::int64_t secs = 0;
  std::int32_t ms = 0;
  codec::timestamp_parts(t, &secs, &ms);
  append_json_timestamp_parts(secs, ms * 1'000'000, out);
}

bool append_json_timestamp_parts(std::int64_t secs, std::int32_t nanos, std::string* out) {
  if (secs < codec::kMinTimestampSeconds || secs > codec::kMaxTimestampSeconds || nanos < 0 ||
      nanos > 999'999'999)
    return false;
  // No fraction, or 3, 6 or 9 digits, as protobuf's FormatNanos.
  const int digits = nanos == 0 ? 0 : nanos % 1'000'000 == 0 ? 3 : nanos % 1'000 == 0 ? 6 : 9;
  char b[kRfc3339Max + 2];
  b[0] = '"';
  char* end = write_rfc3339(secs, nanos, digits, b + 1);
  *end++ = '"';
  out->append(b, static_cast<std::size_t>(end - b));
  return true;
}

void append_json_duration(Duration d, std::string* out) {
  std::int64_t secs;
  std::int32_t ms;
  codec::duration_parts(d, &secs, &ms);
  char b[40];
  std::size_t n = 0;
  b[n++] = '"';
  if (secs < 0 || ms < 0) {
    b[n++] = '-';
    secs = -secs;
    ms = -ms;
  }
  auto r = std::to_chars(b + n, b + sizeof b, secs);
  n = static_cast<std::size_t>(r.ptr - b);
  if (ms != 0) append_ms_fraction(ms, b, &n);
  b[n++] = 's';
  b[n++] = '"';
  out->append(b, n);
}

}  // namespace qc::gw
