// hsinstall: the command-line face of the core. Exit status: 0 fine (warnings
// allowed), 1 errors found, 2 usage. Every subcommand takes --json.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "hsinstall/hsinstall.hpp"
#include "hsinstall/json.hpp"

using namespace hsinstall;
using nlohmann::json;

namespace {

const char* kUsage =
    "usage: hsinstall <command> [options]\n"
    "\n"
    "commands:\n"
    "  scopes [TEXT] [--json]                      list the scope catalogue, or search it\n"
    "  lint FILE... [--json]                       check app config files (*-hsmeta.json, public-app.json)\n"
    "  url --config FILE --client-id ID [--redirect-uri URI] [--with SCOPE]...\n"
    "      [--state S | --random-state] [--host eu1] [--account ID] [--json]\n"
    "                                              build an install URL from an app config\n"
    "  inspect URL [--config FILE] [--json]        parse an install URL; with a config, check it against the app\n"
    "  callback URL [--state EXPECTED] [--json]    parse and verify a redirect callback\n"
    "\n"
    "exit status: 0 fine (warnings allowed), 1 errors found, 2 usage\n";

int usage(const std::string& why) {
  std::cerr << "hsinstall: " << why << "\n\n" << kUsage;
  return 2;
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

void print_diagnostics(const Diagnostics& ds, const std::string& prefix) {
  for (const auto& d : ds) {
    std::cout << prefix << (d.where.empty() ? "" : d.where + ": ") << to_string(d.severity) << "[" << d.code << "]: " << d.message << "\n";
    if (!d.hint.empty()) std::cout << "    hint: " << d.hint << "\n";
  }
}

struct Args {
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> options;  // --name value
  std::vector<std::string> flags;                            // --name
  bool has_flag(const std::string& f) const {
    for (const auto& x : flags)
      if (x == f) return true;
    return false;
  }
  std::string get(const std::string& name) const {
    for (const auto& [k, v] : options)
      if (k == name) return v;
    return {};
  }
  bool has(const std::string& name) const {
    for (const auto& kv : options)
      if (kv.first == name) return true;
    return false;
  }
  std::vector<std::string> all(const std::string& name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : options)
      if (k == name) out.push_back(v);
    return out;
  }
};

// Splits argv into positionals, valued options and flags; false on an unknown option.
bool parse_args(int argc, char** argv, int start, const std::vector<std::string>& valued, const std::vector<std::string>& flag_names,
                Args& out, std::string& error) {
  for (int i = start; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() > 2 && a.rfind("--", 0) == 0) {
      std::string name = a, value;
      bool inline_value = false;
      if (auto eq = a.find('='); eq != std::string::npos) {
        name = a.substr(0, eq);
        value = a.substr(eq + 1);
        inline_value = true;
      }
      bool is_valued = false, is_flag = false;
      for (const auto& v : valued) is_valued = is_valued || v == name;
      for (const auto& f : flag_names) is_flag = is_flag || f == name;
      if (is_valued) {
        if (!inline_value) {
          if (i + 1 >= argc) {
            error = name + " needs a value";
            return false;
          }
          value = argv[++i];
        }
        out.options.emplace_back(name, value);
      } else if (is_flag && !inline_value) {
        out.flags.push_back(name);
      } else {
        error = "unknown option " + a;
        return false;
      }
    } else {
      out.positional.push_back(a);
    }
  }
  return true;
}

int exit_for(const Diagnostics& ds) { return has_errors(ds) ? 1 : 0; }

Result<AppConfig> load_config(const std::string& path) {
  std::string text;
  if (!read_file(path, text)) {
    Result<AppConfig> r;
    r.diagnostics.push_back({"cli.unreadable_file", Severity::error, path, "Cannot read " + path + ".", "Check the path and permissions."});
    return r;
  }
  return parse_app_config(text, path);
}

