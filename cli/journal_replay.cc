// queuecast replay --journal PATH_OR_URL [--session ID] [--check]
//
// Prints a journal's history (all sessions, or one), one line per record:
//
//   2026-11-23 09:40:12 +08:00  #1234  kiosk:k1  check_in d0-s1-A4
//       checked_in d0-s1-A4 slot 1 -> made_next (on time, but the doctor had
//       already passed slot 1: called next)
//
// i.e. the command's time (in the session's local time when the journal
// holds the session's creation, else UTC), seq, actor, command and its
// target, then one indented line per event with the rule that applied.
// --check recovers the journal into a fresh engine (snapshot + replay, events
// verified against the journal) and prints the summary instead.
//
// Opens the store read-only: safe next to a running queuecastd.
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <unordered_map>

#include "cli/args.h"
#include "cli/commands.h"
#include "engine/engine.h"
#include "store/journal.h"
#include "store/recovery.h"
#include "proto/codec.h"

namespace {

using namespace qc;

constexpr const char kUsage[] =
    "usage: queuecast replay --journal PATH_OR_URL [--session ID] [--check]\n"
    "\n"
    "Prints the history kept in a queuecastd journal, one line per command\n"
    "(time, seq, actor, command; a cluster partition's journal adds the\n"
    "epoch of the node that wrote it) and one per event with the rule that applied.\n"
    "  PATH_OR_URL  sqlite:///abs/path.db, sqlite://relative.db, a bare path,\n"
    "               or redis://host:port/db[?key=NAME]\n"
    "  --session ID only what concerns that session\n"
    "  --check      recover the journal into a fresh engine and verify every\n"
    "               command's events; print the summary (exit 1 if not clean)\n";

std::string format_time(Time at, int offset_minutes) {
  const std::time_t secs = static_cast<std::time_t>((at + offset_minutes * kMinute) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  char off[16];
  const int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  std::snprintf(off, sizeof off, " %c%02d:%02d", offset_minutes < 0 ? '-' : '+', a / 60, a % 60);
  return std::string(buf) + off;
}

// The rule behind an event, in words (spec: "Presenting", docs/engine.md).
std::string explain(const Event& e) {
  const std::string slot = std::to_string(e.slot);
  const std::string eff = std::to_string(e.effective_slot);
  switch (e.type) {
    case EventType::kCheckedIn:
    case EventType::kTicketReturned: {
      const bool ret = e.type == EventType::kTicketReturned;
      switch (e.placement) {
        case Placement::kNormal:
          return "normal: on time, waits in slot " + eff;
        case Placement::kMadeNext:
          return ret ? "made_next: returned on time after a missed call, called next"
                     : "made_next: on time, but the doctor had already passed slot " + slot +
                           ", called next";
        case Placement::kDemoted:
          return "demoted: late for slot " + slot + ", waits at the end of slot " + eff +
                 " as a walk-in arriving now";
        case Placement::kInserted:
          return "inserted: a priority patient, placed near the head (see ticket_inserted)";
        default:
          return "";
      }
    }
    case EventType::kReturnedFromTests:
      return e.placement == Placement::kInserted
                 ? "back from tests: inserted near the head (see ticket_inserted)"
                 : "back from tests: " + std::string(to_string(e.placement)) + ", slot " + eff;
    case EventType::kTicketInserted:
      return "inserted (" + e.reason + ") after " +
             (e.other_ticket.empty() ? std::string("nobody: the head of the queue") : e.other_ticket) +
             ", passing " + std::to_string(e.count);
    case EventType::kTicketOvertaken:
      return "passed by " + e.other_ticket + " (inserted), " + std::to_string(e.count) + " time(s) now";
    case EventType::kTicketProtected:
      return "passed " + std::to_string(e.count) + " times: no insertion passes it again";
    case EventType::kPrioritySet:
      return e.reason.empty() ? "priority removed" : "priority: " + e.reason;
    case EventType::kSentForTests: return "sent for tests" + (e.room.empty() ? "" : " from room " + e.room);
    case EventType::kMovedToNext: return "made_next: moved to the front by staff";
    case EventType::kWalkInRegistered: return "walk-in, slot " + eff;
    case EventType::kTicketBooked: return "slot " + slot + (e.reason.empty() ? "" : ", channel " + e.reason);
    case EventType::kTicketCalled:
    case EventType::kTicketCompleted:
      return e.room.empty() ? e.reason : e.reason + ", room " + e.room;
    case EventType::kTicketCancelled:
    case EventType::kSessionSuspended:
      return e.reason;
    case EventType::kTicketNoShow: return "never came: counts as a no-show";
    case EventType::kPatientBlacklisted: return "too many no-shows: refused until " + format_time(e.until, 0);
    case EventType::kCapacityConverted: return std::to_string(e.count) + " unbooked unit(s) of slot " + slot + " to walk-ins";
    case EventType::kActionUndone:
      return "undo of " + e.reason + ": back to " + std::string(to_string(e.to));
    default: return "";
  }
}

std::string target_of(const Command& c) {
  return std::visit([](const auto& b) -> std::string {
    if constexpr (requires { b.ticket_id; }) { if (!b.ticket_id.empty()) return b.ticket_id; }
    if constexpr (requires { b.hold_id; }) { if (!b.hold_id.empty()) return b.hold_id; }
    if constexpr (requires { b.session_id; }) return b.session_id;
    if constexpr (requires { b.spec.session_id; }) return b.spec.session_id;
    return "";
  }, c.body);
}

int check(journal::Journal& j) {
  Engine engine;
  journal::RecoveryOptions o;
  o.verify_events = true;
  journal::RecoveryReport report;
  std::string error;
  if (!journal::recover(j, &engine, o, &report, &error)) {
    std::fprintf(stderr, "queuecast replay: %s\n", error.c_str());
    return 1;
  }
  std::printf("%s\n", report.summary().c_str());
  for (const auto& p : report.problems) std::printf("  problem: %s\n", p.c_str());
  std::printf("%zu sessions\n", engine.session_ids().size());
  return report.clean() ? 0 : 1;
}

}  // namespace

int run_journal_replay(int argc, char** argv) {
  std::string url, session;
  bool do_check = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (qc::cli::is_help(a)) return qc::cli::print_usage(kUsage);
    if (a == "--journal" && i + 1 < argc) {
      url = argv[++i];
    } else if (a == "--session" && i + 1 < argc) {
      session = argv[++i];
    } else if (a == "--check") {
      do_check = true;
    } else {
      std::fprintf(stderr, "queuecast replay: unexpected argument '%s'\n\n%s", argv[i], kUsage);
      return 2;
    }
  }
  if (url.empty()) {
    std::fprintf(stderr, "queuecast replay: --journal needs PATH_OR_URL\n\n%s", kUsage);
    return 2;
  }
  journal::OpenOptions options;
  options.read_only = true;
  journal::OpenReport report;
  std::string error;
  auto j = journal::open(url, options, &report, &error);
  if (!j) {
    std::fprintf(stderr, "queuecast replay: %s\n", error.c_str());
    return 1;
  }
  for (const auto& d : report.dropped) std::fprintf(stderr, "queuecast replay: %s\n", d.c_str());
  if (do_check) return check(*j);

