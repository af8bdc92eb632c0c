// The clinical flow (spec "Priority, return after tests, several rooms"):
// insertion after k with the overtaking bound, set_priority,
// send_for_tests, return_from_tests.
#include <algorithm>

#include "engine/ops.h"

namespace qc {

namespace {

// The waiting entry (index in s.waiting) of the ticket P an inserted ticket
// is placed after, or -1 for the head of band 1 (spec: P is the last, in key
// order, of the k-th band-1 WAITING ticket (the last one if fewer are
// waiting), every protected one and every one that itself entered by
// insertion). The entry with key `skip` (the ticket itself) is ignored.
std::int64_t insertion_after(const SessionRec& s, std::int32_t k, std::uint64_t skip) {
  const std::uint16_t max = static_cast<std::uint16_t>(s.spec.max_overtaken);
  std::int64_t p = -1, last = -1;
  std::int32_t j = 0;
  for (std::int64_t i = static_cast<std::int64_t>(s.waiting.size()) - 1; i >= 0; --i) {
    const WaitEntry& w = s.waiting[i];
    if (!key_band(w.key) || w.key == skip) continue;
    ++j;
    last = i;
    const TicketRec& t = s.tickets[w.ticket];
    if (j == k || t.overtaken >= max || t.placement == Placement::kInserted) p = i;
  }
  if (k > 0 && j < k) p = last;
  return p;
}

// True if a band-1 WAITING ticket other than `skip` has a key in (lo, hi).
bool any_between(const SessionRec& s, std::uint64_t lo, std::uint64_t hi, std::uint64_t skip) {
  auto it = std::lower_bound(s.waiting.begin(), s.waiting.end(), hi,
                             [](const WaitEntry& e, std::uint64_t k) { return e.key >= k; });
  for (; it != s.waiting.end() && it->key > lo; ++it)
    if (it->key != skip && key_band(it->key)) return true;
  return false;
}

}  // namespace

Entry queue_entry(const SessionRec& s, const TicketRec& t, const Presenting& normal,
                  EntryKind kind, std::uint64_t skip) {
  Entry e{normal.key, normal.effective_slot, normal.placement, false, -1, {}};
  const bool from_tests = kind == EntryKind::kFromTests;
  const bool priority = t.priority != 0;
  if (!from_tests && !priority) return e;
  std::int32_t k = from_tests ? s.spec.return_after : s.spec.priority_after;
  if (from_tests && priority) k = std::min(k, s.spec.priority_after);
  // Back from tests, or late with priority (lateness demotion does not
  // apply to it): the normal place is the end, the insertion applies.
  const bool forced =
      from_tests || (kind == EntryKind::kPresent && normal.placement == Placement::kDemoted);
  const std::int64_t p = insertion_after(s, k, skip);
  std::uint64_t key;
  std::int32_t eff;
  if (p >= 0) {
    const std::uint64_t pk = s.waiting[static_cast<std::size_t>(p)].key;
    if ((pk & kSubMask) == kSubMask) return e;  // no room in the chain (65,535 inserted)
    key = pk + 1;
    eff = s.tickets[s.waiting[static_cast<std::size_t>(p)].ticket].effective_slot;
  } else {
    // The head of band 1: before every band-1 key (a walk-in of an earlier
    // slot than the serving one can be waiting in band 1). Its effective
    // slot is the serving slot, which therefore never goes back.
    eff = std::max(s.serving_slot, 0);
    key = make_key(1, 0, 0, 0) + 1;
  }
  if (normal.key < key) return e;  // its normal place is ahead
  if (!forced && !any_between(s, key, normal.key, skip)) return e;  // nobody to pass
  e.key = key;
  e.effective_slot = eff;
  e.placement = Placement::kInserted;
  e.inserted = true;
  e.after = p >= 0 ? static_cast<std::int32_t>(s.waiting[static_cast<std::size_t>(p)].ticket) : -1;
  e.reason = from_tests ? "return_from_tests" : "priority";
  return e;
}

void enter_queue(SessionRec& s, std::uint32_t ti, const Entry& e) {
  TicketRec& t = s.tickets[ti];
  t.key = e.key;
  t.effective_slot = e.effective_slot;
  t.placement = e.placement;
  t.state = TicketState::kWaiting;
  queue_insert(s, ti, t.key);
}

void insertion_events(SessionRec& s, std::uint32_t ti, const Entry& e, std::uint64_t upto,
                      const Actor& actor, Time now, Events* ev) {
  if (!e.inserted) return;
  const TicketRec& t = s.tickets[ti];
  Event& ins = add_ticket_event(ev, EventType::kTicketInserted, now, actor, s, t,
                                TicketState::kWaiting, {}, e.reason);
  if (e.after >= 0) ins.other_ticket = s.tickets[static_cast<std::size_t>(e.after)].id;
  const std::size_t at = ev->size() - 1;
  const std::uint16_t max = static_cast<std::uint16_t>(s.spec.max_overtaken);
  std::int32_t n = 0;
  // The tickets behind it, in call order: keys in (t.key, upto).
  auto it = std::lower_bound(s.waiting.begin(), s.waiting.end(), t.key,
                             [](const WaitEntry& w, std::uint64_t k) { return w.key > k; });
  while (it != s.waiting.begin()) {
    --it;
    if (it->key >= upto) break;
    TicketRec& o = s.tickets[it->ticket];
    if (o.overtaken < 0xFFFF) ++o.overtaken;
    ++n;
    Event& x = add_ticket_event(ev, EventType::kTicketOvertaken, now, actor, s, o,
                                TicketState::kWaiting);
    x.other_ticket = t.id;
    x.count = o.overtaken;
    if (o.overtaken == max) {
      Event& y = add_ticket_event(ev, EventType::kTicketProtected, now, actor, s, o,
                                  TicketState::kWaiting);
      y.count = o.overtaken;
    }
  }
  (*ev)[at].count = n;
}

Error op_set_priority(State& st, const Actor& actor, const SetPriority& c, Time now, Events* ev,
                      std::string* msg) {
  Loc loc;
  if (!find_ticket(st, c.ticket_id, &loc))
    return reject(msg, Error::kUnknownTicket, "unknown ticket", c.ticket_id);
  if (Error e = check_priority(st, c.priority, msg); e != Error::kOk) return e;
  SessionRec& s = st.sessions[loc.session];
  if (Error e = check_not_closed(s, msg); e != Error::kOk) return e;
  TicketRec& t = s.tickets[loc.index];
  if (t.state == TicketState::kDone || t.state == TicketState::kCancelled ||
      t.state == TicketState::kNoShow)
    return reject(msg, Error::kWrongState, "the ticket's visit is over", c.ticket_id);
  t.priority = priority_slot(st, c.priority);
  Entry e{t.key, t.effective_slot, t.placement, false, -1, {}};
  const std::uint64_t old_key = t.key;
  if (t.state == TicketState::kWaiting && t.priority != 0) {
    // Inserted at once if that is earlier than where it is.
    const Presenting here{t.key, t.effective_slot, t.placement};
    e = queue_entry(s, t, here, EntryKind::kMove, t.key);
    if (e.inserted) {
      queue_erase(s, old_key);
      enter_queue(s, loc.index, e);
    }
  }
  add_ticket_event(ev, EventType::kPrioritySet, now, actor, s, t, t.state, {}, c.priority);
  insertion_events(s, loc.index, e, old_key, actor, now, ev);
  touch(st, loc.session);
  return Error::kOk;
}

Error op_send_for_tests(State& st, const Actor& actor, const SendForTests& c, Time now,
                        Events* ev, std::string* msg) {
  return on_ticket(st, c.ticket_id, TicketState::kCalled, msg,
                   [&](SessionRec& s, TicketRec& t, Loc loc) {
    s.rooms[t.room].called = -1;  // a CALLED ticket is its room's
    t.state = TicketState::kAtTests;
    s.at_tests += 1;
    add_ticket_event(ev, EventType::kSentForTests, now, actor, s, t, TicketState::kCalled).room =
        room_name(s, t.room);
    touch(st, loc.session);
    return Error::kOk;
  });
}

Error op_return_from_tests(State& st, const Actor& actor, const ReturnFromTests& c, Time now,
                           Events* ev, std::string* msg) {
  return on_ticket(st, c.ticket_id, TicketState::kAtTests, msg,
                   [&](SessionRec& s, TicketRec& t, Loc loc) {
    // Unlike a check-in, a return after the session's end is accepted while
    // the session is not closed: the automatic close waits for it.
    // Its normal place would be the end of the queue (last slot, walk-in class).
    const std::int32_t last = s.slots - 1;
    const Presenting end{make_key(1, last, kind_class(s, TicketKind::kWalkIn), s.next_seq++), last,
                         Placement::kDemoted};
    const Entry e = queue_entry(s, t, end, EntryKind::kFromTests, 0);
    s.at_tests -= 1;
    enter_queue(s, loc.index, e);
    t.checked_in_at = now;
    add_ticket_event(ev, EventType::kReturnedFromTests, now, actor, s, t, TicketState::kAtTests);
    insertion_events(s, loc.index, e, ~std::uint64_t{0}, actor, now, ev);
    touch(st, loc.session);
    return Error::kOk;
  });
}

}  // namespace qc
