// Facts about an engine command that the runtime needs for routing,
// authorization and journaling. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "engine/command.h"
#include "server/runtime/auth.h"

namespace qc::gw {

// The operation a command asks for (authorization).
Op op_for(const CommandBody& b);
// Whether it creates a session, ticket or hold (HTTP 201).
bool creates(const CommandBody& b);
// The session / existing ticket / hold a command names; null when none.
const std::string* session_of(const CommandBody& b);
const std::string* ticket_of(const CommandBody& b);
const std::string* hold_of(const CommandBody& b);
// The id a command creates that must be unique across the server (and, in
// cluster mode, the cluster) and is chosen by the caller: a new session id,
// a chosen ticket or hold id (engine-assigned ids, "<session>-A001",
// "<session>-H1", derive from their session's). Its Directory map
// (Directory::kSession, kTicket, kHold) and the id; {map, nullptr} when none.
std::pair<int, const std::string*> server_wide_id(const CommandBody& b);
// The priority reason a command gives (book, hold, register_walk_in,
// set_priority; "" none or, for set_priority, removed); null otherwise.
const std::string* priority_of(const CommandBody& b);
// The patient token a command carries (book, confirm, walk-in); null otherwise.
const std::string* token_of(const CommandBody& b);
// Whether `id` has the form of an engine-assigned ticket or hold id:
// "...-A001", "...-W012", "...-H3", optionally made unique with ".2".
bool has_assigned_id_form(std::string_view id);
// Ticket and hold ids chosen by a caller never have that form (in any
// letter case), so they cannot take the place of an id the engine will
// assign to some session, and hold only ASCII letters, digits and . _ : -
// (docs/api.md "Ids"): kInvalidArgument with *msg otherwise. A new session
// id must be reachable by a path (no '/', '\\', control character, "." or "..").
Error check_chosen_ids(const CommandBody& b, std::string* msg);
// "nurse:n17", "system": the journal's actor column.
std::string actor_string(const Actor& a);

}  // namespace qc::gw
