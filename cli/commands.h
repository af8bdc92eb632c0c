// The subcommands of the queuecast tool. Each takes the arguments after the
// subcommand name (argv[0] is the subcommand itself) and returns the process
// exit code: 0 success, 1 failure, 2 usage error.
#pragma once

int run_replay(int argc, char** argv);    // cli/replay.cc
int run_plan(int argc, char** argv);      // cli/plan.cc
int run_simulate(int argc, char** argv);  // cli/simulate.cc
// `queuecast cluster status --redis URL`: who serves which partition.
int run_cluster(int argc, char** argv);   // cli/cluster_status.cc
// `queuecast replay --journal PATH_OR_URL [--session ID]`: replays a durable
// journal instead of a command file. Receives replay's own arguments.
int run_journal_replay(int argc, char** argv);  // cli/journal_replay.cc
