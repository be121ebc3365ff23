#pragma once
// Install (OAuth authorize) URLs: build from fields or from an app config,
// parse any install URL back into fields, and check a URL against an app.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hsinstall/app_config.hpp"
#include "hsinstall/diagnostic.hpp"

namespace hsinstall {

// Explicit fields. `scopes` are the required scopes plus the conditionally
// required ones this URL asks for; `optional_scopes` go to `optional_scope`.
struct InstallUrlRequest {
  std::string client_id;
  std::string redirect_uri;
  std::vector<std::string> scopes;
  std::vector<std::string> optional_scopes;
  std::string state;       // empty: no state (a warning; always pass one)
  std::string host;        // "", "global", "app.hubspot.com", "eu1" or "app-eu1.hubspot.com"
  std::string account_id;  // non-empty: https://<host>/oauth/<account_id>/authorize
};

// From an app config: required scopes, plus the conditionally required scopes in
// `with_scopes` (that is how tiered URLs are made), optional scopes as configured.
struct AppInstallRequest {
  std::string client_id;
  std::string redirect_uri;  // empty: the app's first redirect URL
  std::vector<std::string> with_scopes;
  std::string state;
  std::string host;
  std::string account_id;
};

// Everything an install URL carries, as parsed.
struct InstallUrl {
  std::string host;        // e.g. "app.hubspot.com"
  std::string hublet;      // "" for app.hubspot.com, "eu1" for app-eu1.hubspot.com
  std::string account_id;  // from /oauth/<id>/authorize, or ""
  std::string client_id;
  std::string redirect_uri;
  std::vector<std::string> scopes;
  std::vector<std::string> optional_scopes;
  std::string state;
  bool has_state = false;
  std::vector<std::pair<std::string, std::string>> extra_params;  // anything else, in order
};

inline constexpr std::size_t kInstallUrlWarnLength = 2000;

Result<std::string> build_install_url(const InstallUrlRequest& request);
Result<std::string> build_install_url(const AppConfig& app, const AppInstallRequest& request);

// Parses an install URL, best effort: `value` holds every field that could be
// read, `diagnostics` everything HubSpot would reject or a user would trip on.
// With an app, also checks the URL against it (check_install_url).
struct InspectedUrl {
  InstallUrl url;
  Diagnostics diagnostics;
};
InspectedUrl inspect_install_url(std::string_view url, const AppConfig* app = nullptr);

// The same, gated: a value only when no error was found.
Result<InstallUrl> parse_install_url(std::string_view url);

// Does a parsed URL fit the app? Missing required scope, optional scope inside
// `scope`, undeclared scope, scope in both parameters, unregistered redirect.
Diagnostics check_install_url(const InstallUrl& url, const AppConfig& app);

// "eu1" → "app-eu1.hubspot.com"; "" or "global" → "app.hubspot.com"; a full
// HubSpot UI host is kept. Empty string for anything else.
std::string install_host(std::string_view host_or_hublet);

}  // namespace hsinstall
