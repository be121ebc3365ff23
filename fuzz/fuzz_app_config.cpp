// libFuzzer: app config parsing in both formats.
#include <cstdint>
#include <string_view>

#include "hsinstall/app_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)hsinstall::parse_app_config(text, "app-hsmeta.json");
  (void)hsinstall::parse_app_config(text, "public-app.json");
  return 0;
}
