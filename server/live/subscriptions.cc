#include "server/live/subscriptions.h"

#include <chrono>
#include <utility>
#include <variant>

#include "server/wire/wire.h"

namespace qc::gw {

namespace {

// One view a subscription starts with.
struct Initial {
  Topic topic;
  std::string session;  // the ticket's session (patient and own topics), for the Hub's index
  std::variant<PatientView, Board, StaffView, DisplayView> view;
  bool always = false;  // sent even when its version is the client's
};

std::uint64_t version_of(const Initial& i) {
  return std::visit([](const auto& v) { return static_cast<std::uint64_t>(v.version); }, i.view);
}

// The kinds: the views `req` follows, in the order they are sent.
Error views_of(const Engine& engine, Time now, const FollowRequest& req, std::vector<Initial>* out,
               std::string* message) {
  auto fail = [message](Error e, const char* m) {
    *message = m;
    return e;
  };
  switch (req.kind) {
    case TopicKind::kPatient: {
      auto t = engine.ticket_by_token(req.token);
      if (!t) return fail(Error::kUnauthorized, "unknown patient token");
      auto pv = engine.patient_view(*t, now);
      if (!pv) return fail(Error::kUnknownTicket, "no such ticket");
      if (!req.with_board) {
        out->push_back({patient_topic(*t), pv->session_id, std::move(*pv)});
        return Error::kOk;
      }
      // The phone follows its session's public board (one payload shared
      // by every phone) and gets its own view when the ticket changes.
      auto b = engine.board(pv->session_id, now);
      if (!b) return fail(Error::kUnknownSession, "no such session");
      out->push_back({board_topic(pv->session_id), "", std::move(*b)});
      std::string session = pv->session_id;
      out->push_back({own_topic(*t), std::move(session), std::move(*pv), /*always=*/true});
      return Error::kOk;
    }
    case TopicKind::kBoard: {
      auto b = engine.board(req.id, now);
      if (!b) return fail(Error::kUnknownSession, "no such session");
      out->push_back({board_topic(req.id), "", std::move(*b)});
      return Error::kOk;
    }
    case TopicKind::kStaff: {
      auto v = engine.staff_view(req.id, now);
      if (!v) return fail(Error::kUnknownSession, "no such session");
      out->push_back({staff_topic(req.id), "", std::move(*v)});
      return Error::kOk;
    }
    case TopicKind::kDisplay:
      // A display without lastVersion gets its view even at version 0.
      out->push_back({display_topic(req.id), "", engine.display_view(req.id, now), req.last_version == 0});
      return Error::kOk;
    case TopicKind::kOwn:  // only with a patient's board (with_board)
      break;
  }
  return fail(Error::kInvalidArgument, "unknown subscription");
}

}  // namespace

SubscribeResult follow(const Engine& engine, Hub& hub, Time now, const FollowRequest& req,
                       const std::shared_ptr<Subscriber>& s) {
  SubscribeResult r;
  std::vector<Initial> views;
  r.error = views_of(engine, now, req, &views, &r.message);
  if (r.error != Error::kOk) return r;
  for (const Initial& i : views) {
    hub.add(i.topic, i.session, s);
    if (const auto* pv = std::get_if<PatientView>(&i.view); pv && i.topic.kind == TopicKind::kOwn)
      hub.set_own_booked(i.topic, pv->state == TicketState::kBooked);
  }
  const Format f = s->format();
  const auto at = std::chrono::steady_clock::now();
  for (const Initial& i : views) {
    if (!i.always && version_of(i) == req.last_version) continue;
    std::string bytes = std::visit([&](const auto& v) { return encode_view(v, now, f); }, i.view);
    s->deliver(i.topic, Frame{std::make_shared<const std::string>(std::move(bytes)), at});
  }
  r.topics.reserve(views.size());
  for (Initial& i : views) r.topics.push_back(std::move(i.topic));
  return r;
}

}  // namespace qc::gw
