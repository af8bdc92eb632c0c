// queuecast replay: see replay.h and docs/replay.md.
#include "cli/replay.h"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <type_traits>
#include <variant>

#include <google/protobuf/util/time_util.h>

#include "cli/commands.h"
#include "cli/args.h"
#include "server/api/patient_ref.h"
#include "proto/codec.h"

namespace qc::cli {

Replayer::Replayer(EngineOptions options) : engine_(options) {}

std::optional<std::string> Replayer::session_of(const Command& command) const {
  std::optional<std::string> named = std::visit(
      [&](const auto& c) -> std::optional<std::string> {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, CreateSession>) {
          return c.spec.session_id;
        } else if constexpr (std::is_same_v<T, Book> || std::is_same_v<T, Hold> ||
                             std::is_same_v<T, RegisterWalkIn> || std::is_same_v<T, CallNext> ||
                             std::is_same_v<T, Pause> || std::is_same_v<T, Resume> ||
                             std::is_same_v<T, SuspendSession> ||
                             std::is_same_v<T, CloseSession> || std::is_same_v<T, Undo>) {
          return c.session_id;
        } else if constexpr (std::is_same_v<T, Cancel> || std::is_same_v<T, CheckIn> ||
                             std::is_same_v<T, CallTicket> || std::is_same_v<T, Recall> ||
                             std::is_same_v<T, Complete> || std::is_same_v<T, MarkMissed> ||
                             std::is_same_v<T, ReturnTicket> || std::is_same_v<T, MoveToNext> ||
                             std::is_same_v<T, SetPriority> || std::is_same_v<T, SendForTests> ||
                             std::is_same_v<T, ReturnFromTests>) {
          return engine_.ticket_session(c.ticket_id);
        } else if constexpr (std::is_same_v<T, Confirm> || std::is_same_v<T, Release>) {
          // Holds are not looked up by id: the events name the session.
          for (const Event& e : events_)
            if (!e.session_id.empty()) return e.session_id;
          return std::nullopt;
        } else {
          // tick, define_channel and the schedule commands concern no one
          // session (or many).
          return std::nullopt;
        }
      },
      command.body);
  if (named && !engine_.has_session(*named)) return std::nullopt;
  return named;
}

void Replayer::append_result(Error error, std::string_view message,
                             const std::optional<std::string>& session, Time now,
                             std::string* out) {
  if (error == Error::kOk) {
    out->append("{\"ok\":true");
  } else {
    out->append("{\"ok\":false,\"error\":");
    codec::append_json_string(to_string(error), out);
    out->append(",\"message\":");
    codec::append_json_string(message, out);
  }
  out->append(",\"events\":[");
  codec::pb::Event wire;
  for (std::size_t i = 0; i < events_.size(); ++i) {
    if (i) out->push_back(',');
    codec::to_proto(events_[i], &wire);
    // "at" first, for people reading the output (protobuf prints it last).
    std::string at = google::protobuf::util::TimeUtil::ToString(wire.at());
    wire.clear_at();
    codec::to_json(wire, &scratch_);
    out->append("{\"at\":");
    codec::append_json_string(at, out);
    if (scratch_.size() > 2) out->push_back(',');
    out->append(scratch_, 1, std::string::npos);
  }
  out->append("],\"session\":");
  if (session) {
    codec::append_json_string(*session, out);
    out->append(",\"waiting\":[");
    std::vector<std::string> waiting = engine_.waiting_order(*session);
    for (std::size_t i = 0; i < waiting.size(); ++i) {
      if (i) out->push_back(',');
      codec::append_json_string(waiting[i], out);
    }
    out->append("],\"called\":");
    std::optional<std::string> called = engine_.called_ticket(*session);
    if (called) {
      codec::append_json_string(*called, out);
    } else {
      out->append("null");
    }
    // A session with several rooms: each room's called ticket.
    const SessionSpec* spec = engine_.session_spec(*session);
    if (spec && spec->rooms.size() > 1) {
      if (std::optional<StaffView> v = engine_.staff_view(*session, now)) {
        out->append(",\"rooms\":{");
        for (std::size_t i = 0; i < v->rooms.size(); ++i) {
          if (i) out->push_back(',');
          codec::append_json_string(v->rooms[i].room, out);
          out->push_back(':');
          if (v->rooms[i].called_ticket.empty()) out->append("null");
          else codec::append_json_string(v->rooms[i].called_ticket, out);
        }
        out->push_back('}');
      }
    }
    out->push_back('}');
  } else {
    out->append("null,\"waiting\":[],\"called\":null}");
  }
}

