// libFuzzer: redirect URI validation and exact matching.
#include <cstdint>
#include <string>
#include <string_view>

#include "hsinstall/json.hpp"
#include "hsinstall/redirect_uri.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)hsinstall::to_json(hsinstall::validate_redirect_uri(text)).dump();  // throws (a crash here) on invalid UTF-8 output
  static const std::vector<std::string> registered = {"https://app.example.com/oauth/callback", "http://localhost:3000/cb"};
  (void)hsinstall::to_json(hsinstall::check_redirect_registered(text, registered)).dump();
  return 0;
}
