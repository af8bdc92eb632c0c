#include "server/runtime/runtime.h"

#include <iterator>
#include <unordered_map>
#include <utility>

#include "server/runtime/authorizer.h"
#include "server/runtime/command_facts.h"
#include "server/runtime/directory.h"
#include "server/runtime/partition.h"
#include "server/runtime/shard.h"

namespace qc::gw {

std::string CommandOutcome::encode(Format format) const& {
  if (error != Error::kOk) return {};
  return replayed ? render_stored_response(stored, format) : body;
}

std::string CommandOutcome::encode(Format format) && {
  if (error != Error::kOk || replayed) return std::as_const(*this).encode(format);
  return std::move(body);
}

// ---- Commands queued in a Batch (runtime.h) ----

namespace {

// The commands this thread submitted in its open batch, by runtime (one,
// except in tests) and shard.
struct Queued {
  const Runtime* runtime;
  std::vector<std::vector<CommandRequest>> by_shard;
};
thread_local std::vector<Queued> t_queued;

// This thread's queue of `rt`'s commands (a batch is open).
std::vector<std::vector<CommandRequest>>& queued_for(const Runtime* rt, std::size_t shards) {
  for (Queued& e : t_queued)
    if (e.runtime == rt) return e.by_shard;
  return t_queued.emplace_back(Queued{rt, std::vector<std::vector<CommandRequest>>(shards)}).by_shard;
}

}  // namespace

void Runtime::post_queued(void* self) {
  auto* rt = static_cast<Runtime*>(self);
  for (std::size_t i = 0; i < t_queued.size(); ++i) {
    if (t_queued[i].runtime != rt) continue;
    std::vector<std::vector<CommandRequest>> q = std::move(t_queued[i].by_shard);
    t_queued.erase(t_queued.begin() + static_cast<std::ptrdiff_t>(i));
    for (std::size_t s = 0; s < q.size(); ++s)
      if (!q[s].empty()) rt->shards_[s]->post_commands(q[s]);
    return;
  }
}

Runtime::Runtime(RuntimeOptions options, const Clock& clock, Metrics& metrics,
                 JournalFactory journals)
    : options_(std::move(options)), clock_(clock), metrics_(metrics) {
  if (options_.shards < 1) options_.shards = 1;
  directory_ = std::make_unique<Directory>(options_.shards, options_.idempotency_max,
                                           options_.idempotency_ttl, options_.cluster);
  for (int i = 0; i < options_.shards; ++i) {
    if (options_.cluster) own_.push_back(std::make_unique<Ownership>());
    shards_.push_back(std::make_unique<Shard>(i, options_, clock_, metrics_, *directory_,
                                              journals(i),
                                              options_.cluster ? own_.back().get() : nullptr));
  }
}

Runtime::Runtime(RuntimeOptions options, const Clock& clock, Metrics& metrics,
                 std::unique_ptr<journal::Journal> journal)
    : options_(std::move(options)), clock_(clock), metrics_(metrics) {
  options_.shards = 1;
  options_.cluster = false;
  directory_ = std::make_unique<Directory>(1);
  shards_.push_back(std::make_unique<Shard>(0, options_, clock_, metrics_, *directory_,
                                            std::move(journal), nullptr));
}

Runtime::~Runtime() { stop(); }

bool Runtime::recover(std::string* error) {
  for (auto& s : shards_)
    if (!s->recover(error)) return false;
  return true;
}

void Runtime::start() {
  for (auto& s : shards_) s->start();
}

void Runtime::stop() {
  for (auto& s : shards_) s->stop();
}

int Runtime::shards() const { return static_cast<int>(shards_.size()); }

Ownership* Runtime::ownership(int p) const {
  if (own_.empty() || p < 0 || p >= static_cast<int>(own_.size())) return nullptr;
  return own_[static_cast<std::size_t>(p)].get();
}

void Runtime::wake(int p) {
  if (p < 0 || p >= static_cast<int>(shards_.size())) return;
  shards_[static_cast<std::size_t>(p)]->post_read([](ShardContext&) {});
}

int Runtime::partition_of_area(std::string_view area) const { return directory_->of_area(area); }

int Runtime::known_partition(int map, std::string_view id) const {
  return directory_->lookup(map, id);
}

void Runtime::note_partition(int map, const std::string& id, int p) { directory_->put(map, id, p); }

int Runtime::unknown_route() const {
  // Cluster mode: a key no partition recorded goes to a partition this node
  // serves, whose engine answers unknown_session/unknown_ticket.
  for (std::size_t i = 0; i < own_.size(); ++i)
    if (own_[i]->serving.load(std::memory_order_acquire) != 0) return static_cast<int>(i);
  return 0;
}

bool Runtime::ready() const {
  for (auto& s : shards_)
    if (!s->ready()) return false;
  return true;
}

int Runtime::route(const CommandBody& b) const {
  if (shards_.size() == 1) return 0;
  if (auto* cs = std::get_if<CreateSession>(&b)) return directory_->of_area(cs->spec.area);
  int p = -1;
  if (const std::string* s = session_of(b)) p = directory_->lookup(Directory::kSession, *s);
  else if (const std::string* t = ticket_of(b)) p = directory_->lookup(Directory::kTicket, *t);
  else if (const std::string* h = hold_of(b)) p = directory_->lookup(Directory::kHold, *h);
  return p >= 0 ? p : unknown_route();
}

int Runtime::read_route(int map, std::string_view key) const {
  const int p = directory_->lookup(map, key);
  return p >= 0 ? p : unknown_route();
}

void Runtime::submit(CommandRequest request) {
  if (Batch::defer(this, &Runtime::post_queued, this)) {
    // Looked up at each post: a refusal's `done` runs before it (and might submit).
    dispatch(std::move(request), [this](std::size_t s, CommandRequest&& r) {
      queued_for(this, shards_.size())[s].push_back(std::move(r));
    });
    return;
  }
  dispatch(std::move(request), [this](std::size_t s, CommandRequest&& r) {
    shards_[s]->post_command(std::move(r));
  });
}

void Runtime::submit_batch(std::vector<CommandRequest> requests) {
  std::vector<std::vector<CommandRequest>> by_shard(shards_.size());
  if (shards_.size() == 1) {
    // dispatch() on one shard refuses nothing and routes everything to it.
    by_shard[0] = std::move(requests);
  } else {
    // A session created by an earlier command of the batch is not in the
    // directory yet: the commands naming it follow it to its shard.
    std::unordered_map<std::string, int> created;
    for (CommandRequest& r : requests) {
      int shard = -1;
      if (const auto* cs = std::get_if<CreateSession>(&r.command.body)) {
        created[cs->spec.session_id] = directory_->of_area(cs->spec.area);
      } else if (const std::string* sid = session_of(r.command.body)) {
        if (auto it = created.find(*sid); it != created.end()) shard = it->second;
      }
      dispatch(std::move(r), [&by_shard](std::size_t s, CommandRequest&& x) {
        by_shard[s].push_back(std::move(x));
      }, shard);
    }
  }
  const bool deferred = Batch::defer(this, &Runtime::post_queued, this);
  for (std::size_t s = 0; s < by_shard.size(); ++s) {
    std::vector<CommandRequest>& mine = by_shard[s];
    if (mine.empty()) continue;
    mine.front().batch_rest = static_cast<std::uint32_t>(mine.size() - 1);
    if (!deferred) {
      shards_[s]->post_commands(mine);
      continue;
    }
    // Behind what this thread queued before it, in order.
    auto& q = queued_for(this, shards_.size())[s];
    if (q.empty()) q = std::move(mine);
    else q.insert(q.end(), std::make_move_iterator(mine.begin()), std::make_move_iterator(mine.end()));
  }
}

template <class Post>
void Runtime::dispatch(CommandRequest request, Post&& post, int shard) {
  if (shards_.size() > 1) {
    const CommandBody& b = request.command.body;
    if (std::holds_alternative<GenerateSessions>(b) || std::holds_alternative<AdjustQuotas>(b) ||
        std::holds_alternative<DoctorLeave>(b) || std::holds_alternative<DefineTemplate>(b)) {
      CommandOutcome o;
      // Who may not send a schedule at all is told so first (403/401), as
      // on one shard; only an unscoped admin learns about the shards.
      o.error = may_send_schedules(request.principal, &o.message);
      if (o.error != Error::kOk) {
        request.done(std::move(o));
        return;
      }
      o.error = Error::kInvalidArgument;
      o.message = "schedule commands need a server with one shard";
      request.done(std::move(o));
      return;
    }
    if (std::holds_alternative<DefineChannel>(b)) {
      // Every shard needs the channel: apply it everywhere, answer with the
      // first shard's outcome. Cluster mode: every partition served here
      // (the cluster's entry node sends it to every node: cluster_handler.h).
      std::vector<std::size_t> targets;
      for (std::size_t i = 0; i < shards_.size(); ++i)
        if (own_.empty() || own_[i]->serving.load(std::memory_order_acquire) != 0) targets.push_back(i);
      if (targets.empty()) {
        CommandOutcome o;
        o.error = Error::kUnavailable;
        o.message = "this node serves no partition yet; retry";
        request.done(std::move(o));
        return;
      }
      struct Join {
        std::mutex mu;
        int left;
        CommandOutcome first;
        std::function<void(CommandOutcome)> done;
      };
      auto join = std::make_shared<Join>();
      join->left = static_cast<int>(targets.size());
      join->done = std::move(request.done);
      for (std::size_t i : targets) {
        CommandRequest r = request;
        if (!r.idempotency_key.empty()) r.idempotency_key += "#" + std::to_string(i);
        r.done = [join, i, first = targets.front()](CommandOutcome o) {
          std::unique_lock lock(join->mu);
          if (i == first) join->first = std::move(o);
          if (--join->left == 0) {
            lock.unlock();
            join->done(std::move(join->first));
          }
        };
        post(i, std::move(r));
      }
      return;
    }
  }
  if (shards_.size() > 1 && !request.idempotency_key.empty()) {
    // The key may be another shard's (Directory::claim_key()).
    Directory* dir = directory_.get();
    if (!dir->claim_key(request.idempotency_key, request.request_fingerprint, clock_.now())) {
      CommandOutcome o;
      o.error = Error::kIdempotencyKeyReused;
      o.message = kKeyReusedMessage;
      request.done(std::move(o));
      return;
    }
    request.done = [dir, &clock = clock_, key = request.idempotency_key,
                    fp = request.request_fingerprint, done = std::move(request.done)](CommandOutcome o) {
      if (o.error == Error::kOk) dir->remember_key(key, fp, clock.now());
      else dir->release_key(key, fp);
      done(std::move(o));
    };
  }
  post(static_cast<std::size_t>(shard >= 0 ? shard : route(request.command.body)), std::move(request));
}

void Runtime::read_session(std::string_view sid, ReadFn fn) {
  shards_[static_cast<std::size_t>(read_route(Directory::kSession, sid))]->post_read(std::move(fn));
}
void Runtime::read_ticket(std::string_view tid, ReadFn fn) {
  shards_[static_cast<std::size_t>(read_route(Directory::kTicket, tid))]->post_read(std::move(fn));
}
void Runtime::read_token(std::string_view token, ReadFn fn) {
  shards_[static_cast<std::size_t>(read_route(Directory::kToken, token))]->post_read(std::move(fn));
}
void Runtime::read_area(std::string_view area, ReadFn fn) {
  shards_[static_cast<std::size_t>(directory_->of_area(area))]->post_read(std::move(fn));
}

void Runtime::read_all(std::function<void(ShardContext&)> fn, std::function<void()> after_all) {
  struct Join {
    std::atomic<int> left;
    std::function<void()> after;
  };
  auto join = std::make_shared<Join>();
  join->left = static_cast<int>(shards_.size());
  join->after = std::move(after_all);
  auto shared_fn = std::make_shared<std::function<void(ShardContext&)>>(std::move(fn));
  for (auto& s : shards_) {
    s->post_read([join, shared_fn](ShardContext& ctx) {
      (*shared_fn)(ctx);
      if (join->left.fetch_sub(1) == 1) join->after();
    });
  }
}

}  // namespace qc::gw