Error Replayer::apply(std::string_view line, Command* command, Time* now) {
  events_.clear();
  message_.clear();
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() > kMaxLineBytes) {
    message_ = "line too long (more than " + std::to_string(kMaxLineBytes) + " bytes)";
    return Error::kInvalidArgument;
  }
  if (line.find_first_not_of(" \t") == std::string_view::npos) {
    message_ = "empty line: expected one queuecast.v1.Command";
    return Error::kInvalidArgument;
  }
  if (Error e = codec::parse_command_json(line, command, now, &message_); e != Error::kOk) return e;
  // The server's spelling of the patientRef, so a file replays what the
  // server did with the same requests (server/api/patient_ref.h).
  if (!gw::normalize_patient_refs(command, &message_)) return Error::kInvalidArgument;
  return Error::kOk;
}

void Replayer::apply_line(std::string_view line, std::string* out) {
  Command command;
  Time now = 0;
  if (Error e = apply(line, &command, &now); e != Error::kOk) {
    append_result(e, message_, std::nullopt, now, out);
    return;
  }
  Error e = engine_.apply_into(command, now, &events_, &message_);
  if (e != Error::kOk) events_.clear();
  append_result(e, message_, session_of(command), now, out);
}

// ---- --why ----

namespace {

std::string rfc3339(Time t) {
  google::protobuf::Timestamp ts;
  codec::to_proto(t, &ts);
  return google::protobuf::util::TimeUtil::ToString(ts);
}

// Where `id` is in `order` (order.size() when absent).
std::size_t index_of(const std::vector<std::string>& order, std::string_view id) {
  std::size_t i = 0;
  while (i < order.size() && order[i] != id) ++i;
  return i;
}

}  // namespace

void Replayer::append_finding(std::string_view rule, Time at, const Event& other,
                              std::string* out) {
  out->append("{\"line\":");
  out->append(std::to_string(line_number_));
  out->append(",\"at\":");
  codec::append_json_string(rfc3339(at), out);
  out->append(",\"rule\":");
  codec::append_json_string(rule, out);
  if (rule != "protected") {
    out->append(",\"ticket\":");
    codec::append_json_string(other.ticket_id, out);
    out->append(",\"label\":");
    codec::append_json_string(other.label, out);
  }
  ++findings_[std::string(rule)];
}

void Replayer::explain_line(std::string_view line, std::string_view ticket, std::string* out) {
  ++line_number_;
  Command command;
  Time now = 0;
  if (apply(line, &command, &now) != Error::kOk) return;
  // A nurse's direct call passes the ticket when the one called waited
  // behind it: the order before the command tells.
  const std::optional<std::string> session = engine_.ticket_session(ticket);
  std::vector<std::string> before;
  if (session && std::holds_alternative<CallTicket>(command.body))
    before = engine_.waiting_order(*session);
  if (engine_.apply_into(command, now, &events_, &message_) != Error::kOk) return;
  const std::vector<std::string> after =
      engine_.ticket_session(ticket) ? engine_.waiting_order(*engine_.ticket_session(ticket))
                                     : std::vector<std::string>{};
  const std::size_t mine = index_of(after, ticket);
  const bool waiting = mine < after.size();
  auto ahead = [&](std::string_view other) { return waiting && index_of(after, other) < mine; };
  // The command's insertions (the inserted ticket's ticket_inserted event):
  // they come before the ticket_overtaken events they cause.
  std::map<std::string, const Event*, std::less<>> inserted;
  for (const Event& e : events_) {
    if (e.ticket_id == ticket && !e.label.empty()) label_ = e.label;
    switch (e.type) {
      case EventType::kPrioritySet:
        if (e.reason.empty()) priority_.erase(e.ticket_id);
        else priority_[e.ticket_id] = e.reason;
        break;
      case EventType::kTicketInserted: inserted[e.ticket_id] = &e; break;
      case EventType::kTicketOvertaken: {
        if (e.ticket_id != ticket) break;
        overtaken_ = e.count;
        const auto ins = inserted.find(e.other_ticket);
        Event other;
        if (ins != inserted.end()) other = *ins->second;
        other.ticket_id = e.other_ticket;
        append_finding("inserted", e.at, other, out);
        // "priority" | "return_from_tests"
        out->append(",\"reason\":");
        codec::append_json_string(other.reason, out);
        if (const auto p = priority_.find(e.other_ticket); p != priority_.end()) {
          out->append(",\"priority\":");
          codec::append_json_string(p->second, out);
        }
        out->append(",\"overtaken\":" + std::to_string(e.count) + "}\n");
        break;
      }
      case EventType::kTicketProtected:
        if (e.ticket_id != ticket) break;
        protected_ = true;
        append_finding("protected", e.at, e, out);
        out->append(",\"overtaken\":" + std::to_string(e.count) + "}\n");
        break;
      case EventType::kCheckedIn:
      case EventType::kTicketReturned:
      case EventType::kReturnedFromTests:
        // Band 0: on time but passed, or a missed patient back in time.
        if (e.ticket_id == ticket || e.placement != Placement::kMadeNext || !ahead(e.ticket_id)) break;
        append_finding("made_next", e.at, e, out);
        out->append(",\"event\":");
        codec::append_json_string(to_string(e.type), out);
        out->append("}\n");
        break;
      case EventType::kMovedToNext:
        if (e.ticket_id == ticket || !ahead(e.ticket_id)) break;
        append_finding("move_to_next", e.at, e, out);
        out->append("}\n");
        break;
      case EventType::kTicketCalled: {
        if (e.ticket_id == ticket || e.reason != "call_ticket") break;
        const std::size_t was = index_of(before, ticket);
        if (was >= before.size() || index_of(before, e.ticket_id) <= was) break;
        append_finding("call_ticket", e.at, e, out);
        out->append("}\n");
        break;
      }
      default: break;
    }
  }
}

