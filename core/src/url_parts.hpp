#pragma once
// RFC 3986 splitting of absolute URLs and application/x-www-form-urlencoded
// query parsing, strict enough to agree with WHATWG URL and Python's urllib on
// everything it accepts (internal).
#include <string>
#include <string_view>
#include <vector>

#include "hsinstall/diagnostic.hpp"

namespace hsinstall::detail {

struct UrlParts {
  std::string_view scheme, userinfo, host, port, path, query, fragment;
  bool has_authority = false, has_userinfo = false, has_port = false;
  bool has_query = false, has_fragment = false;
};

// Every byte is one RFC 3986 allows (unreserved, reserved, '%'); else url.invalid_character at `where`.
bool url_chars_ok(std::string_view text, Diagnostics& ds, std::string_view where);

// Splits an absolute URL. Rejects (with diagnostics, where = `where`) empty
// input, characters outside RFC 3986 (spaces, controls, backslashes, raw
// non-ASCII), a missing or malformed scheme and a malformed port.
bool split_url(std::string_view url, UrlParts& out, Diagnostics& ds, std::string_view where);

struct QueryParam {
  std::string_view key;    // decoded; points into the query or into ParsedQuery::arena
  std::string_view value;  // decoded (the raw text when it did not decode)
  std::string_view raw_value;
  bool ok = true;  // false when the key or value did not decode
};

struct ParsedQuery {
  std::string arena;  // decoded text; reserved up front, never reallocated
  std::vector<QueryParam> params;
  ParsedQuery() = default;
  ParsedQuery(const ParsedQuery&) = delete;  // the views point into `arena`
  ParsedQuery& operator=(const ParsedQuery&) = delete;
};

// Splits a query on '&' ('+' decodes to a space; ';' is not a separator, as in
// WHATWG URLSearchParams and Python 3.10+). Undecodable parameters get a
// url.bad_percent_encoding, url.invalid_utf8 or url.control_character error
// at "query.<key>" and ok = false. `query` must outlive `out`.
void parse_query(std::string_view query, Diagnostics& ds, ParsedQuery& out);

// Index-qualified URL part for messages: "query.scope[2]".
std::string query_where(std::string_view key, std::size_t index);

// HubSpot UI hosts: "app.hubspot.com" (hublet "") or "app-<hublet>.hubspot.com".
bool hubspot_ui_host(std::string_view host_lower, std::string* hublet);
bool is_ipv4_like(std::string_view host) noexcept;

}  // namespace hsinstall::detail
