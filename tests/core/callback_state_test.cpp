#include <catch2/catch.hpp>

#include <random>

#include "hsinstall/callback.hpp"
#include "hsinstall/state.hpp"

using namespace hsinstall;

TEST_CASE("constant_time_equal is equality", "[callback]") {
  CHECK(constant_time_equal("", ""));
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "ab"));
  CHECK_FALSE(constant_time_equal("", "a"));
  CHECK_FALSE(constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST_CASE("states round-trip for every allowed length", "[state]") {
  std::mt19937 rng(7);
  for (std::size_t n = kMinStateBytes; n <= kMaxStateBytes; ++n) {
    std::vector<std::uint8_t> bytes(n);
    for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
    auto s = encode_state(bytes.data(), n, 1800000000);
    REQUIRE(s.value);
    for (char c : *s.value) CHECK((isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'));
    std::vector<std::uint8_t> mac(32, static_cast<std::uint8_t>(n));
    auto signed_state = sign_state(*s.value, mac.data(), mac.size());
    REQUIRE(signed_state.value);
    auto d = decode_state(*signed_state.value);
    REQUIRE(d.value);
    CHECK(d.value->nonce == bytes);
    CHECK(d.value->expires_at == 1800000000);
    CHECK(d.value->signed_part == *s.value);
    CHECK(verify_state(*d.value, 1700000000, mac.data(), mac.size()).empty());
    mac[0] ^= 1;
    auto bad = verify_state(*d.value, 1700000000, mac.data(), mac.size());
    REQUIRE(bad.size() == 1);
    CHECK(bad[0].code == "state.bad_signature");
    // A state used as a callback parameter survives unchanged.
    auto cb = parse_callback("code=na1-x&state=" + *signed_state.value, {*signed_state.value, 2048});
    REQUIRE(cb.value);
    CHECK(cb.value->state_verified);
  }
}

TEST_CASE("state expiry is checked against the caller's clock", "[state]") {
  std::vector<std::uint8_t> bytes(16, 1);
  auto s = encode_state(bytes.data(), bytes.size(), 1000);
  auto d = decode_state(*s.value);
  CHECK(verify_state(*d.value, 999).empty());
  auto late = verify_state(*d.value, 1000);
  REQUIRE(late.size() == 1);
  CHECK(late[0].code == "state.expired");
}

TEST_CASE("a sandbox origin is honoured as returnUrl only when named", "[callback]") {
  const std::string q = "step=authorize&returnUrl=http%3A%2F%2F127.0.0.1%3A8025%2Fmarketplace%2Fcontinue";
  auto refused = parse_callback(q);
  REQUIRE_FALSE(refused.value);
  CHECK(refused.diagnostics[0].code == "callback.bad_return_url");
  CallbackOptions opt;
  opt.extra_return_origins = {"http://127.0.0.1:8025"};
  auto ok = parse_callback(q, opt);
  REQUIRE(ok.value);
  CHECK(ok.value->return_url == "http://127.0.0.1:8025/marketplace/continue");
  opt.extra_return_origins = {"http://127.0.0.1:802"};  // a prefix of the origin is not the origin
  CHECK_FALSE(parse_callback(q, opt).value);
  opt.extra_return_origins = {"http://127.0.0.1:8025"};
  CHECK_FALSE(parse_callback("step=authorize&returnUrl=http%3A%2F%2F127.0.0.1%3A80250%2Fx", opt).value);
  CHECK_FALSE(parse_callback("step=authorize&returnUrl=http%3A%2F%2Fu%40127.0.0.1%3A8025%2Fx", opt).value);
}
