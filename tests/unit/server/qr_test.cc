// qr_svg: the kiosk ticket's QR code (server/api/qr.h).
#include "server/api/qr.h"

#include <gtest/gtest.h>

#include <string>

namespace qc {
namespace {

TEST(QrSvg, EncodesAUrlAsACompleteSvg) {
  const std::string svg = qr_svg("http://127.0.0.1:8080/t/0123456789abcdef0123456789abcdef");
  ASSERT_FALSE(svg.empty());
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_NE(svg.find("shape-rendering=\"crispEdges\""), std::string::npos);
  EXPECT_EQ(svg.substr(svg.size() - 6), "</svg>");
}

TEST(QrSvg, StartsWithTheTopLeftFinderPatternInsideTheQuietZone) {
  // Row 0 of every QR code: a 7-module dark run at x=0 (finder pattern);
  // with the 4-module quiet zone it is drawn at (4,4).
  const std::string svg = qr_svg("HELLO");
  EXPECT_NE(svg.find("d=\"M4 4h7v1h-7z"), std::string::npos) << svg;
}

TEST(QrSvg, SizeGrowsWithTheText) {
  // Version 1 (21 modules) + 2*4 quiet zone = 29.
  EXPECT_NE(qr_svg("A").find("viewBox=\"0 0 29 29\""), std::string::npos);
  const std::string longer(300, 'x');
  EXPECT_EQ(qr_svg(longer).find("viewBox=\"0 0 29 29\""), std::string::npos);
}

TEST(QrSvg, IsDeterministic) {
  EXPECT_EQ(qr_svg("http://x/t/abc"), qr_svg("http://x/t/abc"));
  EXPECT_NE(qr_svg("http://x/t/abc"), qr_svg("http://x/t/abd"));
}

TEST(QrSvg, RejectsWhatCannotBeEncoded) {
  EXPECT_EQ(qr_svg(""), "");
  EXPECT_EQ(qr_svg(std::string(kQrMaxTextBytes + 1, 'a')), "");
  EXPECT_EQ(qr_svg(std::string("a\0b", 3)), "");
  EXPECT_FALSE(qr_svg(std::string(kQrMaxTextBytes, 'a')).empty());
}

}  // namespace
}  // namespace qc
