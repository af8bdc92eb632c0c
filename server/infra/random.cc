#include "server/infra/random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "server/infra/sha256.h"

namespace qc::gw {

namespace {

void fill(char* buf, std::size_t size) {
  std::size_t got = 0;
  while (got < size) {
    ssize_t n = getrandom(buf + got, size - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::abort();
    }
    got += static_cast<std::size_t>(n);
  }
}

}  // namespace

std::string random_token() {
  // The kernel's bytes, 32 tokens' worth per getrandom(2) call, each byte
  // handed out once and wiped as it is.
  constexpr std::size_t kToken = 16, kPool = 32 * kToken;
  thread_local char pool[kPool];
  thread_local std::size_t used = kPool;
  if (used == kPool) {
    fill(pool, kPool);
    used = 0;
  }
  char* bytes = pool + used;
  used += kToken;
  std::string token = to_hex(std::string_view(bytes, kToken));
  std::memset(bytes, 0, kToken);
  return token;
}

bool is_token_shaped(std::string_view s) {
  if (s.size() != 32) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace qc::gw
