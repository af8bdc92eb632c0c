// Fuzz target: queuecastd's configuration file (server/infra/config.h
// parse_config_json) and one `--limit name=value` assignment (set_limit).
// Input: a configuration file ("{..."), or "name=value\n" then one.
// Properties: never crashes; a rejection always says why.
#include <cstdint>
#include <string>
#include <string_view>

#include "server/infra/config.h"
#include "tests/fuzz/check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // "{...": a whole configuration file; otherwise "name=value\n{...}".
  std::string_view text = in;
  if (!in.starts_with('{')) {
    std::size_t nl = in.find('\n');
    std::string_view first = in.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    qc::gw::Limits limits;
    std::string error;
    if (!qc::gw::set_limit(first, &limits, &error)) {
      fuzz_debug("limit rejected:", error);
      FUZZ_CHECK(!error.empty());
    }
  }
  qc::gw::Config config;
  std::string error;
  if (!qc::gw::parse_config_json(text, &config, &error)) {
    fuzz_debug("config rejected:", error);
    FUZZ_CHECK(!error.empty());
  } else {
    fuzz_debug("config accepted");
  }
  return 0;
}
