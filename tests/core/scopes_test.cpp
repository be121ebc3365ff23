#include <catch2/catch.hpp>
#include "hsinstall/scopes.hpp"
TEST_CASE("catalogue loads") { REQUIRE(hsinstall::scope_catalogue().size() > 250); }
