// Stable names of the engine's enums and commands, and name masking for
// public screens.
#include <array>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "engine/command.h"
#include "engine/engine.h"
#include "engine/event.h"
#include "engine/types.h"

namespace qc {

namespace {
constexpr std::array<std::string_view, kErrorCount> kErrorNames = {
    "ok",
    "unknown_session",
    "unknown_ticket",
    "wrong_state",
    "not_open_yet",
    "session_closed",
    "session_paused",
    "no_capacity",
    "cancel_deadline_passed",
    "already_booked",
    "blacklisted",
    "hold_expired",
    "invalid_argument",
    "unauthorized",
    "forbidden",
    "rate_limited",
    "already_exists",
    "unknown_hold",
    "booking_limit",
    "window_closed",
    "unavailable",
    "unknown_channel",
    "idempotency_key_reused",
    "nothing_to_undo",
    "undo_expired",
};

constexpr std::array<std::string_view, kEventTypeCount> kEventNames = {
    "session_created",    "channel_defined",   "hold_placed",        "hold_released",
    "hold_expired",       "ticket_booked",     "ticket_cancelled",   "walk_in_registered",
    "checked_in",         "ticket_called",     "ticket_recalled",    "ticket_completed",
    "ticket_missed",      "ticket_returned",   "moved_to_next",      "nobody_waiting",
    "session_paused",     "session_resumed",   "session_suspended",  "session_closed",
    "ticket_no_show",     "capacity_converted", "reserved_released", "patient_blacklisted",
    "template_defined",   "quotas_adjusted",   "action_undone",     "priority_set",
    "ticket_inserted",    "ticket_overtaken",  "ticket_protected",  "sent_for_tests",
    "returned_from_tests",
};

template <class T>
struct CommandNameOf;
#define QC_NAME(T, N) \
  template <>         \
  struct CommandNameOf<T> { static constexpr std::string_view value = N; };
QC_NAME(CreateSession, "create_session")
QC_NAME(DefineChannel, "define_channel")
QC_NAME(Book, "book")
QC_NAME(Hold, "hold")
QC_NAME(Confirm, "confirm")
QC_NAME(Release, "release")
QC_NAME(Cancel, "cancel")
QC_NAME(RegisterWalkIn, "register_walk_in")
QC_NAME(CheckIn, "check_in")
QC_NAME(CallNext, "call_next")
QC_NAME(CallTicket, "call_ticket")
QC_NAME(Recall, "recall")
QC_NAME(Complete, "complete")
QC_NAME(MarkMissed, "mark_missed")
QC_NAME(ReturnTicket, "return")
QC_NAME(MoveToNext, "move_to_next")
QC_NAME(Pause, "pause")
QC_NAME(Resume, "resume")
QC_NAME(SuspendSession, "suspend_session")
QC_NAME(CloseSession, "close_session")
QC_NAME(Tick, "tick")
QC_NAME(DefineTemplate, "define_template")
QC_NAME(GenerateSessions, "generate_sessions")
QC_NAME(AdjustQuotas, "adjust_quotas")
QC_NAME(DoctorLeave, "doctor_leave")
QC_NAME(Undo, "undo")
QC_NAME(SetPriority, "set_priority")
QC_NAME(SendForTests, "send_for_tests")
QC_NAME(ReturnFromTests, "return_from_tests")
#undef QC_NAME

// Length in bytes of the UTF-8 sequence starting with `c` (1 for invalid bytes).
std::size_t utf8_len(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c >> 5) == 0x6) return 2;
  if ((c >> 4) == 0xE) return 3;
  if ((c >> 3) == 0x1E) return 4;
  return 1;
}

std::string_view first_char(std::string_view s) {
  std::size_t n = utf8_len(static_cast<unsigned char>(s[0]));
  return s.substr(0, n > s.size() ? s.size() : n);
}
}  // namespace

std::string_view to_string(Error e) {
  auto i = static_cast<std::size_t>(e);
  return i < kErrorNames.size() ? kErrorNames[i] : "unknown_error";
}

