// The Redis journal's writes through hiredis's asynchronous client driven by
// Asio. See redis_asio.h.
#include "store/redis_asio.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <atomic>
#include <boost/asio/post.hpp>
#include <algorithm>
#include <chrono>
#include <deque>
#include <vector>

#include "store/redis_journal.h"

namespace qc::gw {
namespace {

namespace asio = boost::asio;
using journal::Record;
using journal::Status;

// One hiredis asynchronous connection and its Asio adapter. hiredis calls
// the ev hooks (addRead, ...) from inside its functions; they arm
// async_wait()s on the descriptor, whose handlers call back into hiredis.
// Handlers hold the Conn by shared_ptr and check `generation` so that a
// wait of a dropped connection does nothing.
struct Conn : std::enable_shared_from_this<Conn> {
  explicit Conn(asio::io_context& io) : ioc(io) {}
  asio::io_context& ioc;
  redisAsyncContext* ac = nullptr;
  std::unique_ptr<asio::posix::stream_descriptor> fd;
  std::uint64_t generation = 0;
  bool want_read = false, want_write = false;
  bool read_armed = false, write_armed = false;
  bool select_failed = false;
  bool defer_write = false;  // while a commit's commands are being queued
  std::string error;  // why the connection went away

  void arm_read() {
    // redisAsyncHandleRead may drop the connection.
    arm(want_read, &Conn::read_armed, asio::posix::stream_descriptor::wait_read,
        &redisAsyncHandleRead, &Conn::arm_read);
  }
  void arm_write() {
    arm(want_write, &Conn::write_armed, asio::posix::stream_descriptor::wait_write,
        &redisAsyncHandleWrite, &Conn::arm_write);
  }
  // One wait for readiness `w`; then `handle` lets hiredis act and `again`
  // waits for the next one while hiredis still wants it.
  void arm(bool want, bool Conn::*armed, asio::posix::stream_descriptor::wait_type w,
           void (*handle)(redisAsyncContext*), void (Conn::*again)()) {
    if (!ac || !want || this->*armed) return;
    this->*armed = true;
    fd->async_wait(w, [self = shared_from_this(), g = generation, armed, handle,
                       again](const boost::system::error_code& ec) {
      if (g != self->generation) return;
      self.get()->*armed = false;
      if (ec || !self->ac) return;
      handle(self->ac);
      (self.get()->*again)();
    });
  }

  static Conn* of(void* p) { return static_cast<Conn*>(p); }
  static void add_read(void* p) { of(p)->want_read = true; of(p)->arm_read(); }
  static void del_read(void* p) { of(p)->want_read = false; }
  static void add_write(void* p) {
    of(p)->want_write = true;
    if (!of(p)->defer_write) of(p)->arm_write();
  }
  static void del_write(void* p) { of(p)->want_write = false; }
  // hiredis frees the context (and closes the descriptor) right after this.
  static void cleanup(void* p) {
    Conn* c = of(p);
    c->ac = nullptr;
    ++c->generation;
    c->want_read = c->want_write = c->read_armed = c->write_armed = false;
    if (c->fd) {
      c->fd->release();  // cancels the waits; hiredis closes the descriptor
      c->fd.reset();
    }
  }
  static void on_connect(const redisAsyncContext* ac, int status) {
    if (status != REDIS_OK) of(ac->data)->error = ac->errstr[0] ? ac->errstr : "cannot connect";
  }
  static void on_disconnect(const redisAsyncContext* ac, int status) {
    if (status != REDIS_OK) of(ac->data)->error = ac->errstr[0] ? ac->errstr : "connection lost";
  }
  static void on_select(redisAsyncContext* ac, void* reply, void*) {
    auto* r = static_cast<redisReply*>(reply);
    if (r && r->type == REDIS_REPLY_ERROR) of(ac->data)->select_failed = true;
  }

  // Starts connecting (non-blocking; the outcome arrives with the first
  // write event). False when hiredis could not even start.
  bool connect(const journal::RedisAddress& a, std::string* why) {
    error.clear();
    select_failed = false;
    redisAsyncContext* c = redisAsyncConnect(a.host.c_str(), a.port);
    if (!c || c->err) {
      *why = c ? c->errstr : "out of memory";
      if (c) redisAsyncFree(c);
      return false;
    }
    ac = c;
    ++generation;
    fd = std::make_unique<asio::posix::stream_descriptor>(ioc, c->c.fd);
    c->data = this;
    c->ev.data = this;
    c->ev.addRead = &Conn::add_read;
    c->ev.delRead = &Conn::del_read;
    c->ev.addWrite = &Conn::add_write;
    c->ev.delWrite = &Conn::del_write;
    c->ev.cleanup = &Conn::cleanup;
    redisAsyncSetConnectCallback(c, &Conn::on_connect);  // waits for writability
    redisAsyncSetDisconnectCallback(c, &Conn::on_disconnect);
    if (a.db != 0) {
      const std::string db = std::to_string(a.db);
      const char* argv[] = {"SELECT", db.c_str()};
      redisAsyncCommandArgv(c, &Conn::on_select, nullptr, 2, argv, nullptr);
    }
    return true;
  }

