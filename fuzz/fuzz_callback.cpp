// libFuzzer: callback parsing; the first byte picks whether a state is expected.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "hsinstall/json.hpp"

#include "hsinstall/callback.hpp"

using namespace hsinstall;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  CallbackOptions opt;
  if (data[0] & 1) opt.expected_state = "S1";
  auto r = parse_callback(text, opt);
  (void)to_json(r.diagnostics).dump();  // throws (a crash here) on any invalid UTF-8 in the output
  if (r.value) (void)to_json(*r.value).dump();

  // A verified state can only be the expected one.
  if (r.value && r.value->state_verified && r.value->state != opt.expected_state) std::abort();
  if (r.value && !opt.expected_state.empty() && !r.value->state_verified && r.value->kind != CallbackKind::marketplace_authorize) std::abort();
  return 0;
}
