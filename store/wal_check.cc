#include "store/wal_check.h"

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

// Frames from `pos` on that chain from (s0, s1) with the header's salts:
// how many verified commit frames there are, and the frames up to the last.
struct Chain {
  std::uint64_t commits = 0;
  std::uint64_t frames = 0;
};
Chain chain_after(const std::vector<unsigned char>& buf, std::size_t pos, std::size_t page_size,
                  bool big, std::uint32_t salt1, std::uint32_t salt2, std::uint32_t s0,
                  std::uint32_t s1) {
  Chain c;
  std::uint64_t n = 0;
  const std::size_t frame = 24 + page_size;
  for (; pos + frame <= buf.size(); pos += frame) {
    const unsigned char* fh = buf.data() + pos;
    if (be32(fh + 8) != salt1 || be32(fh + 12) != salt2) break;
    wal_checksum(big, fh, 8, &s0, &s1);
    wal_checksum(big, fh + 24, page_size, &s0, &s1);
    if (s0 != be32(fh + 16) || s1 != be32(fh + 20)) break;
    ++n;
    if (be32(fh + 4) != 0) {
      ++c.commits;
      c.frames = n;
    }
  }
  return c;
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
    // Frames that chain from the header's stored checksum up to a commit
    // were written under this header, after it was synced: damage.
    if (page_size >= 512 && page_size <= 65536 && (page_size & (page_size - 1)) == 0) {
      // Chained from the checksum as stored or as computed (whichever of
      // the two the damage hit).
      Chain c = chain_after(buf, 32, page_size, big, salt1, salt2, be32(h + 24), be32(h + 28));
      if (c.commits == 0) c = chain_after(buf, 32, page_size, big, salt1, salt2, s0, s1);
      if (c.commits > 0) {
        out.damaged = true;
        out.damaged_at = 0;
        out.commits_after = c.commits;
        out.frames_after = c.frames;
        out.problem = "WAL header is damaged (checksum mismatch) and " +
                      std::to_string(c.commits) + " committed transaction(s) follow it";
      }
    }
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
      // Later frames chaining from this frame's checksum (stored, or as
      // computed when the stored one is what was damaged): if they
      // hold a commit after the one that ends this frame's transaction,
      // committed transactions follow the damage.
      Chain c = chain_after(buf, pos + frame, page_size, big, salt1, salt2, be32(fh + 16),
                            be32(fh + 20));
      if (c.commits == 0) c = chain_after(buf, pos + frame, page_size, big, salt1, salt2, c0, c1);
      // The first commit after a non-commit frame closes its own transaction.
      const std::uint64_t own = be32(fh + 4) != 0 ? 0 : 1;
      if (c.commits > own) {
        out.damaged = true;
        out.damaged_at = pos;
        out.commits_after = c.commits - own;
        out.frames_after = c.frames;
        out.problem = "WAL frame at byte " + std::to_string(pos) +
                      " is damaged (checksum mismatch) and " + std::to_string(out.commits_after) +
                      " committed transaction(s) follow it";
        out.dropped_frames += c.frames;
        out.dropped_bytes += c.frames * frame;
      }
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
