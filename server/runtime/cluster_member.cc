#include "server/runtime/cluster_member.h"

#include <algorithm>

#include "server/infra/log.h"
#include "server/runtime/directory.h"
#include "server/runtime/partition.h"
#include "server/wire/json_text.h"

namespace qc::gw {

namespace {
constexpr auto kTick = std::chrono::milliseconds(20);
constexpr std::size_t kIdCacheMax = 1'000'000;
}  // namespace

ClusterMember::ClusterMember(ClusterOptions options, Runtime& runtime, Metrics& metrics)
    : o_(std::move(options)), runtime_(runtime), metrics_(metrics) {
  orphan_scans_.assign(static_cast<std::size_t>(std::max(o_.partitions, 0)), 0);
}

ClusterMember::~ClusterMember() { stop(); }

bool ClusterMember::start(std::string advertise, std::string* error) {
  o_.advertise = std::move(advertise);
  // sentinel://: the primary now; every reconnection asks the Sentinels again.
  journal::RedisAddress a;
  if (!journal::resolve_redis(o_.redis, &a, error)) return false;
  redis_ = journal::RedisCluster::open(a, o_.prefix, o_.redis_timeout_ms, error);
  lookups_ = journal::RedisCluster::open(a, o_.prefix, o_.redis_timeout_ms, error);
  if (!redis_ || !lookups_) return false;
  if (!redis_->init(o_.partitions, error)) return false;
  if (!redis_->server_id(&primary_id_, error)) return false;
  log_event("info", "cluster_member",
            {{"node", o_.node_id}, {"advertise", o_.advertise}, {"redis", o_.redis},
             {"partitions", std::to_string(o_.partitions)}, {"lease_ms", std::to_string(o_.lease_ms)}});
  thread_ = std::thread([this] { run(); });
  return true;
}

void ClusterMember::stop() {
  if (stopped_.exchange(true)) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (!redis_) return;
  // Hand-off: every partition steps down (its commits in flight answered),
  // then its lease is released so that another node takes it at once.
  for (auto& [p, h] : held_) {
    Ownership* own = runtime_.ownership(p);
    own->wanted.store(0, std::memory_order_release);
    runtime_.wake(p);
  }
  const auto until = Steady::now() + std::chrono::seconds(5);
  for (auto& [p, h] : held_) {
    Ownership* own = runtime_.ownership(p);
    while (own->serving.load(std::memory_order_acquire) != 0 && Steady::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::string err;
    if (!redis_->release(p, o_.node_id, h.epoch, &err))
      log_event("warn", "lease_release_failed", {{"partition", std::to_string(p)}, {"error", err}});
    else
      log_event("info", "handoff_done", {{"partition", std::to_string(p)}, {"reason", "shutdown"}});
  }
  held_.clear();
  metrics_.partitions_served.store(0);
  std::string err;
  redis_->leave(o_.node_id, &err);
  // Requests still waiting for an owner are answered now.
  std::vector<std::pair<Steady::time_point, std::function<void()>>> left;
  {
    std::lock_guard lock(mu_);
    left.swap(deferred_);
  }
  for (auto& d : left) d.second();
}

bool ClusterMember::defer(std::chrono::milliseconds delay, std::function<void()> fn) {
  std::lock_guard lock(mu_);
  if (stopping_) return false;
  deferred_.emplace_back(Steady::now() + delay, std::move(fn));
  return true;
}

void ClusterMember::run_deferred(Steady::time_point now) {
  std::vector<std::function<void()>> due;
  {
    std::lock_guard lock(mu_);
    auto it = std::stable_partition(deferred_.begin(), deferred_.end(),
                                    [&](const auto& d) { return d.first > now; });
    for (auto i = it; i != deferred_.end(); ++i) due.push_back(std::move(i->second));
    deferred_.erase(it, deferred_.end());
  }
  for (auto& fn : due) fn();
}

void ClusterMember::run() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, kTick, [&] { return stopping_; });
      if (stopping_) break;
    }
    auto now = Steady::now();
    // A partition whose commit was fenced, or whose lease ran out here
    // before it was renewed, is no longer ours.
    std::vector<int> gone;
    for (auto& [p, h] : held_) {
      Ownership* own = runtime_.ownership(p);
      if (own->fenced.load(std::memory_order_acquire)) gone.push_back(p);
      else if (now > h.deadline) gone.push_back(p);
    }
    for (int p : gone)
      drop(p, runtime_.ownership(p)->fenced.load() ? "fenced" : "deadline");
    if (now >= next_renew_) renew(now);
    // Hand-offs in progress: released once the shard has stepped down.
    for (auto it = held_.begin(); it != held_.end();) {
      Ownership* own = runtime_.ownership(it->first);
      if (!it->second.releasing || own->serving.load(std::memory_order_acquire) != 0) {
        ++it;
        continue;
      }
      std::string err;
      redis_->release(it->first, o_.node_id, it->second.epoch, &err);
      log_event("info", "handoff_done", {{"partition", std::to_string(it->first)}, {"reason", "rebalance"}});
      it = held_.erase(it);
    }
    now = Steady::now();
    if (now >= next_scan_) scan(now);
    std::int64_t served = 0;
    for (int p = 0; p < o_.partitions; ++p)
      served += runtime_.ownership(p)->serving.load(std::memory_order_relaxed) != 0;
    metrics_.partitions_served.store(served, std::memory_order_relaxed);
    run_deferred(Steady::now());
  }
}

