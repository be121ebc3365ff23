#include "hsinstall/scopes.hpp"

#include <algorithm>
#include <unordered_map>

#include "scope_check.hpp"
#include "text.hpp"

namespace hsinstall {
namespace detail {
extern const std::string_view kScopesTsv;
}

using namespace detail;

const char* to_string(Sensitivity s) noexcept {
  switch (s) {
    case Sensitivity::none: return "none";
    case Sensitivity::sensitive: return "sensitive";
    case Sensitivity::highly_sensitive: return "highly_sensitive";
  }
  return "none";
}

const char* to_string(ScopeStatus s) noexcept {
  switch (s) {
    case ScopeStatus::current: return "current";
    case ScopeStatus::variant: return "variant";
    case ScopeStatus::deprecated: return "deprecated";
    case ScopeStatus::removed: return "removed";
    case ScopeStatus::not_requestable: return "not_requestable";
  }
  return "current";
}

const char* to_string(ScopeKind k) noexcept {
  switch (k) {
    case ScopeKind::required: return "required";
    case ScopeKind::conditional: return "conditional";
    case ScopeKind::optional: return "optional";
  }
  return "required";
}

namespace {

struct Catalogue {
  std::vector<ScopeInfo> entries;
  std::unordered_map<std::string_view, std::size_t> by_name;
};

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> f;
  std::size_t start = 0;
  for (;;) {
    auto t = line.find('\t', start);
    f.push_back(line.substr(start, t == std::string_view::npos ? std::string_view::npos : t - start));
    if (t == std::string_view::npos) break;
    start = t + 1;
  }
  return f;
}

ScopeStatus parse_status(std::string_view s) {
  if (s == "variant") return ScopeStatus::variant;
  if (s == "deprecated") return ScopeStatus::deprecated;
  if (s == "removed") return ScopeStatus::removed;
  if (s == "not_requestable") return ScopeStatus::not_requestable;
  return ScopeStatus::current;
}

Sensitivity parse_sensitivity(std::string_view s) {
  if (s == "sensitive") return Sensitivity::sensitive;
  if (s == "highly_sensitive") return Sensitivity::highly_sensitive;
  return Sensitivity::none;
}

Catalogue build_catalogue() {
  Catalogue c;
  std::string_view text = kScopesTsv;
  bool header = true;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (header) { header = false; continue; }
    if (line.empty()) continue;
    auto f = split_tabs(line);
    if (f.size() < 6) continue;  // the build's own test checks the file's shape
    ScopeInfo info;
    info.name = std::string(f[0]);
    info.status = parse_status(f[1]);
    info.replacements = split_spaces(f[2]);
    info.sensitivity = parse_sensitivity(f[3]);
    info.tier = std::string(f[4]);
    info.description = std::string(f[5]);
    c.entries.push_back(std::move(info));
  }
  std::sort(c.entries.begin(), c.entries.end(), [](const ScopeInfo& a, const ScopeInfo& b) { return a.name < b.name; });
  for (std::size_t i = 0; i < c.entries.size(); ++i) c.by_name.emplace(c.entries[i].name, i);
  return c;
}

const Catalogue& catalogue() {
  static const Catalogue c = build_catalogue();
  return c;
}

}  // namespace

const std::vector<ScopeInfo>& scope_catalogue() { return catalogue().entries; }

const ScopeInfo* find_scope(std::string_view name) {
  const auto& c = catalogue();
  auto it = c.by_name.find(name);
  return it == c.by_name.end() ? nullptr : &c.entries[it->second];
}

std::string_view canonical_scope(std::string_view name) {
  const ScopeInfo* s = find_scope(name);
  if (s && s->status == ScopeStatus::variant && !s->replacements.empty()) return s->replacements.front();
  return name;
}

