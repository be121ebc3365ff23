#include "hsinstall/app_config.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <set>

#include "hsinstall/redirect_uri.hpp"
#include "text.hpp"
#include "url_parts.hpp"

namespace hsinstall {

using namespace detail;
using nlohmann::json;

const char* to_string(ConfigFormat f) noexcept { return f == ConfigFormat::hsmeta ? "hsmeta" : "public_app"; }
const char* to_string(AuthType a) noexcept { return a == AuthType::oauth ? "oauth" : "static"; }
const char* to_string(Distribution d) noexcept {
  switch (d) {
    case Distribution::unspecified: return "unspecified";
    case Distribution::marketplace: return "marketplace";
    case Distribution::private_app: return "private";
  }
  return "unspecified";
}

namespace {

std::string escape_pointer_token(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string child(const std::string& pointer, std::string_view key) { return pointer + "/" + escape_pointer_token(key); }

const char* json_type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return "a number";
    default: return "an unknown value";
  }
}

// Records where a parse error happened: nlohmann's message already names line and column.
struct ErrorSax : nlohmann::json_sax<json> {
  std::size_t position = 0;  // byte offset of the error
  std::string message;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t pos, const std::string&, const nlohmann::detail::exception& ex) override {
    message = ex.what();
    // `pos` counts the bytes read; the last one read is where the parser saw the error
    // (one past the end at the end of input), which is also where nlohmann's message points.
    position = pos > 0 ? pos - 1 : 0;
    return false;
  }
};

std::size_t nesting_depth(std::string_view text) {
  std::size_t depth = 0, max_depth = 0;
  bool in_string = false, escape = false;
  for (char c : text) {
    if (in_string) {
      if (escape) escape = false;
      else if (c == '\\') escape = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') max_depth = std::max(max_depth, ++depth);
    else if ((c == '}' || c == ']') && depth > 0) --depth;
  }
  return max_depth;
}

class Reader {
 public:
  explicit Reader(Diagnostics& ds) : ds_(ds) {}

  void type_error(const std::string& where, const json& got, const char* want) {
    ds_.push_back({"config.type_mismatch", Severity::error, where,
                   "Expected " + std::string(want) + " at " + (where.empty() ? "/" : where) + ", found " + json_type_name(got) + ".",
                   std::string("Write ") + want + " here."});
  }

  void missing(const std::string& where, const char* what) {
    ds_.push_back({"config.missing_key", Severity::error, where, "The required key " + where + " is missing.",
                   std::string("Add ") + what + "."});
  }

  // Warns on keys outside `known`, suggesting the closest known one.
  void unknown_keys(const json& obj, const std::string& pointer, std::initializer_list<const char*> known) {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      const std::string& k = it.key();
      bool found = false;
      for (const char* kk : known) found = found || k == kk;
      if (found) continue;
      std::string hint = "Remove it, or check HubSpot's app configuration reference.";
      for (const char* kk : known) {
        if (edit_distance(ascii_lower(k), ascii_lower(kk), 2) <= 2) {
          hint = std::string("Did you mean \"") + kk + "\"?";
          break;
        }
      }
      ds_.push_back({"config.unknown_key", Severity::warning, child(pointer, k),
                     "The key " + show(k) + " is not part of HubSpot's app configuration; it is ignored.", hint});
    }
  }

  bool object_at(const json& parent, const char* key, const std::string& pointer, const json*& out, bool required) {
    out = nullptr;
    auto it = parent.find(key);
    if (it == parent.end()) {
      if (required) missing(child(pointer, key), (std::string("the \"") + key + "\" object").c_str());
      return !required;
    }
    if (!it->is_object()) {
      type_error(child(pointer, key), *it, "an object");
      return false;
    }
    out = &*it;
    return true;
  }

  bool string_at(const json& parent, const char* key, const std::string& pointer, std::string& out, bool required) {
    auto it = parent.find(key);
    if (it == parent.end()) {
      if (required) missing(child(pointer, key), (std::string("a \"") + key + "\" string").c_str());
      return !required;
    }
    if (!it->is_string()) {
      type_error(child(pointer, key), *it, "a string");
      return false;
    }
    out = it->get_ref<const std::string&>();
    return true;
  }

  bool strings_at(const json& parent, const char* key, const std::string& pointer, std::vector<std::string>& out) {
    auto it = parent.find(key);
    if (it == parent.end()) return true;
    if (!it->is_array()) {
      type_error(child(pointer, key), *it, "an array of strings");
      return false;
    }
    bool ok = true;
    out.reserve(out.size() + it->size());
    for (std::size_t i = 0; i < it->size(); ++i) {
      const json& e = (*it)[i];
      if (!e.is_string()) {
        type_error(child(pointer, key) + "/" + std::to_string(i), e, "a string");
        ok = false;
        continue;
      }
      out.push_back(e.get_ref<const std::string&>());
    }
    return ok;
  }

 private:
  Diagnostics& ds_;
};

