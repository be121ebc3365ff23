#pragma once
// Diagnostics: what went wrong (a stable dotted code), where (a JSON pointer for
// config input, a URL part such as "query.scope[2]" for URLs), and how to fix it.
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hsinstall {

enum class Severity { error, warning, note };

const char* to_string(Severity s) noexcept;

struct Diagnostic {
  std::string code;      // stable, dotted: "scope.unknown", "callback.state_mismatch", ...
  Severity severity = Severity::error;
  std::string where;     // JSON pointer ("/config/auth/requiredScopes/2") or URL part ("query.scope[2]")
  std::string message;   // what is wrong, for a person
  std::string hint;      // how to fix it (may be empty)
};

using Diagnostics = std::vector<Diagnostic>;

bool has_errors(const Diagnostics& ds) noexcept;
std::size_t count(const Diagnostics& ds, Severity s) noexcept;

// A value, or the diagnostics that prevented it; warnings and notes either way.
// The core never throws across its API: every fallible call returns one of these.
template <class T>
struct Result {
  std::optional<T> value;
  Diagnostics diagnostics;

  bool ok() const noexcept { return value.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
};

}  // namespace hsinstall