std::vector<std::string> suggest_scopes(std::string_view name, std::size_t max) {
  if (name.empty() || name.size() > 200) return {};
  const std::string lower = ascii_lower(name);
  const std::size_t limit = std::max<std::size_t>(1, std::min<std::size_t>(3, name.size() / 6));
  std::vector<std::pair<std::size_t, const ScopeInfo*>> hits;
  for (const auto& s : scope_catalogue()) {
    if (s.status != ScopeStatus::current) continue;
    std::size_t d = edit_distance(lower, s.name, limit);
    if (d <= limit) hits.emplace_back(d, &s);
  }
  std::stable_sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  // Only the closest names: a distance-1 match outranks every distance-2 one.
  std::vector<std::string> out;
  for (const auto& h : hits) {
    if (out.size() >= max || h.first > hits.front().first) break;
    if (h.second->name != name) out.push_back(h.second->name);
  }
  return out;
}

std::vector<const ScopeInfo*> search_scopes(std::string_view text) {
  auto words = split_spaces(ascii_lower(text));
  std::vector<const ScopeInfo*> out;
  for (const auto& s : scope_catalogue()) {
    std::string hay = ascii_lower(s.name) + " " + ascii_lower(s.description);
    bool all = true;
    for (const auto& w : words) all = all && hay.find(w) != std::string::npos;
    if (all) out.push_back(&s);
  }
  return out;
}

void detail::check_scope(std::string_view name, const ScopeWhere& w, SensitiveReport sensitive, Diagnostics& out) {
  if (name.empty()) {
    out.push_back({"scope.empty", Severity::error, w.str(), "A scope name is empty.", "Remove the empty entry."});
    return;
  }
  if (find_char_if(name, [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ','; }) != std::string_view::npos) {
    auto parts = split_spaces(name);
    out.push_back({"scope.malformed", Severity::error, w.str(),
                   "The scope entry " + show(name) + " holds several names or a separator.",
                   "List one scope per entry (HubSpot separates scopes with spaces in URLs only; commas are not separators)."});
    return;
  }
  const ScopeInfo* s = find_scope(name);
  if (!s) {
    auto sugg = suggest_scopes(name);
    std::string hint = sugg.empty() ? "Check the spelling against `hsinstall scopes`; HubSpot refuses unknown scopes on upload."
                                    : "Did you mean " + join(sugg, " or ") + "?";
    out.push_back({"scope.unknown", Severity::error, w.str(), "The scope " + show(name) + " is not a HubSpot scope.", hint});
    return;
  }
  switch (s->status) {
    case ScopeStatus::current:
      break;
    case ScopeStatus::variant:
      out.push_back({"scope.variant", Severity::warning, w.str(),
                     "The scope " + show(name) + " is an older or alternative spelling.",
                     "Use the current spelling " + join(s->replacements, " ") + "."});
      break;
    case ScopeStatus::deprecated:
      out.push_back({"scope.deprecated", Severity::warning, w.str(),
                     "The scope " + show(name) + " is being replaced by granular scopes.",
                     "Request the granular scopes you need instead: " + join(s->replacements, ", ") + "."});
      break;
    case ScopeStatus::removed:
      out.push_back({"scope.removed", Severity::error, w.str(),
                     "The scope " + show(name) + " was removed and can no longer be requested.",
                     "Request the granular scopes you need instead: " + join(s->replacements, ", ") + "."});
      return;
    case ScopeStatus::not_requestable:
      out.push_back({"scope.not_requestable", Severity::error, w.str(),
                     "The name " + show(name) + " is an internal HubSpot permission, not a scope an app can request.",
                     "Remove it; find the app scope you need with `hsinstall scopes`."});
      return;
  }
  if (s->sensitivity != Sensitivity::none && sensitive != SensitiveReport::none) {
    const bool marketplace = sensitive == SensitiveReport::warning;
    const char* level = s->sensitivity == Sensitivity::highly_sensitive ? "highly sensitive" : "sensitive";
    if (marketplace)
      out.push_back({"scope.sensitive", Severity::warning, w.str(),
                     "The scope " + show(name) + " is " + level + ": marketplace apps need HubSpot's approval to request it.",
                     "Request approval from HubSpot before listing, or drop the scope."});
    else
      out.push_back({"scope.sensitive", Severity::note, w.str(),
                     "The scope " + show(name) + " is " + level + ": only Enterprise accounts can grant it.",
                     "Make it optional if the app should install on other accounts too."});
  }
}

