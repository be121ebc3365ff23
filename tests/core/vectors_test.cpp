// Runs every shared vector under tests/vectors/ through the core. The Node and
// Python suites run the same files through their faces; see tests/vectors/README.md.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "hsinstall/hsinstall.hpp"
#include "hsinstall/json.hpp"

using namespace hsinstall;
using nlohmann::json;

namespace {

std::vector<std::string> strings(const json& in, const char* key) {
  std::vector<std::string> out;
  if (auto it = in.find(key); it != in.end())
    for (const auto& s : *it) out.push_back(s.get<std::string>());
  return out;
}

std::string str(const json& in, const char* key) {
  auto it = in.find(key);
  return it == in.end() || it->is_null() ? std::string() : it->get<std::string>();
}

std::vector<std::uint8_t> hex_bytes(const std::string& hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  return out;
}

TokenApi api_of(const json& in) {
  std::string a = str(in, "api");
  return a == "v1" ? TokenApi::v1 : a == "2026-03" ? TokenApi::v2026_03 : TokenApi::v3;
}

std::string config_text(const json& in) {
  if (auto it = in.find("text"); it != in.end()) return it->get<std::string>();
  return in.at("json").dump();
}

// Runs one case: {"value": <json or null>, "diagnostics": [...]}.
json run(const std::string& op, const json& in) {
  json out;
  Diagnostics ds;
  json value = nullptr;
  if (op == "scope.lookup") {
    const ScopeInfo* s = find_scope(str(in, "name"));
    value = s ? to_json(*s) : json(nullptr);
  } else if (op == "scope.suggest") {
    value = {{"suggestions", suggest_scopes(str(in, "name"))}};
  } else if (op == "scope.search") {
    json names = json::array();
    for (const auto* s : search_scopes(str(in, "text"))) names.push_back(s->name);
    value = {{"names", names}};
  } else if (op == "scope.validate") {
    ScopeConfig c{strings(in, "required"), strings(in, "conditional"), strings(in, "optional")};
    ds = validate_scope_config(c, ScopeCheckOptions{in.value("marketplace", false), ""});
  } else if (op == "app_config.parse") {
    auto r = parse_app_config(config_text(in), str(in, "file_name"));
    ds = r.diagnostics;
    if (r.value) value = to_json(*r.value);
  } else if (op == "redirect_uri.validate") {
    ds = validate_redirect_uri(str(in, "uri"));
    if (in.contains("registered")) {
      auto more = check_redirect_registered(str(in, "uri"), strings(in, "registered"));
      ds.insert(ds.end(), more.begin(), more.end());
    }
  } else if (op == "install_url.build") {
    InstallUrlRequest rq{str(in, "client_id"), str(in, "redirect_uri"), strings(in, "scopes"), strings(in, "optional_scopes"),
                         str(in, "state"), str(in, "host"), str(in, "account_id")};
    auto r = build_install_url(rq);
    ds = r.diagnostics;
    if (r.value) value = {{"url", *r.value}};
  } else if (op == "install_url.build_from_config") {
    auto cfg = parse_app_config(config_text(in.at("config")), str(in.at("config"), "file_name"));
    REQUIRE(cfg.value);
    AppInstallRequest rq{str(in, "client_id"), str(in, "redirect_uri"), strings(in, "with"), str(in, "state"), str(in, "host"), str(in, "account_id")};
    auto r = build_install_url(*cfg.value, rq);
    ds = r.diagnostics;
    if (r.value) value = {{"url", *r.value}};
  } else if (op == "install_url.inspect") {
    std::optional<AppConfig> app;
    if (in.contains("config")) {
      auto cfg = parse_app_config(config_text(in.at("config")), str(in.at("config"), "file_name"));
      REQUIRE(cfg.value);
      app = cfg.value;
    }
    auto r = inspect_install_url(str(in, "url"), app ? &*app : nullptr);
    ds = r.diagnostics;
    value = to_json(r.url);
  } else if (op == "callback.parse") {
    CallbackOptions opt;
    opt.expected_state = str(in, "expected_state");
    auto r = parse_callback(str(in, "url"), opt);
    ds = r.diagnostics;
    if (r.value) value = to_json(*r.value);
  } else if (op == "state.encode") {
    auto bytes = hex_bytes(str(in, "random_hex"));
    std::optional<std::int64_t> exp;
    if (in.contains("expires_at")) exp = in.at("expires_at").get<std::int64_t>();
    auto r = encode_state(bytes.data(), bytes.size(), exp);
    ds = r.diagnostics;
    if (r.value && in.contains("mac_hex")) {
      auto mac = hex_bytes(str(in, "mac_hex"));
      auto s = sign_state(*r.value, mac.data(), mac.size());
      ds.insert(ds.end(), s.diagnostics.begin(), s.diagnostics.end());
      r.value = s.value;
    }
    if (r.value) value = {{"state", *r.value}};
  } else if (op == "state.verify") {
    auto r = decode_state(str(in, "state"));
    ds = r.diagnostics;
    if (r.value) {
      auto mac = hex_bytes(str(in, "expected_mac_hex"));
      auto v = verify_state(*r.value, in.value("now", std::int64_t{0}), mac.empty() ? nullptr : mac.data(), mac.size());
      ds.insert(ds.end(), v.begin(), v.end());
      value = to_json(*r.value);
    }
  } else if (op == "token.code_request" || op == "token.refresh_request" || op == "token.introspection_request" || op == "token.revoke_request") {
    Result<HttpRequest> r;
    std::string base = in.contains("api_base") ? str(in, "api_base") : std::string("https://api.hubapi.com");
    if (op == "token.code_request")
      r = build_code_request(CodeGrant{str(in, "client_id"), str(in, "client_secret"), str(in, "redirect_uri"), str(in, "code"), str(in, "code_verifier"), api_of(in), base});
    else if (op == "token.refresh_request")
      r = build_refresh_request(RefreshGrant{str(in, "client_id"), str(in, "client_secret"), str(in, "refresh_token"), api_of(in), base});
    else {
      TokenCall c{str(in, "client_id"), str(in, "client_secret"), str(in, "token"), str(in, "token_type_hint"), api_of(in), base};
      r = op == "token.revoke_request" ? build_revoke_request(c) : build_introspection_request(c);
    }
    ds = r.diagnostics;
    if (r.value) value = to_json(*r.value);
  } else if (op == "token.parse_response") {
    auto r = parse_token_response(in.at("status").get<int>(), str(in, "body"));
    ds = r.diagnostics;
    value = to_json(r);
    value.erase("diagnostics");
  } else if (op == "token.parse_introspection") {
    auto r = parse_introspection_response(in.at("status").get<int>(), str(in, "body"));
    ds = r.diagnostics;
    value = to_json(r);
    value.erase("diagnostics");
  } else if (op == "grant.compare") {
    ScopeConfig c{strings(in, "required"), strings(in, "conditional"), strings(in, "optional")};
    auto r = compare_granted_scopes(strings(in, "granted"), c, strings(in, "requested_conditional"));
    ds = r.diagnostics;
    value = to_json(r);
    value.erase("diagnostics");
  } else {
    FAIL("unknown op " << op);
  }
  out["value"] = value;
  out["diagnostics"] = to_json(ds);
  return out;
}

// Every key of `want` must match in `got`; arrays match element by element and in length.
bool partial_match(const json& want, const json& got, std::string& path) {
  if (want.is_object()) {
    if (!got.is_object()) return false;
    for (auto it = want.begin(); it != want.end(); ++it) {
      std::string p = path + "/" + it.key();
      if (!got.contains(it.key())) { path = p + " (missing)"; return false; }
      if (!partial_match(it.value(), got.at(it.key()), p)) { path = p; return false; }
    }
    return true;
  }
  if (want.is_array()) {
    if (!got.is_array() || got.size() != want.size()) return false;
    for (std::size_t i = 0; i < want.size(); ++i) {
      std::string p = path + "/" + std::to_string(i);
      if (!partial_match(want[i], got[i], p)) { path = p; return false; }
    }
    return true;
  }
  return want == got;
}

std::vector<std::filesystem::path> vector_files(const char* dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(HSINSTALL_SOURCE_DIR) / "tests" / dir))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}


