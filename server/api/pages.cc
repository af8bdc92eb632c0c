// Service: the static pages under the web root, and QR codes of patient links.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "server/api/qr.h"
#include "server/api/service.h"

namespace qc::gw {

namespace {

constexpr const char kPageCsp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; media-src 'self'; manifest-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

std::string mime_of(std::string_view file) {
  auto dot = file.rfind('.');
  std::string_view ext = dot == std::string_view::npos ? "" : file.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "json" || ext == "webmanifest") return "application/json";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "mp3") return "audio/mpeg";
  if (ext == "wav") return "audio/wav";
  if (ext == "woff2") return "font/woff2";
  return "application/octet-stream";
}

}  // namespace

HttpResponse Service::page(const Route& route) const {
  namespace fs = std::filesystem;
  if (config_.web_root.empty())
    return error_response(404, "not_found", "no web root configured", Format::kJson);
  // Only a regular file inside the web root (after resolving symlinks and
  // dot segments): a directory, a socket or a path leading out is 404.
  std::error_code ec;
  const fs::path root = fs::canonical(config_.web_root, ec);
  if (ec) return error_response(404, "not_found", "no such page", Format::kJson);
  const fs::path file = fs::weakly_canonical(root / route.file, ec);
  const bool inside =
      !ec && std::mismatch(root.begin(), root.end(), file.begin(), file.end()).first == root.end();
  if (!inside || !fs::is_regular_file(file, ec))
    return error_response(404, "not_found", "no such page", Format::kJson);
  std::ifstream in(file, std::ios::binary);
  if (!in) return error_response(404, "not_found", "no such page", Format::kJson);
  std::stringstream ss;
  ss << in.rdbuf();
  HttpResponse r;
  r.content_type = mime_of(route.file);
  r.body = ss.str();
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  // The pages load scripts, styles and images from the server only and talk
  // to it only (fetch, WebSocket); no inline script or style (docs/pages.md).
  r.headers.emplace_back("Content-Security-Policy", kPageCsp);
  // The patient page's URL carries its token: never send it as a Referer.
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  return r;
}

HttpResponse Service::qr(const HttpRequest& req) const {
  std::string text = query_param(req.target, "text");
  // Only links to patient pages ("/t/<token>") of some http(s) server.
  bool ok = false;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (std::string_view(text).starts_with(scheme)) {
      auto slash = text.find('/', scheme.size());
      ok = slash != std::string::npos && std::string_view(text).substr(slash).starts_with("/t/");
    }
  }
  if (!ok) return error_response(Error::kInvalidArgument, "text must be a URL of a /t/ patient page", Format::kJson);
  std::string svg = qr_svg(text);
  if (svg.empty()) return error_response(Error::kInvalidArgument, "cannot encode this text", Format::kJson);
  HttpResponse r;
  r.content_type = "image/svg+xml";
  r.body = std::move(svg);
  r.headers.emplace_back("Cache-Control", "max-age=86400");
  return r;
}

}  // namespace qc::gw
