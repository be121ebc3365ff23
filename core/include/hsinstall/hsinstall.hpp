#pragma once
// Everything in the core (no I/O, no exceptions across the API).
#include "hsinstall/app_config.hpp"
#include "hsinstall/callback.hpp"
#include "hsinstall/diagnostic.hpp"
#include "hsinstall/install_url.hpp"
#include "hsinstall/redirect_uri.hpp"
#include "hsinstall/scopes.hpp"
#include "hsinstall/state.hpp"
#include "hsinstall/token.hpp"