std::size_t run_dir(const char* dir) {
  std::size_t total = 0;
  for (const auto& file : vector_files(dir)) {
    std::ifstream f(file);
    std::stringstream ss;
    ss << f.rdbuf();
    json doc = json::parse(ss.str());
    for (const auto& c : doc.at("cases")) {
      ++total;
      const std::string name = file.filename().string() + ": " + c.at("name").get<std::string>();
      INFO(name);
      const json out = run(c.at("op").get<std::string>(), c.at("input"));
      INFO("got: " << out.dump());
      const json& expect = c.at("expect");
      std::vector<std::string> got_codes;
      for (const auto& d : out["diagnostics"]) got_codes.push_back(d["code"].get<std::string>());
      std::sort(got_codes.begin(), got_codes.end());
      if (expect.contains("codes")) {
        auto want_codes = expect.at("codes").get<std::vector<std::string>>();
        std::sort(want_codes.begin(), want_codes.end());
        CHECK(got_codes == want_codes);
      }
      if (expect.contains("diagnostics")) {
        for (const auto& want : expect.at("diagnostics")) {
          bool found = false;
          for (const auto& d : out["diagnostics"]) {
            std::string p;
            found = found || partial_match(want, d, p);
          }
          INFO("wanted diagnostic " << want.dump());
          CHECK(found);
        }
      }
      if (expect.contains("value")) {
        std::string path;
        bool matched = partial_match(expect.at("value"), out["value"], path);
        INFO("value mismatch at " << path);
        CHECK(matched);
      }
    }
  }
  return total;
}

}  // namespace

TEST_CASE("shared vectors agree with the core", "[vectors]") { CHECK(run_dir("vectors") >= 200); }

TEST_CASE("the adversarial corpus gets its diagnostics", "[adversarial]") { CHECK(run_dir("adversarial") >= 300); }
