// Service: reads of the views (GET), answered on the owning shard after
// the authorizer (server/runtime/authorizer.h) says yes.
#include <memory>
#include <mutex>

#include "proto/codec.h"
#include "server/api/service.h"
#include "server/runtime/authorizer.h"

namespace qc::gw {
namespace pb = ::queuecast::v1;

void Service::read(const Route& route, HttpRequest& req, Format out, Respond respond) {
  Principal who = principal_of(req);
  const std::string id = route.id1;
  std::string_view why;
  switch (route.id) {
    case RouteId::kBoard:
      return runtime_.read_session(id, [id, out, respond](ShardContext& ctx) {
        auto b = ctx.engine.board(id, ctx.now);
        if (!b) return respond(error_response(Error::kUnknownSession, "no such session", out));
        respond(ok_response(encode_plain(*b, out), out));
      });
    case RouteId::kSessionGet:
      if (Error e = may_ask(who, Ask::kReadSession, &why); e != Error::kOk)
        return respond(error_response(e, why, out));
      return runtime_.read_session(id, [id, out, respond, who](ShardContext& ctx) {
        Error e = Authorizer(ctx.engine).session_op(who, Op::kReadStaff, id);
        if (e != Error::kOk) return respond(error_response(e, "not allowed to read this session", out));
        auto v = ctx.engine.staff_view(id, ctx.now);
        if (!v) return respond(error_response(Error::kUnknownSession, "no such session", out));
        respond(ok_response(encode_plain(*v, out), out));
      });
    case RouteId::kSessionList: {
      // Staff list the sessions they may read; a kiosk lists the sessions it
      // may register walk-ins into (its scope), for its doctor choice. Every
      // list is without tickets (v->tickets.clear() below) and without the
      // rooms' called tickets, so a kiosk learns doctor, rooms, times,
      // status and capacity left, no patient.
      if (Error e = may_ask(who, Ask::kListSessions, &why); e != Error::kOk)
        return respond(error_response(e, why, out));
      const bool kiosk = who.role == Role::kKiosk;
      struct Acc {
        std::mutex mu;
        pb::SessionList list;
      };
      auto acc = std::make_shared<Acc>();
      for (const std::string& r : config_.priority.reasons) acc->list.add_priority_reasons(r);
      runtime_.read_all(
          [acc, who, kiosk](ShardContext& ctx) {
            const Authorizer az(ctx.engine);
            for (const std::string& sid : ctx.engine.session_ids()) {
              if (az.session_op(who, kiosk ? Op::kWalkIn : Op::kReadStaff, sid) != Error::kOk) continue;
              auto v = ctx.engine.staff_view(sid, ctx.now);
              if (!v) continue;
              v->tickets.clear();
              for (StaffRoom& r : v->rooms) {
                r.called_ticket.clear();
                r.called_label.clear();
              }
              std::lock_guard lock(acc->mu);
              codec::to_proto(*v, acc->list.add_sessions());
            }
          },
          [acc, out, respond]() {
            std::string body;
            if (out == Format::kProto) acc->list.SerializeToString(&body);
            else codec::to_json(acc->list, &body);
            respond(ok_response(std::move(body), out));
          });
      return;
    }
    case RouteId::kTicketGet:
    case RouteId::kMe: {
      bool me = route.id == RouteId::kMe;
      if (Error e = may_ask(who, me ? Ask::kMe : Ask::kReadTicket, &why); e != Error::kOk)
        return respond(error_response(e, why, out));
      auto fn = [id, me, out, respond, who](ShardContext& ctx) {
        std::string tid;
        std::string_view why = "not allowed to read this ticket";
        Error e = Authorizer(ctx.engine).read_ticket(who, id, me, &tid, &why);
        if (e != Error::kOk) return respond(error_response(e, why, out));
        auto pv = ctx.engine.patient_view(tid, ctx.now);
        if (!pv) return respond(error_response(Error::kUnknownTicket, "no such ticket", out));
        respond(ok_response(encode_plain(*pv, out), out));
      };
      if (who.role == Role::kPatient) return runtime_.read_token(who.id, std::move(fn));
      return runtime_.read_ticket(id, std::move(fn));
    }
    case RouteId::kDisplay:
      return runtime_.read_area(id, [id, out, respond, who](ShardContext& ctx) {
        const Authorizer az(ctx.engine);
        Error e = az.check(who, Op::kReadDisplay, az.area(id));
        if (e != Error::kOk)
          return respond(error_response(e, "a display token of this area or staff working here needed", out));
        respond(ok_response(encode_plain(ctx.engine.display_view(id, ctx.now), out), out));
      });
    default:
      return respond(error_response(404, "not_found", "no such endpoint", out));
  }
}

}  // namespace qc::gw
