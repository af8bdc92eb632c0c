// One command on its shard, in order: the shard's health, the idempotency
// key (a replay answers the remembered response), the caller-chosen ids,
// authorization, the booking limits, the server-wide id claim, the engine,
// then the reply and the journal record, both added to the group being
// applied (commit_pipeline.h answers the group once its commit is known).
//
// Thread-safety: the shard thread only.
#pragma once

#include <string>
#include <string_view>
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
  // The reply to an applied command (its events, and what it created),
  // encoded in the request's format into o->body; with an idempotency key
  // also as stored (binary, patientRefs kept) into *stored. Encoded here,
  // once, from the engine's structs: handing the structs to the network
  // thread to encode there cost ~1.5 us more per command (copies allocated
  // here and freed there, the events converted to protobuf twice;
  // docs/bench-log/2026-12-06-house.md).
  void reply(const CommandRequest& req, Time now, CommandOutcome* o, std::string* stored);
  // Its journal record (with its idempotency key: the reply as stored). The
  // events' bytes are taken from `binary_reply` (the reply's binary form
  // built from them, or empty).
  void record(const CommandRequest& req, const Target& target, Time now, std::string stored,
              std::string_view binary_reply, Group& g);
  // Directory bookkeeping after an applied command.
  void note_ids(const Command& cmd);
  void cluster_claims(const Command& cmd, std::vector<std::string>* claims) const;

  ShardState& s_;
  // Reused between commands (Clear() keeps the allocations).
  std::vector<Event> events_;
  CommandReply reply_;
  bool resp_has_events_ = false;  // the reply's binary form holds events_ (record() reuses them)
  std::vector<std::string_view> event_bytes_;
  ::queuecast::v1::CommandResponse resp_;
  ::queuecast::v1::Event event_pb_;
  ::queuecast::v1::Command command_pb_;
};

}  // namespace qc::gw
