// queuecast: the command-line tool. Dispatches to the subcommands.
#include <cstdio>
#include <cstring>
#include <string_view>

#include "cli/commands.h"

namespace {

constexpr const char kUsage[] =
    "usage: queuecast <command> [options]\n"
    "\n"
    "Commands:\n"
    "  replay [FILE]        apply JSON Lines commands (stdin by default) to a fresh\n"
    "                       engine; one JSON result line per input line\n"
    "  replay --journal PATH_OR_URL [--session ID]\n"
    "                       replay a durable journal\n"
    "  plan                 slot planning from history\n"
    "  simulate             run the clinic simulator\n"
    "  cluster status --redis URL\n"
    "                       members and partitions of a cluster, from its Redis\n"
    "\n"
    "Run 'queuecast <command> --help' for a command's options.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string_view cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (cmd == "replay") return run_replay(argc - 1, argv + 1);
  if (cmd == "plan") return run_plan(argc - 1, argv + 1);
  if (cmd == "simulate") return run_simulate(argc - 1, argv + 1);
  if (cmd == "cluster") return run_cluster(argc - 1, argv + 1);
  std::fprintf(stderr, "queuecast: unknown command '%s'\n\n%s", argv[1], kUsage);
  return 2;
}
