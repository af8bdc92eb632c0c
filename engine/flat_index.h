// FlatIndex: an open-addressing hash index from a string id to a Loc, for
// ids stored elsewhere (in the record the Loc points at). INTERNAL.
//
// Entries are 16 bytes (64-bit hash, Loc) in one power-of-two array with
// linear probing; the caller's `matches(loc)` compares the id against the
// record, so keys are never stored twice. No deletion (ticket ids and tokens
// live as long as the engine). Never iterated for output: determinism does
// not depend on it.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace qc {

template <class LocT>
class FlatIndex {
 public:
  // A fast 64-bit hash of a short string (ids are at most 64 bytes, tokens
  // 128): 8-byte words folded with 128-bit multiplications. The index uses
  // the low bits, which the final fold mixes from every input bit.
  static std::uint64_t hash(std::string_view s) {
    const char* p = s.data();
    std::size_t n = s.size();
    std::uint64_t a, b;
    if (n <= 16) {
      if (n >= 8) {
        a = load8(p);
        b = load8(p + n - 8);
      } else if (n >= 4) {
        a = load4(p);
        b = load4(p + n - 4);
      } else {
        a = n > 0 ? (std::uint64_t(static_cast<unsigned char>(p[0])) << 16) |
                        (std::uint64_t(static_cast<unsigned char>(p[n >> 1])) << 8) |
                        static_cast<unsigned char>(p[n - 1])
                  : 0;
        b = 0;
      }
    } else {
      std::uint64_t h = kSeed;
      while (n > 16) {
        h = mix(load8(p) ^ kP1, load8(p + 8) ^ h);
        p += 16;
        n -= 16;
      }
      a = load8(p + n - 16) ^ h;
      b = load8(p + n - 8);
      n = s.size();
    }
    return nonzero(mix(a ^ kP1, b ^ kSeed ^ n));
  }

  // The hash of a 16-byte key (a packed token).
  static std::uint64_t hash16(const unsigned char* p) {
    return nonzero(mix(load8(p) ^ kP1, load8(p + 8) ^ kSeed));
  }

  std::size_t size() const { return size_; }

  // The Loc of the entry with `h` for which matches(loc) holds, or nullptr.
  template <class Match>
  const LocT* find(std::uint64_t h, Match&& matches) const {
    if (size_ == 0) return nullptr;
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      const Entry& e = slots_[i];
      if (e.hash == 0) return nullptr;
      if (e.hash == h && matches(e.loc)) return &e.loc;
    }
  }

  // Starts loading the entry where a lookup of `h` begins (see prefetch()
  // in engine_state.h).
  void prefetch(std::uint64_t h) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[h & (slots_.size() - 1)]);
  }

  // Adds an entry (the caller checked that the id is new).
  void insert(std::uint64_t h, LocT loc) {
    if ((size_ + 1) * 5 > slots_.size() * 4) grow();
    place(h, loc);
    ++size_;
  }

  // Makes room for `n` entries without growing again.
  void reserve(std::size_t n) {
    if (n * 5 <= slots_.size() * 4) return;
    std::size_t want = slots_.empty() ? 64 : slots_.size();
    while (n * 5 > want * 4) want *= 2;
    rehash(want);
  }

  void clear() {
    slots_.clear();
    size_ = 0;
  }

 private:
  static constexpr std::uint64_t kSeed = 0xa0761d6478bd642full;
  static constexpr std::uint64_t kP1 = 0xe7037ed1a0b428dbull;
  static std::uint64_t load8(const void* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  static std::uint64_t load4(const void* p) {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return (std::uint64_t(v) << 32) | v;
  }
  static std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
    unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
    return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
  }
  static std::uint64_t nonzero(std::uint64_t h) { return h == 0 ? 1 : h; }  // 0 marks an empty entry

  struct Entry {
    std::uint64_t hash = 0;
    LocT loc{};
  };

  void place(std::uint64_t h, LocT loc) {
    std::size_t mask = slots_.size() - 1;
    std::size_t i = h & mask;
    while (slots_[i].hash != 0) i = (i + 1) & mask;
    slots_[i] = Entry{h, loc};
  }

  void grow() { rehash(slots_.empty() ? 64 : slots_.size() * 2); }

  void rehash(std::size_t n) {
    std::vector<Entry> old;
    old.swap(slots_);
    slots_.assign(n, Entry{});
    for (const Entry& e : old)
      if (e.hash != 0) place(e.hash, e.loc);
  }

  std::vector<Entry> slots_;
  std::size_t size_ = 0;
};

}  // namespace qc