void ClusterMember::set_deadline(int p, Steady::time_point sent) {
  const auto lease = std::chrono::milliseconds(o_.lease_ms);
  const auto deadline = sent + lease * 99 / 100 - std::chrono::milliseconds(100);
  held_[p].deadline = deadline;
  runtime_.ownership(p)->deadline_ns.store(
      std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count(),
      std::memory_order_release);
}

void ClusterMember::renew(Steady::time_point now) {
  std::vector<std::pair<int, std::uint64_t>> held;
  for (auto& [p, h] : held_) held.emplace_back(p, h.epoch);
  std::vector<int> lost;
  std::string err;
  const auto sent = Steady::now();
  if (!redis_->renew(o_.node_id, o_.advertise, held, o_.lease_ms, &lost, &err)) {
    metrics_.lease_renew_failures.fetch_add(1, std::memory_order_relaxed);
    log_event("warn", "lease_renew_failed", {{"node", o_.node_id}, {"error", err}});
    next_renew_ = now + std::min(std::chrono::milliseconds(o_.renew_ms), std::chrono::milliseconds(200));
    return;
  }
  for (auto& [p, e] : held)
    if (std::find(lost.begin(), lost.end(), p) == lost.end()) set_deadline(p, sent);
  for (int p : lost) drop(p, "lost");
  next_renew_ = sent + std::chrono::milliseconds(o_.renew_ms);
}

void ClusterMember::drop(int p, const char* why) {
  Ownership* own = runtime_.ownership(p);
  own->wanted.store(0, std::memory_order_release);
  own->deadline_ns.store(0, std::memory_order_release);
  runtime_.wake(p);
  held_.erase(p);
  log_event("warn", "lease_lost", {{"partition", std::to_string(p)}, {"reason", why}});
}

bool ClusterMember::take(int p, Steady::time_point) {
  bool acquired = false;
  std::uint64_t epoch = 0;
  std::string holder, err;
  const auto sent = Steady::now();
  if (!redis_->acquire(p, o_.node_id, o_.lease_ms, &acquired, &epoch, &holder, &err,
                       o_.wait_replicas, o_.wait_timeout_ms)) {
    log_event("warn", "lease_acquire_failed", {{"partition", std::to_string(p)}, {"error", err}});
    return false;
  }
  if (!acquired) return true;
  Ownership* own = runtime_.ownership(p);
  held_[p].epoch = epoch;
  held_[p].releasing = false;
  set_deadline(p, sent);
  own->fenced.store(false, std::memory_order_release);
  own->wanted.store(epoch, std::memory_order_release);
  runtime_.wake(p);
  orphan_scans_[static_cast<std::size_t>(p)] = 0;
  log_event("info", "lease_acquired", {{"partition", std::to_string(p)}, {"epoch", std::to_string(epoch)}});
  return true;
}

