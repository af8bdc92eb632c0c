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
#include <functional>
#include <string_view>
#include <vector>

namespace qc {

template <class LocT>
class FlatIndex {
 public:
  static std::uint64_t hash(std::string_view s) {
    std::uint64_t h = std::hash<std::string_view>{}(s);
    return h == 0 ? 1 : h;  // 0 marks an empty entry
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