int cmd_scopes(const Args& a) {
  if (a.positional.size() > 1) return usage("scopes takes at most one search text (quote it)");
  std::vector<const ScopeInfo*> hits;
  if (a.positional.empty())
    for (const auto& s : scope_catalogue()) hits.push_back(&s);
  else
    hits = search_scopes(a.positional[0]);
  if (a.has_flag("--json")) {
    json arr = json::array();
    for (const auto* s : hits) arr.push_back(to_json(*s));
    std::cout << json{{"scopes", arr}}.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return 0;
  }
  for (const auto* s : hits) {
    std::cout << s->name;
    if (s->status != ScopeStatus::current) std::cout << "  [" << to_string(s->status) << (s->replacements.empty() ? "" : " → ") << (s->replacements.size() > 3 ? s->replacements[0] + ", …" : "") << (s->replacements.size() <= 3 && !s->replacements.empty() ? s->replacements[0] : "") << "]";
    if (s->sensitivity != Sensitivity::none) std::cout << "  [" << to_string(s->sensitivity) << "]";
    std::cout << "\n    " << s->description;
    if (!s->tier.empty()) std::cout << " (" << s->tier << ")";
    std::cout << "\n";
  }
  if (hits.empty() && !a.positional.empty()) {
    auto sugg = suggest_scopes(a.positional[0]);
    std::cout << "no scope matches " << a.positional[0];
    if (!sugg.empty()) std::cout << "; did you mean " << sugg[0] << "?";
    std::cout << "\n";
  }
  return 0;
}

int cmd_lint(const Args& a) {
  if (a.positional.empty()) return usage("lint needs at least one FILE");
  json files = json::array();
  std::size_t errors = 0, warnings = 0;
  for (const auto& path : a.positional) {
    auto r = load_config(path);
    errors += count(r.diagnostics, Severity::error);
    warnings += count(r.diagnostics, Severity::warning);
    if (a.has_flag("--json")) {
      files.push_back({{"file", path},
                       {"ok", !has_errors(r.diagnostics)},
                       {"format", r.value ? json(to_string(r.value->format)) : json(nullptr)},
                       {"diagnostics", to_json(r.diagnostics)}});
    } else {
      print_diagnostics(r.diagnostics, path + ":");
      std::cout << path << ": " << (has_errors(r.diagnostics) ? "FAILED" : "ok") << " (" << count(r.diagnostics, Severity::error) << " errors, "
                << count(r.diagnostics, Severity::warning) << " warnings, " << count(r.diagnostics, Severity::note) << " notes)\n";
    }
  }
  if (a.has_flag("--json")) std::cout << json{{"files", files}, {"errors", errors}, {"warnings", warnings}}.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  return errors ? 1 : 0;
}

bool random_bytes(unsigned char* out, std::size_t n) {
  std::ifstream in("/dev/urandom", std::ios::binary);
  return in && in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n));
}

int cmd_url(const Args& a) {
  if (!a.positional.empty()) return usage("url takes no positional arguments");
  if (!a.has("--config")) return usage("url needs --config FILE");
  if (!a.has("--client-id")) return usage("url needs --client-id ID");
  if (a.has("--state") && a.has_flag("--random-state")) return usage("give --state or --random-state, not both");
  auto cfg = load_config(a.get("--config"));
  // A usable config's own warnings are `lint`'s business; show them only when it is not usable.
  Diagnostics ds = cfg ? Diagnostics{} : cfg.diagnostics;
  std::optional<std::string> url;
  if (cfg) {
    AppInstallRequest rq;
    rq.client_id = a.get("--client-id");
    rq.redirect_uri = a.get("--redirect-uri");
    rq.with_scopes = a.all("--with");
    rq.host = a.get("--host");
    rq.account_id = a.get("--account");
    rq.state = a.get("--state");
    if (a.has_flag("--random-state")) {
      unsigned char buf[32];
      if (!random_bytes(buf, sizeof buf)) {
        std::cerr << "hsinstall: cannot read /dev/urandom\n";
        return 1;
      }
      rq.state = *encode_state(buf, sizeof buf).value;
    }
    auto built = build_install_url(*cfg.value, rq);
    ds.insert(ds.end(), built.diagnostics.begin(), built.diagnostics.end());
    url = built.value;
  }
  if (a.has_flag("--json")) {
    std::cout << json{{"url", url ? json(*url) : json(nullptr)}, {"diagnostics", to_json(ds)}}.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    print_diagnostics(ds, "");
    if (url) std::cout << *url << "\n";
  }
  return exit_for(ds);
}

