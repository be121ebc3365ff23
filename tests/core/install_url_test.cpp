#include <catch2/catch.hpp>

#include <random>

#include "hsinstall/install_url.hpp"
#include "hsinstall/scopes.hpp"

using namespace hsinstall;

TEST_CASE("built URLs parse back to the same fields", "[install_url]") {
  std::mt19937 rng(20261125);
  std::vector<std::string> current;
  for (const auto& s : scope_catalogue())
    if (s.status == ScopeStatus::current && s.name != "oauth") current.push_back(s.name);
  const std::vector<std::string> tricky = {"a", "Z", "0", "-", ".", "_", "~", " ", "!", "\"", "#", "$", "%", "&", "'", "(", ")", "*", "+",
                                           ",", "/", ":", ";", "<", "=", ">", "?", "@", "[", "\\", "]", "^", "`", "{", "|", "}", "é", "€", "😀"};
  for (int round = 0; round < 500; ++round) {
    std::shuffle(current.begin(), current.end(), rng);
    InstallUrlRequest rq;
    rq.client_id = "0f3e4c2a-1b2c-4d5e-8f90-123456789abc";
    rq.redirect_uri = "https://app.example.com/oauth/callback?tenant=" + std::to_string(round) + "&x=a%20b";
    rq.scopes = {"oauth"};
    std::size_t n = rng() % 8, m = rng() % 5;
    for (std::size_t i = 0; i < n; ++i) rq.scopes.push_back(current[i]);
    for (std::size_t i = 0; i < m; ++i) rq.optional_scopes.push_back(current[n + i]);
    for (int i = 0; i < 12; ++i) rq.state += tricky[rng() % tricky.size()];
    rq.host = round % 3 == 0 ? "eu1" : "";
    rq.account_id = round % 4 == 0 ? std::to_string(10000 + round) : "";
    auto built = build_install_url(rq);
    INFO(rq.state);
    REQUIRE(built.value);
    CHECK(built.value->find('+') == std::string::npos);
    CHECK(built.value->find(' ') == std::string::npos);
    auto parsed = parse_install_url(*built.value);
    REQUIRE(parsed.value);
    CHECK(parsed.value->client_id == rq.client_id);
    CHECK(parsed.value->redirect_uri == rq.redirect_uri);
    CHECK(parsed.value->scopes == rq.scopes);
    CHECK(parsed.value->optional_scopes == rq.optional_scopes);
    CHECK(parsed.value->state == rq.state);
    CHECK(parsed.value->account_id == rq.account_id);
    CHECK(parsed.value->host == (rq.host == "eu1" ? "app-eu1.hubspot.com" : "app.hubspot.com"));
  }
}

TEST_CASE("host names", "[install_url]") {
  CHECK(install_host("") == "app.hubspot.com");
  CHECK(install_host("global") == "app.hubspot.com");
  CHECK(install_host("eu1") == "app-eu1.hubspot.com");
  CHECK(install_host("EU1") == "app-eu1.hubspot.com");
  CHECK(install_host("app-eu1.hubspot.com") == "app-eu1.hubspot.com");
  CHECK(install_host("evil.example").empty());
  CHECK(install_host("app.hubspot.com.evil.example").empty());
  CHECK(install_host("eu1.evil").empty());
}

TEST_CASE("an install URL with thousands of scopes is refused quickly", "[install_url]") {
  std::string url = "https://app.hubspot.com/oauth/authorize?client_id=0f3e4c2a-1b2c-4d5e-8f90-123456789abc"
                    "&redirect_uri=https%3A%2F%2Fx.example%2Fcb&state=s&scope=oauth";
  for (int i = 0; i < 20000; ++i) url += "%20s" + std::to_string(i);
  auto r = inspect_install_url(url);
  bool too_many = false;
  for (const auto& d : r.diagnostics) too_many = too_many || d.code == "scope.too_many";
  CHECK(too_many);
}
