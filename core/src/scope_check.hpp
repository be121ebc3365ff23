#pragma once
// Per-name scope checks with the diagnostic's `where` built only when one is
// emitted: config pointers ("/config/auth/requiredScopes/2") and URL parts
// ("query.scope[2]") alike (internal).
#include <string>
#include <string_view>

#include "hsinstall/diagnostic.hpp"

namespace hsinstall::detail {

struct ScopeWhere {
  std::string_view base;  // "/config/auth/requiredScopes" or "query.scope"
  std::size_t index;
  bool url_style;  // "base[i]" rather than "base/i"
  std::string str() const {
    return url_style ? std::string(base) + "[" + std::to_string(index) + "]" : std::string(base) + "/" + std::to_string(index);
  }
};

enum class SensitiveReport { none, note, warning };

void check_scope(std::string_view name, const ScopeWhere& where, SensitiveReport sensitive, Diagnostics& out);

}  // namespace hsinstall::detail
