#include "hsinstall/token.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "hsinstall/scopes.hpp"
#include "text.hpp"
#include "url_parts.hpp"

namespace hsinstall {

using namespace detail;
using nlohmann::json;

const char* to_string(TokenApi a) noexcept {
  switch (a) {
    case TokenApi::v3: return "v3";
    case TokenApi::v2026_03: return "2026-03";
    case TokenApi::v1: return "v1";
  }
  return "v3";
}

namespace {

constexpr std::size_t kMaxBody = 1 << 20;

const char* version_segment(TokenApi a) { return a == TokenApi::v1 ? "v1" : a == TokenApi::v2026_03 ? "2026-03" : "v3"; }

void check_base(const std::string& base, Diagnostics& ds) {
  UrlParts u;
  Diagnostics local;
  if (!split_url(base, u, local, "api_base") || !u.has_authority || u.host.empty() || u.has_query || u.has_fragment ||
      u.has_userinfo || (!u.path.empty() && u.path != "/")) {
    ds.push_back({"token.bad_endpoint", Severity::error, "api_base", "The API base " + show(base) + " is not a scheme and host.",
                  "Use https://api.hubapi.com (or your sandbox's origin)."});
    return;
  }
  const std::string host = ascii_lower(u.host);
  const bool loopback = host == "localhost" || host == "127.0.0.1" || host == "[::1]";
  if (ascii_lower(u.scheme) != "https" && !(ascii_lower(u.scheme) == "http" && loopback))
    ds.push_back({"token.insecure_endpoint", Severity::error, "api_base", "The API base " + show(base) + " is not https.",
                  "Client secrets and tokens travel only over https (plain http only to a loopback sandbox)."});
}

void need(std::string_view value, const char* field, Diagnostics& ds) {
  if (value.empty())
    ds.push_back({"token.missing_field", Severity::error, field, std::string("No ") + field + " was given.",
                  std::string("Pass the ") + field + "; HubSpot rejects the request without it."});
}

std::string base_of(const std::string& b) { return (!b.empty() && b.back() == '/') ? b.substr(0, b.size() - 1) : b; }

void add_field(std::string& body, const char* key, std::string_view value) {
  if (!body.empty()) body += '&';
  body += key;
  body += '=';
  percent_encode_to(body, value);
}

HttpRequest form_post(std::string url, std::string body) {
  return HttpRequest{"POST", std::move(url),
                     {{"Content-Type", "application/x-www-form-urlencoded;charset=utf-8"}, {"Accept", "application/json"}},
                     std::move(body)};
}

// Reads an integer that may arrive as a JSON number or a string of digits.
std::optional<std::int64_t> int_field(const json& obj, const char* key, Diagnostics& ds) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (it->is_number_unsigned()) {
    auto v = it->get<std::uint64_t>();
    if (v <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(v);
  } else if (it->is_number_integer()) {
    return it->get<std::int64_t>();
  } else if (it->is_number_float()) {
    double d = it->get<double>();
    if (d >= 0 && d < 9.0e15 && static_cast<double>(static_cast<std::int64_t>(d)) == d) return static_cast<std::int64_t>(d);
  } else if (it->is_string()) {
    const auto& s = it->get_ref<const std::string&>();
    if (!s.empty() && s.size() <= 18 && std::all_of(s.begin(), s.end(), is_digit)) return std::stoll(s);
  }
  ds.push_back({"token.unexpected_type", Severity::warning, std::string("body/") + key,
                std::string("The field ") + key + " is not an integer; it is ignored.", "Report this response; HubSpot sends integers here."});
  return std::nullopt;
}

std::string str_field(const json& obj, const char* key, Diagnostics& ds) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return {};
  if (it->is_string()) return it->get<std::string>();
  ds.push_back({"token.unexpected_type", Severity::warning, std::string("body/") + key,
                std::string("The field ") + key + " is not a string; it is ignored.", "Report this response; HubSpot sends a string here."});
  return {};
}

std::vector<std::string> scopes_field(const json& obj, const char* key, bool& present, Diagnostics& ds) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  present = false;
  if (it == obj.end() || it->is_null()) return out;
  if (it->is_string()) {  // tolerate a space-separated string
    present = true;
    return split_spaces(it->get_ref<const std::string&>());
  }
  if (!it->is_array()) {
    ds.push_back({"token.unexpected_type", Severity::warning, std::string("body/") + key, std::string("The field ") + key + " is not a list; it is ignored.",
                  "Report this response; HubSpot sends a list of scope names."});
    return out;
  }
  present = true;
  for (const auto& e : *it)
    if (e.is_string()) out.push_back(e.get<std::string>());
  return out;
}