bool parse_error(std::string_view name, Error* out) {
  for (std::size_t i = 0; i < kErrorNames.size(); ++i) {
    if (kErrorNames[i] == name) {
      *out = static_cast<Error>(i);
      return true;
    }
  }
  return false;
}

std::string_view to_string(TicketKind k) {
  return k == TicketKind::kAppointment ? "appointment" : "walk_in";
}

std::string_view to_string(TicketState s) {
  switch (s) {
    case TicketState::kBooked: return "booked";
    case TicketState::kWaiting: return "waiting";
    case TicketState::kCalled: return "called";
    case TicketState::kMissed: return "missed";
    case TicketState::kDone: return "done";
    case TicketState::kCancelled: return "cancelled";
    case TicketState::kNoShow: return "no_show";
    case TicketState::kAtTests: return "at_tests";
  }
  return "unknown";
}

std::string_view to_string(Policy p) {
  return p == Policy::kArrival ? "arrival" : "appointments_first";
}

std::string_view to_string(Placement p) {
  switch (p) {
    case Placement::kNone: return "none";
    case Placement::kNormal: return "normal";
    case Placement::kMadeNext: return "made_next";
    case Placement::kDemoted: return "demoted";
    case Placement::kInserted: return "inserted";
  }
  return "unknown";
}

std::string_view to_string(SessionStatus s) {
  switch (s) {
    case SessionStatus::kOpen: return "open";
    case SessionStatus::kPaused: return "paused";
    case SessionStatus::kSuspended: return "suspended";
    case SessionStatus::kClosed: return "closed";
  }
  return "unknown";
}

std::string_view to_string(ActorKind a) {
  switch (a) {
    case ActorKind::kSystem: return "system";
    case ActorKind::kNurse: return "nurse";
    case ActorKind::kAdmin: return "admin";
    case ActorKind::kChannel: return "channel";
    case ActorKind::kPatient: return "patient";
    case ActorKind::kDisplay: return "display";
    case ActorKind::kKiosk: return "kiosk";
  }
  return "unknown";
}

std::string_view to_string(EventType t) {
  auto i = static_cast<std::size_t>(t);
  return i < kEventNames.size() ? kEventNames[i] : "unknown_event";
}

std::string_view command_name(const CommandBody& body) {
  return std::visit(
      [](const auto& c) { return CommandNameOf<std::decay_t<decltype(c)>>::value; }, body);
}

// Latin names (containing a space or only ASCII): the first letter of the
// first word and "***", then the initial of every other word with a dot:
// "Zhang San" -> "Z*** S.". Other names (CJK): the first character, then one
// '*' per remaining character: "王小明" -> "王**".
std::string mask_name(std::string_view name) {
  // Trim spaces.
  while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  std::string out;
  if (name.empty()) return out;
  bool ascii = true;
  bool space = false;
  for (char c : name) {
    if (static_cast<unsigned char>(c) >= 0x80) ascii = false;
    if (c == ' ') space = true;
  }
  if (ascii || space) {
    bool first = true;
    std::size_t i = 0;
    while (i < name.size()) {
      while (i < name.size() && name[i] == ' ') ++i;
      if (i >= name.size()) break;
      std::size_t j = i;
      while (j < name.size() && name[j] != ' ') ++j;
      std::string_view word = name.substr(i, j - i);
      if (first) {
        out += first_char(word);
        out += "***";
        first = false;
      } else {
        out += ' ';
        out += first_char(word);
        out += '.';
      }
      i = j;
    }
    return out;
  }
  std::string_view head = first_char(name);
  out += head;
  std::size_t i = head.size();
  std::size_t rest = 0;
  while (i < name.size()) {
    i += utf8_len(static_cast<unsigned char>(name[i]));
    ++rest;
  }
  if (rest == 0) rest = 1;
  out.append(rest, '*');
  return out;
}

}  // namespace qc

namespace qc {
bool valid_priority_code(std::string_view code) {
  if (code.empty() || code.size() > 32) return false;
  for (char c : code)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}
}  // namespace qc
