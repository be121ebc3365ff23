#include "hsinstall/callback.hpp"


#include "text.hpp"
#include "url_parts.hpp"

namespace hsinstall {

using namespace detail;

const char* to_string(CallbackKind k) noexcept {
  switch (k) {
    case CallbackKind::success: return "success";
    case CallbackKind::marketplace_authorize: return "marketplace_authorize";
    case CallbackKind::marketplace_finalize: return "marketplace_finalize";
  }
  return "success";
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  // Length is not secret (states have a fixed shape); the content is.
  const std::size_t n = a.size() > b.size() ? a.size() : b.size();
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  for (std::size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  volatile unsigned sink = diff;  // keep the loop from being cut short
  return sink == 0;
}

namespace {

bool code_chars_ok(std::string_view code) {
  for (char c : code)
    if (!is_unreserved(c)) return false;
  return true;
}

bool return_url_ok(std::string_view url, const std::vector<std::string>& extra_origins) {
  UrlParts u;
  Diagnostics ignored;
  if (!split_url(url, u, ignored, "") || !u.has_authority || u.has_userinfo) return false;
  if (u.scheme == "https" && !u.has_port && hubspot_ui_host(u.host, nullptr)) return true;  // exact lower-case host: no look-alikes
  const std::size_t origin_len = u.scheme.size() + 3 + u.host.size() + (u.has_port ? 1 + u.port.size() : 0);
  const std::string_view origin = url.substr(0, origin_len);
  for (const auto& o : extra_origins)
    if (o == origin) return true;
  return false;
}

}  // namespace

Result<Callback> parse_callback(std::string_view input, const CallbackOptions& opt) {
  Result<Callback> result;
  Diagnostics& ds = result.diagnostics;
  Callback cb;
  if (input.size() > kMaxCallbackBytes) {
    ds.push_back({"callback.oversize", Severity::error, "url", "The callback is " + std::to_string(input.size()) + " bytes long, over the 16 KiB limit.",
                  "HubSpot's callbacks are short; refuse this request."});
    return result;
  }
  std::string_view query;
  const auto q = input.find('?');
  // A full URL starts with a scheme; anything else is a query, "?query" or "/path?query".
  std::size_t scheme_len = 0;
  while (scheme_len < input.size() && (is_alpha(input[scheme_len]) || (scheme_len > 0 && (is_digit(input[scheme_len]) || input[scheme_len] == '+' ||
                                                                                          input[scheme_len] == '-' || input[scheme_len] == '.'))))
    ++scheme_len;
  const bool full_url = scheme_len > 0 && input.substr(scheme_len, 3) == "://";
  if (full_url) {
    UrlParts u;
    if (!split_url(input, u, ds, "url")) return result;
    if (!u.has_query) {
      ds.push_back({"callback.missing_code", Severity::error, "query", "The callback URL has no query, so no code.",
                    "Pass the whole URL HubSpot redirected to, including ?code=…&state=…."});
      return result;
    }
    query = u.query;
  } else {
    query = q == std::string_view::npos ? input : input.substr(q + 1);
    if (q != std::string_view::npos && q > 0 && input[0] != '/') {
      ds.push_back({"url.not_absolute", Severity::error, "url", "The callback " + show(input) + " is neither a full URL, a path with a query, nor a query.",
                    "Pass the URL HubSpot redirected to, its path and query (/oauth/callback?code=…), or the query alone."});
      return result;
    }
    if (auto h = query.find('#'); h != std::string_view::npos) query = query.substr(0, h);
    // A bare query must be URL text by the same rule as a full URL.
    if (!url_chars_ok(query, ds, "query")) return result;
  }

  ParsedQuery parsed;
  parse_query(query, ds, parsed);
  if (has_errors(ds)) return result;
  // The parameters HubSpot sends, each at most once; anything else is kept as an extra.
  static constexpr std::string_view kKnown[] = {"code", "state", "error", "error_description", "error_uri", "step", "returnUrl"};
  const std::string_view* known[7] = {};
  std::size_t seen[7] = {};
  const std::string_view *&code = known[0], *&state = known[1], *&error = known[2], *&error_description = known[3], *&error_uri = known[4],
                         *&step = known[5], *&return_url = known[6];
  cb.extra_params.reserve(parsed.params.size());
  for (const auto& p : parsed.params) {
    std::size_t k = 0;
    while (k < 7 && kKnown[k] != p.key) ++k;
    const std::size_t n = k < 7 ? seen[k]++ : 0;
    if (p.value.size() > opt.max_value_bytes) {
      ds.push_back({"callback.oversize", Severity::error, query_where(p.key, n),
                    "The value of " + show(p.key) + " is " + std::to_string(p.value.size()) + " bytes, over the " +
                        std::to_string(opt.max_value_bytes) + "-byte limit.",
                    "Refuse this request; HubSpot's codes and hsinstall's states are far shorter."});
      continue;
    }
    if (k == 7) {
      cb.extra_params.emplace_back(p.key, p.value);
      continue;
    }
    if (n > 0) {
      const char* which = p.key == "code" ? "callback.duplicate_code" : p.key == "state" ? "callback.duplicate_state" : "url.duplicate_param";
      ds.push_back({which, Severity::error, query_where(p.key, n), "The parameter " + show(p.key) + " appears more than once.",
                    "Refuse this request: HubSpot sends each parameter once, and servers disagree on which copy wins."});
      continue;
    }
    known[k] = &p.value;
  }
  if (has_errors(ds)) return result;

  // Marketplace-initiated installs: step=authorize (with returnUrl), then step=finalize (with code).
  if (step) {
    if (*step == "authorize") {
      cb.kind = CallbackKind::marketplace_authorize;
      if (!return_url)
        ds.push_back({"callback.missing_return_url", Severity::error, "query.returnUrl",
                      "A marketplace-initiated install (step=authorize) came without returnUrl.",
                      "Refuse it; HubSpot always sends the returnUrl to continue the install."});
      else if (!return_url_ok(*return_url, opt.extra_return_origins))
        ds.push_back({"callback.bad_return_url", Severity::error, "query.returnUrl",
                      "The returnUrl " + show(*return_url) + " is not a HubSpot address.",
                      "Only https://app.hubspot.com or https://app-<hublet>.hubspot.com may be followed; anything else is an open redirect."});
      else
        cb.return_url = *return_url;
    } else if (*step == "finalize") {
      cb.kind = CallbackKind::marketplace_finalize;
    } else {
      ds.push_back({"callback.bad_step", Severity::error, "query.step", "The step " + show(*step) + " is not one HubSpot sends.",
                    "Expect step=authorize or step=finalize on marketplace-initiated installs."});
    }
    if (has_errors(ds)) return result;
    if (cb.kind == CallbackKind::marketplace_authorize) {
      ds.push_back({"callback.marketplace_initiated", Severity::note, "query.step",
                    "A marketplace-initiated install: send the person on to returnUrl (after any sign-up of yours).",
                    "HubSpot then shows its consent screen and calls back with step=finalize and a code."});
      result.value = std::move(cb);
      return result;
    }
  }

  // State before anything else: an error redirect with a forged state is not reported as HubSpot's.
  const bool marketplace = cb.kind == CallbackKind::marketplace_finalize;
  if (state) {
    cb.state = *state;
    cb.has_state = true;
  }
  if (!opt.expected_state.empty()) {
    // An expected state is required whatever the kind: adding step=finalize must not skip the check.
    if (!state) {
      ds.push_back({"callback.missing_state", Severity::error, "query.state", "The callback has no state, but one was expected.",
                    "Refuse it: without the state you issued, this redirect may be forged (CSRF)."});
      return result;
    } else if (!constant_time_equal(*state, opt.expected_state)) {
      ds.push_back({"callback.state_mismatch", Severity::error, "query.state", "The callback's state does not match the one issued.",
                    "Refuse it and start the install again; a stale tab, a replay or a forged request sends a wrong state."});
      return result;
    } else {
      cb.state_verified = true;
    }
  } else if (!marketplace) {
    ds.push_back({"callback.state_unchecked", Severity::warning, "query.state", "No expected state was given, so state was not verified.",
                  "Pass the state you issued for this install (CSRF protection)."});
  }

  if (error) {
    std::string message = "HubSpot returned " + show(*error);
    if (error_description) (message += ": ") += *error_description;
    if (error_uri) ((message += " (") += *error_uri) += ")";
    const bool denied = *error == "access_denied";
    ds.push_back({denied ? "callback.access_denied" : "callback.hubspot_error", Severity::error, "query.error", message,
                  denied ? "The person declined the install; offer to try again." : "Fix what HubSpot names, then start the install again."});
    return result;
  }
  if (!code || code->empty()) {
    ds.push_back({"callback.missing_code", Severity::error, "query.code", "The callback has no code.",
                  "Pass the URL HubSpot redirected to; a request without code did not come from a completed consent."});
    return result;
  }
  if (!code_chars_ok(*code)) {
    ds.push_back({"callback.invalid_code", Severity::error, "query.code", "The code " + show(*code) + " has characters HubSpot's codes never have.",
                  "Refuse it; HubSpot's codes are letters, digits and hyphens (na1-xxxx-…)."});
    return result;
  }
  cb.code = *code;
  if (marketplace)
    ds.push_back({"callback.marketplace_initiated", Severity::note, "query.step", "The final step of a marketplace-initiated install.",
                  "Exchange the code as usual."});
  result.value = std::move(cb);
  return result;
}

}  // namespace hsinstall
