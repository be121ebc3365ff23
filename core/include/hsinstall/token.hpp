#pragma once
// The token endpoint: ready-to-send HTTP requests for the authorization-code
// and refresh-token grants, introspection and revocation, and parsing of
// responses into tokens or a typed HubSpot error with "retry or not" explicit.
// Secrets travel only in form bodies, never in URLs.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hsinstall/app_config.hpp"
#include "hsinstall/diagnostic.hpp"

namespace hsinstall {

enum class TokenApi { v3, v2026_03, v1 };  // v3 is current; 2026-03 has the same schema; v1 is deprecated
const char* to_string(TokenApi a) noexcept;

struct HttpRequest {
  std::string method;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct CodeGrant {
  std::string client_id, client_secret, redirect_uri, code;
  std::string code_verifier;  // PKCE, optional
  TokenApi api = TokenApi::v3;
  std::string api_base = "https://api.hubapi.com";  // a sandbox may replace it (https, or http on loopback)
};

struct RefreshGrant {
  std::string client_id, client_secret, refresh_token;
  TokenApi api = TokenApi::v3;
  std::string api_base = "https://api.hubapi.com";
};

struct TokenCall {  // introspection or revocation of one token
  std::string client_id, client_secret, token;
  std::string token_type_hint;  // "access_token" or "refresh_token" (optional)
  TokenApi api = TokenApi::v3;
  std::string api_base = "https://api.hubapi.com";
};

Result<HttpRequest> build_code_request(const CodeGrant& grant);
Result<HttpRequest> build_refresh_request(const RefreshGrant& grant);
Result<HttpRequest> build_introspection_request(const TokenCall& call);
Result<HttpRequest> build_revoke_request(const TokenCall& call);

struct Tokens {
  std::string access_token;
  std::string refresh_token;
  std::int64_t expires_in = 0;  // seconds
  std::string token_type;
  std::string token_use;
  std::string id_token;
  std::optional<std::int64_t> hub_id;
  std::optional<std::int64_t> user_id;
  std::vector<std::string> scopes;
  bool has_scopes = false;
};

// A failed token call, classified on `error` first and HubSpot's `status` second.
struct TokenError {
  std::string code;  // stable: token.bad_auth_code, token.expired_auth_code, token.rate_limited, ...
  bool retryable = false;
  int http_status = 0;
  std::string error, error_description, status, message, category, correlation_id;
};

struct TokenResponse {
  std::optional<Tokens> tokens;
  std::optional<TokenError> error;
  Diagnostics diagnostics;  // the error as a diagnostic too, plus warnings about the body
  bool ok() const noexcept { return tokens.has_value(); }
};

// `retry_after` is not read here: the host has the headers and decides when.
TokenResponse parse_token_response(int http_status, std::string_view body);

struct Introspection {
  bool active = false;
  std::optional<std::int64_t> app_id, hub_id, user_id, expires_in;
  std::string client_id, hub_domain, user, token_type, token_use;
  std::vector<std::string> scopes;
};

struct IntrospectionResponse {
  std::optional<Introspection> value;
  std::optional<TokenError> error;
  Diagnostics diagnostics;
  bool ok() const noexcept { return value.has_value(); }
};

// Both v3 ({"active": …}) and v1 (/oauth/v1/access-tokens/{token}) shapes.
IntrospectionResponse parse_introspection_response(int http_status, std::string_view body);

// Granted scopes versus what the app configured and what the URL asked for:
// a missing required or requested conditional scope is an error, a missing
// optional scope a note, a granted scope the app never configured a warning.
struct ScopeComparison {
  std::vector<std::string> missing_required, missing_conditional, granted_optional, missing_optional, unexpected;
  Diagnostics diagnostics;
};
ScopeComparison compare_granted_scopes(const std::vector<std::string>& granted, const ScopeConfig& configured,
                                       const std::vector<std::string>& requested_conditional = {});

}  // namespace hsinstall
