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
};

// Reads `wal_path`. A missing file gives present = false and no problem.
WalCheck check_wal(const std::string& wal_path);

}  // namespace qc::journal
