#include "hsinstall/install_url.hpp"

#include <algorithm>
#include <map>

#include "hsinstall/redirect_uri.hpp"
#include "hsinstall/scopes.hpp"
#include "scope_check.hpp"
#include "text.hpp"
#include "url_parts.hpp"

namespace hsinstall {

using namespace detail;

namespace {

bool contains(const std::vector<std::string>& v, std::string_view s) { return std::find(v.begin(), v.end(), s) != v.end(); }

bool uuid_shaped(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!is_hex(s[i])) {
      return false;
    }
  }
  return true;
}

bool all_digits(std::string_view s) {
  if (s.empty() || s.size() > 20) return false;
  for (char c : s)
    if (!is_digit(c)) return false;
  return true;
}

// Checks the two scope lists of a URL (or of a build request): names, repeats, overlap.
// Sensitivity is a config matter, not reported here.
void check_scope_lists(const std::vector<std::string>& scopes, const std::vector<std::string>& optional,
                       std::string_view scope_key, std::string_view optional_key, Diagnostics& ds) {
  auto before = [](const std::vector<std::string>& v, std::size_t i) { return std::find(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v[i]) != v.begin() + static_cast<std::ptrdiff_t>(i); };
  // Quadratic at worst in kMaxScopesPerList, never in the input's length.
  const std::size_t n_scopes = std::min(scopes.size(), kMaxScopesPerList), n_optional = std::min(optional.size(), kMaxScopesPerList);
  for (const auto& [list, key] : {std::pair{&scopes, scope_key}, std::pair{&optional, optional_key}})
    if (list->size() > kMaxScopesPerList)
      ds.push_back({"scope.too_many", Severity::error, std::string(key),
                    std::to_string(list->size()) + " scopes are listed; only the first " + std::to_string(kMaxScopesPerList) + " were checked.",
                    "Ask only for the scopes the app configures; HubSpot has about 250 scopes in all."});
  for (std::size_t i = 0; i < n_scopes; ++i) {
    ScopeWhere w{scope_key, i, true};
    check_scope(scopes[i], w, SensitiveReport::none, ds);
    if (before(scopes, i))
      ds.push_back({"scope.duplicate", Severity::warning, w.str(), "The scope " + show(scopes[i]) + " appears twice.", "Remove the repeat."});
  }
  for (std::size_t i = 0; i < n_optional; ++i) {
    ScopeWhere w{optional_key, i, true};
    check_scope(optional[i], w, SensitiveReport::none, ds);
    if (before(optional, i))
      ds.push_back({"scope.duplicate", Severity::warning, w.str(), "The scope " + show(optional[i]) + " appears twice.", "Remove the repeat."});
    else if (std::find(scopes.begin(), scopes.begin() + static_cast<std::ptrdiff_t>(n_scopes), optional[i]) != scopes.begin() + static_cast<std::ptrdiff_t>(n_scopes))
      ds.push_back({"scope.conflict", Severity::error, w.str(),
                    "The scope " + show(optional[i]) + " is both required (scope) and optional (optional_scope).",
                    "Keep it in one parameter, as the app's configuration says."});
  }
}

void append(Diagnostics& to, Diagnostics from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

}  // namespace

std::string install_host(std::string_view h) {
  std::string host = ascii_lower(h);
  if (host.empty() || host == "global" || host == "na1") return "app.hubspot.com";
  if (hubspot_ui_host(host, nullptr)) return host;
  std::string candidate = "app-" + host + ".hubspot.com";
  if (hubspot_ui_host(candidate, nullptr)) return candidate;
  return {};
}

