#include "store/sqlite_journal.h"

#include <sqlite3.h>

#include <chrono>
#include <cstring>
#include <filesystem>

#include "store/store_journal.h"
#include "store/wal_check.h"

namespace qc::journal {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS commands(
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,            -- the command's time, ms since the Unix epoch (UTC)
  session_id TEXT NOT NULL,
  actor TEXT NOT NULL,            -- nurse:n17, channel:wechat, system
  command_name TEXT NOT NULL,     -- call_next, check_in, ...
  idempotency_key TEXT,
  command BLOB NOT NULL,          -- queuecast.v1.Command
  response BLOB,                  -- the acknowledged answer (idempotent retries)
  request_fingerprint BLOB);      -- what the key stands for (SHA-256 of the request)
CREATE TABLE IF NOT EXISTS events(
  seq INTEGER NOT NULL,           -- the command that produced it
  idx INTEGER NOT NULL,           -- its position among that command's events
  at INTEGER NOT NULL,
  session_id TEXT NOT NULL,
  actor TEXT NOT NULL,
  type TEXT NOT NULL,             -- ticket_called, checked_in, ...
  ticket_id TEXT NOT NULL,
  event BLOB NOT NULL,            -- queuecast.v1.Event
  PRIMARY KEY(seq, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots(
  seq INTEGER PRIMARY KEY,        -- the image is the state after this command
  taken_at INTEGER NOT NULL,      -- wall clock, ms
  image BLOB NOT NULL);
-- Only indexes that grow at their right edge (time order): an index on
-- session or ticket would touch one B-tree page per session per commit
-- (measured: 4x fewer commands per second). Audit queries scan by seq, or
-- run on a copy with its own indexes.
CREATE INDEX IF NOT EXISTS commands_keyed ON commands(at) WHERE idempotency_key IS NOT NULL;
INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', '1');
)sql";

Status status_of(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_MISUSE:
      return Status::kInvalidArgument;
    default:
      return Status::kUnavailable;
  }
}

class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(s_); }
  bool prepare(sqlite3* db, const char* sql) {
    return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) == SQLITE_OK;
  }
  sqlite3_stmt* get() const { return s_; }
  void text(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), int(v.size()), SQLITE_STATIC);
  }
  void blob(int i, std::string_view v) {
    sqlite3_bind_blob(s_, i, v.data(), int(v.size()), SQLITE_STATIC);
  }
  void i64(int i, std::int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void null(int i) { sqlite3_bind_null(s_, i); }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  std::string col_str(int i) const {
    const void* p = sqlite3_column_blob(s_, i);
    const int n = sqlite3_column_bytes(s_, i);
    return p ? std::string(static_cast<const char*>(p), std::size_t(n)) : std::string();
  }

 private:
  sqlite3_stmt* s_ = nullptr;
};