int cmd_inspect(const Args& a) {
  if (a.positional.size() != 1) return usage("inspect needs exactly one URL (quote it)");
  std::optional<AppConfig> app;
  Diagnostics config_ds;
  if (a.has("--config")) {
    auto cfg = load_config(a.get("--config"));
    config_ds = cfg.diagnostics;
    app = cfg.value;
  }
  auto inspected = inspect_install_url(a.positional[0], app ? &*app : nullptr);
  if (a.has("--config") && !app) inspected.diagnostics.insert(inspected.diagnostics.begin(), config_ds.begin(), config_ds.end());
  if (a.has_flag("--json")) {
    std::cout << to_json(inspected).dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    const InstallUrl& u = inspected.url;
    std::cout << "host:            " << u.host << (u.hublet.empty() ? "" : " (hublet " + u.hublet + ")") << "\n";
    if (!u.account_id.empty()) std::cout << "account:         " << u.account_id << "\n";
    std::cout << "client_id:       " << u.client_id << "\n"
              << "redirect_uri:    " << u.redirect_uri << "\n";
    std::cout << "scope:           ";
    for (const auto& s : u.scopes) std::cout << s << " ";
    std::cout << "\noptional_scope:  ";
    for (const auto& s : u.optional_scopes) std::cout << s << " ";
    std::cout << "\nstate:           " << (u.has_state ? u.state : "(none)") << "\n";
    for (const auto& [k, v] : u.extra_params) std::cout << "extra:           " << k << "=" << v << "\n";
    print_diagnostics(inspected.diagnostics, "");
  }
  return exit_for(inspected.diagnostics);
}

int cmd_callback(const Args& a) {
  if (a.positional.size() != 1) return usage("callback needs exactly one URL or query (quote it)");
  CallbackOptions opt;
  opt.expected_state = a.get("--state");
  if (a.has("--state") && opt.expected_state.empty()) return usage("--state needs a non-empty value");
  auto r = parse_callback(a.positional[0], opt);
  if (a.has_flag("--json")) {
    std::cout << json{{"callback", r.value ? to_json(*r.value) : json(nullptr)}, {"diagnostics", to_json(r.diagnostics)}}.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    if (r.value) {
      std::cout << "kind:   " << to_string(r.value->kind) << "\n";
      if (!r.value->code.empty()) std::cout << "code:   " << r.value->code << "\n";
      if (r.value->has_state) std::cout << "state:  " << r.value->state << (r.value->state_verified ? " (verified)" : "") << "\n";
      if (!r.value->return_url.empty()) std::cout << "return: " << r.value->return_url << "\n";
    }
    print_diagnostics(r.diagnostics, "");
  }
  return exit_for(r.diagnostics);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage("no command given");
  std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (cmd == "--version") {
    std::cout << "hsinstall " << HSINSTALL_VERSION << "\n";
    return 0;
  }
  Args args;
  std::string error;
  const std::vector<std::string> json_flag = {"--json"};
  bool ok = false;
  if (cmd == "scopes") ok = parse_args(argc, argv, 2, {}, json_flag, args, error);
  else if (cmd == "lint") ok = parse_args(argc, argv, 2, {}, json_flag, args, error);
  else if (cmd == "url")
    ok = parse_args(argc, argv, 2, {"--config", "--client-id", "--redirect-uri", "--with", "--state", "--host", "--account"},
                    {"--json", "--random-state"}, args, error);
  else if (cmd == "inspect") ok = parse_args(argc, argv, 2, {"--config"}, json_flag, args, error);
  else if (cmd == "callback") ok = parse_args(argc, argv, 2, {"--state"}, json_flag, args, error);
  else return usage("unknown command " + cmd);
  if (!ok) return usage(error);
  if (cmd == "scopes") return cmd_scopes(args);
  if (cmd == "lint") return cmd_lint(args);
  if (cmd == "url") return cmd_url(args);
  if (cmd == "inspect") return cmd_inspect(args);
  return cmd_callback(args);
}