void check_url_list(const std::vector<std::string>& urls, const std::string& pointer, bool https_error, Diagnostics& ds) {
  for (std::size_t i = 0; i < urls.size(); ++i) {
    std::string where = pointer + "/" + std::to_string(i);
    if (urls[i].find("${") != std::string::npos) continue;  // a profile placeholder, filled in at upload
    UrlParts u;
    Diagnostics local;
    if (!split_url(urls[i], u, local, where) || !u.has_authority || u.host.empty()) {
      ds.push_back({"config.bad_url", Severity::error, where, "The entry " + show(urls[i]) + " is not an absolute URL.",
                    "Write the full https:// URL."});
      continue;
    }
    if (https_error && (ascii_lower(u.host) == "localhost" || is_ipv4_like(ascii_lower(u.host)) || u.host.front() == '[')) {
      ds.push_back({"config.local_fetch_url", Severity::error, where, "The URL " + show(urls[i]) + " points at localhost or an IP address.",
                    "HubSpot's servers make these requests; give a public https:// domain."});
      continue;
    }
    if (ascii_lower(u.scheme) != "https") {
      ds.push_back({"config.insecure_url", https_error ? Severity::error : Severity::warning, where,
                    "The URL " + show(urls[i]) + " is not https.", "Use https://; HubSpot refuses other schemes here."});
    }
  }
}

void check_support(const SupportInfo& s, const std::string& pointer, Diagnostics& ds) {
  if (!s.email.empty() && (s.email.find('@') == std::string::npos || s.email.find(' ') != std::string::npos))
    ds.push_back({"config.bad_email", Severity::warning, pointer + "/supportEmail", "The support email " + show(s.email) + " is not an email address.",
                  "Write an address such as support@example.com."});
  const std::pair<const std::string*, const char*> urls[] = {{&s.documentation_url, "documentationUrl"}, {&s.support_url, "supportUrl"}};
  for (const auto& [value, key] : urls) {
    if (value->empty()) continue;
    UrlParts u;
    Diagnostics local;
    if (!split_url(*value, u, local, "") || ascii_lower(u.scheme) != "https" || u.host.empty())
      ds.push_back({"config.bad_support_url", Severity::warning, pointer + "/" + key, "The support link " + show(*value) + " is not an https URL.",
                    "Give the full https:// address of the page."});
  }
}

}  // namespace

