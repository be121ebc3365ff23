#include "hsinstall/json.hpp"

#include "text.hpp"

namespace hsinstall {

using nlohmann::json;

namespace {
json opt(const std::optional<std::int64_t>& v) { return v ? json(*v) : json(nullptr); }
json pairs_object(const std::vector<std::pair<std::string, std::string>>& v) {
  json o = json::object();
  for (const auto& [k, val] : v) o[k] = val;
  return o;
}
}  // namespace

json to_json(const Diagnostic& d) {
  return {{"code", d.code}, {"severity", to_string(d.severity)}, {"where", d.where}, {"message", d.message}, {"hint", d.hint}};
}

json to_json(const Diagnostics& ds) {
  json a = json::array();
  for (const auto& d : ds) a.push_back(to_json(d));
  return a;
}

json to_json(const ScopeInfo& s) {
  return {{"name", s.name},
          {"status", to_string(s.status)},
          {"replacements", s.replacements},
          {"sensitivity", to_string(s.sensitivity)},
          {"tier", s.tier},
          {"description", s.description}};
}

json to_json(const AppConfig& a) {
  return {{"format", to_string(a.format)},
          {"uid", a.uid},
          {"name", a.name},
          {"description", a.description},
          {"distribution", to_string(a.distribution)},
          {"auth_type", to_string(a.auth_type)},
          {"redirect_urls", a.redirect_urls},
          {"scopes", {{"required", a.scopes.required}, {"conditional", a.scopes.conditional}, {"optional", a.scopes.optional}}},
          {"permitted_urls", {{"fetch", a.permitted_urls.fetch}, {"iframe", a.permitted_urls.iframe}, {"img", a.permitted_urls.img}}},
          {"support",
           {{"email", a.support.email}, {"documentation_url", a.support.documentation_url}, {"support_url", a.support.support_url}, {"phone", a.support.phone}}}};
}

json to_json(const InstallUrl& u) {
  return {{"host", u.host},
          {"hublet", u.hublet},
          {"account_id", u.account_id.empty() ? json(nullptr) : json(u.account_id)},
          {"client_id", u.client_id},
          {"redirect_uri", u.redirect_uri},
          {"scopes", u.scopes},
          {"optional_scopes", u.optional_scopes},
          {"state", u.has_state ? json(u.state) : json(nullptr)},
          {"extra_params", pairs_object(u.extra_params)}};
}

json to_json(const InspectedUrl& u) {
  json j = to_json(u.url);
  j["diagnostics"] = to_json(u.diagnostics);
  return j;
}

json to_json(const Callback& c) {
  return {{"kind", to_string(c.kind)},
          {"code", c.code},
          {"state", c.has_state ? json(c.state) : json(nullptr)},
          {"state_verified", c.state_verified},
          {"return_url", c.return_url},
          {"extra_params", pairs_object(c.extra_params)}};
}

json to_json(const StateToken& t) {
  return {{"nonce", detail::base64url_encode(t.nonce.data(), t.nonce.size())},
          {"nonce_bytes", t.nonce.size()},
          {"expires_at", opt(t.expires_at)},
          {"signed", !t.mac.empty()},
          {"signed_part", t.signed_part}};
}

json to_json(const HttpRequest& r) {
  return {{"method", r.method}, {"url", r.url}, {"headers", pairs_object(r.headers)}, {"body", r.body}};
}

json to_json(const Tokens& t) {
  return {{"access_token", t.access_token},
          {"refresh_token", t.refresh_token},
          {"expires_in", t.expires_in},
          {"token_type", t.token_type},
          {"token_use", t.token_use},
          {"id_token", t.id_token},
          {"hub_id", opt(t.hub_id)},
          {"user_id", opt(t.user_id)},
          {"scopes", t.has_scopes ? json(t.scopes) : json(nullptr)}};
}

json to_json(const TokenError& e) {
  return {{"code", e.code},
          {"retryable", e.retryable},
          {"http_status", e.http_status},
          {"error", e.error},
          {"error_description", e.error_description},
          {"status", e.status},
          {"message", e.message},
          {"category", e.category},
          {"correlation_id", e.correlation_id}};
}

json to_json(const TokenResponse& r) {
  return {{"tokens", r.tokens ? to_json(*r.tokens) : json(nullptr)},
          {"error", r.error ? to_json(*r.error) : json(nullptr)},
          {"diagnostics", to_json(r.diagnostics)}};
}

json to_json(const Introspection& i) {
  return {{"active", i.active},     {"app_id", opt(i.app_id)},   {"hub_id", opt(i.hub_id)},       {"user_id", opt(i.user_id)},
          {"expires_in", opt(i.expires_in)}, {"client_id", i.client_id}, {"hub_domain", i.hub_domain}, {"user", i.user},
          {"token_type", i.token_type}, {"token_use", i.token_use}, {"scopes", i.scopes}};
}

json to_json(const IntrospectionResponse& r) {
  return {{"introspection", r.value ? to_json(*r.value) : json(nullptr)},
          {"error", r.error ? to_json(*r.error) : json(nullptr)},
          {"diagnostics", to_json(r.diagnostics)}};
}

json to_json(const ScopeComparison& c) {
  return {{"missing_required", c.missing_required}, {"missing_conditional", c.missing_conditional},
          {"granted_optional", c.granted_optional}, {"missing_optional", c.missing_optional},
          {"unexpected", c.unexpected},             {"diagnostics", to_json(c.diagnostics)}};
}

}  // namespace hsinstall