struct Classified {
  const char* code;
  bool retryable;
  const char* hint;
};

Classified classify(int http, const std::string& error, const std::string& status) {
  // `error` first (RFC 6749), HubSpot's `status` second, the HTTP status last.
  if (error == "invalid_grant" || error.empty()) {
    if (status == "BAD_AUTH_CODE") return {"token.bad_auth_code", false, "The code is unknown or used already; start the install again."};
    if (status == "EXPIRED_AUTH_CODE") return {"token.expired_auth_code", false, "Codes live for minutes; exchange them at once, then start the install again."};
    if (status == "MISMATCH_REDIRECT_URI_AUTH_CODE" || status == "BAD_REDIRECT_URI")
      return {"token.redirect_mismatch", false, "Send exactly the redirect_uri used in the install URL."};
    if (status == "BAD_REFRESH_TOKEN") return {"token.bad_refresh_token", false, "The refresh token is revoked or the app was uninstalled; the account must install again."};
    if (status == "BAD_CODE_VERIFIER") return {"token.bad_code_verifier", false, "Send the code_verifier that matches the install's code_challenge."};
    if (error == "invalid_grant") return {"token.invalid_grant", false, "The grant was refused; start the install again."};
  }
  if (error == "invalid_client" || status == "BAD_CLIENT_ID" || status == "BAD_CLIENT_SECRET") {
    if (status == "BAD_CLIENT_ID") return {"token.bad_client_id", false, "Check the client ID in the app's Auth settings."};
    if (status == "BAD_CLIENT_SECRET") return {"token.bad_client_secret", false, "Check the client secret (it may have been rotated)."};
    return {"token.invalid_client", false, "Check the client ID and secret in the app's Auth settings."};
  }
  if (error == "unsupported_grant_type" || status == "BAD_GRANT_TYPE") return {"token.bad_grant_type", false, "Use grant_type authorization_code or refresh_token."};
  if (error == "invalid_scope" || status == "BAD_SCOPES") return {"token.bad_scopes", false, "Request only scopes the app configures."};
  if (status == "BAD_HUB") return {"token.bad_hub", false, "The account cannot use this app (a developer account, or the app is not installed)."};
  if (http == 429) return {"token.rate_limited", true, "Wait (honour Retry-After) and retry."};
  if (http >= 500) return {"token.server_error", true, "HubSpot had a problem; retry with backoff."};
  if (http == 408) return {"token.timeout", true, "Retry."};
  if (error == "invalid_request") return {"token.invalid_request", false, "A required field is missing or malformed; check the request."};
  return {"token.http_error", false, "Read HubSpot's message; this is not known to mean the install was revoked."};
}

// Parses a JSON body; on failure leaves `doc` discarded.
json parse_body(std::string_view body) {
  if (body.size() > kMaxBody) return json(json::value_t::discarded);
  return json::parse(body.begin(), body.end(), nullptr, false);
}

TokenError error_from(int http, const json& doc, Diagnostics& ds) {
  TokenError e;
  e.http_status = http;
  if (doc.is_object()) {
    e.error = str_field(doc, "error", ds);
    e.error_description = str_field(doc, "error_description", ds);
    e.status = str_field(doc, "status", ds);
    e.message = str_field(doc, "message", ds);
    e.category = str_field(doc, "category", ds);
    e.correlation_id = str_field(doc, "correlationId", ds);
  } else {
    ds.push_back({"token.non_json_body", Severity::note, "body", "The error response's body is not a JSON object.",
                  "Only the HTTP status could be used to classify it."});
  }
  auto c = classify(http, e.error, e.status);
  e.code = c.code;
  e.retryable = c.retryable;
  std::string message = "The token endpoint answered HTTP " + std::to_string(http);
  if (!e.error.empty()) message += " " + e.error;
  if (!e.status.empty()) message += " (" + e.status + ")";
  const std::string& detail = !e.error_description.empty() ? e.error_description : e.message;
  if (!detail.empty()) message += ": " + detail;
  message += e.retryable ? " [retryable]" : " [not retryable]";
  ds.insert(ds.begin(), Diagnostic{e.code, Severity::error, "body", message, c.hint});
  return e;
}

}  // namespace

