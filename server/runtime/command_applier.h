// One command on its shard, in order: the shard's health, the idempotency
// key (a replay answers the remembered response), the caller-chosen ids,
// authorization, the booking limits, the server-wide id claim, the engine,
// then the reply and the journal record, both added to the group being
// applied (commit_pipeline.h answers the group once its commit is known).
//
// Thread-safety: the shard thread only.
#pragma once

#include <string>
#include <vector>

#include "proto/codec.h"
#include "server/runtime/shard_state.h"

namespace qc::gw {

class CommandApplier {
 public:
  explicit CommandApplier(ShardState& s) : s_(s) {}

  // Applies `req` at `now` into `g`: adds its answer to g.acks (none for a
  // system command that changed nothing, an idle tick), its record to
  // g.records and its server-wide id claim to g.claims. `system`: the
  // shard's own command (tick), not authorized.
  void apply(CommandRequest& req, Time now, bool system, Group& g);

 private:
  // The answers that come before the engine is asked; true when `o` holds one.
  bool answered_before_apply(CommandRequest& req, Time now, bool system, Target* target,
                             CommandOutcome* o);
  // The reply to an applied command: its events, and what it created.
  void reply(const Command& cmd, Time now, CommandOutcome* o);
  // Its journal record (with its idempotency key: the reply as stored).
  void record(const CommandRequest& req, const Target& target, Time now,
              const CommandOutcome& o, Group& g);
  // Directory bookkeeping after an applied command.
  void note_ids(const Command& cmd);

  ShardState& s_;
  // Reused between commands (Clear() keeps the allocations).
  std::vector<Event> events_;
  ::queuecast::v1::CommandResponse resp_;
  ::queuecast::v1::Event event_pb_;
  ::queuecast::v1::Command command_pb_;
};

}  // namespace qc::gw
