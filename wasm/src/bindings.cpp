// The embind binding: a translation table, nothing more. Flat arguments in
// (strings, numbers, JS arrays of strings, bytes as Uint8Array), the core's
// call, and its result out as one string:
//
//   <diagnostics as JSON>            when there is no value
//   <diagnostics as JSON>\n<value>   when there is one
//
// The value is JSON text in the shapes of hsinstall/json.hpp, or the bare text
// for values that are strings (URLs, states). Compact JSON holds no raw newline,
// so the first '\n' splits the two. wasm/index.js turns this into JS values and
// errors; the names here are the vector ops of tests/vectors/README.md.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hsinstall/hsinstall.hpp"
#include "hsinstall/json.hpp"

using namespace hsinstall;
using emscripten::val;
using nlohmann::json;

namespace {

using Strings = std::vector<std::string>;

// A list comes as an array of strings, or (cheaper: one conversion, not one per
// element) as one string with each element followed by a NUL; index.js sends the
// array when an element holds a NUL itself.
Strings list(const val& v) {
  if (!v.isString()) return emscripten::vecFromJSArray<std::string>(v);
  const std::string joined = v.as<std::string>();
  Strings out;
  for (std::size_t start = 0, end; (end = joined.find('\0', start)) != std::string::npos; start = end + 1)
    out.emplace_back(joined, start, end - start);
  return out;
}

const std::uint8_t* bytes(const std::string& b) { return reinterpret_cast<const std::uint8_t*>(b.data()); }

// Invalid UTF-8 in a value (a percent-decoded byte, say) becomes U+FFFD instead of aborting.
std::string text(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string out(const Diagnostics& ds) { return ds.empty() ? std::string("[]") : text(to_json(ds)); }
std::string out(const Diagnostics& ds, const std::string& value) { return out(ds) + '\n' + value; }
std::string out(const Diagnostics& ds, const json& value) { return out(ds, text(value)); }
std::string out(const Result<std::string>& r) { return r.value ? out(r.diagnostics, *r.value) : out(r.diagnostics); }
template <class T>
std::string out(const Result<T>& r) {
  return r.value ? out(r.diagnostics, to_json(*r.value)) : out(r.diagnostics);
}
// Values that carry their own diagnostics: those go first, the rest is the value.
template <class T>
std::string out_split(const T& r) {
  json value = to_json(r);
  value.erase("diagnostics");
  return out(r.diagnostics, value);
}

TokenApi api(const std::string& a) { return a == "v1" ? TokenApi::v1 : a == "2026-03" ? TokenApi::v2026_03 : TokenApi::v3; }
// `api_base` is undefined or null for the core's default (https://api.hubapi.com).
template <class Grant>
Grant& with_api(Grant& g, const std::string& api_name, const val& api_base) {
  g.api = api(api_name);
  if (!api_base.isUndefined() && !api_base.isNull()) g.api_base = api_base.as<std::string>();
  return g;
}

// scopes
std::string scope_lookup(const std::string& name) {
  const ScopeInfo* s = find_scope(name);
  return s ? text(to_json(*s)) : std::string("null");
}
std::string scope_suggest(const std::string& name, unsigned max) { return text(json(suggest_scopes(name, max))); }
std::string scope_search(const std::string& q) {
  json a = json::array();
  for (const ScopeInfo* s : search_scopes(q)) a.push_back(to_json(*s));
  return text(a);
}
std::string scope_list() {
  json a = json::array();
  for (const ScopeInfo& s : scope_catalogue()) a.push_back(to_json(s));
  return text(a);
}
std::string scope_validate(const val& required, const val& conditional, const val& optional, bool marketplace) {
  return out(validate_scope_config(ScopeConfig{list(required), list(conditional), list(optional)}, ScopeCheckOptions{marketplace, ""}));
}

// app_config
std::string app_config_parse(const std::string& text_in, const std::string& file_name) { return out(parse_app_config(text_in, file_name)); }

// redirect_uri
std::string redirect_uri_validate(const std::string& uri) { return out(validate_redirect_uri(uri)); }
std::string redirect_uri_check_registered(const std::string& uri, const val& registered) {
  return out(check_redirect_registered(uri, list(registered)));
}

// install_url
std::string install_url_build(const std::string& client_id, const std::string& redirect_uri, const val& scopes, const val& optional_scopes,
                              const std::string& state, const std::string& host, const std::string& account_id) {
  return out(build_install_url(InstallUrlRequest{client_id, redirect_uri, list(scopes), list(optional_scopes), state, host, account_id}));
}
// A config that does not parse gives its own diagnostics and no value.
std::string install_url_build_from_config(const std::string& config, const std::string& file_name, const std::string& client_id,
                                          const std::string& redirect_uri, const val& with, const std::string& state,
                                          const std::string& host, const std::string& account_id) {
  auto app = parse_app_config(config, file_name);
  if (!app) return out(app.diagnostics);
  return out(build_install_url(*app.value, AppInstallRequest{client_id, redirect_uri, list(with), state, host, account_id}));
}
std::string install_url_inspect(const std::string& url, bool has_config, const std::string& config, const std::string& file_name) {
  std::optional<AppConfig> app;
  if (has_config) {
    auto parsed = parse_app_config(config, file_name);
    if (!parsed) return out(parsed.diagnostics);
    app = std::move(parsed.value);
  }
  InspectedUrl r = inspect_install_url(url, app ? &*app : nullptr);
  return out(r.diagnostics, to_json(r.url));
}
std::string install_url_parse(const std::string& url) { return out(parse_install_url(url)); }

// callback
std::string callback_parse(const std::string& url, const std::string& expected_state, const val& max_value_bytes, const val& extra_return_origins) {
  CallbackOptions o;
  o.expected_state = expected_state;
  if (!max_value_bytes.isUndefined() && !max_value_bytes.isNull()) o.max_value_bytes = max_value_bytes.as<unsigned>();
  o.extra_return_origins = list(extra_return_origins);
  return out(parse_callback(url, o));
}

// state (random bytes and MACs arrive as Uint8Array; times as Unix seconds)
std::string state_encode(const std::string& random, bool has_expiry, double expires_at) {
  return out(encode_state(bytes(random), random.size(), has_expiry ? std::optional<std::int64_t>(static_cast<std::int64_t>(expires_at)) : std::nullopt));
}
std::string state_sign(const std::string& state, const std::string& mac) { return out(sign_state(state, bytes(mac), mac.size())); }
std::string state_decode(const std::string& state) { return out(decode_state(state)); }
std::string state_verify(const std::string& state, double now, const std::string& expected_mac) {
  auto decoded = decode_state(state);
  if (!decoded) return out(decoded.diagnostics);
  return out(verify_state(*decoded.value, static_cast<std::int64_t>(now), expected_mac.empty() ? nullptr : bytes(expected_mac), expected_mac.size()));
}

// token
std::string token_code_request(const std::string& client_id, const std::string& client_secret, const std::string& redirect_uri,
                               const std::string& code, const std::string& code_verifier, const std::string& api_name, const val& api_base) {
  CodeGrant g;
  g.client_id = client_id;
  g.client_secret = client_secret;
  g.redirect_uri = redirect_uri;
  g.code = code;
  g.code_verifier = code_verifier;
  return out(build_code_request(with_api(g, api_name, api_base)));
}
std::string token_refresh_request(const std::string& client_id, const std::string& client_secret, const std::string& refresh_token,
                                  const std::string& api_name, const val& api_base) {
  RefreshGrant g;
  g.client_id = client_id;
  g.client_secret = client_secret;
  g.refresh_token = refresh_token;
  return out(build_refresh_request(with_api(g, api_name, api_base)));
}
TokenCall token_call(const std::string& client_id, const std::string& client_secret, const std::string& token, const std::string& hint,
                     const std::string& api_name, const val& api_base) {
  TokenCall c;
  c.client_id = client_id;
  c.client_secret = client_secret;
  c.token = token;
  c.token_type_hint = hint;
  return with_api(c, api_name, api_base);
}
std::string token_introspection_request(const std::string& client_id, const std::string& client_secret, const std::string& token,
                                        const std::string& hint, const std::string& api_name, const val& api_base) {
  return out(build_introspection_request(token_call(client_id, client_secret, token, hint, api_name, api_base)));
}
std::string token_revoke_request(const std::string& client_id, const std::string& client_secret, const std::string& token,
                                 const std::string& hint, const std::string& api_name, const val& api_base) {
  return out(build_revoke_request(token_call(client_id, client_secret, token, hint, api_name, api_base)));
}
std::string token_parse_response(int status, const std::string& body) { return out_split(parse_token_response(status, body)); }
std::string token_parse_introspection(int status, const std::string& body) { return out_split(parse_introspection_response(status, body)); }

// grant
std::string grant_compare(const val& granted, const val& required, const val& conditional, const val& optional, const val& requested_conditional) {
  return out_split(compare_granted_scopes(list(granted), ScopeConfig{list(required), list(conditional), list(optional)}, list(requested_conditional)));
}

}  // namespace

EMSCRIPTEN_BINDINGS(hsinstall) {
  using emscripten::function;
  function("scope_lookup", &scope_lookup);
  function("scope_suggest", &scope_suggest);
  function("scope_search", &scope_search);
  function("scope_list", &scope_list);
  function("scope_validate", &scope_validate);
  function("app_config_parse", &app_config_parse);
  function("redirect_uri_validate", &redirect_uri_validate);
  function("redirect_uri_check_registered", &redirect_uri_check_registered);
  function("install_url_build", &install_url_build);
  function("install_url_build_from_config", &install_url_build_from_config);
  function("install_url_inspect", &install_url_inspect);
  function("install_url_parse", &install_url_parse);
  function("callback_parse", &callback_parse);
  function("state_encode", &state_encode);
  function("state_sign", &state_sign);
  function("state_decode", &state_decode);
  function("state_verify", &state_verify);
  function("token_code_request", &token_code_request);
  function("token_refresh_request", &token_refresh_request);
  function("token_introspection_request", &token_introspection_request);
  function("token_revoke_request", &token_revoke_request);
  function("token_parse_response", &token_parse_response);
  function("token_parse_introspection", &token_parse_introspection);
  function("grant_compare", &grant_compare);
}