void check_scope_name(std::string_view name, const std::string& where, bool marketplace, Diagnostics& out) {
  // A where without an index: report it as given.
  Diagnostics local;
  check_scope(name, ScopeWhere{"", 0, false}, marketplace ? SensitiveReport::warning : SensitiveReport::note, local);
  for (auto& d : local) {
    d.where = where;
    out.push_back(std::move(d));
  }
}

Diagnostics validate_scope_config(const ScopeConfig& config, const ScopeCheckOptions& options) {
  Diagnostics out;
  struct List {
    const std::vector<std::string>* names;
    ScopeKind kind;
    const char* key;
  };
  const List lists[] = {{&config.required, ScopeKind::required, "requiredScopes"},
                        {&config.conditional, ScopeKind::conditional, "conditionallyRequiredScopes"},
                        {&config.optional, ScopeKind::optional, "optionalScopes"}};
  // Repeats and conflicts compare canonical names (a variant and its current spelling are one scope).
  struct Seen {
    std::string_view canon;
    const List* list;
    std::size_t index;
  };
  std::vector<Seen> seen;
  const SensitiveReport sensitive = options.marketplace ? SensitiveReport::warning : SensitiveReport::note;
  for (const auto& list : lists) {
    const std::string base = options.pointer + "/" + list.key;
    const std::size_t n = list.names->size() > kMaxScopesPerList ? kMaxScopesPerList : list.names->size();
    if (n < list.names->size())
      out.push_back({"scope.too_many", Severity::error, base,
                     std::to_string(list.names->size()) + " scopes are listed; only the first " + std::to_string(kMaxScopesPerList) + " were checked.",
                     "List only the scopes the app needs; HubSpot has about 250 scopes in all."});
    for (std::size_t i = 0; i < n; ++i) {
      const std::string& name = (*list.names)[i];
      check_scope(name, ScopeWhere{base, i, false}, sensitive, out);
      if (name.empty()) continue;
      std::string_view canon = canonical_scope(name);
      // A repeat in the same list first (a duplicate), else an earlier list (a conflict).
      auto it = std::find_if(seen.begin(), seen.end(), [&](const Seen& s) { return s.canon == canon && s.list == &list; });
      if (it == seen.end()) it = std::find_if(seen.begin(), seen.end(), [&](const Seen& s) { return s.canon == canon; });
      if (it == seen.end()) {
        seen.push_back({canon, &list, i});
        continue;
      }
      const Seen first_seen = *it;  // copied: the push_back below may move the elements
      if (first_seen.list != &list) seen.push_back({canon, &list, i});  // first in this list
      const List* first = first_seen.list;
      std::string where = base + "/" + std::to_string(i);
      std::string first_where = options.pointer + "/" + first->key + "/" + std::to_string(first_seen.index);
      if (first == &list)
        out.push_back({"scope.duplicate", Severity::warning, where,
                       "The scope " + show(name) + " is listed twice in " + list.key + " (first at " + first_where + ").",
                       "Remove the repeat."});
      else
        out.push_back({"scope.conflict", Severity::error, where,
                       "The scope " + show(name) + " is in both " + first->key + " and " + list.key + ".",
                       std::string("Keep it in one list: ") + first->key + " or " + list.key + "."});
    }
  }
  if (config.required.empty()) {
    out.push_back({"scope.required_empty", Severity::error, options.pointer + "/requiredScopes",
                   "No required scope is configured.",
                   "Add at least \"oauth\" to requiredScopes; HubSpot needs one required scope to build an install URL."});
  } else if (std::find(config.required.begin(), config.required.end(), "oauth") == config.required.end()) {
    out.push_back({"scope.oauth_implicit", Severity::note, options.pointer + "/requiredScopes",
                   "\"oauth\" is not listed; HubSpot adds it to every app.",
                   "Add \"oauth\" to requiredScopes to make the install URL say what HubSpot grants."});
  }
  return out;
}

}  // namespace hsinstall
