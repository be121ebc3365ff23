#pragma once
// The scope catalogue (compiled in from core/data/scopes.tsv), lookup, typo
// suggestions, and validation of an app's scope configuration.
#include <string>
#include <string_view>
#include <vector>

#include "hsinstall/diagnostic.hpp"

namespace hsinstall {

enum class Sensitivity { none, sensitive, highly_sensitive };
enum class ScopeStatus {
  current,          // requestable today
  variant,          // another spelling of a current scope (docs versus specs); accepted, not preferred
  deprecated,       // still works, being replaced (e.g. coarse "hubdb")
  removed,          // no longer requestable (e.g. legacy "contacts")
  not_requestable,  // an internal HubSpot permission, never an app scope
};

const char* to_string(Sensitivity s) noexcept;
const char* to_string(ScopeStatus s) noexcept;

struct ScopeInfo {
  std::string name;
  ScopeStatus status = ScopeStatus::current;
  std::vector<std::string> replacements;  // variant: the current spelling; deprecated/removed: the granular scopes
  Sensitivity sensitivity = Sensitivity::none;
  std::string tier;         // which accounts have access, as far as HubSpot documents it
  std::string description;  // what the scope lets an app do
};

// Every known name, sorted by name. Built once, on first use.
const std::vector<ScopeInfo>& scope_catalogue();
// Exact, case-sensitive lookup (HubSpot's scope names are case-sensitive); nullptr when unknown.
const ScopeInfo* find_scope(std::string_view name);
// Close requestable names for a misspelt one, best first (at most `max`).
std::vector<std::string> suggest_scopes(std::string_view name, std::size_t max = 3);
// Case-insensitive search over names and descriptions; every word must match.
std::vector<const ScopeInfo*> search_scopes(std::string_view text);
// The name an app should use: a variant's current spelling, otherwise the name itself.
std::string_view canonical_scope(std::string_view name);

// No list of scopes is checked past this many entries (HubSpot has about 250 scopes in all):
// a longer list gets scope.too_many, and the checks stay linear in the input.
inline constexpr std::size_t kMaxScopesPerList = 500;

enum class ScopeKind { required, conditional, optional };
const char* to_string(ScopeKind k) noexcept;

struct ScopeConfig {
  std::vector<std::string> required;     // requiredScopes → `scope`
  std::vector<std::string> conditional;  // conditionallyRequiredScopes → `scope`, only when wanted
  std::vector<std::string> optional;     // optionalScopes → `optional_scope`
};

struct ScopeCheckOptions {
  bool marketplace = false;  // sensitive scopes then need HubSpot's approval (warning, not a note)
  std::string pointer;       // JSON pointer of the object holding the three lists, e.g. "/config/auth"
};

// Validates a scope configuration: unknown, not requestable, removed, deprecated,
// variant, duplicated, in two kinds, no required scope, sensitive.
// Diagnostics point at "<pointer>/requiredScopes/<i>" and so on.
Diagnostics validate_scope_config(const ScopeConfig& config, const ScopeCheckOptions& options = {});

// Checks one name against the catalogue (unknown, not requestable, removed,
// deprecated, variant, sensitive, malformed); `where` is given by the caller.
void check_scope_name(std::string_view name, const std::string& where, bool marketplace, Diagnostics& out);

}  // namespace hsinstall
