// The README's C++ example, compiled and run by the test suite.
#include <cstdio>

#include "hsinstall/hsinstall.hpp"

int main() {
  using namespace hsinstall;

  // 1. Read and check the app's config file (the text comes from wherever you like).
  auto app = parse_app_config(R"({
    "uid": "acme-sync", "type": "app",
    "config": {"name": "Acme Sync", "description": "Orders to deals.", "distribution": "marketplace",
               "auth": {"type": "oauth", "redirectUrls": ["https://acme.example/oauth/callback"],
                        "requiredScopes": ["oauth", "crm.objects.deals.write"],
                        "conditionallyRequiredScopes": ["e-commerce"],
                        "optionalScopes": ["crm.objects.contacts.read"]}}})",
                              "app-hsmeta.json");
  for (const auto& d : app.diagnostics) std::printf("%s %s %s\n", to_string(d.severity), d.code.c_str(), d.where.c_str());
  if (!app) return 1;

  // 2. An install URL for the tier that includes e-commerce, with a fresh state.
  const std::uint8_t random[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};  // use a CSPRNG
  auto state = encode_state(random, sizeof random);
  AppInstallRequest install;
  install.client_id = "0f3e4c2a-1b2c-4d5e-8f90-123456789abc";
  install.with_scopes = {"e-commerce"};  // a conditionally required scope this URL asks for
  install.state = *state.value;
  auto url = build_install_url(*app.value, install);
  if (!url) return 1;
  std::printf("%s\n", url.value->c_str());

  // 3. HubSpot redirects back; verify state in constant time and take the code.
  CallbackOptions expect;
  expect.expected_state = *state.value;
  auto cb = parse_callback("https://acme.example/oauth/callback?code=na1-1a2b-3c4d&state=" + *state.value, expect);
  if (!cb) return 1;

  // 4. The token request your server sends (the secret stays in the body).
  CodeGrant grant;
  grant.client_id = "0f3e4c2a-1b2c-4d5e-8f90-123456789abc";
  grant.client_secret = "the-secret";  // from your server's environment, never the page
  grant.redirect_uri = app.value->redirect_urls[0];
  grant.code = cb.value->code;
  auto req = build_code_request(grant);
  std::printf("%s %s\n", req.value->method.c_str(), req.value->url.c_str());

  // 5. And its answer: tokens, or a typed error that says whether to retry.
  auto res = parse_token_response(400, R"({"status":"EXPIRED_AUTH_CODE","message":"expired","error":"invalid_grant"})");
  std::printf("%s retryable=%d\n", res.error->code.c_str(), res.error->retryable);
  return 0;
}