namespace {

struct Field {
  const char* name;
  std::string_view value;
  bool required;
};

// A form-encoded POST to <api_base><path>: every required field present, optional ones only when set.
Result<HttpRequest> form_request(const std::string& api_base, const std::string& path, std::initializer_list<Field> fields) {
  Result<HttpRequest> r;
  check_base(api_base, r.diagnostics);
  for (const auto& f : fields)
    if (f.required) need(f.value, f.name, r.diagnostics);
  if (has_errors(r.diagnostics)) return r;
  std::string body;
  for (const auto& f : fields)
    if (!f.value.empty()) add_field(body, f.name, f.value);
  r.value = form_post(base_of(api_base) + path, std::move(body));
  return r;
}

std::string token_path(TokenApi api, const char* tail = "") { return std::string("/oauth/") + version_segment(api) + "/token" + tail; }

// A 2xx answer that is not what the endpoint promises: token.malformed_response, first in `ds`.
TokenError malformed_response(int http, const std::string& where, const std::string& message, const char* hint, Diagnostics& ds) {
  TokenError e;
  e.code = "token.malformed_response";
  e.http_status = http;
  ds.insert(ds.begin(), Diagnostic{e.code, Severity::error, where, message + " [not retryable].", hint});
  return e;
}

}  // namespace

Result<HttpRequest> build_code_request(const CodeGrant& g) {
  return form_request(g.api_base, token_path(g.api),
                      {{"grant_type", "authorization_code", true}, {"client_id", g.client_id, true}, {"client_secret", g.client_secret, true},
                       {"redirect_uri", g.redirect_uri, true}, {"code", g.code, true}, {"code_verifier", g.code_verifier, false}});
}

Result<HttpRequest> build_refresh_request(const RefreshGrant& g) {
  return form_request(g.api_base, token_path(g.api),
                      {{"grant_type", "refresh_token", true}, {"client_id", g.client_id, true}, {"client_secret", g.client_secret, true},
                       {"refresh_token", g.refresh_token, true}});
}

static Result<HttpRequest> token_call(const TokenCall& c, bool revoke) {
  if (c.api != TokenApi::v1)
    return form_request(c.api_base, token_path(c.api, revoke ? "/revoke" : "/introspect"),
                        {{"client_id", c.client_id, true}, {"client_secret", c.client_secret, true}, {"token", c.token, true},
                         {"token_type_hint", c.token_type_hint, false}});
  Result<HttpRequest> r;
  check_base(c.api_base, r.diagnostics);
  need(c.token, "token", r.diagnostics);
  if (has_errors(r.diagnostics)) return r;
  const std::string base = base_of(c.api_base);
  // v1 puts the token in the path (one reason it is deprecated); say so.
  r.diagnostics.push_back({"token.v1_token_in_url", Severity::warning, "api", "The v1 endpoint carries the token in the URL path, where logs can see it.",
                           "Use v3 (the default); v1 stops on 2027-02-16."});
  if (revoke) {
    r.value = HttpRequest{"DELETE", base + "/oauth/v1/refresh-tokens/" + percent_encode(c.token), {{"Accept", "application/json"}}, ""};
  } else {
    const char* kind = c.token_type_hint == "refresh_token" ? "refresh-tokens" : "access-tokens";
    r.value = HttpRequest{"GET", base + "/oauth/v1/" + kind + "/" + percent_encode(c.token), {{"Accept", "application/json"}}, ""};
  }
  return r;
}

Result<HttpRequest> build_introspection_request(const TokenCall& c) { return token_call(c, false); }
Result<HttpRequest> build_revoke_request(const TokenCall& c) { return token_call(c, true); }

TokenResponse parse_token_response(int http, std::string_view body) {
  TokenResponse out;
  Diagnostics& ds = out.diagnostics;
  json doc = parse_body(body);
  if (http < 200 || http >= 300) {
    out.error = error_from(http, doc, ds);
    return out;
  }
  auto malformed = [&](const std::string& why) {
    out.error = malformed_response(http, "body", "The token endpoint answered HTTP " + std::to_string(http) + " with " + why,
                                   "Check that the request went to HubSpot's token endpoint; the code may be spent, so start the install again.", ds);
    return out;
  };
  if (doc.is_discarded()) return malformed(body.size() > kMaxBody ? "a body over 1 MiB" : "a body that is not JSON");
  if (!doc.is_object()) return malformed("a JSON body that is not an object");
  Tokens t;
  t.access_token = str_field(doc, "access_token", ds);
  t.refresh_token = str_field(doc, "refresh_token", ds);
  t.token_type = str_field(doc, "token_type", ds);
  t.token_use = str_field(doc, "token_use", ds);
  t.id_token = str_field(doc, "id_token", ds);
  t.hub_id = int_field(doc, "hub_id", ds);
  t.user_id = int_field(doc, "user_id", ds);
  t.scopes = scopes_field(doc, "scopes", t.has_scopes, ds);
  auto expires = int_field(doc, "expires_in", ds);
  if (t.access_token.empty()) return malformed("no access_token");
  if (!expires || *expires <= 0) return malformed("no positive expires_in");
  t.expires_in = *expires;
  if (t.refresh_token.empty())
    ds.push_back({"token.no_refresh_token", Severity::warning, "body/refresh_token", "The response has no refresh_token.",
                  "Keep the previous refresh token; HubSpot may not rotate it on every refresh."});
  if (!t.token_type.empty() && ascii_lower(t.token_type) != "bearer")
    ds.push_back({"token.unexpected_type", Severity::warning, "body/token_type", "token_type is " + show(t.token_type) + ", not bearer.",
                  "Report this response."});
  out.tokens = std::move(t);
  return out;
}

