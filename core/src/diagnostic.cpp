#include "hsinstall/diagnostic.hpp"

namespace hsinstall {

const char* to_string(Severity s) noexcept {
  switch (s) {
    case Severity::error: return "error";
    case Severity::warning: return "warning";
    case Severity::note: return "note";
  }
  return "error";
}

bool has_errors(const Diagnostics& ds) noexcept { return count(ds, Severity::error) > 0; }

std::size_t count(const Diagnostics& ds, Severity s) noexcept {
  std::size_t n = 0;
  for (const auto& d : ds) n += d.severity == s ? 1 : 0;
  return n;
}

}  // namespace hsinstall
