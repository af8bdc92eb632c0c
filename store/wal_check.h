// Inspects a SQLite write-ahead log (the "-wal" file next to a database)
// before SQLite opens it, to report what a torn or corrupt tail will lose.
//
// SQLite itself ignores every frame after the last valid commit frame (a
// frame whose salts match the header and whose cumulative checksum is right);
// this check follows the same rules (https://www.sqlite.org/fileformat2.html,
// "WAL file format") only to *tell* what is dropped: frames of the current
// WAL generation after the last commit (an unfinished or torn transaction),
// a partial frame at the end, or a checksum mismatch. Frames left over from
// an earlier generation (other salts) are normal and not reported.
//
// Damage is not a torn tail: when a frame (or the header) fails its checksum
// but later frames of the same generation still chain correctly from its
// stored checksum up to a commit frame *after the end of the damaged frame's
// own transaction*, committed (acknowledged) transactions follow the damage
// and SQLite would silently drop them too. `damaged` says so; the SQLite
// store then refuses to open (docs/durability.md "A damaged journal"). A
// damaged frame inside the last transaction is still a torn tail: the disk
// may persist a transaction's frames out of order until its fsync returned,
// and that transaction was never acknowledged.
//
// Pure function of the file's bytes; thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace qc::journal {

struct WalCheck {
  bool present = false;          // the -wal file exists and is not empty
  bool header_valid = false;
  std::uint64_t bytes = 0;       // file size
  std::uint64_t valid_bytes = 0; // header + frames up to the last valid commit
  std::uint64_t committed_frames = 0;
  std::uint64_t dropped_frames = 0;  // current-generation frames after the last commit
  std::uint64_t dropped_bytes = 0;   // of those, plus a partial trailing frame
  std::string problem;               // "" when nothing is dropped
  // Damage before later valid commits (see above): those commits are lost
  // if SQLite opens the file.
  bool damaged = false;
  std::uint64_t damaged_at = 0;       // byte offset of the damaged frame (0: header)
  std::uint64_t commits_after = 0;    // committed transactions after the damaged one
  std::uint64_t frames_after = 0;     // frames after the damaged one, to the last commit
};

// Reads `wal_path`. A missing file gives present = false and no problem.
WalCheck check_wal(const std::string& wal_path);

}  // namespace qc::journal
