#include "engine/journal/wal_check.h"

#include <cstdio>
#include <string>
#include <vector>

namespace qc::journal {
namespace {

std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) |
         (std::uint32_t(p[2]) << 8) | std::uint32_t(p[3]);
}
std::uint32_t le32(const unsigned char* p) {
  return (std::uint32_t(p[3]) << 24) | (std::uint32_t(p[2]) << 16) |
         (std::uint32_t(p[1]) << 8) | std::uint32_t(p[0]);
}

// SQLite's WAL checksum: a Fletcher-like sum over 32-bit words, continued
// from (s0, s1). `big` selects the words' byte order (header magic bit 0).
void wal_checksum(bool big, const unsigned char* data, std::size_t n, std::uint32_t* s0,
                  std::uint32_t* s1) {
  std::uint32_t a = *s0, b = *s1;
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    const std::uint32_t x0 = big ? be32(data + i) : le32(data + i);
    const std::uint32_t x1 = big ? be32(data + i + 4) : le32(data + i + 4);
    a += x0 + b;
    b += x1 + a;
  }
  *s0 = a;
  *s1 = b;
}

}  // namespace

WalCheck check_wal(const std::string& wal_path) {
  WalCheck out;
  std::FILE* f = std::fopen(wal_path.c_str(), "rb");
  if (!f) return out;
  std::vector<unsigned char> buf;
  unsigned char chunk[1 << 16];
  std::size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) buf.insert(buf.end(), chunk, chunk + n);
  std::fclose(f);
  out.bytes = buf.size();
  if (buf.empty()) return out;
  out.present = true;
  if (buf.size() < 32) {
    out.problem = "WAL header is torn (" + std::to_string(buf.size()) + " bytes)";
    out.dropped_bytes = buf.size();
    return out;
  }
  const unsigned char* h = buf.data();
  const std::uint32_t magic = be32(h);
  if (magic != 0x377f0682u && magic != 0x377f0683u) {
    out.problem = "WAL header has a bad magic number";
    out.dropped_bytes = buf.size();
    return out;
  }
  const bool big = (magic & 1u) != 0;
  const std::uint32_t page_size = be32(h + 8);
  const std::uint32_t salt1 = be32(h + 16), salt2 = be32(h + 20);
  std::uint32_t s0 = 0, s1 = 0;
  wal_checksum(big, h, 24, &s0, &s1);
  if (s0 != be32(h + 24) || s1 != be32(h + 28) || page_size < 512 || page_size > 65536 ||
      (page_size & (page_size - 1)) != 0) {
    // SQLite treats such a WAL as empty; whatever it held was never committed
    // under this header (a WAL header is synced before its first commit).
    out.problem = "WAL header checksum mismatch";
    out.dropped_bytes = buf.size() - 32;
    return out;
  }
  out.header_valid = true;
  out.valid_bytes = 32;
  const std::size_t frame = 24 + std::size_t(page_size);
  std::size_t pos = 32;
  std::uint64_t pending = 0;  // valid frames since the last commit
  bool stopped = false;
  while (pos + frame <= buf.size()) {
    const unsigned char* fh = buf.data() + pos;
    if (be32(fh + 8) != salt1 || be32(fh + 12) != salt2) {
      stopped = true;  // an earlier generation's frame: the log ends here
      break;
    }
    std::uint32_t c0 = s0, c1 = s1;
    wal_checksum(big, fh, 8, &c0, &c1);
    wal_checksum(big, fh + 24, page_size, &c0, &c1);
    if (c0 != be32(fh + 16) || c1 != be32(fh + 20)) {
      // A frame whose header was written but not its page (a write cut
      // between the two), or a corrupt one. What follows it cannot be
      // trusted and is not counted (often an earlier generation's frames).
      out.problem = "WAL frame checksum mismatch at byte " + std::to_string(pos) +
                    " (an unfinished or corrupt write)";
      out.dropped_frames = pending + 1;
      out.dropped_bytes = pos + frame - out.valid_bytes;
      return out;
    }
    s0 = c0;
    s1 = c1;
    pos += frame;
    ++pending;
    if (be32(fh + 4) != 0) {  // a commit frame
      out.committed_frames += pending;
      pending = 0;
      out.valid_bytes = pos;
    }
  }
  if (!stopped && pos < buf.size()) {
    out.problem = "WAL ends with a partial frame (" + std::to_string(buf.size() - pos) + " bytes)";
    out.dropped_frames = pending;
    out.dropped_bytes = buf.size() - out.valid_bytes;
  } else if (pending > 0) {
    out.problem = "WAL ends with an uncommitted transaction";
    out.dropped_frames = pending;
    out.dropped_bytes = pos - out.valid_bytes;
  }
  return out;
}

}  // namespace qc::journal