  // Outside hiredis callbacks only.
  void drop() {
    if (ac) redisAsyncFree(ac);  // pending callbacks get a null reply; cleanup() runs
  }
};

// One commit in flight: the EVAL's reply (or, for the connection's end,
// none) ends it; so does its deadline, checked by complete().
struct InFlight {
  bool done = false;
  bool ok = false;
  int wait_replicas = 0;      // > 0: its WAIT's reply ends it, not the EVAL's
  int wait_timeout_ms = 0;
  std::size_t records = 0;
  std::uint64_t last = 0;  // the seq the stream ends at once it landed
  std::chrono::steady_clock::time_point deadline;
  std::string error;
  Status status = Status::kUnavailable;  // when it failed
  Conn* conn = nullptr;
};

void on_reply(redisAsyncContext*, void* reply, void* privdata) {
  auto* c = static_cast<InFlight*>(privdata);
  if (c->done) return;  // timed out already
  c->done = true;
  auto* r = static_cast<redisReply*>(reply);
  if (!r) {
    c->error = c->conn->error.empty() ? "connection lost" : c->conn->error;
    return;
  }
  if (c->conn->select_failed) {
    c->error = "SELECT failed";
    return;
  }
  if (r->type == REDIS_REPLY_ERROR) {
    c->error = std::string(r->str, r->len);
    c->status = journal::redis_error_status(c->error);  // QCFENCED, QCID: kFenced, kConflict
    return;
  }
  if (r->type != REDIS_REPLY_INTEGER || std::size_t(r->integer) != c->records) {
    c->error = "unexpected reply";
    return;
  }
  if (c->wait_replicas > 0) {
    c->done = false;  // landed on the primary; durable once WAIT confirms
    return;
  }
  c->ok = true;
}

// The reply to the WAIT pipelined behind a commit's EVAL (only after the
// EVAL succeeded; after a failed EVAL the commit is done already).
void on_wait_reply(redisAsyncContext*, void* reply, void* privdata) {
  auto* c = static_cast<InFlight*>(privdata);
  if (c->done) return;  // the EVAL failed, or timed out
  c->done = true;
  auto* r = static_cast<redisReply*>(reply);
  if (!r) {
    c->error = c->conn->error.empty() ? "connection lost" : c->conn->error;
    return;
  }
  c->ok = journal::redis_wait_confirmed(r, c->wait_replicas, c->wait_timeout_ms, &c->error);
}

class AsioRedisJournal final : public journal::Journal {
 public:
  AsioRedisJournal(journal::RedisAddress a, const journal::OpenOptions& o,
                   std::unique_ptr<journal::Journal> sync)
      : addr_(std::move(a)), opt_(o), sync_(std::move(sync)), timer_(ioc_) {
    if (addr_.key.empty()) addr_.key = o.redis_key;
    conn_ = std::make_shared<Conn>(ioc_);
    last_ = sent_ = sync_->last_seq();
  }
  ~AsioRedisJournal() override { conn_->drop(); }

  // One commit: send() it, then wait for it.
  bool append(std::span<const Record> batch, std::string* error) override {
    if (!inflight_.empty())
      return fail(Status::kInvalidArgument, "append() with commits in flight", error);
    if (batch.empty())
      return opt_.read_only ? fail(Status::kInvalidArgument, "journal opened read-only", error) : ok();
    send(batch);
    Commit state;
    while ((state = complete_one(/*block=*/true, /*wakeable=*/false, error)) == Commit::kPending) {
    }
    return state == Commit::kDurable;
  }

