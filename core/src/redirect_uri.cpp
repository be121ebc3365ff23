#include "hsinstall/redirect_uri.hpp"

#include "text.hpp"
#include "url_parts.hpp"

namespace hsinstall {

using namespace detail;

namespace {

bool host_chars_ok(std::string_view host) {
  if (host.empty() || host.front() == '.' || host.back() == '.') return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i < host.size(); ++i) {
    char c = host[i];
    if (c == '.') {
      if (label == 0) return false;  // empty label
      label = 0;
      continue;
    }
    if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '_')) return false;
    if (++label > 63) return false;
  }
  return host.size() <= 253;
}

bool has_dot_segment(std::string_view path) {
  std::size_t start = 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    std::string seg = ascii_lower(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (seg == "." || seg == ".." || seg == "%2e" || seg == "%2e%2e" || seg == ".%2e" || seg == "%2e.") return true;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return false;
}

}  // namespace

Diagnostics validate_redirect_uri(std::string_view uri, const std::string& where) {
  Diagnostics ds;
  UrlParts u;
  if (!split_url(uri, u, ds, where)) {
    for (auto& d : ds) {
      if (d.code == "url.not_absolute") {
        d.code = "redirect.relative";
        d.message = "The redirect URI " + show(uri) + " is not an absolute URL.";
        d.hint = "Give the full URL HubSpot should send people back to, such as https://example.com/oauth/callback.";
      }
    }
    return ds;
  }
  const std::string scheme = ascii_lower(u.scheme);
  const std::string host = ascii_lower(u.host);
  if (scheme != "https" && scheme != "http") {
    ds.push_back({"redirect.bad_scheme", Severity::error, where,
                  "The redirect URI uses the scheme " + show(u.scheme) + "; HubSpot redirects only to https URLs.",
                  "Use an https:// URL (http:// only for localhost while testing)."});
    return ds;
  }
  if (!u.has_authority || u.host.empty()) {
    ds.push_back({"redirect.no_host", Severity::error, where, "The redirect URI " + show(uri) + " has no host.",
                  "Write it as https://your.domain/path."});
    return ds;
  }
  if (u.scheme != scheme || (u.host != host && u.host.front() != '[' && u.host.find('%') == std::string_view::npos)) {
    ds.push_back({"redirect.not_canonical", Severity::warning, where,
                  "The redirect URI " + show(uri) + " has upper-case letters in its scheme or host.",
                  "Write the scheme and host in lower case; HubSpot compares redirect URLs exactly."});
  }
  if (u.has_userinfo) {
    ds.push_back({"redirect.userinfo", Severity::error, where,
                  "The redirect URI " + show(uri) + " has user information before '@'; the real host is " + show(u.host) + ".",
                  "Remove the part before '@'; credentials never belong in a redirect URL."});
  }
  const bool localhost = host == "localhost";
  const bool loopback_ip = host == "127.0.0.1" || host == "[::1]";
  if (host.front() == '[') {
    if (!loopback_ip)
      ds.push_back({"redirect.ip_address", Severity::error, where, "The redirect URI's host " + show(u.host) + " is an IP address.",
                    "Use a domain name; HubSpot does not accept IP addresses (use localhost for local testing)."});
  } else if (is_ipv4_like(host)) {
    if (!loopback_ip)
      ds.push_back({"redirect.ip_address", Severity::error, where, "The redirect URI's host " + show(u.host) + " is an IP address.",
                    "Use a domain name; HubSpot does not accept IP addresses (use localhost for local testing)."});
  } else if (host.find('*') != std::string::npos) {
    ds.push_back({"redirect.wildcard", Severity::error, where, "The redirect URI's host " + show(u.host) + " has a wildcard.",
                  "List every redirect URL in full; HubSpot matches them exactly."});
  } else if (!host_chars_ok(host)) {
    ds.push_back({"redirect.bad_host", Severity::error, where,
                  "The redirect URI's host " + show(u.host) + " is not a valid domain name (empty label, trailing dot, escape or symbol).",
                  "Write the plain domain, such as app.example.com."});
  }
  if (loopback_ip) {
    ds.push_back({"redirect.loopback_ip", Severity::warning, where,
                  "The redirect URI uses the loopback address " + show(u.host) + "; HubSpot documents only localhost for local testing.",
                  "Use http://localhost instead."});
  }
  if (scheme == "http" && !localhost && !loopback_ip) {
    ds.push_back({"redirect.insecure", Severity::error, where,
                  "The redirect URI " + show(uri) + " uses http; HubSpot requires https except for localhost.",
                  "Use https://" + std::string(u.host) + std::string(u.has_port ? ":" : "") + std::string(u.port) + std::string(u.path) + "."});
  } else if (localhost) {
    ds.push_back({"redirect.localhost", Severity::note, where, "The redirect URI points at localhost: fine for testing only.",
                  "Register a public https URL before distributing the app."});
  }
  if (u.path.find('*') != std::string_view::npos) {
    ds.push_back({"redirect.wildcard", Severity::error, where, "The redirect URI's path has a wildcard.",
                  "List every redirect URL in full; HubSpot matches them exactly."});
  }
  if (has_dot_segment(u.path)) {
    ds.push_back({"redirect.dot_segment", Severity::error, where,
                  "The redirect URI's path " + show(u.path) + " has a '.' or '..' segment (possibly %-encoded), which browsers resolve away.",
                  "Write the path without dot segments."});
  }
  if (u.has_fragment) {
    ds.push_back({"redirect.fragment", Severity::error, where, "The redirect URI " + show(uri) + " has a fragment ('#…').",
                  "Remove the fragment; OAuth redirect URIs must not have one."});
  }
  return ds;
}

Diagnostics check_redirect_registered(std::string_view uri, const std::vector<std::string>& registered,
                                      const std::string& where) {
  Diagnostics ds;
  for (const auto& r : registered)
    if (r == uri) return ds;
  std::string hint;
  for (const auto& r : registered) {
    std::string_view a = uri, b = r;
    if (!a.empty() && a.back() == '/') a.remove_suffix(1);
    if (!b.empty() && b.back() == '/') b.remove_suffix(1);
    if (iequals(a, b)) {
      hint = "The registered URL " + show(r) + " differs only in case or a trailing slash; HubSpot matches exactly.";
      break;
    }
  }
  if (hint.empty()) {
    if (registered.empty())
      hint = "The app has no redirect URLs; add this one to auth.redirectUrls.";
    else
      hint = "Use one of the app's redirect URLs (" + join(registered, ", ") + ") or register this one in auth.redirectUrls.";
  }
  ds.push_back({"redirect.unregistered", Severity::error, where,
                "The redirect URI " + show(uri) + " is not one of the app's registered redirect URLs.", hint});
  return ds;
}

}  // namespace hsinstall
