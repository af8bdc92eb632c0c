// Recovery of one shard from its journal (see runtime.h, "Recovery").
//
// rebuild() runs before the shard's thread starts (Shard::recover()), and on
// the shard thread after a failed commit, once a tick finds the store
// writable again. Thread-safety: the caller owns `s` (shard_state.h).
#pragma once

#include <string>

#include "server/runtime/shard_state.h"

namespace qc::gw {

// The journal's recover() (snapshot + replay, store/recovery.h) rebuilds the
// engine; its callbacks rebuild the idempotency keys and the token map; the
// directory is refilled from the engine. Clears `degraded` on success, sets
// it (and *error) on failure.
bool rebuild(ShardState& s, std::string* error);

// Ids claimed by groups whose commit failed (CommitPipeline::fail_all()) are
// free again once the rebuild shows their command did not land.
void settle_claims(ShardState& s);

}  // namespace qc::gw
