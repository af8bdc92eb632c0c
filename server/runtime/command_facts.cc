#include "server/runtime/command_facts.h"

#include "server/runtime/directory.h"

#include <algorithm>
#include <cctype>
#include <type_traits>

namespace qc::gw {


Op op_for(const CommandBody& b) {
  return std::visit(
      [](const auto& c) -> Op {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, CreateSession> || std::is_same_v<T, DefineChannel> ||
                      std::is_same_v<T, DefineTemplate> || std::is_same_v<T, GenerateSessions> ||
                      std::is_same_v<T, AdjustQuotas> || std::is_same_v<T, DoctorLeave>)
          return Op::kAdminCommand;
        else if constexpr (std::is_same_v<T, Book> || std::is_same_v<T, Hold> ||
                           std::is_same_v<T, Confirm> || std::is_same_v<T, Release>)
          return Op::kBook;
        else if constexpr (std::is_same_v<T, Cancel>)
          return Op::kCancel;
        else if constexpr (std::is_same_v<T, RegisterWalkIn>)
          return Op::kWalkIn;
        else if constexpr (std::is_same_v<T, CheckIn>)
          return Op::kCheckIn;
        else if constexpr (std::is_same_v<T, ReturnFromTests>)
          return Op::kReturnFromTests;
        else if constexpr (std::is_same_v<T, Tick>)
          return Op::kTick;
        else
          return Op::kNurseAction;
      },
      b);
}

bool creates(const CommandBody& b) {
  return std::holds_alternative<CreateSession>(b) || std::holds_alternative<Book>(b) ||
         std::holds_alternative<Hold>(b) || std::holds_alternative<Confirm>(b) ||
         std::holds_alternative<RegisterWalkIn>(b);
}

// The session id a command names directly, if any.
const std::string* session_of(const CommandBody& b) {
  return std::visit(
      [](const auto& c) -> const std::string* {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, CreateSession>) return &c.spec.session_id;
        else if constexpr (requires { c.session_id; }) return &c.session_id;
        else return nullptr;
      },
      b);
}
const std::string* ticket_of(const CommandBody& b) {
  return std::visit(
      [](const auto& c) -> const std::string* {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, Book> || std::is_same_v<T, RegisterWalkIn> ||
                      std::is_same_v<T, Confirm>)
          return nullptr;  // a new ticket's id
        else if constexpr (requires { c.ticket_id; }) return &c.ticket_id;
        else return nullptr;
      },
      b);
}
const std::string* hold_of(const CommandBody& b) {
  if (auto* c = std::get_if<Confirm>(&b)) return &c->hold_id;
  if (auto* r = std::get_if<Release>(&b)) return &r->hold_id;
  return nullptr;
}
const std::string* priority_of(const CommandBody& b) {
  if (auto* c = std::get_if<Book>(&b)) return &c->priority;
  if (auto* c = std::get_if<Hold>(&b)) return &c->priority;
  if (auto* c = std::get_if<RegisterWalkIn>(&b)) return &c->priority;
  if (auto* c = std::get_if<SetPriority>(&b)) return &c->priority;
  return nullptr;
}
const std::string* token_of(const CommandBody& b) {
  if (auto* c = std::get_if<Book>(&b)) return &c->token;
  if (auto* c = std::get_if<Confirm>(&b)) return &c->token;
  if (auto* c = std::get_if<RegisterWalkIn>(&b)) return &c->token;
  return nullptr;
}

bool has_assigned_id_form(std::string_view id) {
  auto digits = [](std::string_view d) {
    return !d.empty() && d.find_first_not_of("0123456789") == std::string_view::npos;
  };
  if (auto dot = id.rfind('.'); dot != std::string_view::npos && digits(id.substr(dot + 1)))
    id = id.substr(0, dot);  // a ".2" suffix
  auto dash = id.rfind('-');
  if (dash == std::string_view::npos || dash + 1 >= id.size()) return false;
  const char kind = id[dash + 1];
  return (kind == 'A' || kind == 'W' || kind == 'H') && digits(id.substr(dash + 2));
}

Error check_chosen_ids(const CommandBody& b, std::string* msg) {
  if (auto* cs = std::get_if<CreateSession>(&b)) {
    // A session id is shown in paths: one that no path can name (a '/',
    // '\\', control character or dot segment: docs/api.md "Paths") would
    // make the session unreachable. Other characters (spaces, Han) are
    // percent-encoded in paths and fine.
    const std::string& sid = cs->spec.session_id;
    const bool reachable = sid != "." && sid != ".." && std::none_of(sid.begin(), sid.end(), [](char ch) {
      const auto c = static_cast<unsigned char>(ch);
      return c < 0x20 || c == 0x7f || c == '/' || c == '\\';
    });
    if (reachable) return Error::kOk;
    if (msg) *msg = "sessionId may not be \".\" or \"..\" nor hold '/', '\\' or control characters";
    return Error::kInvalidArgument;
  }
  const std::string* id = nullptr;
  const char* what = "ticketId";
  if (auto* c = std::get_if<Book>(&b)) id = &c->ticket_id;
  else if (auto* c = std::get_if<Confirm>(&b)) id = &c->ticket_id;
  else if (auto* c = std::get_if<RegisterWalkIn>(&b)) id = &c->ticket_id;
  else if (auto* c = std::get_if<Hold>(&b)) id = &c->hold_id, what = "holdId";
  if (!id || id->empty()) return Error::kOk;
  // Only plain ASCII: an id that every path, log and page shows as it is
  // (no '/', dot segment, percent sign, space, control or look-alike
  // character such as a fullwidth 'Ａ'), so a chosen id is never
  // unaddressable by its own path nor mistaken for another.
  const bool plain = std::isalnum(static_cast<unsigned char>((*id)[0])) &&
                     std::all_of(id->begin(), id->end(), [](char ch) {
                       const auto c = static_cast<unsigned char>(ch);
                       return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':';
                     });
  if (!plain) {
    if (msg) {
      *msg = what;
      *msg += " may only hold ASCII letters, digits and . _ : - and must start with a letter or digit";
    }
    return Error::kInvalidArgument;
  }
  // Not the assigned form in any case: "y-a001" would read as session y's A001.
  std::string upper(*id);
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (!has_assigned_id_form(upper)) return Error::kOk;
  if (msg) {
    *msg = what;
    *msg += " \"" + *id +
            "\" has the form of an id the server assigns (<session>-A001, -W001, -H1); "
            "choose another or leave it out";
  }
  return Error::kInvalidArgument;
}

std::string actor_string(const Actor& a) {
  if (a.kind == ActorKind::kSystem && a.id.empty()) return "system";
  std::string s(to_string(a.kind));
  s += ':';
  s += a.id;
  return s;
}

std::pair<int, const std::string*> server_wide_id(const CommandBody& b) {
  const std::string* id = nullptr;
  int map = Directory::kTicket;
  if (auto* c = std::get_if<CreateSession>(&b)) map = Directory::kSession, id = &c->spec.session_id;
  else if (auto* h = std::get_if<Hold>(&b)) map = Directory::kHold, id = &h->hold_id;
  else if (auto* k = std::get_if<Book>(&b)) id = &k->ticket_id;
  else if (auto* f = std::get_if<Confirm>(&b)) id = &f->ticket_id;
  else if (auto* w = std::get_if<RegisterWalkIn>(&b)) id = &w->ticket_id;
  return {map, id && !id->empty() ? id : nullptr};
}

}  // namespace qc::gw