// One row of sel_cmd_ or sel_keys_ (the same columns) into *r; events untouched.
void read_command(const Stmt& s, Record* r) {
  r->seq = std::uint64_t(sqlite3_column_int64(s.get(), 0));
  r->at = sqlite3_column_int64(s.get(), 1);
  r->session_id = s.col_str(2);
  r->actor = s.col_str(3);
  r->command_name = s.col_str(4);
  r->idempotency_key = s.col_str(5);
  r->command = s.col_str(6);
  r->response = s.col_str(7);
  r->request_fingerprint = s.col_str(8);
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class SqliteJournal final : public StoreJournal {
 public:
  bool init(const std::string& path, const OpenOptions& o, std::string* error) {
    path_ = path;
    read_only_ = o.read_only;
    const int flags = (o.read_only ? SQLITE_OPEN_READONLY
                                   : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                      SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path.c_str(), &db_.p, flags, nullptr);
    if (rc != SQLITE_OK) return fail(rc, "open", error);
    sqlite3_busy_timeout(db_, o.timeout_ms);
    sqlite3_extended_result_codes(db_, 1);
    if (!o.read_only) {
      if (!exec("PRAGMA journal_mode=WAL", error)) return false;
      if (!exec("PRAGMA synchronous=FULL", error)) return false;
      if (!exec(kSchema, error)) return false;
      // Journals created before request fingerprints: add the column (a
      // NULL fingerprint matches any request, as before).
      if (!has_fingerprint_column() &&
          !exec("ALTER TABLE commands ADD COLUMN request_fingerprint BLOB", error))
        return false;
    } else {
      // A reader of a live database: the writer keeps the WAL.
      if (!exec("PRAGMA query_only=1", error)) return false;
    }
    // A read-only opener of an old journal reads NULL fingerprints (and
    // never inserts).
    const bool has_fp = has_fingerprint_column();
    const std::string fp = has_fp ? "request_fingerprint" : "NULL";
    const std::string ins_cmd = std::string("INSERT INTO commands(seq, at, session_id, actor, "
                                            "command_name, idempotency_key, command, response") +
                                (has_fp ? ", request_fingerprint) VALUES(?,?,?,?,?,?,?,?,?)"
                                        : ") VALUES(?,?,?,?,?,?,?,?)");
    // Both selects return the columns read_command() reads; the keys scan
    // leaves the command out (NULL).
    const std::string cols = "SELECT seq, at, session_id, actor, command_name, idempotency_key, ";
    const std::string sel_cmd =
        cols + "command, response, " + fp + " FROM commands WHERE seq > ? ORDER BY seq";
    const std::string sel_keys = cols + "NULL, response, " + fp +
                                 " FROM commands WHERE idempotency_key IS NOT NULL "
                                 "AND at >= ? ORDER BY seq";
    const bool ok =
        begin_.prepare(db_, "BEGIN IMMEDIATE") && commit_.prepare(db_, "COMMIT") &&
        rollback_.prepare(db_, "ROLLBACK") &&
        ins_cmd_.prepare(db_, ins_cmd.c_str()) &&
        ins_ev_.prepare(db_,
                        "INSERT INTO events(seq, idx, at, session_id, actor, type, ticket_id, "
                        "event) VALUES(?,?,?,?,?,?,?,?)") &&
        sel_cmd_.prepare(db_, sel_cmd.c_str()) &&
        sel_ev_.prepare(db_,
                        "SELECT seq, type, ticket_id, event, session_id FROM events "
                        "WHERE seq > ? ORDER BY seq, idx") &&
        ins_snap_.prepare(db_,
                          "INSERT OR REPLACE INTO snapshots(seq, taken_at, image) VALUES(?,?,?)") &&
        del_snap_.prepare(db_,
                          "DELETE FROM snapshots WHERE seq NOT IN "
                          "(SELECT seq FROM snapshots ORDER BY seq DESC LIMIT 2)") &&
        sel_snap_.prepare(db_, "SELECT seq, image FROM snapshots ORDER BY seq DESC LIMIT 1") &&
        max_seq_.prepare(db_, "SELECT coalesce(max(seq), 0) FROM commands") &&
        (o.read_only ||
         probe_.prepare(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES('write_probe', ?)")) &&
        sel_keys_.prepare(db_, sel_keys.c_str());
    if (!ok) return fail(sqlite3_errcode(db_), "prepare", error);
    return refresh_last(error);
  }

  bool append(std::span<const Record> batch, std::string* error) override {
    if (read_only_) return invalid("journal opened read-only", error);
    std::uint64_t prev = last_;
    for (const Record& r : batch) {
      if (r.seq <= prev) return invalid("sequence numbers must increase", error);
      prev = r.seq;
    }
    if (batch.empty()) return ok();
    int rc = step_done(begin_);
    if (rc != SQLITE_DONE) return fail(rc, "begin", error);
    for (const Record& r : batch) {
      ins_cmd_.i64(1, std::int64_t(r.seq));
      ins_cmd_.i64(2, r.at);
      ins_cmd_.text(3, r.session_id);
      ins_cmd_.text(4, r.actor);
      ins_cmd_.text(5, r.command_name);
      if (r.idempotency_key.empty()) ins_cmd_.null(6); else ins_cmd_.text(6, r.idempotency_key);
      ins_cmd_.blob(7, r.command);
      if (r.response.empty()) ins_cmd_.null(8); else ins_cmd_.blob(8, r.response);
      if (r.request_fingerprint.empty()) ins_cmd_.null(9);
      else ins_cmd_.blob(9, r.request_fingerprint);
      rc = step_done(ins_cmd_);
      if (rc != SQLITE_DONE) return abort(rc, "insert command", error);
      std::int64_t idx = 0;
      for (const EventRow& e : r.events) {
        ins_ev_.i64(1, std::int64_t(r.seq));
        ins_ev_.i64(2, idx++);
        ins_ev_.i64(3, r.at);
        ins_ev_.text(4, e.session_id.empty() ? r.session_id : e.session_id);
        ins_ev_.text(5, r.actor);
        ins_ev_.text(6, e.type);
        ins_ev_.text(7, e.ticket_id);
        ins_ev_.blob(8, e.bytes);
        rc = step_done(ins_ev_);
        if (rc != SQLITE_DONE) return abort(rc, "insert event", error);
      }
    }
    rc = step_done(commit_);
    if (rc != SQLITE_DONE) return abort(rc, "commit", error);
    last_ = prev;
    return ok();
  }

  std::uint64_t last_seq() const override { return last_; }

  bool scan_keys(Time since, const std::function<bool(const Record&)>& fn,
                 std::string* error) override {
    sqlite3_stmt* c = sel_keys_.get();
    sel_keys_.i64(1, since);
    Record r;
    int rc;
    while ((rc = sqlite3_step(c)) == SQLITE_ROW) {
      read_command(sel_keys_, &r);
      if (!fn(r)) {
        rc = SQLITE_DONE;
        break;
      }
    }
    sel_keys_.reset();
    if (rc != SQLITE_DONE) return fail(rc, "scan keys", error);
    return ok();
  }

  bool save_snapshot(std::uint64_t seq, std::string_view image, std::string* error) override {
    if (read_only_) return invalid("journal opened read-only", error);
    int rc = step_done(begin_);
    if (rc != SQLITE_DONE) return fail(rc, "begin", error);
    ins_snap_.i64(1, std::int64_t(seq));
    ins_snap_.i64(2, wall_ms());
    ins_snap_.blob(3, image);
    rc = step_done(ins_snap_);
    if (rc != SQLITE_DONE) return abort(rc, "insert snapshot", error);
    rc = step_done(del_snap_);
    if (rc != SQLITE_DONE) return abort(rc, "prune snapshots", error);
    rc = step_done(commit_);
    if (rc != SQLITE_DONE) return abort(rc, "commit snapshot", error);
    return ok();
  }

  bool load_snapshot(std::uint64_t* seq, std::string* image, std::string* error) override {
    *seq = 0;
    image->clear();
    const int rc = sqlite3_step(sel_snap_.get());
    if (rc == SQLITE_ROW) {
      *seq = std::uint64_t(sqlite3_column_int64(sel_snap_.get(), 0));
      *image = sel_snap_.col_str(1);
    }
    sel_snap_.reset();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return fail(rc, "load snapshot", error);
    status_ = Status::kOk;
    if (error && rc == SQLITE_DONE) error->clear();
    return rc == SQLITE_ROW;
  }

  bool sync(std::string* error) override { return refresh_last(error); }
  // Copies the WAL's valid frames into the database and empties the WAL,
  // so that frames SQLite dropped (a torn tail, a truncated damage) cannot
  // be found again after the new ones at the next start. Best effort.
  void checkpoint_truncate() { exec("PRAGMA wal_checkpoint(TRUNCATE)", nullptr); }
  bool probe_write(std::string* error) override {
    if (read_only_) return invalid("journal opened read-only", error);
    int rc = step_done(begin_);
    if (rc != SQLITE_DONE) return fail(rc, "begin", error);
    probe_.i64(1, wall_ms());
    rc = step_done(probe_);
    if (rc != SQLITE_DONE) return abort(rc, "write probe", error);
    rc = step_done(commit_);
    if (rc != SQLITE_DONE) return abort(rc, "commit probe", error);
    return refresh_last(error);
  }
  std::string describe() const override { return "sqlite://" + path_; }

 private:
  bool scan_records(std::uint64_t after, const std::function<bool(const Record&)>& fn,
                    bool with_events, std::string* error) override {
    // Both cursors in one read transaction, so they see the same commit.
    if (!exec("BEGIN", error)) return false;
    sqlite3_stmt* c = sel_cmd_.get();
    sqlite3_stmt* e = sel_ev_.get();
    sel_cmd_.i64(1, std::int64_t(after));
    sel_ev_.i64(1, std::int64_t(after));
    Record r;
    int erc = with_events ? sqlite3_step(e) : SQLITE_DONE;
    int rc;
    bool stopped = false;
    while ((rc = sqlite3_step(c)) == SQLITE_ROW) {
      read_command(sel_cmd_, &r);
      r.events.clear();
      while (erc == SQLITE_ROW && std::uint64_t(sqlite3_column_int64(e, 0)) <= r.seq) {
        if (std::uint64_t(sqlite3_column_int64(e, 0)) == r.seq) {
          EventRow ev;
          ev.type = sel_ev_.col_str(1);
          ev.ticket_id = sel_ev_.col_str(2);
          ev.bytes = sel_ev_.col_str(3);
          std::string sid = sel_ev_.col_str(4);
          if (sid != r.session_id) ev.session_id = std::move(sid);
          r.events.push_back(std::move(ev));
        }
        erc = sqlite3_step(e);
      }
      if (!fn(r)) {
        stopped = true;
        break;
      }
    }
    sel_cmd_.reset();
    sel_ev_.reset();
    exec("COMMIT", nullptr);
    if (!stopped && rc != SQLITE_DONE) return fail(rc, "scan", error);
    if (with_events && !stopped && erc != SQLITE_DONE && erc != SQLITE_ROW)
      return fail(erc, "scan events", error);
    return ok();
  }

  bool has_fingerprint_column() {
    sqlite3_stmt* st = nullptr;
    bool found = false;
    if (sqlite3_prepare_v2(db_, "SELECT 1 FROM pragma_table_info('commands') "
                                "WHERE name = 'request_fingerprint'", -1, &st, nullptr) == SQLITE_OK)
      found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
  }

  bool refresh_last(std::string* error) {
    const int rc = sqlite3_step(max_seq_.get());
    if (rc == SQLITE_ROW) last_ = std::uint64_t(sqlite3_column_int64(max_seq_.get(), 0));
    max_seq_.reset();
    if (rc != SQLITE_ROW) return fail(rc, "read last seq", error);
    return ok();
  }

  int step_done(Stmt& s) {
    const int rc = sqlite3_step(s.get());
    s.reset();
    return rc;
  }
  bool exec(const char* sql, std::string* error) {
    char* msg = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &msg);
    if (rc != SQLITE_OK) {
      status_ = status_of(rc);
      if (error) *error = "sqlite " + path_ + ": " + (msg ? msg : sqlite3_errstr(rc));
      sqlite3_free(msg);
      return false;
    }
    return true;
  }
  bool fail(int rc, const char* what, std::string* error) {
    status_ = status_of(rc);
    if (error) {
      *error = "sqlite " + path_ + ": " + what + ": " +
               (db_.p ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    }
    return false;
  }
  bool abort(int rc, const char* what, std::string* error) {
    fail(rc, what, error);
    if (!sqlite3_get_autocommit(db_)) step_done(rollback_);
    return false;
  }

  // Closed after the statements below are finalized (members die in reverse).
  struct Db {
    sqlite3* p = nullptr;
    ~Db() { sqlite3_close_v2(p); }
    operator sqlite3*() const { return p; }
  };
  std::string path_;
  bool read_only_ = false;
  Db db_;
  std::uint64_t last_ = 0;
  Stmt begin_, commit_, rollback_, ins_cmd_, ins_ev_, sel_cmd_, sel_ev_, ins_snap_, del_snap_,
      sel_snap_, max_seq_, sel_keys_, probe_;
};

}  // namespace

std::unique_ptr<Journal> open_sqlite(const std::string& path, const OpenOptions& options,
                                     OpenReport* report, std::string* error) {
  if (path.empty()) {
    if (error) *error = "sqlite: empty path";
    return nullptr;
  }
  // A read-only opener (the replay tool) may run beside a live writer whose
  // WAL legitimately ends in a transaction being written: no report then.
  // Damage before later commits (below) is reported to it all the same.
  WalCheck wal = check_wal(path + "-wal");
  if (options.read_only && !wal.damaged) wal = WalCheck{};
  // Damage before later commits is not a torn tail: opening would drop
  // acknowledged commits (SQLite stops at the damaged frame and the next
  // checkpoint makes that final). Refuse before SQLite touches the file.
  const std::string damage =
      wal.damaged ? "sqlite " + path + "-wal: " + wal.problem + " (" +
                        std::to_string(wal.frames_after) +
                        " frame(s) after the damage; acknowledged commits)"
                  : std::string();
  if (wal.damaged && !options.truncate_damaged && !options.read_only) {
    if (error) {
      *error = damage +
               ": refusing to open. Back up " + path + " and " + path +
               "-wal, inspect with `queuecast replay --journal sqlite://" + path +
               "`, then restore a good copy or start queuecastd once with "
               "--truncate-damaged-journal to drop everything from the damage on "
               "(docs/durability.md \"A damaged journal\")";
    }
    return nullptr;
  }
  auto j = std::make_unique<SqliteJournal>();
  if (!j->init(path, options, error)) {
    if (wal.damaged && error) *error += " (" + damage + ")";
    return nullptr;
  }
  if (!options.read_only && !wal.problem.empty()) j->checkpoint_truncate();
  if (report) {
    report->store = "sqlite";
    report->location = path;
    report->last_seq = j->last_seq();
    if (wal.damaged) {
      report->dropped.push_back(damage + (options.read_only
                                              ? ": this read shows the journal up to the damage"
                                              : ": dropped as asked (--truncate-damaged-journal)"));
    } else if (!wal.problem.empty()) {
      report->dropped.push_back(
          "sqlite " + path + "-wal: " + wal.problem + "; dropped " +
          std::to_string(wal.dropped_frames) + " frame(s), " + std::to_string(wal.dropped_bytes) +
          " byte(s) of a transaction that never committed (never acknowledged)");
    }
  }
  return j;
}

}  // namespace qc::journal
