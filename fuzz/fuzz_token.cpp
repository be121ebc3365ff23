// libFuzzer: token and introspection responses; the first two bytes pick the HTTP status.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "hsinstall/json.hpp"
#include "hsinstall/state.hpp"
#include "hsinstall/token.hpp"

using namespace hsinstall;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static const int statuses[] = {200, 201, 204, 400, 401, 403, 404, 408, 429, 500, 502, 503};
  int status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
  std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);
  auto t = parse_token_response(status, body);
  if (t.ok() == t.error.has_value()) std::abort();  // exactly one of tokens or error
  auto i = parse_introspection_response(status, body);
  if (i.ok() == i.error.has_value()) std::abort();
  (void)to_json(t).dump();  // throws (a crash here) on any invalid UTF-8 in the output
  (void)to_json(i).dump();
  (void)to_json(decode_state(body).diagnostics).dump();
  return 0;
}