Result<AppConfig> parse_app_config(std::string_view text, std::string_view file_name) {
  Result<AppConfig> result;
  Diagnostics& ds = result.diagnostics;
  if (text.size() > kMaxConfigBytes) {
    ds.push_back({"config.too_large", Severity::error, "", "The config is " + std::to_string(text.size()) + " bytes, over the 1 MiB limit.",
                  "App config files are a few kilobytes; check that this is the right file."});
    return result;
  }
  if (nesting_depth(text) > kMaxConfigDepth) {
    ds.push_back({"config.too_deep", Severity::error, "", "The config nests objects or arrays more than 64 levels deep.",
                  "App config files nest at most a few levels; check that this is the right file."});
    return result;
  }
  if (starts_with(text, "\xEF\xBB\xBF"))
    ds.push_back({"config.byte_order_mark", Severity::warning, "line 1, column 1", "The file starts with a UTF-8 byte-order mark.",
                  "Save it as UTF-8 without a BOM; strict JSON parsers (JSON.parse among them) refuse it."});
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    ErrorSax sax;
    json::sax_parse(text.begin(), text.end(), &sax, nlohmann::detail::input_format_t::json, /*strict=*/true);
    std::size_t at = sax.position;
    if (at < text.size() && text[at] == '"' && at > 0) {  // a whole string was the unexpected token: point at its start
      std::size_t open = text.rfind('"', at - 1);
      while (open != std::string_view::npos && open > 0 && text[open - 1] == '\\') open = text.rfind('"', open - 1);
      if (open != std::string_view::npos) at = open;
    }
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < at && i < text.size(); ++i) {  // byte offset → line and column
      if (text[i] == '\n') { ++line; col = 1; } else { ++col; }
    }
    std::string detail = sax.message;
    if (auto p = detail.find(": "); p != std::string::npos && detail.find("parse error") != std::string::npos) detail = detail.substr(p + 2);
    detail = printable(detail);  // nlohmann quotes the raw bytes it last read, valid UTF-8 or not
    ds.push_back({"config.malformed_json", Severity::error, "line " + std::to_string(line) + ", column " + std::to_string(col),
                  "The file is not valid JSON (line " + std::to_string(line) + ", column " + std::to_string(col) + "): " + detail,
                  "Fix the JSON syntax there (a missing comma, quote or bracket, or a trailing comma)."});
    return result;
  }
  if (!doc.is_object()) {
    Reader(ds).type_error("", doc, "an object");
    return result;
  }

  AppConfig app;
  std::string base(file_name);
  if (auto slash = base.find_last_of("/\\"); slash != std::string::npos) base = base.substr(slash + 1);
  if (ends_with(base, "-hsmeta.json") || base == "hsmeta.json") app.format = ConfigFormat::hsmeta;
  else if (base == "public-app.json") app.format = ConfigFormat::public_app;
  else app.format = (doc.contains("config") || doc.contains("type")) ? ConfigFormat::hsmeta : ConfigFormat::public_app;

  Reader r(ds);
  const json* root = &doc;
  std::string cfg_ptr;  // where the app's fields live
  if (app.format == ConfigFormat::hsmeta) {
    r.unknown_keys(doc, "", {"uid", "type", "config", "dependencies", "permissions"});
    r.string_at(doc, "uid", "", app.uid, true);
    std::string type;
    if (r.string_at(doc, "type", "", type, true) && doc.contains("type") && type != "app") {
      ds.push_back({"config.not_app", Severity::error, "/type",
                    "This component has type " + show(type) + ", not \"app\".",
                    "Lint the app's own component file (usually src/app/app-hsmeta.json)."});
      return result;
    }
    if (!r.object_at(doc, "config", "", root, true) || !root) return result;
    cfg_ptr = "/config";
    r.unknown_keys(*root, cfg_ptr, {"name", "description", "logo", "distribution", "auth", "permittedUrls", "support", "isUserLevel"});
  } else {
    r.string_at(doc, "uid", "", app.uid, false);
    r.unknown_keys(doc, "", {"name", "uid", "description", "logo", "allowedUrls", "auth", "support", "extensions", "webhooks"});
  }
  const json& cfg = *root;
  r.string_at(cfg, "name", cfg_ptr, app.name, true);
  r.string_at(cfg, "description", cfg_ptr, app.description, false);
  std::string logo;
  r.string_at(cfg, "logo", cfg_ptr, logo, false);
  if (auto it = cfg.find("isUserLevel"); it != cfg.end() && !it->is_boolean()) r.type_error(child(cfg_ptr, "isUserLevel"), *it, "a boolean");
  if (app.format == ConfigFormat::hsmeta && !cfg.contains("description"))
    ds.push_back({"config.missing_key", Severity::error, child(cfg_ptr, "description"), "The required key /config/description is missing.",
                  "Add a description (up to 8,192 characters) for the install screen."});
  if (app.name.size() > 200)
    ds.push_back({"config.name_too_long", Severity::error, child(cfg_ptr, "name"), "The name is " + std::to_string(app.name.size()) + " characters long; HubSpot allows 200.",
                  "Shorten the name."});
  else if (!app.name.empty() && (std::isspace(static_cast<unsigned char>(app.name.front())) || std::isspace(static_cast<unsigned char>(app.name.back()))))
    ds.push_back({"config.name_whitespace", Severity::error, child(cfg_ptr, "name"), "The name starts or ends with whitespace.", "Remove the surrounding spaces, tabs or line breaks."});
  if (app.description.size() > 8192)
    ds.push_back({"config.description_too_long", Severity::error, child(cfg_ptr, "description"),
                  "The description is " + std::to_string(app.description.size()) + " characters long; HubSpot allows 8,192.", "Shorten the description."});

  const bool uid_placeholder = app.uid.find("${") != std::string::npos;
  if (!app.uid.empty() && !uid_placeholder &&
      !std::all_of(app.uid.begin(), app.uid.end(), [](char c) { return is_alpha(c) || is_digit(c) || c == '_' || c == '.' || c == '-'; }))
    ds.push_back({"config.bad_uid", Severity::error, "/uid", "The uid " + show(app.uid) + " has characters other than letters, digits, '_', '.' and '-'.",
                  "Use a uid such as \"my-app\"."});
  if (!app.uid.empty() && !uid_placeholder && app.uid.size() > 64)
    ds.push_back({"config.uid_too_long", Severity::warning, "/uid", "The uid is " + std::to_string(app.uid.size()) + " characters long; HubSpot allows at most 64.",
                  "Shorten the uid (it identifies the app in the project; changing it makes a new app)."});
  if (doc.contains("uid") && doc["uid"].is_string() && app.uid.empty())
    ds.push_back({"config.empty_uid", Severity::error, "/uid", "The uid is empty.", "Give the app a uid, such as \"my-app\"."});
  if (app.name.empty() && cfg.contains("name") && cfg["name"].is_string())
    ds.push_back({"config.empty_name", Severity::error, child(cfg_ptr, "name"), "The app's name is empty.", "Give the app the name people see on the install screen."});

  if (app.format == ConfigFormat::hsmeta) {
    std::string dist;
    if (r.string_at(cfg, "distribution", cfg_ptr, dist, true) && cfg.contains("distribution")) {
      if (dist == "marketplace") app.distribution = Distribution::marketplace;
      else if (dist == "private") app.distribution = Distribution::private_app;
      else
        ds.push_back({"config.bad_value", Severity::error, cfg_ptr + "/distribution", "distribution is " + show(dist) + ".",
                      "Use \"marketplace\" or \"private\"."});
    }
  }

  const json* auth = nullptr;
  std::string auth_ptr = child(cfg_ptr, "auth");
  r.object_at(cfg, "auth", cfg_ptr, auth, true);
  if (auth) {
    if (app.format == ConfigFormat::hsmeta) {
      r.unknown_keys(*auth, auth_ptr, {"type", "redirectUrls", "requiredScopes", "optionalScopes", "conditionallyRequiredScopes"});
      std::string type;
      if (r.string_at(*auth, "type", auth_ptr, type, true) && auth->contains("type")) {
        if (type == "oauth") app.auth_type = AuthType::oauth;
        else if (type == "static") app.auth_type = AuthType::static_auth;
        else
          ds.push_back({"config.bad_value", Severity::error, auth_ptr + "/type", "auth.type is " + show(type) + ".", "Use \"oauth\" or \"static\"."});
      }
    } else {
      r.unknown_keys(*auth, auth_ptr, {"redirectUrls", "requiredScopes", "optionalScopes", "conditionallyRequiredScopes"});
    }
    r.strings_at(*auth, "redirectUrls", auth_ptr, app.redirect_urls);
    r.strings_at(*auth, "requiredScopes", auth_ptr, app.scopes.required);
    r.strings_at(*auth, "optionalScopes", auth_ptr, app.scopes.optional);
    r.strings_at(*auth, "conditionallyRequiredScopes", auth_ptr, app.scopes.conditional);

    const bool marketplace = app.distribution == Distribution::marketplace;
    if (marketplace && app.auth_type == AuthType::static_auth)
      ds.push_back({"config.marketplace_static", Severity::error, auth_ptr + "/type",
                    "Marketplace apps must use OAuth; this one uses static auth.",
                    "Set auth.type to \"oauth\", or distribution to \"private\"."});
    if (app.auth_type == AuthType::oauth && app.redirect_urls.empty() && !(auth->contains("redirectUrls") && !(*auth)["redirectUrls"].is_array()))
      ds.push_back({"config.no_redirect_urls", Severity::error, auth_ptr + "/redirectUrls",
                    "An OAuth app needs at least one redirect URL.",
                    "Add the https URL of your OAuth callback to auth.redirectUrls (http://localhost while testing)."});
    if (app.auth_type == AuthType::static_auth && (!app.scopes.optional.empty() || !app.scopes.conditional.empty()))
      ds.push_back({"config.static_non_required_scopes", Severity::warning, auth_ptr,
                    "A static-auth app lists optional or conditionally required scopes; static auth grants required scopes only.",
                    "Move them to requiredScopes, or switch to OAuth."});
    if (app.auth_type == AuthType::static_auth && !app.redirect_urls.empty())
      ds.push_back({"config.static_redirect_urls", Severity::error, auth_ptr + "/redirectUrls",
                    "A static-auth app has no OAuth redirect, but redirect URLs are listed.",
                    "Remove auth.redirectUrls, or set auth.type to \"oauth\"."});
    std::set<std::string> seen;
    for (std::size_t i = 0; i < app.redirect_urls.size(); ++i) {
      std::string where = auth_ptr + "/redirectUrls/" + std::to_string(i);
      if (app.redirect_urls[i].find("${") != std::string::npos) {  // filled from hsprofile.*.json at upload
        ds.push_back({"config.placeholder", Severity::note, where, "The redirect URL " + show(app.redirect_urls[i]) + " is a profile placeholder; it is checked once filled in.",
                      "Lint the project with the profile's values to check the real URL."});
        continue;
      }
      auto rd = validate_redirect_uri(app.redirect_urls[i], where);
      ds.insert(ds.end(), rd.begin(), rd.end());
      if (!seen.insert(app.redirect_urls[i]).second)
        ds.push_back({"config.duplicate_redirect_url", Severity::warning, where, "The redirect URL " + show(app.redirect_urls[i]) + " is listed twice.", "Remove the repeat."});
    }
    auto sd = validate_scope_config(app.scopes, ScopeCheckOptions{marketplace, auth_ptr});
    ds.insert(ds.end(), sd.begin(), sd.end());
  }

  if (app.format == ConfigFormat::hsmeta) {
    const json* permitted = nullptr;
    std::string pptr = child(cfg_ptr, "permittedUrls");
    if (r.object_at(cfg, "permittedUrls", cfg_ptr, permitted, false) && permitted) {
      r.unknown_keys(*permitted, pptr, {"fetch", "iframe", "img"});
      r.strings_at(*permitted, "fetch", pptr, app.permitted_urls.fetch);
      r.strings_at(*permitted, "iframe", pptr, app.permitted_urls.iframe);
      r.strings_at(*permitted, "img", pptr, app.permitted_urls.img);
      check_url_list(app.permitted_urls.fetch, pptr + "/fetch", true, ds);
      check_url_list(app.permitted_urls.iframe, pptr + "/iframe", false, ds);
      check_url_list(app.permitted_urls.img, pptr + "/img", false, ds);
    }
  } else {
    r.strings_at(cfg, "allowedUrls", cfg_ptr, app.permitted_urls.fetch);
    check_url_list(app.permitted_urls.fetch, "/allowedUrls", true, ds);
  }

  const json* support = nullptr;
  std::string sptr = child(cfg_ptr, "support");
  if (r.object_at(cfg, "support", cfg_ptr, support, false) && support) {
    r.unknown_keys(*support, sptr, {"supportEmail", "documentationUrl", "supportUrl", "supportPhone"});
    r.string_at(*support, "supportEmail", sptr, app.support.email, false);
    r.string_at(*support, "documentationUrl", sptr, app.support.documentation_url, false);
    r.string_at(*support, "supportUrl", sptr, app.support.support_url, false);
    r.string_at(*support, "supportPhone", sptr, app.support.phone, false);
    check_support(app.support, sptr, ds);
  }

  if (!has_errors(ds)) result.value = std::move(app);
  return result;
}

}  // namespace hsinstall
