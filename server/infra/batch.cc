#include "server/infra/batch.h"

#include <vector>

namespace qc::gw {

namespace {

struct Deferred {
  const void* key;
  void (*fn)(void*);
  void* arg;
};

struct BatchState {
  int depth = 0;
  std::vector<Deferred> deferred;
};

thread_local BatchState t_batch;

}  // namespace

Batch::Batch() noexcept { ++t_batch.depth; }

Batch::~Batch() {
  if (--t_batch.depth > 0 || t_batch.deferred.empty()) return;
  // The batch is closed: what the functions do goes out at once (or into a
  // batch of their own). The list is swapped out so that one may open.
  std::vector<Deferred> run;
  run.swap(t_batch.deferred);
  for (const Deferred& d : run) d.fn(d.arg);
  // Keep the capacity for the next batch of this thread.
  run.clear();
  if (t_batch.deferred.empty()) t_batch.deferred.swap(run);
}

bool Batch::defer(const void* key, void (*fn)(void*), void* arg) {
  if (t_batch.depth == 0) return false;
  for (const Deferred& d : t_batch.deferred)
    if (d.key == key) return true;
  t_batch.deferred.push_back(Deferred{key, fn, arg});
  return true;
}

bool Batch::open() noexcept { return t_batch.depth > 0; }

}  // namespace qc::gw
