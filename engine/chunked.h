// Chunked<T>: a growable array whose elements never move (fixed-size chunks
// of 2^Bits elements). INTERNAL.
//
// For large tables that grow one element at a time (patients): growing
// never copies the elements, and the slack is at most one chunk (a vector
// growing by a quarter copies every element again and again, and keeps up to
// a quarter unused). Indexing is one shift and one extra load (the chunk
// table stays in cache). Elements of the last chunk are default-constructed
// when the chunk is allocated; emplace_back() hands out the next one.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace qc {

template <class T, unsigned Bits = 10>
class Chunked {
 public:
  static constexpr std::size_t kChunk = std::size_t{1} << Bits;

  Chunked() = default;
  Chunked(const Chunked& o) {
    for (std::size_t i = 0; i < o.size_; ++i) emplace_back() = o[i];
  }
  Chunked& operator=(const Chunked& o) {
    if (this != &o) {
      Chunked c(o);
      std::swap(chunks_, c.chunks_);
      std::swap(size_, c.size_);
    }
    return *this;
  }
  Chunked(Chunked&& o) noexcept : chunks_(std::move(o.chunks_)), size_(o.size_) { o.size_ = 0; }
  Chunked& operator=(Chunked&& o) noexcept {
    chunks_ = std::move(o.chunks_);
    size_ = o.size_;
    o.size_ = 0;
    return *this;
  }

  std::size_t size() const { return size_; }
  T& operator[](std::size_t i) { return chunks_[i >> Bits][i & (kChunk - 1)]; }
  const T& operator[](std::size_t i) const { return chunks_[i >> Bits][i & (kChunk - 1)]; }

  // The next element (default-constructed), now part of the array.
  T& emplace_back() {
    if (size_ == chunks_.size() * kChunk) chunks_.push_back(std::make_unique<T[]>(kChunk));
    T& x = (*this)[size_];
    ++size_;
    return x;
  }

 private:
  std::vector<std::unique_ptr<T[]>> chunks_;
  std::size_t size_ = 0;
};

}  // namespace qc
