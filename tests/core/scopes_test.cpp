#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "hsinstall/scopes.hpp"

using namespace hsinstall;

namespace {
bool has_code(const Diagnostics& ds, const std::string& code, Severity sev) {
  return std::any_of(ds.begin(), ds.end(), [&](const Diagnostic& d) { return d.code == code && d.severity == sev; });
}
}  // namespace

TEST_CASE("the catalogue is well formed", "[scopes]") {
  const auto& cat = scope_catalogue();
  REQUIRE(cat.size() == 292);
  std::set<std::string> names;
  for (const auto& s : cat) {
    INFO(s.name);
    CHECK(names.insert(s.name).second);
    CHECK_FALSE(s.description.empty());
    CHECK(s.description.size() <= 110);
    if (s.status == ScopeStatus::variant) CHECK(s.replacements.size() == 1);
    if (s.status == ScopeStatus::deprecated || s.status == ScopeStatus::removed) CHECK_FALSE(s.replacements.empty());
    if (s.status == ScopeStatus::current || s.status == ScopeStatus::not_requestable) CHECK(s.replacements.empty());
    for (const auto& r : s.replacements) {
      const ScopeInfo* target = find_scope(r);
      REQUIRE(target);
      CHECK(target->status == ScopeStatus::current);
    }
    const bool highly = s.name.find("highly_sensitive") != std::string::npos;
    const bool sensitive = !highly && s.name.find("sensitive") != std::string::npos;
    if (s.status != ScopeStatus::not_requestable) {
      CHECK((s.sensitivity == Sensitivity::highly_sensitive) == highly);
      CHECK((s.sensitivity == Sensitivity::sensitive) == sensitive);
    }
  }
  CHECK(std::is_sorted(cat.begin(), cat.end(), [](const ScopeInfo& a, const ScopeInfo& b) { return a.name < b.name; }));
}

TEST_CASE("lookup is exact and case-sensitive", "[scopes]") {
  REQUIRE(find_scope("oauth"));
  CHECK(find_scope("OAUTH") == nullptr);
  CHECK(find_scope("") == nullptr);
  CHECK(find_scope("crm.objects.contacts.read")->status == ScopeStatus::current);
  CHECK(find_scope("contacts")->status == ScopeStatus::removed);
  CHECK(find_scope("hubdb")->status == ScopeStatus::deprecated);
  CHECK(canonical_scope("business_units.view.read") == "business_units_view.read");
  CHECK(canonical_scope("crm.objects.deals.read") == "crm.objects.deals.read");
}

TEST_CASE("typos get the closest requestable names", "[scopes]") {
  CHECK(suggest_scopes("crm.objects.contact.read") == std::vector<std::string>{"crm.objects.contacts.read"});
  CHECK(suggest_scopes("CRM.objects.contacts.read") == std::vector<std::string>{"crm.objects.contacts.read"});
  CHECK(suggest_scopes("crm.obejcts.deals.read") == std::vector<std::string>{"crm.objects.deals.read"});  // transposition
  CHECK(suggest_scopes("completely-unrelated-words").empty());
  CHECK(suggest_scopes(std::string(5000, 'x')).empty());
  Diagnostics ds;
  check_scope_name("crm.objects.contact.read", "/x", false, ds);
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].code == "scope.unknown");
  CHECK(ds[0].hint == "Did you mean crm.objects.contacts.read?");
}

TEST_CASE("search matches every word in names and descriptions", "[scopes]") {
  auto hits = search_scopes("contacts read");
  REQUIRE_FALSE(hits.empty());
  CHECK(std::any_of(hits.begin(), hits.end(), [](const ScopeInfo* s) { return s->name == "crm.objects.contacts.read"; }));
  CHECK(search_scopes("no-such-word-anywhere").empty());
  CHECK(search_scopes("").size() == scope_catalogue().size());
}

TEST_CASE("scope configuration rules", "[scopes]") {
  ScopeConfig c{{"oauth", "crm.objects.contacts.read"}, {"crm.objects.deals.read"}, {"crm.objects.contacts.read"}};
  auto ds = validate_scope_config(c, {false, "/config/auth"});
  REQUIRE(has_code(ds, "scope.conflict", Severity::error));
  auto it = std::find_if(ds.begin(), ds.end(), [](const Diagnostic& d) { return d.code == "scope.conflict"; });
  CHECK(it->where == "/config/auth/optionalScopes/0");

  // A variant and its current spelling are the same scope.
  ScopeConfig v{{"oauth", "business_units.view.read", "business_units_view.read"}, {}, {}};
  ds = validate_scope_config(v);
  CHECK(has_code(ds, "scope.variant", Severity::warning));
  CHECK(has_code(ds, "scope.duplicate", Severity::warning));

  ScopeConfig s{{"oauth", "crm.objects.contacts.sensitive.read"}, {}, {}};
  CHECK(has_code(validate_scope_config(s, {true, ""}), "scope.sensitive", Severity::warning));
  CHECK(has_code(validate_scope_config(s, {false, ""}), "scope.sensitive", Severity::note));

  CHECK(has_code(validate_scope_config(ScopeConfig{}), "scope.required_empty", Severity::error));
  ScopeConfig spaced{{"oauth crm.objects.contacts.read"}, {}, {}};
  CHECK(has_code(validate_scope_config(spaced), "scope.malformed", Severity::error));
}

TEST_CASE("long scope lists stay linear and say so", "[scopes]") {
  ScopeConfig c;
  for (int i = 0; i < 100000; ++i) c.required.push_back("unknown.scope." + std::to_string(i));
  auto ds = validate_scope_config(c);
  CHECK(has_code(ds, "scope.too_many", Severity::error));
  CHECK(std::count_if(ds.begin(), ds.end(), [](const Diagnostic& d) { return d.code == "scope.unknown"; }) == 500);
}
