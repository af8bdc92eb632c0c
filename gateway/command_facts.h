// Facts about an engine command that the runtime needs for routing,
// authorization and journaling. Pure functions; thread-safe.
#pragma once

#include <string>

#include "engine/command.h"
#include "gateway/auth.h"

namespace qc::gw {

// The operation a command asks for (authorization).
Op op_for(const CommandBody& b);
// Whether it creates a session, ticket or hold (HTTP 201).
bool creates(const CommandBody& b);
// The session / existing ticket / hold a command names; null when none.
const std::string* session_of(const CommandBody& b);
const std::string* ticket_of(const CommandBody& b);
const std::string* hold_of(const CommandBody& b);
// The patient token a command carries (book, confirm, walk-in); null otherwise.
const std::string* token_of(const CommandBody& b);
// "nurse:n17", "system": the journal's actor column.
std::string actor_string(const Actor& a);

}  // namespace qc::gw
