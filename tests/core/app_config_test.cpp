#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "hsinstall/app_config.hpp"
#include "hsinstall/json.hpp"

using namespace hsinstall;

namespace {
std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
const Diagnostic* find(const Diagnostics& ds, const std::string& code) {
  for (const auto& d : ds)
    if (d.code == code) return &d;
  return nullptr;
}
}  // namespace

TEST_CASE("every official HubSpot template lints clean", "[app_config]") {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(HSINSTALL_SOURCE_DIR) / "tests/fixtures/configs/official")) {
    if (e.path().extension() != ".json") continue;
    ++n;
    INFO(e.path().filename().string());
    auto r = parse_app_config(slurp(e.path()), e.path().filename().string());
    REQUIRE(r.value);
    CHECK(count(r.diagnostics, Severity::error) == 0);
    CHECK(count(r.diagnostics, Severity::warning) == 0);
    const bool legacy = e.path().filename().string().find("public-app.json") != std::string::npos;
    CHECK(r.value->format == (legacy ? ConfigFormat::public_app : ConfigFormat::hsmeta));
  }
  CHECK(n >= 10);
}

TEST_CASE("malformed JSON names line and column", "[app_config]") {
  auto r = parse_app_config("{\n  \"uid\": \"a\",\n  \"type\": \"app\" \"config\": {}\n}", "app-hsmeta.json");
  REQUIRE_FALSE(r.value);
  const Diagnostic* d = find(r.diagnostics, "config.malformed_json");
  REQUIRE(d);
  CHECK(d->where == "line 3, column 17");
  CHECK(d->message.find("line 3") != std::string::npos);
}

TEST_CASE("pointers escape ~ and / in keys", "[app_config]") {
  auto r = parse_app_config(R"({"uid":"a","type":"app","config":{"name":"A","description":"d","distribution":"private",
    "auth":{"type":"static","requiredScopes":["oauth"]},"a/b~c":1}})",
                            "x-hsmeta.json");
  const Diagnostic* d = find(r.diagnostics, "config.unknown_key");
  REQUIRE(d);
  CHECK(d->where == "/config/a~1b~0c");
  CHECK(d->severity == Severity::warning);
}

TEST_CASE("limits refuse huge or deeply nested input", "[app_config]") {
  CHECK(find(parse_app_config(std::string(kMaxConfigBytes + 1, ' ')).diagnostics, "config.too_large"));
  CHECK(find(parse_app_config(std::string(100, '[') + std::string(100, ']')).diagnostics, "config.too_deep"));
  // Brackets inside strings do not count.
  auto r = parse_app_config("{\"name\": \"" + std::string(100, '[') + "\"}");
  CHECK_FALSE(find(r.diagnostics, "config.too_deep"));
  CHECK(find(parse_app_config("\xff\xfe{}").diagnostics, "config.malformed_json"));
  CHECK(find(parse_app_config("").diagnostics, "config.malformed_json"));
  CHECK(find(parse_app_config("[]").diagnostics, "config.type_mismatch"));
}

TEST_CASE("messages stay valid UTF-8 when the input is not", "[app_config]") {
  // Found by fuzz_app_config: nlohmann's message quotes the raw bytes it last read.
  const std::string inputs[] = {std::string("{\"a\": \"x\xb1\xfc\x7f\x00\"}", 13), "{\"name\": \"\xff", "\xc0\xaf", "{\"\xed\xa0\x80\": 1}"};
  for (const auto& text : inputs) {
    auto r = parse_app_config(text, "app-hsmeta.json");
    REQUIRE_FALSE(r.diagnostics.empty());
    for (const auto& d : r.diagnostics) {
      INFO(d.message);
      CHECK_NOTHROW(nlohmann::json(d.message).dump());
    }
  }
}
