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
template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

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
      Overloaded{
          [&](const CreateSession& c) { return op_create_session(st, a, c, now, events, m); },
          [&](const DefineChannel& c) { return op_define_channel(st, a, c, now, events, m); },
          [&](const Book& c) { return op_book(st, a, c, now, events, m); },
          [&](const Hold& c) { return op_hold(st, a, c, now, events, m); },
          [&](const Confirm& c) { return op_confirm(st, a, c, now, events, m); },
          [&](const Release& c) { return op_release(st, a, c, now, events, m); },
          [&](const Cancel& c) { return op_cancel(st, a, c, now, events, m); },
          [&](const RegisterWalkIn& c) { return op_register_walk_in(st, a, c, now, events, m); },
          [&](const CheckIn& c) { return op_check_in(st, a, c, now, events, m); },
          [&](const CallNext& c) { return op_call_next(st, a, c, now, events, m); },
          [&](const CallTicket& c) { return op_call_ticket(st, a, c, now, events, m); },
          [&](const Recall& c) { return op_recall(st, a, c, now, events, m); },
          [&](const Complete& c) { return op_complete(st, a, c, now, events, m); },
          [&](const MarkMissed& c) { return op_mark_missed(st, a, c, now, events, m); },
          [&](const ReturnTicket& c) { return op_return(st, a, c, now, events, m); },
          [&](const MoveToNext& c) { return op_move_to_next(st, a, c, now, events, m); },
          [&](const Pause& c) { return op_pause(st, a, c, now, events, m); },
          [&](const Resume& c) { return op_resume(st, a, c, now, events, m); },
          [&](const SuspendSession& c) { return op_suspend(st, a, c, now, events, m); },
          [&](const CloseSession& c) { return op_close(st, a, c, now, events, m); },
          [&](const Tick& c) { return op_tick(st, a, c, now, events, m); },
          [&](const DefineTemplate& c) {
            return apply_define_template(st, a, c, now, events, m);
          },
          [&](const GenerateSessions& c) {
            Error r = apply_generate_sessions(st, a, c, now, events, m);
            if (r == Error::kOk) touch_named(st, *events, before);
            return r;
          },
          [&](const AdjustQuotas& c) {
            Error r = apply_adjust_quotas(st, a, c, now, events, m);
            if (r == Error::kOk) touch_named(st, *events, before);
            return r;
          },
          [&](const DoctorLeave& c) {
            Error r = apply_doctor_leave(st, a, c, now, events, m);
            if (r == Error::kOk) touch_named(st, *events, before);
            return r;
          },
      },
      command.body);
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
  if (s.called < 0) return std::nullopt;
  return s.tickets[s.called].id;
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
