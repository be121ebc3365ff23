// libFuzzer: redirect URI validation and exact matching.
#include <cstdint>
#include <string>
#include <string_view>

#include "hsinstall/redirect_uri.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)hsinstall::validate_redirect_uri(text);
  static const std::vector<std::string> registered = {"https://app.example.com/oauth/callback", "http://localhost:3000/cb"};
  (void)hsinstall::check_redirect_registered(text, registered);
  return 0;
}