  std::unordered_map<std::string, int> offsets;  // session -> utc offset (minutes)
  codec::pb::Command pc;
  codec::pb::Event pe;
  Command command;
  Event event;
  std::string message;
  std::uint64_t shown = 0;
  const bool ok = j->scan(0, [&](const journal::Record& r) {
    Time at = r.at;
    const bool decoded = journal::decode_command(r, &command, &at, &message);
    if (decoded) {
      if (auto* cs = std::get_if<CreateSession>(&command.body))
        offsets[cs->spec.session_id] = cs->spec.utc_offset_minutes;
    }
    std::vector<Event> events;
    bool mine = session.empty() || r.session_id == session;
    for (const auto& row : r.events) {
      if (!pe.ParseFromString(row.bytes) || codec::from_proto(pe, &event, &message) != Error::kOk)
        continue;
      if (!session.empty() && event.session_id == session) mine = true;
      events.push_back(event);
    }
    if (!mine) return true;
    ++shown;
    const std::string sid = !session.empty() ? session : r.session_id;
    const auto off = offsets.find(sid);
    // A fenced commit (a cluster's partition) tells the owner's epoch.
    const std::string epoch = r.epoch ? "  [epoch " + std::to_string(r.epoch) + "]" : "";
    std::printf("%s  #%llu  %s  %s %s%s\n",
                format_time(r.at, off == offsets.end() ? 0 : off->second).c_str(),
                static_cast<unsigned long long>(r.seq), r.actor.c_str(), r.command_name.c_str(),
                decoded ? target_of(command).c_str() : "(undecodable command)", epoch.c_str());
    for (const Event& e : events) {
      if (!session.empty() && !e.session_id.empty() && e.session_id != session) continue;
      std::string line = "    " + std::string(to_string(e.type));
      if (!e.ticket_id.empty()) line += " " + e.ticket_id;
      if (!e.label.empty()) line += " (" + e.label + ")";
      const std::string why = explain(e);
      if (!why.empty()) line += ": " + why;
      std::printf("%s\n", line.c_str());
    }
    return true;
  }, &error);
  if (!ok) {
    std::fprintf(stderr, "queuecast replay: %s\n", error.c_str());
    return 1;
  }
  if (shown == 0 && !session.empty())
    std::fprintf(stderr, "queuecast replay: nothing about session '%s' in %s\n", session.c_str(),
                 j->describe().c_str());
  return 0;
}
