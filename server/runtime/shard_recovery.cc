#include "server/runtime/shard_recovery.h"

#include <algorithm>

#include "store/recovery.h"
#include "server/infra/log.h"
#include "server/runtime/command_facts.h"

namespace qc::gw {

bool rebuild(ShardState& s, std::string* error) {
  s.idem = IdempotencyMap(s.options.idempotency_max, s.options.idempotency_ttl);
  journal::RecoveryOptions ro;
  ro.key_window = s.options.idempotency_ttl;
  ro.on_key = [&](const journal::Record& r) {
    s.idem.remember(r.idempotency_key, r.request_fingerprint, r.response, r.at);
    s.directory.remember_key(r.idempotency_key, r.request_fingerprint, r.at);
  };
  ro.on_command = [&](const journal::Record&, const Command& cmd) {
    if (const std::string* tok = token_of(cmd.body)) s.directory.put(Directory::kToken, *tok, s.index);
  };
  journal::RecoveryReport report;
  std::string err;
  bool ok = journal::recover(*s.journal, &s.engine, ro, &report, &err);
  for (const auto& p : report.problems)
    log_event("warn", "recovery_problem", {{"shard", std::to_string(s.index)}, {"detail", p}});
  if (!ok) {
    if (error) *error = err;
    s.degraded = true;
    log_event("error", "recovery_failed", {{"shard", std::to_string(s.index)}, {"error", err}});
    return false;
  }
  if (s.directory.shards() > 1) {
    for (const auto& sid : s.engine.session_ids()) {
      s.directory.put(Directory::kSession, sid, s.index);
      if (auto v = s.engine.staff_view(sid, 0))
        for (const auto& t : v->tickets) s.directory.put(Directory::kTicket, t.ticket_id, s.index);
    }
    for (const auto& hid : s.engine.hold_ids()) s.directory.put(Directory::kHold, hid, s.index);
  }
  s.next_seq = std::max(report.last_seq, s.journal->last_seq()) + 1;
  s.checkpoint.reset(s.engine, report.last_seq);  // the rollback base
  s.since_snapshot = report.records_replayed;
  // As if they weighed enough: by count alone, a snapshot is due as before.
  s.since_snapshot_bytes = s.checkpoint.image_bytes();
  settle_claims(s);
  s.degraded = false;
  s.recovered = true;
  log_event("info", "recovered",
            {{"shard", std::to_string(s.index)}, {"store", s.journal->describe()},
             {"summary", report.summary()}});
  return true;
}

void settle_claims(ShardState& s) {
  for (const auto& [map, id] : s.unsettled_claims)
    if (!(map == Directory::kSession ? s.engine.has_session(id)
          : map == Directory::kHold  ? s.engine.hold_session(id).has_value()
                                     : s.engine.ticket_session(id).has_value()))
      s.directory.release(map, id, s.index);
  s.unsettled_claims.clear();
}

}  // namespace qc::gw
