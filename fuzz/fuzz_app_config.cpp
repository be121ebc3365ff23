// libFuzzer: app config parsing in both formats.
#include <cstdint>
#include <string_view>

#include "hsinstall/app_config.hpp"
#include "hsinstall/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const char* name : {"app-hsmeta.json", "public-app.json"}) {
    auto r = hsinstall::parse_app_config(text, name);
    (void)hsinstall::to_json(r.diagnostics).dump();  // throws (a crash here) on any invalid UTF-8 in the output
    if (r.value) (void)hsinstall::to_json(*r.value).dump();
  }
  return 0;
}