// A new run_id: the leases and epochs this node holds were granted by
// another server, which the new primary may not have received in full.
// Every partition is handed over (stepped down, then released by run()
// once the shard stopped) and taken again by the next scans, with a new
// INCR on this server.
bool ClusterMember::primary_changed() {
  std::string id, err;
  if (!redis_->server_id(&id, &err) || id == primary_id_) return false;
  log_event("warn", "redis_primary_changed", {{"node", o_.node_id}, {"was", primary_id_}, {"now", id},
                                              {"partitions", std::to_string(held_.size())}});
  primary_id_ = id;
  for (auto& [p, h] : held_) {
    h.releasing = true;
    runtime_.ownership(p)->wanted.store(0, std::memory_order_release);
    runtime_.wake(p);
  }
  return true;
}

void ClusterMember::scan(Steady::time_point now) {
  next_scan_ = now + std::chrono::milliseconds(o_.scan_ms);
  std::vector<journal::RedisCluster::Lease> leases;
  std::vector<journal::RedisCluster::Member> members;
  std::string err;
  if (primary_changed()) return;
  if (!redis_->leases(o_.partitions, &leases, &err) || !redis_->members(&members, &err)) return;
  if (std::none_of(members.begin(), members.end(), [&](const auto& m) { return m.node == o_.node_id; })) {
    journal::RedisCluster::Member self;
    self.node = o_.node_id;
    self.address = o_.advertise;
    members.insert(std::upper_bound(members.begin(), members.end(), self,
                                    [](const auto& a, const auto& b) { return a.node < b.node; }),
                   self);
  }
  std::vector<std::pair<int, std::uint64_t>> changed;
  std::vector<std::string> left;
  {
    std::lock_guard lock(mu_);
    for (std::size_t p = 0; p < leases.size(); ++p)
      if (leases[p].current_epoch != 0 &&
          (p >= leases_.size() || leases_[p].current_epoch != leases[p].current_epoch))
        changed.emplace_back(static_cast<int>(p), leases[p].current_epoch);
    for (const auto& m : members_)
      if (std::none_of(members.begin(), members.end(), [&](const auto& x) { return x.node == m.node; }))
        left.push_back(m.node);
    leases_ = leases;
    members_ = members;
  }
  if (on_owner_change)
    for (auto& [p, e] : changed) on_owner_change(p, e);
  if (on_member_left)
    for (const auto& n : left) on_member_left(n);
  // This node's fair share: members sorted by id, P / n each, the first
  // P % n one more.
  const int n = static_cast<int>(members.size());
  auto share = [&](int rank) { return o_.partitions / n + (rank < o_.partitions % n ? 1 : 0); };
  int rank = 0;
  for (int i = 0; i < n; ++i)
    if (members[static_cast<std::size_t>(i)].node == o_.node_id) rank = i;
  const int target = share(rank);
  int mine = 0;
  for (auto& [p, h] : held_) mine += !h.releasing;
  for (int p = 0; p < o_.partitions; ++p) {
    int& o = orphan_scans_[static_cast<std::size_t>(p)];
    o = leases[static_cast<std::size_t>(p)].node.empty() ? o + 1 : 0;
  }
  // Orphans: up to the share, starting at this node's place in the ring
  // (fewer collisions); any orphan seen twice whatever the share.
  const int start = n > 0 ? rank * o_.partitions / n : 0;
  for (int i = 0; i < o_.partitions; ++i) {
    const int p = (start + i) % o_.partitions;
    if (held_.count(p) || !leases[static_cast<std::size_t>(p)].node.empty()) continue;
    if (mine < target || orphan_scans_[static_cast<std::size_t>(p)] >= 2) {
      // A failed ACQUIRE (Redis down, or WAIT unconfirmed after up to
      // wait_timeout_ms): no more this scan, so renewals stay on time.
      if (!take(p, now)) break;
      if (held_.count(p)) ++mine;
    }
  }
  // Rebalance by hand-off: more than the share here, less elsewhere.
  if (mine <= target) return;
  for (auto& [p, h] : held_)
    if (h.releasing) return;  // one at a time
  std::unordered_map<std::string, int> counts;
  for (const auto& l : leases)
    if (!l.node.empty()) ++counts[l.node];
  bool someone_short = false;
  for (int i = 0; i < n; ++i) {
    const auto& m = members[static_cast<std::size_t>(i)];
    if (m.node != o_.node_id && counts[m.node] < share(i)) someone_short = true;
  }
  if (!someone_short) return;
  int highest = -1;
  for (auto& [p, h] : held_) highest = std::max(highest, p);
  if (highest < 0) return;
  held_[highest].releasing = true;
  runtime_.ownership(highest)->wanted.store(0, std::memory_order_release);
  runtime_.wake(highest);
  log_event("info", "handoff_started", {{"partition", std::to_string(highest)}});
}

