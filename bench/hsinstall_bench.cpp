// Throughput of the four jobs hsinstall exists for, over the fixed inputs in
// bench/inputs.json (shared with the urllib and URLSearchParams peers):
//   build_install_url  build + validate an install URL from explicit fields
//   parse_install_url  parse + check an install URL
//   parse_callback     parse a callback and verify its state
//   lint_config        parse + check an app config (*-hsmeta.json)
// Every input is checked once before timing, so the error path is never what is measured.
//
//   hsinstall_bench [--inputs=PATH] [Google Benchmark flags]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "hsinstall/app_config.hpp"
#include "hsinstall/callback.hpp"
#include "hsinstall/diagnostic.hpp"
#include "hsinstall/install_url.hpp"

namespace {

struct Inputs {
  hsinstall::InstallUrlRequest build;
  std::string install_url;
  std::string callback_url;
  hsinstall::CallbackOptions callback_options;
  std::string config_text;
  std::string config_file_name;
};

Inputs g_in;  // filled in main, before any benchmark runs

bool read_file(const std::filesystem::path& p, std::string& out) {
  std::ifstream f(p, std::ios::binary);
  if (!f) return false;
  out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return true;
}

std::vector<std::string> strings(const nlohmann::json& j) {
  std::vector<std::string> v;
  for (const auto& e : j) v.push_back(e.get<std::string>());
  return v;
}

bool load_inputs(const std::filesystem::path& path, Inputs& in, std::string& err) {
  std::string text;
  if (!read_file(path, text)) {
    err = "cannot read " + path.string();
    return false;
  }
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    err = path.string() + " is not valid JSON";
    return false;
  }
  try {
    const auto& b = j.at("build");
    in.build.client_id = b.at("client_id").get<std::string>();
    in.build.redirect_uri = b.at("redirect_uri").get<std::string>();
    in.build.scopes = strings(b.at("scopes"));
    in.build.optional_scopes = strings(b.at("optional_scopes"));
    in.build.state = b.at("state").get<std::string>();
    in.build.host = b.at("host").get<std::string>();
    in.install_url = j.at("install_url").get<std::string>();
    in.callback_url = j.at("callback").at("url").get<std::string>();
    in.callback_options.expected_state = j.at("callback").at("expected_state").get<std::string>();
    const auto& c = j.at("config");
    in.config_file_name = c.at("file_name").get<std::string>();
    const auto config_path = path.parent_path() / c.at("path").get<std::string>();
    if (!read_file(config_path, in.config_text)) {
      err = "cannot read " + config_path.string();
      return false;
    }
  } catch (const nlohmann::json::exception& e) {
    err = path.string() + ": " + e.what();
    return false;
  }
  return true;
}

bool report(const char* job, const hsinstall::Diagnostics& ds, bool ok) {
  if (ok && !hsinstall::has_errors(ds)) return true;
  std::fprintf(stderr, "hsinstall_bench: the %s input does not pass; fix bench/inputs.json:\n", job);
  for (const auto& d : ds)
    std::fprintf(stderr, "  %s %s at %s: %s\n", hsinstall::to_string(d.severity), d.code.c_str(), d.where.c_str(), d.message.c_str());
  return false;
}

// Runs each job once, untimed: every input must succeed (no error diagnostics).
bool check_inputs(const Inputs& in) {
  bool ok = true;
  auto built = hsinstall::build_install_url(in.build);
  ok &= report("build", built.diagnostics, built.ok());
  if (built.ok()) {
    benchmark::AddCustomContext("hsinstall_built_url", *built.value);
    if (*built.value != in.install_url)
      std::fprintf(stderr, "hsinstall_bench: note: the built URL differs from install_url in inputs.json\n  built: %s\n", built.value->c_str());
  }
  auto parsed = hsinstall::parse_install_url(in.install_url);
  ok &= report("install_url", parsed.diagnostics, parsed.ok());
  if (parsed.ok()) {
    benchmark::AddCustomContext("hsinstall_parsed_scopes", std::to_string(parsed.value->scopes.size()) + "+" +
                                                               std::to_string(parsed.value->optional_scopes.size()));
  }
  auto cb = hsinstall::parse_callback(in.callback_url, in.callback_options);
  ok &= report("callback", cb.diagnostics, cb.ok() && cb.value->state_verified);
  if (cb.ok()) benchmark::AddCustomContext("hsinstall_callback_code", cb.value->code);
  auto cfg = hsinstall::parse_app_config(in.config_text, in.config_file_name);
  ok &= report("config", cfg.diagnostics, cfg.ok());
  if (cfg.ok()) {
    benchmark::AddCustomContext("hsinstall_config_name", cfg.value->name);
    benchmark::AddCustomContext("hsinstall_config_diagnostics", std::to_string(cfg.diagnostics.size()));
  }
  return ok;
}

void BM_build_install_url(benchmark::State& state) {
  for (auto _ : state) {
    auto r = hsinstall::build_install_url(g_in.build);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_parse_install_url(benchmark::State& state) {
  for (auto _ : state) {
    auto r = hsinstall::parse_install_url(g_in.install_url);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_parse_callback(benchmark::State& state) {
  for (auto _ : state) {
    auto r = hsinstall::parse_callback(g_in.callback_url, g_in.callback_options);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_lint_config(benchmark::State& state) {
  for (auto _ : state) {
    auto r = hsinstall::parse_app_config(g_in.config_text, g_in.config_file_name);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

// Wall-clock time, as the peers measure with perf_counter / process.hrtime.
BENCHMARK(BM_build_install_url)->UseRealTime();
BENCHMARK(BM_parse_install_url)->UseRealTime();
BENCHMARK(BM_parse_callback)->UseRealTime();
BENCHMARK(BM_lint_config)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::filesystem::path inputs = HSINSTALL_BENCH_INPUTS;
  int rest = 1;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.rfind("--inputs=", 0) == 0)
      inputs = std::string(a.substr(9));
    else
      argv[rest++] = argv[i];
  }
  argc = rest;
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  std::string err;
  if (!load_inputs(inputs, g_in, err)) {
    std::fprintf(stderr, "hsinstall_bench: %s\n", err.c_str());
    return 2;
  }
  benchmark::AddCustomContext("inputs", inputs.string());
  if (!check_inputs(g_in)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
