#include "server/wire/wire.h"

#include "server/wire/view_json.h"
#include "server/infra/utf8.h"
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
    case Error::kIdempotencyKeyReused: return 422;
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
    case Error::kWindowClosed:
    case Error::kNothingToUndo:
    case Error::kUndoExpired: return 409;
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

pb::ServerMessage ws_error_message(std::string_view code, std::string_view message) {
  pb::ServerMessage msg;
  msg.mutable_error()->set_code(std::string(code));
  msg.mutable_error()->set_message(utf8_text(message));
  return msg;
}

pb::ErrorReply error_reply(std::string_view code, std::string_view message) {
  pb::ErrorReply reply;
  reply.mutable_error()->set_code(std::string(code));
  reply.mutable_error()->set_message(utf8_text(message));
  return reply;
}

pb::ServerMessage pong_message(Time at) {
  pb::ServerMessage msg;
  codec::to_proto(at, msg.mutable_pong()->mutable_at());
  return msg;
}

}  // namespace

std::string encode_view_reference(const PatientView& v, Time sent_at, Format format) {
  return view_message(v, v.version, sent_at, format,
                      [&](pb::ViewUpdate* u) { codec::to_proto(v, u->mutable_patient()); });
}
std::string encode_view_reference(const DisplayView& v, Time sent_at, Format format) {
  return view_message(v, v.version, sent_at, format,
                      [&](pb::ViewUpdate* u) { codec::to_proto(v, u->mutable_display()); });
}
std::string encode_view_reference(const StaffView& v, Time sent_at, Format format) {
  return view_message(v, v.version, sent_at, format,
                      [&](pb::ViewUpdate* u) { codec::to_proto(v, u->mutable_staff()); });
}
std::string encode_view_reference(const Board& v, Time sent_at, Format format) {
  return view_message(v, v.version, sent_at, format,
                      [&](pb::ViewUpdate* u) { codec::to_proto(v, u->mutable_board()); });
}

std::string encode_ws_error(std::string_view code, std::string_view message_bytes, Format format) {
  if (format == Format::kProto) return finish(ws_error_message(code, message_bytes), format);
  const std::string message = utf8_text(message_bytes);
  std::string out;
  out.reserve(48 + code.size() + message.size());
  append_ws_error_json(code, message, &out);
  return out;
}

// Answers that carry a request id are rare (errors, confirmations): the
// protobuf path writes them.
std::string encode_ws_error(std::string_view code, std::string_view message, Format format,
                            std::string_view request_id) {
  if (request_id.empty()) return encode_ws_error(code, message, format);
  pb::ServerMessage msg = ws_error_message(code, message);
  msg.set_request_id(std::string(request_id));
  return finish(msg, format);
}

std::string encode_subscribed(std::string_view request_id, Format format) {
  pb::ServerMessage msg;
  msg.mutable_subscribed();
  msg.set_request_id(std::string(request_id));
  return finish(msg, format);
}

std::string encode_pong(Time at, Format format) {
  if (format == Format::kProto) return finish(pong_message(at), format);
  std::string out;
  append_pong_json(at, &out);
  return out;
}

std::string encode_error_body(std::string_view code, std::string_view message_bytes, Format format) {
  if (format == Format::kProto) return finish(error_reply(code, message_bytes), format);
  const std::string message = utf8_text(message_bytes);
  std::string out;
  out.reserve(48 + code.size() + message.size());
  append_error_reply_json(code, message, &out);
  return out;
}

// ---- the protobuf path, kept as the reference ----

std::string encode_ws_error_reference(std::string_view code, std::string_view message, Format format) {
  return finish(ws_error_message(code, message), format);
}

std::string encode_pong_reference(Time at, Format format) { return finish(pong_message(at), format); }

std::string encode_error_body_reference(std::string_view code, std::string_view message, Format format) {
  return finish(error_reply(code, message), format);
}

namespace {
// A view through its protobuf message `Pb`.
template <class Pb, class View>
std::string plain_reference(const View& v, Format format) {
  Pb m;
  codec::to_proto(v, &m);
  return finish(m, format);
}
}  // namespace

std::string encode_plain_reference(const PatientView& v, Format format) {
  return plain_reference<pb::PatientView>(v, format);
}
std::string encode_plain_reference(const DisplayView& v, Format format) {
  return plain_reference<pb::DisplayView>(v, format);
}
std::string encode_plain_reference(const StaffView& v, Format format) {
  return plain_reference<pb::StaffView>(v, format);
}
std::string encode_plain_reference(const Board& v, Format format) {
  return plain_reference<pb::Board>(v, format);
}


// ---- the direct JSON writers; binary through the codec ----

namespace {

// Typical sizes, so that one allocation usually suffices.
constexpr std::size_t kPatientReserve = 640;
constexpr std::size_t kBoardReserve = 256;

template <typename View>
void append_update(const View& v, Time sent_at, Format format, std::string* out) {
  if (format == Format::kProto) {
    codec::append_serialized_update(v, sent_at, out);
  } else {
    append_update_json(v, sent_at, out);
  }
}

template <typename View>
std::string direct_update(const View& v, Time sent_at, Format format, std::size_t reserve) {
  std::string out;
  out.reserve(reserve);
  append_update(v, sent_at, format, &out);
  return out;
}

template <typename View>
std::string direct_plain(const View& v, Format format, std::size_t reserve) {
  std::string out;
  out.reserve(reserve);
  if (format == Format::kProto) {
    codec::append_serialized(v, &out);
  } else {
    append_json(v, &out);
  }
  return out;
}

std::size_t display_reserve(const DisplayView& v) { return 128 + 256 * v.rooms.size(); }
std::size_t staff_reserve(const StaffView& v) {
  return 512 + 320 * v.tickets.size() + 8 * (v.appointment_left.size() + v.walkin_left.size());
}
std::size_t board_reserve(const Board& v) { return kBoardReserve + 24 * v.waiting.size(); }

}  // namespace

std::string encode_view(const PatientView& v, Time sent_at, Format format) {
  return direct_update(v, sent_at, format, kPatientReserve);
}
std::string encode_view(const DisplayView& v, Time sent_at, Format format) {
  return direct_update(v, sent_at, format, display_reserve(v));
}
std::string encode_view(const StaffView& v, Time sent_at, Format format) {
  return direct_update(v, sent_at, format, staff_reserve(v));
}
std::string encode_view(const Board& v, Time sent_at, Format format) {
  return direct_update(v, sent_at, format, board_reserve(v));
}

void append_view(const PatientView& v, Time sent_at, Format format, std::string* out) {
  append_update(v, sent_at, format, out);
}
void append_view(const DisplayView& v, Time sent_at, Format format, std::string* out) {
  append_update(v, sent_at, format, out);
}
void append_view(const StaffView& v, Time sent_at, Format format, std::string* out) {
  append_update(v, sent_at, format, out);
}
void append_view(const Board& v, Time sent_at, Format format, std::string* out) {
  append_update(v, sent_at, format, out);
}

std::string encode_plain(const PatientView& v, Format format) {
  return direct_plain(v, format, kPatientReserve);
}
std::string encode_plain(const DisplayView& v, Format format) {
  return direct_plain(v, format, display_reserve(v));
}
std::string encode_plain(const StaffView& v, Format format) {
  return direct_plain(v, format, staff_reserve(v));
}
std::string encode_plain(const Board& v, Format format) {
  return direct_plain(v, format, board_reserve(v));
}

}  // namespace qc::gw
