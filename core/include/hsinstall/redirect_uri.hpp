#pragma once
// Redirect URI rules: absolute; https, or http only for localhost; a domain host
// (an IP address is an error, loopback a warning); no fragment, user-info,
// wildcard or dot segment; exact match against the app's registered URLs.
#include <string>
#include <string_view>
#include <vector>

#include "hsinstall/diagnostic.hpp"

namespace hsinstall {

// Checks one redirect URI on its own; `where` names it in diagnostics
// (a JSON pointer such as "/config/auth/redirectUrls/0", or "query.redirect_uri").
Diagnostics validate_redirect_uri(std::string_view uri, const std::string& where = "redirect_uri");

// Exact (byte-for-byte) match against the app's registered redirect URLs:
// redirect.unregistered when absent, with a hint naming a near miss.
Diagnostics check_redirect_registered(std::string_view uri, const std::vector<std::string>& registered,
                                      const std::string& where = "redirect_uri");

}  // namespace hsinstall
