// Live-push subscriptions: what a connection follows, and its first views.
//
// A connection asks to follow a view (FollowRequest, decoded from its
// subscribe message, server/api/decode.h). The runtime routes the request to
// the shard that owns it and decides there whether the credential may follow
// it (server/runtime/subscribe.h: authorize()); then follow() runs on that
// shard's thread: it resolves the request to its topics and current views,
// registers the subscriber in the shard's Hub and sends it every view it
// lacks. The same steps for every kind of view; only views_of() knows the
// kinds.
//
// Thread-safety: follow() runs on the thread that owns `engine` and `hub`.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "server/live/hub.h"
#include "server/live/topic.h"

namespace qc::gw {

struct FollowRequest {
  // kPatient (by the patient's token), kBoard, kStaff or kDisplay. A patient
  // following the board (`with_board`) gets the session's board (kBoard) and
  // the ticket's own view (kOwn).
  TopicKind kind = TopicKind::kBoard;
  std::string id;     // the session (board, staff) or the area (display)
  std::string token;  // the patient's token; the credential of staff and displays
  bool with_board = false;
  // The version of the view the client has (0: none): a view of that
  // version is not sent again (a display's is when 0).
  std::uint64_t last_version = 0;
};

// The answer to a subscribe, on the shard thread.
struct SubscribeResult {
  Error error = Error::kOk;
  std::string message;
  std::vector<Topic> topics;  // what the subscriber now follows (for unsubscribe)
};

// On the owning shard's thread, once the subscriber may follow `req`: the
// topics and current views of `req` (an error when it names nothing: an
// unknown patient token, ticket or session), `s` registered for each topic
// in `hub`, and each view sent to `s` whose version differs from
// req.last_version; the own view of a patient following the board always
// (the client's last_version is usually a board's, and an own view of that
// version may have been lost with the old connection). Views go out in the
// order of the topics.
SubscribeResult follow(const Engine& engine, Hub& hub, Time now, const FollowRequest& req,
                       const std::shared_ptr<Subscriber>& s);

}  // namespace qc::gw