Result<std::string> build_install_url(const InstallUrlRequest& rq) {
  Result<std::string> result;
  Diagnostics& ds = result.diagnostics;
  std::string host = install_host(rq.host);
  if (host.empty())
    ds.push_back({"install_url.bad_host", Severity::error, "host", "The host " + show(rq.host) + " is not a HubSpot app host.",
                  "Use \"global\" (app.hubspot.com), a hublet such as \"eu1\", or app-eu1.hubspot.com."});
  if (!rq.account_id.empty() && !all_digits(rq.account_id))
    ds.push_back({"install_url.bad_account_id", Severity::error, "account_id", "The account id " + show(rq.account_id) + " is not a number.",
                  "Give the HubSpot account (portal) id, digits only, or leave it out."});
  if (rq.client_id.empty())
    ds.push_back({"install_url.missing_client_id", Severity::error, "client_id", "No client id was given.",
                  "Copy the app's client ID from its Auth settings in HubSpot."});
  else if (!uuid_shaped(rq.client_id))
    ds.push_back({"install_url.client_id_format", Severity::warning, "client_id",
                  "The client id " + show(rq.client_id) + " does not look like HubSpot's (a UUID such as 0f3e…-…).",
                  "Copy the client ID (not the app id or the secret) from the app's Auth settings."});
  if (rq.redirect_uri.empty())
    ds.push_back({"install_url.missing_redirect_uri", Severity::error, "redirect_uri", "No redirect URI was given.",
                  "Give one of the app's redirect URLs."});
  else
    append(ds, validate_redirect_uri(rq.redirect_uri, "redirect_uri"));
  if (rq.scopes.empty())
    ds.push_back({"install_url.missing_scope", Severity::error, "scopes", "No scope was given; HubSpot needs at least one in `scope`.",
                  "Pass the app's required scopes (at least \"oauth\")."});
  check_scope_lists(rq.scopes, rq.optional_scopes, "scopes", "optional_scopes", ds);
  const std::pair<const std::string*, const char*> texts[] = {
      {&rq.client_id, "client_id"}, {&rq.redirect_uri, "redirect_uri"}, {&rq.state, "state"}, {&rq.account_id, "account_id"}};
  for (const auto& [text, field] : texts)
    if (!valid_utf8(*text) || find_control(*text) != std::string::npos)
      ds.push_back({"install_url.invalid_text", Severity::error, field,
                    std::string("The ") + field + " is not valid UTF-8 text or holds a control character.",
                    "Pass text (UTF-8, no control characters such as NUL)."});
  if (rq.state.empty())
    ds.push_back({"install_url.missing_state", Severity::warning, "state", "The URL carries no state.",
                  "Pass a fresh unpredictable state per install and check it on the callback (CSRF protection)."});
  if (has_errors(ds)) return result;

  std::string url = "https://" + host + "/oauth/";
  if (!rq.account_id.empty()) url += rq.account_id + "/";
  url += "authorize?client_id=";
  percent_encode_to(url, rq.client_id);
  url += "&redirect_uri=";
  percent_encode_to(url, rq.redirect_uri);
  url += "&scope=";
  percent_encode_to(url, join(rq.scopes, " "));
  if (!rq.optional_scopes.empty()) {
    url += "&optional_scope=";
    percent_encode_to(url, join(rq.optional_scopes, " "));
  }
  if (!rq.state.empty()) {
    url += "&state=";
    percent_encode_to(url, rq.state);
  }
  if (url.size() > kInstallUrlWarnLength)
    ds.push_back({"install_url.too_long", Severity::warning, "url", "The URL is " + std::to_string(url.size()) + " characters long.",
                  "Some browsers and proxies cut URLs past 2,000 characters; request fewer scopes or a shorter state."});
  result.value = std::move(url);
  return result;
}