void Replayer::explain_summary(std::string_view ticket, std::string* out) const {
  out->append("{\"ticket\":");
  codec::append_json_string(ticket, out);
  const std::optional<TicketState> state = engine_.ticket_state(ticket);
  if (!state) {
    out->append(",\"found\":false}");
    return;
  }
  out->append(",\"found\":true,\"label\":");
  codec::append_json_string(label_, out);
  out->append(",\"state\":");
  codec::append_json_string(to_string(*state), out);
  for (const char* rule : {"inserted", "made_next", "move_to_next", "call_ticket"}) {
    const auto n = findings_.find(rule);
    out->append(",\"");
    out->append(rule);
    out->append("\":" + std::to_string(n == findings_.end() ? 0 : n->second));
  }
  out->append(",\"overtaken\":" + std::to_string(overtaken_));
  out->append(protected_ ? ",\"protected\":true}" : ",\"protected\":false}");
}

}  // namespace qc::cli

namespace {

using qc::cli::parse_int;

constexpr const char kReplayUsage[] =
    "usage: queuecast replay [options] [FILE]\n"
    "       queuecast replay --journal PATH_OR_URL [--session ID]\n"
    "\n"
    "Applies the commands of FILE (standard input when absent or '-'), one\n"
    "queuecast.v1.Command per line in the protobuf JSON mapping, to a fresh\n"
    "engine; each command is applied at its \"at\" (RFC 3339 with offset).\n"
    "Writes one JSON line per input line to standard output:\n"
    "  {\"ok\":true|false, \"error\":CODE, \"message\":TEXT (when not ok),\n"
    "   \"events\":[...], \"session\":ID|null, \"waiting\":[ticket ids in call order],\n"
    "   \"called\":ID|null}\n"
    "Bad lines (not JSON, unknown field, wrong type, blank) give ok:false with\n"
    "error invalid_argument, and the replay goes on. See docs/replay.md.\n"
    "\n"
    "  --why TICKET                instead: why others were called before TICKET,\n"
    "                              one JSON line per ticket put ahead of it (rule\n"
    "                              inserted with its reason, made_next, move_to_next,\n"
    "                              call_ticket; protected), then a summary line\n"
    "\n"
    "Engine options:\n"
    "  --max-active-bookings K     active bookings per patient (default 3)\n"
    "  --noshow-threshold N        no-shows that ban a patient (default 3)\n"
    "  --noshow-window-days D      window for counting no-shows (default 90)\n"
    "  --ban-days D                length of a ban (default 30)\n"
    "  --hold-ttl-minutes M        default hold TTL (default 15)\n"
    "  --auto-close-grace-minutes M  tick closes a session at end + M (default 240)\n"
    "  --display-next-count C      labels after the called one on displays (default 5)\n"
    "  --no-display-names          displays show labels only\n"
    "\n"
    "Exit status: 0 when every line was read (rejections included), 1 when the\n"
    "input cannot be read or the output cannot be written, 2 on a usage error.\n";

int usage_error(const char* what, const char* arg) {
  std::fprintf(stderr, "queuecast replay: %s '%s'\n(see queuecast replay --help)\n", what, arg);
  return 2;
}

}  // namespace

