// Typed topics: what a live subscriber follows.
//
// A topic is a kind and a key (ticket id, session id or area). Topics never
// go over the wire: clients subscribe with a message (docs/api.md, "Live
// push") and receive views; the server names what they follow with a Topic
// in the Hub (server/live/hub.h), in publications (publisher.h), in
// subscriptions (subscriptions.h) and in a connection's outbox.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace qc::gw {

enum class TopicKind : std::uint8_t {
  kPatient,  // a patient's view, pushed on every change of its session (key: ticket)
  kOwn,      // a patient's own view for a phone that follows the board, pushed
             // only when the ticket itself changes (key: ticket; publisher.h)
  kBoard,    // the public board (key: session)
  kStaff,    // the staff view (key: session)
  kDisplay,  // a waiting area's display (key: area)
};

struct Topic {
  TopicKind kind = TopicKind::kBoard;
  std::string key;

  // Topics of a ticket (patient and own views): the Hub indexes them by
  // the ticket's session.
  bool of_ticket() const { return kind == TopicKind::kPatient || kind == TopicKind::kOwn; }
  friend bool operator==(const Topic&, const Topic&) = default;
};

inline Topic patient_topic(std::string_view ticket_id) { return {TopicKind::kPatient, std::string(ticket_id)}; }
inline Topic own_topic(std::string_view ticket_id) { return {TopicKind::kOwn, std::string(ticket_id)}; }
inline Topic board_topic(std::string_view session_id) { return {TopicKind::kBoard, std::string(session_id)}; }
inline Topic staff_topic(std::string_view session_id) { return {TopicKind::kStaff, std::string(session_id)}; }
inline Topic display_topic(std::string_view area) { return {TopicKind::kDisplay, std::string(area)}; }

// A printable name ("p/<ticket>", "o/<ticket>", "b/<session>",
// "s/<session>", "d/<area>"), for logs and test output only: nothing parses
// it, and it never goes over the wire.
std::string to_string(const Topic& topic);

// A hash of (kind, key), for the Hub's table.
inline std::uint64_t topic_hash(TopicKind kind, std::string_view key) {
  return std::hash<std::string_view>{}(key) ^ (static_cast<std::uint64_t>(kind) + 1) * 0x9e3779b97f4a7c15ULL;
}

}  // namespace qc::gw
