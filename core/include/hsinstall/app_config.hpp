#pragma once
// HubSpot developer-project app files, both formats, into one model:
// the 2025.2+ app component (`*-hsmeta.json`: {uid, type: "app", config: {...}})
// and the legacy `public-app.json` (the same data at the top level).
#include <string>
#include <string_view>
#include <vector>

#include "hsinstall/diagnostic.hpp"
#include "hsinstall/scopes.hpp"

namespace hsinstall {

enum class ConfigFormat { hsmeta, public_app };
enum class AuthType { oauth, static_auth };
enum class Distribution { unspecified, marketplace, private_app };

const char* to_string(ConfigFormat f) noexcept;
const char* to_string(AuthType a) noexcept;
const char* to_string(Distribution d) noexcept;

struct SupportInfo {
  std::string email, documentation_url, support_url, phone;
};

struct PermittedUrls {
  std::vector<std::string> fetch, iframe, img;
};

struct AppConfig {
  ConfigFormat format = ConfigFormat::hsmeta;
  std::string uid, name, description;
  Distribution distribution = Distribution::unspecified;
  AuthType auth_type = AuthType::oauth;
  std::vector<std::string> redirect_urls;
  ScopeConfig scopes;
  PermittedUrls permitted_urls;  // legacy allowedUrls land in permitted_urls.fetch
  SupportInfo support;
};

// Parses and checks an app config file. `file_name` (optional, base name or path)
// picks the format ("…-hsmeta.json" or "public-app.json"); without it the content
// decides. Malformed JSON → config.malformed_json with line and column; wrong
// types → config.type_mismatch at the JSON pointer; unknown keys → warnings;
// every scope and redirect rule applies. The value is present when no error was found.
Result<AppConfig> parse_app_config(std::string_view json_text, std::string_view file_name = {});

// Limits on input, far above any real app file.
inline constexpr std::size_t kMaxConfigBytes = 1 << 20;
inline constexpr std::size_t kMaxConfigDepth = 64;

}  // namespace hsinstall
