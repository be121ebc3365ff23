#pragma once
// The redirect back from HubSpot: success (code, state), error (error,
// error_description, error_uri; reported only after state is checked) and the
// marketplace-initiated install (step=authorize with returnUrl, then step=finalize).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hsinstall/diagnostic.hpp"

namespace hsinstall {

enum class CallbackKind { success, marketplace_authorize, marketplace_finalize };
const char* to_string(CallbackKind k) noexcept;

struct Callback {
  CallbackKind kind = CallbackKind::success;
  std::string code;
  std::string state;
  bool has_state = false;
  bool state_verified = false;  // true when it matched the expected state
  std::string return_url;       // marketplace_authorize: where to send the person next (a HubSpot host)
  std::vector<std::pair<std::string, std::string>> extra_params;
};

struct CallbackOptions {
  std::string expected_state;  // empty: state is not verified (a warning)
  std::size_t max_value_bytes = 2048;
  // Exact origins ("http://127.0.0.1:8025") also honoured as a marketplace returnUrl, for a
  // local HubSpot sandbox. HubSpot's own hosts always are; nothing else ever is.
  std::vector<std::string> extra_return_origins = {};
};

inline constexpr std::size_t kMaxCallbackBytes = 16384;

// Accepts a full URL ("https://example.com/cb?code=…&state=…"), a query
// ("?code=…" or "code=…&state=…"). Errors: callback.state_mismatch,
// callback.missing_state, callback.duplicate_state, callback.missing_code,
// callback.duplicate_code, callback.oversize, url.bad_percent_encoding,
// url.control_character, callback.access_denied / callback.hubspot_error, ...
Result<Callback> parse_callback(std::string_view url_or_query, const CallbackOptions& options = {});

// Compares in time that depends only on the lengths, not on where they differ.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace hsinstall
