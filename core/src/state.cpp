#include "hsinstall/state.hpp"

#include "hsinstall/callback.hpp"
#include "text.hpp"

namespace hsinstall {

using namespace detail;

namespace {

bool parse_expiry(std::string_view s, std::int64_t& out) {
  if (s.empty() || s.size() > 15) return false;  // up to year 30000000
  std::int64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

}  // namespace

Result<std::string> encode_state(const std::uint8_t* random, std::size_t n, std::optional<std::int64_t> expires_at) {
  Result<std::string> r;
  if (!random || n < kMinStateBytes) {
    r.diagnostics.push_back({"state.too_short", Severity::error, "random", "A state needs at least 16 random bytes; got " + std::to_string(random ? n : 0) + ".",
                             "Pass 16 to 64 bytes from a cryptographic source (crypto.getRandomValues, secrets.token_bytes)."});
    return r;
  }
  if (n > kMaxStateBytes) {
    r.diagnostics.push_back({"state.too_long", Severity::error, "random", "A state takes at most 64 random bytes; got " + std::to_string(n) + ".",
                             "Pass 16 to 64 bytes; 32 is plenty."});
    return r;
  }
  if (expires_at && *expires_at < 0) {
    r.diagnostics.push_back({"state.bad_expiry", Severity::error, "expires_at", "The expiry is negative.", "Pass Unix seconds."});
    return r;
  }
  std::string s = base64url_encode(random, n);
  if (expires_at) s += "." + std::to_string(*expires_at);
  r.value = std::move(s);
  return r;
}

Result<std::string> sign_state(std::string_view state, const std::uint8_t* mac, std::size_t n) {
  Result<std::string> r;
  auto decoded = decode_state(state);
  if (!decoded) {
    r.diagnostics = std::move(decoded.diagnostics);
    return r;
  }
  if (!decoded.value->mac.empty() || !decoded.value->expires_at) {
    r.diagnostics.push_back({"state.not_signable", Severity::error, "state",
                             decoded.value->mac.empty() ? "Only a state with an expiry can be signed." : "The state is signed already.",
                             "Sign the output of encode_state(random, n, expires_at)."});
    return r;
  }
  if (!mac || n < 16) {
    r.diagnostics.push_back({"state.bad_mac", Severity::error, "mac", "The MAC is shorter than 16 bytes.", "Pass a full HMAC-SHA256 (32 bytes)."});
    return r;
  }
  r.value = std::string(state) + "." + base64url_encode(mac, n);
  return r;
}

Result<StateToken> decode_state(std::string_view s) {
  Result<StateToken> r;
  auto malformed = [&](const std::string& why) {
    r.diagnostics.push_back({"state.malformed", Severity::error, "state", "The state is malformed: " + why + ".",
                             "Use the state exactly as issued; it may have been cut, re-cased or altered."});
    return r;
  };
  if (s.size() > 512) return malformed("it is over 512 characters");
  std::string_view parts[3];
  std::size_t n = 0, start = 0;
  while (true) {
    auto dot = s.find('.', start);
    if (n == 3) return malformed("it has more than three parts");
    parts[n++] = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  auto nonce = base64url_decode(parts[0]);
  if (!nonce) return malformed("the nonce is not base64url");
  if (nonce->size() < kMinStateBytes) return malformed("the nonce is shorter than 16 bytes");
  if (nonce->size() > kMaxStateBytes) return malformed("the nonce is longer than 64 bytes");
  StateToken t;
  t.nonce = std::move(*nonce);
  if (n >= 2) {
    std::int64_t exp = 0;
    if (!parse_expiry(parts[1], exp)) return malformed("the expiry is not a number of seconds");
    t.expires_at = exp;
    t.signed_part = std::string(s.substr(0, parts[0].size() + 1 + parts[1].size()));
  }
  if (n == 3) {
    auto mac = base64url_decode(parts[2]);
    if (!mac || mac->size() < 16) return malformed("the signature is not base64url of at least 16 bytes");
    t.mac = std::move(*mac);
  }
  r.value = std::move(t);
  return r;
}

Diagnostics verify_state(const StateToken& t, std::int64_t now, const std::uint8_t* expected_mac, std::size_t mac_len) {
  Diagnostics ds;
  if (expected_mac) {
    if (t.mac.empty()) {
      ds.push_back({"state.unsigned", Severity::error, "state", "The state carries no signature, but a signed one was expected.",
                    "Refuse it; a state the hook did not sign was not issued by it."});
      return ds;
    }
    std::string_view a(reinterpret_cast<const char*>(t.mac.data()), t.mac.size());
    std::string_view b(reinterpret_cast<const char*>(expected_mac), mac_len);
    if (!constant_time_equal(a, b)) {
      ds.push_back({"state.bad_signature", Severity::error, "state", "The state's signature does not match.",
                    "Refuse it; the state was forged or altered, or the signing key changed."});
      return ds;
    }
  }
  if (t.expires_at && *t.expires_at <= now)
    ds.push_back({"state.expired", Severity::error, "state", "The state expired " + std::to_string(now - *t.expires_at) + " s ago.",
                  "Start the install again; states are short-lived on purpose."});
  return ds;
}

}  // namespace hsinstall
