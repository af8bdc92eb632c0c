// queuecast plan: placeholder until the subcommand lands.
#include <cstdio>

#include "cli/commands.h"

int run_plan(int, char**) {
  std::fprintf(stderr, "queuecast plan: not implemented yet\n");
  return 2;
}