  // Pipelined: the group's records as one conditional EVAL
  // (journal::plan_redis_append_checked(): it lands only if the stream ends
  // at the previous commit's last seq), written at once; the reply is taken
  // by complete().
  void send(std::span<const Record> batch) override {
    auto c = std::make_shared<InFlight>();
    c->conn = conn_.get();
    c->records = batch.size();
    c->deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(opt_.timeout_ms);
    inflight_.push_back(c);
    // Not sent: fails, and so does every commit after it (a later one
    // would otherwise land without this one).
    auto refuse = [&](Status s, std::string why) {
      c->done = true;
      c->error = std::move(why);
      c->status = s;
      broken_ = true;
    };
    if (opt_.read_only) return refuse(Status::kInvalidArgument, "journal opened read-only");
    if (broken_) return refuse(broken_status_, "an earlier commit failed");
    std::uint64_t prev = sent_;
    for (const Record& r : batch) {
      if (r.seq <= prev) return refuse(Status::kInvalidArgument, "sequence numbers must increase");
      prev = r.seq;
    }
    if (batch.empty()) {
      c->done = c->ok = true;
      c->last = sent_;
      return;
    }
    if (inflight_.size() == 1) {
      // Whatever happened on the idle connection (the server closed it, a
      // reset): handled now, so a dead connection is replaced before use.
      ioc_.restart();
      ioc_.poll();
    }
    if (!conn_->ac) {
      // sentinel://: the current primary (a reconnection after a failover
      // finds the promoted replica).
      std::string why;
      if (!journal::resolve_primary(&addr_, std::min(opt_.timeout_ms, 1000), &why))
        return refuse(Status::kUnavailable, why);
      if (!conn_->connect(addr_, &why)) return refuse(Status::kUnavailable, "cannot connect: " + why);
    }
    journal::plan_redis_append_checked(addr_.key, batch, sent_, ++appends_, &plan_, fence_);
    bool queued = redisAsyncCommandArgv(conn_->ac, &on_reply, c.get(), int(plan_.argv.size()),
                                        plan_.argv.data(), plan_.lens.data()) == REDIS_OK;
    if (queued && opt_.redis_wait_replicas > 0) {
      // Pipelined behind the EVAL on the same connection: Redis answers it
      // once that many replicas received the EVAL (or at the timeout).
      c->wait_replicas = opt_.redis_wait_replicas;
      c->wait_timeout_ms = opt_.redis_wait_timeout_ms;
      const std::string n = std::to_string(c->wait_replicas);
      const std::string t = std::to_string(c->wait_timeout_ms);
      const char* argv[] = {"WAIT", n.c_str(), t.c_str()};
      queued =
          redisAsyncCommandArgv(conn_->ac, &on_wait_reply, c.get(), 3, argv, nullptr) == REDIS_OK;
    }
    if (!queued) {
      refuse(Status::kUnavailable, "cannot send");
      conn_->drop();  // the replies of earlier commits are lost with it
      return;
    }
    c->last = prev;
    sent_ = prev;
    // Write it at once on a connected socket (no wait for writability: it
    // almost always is).
    if (conn_->ac && (conn_->ac->c.flags & REDIS_CONNECTED)) {
      redisAsyncHandleWrite(conn_->ac);  // may drop the connection: the reply's callback says
    }
    conn_->arm_write();  // what is left, or the connect still in progress
    conn_->arm_read();
  }

  Commit complete(bool block, std::string* error) override {
    return complete_one(block, /*wakeable=*/true, error);
  }
  std::size_t in_flight() const override { return inflight_.size(); }
  void wake() override {
    woken_.store(true, std::memory_order_release);
    asio::post(ioc_, [] {});  // ends a run_one() that waits
  }

  bool scan(std::uint64_t after, const std::function<bool(const Record&)>& fn,
            std::string* error) override {
    if (!reader_current(error)) return false;
    return track(sync_->scan(after, fn, error));
  }
  bool scan_commands(std::uint64_t after, const std::function<bool(const Record&)>& fn,
                     std::string* error) override {
    if (!reader_current(error)) return false;
    return track(sync_->scan_commands(after, fn, error));
  }
  bool scan_keys(Time since, const std::function<bool(const Record&)>& fn,
                 std::string* error) override {
    return track(sync_->scan_keys(since, fn, error));
  }
  std::uint64_t last_seq() const override { return last_; }
  bool save_snapshot(std::uint64_t seq, std::string_view image, std::string* error) override {
    return track(sync_->save_snapshot(seq, image, error));
  }
  bool load_snapshot(std::uint64_t* seq, std::string* image, std::string* error) override {
    return track(sync_->load_snapshot(seq, image, error));
  }
  bool sync(std::string* error) override {
    if (!track(sync_->sync(error))) return false;
    last_ = sync_->last_seq();
    if (inflight_.empty()) {
      sent_ = last_;
      broken_ = false;
      broken_status_ = Status::kUnavailable;
    }
    return true;
  }
  // Commits through this connection, snapshots through the synchronous one.
  void set_fence(const journal::Fence& fence) override {
    fence_ = fence;
    sync_->set_fence(fence);
  }
  bool probe_write(std::string* error) override {
    if (!track(sync_->probe_write(error))) return false;
    return sync(error);
  }
  Status status() const override { return status_; }
  std::string describe() const override { return sync_->describe(); }