Result<std::string> build_install_url(const AppConfig& app, const AppInstallRequest& rq) {
  Result<std::string> result;
  Diagnostics& ds = result.diagnostics;
  if (app.auth_type == AuthType::static_auth) {
    ds.push_back({"install_url.static_app", Severity::error, "config", "This app uses static auth; it has no OAuth install URL.",
                  "Static-auth apps install through https://app.hubspot.com/static-token/{accountId}/authorize?appId={appId}."});
    return result;
  }
  InstallUrlRequest r;
  r.client_id = rq.client_id;
  r.state = rq.state;
  r.host = rq.host;
  r.account_id = rq.account_id;
  r.redirect_uri = rq.redirect_uri.empty() && !app.redirect_urls.empty() ? app.redirect_urls.front() : rq.redirect_uri;
  if (!r.redirect_uri.empty()) append(ds, check_redirect_registered(r.redirect_uri, app.redirect_urls, "redirect_uri"));
  r.scopes = app.scopes.required;
  for (std::size_t i = 0; i < rq.with_scopes.size(); ++i) {
    const std::string& s = rq.with_scopes[i];
    std::string where = "with[" + std::to_string(i) + "]";
    if (contains(app.scopes.conditional, s)) {
      if (!contains(r.scopes, s)) r.scopes.push_back(s);
    } else if (contains(app.scopes.required, s)) {
      ds.push_back({"install_url.already_required", Severity::warning, where, "The scope " + show(s) + " is required already.",
                    "Leave it out; required scopes are always in the URL."});
    } else if (contains(app.scopes.optional, s)) {
      ds.push_back({"install_url.optional_in_scope", Severity::error, where,
                    "The scope " + show(s) + " is optional in the app; it goes in optional_scope, which the URL always carries.",
                    "Leave it out of the conditional scopes."});
    } else {
      auto sugg = app.scopes.conditional.empty() ? std::string("The app has no conditionally required scopes.")
                                                 : "The app's conditionally required scopes: " + join(app.scopes.conditional, ", ") + ".";
      ds.push_back({"install_url.not_conditional", Severity::error, where,
                    "The scope " + show(s) + " is not among the app's conditionally required scopes.",
                    sugg + " Add it to conditionallyRequiredScopes first."});
    }
  }
  r.optional_scopes = app.scopes.optional;
  auto built = build_install_url(r);
  append(ds, std::move(built.diagnostics));
  if (!has_errors(ds)) result.value = std::move(built.value);
  return result;
}

