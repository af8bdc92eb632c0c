#include "gateway/wire.h"

#include "proto/codec.h"

namespace qc::gw {
namespace pb = ::queuecast::v1;

int http_status(Error e) {
  switch (e) {
    case Error::kOk: return 200;
    case Error::kInvalidArgument: return 400;
    case Error::kUnauthorized: return 401;
    case Error::kForbidden:
    case Error::kBlacklisted: return 403;
    case Error::kUnknownSession:
    case Error::kUnknownTicket:
    case Error::kUnknownHold:
    case Error::kUnknownChannel: return 404;
    case Error::kHoldExpired: return 410;
    case Error::kRateLimited: return 429;
    case Error::kUnavailable: return 503;
    case Error::kWrongState:
    case Error::kNotOpenYet:
    case Error::kSessionClosed:
    case Error::kSessionPaused:
    case Error::kNoCapacity:
    case Error::kCancelDeadlinePassed:
    case Error::kAlreadyBooked:
    case Error::kAlreadyExists:
    case Error::kBookingLimit:
    case Error::kWindowClosed: return 409;
  }
  return 500;
}

namespace {

std::string finish(const google::protobuf::Message& m, Format format) {
  std::string out;
  if (format == Format::kProto) {
    m.SerializeToString(&out);
  } else {
    codec::to_json(m, &out);
  }
  return out;
}

template <typename View, typename Fill>
std::string view_message(const View& v, std::uint64_t version, Time sent_at, Format format,
                         Fill fill) {
  pb::ServerMessage msg;
  pb::ViewUpdate* u = msg.mutable_view();
  fill(u);
  u->set_version(version);
  codec::to_proto(sent_at, u->mutable_sent_at());
  return finish(msg, format);
}

}  // namespace

std::string encode_view(const PatientView& v, Time sent_at, Format format) {
  return view_message(v, v.version, sent_at, format,
                      [&](pb::ViewUpdate* u) { codec::to_proto(v, u->mutable_patient()); });
}
std::string encode_view(const DisplayView& v, Time sent_at, Format format) {
  return view_message(v, v.version, sent_at, format,
                      [&](pb::ViewUpdate* u) { codec::to_proto(v, u->mutable_display()); });
}
std::string encode_view(const StaffView& v, Time sent_at, Format format) {
  return view_message(v, v.version, sent_at, format,
                      [&](pb::ViewUpdate* u) { codec::to_proto(v, u->mutable_staff()); });
}
std::string encode_view(const Board& v, Time sent_at, Format format) {
  return view_message(v, v.version, sent_at, format,
                      [&](pb::ViewUpdate* u) { codec::to_proto(v, u->mutable_board()); });
}

std::string encode_ws_error(std::string_view code, std::string_view message, Format format) {
  pb::ServerMessage msg;
  msg.mutable_error()->set_code(std::string(code));
  msg.mutable_error()->set_message(std::string(message));
  return finish(msg, format);
}

std::string encode_pong(Time at, Format format) {
  pb::ServerMessage msg;
  codec::to_proto(at, msg.mutable_pong()->mutable_at());
  return finish(msg, format);
}

std::string encode_error_body(std::string_view code, std::string_view message, Format format) {
  pb::ErrorReply reply;
  reply.mutable_error()->set_code(std::string(code));
  reply.mutable_error()->set_message(std::string(message));
  return finish(reply, format);
}

std::string render_response(const std::string& binary_response, Format format) {
  if (format == Format::kProto) return binary_response;
  pb::CommandResponse r;
  r.ParseFromString(binary_response);
  return finish(r, format);
}

std::string encode_plain(const PatientView& v, Format format) {
  pb::PatientView m;
  codec::to_proto(v, &m);
  return finish(m, format);
}
std::string encode_plain(const DisplayView& v, Format format) {
  pb::DisplayView m;
  codec::to_proto(v, &m);
  return finish(m, format);
}
std::string encode_plain(const StaffView& v, Format format) {
  pb::StaffView m;
  codec::to_proto(v, &m);
  return finish(m, format);
}
std::string encode_plain(const Board& v, Format format) {
  pb::Board m;
  codec::to_proto(v, &m);
  return finish(m, format);
}

}  // namespace qc::gw