 private:
  // The oldest commit's outcome. A failure drops the connection (every
  // later commit in flight fails with it: their outcome, like the failed
  // one's after a broken connection, is for sync() to find; the checked
  // EVAL makes sure none of them landed unless the failed one did) and
  // refuses new commits until the pipeline is empty again.
  Commit complete_one(bool block, bool wakeable, std::string* error) {
    if (inflight_.empty()) return Commit::kPending;
    std::shared_ptr<InFlight> c = inflight_.front();
    if (!c->done) {
      ioc_.restart();
      ioc_.poll();
    }
    if (!c->done && block) {
      bool timer_armed = false;
      while (!c->done) {
        if (wakeable && woken_.exchange(false, std::memory_order_acq_rel)) break;
        if (std::chrono::steady_clock::now() >= c->deadline) {
          c->done = true;
          c->error = "timed out";
          break;
        }
        if (!timer_armed) {
          timer_.expires_at(c->deadline);
          timer_.async_wait([](const boost::system::error_code&) {});  // ends run_one() at the deadline
          timer_armed = true;
        }
        ioc_.restart();
        ioc_.run_one();
      }
      if (timer_armed) timer_.cancel();
    }
    if (!c->done) return Commit::kPending;
    inflight_.pop_front();
    if (c->ok) {
      last_ = c->last;
      if (inflight_.empty()) broken_ = false, broken_status_ = Status::kUnavailable;
      return ok() ? Commit::kDurable : Commit::kFailed;
    }
    if (c->status != Status::kInvalidArgument || !inflight_.empty()) {
      broken_ = true;
      conn_->drop();  // later commits' callbacks run now, with no reply
      if (c->status == Status::kFenced) {
        // Deposed: the commits behind it could not land either (the epoch
        // never goes back); they and every new one until the pipeline is
        // empty say so.
        broken_status_ = Status::kFenced;
        for (const auto& later : inflight_)
          if (!later->ok) later->status = Status::kFenced;
      }
    }
    if (inflight_.empty()) {
      broken_ = false;
      broken_status_ = Status::kUnavailable;
      sent_ = last_;
    }
    const bool waited = c->error.rfind("WAIT", 0) == 0;  // the EVAL landed; WAIT said no
    fail(c->status,
         (waited ? "" : "EVAL: ") + (c->error.empty() ? std::string("connection lost") : c->error),
         error);
    return Commit::kFailed;
  }

  // The reader's idea of where the stream ends follows our appends.
  bool reader_current(std::string* error) {
    if (sync_->last_seq() == last_) return true;
    return sync(error);
  }
  bool track(bool ok) {
    status_ = sync_->status();
    return ok;
  }
  bool ok() {
    status_ = Status::kOk;
    return true;
  }
  bool fail(Status s, const std::string& what, std::string* error) {
    status_ = s;
    if (error)
      *error = "redis " + addr_.host + ":" + std::to_string(addr_.port) + "/" +
               std::to_string(addr_.db) + ": " + what;
    return false;
  }

  journal::RedisAddress addr_;
  journal::OpenOptions opt_;
  std::unique_ptr<journal::Journal> sync_;
  asio::io_context ioc_{1};
  asio::steady_timer timer_;
  std::shared_ptr<Conn> conn_;
  journal::RedisAppend plan_;
  std::uint64_t appends_ = 0;
  std::uint64_t last_ = 0;  // durable: the last commit that completed, or sync()
  std::uint64_t sent_ = 0;  // the last seq sent: the next commit's expected stream end
  bool broken_ = false;     // a commit failed and others are still in flight
  Status broken_status_ = Status::kUnavailable;  // what the commits behind it report
  journal::Fence fence_;    // epoch 0: unfenced
  std::deque<std::shared_ptr<InFlight>> inflight_;
  std::atomic<bool> woken_{false};
  Status status_ = Status::kOk;
};

}  // namespace

std::unique_ptr<journal::Journal> open_redis_asio(std::string_view url,
                                                  const journal::OpenOptions& options,
                                                  journal::OpenReport* report, std::string* error) {
  journal::RedisAddress a;
  if (!journal::parse_redis_url(url, &a, error)) return nullptr;
  auto sync = journal::open(url, options, report, error);
  if (!sync) return nullptr;
  return std::make_unique<AsioRedisJournal>(std::move(a), options, std::move(sync));
}

}  // namespace qc::gw