InspectedUrl inspect_install_url(std::string_view text, const AppConfig* app) {
  InspectedUrl out;
  Diagnostics& ds = out.diagnostics;
  InstallUrl& v = out.url;
  UrlParts u;
  if (!split_url(text, u, ds, "url")) return out;
  const std::string scheme = ascii_lower(u.scheme);
  v.host = ascii_lower(u.host);
  if (scheme != "https")
    ds.push_back({"install_url.insecure", Severity::error, "scheme", "The install URL uses " + show(u.scheme) + ", not https.",
                  "Install URLs start with https://app.hubspot.com/oauth/authorize."});
  if (!u.has_authority || u.host.empty()) {
    ds.push_back({"install_url.not_hubspot", Severity::error, "host", "The install URL has no host.",
                  "Install URLs start with https://app.hubspot.com/oauth/authorize."});
    return out;
  }
  if (u.has_userinfo)
    ds.push_back({"install_url.userinfo", Severity::error, "authority",
                  "The install URL has user information before '@'; the real host is " + show(u.host) + ".",
                  "Remove everything between // and @."});
  if (!hubspot_ui_host(v.host, &v.hublet)) {
    std::string hint = "Use app.hubspot.com, or app-<hublet>.hubspot.com (such as app-eu1.hubspot.com) for accounts hosted elsewhere.";
    ds.push_back({"install_url.not_hubspot", Severity::error, "host", "The host " + show(u.host) + " is not a HubSpot app host.", hint});
  }
  if (u.has_port)
    ds.push_back({"install_url.port", Severity::error, "port", "The install URL names a port (" + std::string(u.port) + ").",
                  "Remove the port; HubSpot serves on 443."});
  // path: /oauth/authorize or /oauth/<accountId>/authorize
  std::string_view path = u.path;
  bool path_ok = false;
  if (path == "/oauth/authorize") {
    path_ok = true;
  } else if (starts_with(path, "/oauth/") && ends_with(path, "/authorize") && path.size() > 17) {
    std::string_view id = path.substr(7, path.size() - 7 - 10);
    if (all_digits(id)) {
      v.account_id = std::string(id);
      path_ok = true;
    }
  }
  if (!path_ok) {
    std::string hint = starts_with(path, "/static-token/")
                           ? "This is a static-auth install link; hsinstall checks OAuth install URLs (/oauth/authorize)."
                           : "Use /oauth/authorize, or /oauth/<accountId>/authorize for one account.";
    ds.push_back({"install_url.bad_path", Severity::error, "path", "The path " + show(path) + " is not HubSpot's authorize path.", hint});
  }
  if (u.has_fragment)
    ds.push_back({"install_url.fragment", Severity::warning, "fragment", "The install URL has a fragment ('#…'), which is not sent to HubSpot.",
                  "Remove it."});

  ParsedQuery parsed;
  parse_query(u.query, ds, parsed);
  static constexpr std::string_view kKnown[] = {"client_id", "redirect_uri", "scope", "optional_scope", "state"};
  std::size_t seen[5] = {};
  bool have_client = false, have_redirect = false, have_scope = false, have_state = false, plus_used = false;
  std::vector<std::string>* lists[2] = {&v.scopes, &v.optional_scopes};
  for (const auto& p : parsed.params) {
    std::size_t k = 0;
    while (k < 5 && kKnown[k] != p.key) ++k;
    const bool known = k < 5;
    const std::size_t n = known ? seen[k]++ : 0;
    if (known && n > 0) {
      ds.push_back({"url.duplicate_param", Severity::error, query_where(p.key, n),
                    "The parameter " + show(p.key) + " appears " + std::to_string(n + 1) + " times.",
                    p.key == "scope" || p.key == "optional_scope" ? "Give it once, with the scopes separated by %20."
                                                                   : "Give it once; servers disagree on which copy wins."});
      continue;
    }
    if (!p.ok) {
      if (p.key == "client_id") have_client = true;
      if (p.key == "redirect_uri") have_redirect = true;
      if (p.key == "scope") have_scope = true;
      if (p.key == "state") have_state = true;  // present, undecodable: its own error says so
      continue;
    }
    if (p.key == "client_id") {
      have_client = !p.value.empty();
      v.client_id = p.value;
    } else if (p.key == "redirect_uri") {
      have_redirect = !p.value.empty();
      v.redirect_uri = p.value;
      if (have_redirect) append(ds, validate_redirect_uri(p.value, "query.redirect_uri"));
    } else if (p.key == "scope" || p.key == "optional_scope") {
      auto* list = lists[p.key == "scope" ? 0 : 1];
      *list = split_spaces(p.value);
      if (p.key == "scope") have_scope = !list->empty();
      if (p.raw_value.find('+') != std::string_view::npos) plus_used = true;
      if (p.value.find(',') != std::string::npos)
        ds.push_back({"install_url.comma_separated", Severity::error, "query." + std::string(p.key),
                      "The " + std::string(p.key) + " parameter separates scopes with commas.",
                      "Separate scopes with spaces, written %20; HubSpot reads a comma as part of a name."});
    } else if (p.key == "state") {
      v.state = p.value;
      v.has_state = true;
      have_state = true;
      if (p.value.empty())
        ds.push_back({"install_url.missing_state", Severity::warning, "query.state", "The URL's state is empty.",
                      "Put a fresh unpredictable state per install in it and check it on the callback (CSRF protection)."});
    } else {
      v.extra_params.emplace_back(p.key, p.value);
      if (p.key == "client_secret" || p.key == "hapikey" || p.key == "access_token" || p.key == "refresh_token")
        ds.push_back({"install_url.secret_leak", Severity::error, "query." + std::string(p.key),
                      "The install URL carries " + show(p.key) + ", a secret that browsers, logs and HubSpot's consent page would all see.",
                      "Remove it now and rotate the secret; install URLs carry only client_id, redirect_uri, scope, optional_scope and state."});
      else if (p.key == "response_type")
        ds.push_back({"install_url.extra_param", Severity::note, "query." + std::string(p.key),
                      "response_type is not part of HubSpot's install URL; HubSpot ignores it.", "You may remove it."});
      else
        ds.push_back({"install_url.extra_param", Severity::warning, "query." + std::string(p.key),
                      "The parameter " + show(p.key) + " is not one HubSpot's install URL uses.",
                      "Remove it; HubSpot expects client_id, redirect_uri, scope, optional_scope and state."});
    }
  }
  if (!have_client)
    ds.push_back({"install_url.missing_client_id", Severity::error, "query.client_id", "The URL has no client_id.",
                  "Add client_id=<your app's client ID>."});
  if (!have_redirect)
    ds.push_back({"install_url.missing_redirect_uri", Severity::error, "query.redirect_uri", "The URL has no redirect_uri.",
                  "Add redirect_uri=<one of the app's redirect URLs, percent-encoded>."});
  if (!have_scope)
    ds.push_back({"install_url.missing_scope", Severity::error, "query.scope", "The URL has no scope.",
                  "Add scope=<the app's required scopes, separated by %20>."});
  if (!have_state)
    ds.push_back({"install_url.missing_state", Severity::warning, "query.state", "The URL has no state.",
                  "Add a fresh unpredictable state per install and check it on the callback (CSRF protection)."});
  if (plus_used)
    ds.push_back({"install_url.plus_encoding", Severity::note, "query.scope", "Scopes are separated with '+'.",
                  "HubSpot accepts it; its own builders write %20, which every parser reads the same way."});
  check_scope_lists(v.scopes, v.optional_scopes, "query.scope", "query.optional_scope", ds);
  if (!v.client_id.empty() && !uuid_shaped(v.client_id))
    ds.push_back({"install_url.client_id_format", Severity::warning, "query.client_id",
                  "The client id " + show(v.client_id) + " does not look like HubSpot's (a UUID).",
                  "Copy the client ID (not the app id or the secret) from the app's Auth settings."});
  if (text.size() > kInstallUrlWarnLength)
    ds.push_back({"install_url.too_long", Severity::warning, "url", "The URL is " + std::to_string(text.size()) + " characters long.",
                  "Some browsers and proxies cut URLs past 2,000 characters; request fewer scopes or a shorter state."});
  if (app) append(ds, check_install_url(v, *app));
  return out;
}

