#include "server/infra/random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>

#include "server/infra/sha256.h"

namespace qc::gw {

std::string random_token() {
  char buf[16];
  std::size_t got = 0;
  while (got < sizeof buf) {
    ssize_t n = getrandom(buf + got, sizeof buf - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::abort();
    }
    got += static_cast<std::size_t>(n);
  }
  return to_hex(std::string_view(buf, sizeof buf));
}

bool is_token_shaped(std::string_view s) {
  if (s.size() != 32) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace qc::gw