int run_replay(int argc, char** argv) {
  qc::EngineOptions options;
  const char* file = nullptr;
  const char* why = nullptr;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (qc::cli::is_help(a)) return qc::cli::print_usage(kReplayUsage);
    if (a == "--journal") return run_journal_replay(argc, argv);
    if (a == "--no-display-names") {
      options.display_names = false;
      continue;
    }
    if (a == "--why") {
      if (i + 1 >= argc || argv[i + 1][0] == '\0') return usage_error("missing ticket for", argv[i]);
      why = argv[++i];
      continue;
    }
    struct IntOption {
      const char* name;
      long long lo, hi, scale;
      void (*set)(qc::EngineOptions*, long long);
    };
    static const IntOption kIntOptions[] = {
        {"--max-active-bookings", 0, 1'000'000, 1,
         [](qc::EngineOptions* o, long long v) { o->max_active_bookings = static_cast<int>(v); }},
        {"--noshow-threshold", 0, 1'000'000, 1,
         [](qc::EngineOptions* o, long long v) { o->noshow_threshold = static_cast<int>(v); }},
        {"--noshow-window-days", 0, 100'000, qc::kDay,
         [](qc::EngineOptions* o, long long v) { o->noshow_window = v; }},
        {"--ban-days", 0, 100'000, qc::kDay, [](qc::EngineOptions* o, long long v) { o->ban = v; }},
        {"--hold-ttl-minutes", 1, 100'000'000, qc::kMinute,
         [](qc::EngineOptions* o, long long v) { o->default_hold_ttl = v; }},
        {"--auto-close-grace-minutes", 0, 100'000'000, qc::kMinute,
         [](qc::EngineOptions* o, long long v) { o->auto_close_grace = v; }},
        {"--display-next-count", 0, 1000, 1,
         [](qc::EngineOptions* o, long long v) { o->display_next_count = static_cast<int>(v); }},
    };
    bool matched = false;
    for (const IntOption& opt : kIntOptions) {
      if (a != opt.name) continue;
      if (i + 1 >= argc) return usage_error("missing value for", argv[i]);
      long long v = 0;
      if (!parse_int(argv[i + 1], opt.lo, opt.hi, &v)) return usage_error("bad value for", argv[i]);
      opt.set(&options, v * opt.scale);
      ++i;
      matched = true;
      break;
    }
    if (matched) continue;
    if (a.size() > 1 && a[0] == '-') return usage_error("unknown option", argv[i]);
    if (file) return usage_error("more than one input file:", argv[i]);
    file = argv[i];
  }

  std::ifstream in_file;
  std::istream* in = &std::cin;
  if (file && std::string_view(file) != "-") {
    in_file.open(file, std::ios::binary);
    if (!in_file) {
      std::fprintf(stderr, "queuecast replay: cannot open '%s': %s\n", file, std::strerror(errno));
      return 1;
    }
    in = &in_file;
  }

  qc::cli::Replayer replayer(options);
  std::string line;
  std::string out;
  while (std::getline(*in, line)) {
    out.clear();
    if (why) {
      replayer.explain_line(line, why, &out);
    } else {
      replayer.apply_line(line, &out);
      out.push_back('\n');
    }
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) {
      std::fprintf(stderr, "queuecast replay: cannot write the output\n");
      return 1;
    }
  }
  if (in->bad()) {
    std::fprintf(stderr, "queuecast replay: read error\n");
    return 1;
  }
  if (why) {
    out.clear();
    replayer.explain_summary(why, &out);
    out.push_back('\n');
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) {
      std::fprintf(stderr, "queuecast replay: cannot write the output\n");
      return 1;
    }
  }
  if (std::fflush(stdout) != 0) {
    std::fprintf(stderr, "queuecast replay: cannot write the output\n");
    return 1;
  }
  return 0;
}
