#include <catch2/catch.hpp>

#include "hsinstall/token.hpp"

using namespace hsinstall;

TEST_CASE("secrets travel only in the form body", "[token]") {
  const std::string secret = "s3cr3t-value";
  for (TokenApi api : {TokenApi::v3, TokenApi::v2026_03, TokenApi::v1}) {
    auto code = build_code_request({"cid", secret, "https://app.example.com/cb", "na1-code", "", api, "https://api.hubapi.com"});
    REQUIRE(code.value);
    CHECK(code.value->url.find(secret) == std::string::npos);
    CHECK(code.value->body.find("client_secret=" + secret) != std::string::npos);
    for (const auto& [k, v] : code.value->headers) CHECK(v.find(secret) == std::string::npos);
    auto refresh = build_refresh_request({"cid", secret, "rt-1", api, "https://api.hubapi.com"});
    REQUIRE(refresh.value);
    CHECK(refresh.value->url.find(secret) == std::string::npos);
    CHECK(refresh.value->url.find("rt-1") == std::string::npos);
  }
}

TEST_CASE("plain http only to a loopback sandbox", "[token]") {
  CHECK(build_code_request({"cid", "s", "https://x.example/cb", "c", "", TokenApi::v3, "http://127.0.0.1:8080"}).value);
  auto bad = build_code_request({"cid", "s", "https://x.example/cb", "c", "", TokenApi::v3, "http://api.hubapi.com"});
  REQUIRE_FALSE(bad.value);
  CHECK(bad.diagnostics[0].code == "token.insecure_endpoint");
}

TEST_CASE("64-bit ids survive exactly", "[token]") {
  auto r = parse_token_response(200, R"({"access_token":"a","refresh_token":"r","expires_in":1800,"hub_id":9223372036854775807,"user_id":9007199254740993})");
  REQUIRE(r.tokens);
  CHECK(*r.tokens->hub_id == INT64_MAX);
  CHECK(*r.tokens->user_id == 9007199254740993LL);
}

TEST_CASE("no body crashes the parsers", "[token]") {
  const char* bodies[] = {"", "null", "[]", "\"x\"", "{", "{\"access_token\":1}", "{\"error\":{}}", "<html>502</html>",
                          "{\"expires_in\":-5,\"access_token\":\"a\"}", "{\"scopes\":7,\"access_token\":\"a\",\"expires_in\":1}"};
  for (const char* b : bodies) {
    for (int status : {200, 400, 401, 429, 500, 503}) {
      auto r = parse_token_response(status, b);
      CHECK(r.ok() != r.error.has_value());
      auto i = parse_introspection_response(status, b);
      CHECK(i.ok() != i.error.has_value());
    }
  }
}
