// queuecast cluster status --redis URL [--key qc] [--json]
//
// Which node serves what, read from the cluster's Redis directly (so it
// works with every node down): the live members (node, address, when their
// entry expires) and per partition the lease holder, the epoch, the lease's
// time to live and the last seq of the partition's journal stream. The
// same facts as GET /v1/cluster (docs/design/cluster.md "Operations"),
// without asking a node. Read-only.
#include <cstdio>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "cli/args.h"
#include "cli/commands.h"
#include "store/redis_cluster.h"
#include "store/redis_journal.h"

namespace {

constexpr const char kUsage[] =
    "usage: queuecast cluster status --redis URL [--key PREFIX] [--json]\n"
    "\n"
    "Prints the members of a queuecast cluster and, per partition, the node\n"
    "that holds its lease, its epoch, the lease's time to live and the last seq\n"
    "of its journal, read from the cluster's Redis (works with the nodes down).\n"
    "  --redis URL    redis://host[:port][/db], the nodes' cluster.redis\n"
    "  --key PREFIX   the cluster's key prefix (cluster.key; default qc)\n"
    "  --json         one JSON object instead of the table\n";

int fail(const std::string& why) {
  std::fprintf(stderr, "queuecast cluster status: %s\n", why.c_str());
  return 1;
}

}  // namespace

int run_cluster(int argc, char** argv) {
  if (argc < 2 || qc::cli::is_help(argv[1])) {
    if (argc >= 2) return qc::cli::print_usage(kUsage);
    std::fprintf(stderr, "%s", kUsage);
    return 2;
  }
  if (std::string_view(argv[1]) != "status") {
    std::fprintf(stderr, "queuecast cluster: unknown subcommand '%s'\n\n%s", argv[1], kUsage);
    return 2;
  }
  std::string url, key = "qc";
  bool json = false;
  for (int i = 2; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (qc::cli::is_help(a)) return qc::cli::print_usage(kUsage);
    if (a == "--redis" && i + 1 < argc) {
      url = argv[++i];
    } else if (a == "--key" && i + 1 < argc) {
      key = argv[++i];
    } else if (a == "--json") {
      json = true;
    } else {
      std::fprintf(stderr, "queuecast cluster status: unexpected argument '%s'\n\n%s", argv[i],
                   kUsage);
      return 2;
    }
  }
  if (url.empty()) {
    std::fprintf(stderr, "queuecast cluster status: needs --redis URL\n\n%s", kUsage);
    return 2;
  }
  qc::journal::RedisAddress address;
  std::string error;
  if (!qc::journal::parse_redis_url(url, &address, &error)) return fail(error);
  auto cluster = qc::journal::RedisCluster::open(address, key, 2000, &error);
  if (!cluster) return fail(error);
  int partitions = 0;
  if (!cluster->partitions(&partitions, &error)) return fail(error);
  if (partitions == 0) return fail("no cluster under key '" + key + "' at " + url);
  std::vector<qc::journal::RedisCluster::Member> members;
  std::int64_t now = 0;
  std::vector<qc::journal::RedisCluster::Lease> leases;
  std::vector<std::uint64_t> seqs;
  if (!cluster->members(&members, &error, &now) || !cluster->leases(partitions, &leases, &error) ||
      !cluster->last_seqs(partitions, &seqs, &error))
    return fail(error);

  if (json) {
    boost::json::object out;
    out["redis"] = url;
    out["key"] = key;
    out["partitions"] = partitions;
    boost::json::array ms;
    for (const auto& m : members)
      ms.push_back({{"node", m.node},
                    {"address", m.address},
                    {"expiresMs", m.expires_ms},
                    {"expiresInMs", m.expires_ms - now}});
    out["members"] = std::move(ms);
    boost::json::array ps;
    for (int p = 0; p < partitions; ++p) {
      const auto& l = leases[std::size_t(p)];
      ps.push_back({{"partition", p},
                    {"owner", l.node},
                    {"epoch", l.current_epoch},
                    {"leaseEpoch", l.epoch},
                    {"leaseTtlMs", l.node.empty() ? 0 : l.ttl_ms},
                    {"lastSeq", seqs[std::size_t(p)]}});
    }
    out["partitionTable"] = std::move(ps);
    std::printf("%s\n", boost::json::serialize(out).c_str());
    return 0;
  }
  std::printf("cluster '%s' at %s: %d partitions\n", key.c_str(), url.c_str(), partitions);
  std::printf("members (%zu):\n", members.size());
  for (const auto& m : members)
    std::printf("  %-16s %-24s expires in %lld ms\n", m.node.c_str(), m.address.c_str(),
                static_cast<long long>(m.expires_ms - now));
  std::printf("%-9s  %-16s  %8s  %12s  %12s\n", "partition", "owner", "epoch", "lease ttl ms",
              "last seq");
  for (int p = 0; p < partitions; ++p) {
    const auto& l = leases[std::size_t(p)];
    const std::string ttl = l.node.empty() ? "-" : std::to_string(l.ttl_ms);
    std::printf("%-9d  %-16s  %8llu  %12s  %12llu\n", p, l.node.empty() ? "-" : l.node.c_str(),
                static_cast<unsigned long long>(l.current_epoch), ttl.c_str(),
                static_cast<unsigned long long>(seqs[std::size_t(p)]));
  }
  return 0;
}
