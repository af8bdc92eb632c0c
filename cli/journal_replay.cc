// queuecast replay --journal: placeholder until the journal reader lands.
#include <cstdio>

#include "cli/commands.h"

int run_journal_replay(int, char**) {
  std::fprintf(stderr, "queuecast replay --journal: not implemented yet\n");
  return 2;
}
