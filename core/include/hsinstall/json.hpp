#pragma once
// The stable JSON shapes of the core's values, shared by the CLI's --json
// output, the test vectors and the faces. Needs nlohmann/json.
#include <nlohmann/json.hpp>

#include "hsinstall/app_config.hpp"
#include "hsinstall/callback.hpp"
#include "hsinstall/diagnostic.hpp"
#include "hsinstall/install_url.hpp"
#include "hsinstall/scopes.hpp"
#include "hsinstall/state.hpp"
#include "hsinstall/token.hpp"

namespace hsinstall {

nlohmann::json to_json(const Diagnostic& d);
nlohmann::json to_json(const Diagnostics& ds);
nlohmann::json to_json(const ScopeInfo& s);
nlohmann::json to_json(const AppConfig& a);
nlohmann::json to_json(const InstallUrl& u);  // without diagnostics
nlohmann::json to_json(const InspectedUrl& u);  // the `hsinstall inspect --json` shape
nlohmann::json to_json(const Callback& c);
nlohmann::json to_json(const StateToken& t);
nlohmann::json to_json(const HttpRequest& r);
nlohmann::json to_json(const Tokens& t);
nlohmann::json to_json(const TokenError& e);
nlohmann::json to_json(const TokenResponse& r);
nlohmann::json to_json(const Introspection& i);
nlohmann::json to_json(const IntrospectionResponse& r);
nlohmann::json to_json(const ScopeComparison& c);

}  // namespace hsinstall