IntrospectionResponse parse_introspection_response(int http, std::string_view body) {
  IntrospectionResponse out;
  Diagnostics& ds = out.diagnostics;
  json doc = parse_body(body);
  if (http < 200 || http >= 300) {
    out.error = error_from(http, doc, ds);
    return out;
  }
  if (!doc.is_object()) {
    out.error = malformed_response(http, "body", "The introspection endpoint answered HTTP " + std::to_string(http) + " without a JSON object",
                                   "Check that the request went to HubSpot's introspection endpoint.", ds);
    return out;
  }
  Introspection v;
  auto active = doc.find("active");
  if (active != doc.end()) {
    if (!active->is_boolean()) {
      out.error = malformed_response(http, "body/active", "The field active is not a boolean", "Report this response.", ds);
      return out;
    }
    v.active = active->get<bool>();
  } else {
    v.active = doc.contains("hub_id") || doc.contains("token");  // v1 shape: present means valid
  }
  v.app_id = int_field(doc, "app_id", ds);
  v.hub_id = int_field(doc, "hub_id", ds);
  v.user_id = int_field(doc, "user_id", ds);
  v.expires_in = int_field(doc, "expires_in", ds);
  v.client_id = str_field(doc, "client_id", ds);
  v.hub_domain = str_field(doc, "hub_domain", ds);
  v.user = str_field(doc, "user", ds);
  v.token_type = str_field(doc, "token_type", ds);
  v.token_use = str_field(doc, "token_use", ds);
  bool has_scopes = false;
  v.scopes = scopes_field(doc, "scopes", has_scopes, ds);
  if (!v.active)
    ds.push_back({"token.inactive", Severity::warning, "body/active", "The token is not active (expired, revoked or unknown).",
                  "Refresh it, or have the account install the app again."});
  out.value = std::move(v);
  return out;
}

ScopeComparison compare_granted_scopes(const std::vector<std::string>& granted, const ScopeConfig& c,
                                       const std::vector<std::string>& requested_conditional) {
  ScopeComparison out;
  // A variant spelling and its current name are one scope.
  auto has = [](const std::vector<std::string>& v, const std::string& s) {
    const std::string_view want = canonical_scope(s);
    return std::any_of(v.begin(), v.end(), [&](const std::string& x) { return canonical_scope(x) == want; });
  };
  for (const auto& s : c.required)
    if (!has(granted, s)) {
      out.missing_required.push_back(s);
      out.diagnostics.push_back({"grant.missing_required", Severity::error, "scopes", "The required scope " + show(s) + " was not granted.",
                                 "The install is incomplete; have the account install again with a user who can grant it."});
    }
  for (const auto& s : requested_conditional)
    if (!has(granted, s)) {
      out.missing_conditional.push_back(s);
      out.diagnostics.push_back({"grant.missing_conditional", Severity::error, "scopes", "The requested scope " + show(s) + " was not granted.",
                                 "The install URL asked for it; have the account install again."});
    }
  for (const auto& s : c.optional) {
    if (has(granted, s)) {
      out.granted_optional.push_back(s);
    } else {
      out.missing_optional.push_back(s);
      out.diagnostics.push_back({"grant.optional_not_granted", Severity::note, "scopes", "The optional scope " + show(s) + " was not granted.",
                                 "Expected when the account lacks the feature; degrade gracefully."});
    }
  }
  for (const auto& s : granted)
    if (s != "oauth" && !has(c.required, s) && !has(c.conditional, s) && !has(c.optional, s)) {
      out.unexpected.push_back(s);
      out.diagnostics.push_back({"grant.unexpected_scope", Severity::warning, "scopes", "The scope " + show(s) + " was granted but is not in the app's configuration.",
                                 "Update the app's configuration, or check that this token belongs to this app."});
    }
  return out;
}

}  // namespace hsinstall
