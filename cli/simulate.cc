// queuecast simulate: placeholder until the subcommand lands.
#include <cstdio>

#include "cli/commands.h"

int run_simulate(int, char**) {
  std::fprintf(stderr, "queuecast simulate: not implemented yet\n");
  return 2;
}
