// libFuzzer: install URL parsing, with and without an app to check against, and
// the build → parse round trip of whatever the parser accepted.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "hsinstall/json.hpp"

#include "hsinstall/install_url.hpp"

using namespace hsinstall;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static const AppConfig app = [] {
    AppConfig a;
    a.redirect_urls = {"https://app.example.com/oauth/callback"};
    a.scopes = {{"oauth", "crm.objects.contacts.read"}, {"crm.objects.deals.read"}, {"tickets"}};
    return a;
  }();
  auto inspected = inspect_install_url(text, &app);
  auto parsed = parse_install_url(text);
  (void)to_json(inspected).dump();  // throws (a crash here) on any invalid UTF-8 in the output

  if (parsed.value) {
    // Whatever parses cleanly must rebuild to a URL that parses to the same fields.
    InstallUrlRequest rq{parsed.value->client_id, parsed.value->redirect_uri, parsed.value->scopes, parsed.value->optional_scopes,
                         parsed.value->state, parsed.value->host, parsed.value->account_id};
    auto rebuilt = build_install_url(rq);
    if (rebuilt.value) {
      auto again = parse_install_url(*rebuilt.value);
      if (!again.value || again.value->scopes != parsed.value->scopes || again.value->optional_scopes != parsed.value->optional_scopes ||
          again.value->client_id != parsed.value->client_id || again.value->redirect_uri != parsed.value->redirect_uri ||
          again.value->state != parsed.value->state)
        std::abort();
    }
  }
  return 0;
}