Result<InstallUrl> parse_install_url(std::string_view url) {
  auto inspected = inspect_install_url(url);
  Result<InstallUrl> r;
  r.diagnostics = std::move(inspected.diagnostics);
  if (!has_errors(r.diagnostics)) r.value = std::move(inspected.url);
  return r;
}

Diagnostics check_install_url(const InstallUrl& url, const AppConfig& app) {
  Diagnostics ds;
  const ScopeConfig& c = app.scopes;
  if (app.auth_type == AuthType::static_auth)
    ds.push_back({"install_url.static_app", Severity::error, "config", "The app uses static auth; it has no OAuth install URL.",
                  "Static-auth apps install through https://app.hubspot.com/static-token/{accountId}/authorize?appId={appId}."});
  for (std::size_t i = 0; i < c.required.size(); ++i) {
    if (c.required[i] == "oauth" || contains(url.scopes, c.required[i])) continue;
    std::string hint = contains(url.optional_scopes, c.required[i]) ? "It is in optional_scope; move it to scope."
                                                                   : "Add it to the scope parameter (rebuild the URL from the config).";
    ds.push_back({"install_url.missing_required_scope", Severity::error, "query.scope",
                  "The required scope " + show(c.required[i]) + " is missing from scope.", hint});
  }
  for (std::size_t i = 0; i < std::min(url.scopes.size(), kMaxScopesPerList); ++i) {  // (past the cap: scope.too_many)
    const std::string& s = url.scopes[i];
    std::string where = query_where("scope", i);
    if (s == "oauth" || contains(c.required, s) || contains(c.conditional, s)) continue;
    if (contains(c.optional, s))
      ds.push_back({"install_url.optional_in_scope", Severity::error, where,
                    "The scope " + show(s) + " is optional in the app but is in scope, which makes it required.",
                    "Move it to optional_scope."});
    else
      ds.push_back({"install_url.undeclared_scope", Severity::error, where, "The scope " + show(s) + " is not in the app's configuration.",
                    "Remove it, or add it to the app's scopes and upload the project."});
  }
  for (std::size_t i = 0; i < std::min(url.optional_scopes.size(), kMaxScopesPerList); ++i) {
    const std::string& s = url.optional_scopes[i];
    std::string where = query_where("optional_scope", i);
    if (contains(c.optional, s)) continue;
    if (contains(c.required, s) || contains(c.conditional, s))
      ds.push_back({"install_url.required_in_optional", Severity::error, where,
                    "The scope " + show(s) + " is required or conditionally required in the app but is in optional_scope.",
                    "Move it to scope."});
    else
      ds.push_back({"install_url.undeclared_scope", Severity::error, where, "The scope " + show(s) + " is not in the app's configuration.",
                    "Remove it, or add it to the app's optionalScopes and upload the project."});
  }
  if (!url.redirect_uri.empty()) append(ds, check_redirect_registered(url.redirect_uri, app.redirect_urls, "query.redirect_uri"));
  return ds;
}

}  // namespace hsinstall
