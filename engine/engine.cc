// Engine: ownership, command dispatch, versions, simple reads.
#include "engine/engine.h"

#include <type_traits>
#include <utility>

#include "engine/ops.h"

namespace qc {

Engine::Engine(EngineOptions options) : state_(std::make_unique<State>()) {
  state_->options = options;
}
Engine::~Engine() = default;
Engine::Engine(const Engine& o) : state_(std::make_unique<State>(*o.state_)) {}
Engine& Engine::operator=(const Engine& o) {
  if (this != &o) state_ = std::make_unique<State>(*o.state_);
  return *this;
}
Engine::Engine(Engine&& o) noexcept : state_(std::move(o.state_)) {
  o.state_ = std::make_unique<State>();
}
Engine& Engine::operator=(Engine&& o) noexcept {
  if (this != &o) {
    state_ = std::move(o.state_);
    o.state_ = std::make_unique<State>();
  }
  return *this;
}

Result Engine::apply(const Command& command, Time now) {
  Result r;
  r.error = apply_into(command, now, &r.events, &r.message);
  return r;
}

namespace {
// Schedule commands may touch many sessions: bump the version of every
// session their events name (once each).
void touch_named(State& st, const Events& ev, std::size_t from) {
  std::string_view last;
  for (std::size_t i = from; i < ev.size(); ++i) {
    std::string_view sid = ev[i].session_id;
    if (sid.empty() || sid == last) continue;
    last = sid;
    SessionIdx si = find_session(st, sid);
    if (si != kNoSession) touch(st, si);
  }
}
// One overload per command. std::visit over a single generic lambda keeps
// the dispatch to an indirect call (no per-command object with a capture
// per handler).
#define QC_DISPATCH(Cmd, fn)                                                              \
  Error dispatch(State& st, const Actor& a, const Cmd& c, Time now, Events* ev, std::size_t, \
                 std::string* m) {                                                        \
    return fn(st, a, c, now, ev, m);                                                      \
  }
QC_DISPATCH(CreateSession, op_create_session)
QC_DISPATCH(DefineChannel, op_define_channel)
QC_DISPATCH(Book, op_book)
QC_DISPATCH(Hold, op_hold)
QC_DISPATCH(Confirm, op_confirm)
QC_DISPATCH(Release, op_release)
QC_DISPATCH(Cancel, op_cancel)
QC_DISPATCH(RegisterWalkIn, op_register_walk_in)
QC_DISPATCH(CheckIn, op_check_in)
QC_DISPATCH(CallNext, op_call_next)
QC_DISPATCH(CallTicket, op_call_ticket)
QC_DISPATCH(Recall, op_recall)
QC_DISPATCH(Complete, op_complete)
QC_DISPATCH(MarkMissed, op_mark_missed)
QC_DISPATCH(ReturnTicket, op_return)
QC_DISPATCH(MoveToNext, op_move_to_next)
QC_DISPATCH(Pause, op_pause)
QC_DISPATCH(Resume, op_resume)
QC_DISPATCH(SuspendSession, op_suspend)
QC_DISPATCH(CloseSession, op_close)
QC_DISPATCH(Tick, op_tick)
QC_DISPATCH(Undo, op_undo)
QC_DISPATCH(SetPriority, op_set_priority)
QC_DISPATCH(SendForTests, op_send_for_tests)
QC_DISPATCH(ReturnFromTests, op_return_from_tests)
QC_DISPATCH(DefineTemplate, apply_define_template)
#undef QC_DISPATCH
// Schedule commands that may touch many sessions.
#define QC_DISPATCH_NAMED(Cmd, fn)                                                          \
  Error dispatch(State& st, const Actor& a, const Cmd& c, Time now, Events* ev,             \
                 std::size_t before, std::string* m) {                                      \
    Error r = fn(st, a, c, now, ev, m);                                                     \
    if (r == Error::kOk) touch_named(st, *ev, before);                                      \
    return r;                                                                               \
  }
QC_DISPATCH_NAMED(GenerateSessions, apply_generate_sessions)
QC_DISPATCH_NAMED(AdjustQuotas, apply_adjust_quotas)
QC_DISPATCH_NAMED(DoctorLeave, apply_doctor_leave)
#undef QC_DISPATCH_NAMED
}  // namespace

Error Engine::apply_into(const Command& command, Time now, std::vector<Event>* events,
                         std::string* message) {
  State& st = *state_;
  if (now <= -kMaxTime || now >= kMaxTime)
    return reject(message, Error::kInvalidArgument, "now is out of range");
  ++st.command_stamp;
  const std::size_t before = events->size();
  const Actor& a = command.actor;
  std::string* m = message;
  Error e = std::visit(
      [&](const auto& c) { return dispatch(st, a, c, now, events, before, m); }, command.body);
  if (e != Error::kOk) events->resize(before);  // defensive: a rejection appends nothing
  return e;
}

// ---- reads ----

const EngineOptions& Engine::options() const { return state_->options; }

bool Engine::has_session(std::string_view id) const {
  return find_session(*state_, id) != kNoSession;
}

const SessionSpec* Engine::session_spec(std::string_view id) const {
  SessionIdx si = find_session(*state_, id);
  return si == kNoSession ? nullptr : &state_->sessions[si].spec;
}

std::uint64_t Engine::session_version(std::string_view id) const {
  SessionIdx si = find_session(*state_, id);
  return si == kNoSession ? 0 : state_->sessions[si].version;
}

std::vector<std::string> Engine::session_ids() const {
  std::vector<std::string> out;
  out.reserve(state_->sessions.size());
  for (const SessionRec& s : state_->sessions) out.push_back(s.spec.session_id);
  return out;
}

std::vector<std::string> Engine::waiting_order(std::string_view id) const {
  std::vector<std::string> out;
  SessionIdx si = find_session(*state_, id);
  if (si == kNoSession) return out;
  const SessionRec& s = state_->sessions[si];
  out.reserve(s.waiting.size());
  for (auto it = s.waiting.rbegin(); it != s.waiting.rend(); ++it)
    out.push_back(s.tickets[it->ticket].id);
  return out;
}

std::optional<std::string> Engine::called_ticket(std::string_view id) const {
  SessionIdx si = find_session(*state_, id);
  if (si == kNoSession) return std::nullopt;
  const SessionRec& s = state_->sessions[si];
  const std::int32_t c = s.last_called();
  if (c < 0) return std::nullopt;
  return s.tickets[c].id;
}

std::optional<TicketState> Engine::ticket_state(std::string_view id) const {
  Loc loc;
  if (!find_ticket(*state_, id, &loc)) return std::nullopt;
  return state_->sessions[loc.session].tickets[loc.index].state;
}

std::optional<std::string> Engine::ticket_session(std::string_view id) const {
  Loc loc;
  if (!find_ticket(*state_, id, &loc)) return std::nullopt;
  return state_->sessions[loc.session].spec.session_id;
}

std::optional<std::string> Engine::ticket_channel(std::string_view id) const {
  Loc loc;
  if (!find_ticket(*state_, id, &loc)) return std::nullopt;
  const std::uint32_t c = state_->sessions[loc.session].tickets[loc.index].channel;
  return c == 0 ? std::string() : state_->ticket_channels[c - 1];
}

std::optional<std::string> Engine::hold_channel(std::string_view id) const {
  auto it = state_->hold_index.find(id);
  if (it == state_->hold_index.end()) return std::nullopt;
  return state_->sessions[it->second.session].holds[it->second.index].channel;
}

std::optional<std::string> Engine::hold_session(std::string_view id) const {
  auto it = state_->hold_index.find(id);
  if (it == state_->hold_index.end()) return std::nullopt;
  return state_->sessions[it->second.session].spec.session_id;
}

std::vector<std::string> Engine::hold_ids() const {
  std::vector<std::string> out;
  out.reserve(state_->hold_index.size());
  for (const auto& [id, loc] : state_->hold_index) out.push_back(id);
  return out;
}

std::optional<std::string> Engine::ticket_token(std::string_view id) const {
  Loc loc;
  if (!find_ticket(*state_, id, &loc)) return std::nullopt;
  const TicketRec& t = state_->sessions[loc.session].tickets[loc.index];
  if (t.has_token) return unpack_token(t.token_bin);
  // Tokens of another form are rare (never issued by queuecastd): a scan.
  for (const auto& [token, l] : state_->other_tokens)
    if (l.session == loc.session && l.index == loc.index) return token;
  return std::nullopt;
}

std::optional<std::string> Engine::ticket_by_token(std::string_view token) const {
  Loc loc;
  if (token.empty() || !find_token(*state_, token, &loc)) return std::nullopt;
  return state_->sessions[loc.session].tickets[loc.index].id;
}

}  // namespace qc
