#pragma once
// `state` values from caller-supplied random bytes (the core has no randomness
// and no crypto of its own). Format, URL-safe:
//   <nonce>                 base64url of at least 16 random bytes
//   <nonce>.<exp>           with an expiry, Unix seconds
//   <nonce>.<exp>.<mac>     signed: mac = the host's HMAC over "<nonce>.<exp>"
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hsinstall/diagnostic.hpp"

namespace hsinstall {

inline constexpr std::size_t kMinStateBytes = 16;
inline constexpr std::size_t kMaxStateBytes = 64;

struct StateToken {
  std::vector<std::uint8_t> nonce;
  std::optional<std::int64_t> expires_at;
  std::vector<std::uint8_t> mac;  // empty when unsigned
  std::string signed_part;        // "<nonce>.<exp>": what the host's HMAC covers
};

Result<std::string> encode_state(const std::uint8_t* random, std::size_t n, std::optional<std::int64_t> expires_at = std::nullopt);
// Appends the host-computed MAC of state_signing_input(state) to a state with an expiry.
Result<std::string> sign_state(std::string_view state, const std::uint8_t* mac, std::size_t n);
Result<StateToken> decode_state(std::string_view state);
// Checks expiry against `now` and, when expected_mac is given, the MAC in constant time.
Diagnostics verify_state(const StateToken& token, std::int64_t now, const std::uint8_t* expected_mac = nullptr, std::size_t mac_len = 0);

}  // namespace hsinstall