ClusterMember::Owner ClusterMember::owner(int p) const {
  Owner o;
  if (p < 0 || p >= o_.partitions) return o;
  const Ownership* own = runtime_.ownership(p);
  if (const std::uint64_t e = own->serving.load(std::memory_order_acquire); e != 0 && !own->expired()) {
    o.local = true;
    o.node = o_.node_id;
    o.address = o_.advertise;
    o.epoch = e;
    return o;
  }
  std::lock_guard lock(mu_);
  if (static_cast<std::size_t>(p) >= leases_.size()) return o;
  const auto& l = leases_[static_cast<std::size_t>(p)];
  o.node = l.node;
  o.epoch = l.epoch;
  if (l.node == o_.node_id) return o;  // taken here, still recovering: no address
  for (const auto& m : members_)
    if (m.node == l.node) o.address = m.address;
  return o;
}

int ClusterMember::lookup(int map, std::string_view id) {
  std::string field = Directory::id_field(map, id);
  std::lock_guard lock(lookup_mu_);
  if (auto it = id_cache_.find(field); it != id_cache_.end()) return it->second;
  bool found = false;
  int p = -1;
  std::string err;
  if (!lookups_ || !lookups_->lookup_id(field, &found, &p, &err)) return kUnreachable;
  if (!found) return -1;
  if (id_cache_.size() >= kIdCacheMax) id_cache_.clear();
  id_cache_.emplace(std::move(field), p);
  return p;
}

void ClusterMember::render_metrics(std::string* out) const {
  *out += "# HELP queuecast_partition_served Whether this node serves the partition.\n"
          "# TYPE queuecast_partition_served gauge\n";
  for (int p = 0; p < o_.partitions; ++p)
    *out += "queuecast_partition_served{partition=\"" + std::to_string(p) + "\"} " +
            (runtime_.ownership(p)->serving.load() != 0 ? "1\n" : "0\n");
  *out += "# HELP queuecast_partition_epoch The partition's epoch as this node last read it.\n"
          "# TYPE queuecast_partition_epoch gauge\n";
  std::lock_guard lock(mu_);
  for (std::size_t p = 0; p < leases_.size(); ++p)
    *out += "queuecast_partition_epoch{partition=\"" + std::to_string(p) + "\"} " +
            std::to_string(leases_[p].current_epoch) + "\n";
}

std::string ClusterMember::status_json() const {
  std::string out = "{\"node\":";
  append_json_string_pb(o_.node_id, &out);
  out += ",\"partitions\":" + std::to_string(o_.partitions) + ",\"leaseMs\":" + std::to_string(o_.lease_ms);
  std::lock_guard lock(mu_);
  out += ",\"members\":[";
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (i) out += ',';
    out += "{\"node\":";
    append_json_string_pb(members_[i].node, &out);
    out += ",\"address\":";
    append_json_string_pb(members_[i].address, &out);
    out += "}";
  }
  out += "],\"partitionTable\":[";
  for (std::size_t p = 0; p < leases_.size(); ++p) {
    if (p) out += ',';
    const auto& l = leases_[p];
    out += "{\"partition\":" + std::to_string(p) + ",\"owner\":";
    append_json_string_pb(l.node, &out);
    out += ",\"epoch\":" + std::to_string(l.current_epoch) +
           ",\"leaseTtlMs\":" + std::to_string(std::max<std::int64_t>(l.ttl_ms, 0)) +
           ",\"servedHere\":" +
           (runtime_.ownership(static_cast<int>(p))->serving.load() != 0 ? "true" : "false") + "}";
  }
  out += "]}";
  return out;
}

}  // namespace qc::gw
