#include "server/api/qr.h"

#include <qrencode.h>

#include <memory>
#include <string>

namespace qc {
namespace {

constexpr int kQuietZone = 4;  // modules of white border (ISO/IEC 18004)

struct QrFree {
  void operator()(QRcode* q) const { QRcode_free(q); }
};

}  // namespace

std::string qr_svg(std::string_view text) {
  if (text.empty() || text.size() > kQrMaxTextBytes ||
      text.find('\0') != std::string_view::npos) {
    return {};
  }
  const std::string input(text);  // libqrencode wants a NUL-terminated string
  std::unique_ptr<QRcode, QrFree> code(
      QRcode_encodeString(input.c_str(), /*version=*/0, QR_ECLEVEL_M,
                          QR_MODE_8, /*casesensitive=*/1));
  if (!code || code->width <= 0 || code->data == nullptr) return {};

  const int w = code->width;
  const int size = w + 2 * kQuietZone;
  const std::string n = std::to_string(size);
  std::string out;
  out.reserve(256 + static_cast<std::size_t>(w) * static_cast<std::size_t>(w) * 3);
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + n + " " + n +
         "\" width=\"" + std::to_string(size * 8) + "\" height=\"" +
         std::to_string(size * 8) +
         "\" shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"QR code\">";
  out += "<rect width=\"" + n + "\" height=\"" + n + "\" fill=\"#fff\"/>";
  out += "<path fill=\"#000\" d=\"";
  // One rectangle per horizontal run of dark modules: small and exact.
  for (int y = 0; y < w; ++y) {
    const unsigned char* row = code->data + static_cast<std::ptrdiff_t>(y) * w;
    for (int x = 0; x < w;) {
      if ((row[x] & 1) == 0) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < w && (row[x + run] & 1) != 0) ++run;
      out += 'M';
      out += std::to_string(x + kQuietZone);
      out += ' ';
      out += std::to_string(y + kQuietZone);
      out += 'h';
      out += std::to_string(run);
      out += "v1h-";
      out += std::to_string(run);
      out += 'z';
      x += run;
    }
  }
  out += "\"/></svg>";
  return out;
}

}  // namespace qc
