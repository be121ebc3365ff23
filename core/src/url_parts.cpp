#include "url_parts.hpp"

#include <algorithm>

#include "text.hpp"

namespace hsinstall::detail {

// Bytes RFC 3986 allows in a URL: unreserved, gen-delims, sub-delims and '%'.
struct UrlCharTable {
  bool allowed[256] = {};
  constexpr UrlCharTable() {
    for (int c = 'a'; c <= 'z'; ++c) allowed[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) allowed[c] = true;
    for (int c = '0'; c <= '9'; ++c) allowed[c] = true;
    const char* other = "-._~:/?#[]@!$&'()*+,;=%";
    for (const char* p = other; *p; ++p) allowed[static_cast<unsigned char>(*p)] = true;
  }
};
constexpr UrlCharTable kUrlChars;

static bool allowed_in_url(char c) noexcept { return kUrlChars.allowed[static_cast<unsigned char>(c)]; }

static std::string describe_byte(char c) {
  auto u = static_cast<unsigned char>(c);
  if (c == ' ') return "a space";
  if (c == '\\') return "a backslash";
  if (u == 0) return "a NUL byte";
  if (u < 0x20 || u == 0x7F) return "a control character";
  if (u >= 0x80) return "a raw non-ASCII byte";
  return std::string("'") + c + "'";
}

bool url_chars_ok(std::string_view text, Diagnostics& ds, std::string_view where) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!allowed_in_url(text[i])) {
      ds.push_back({"url.invalid_character", Severity::error, std::string(where),
                    "The URL contains " + describe_byte(text[i]) + " at offset " + std::to_string(i) + ".",
                    "Percent-encode it (a space is %20); browsers and servers disagree on such URLs."});
      return false;
    }
  }
  return true;
}

bool split_url(std::string_view url, UrlParts& out, Diagnostics& ds, std::string_view where) {
  out = UrlParts{};
  const std::string w(where);
  if (url.empty()) {
    ds.push_back({"url.empty", Severity::error, w, "The URL is empty.", "Give an absolute https:// URL."});
    return false;
  }
  if (!url_chars_ok(url, ds, where)) return false;
  // scheme
  std::size_t colon = url.find(':');
  std::size_t first_delim = find_char_if(url, [](char c) { return c == '/' || c == '?' || c == '#'; });
  if (colon == std::string_view::npos || colon == 0 || (first_delim != std::string_view::npos && first_delim < colon)) {
    ds.push_back({"url.not_absolute", Severity::error, w, "The URL " + show(url) + " is not absolute (no scheme).",
                  "Write the whole URL, starting with https://."});
    return false;
  }
  out.scheme = url.substr(0, colon);
  bool scheme_ok = is_alpha(out.scheme[0]);
  for (char c : out.scheme) scheme_ok = scheme_ok && (is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.');
  if (!scheme_ok) {
    ds.push_back({"url.not_absolute", Severity::error, w, "The URL " + show(url) + " has no valid scheme.",
                  "Write the whole URL, starting with https://."});
    return false;
  }
  std::string_view rest = url.substr(colon + 1);
  // fragment, then query
  if (auto h = rest.find('#'); h != std::string_view::npos) {
    out.has_fragment = true;
    out.fragment = rest.substr(h + 1);
    rest = rest.substr(0, h);
  }
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    out.has_query = true;
    out.query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (starts_with(rest, "//")) {
    out.has_authority = true;
    rest.remove_prefix(2);
    std::size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    out.path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
    if (auto at = authority.rfind('@'); at != std::string_view::npos) {
      out.has_userinfo = true;
      out.userinfo = authority.substr(0, at);
      authority = authority.substr(at + 1);
    }
    std::string_view hostport = authority;
    if (!hostport.empty() && hostport[0] == '[') {
      auto close = hostport.find(']');
      if (close == std::string_view::npos) {
        ds.push_back({"url.bad_host", Severity::error, w, "The IPv6 host in " + show(url) + " has no closing ']'.",
                      "Write IPv6 hosts as [::1]."});
        return false;
      }
      out.host = hostport.substr(0, close + 1);
      hostport = hostport.substr(close + 1);
      if (!hostport.empty() && hostport[0] != ':') {
        ds.push_back({"url.bad_host", Severity::error, w, "Unexpected text after the IPv6 host in " + show(url) + ".",
                      "Write IPv6 hosts as [::1] or [::1]:8080."});
        return false;
      }
    } else {
      auto c = hostport.find(':');
      out.host = hostport.substr(0, c);
      hostport = c == std::string_view::npos ? std::string_view{} : hostport.substr(c);
    }
    if (!hostport.empty()) {  // ":port"
      out.has_port = true;
      out.port = hostport.substr(1);
      bool digits = !out.port.empty() && out.port.size() <= 5;
      for (char c : out.port) digits = digits && is_digit(c);
      if (!digits || std::stoul(std::string(out.port)) > 65535) {
        ds.push_back({"url.bad_port", Severity::error, w, "The port " + show(out.port) + " in " + show(url) + " is not a number from 0 to 65535.",
                      "Remove the colon or give a valid port."});
        return false;
      }
    }
  } else {
    out.path = rest;
  }
  return true;
}

std::string query_where(std::string_view key, std::size_t index) {
  return "query." + std::string(key) + "[" + std::to_string(index) + "]";
}

namespace {

// Decodes into the arena when needed; a piece without '%' or '+' is its own decoding.
bool decode_view(std::string_view raw, std::string& arena, std::string_view& out, std::size_t* bad) {
  if (find_char_if(raw, [](char c) { return c == '%' || c == '+'; }) == std::string_view::npos) {
    out = raw;
    return true;
  }
  const std::size_t at = arena.size();
  // Fits without reallocating: the arena is reserved to the query's length and decoding never grows text.
  if (!percent_decode_append(arena, raw, true, bad)) return false;
  out = std::string_view(arena).substr(at);
  return true;
}

enum class TextIssue { none, invalid_utf8, control };

// Byte classes: 0 printable ASCII, 1 control, 2 not ASCII.
struct ByteClassTable {
  unsigned char cls[256] = {};
  constexpr ByteClassTable() {
    for (int c = 0; c < 0x20; ++c) cls[c] = 1;
    cls[0x7F] = 1;
    for (int c = 0x80; c < 256; ++c) cls[c] = 2;
  }
};
constexpr ByteClassTable kByteClass;

// One pass: control characters and UTF-8 validity, ASCII fast.
TextIssue text_issue(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned char cls = kByteClass.cls[static_cast<unsigned char>(s[i])];
    if (cls == 0) continue;
    if (cls == 1) return TextIssue::control;
    // Past the first non-ASCII byte, the careful way.
    if (!valid_utf8(s.substr(i))) return TextIssue::invalid_utf8;
    return find_control(s.substr(i)) == std::string_view::npos ? TextIssue::none : TextIssue::control;
  }
  return TextIssue::none;
}

}  // namespace

void parse_query(std::string_view query, Diagnostics& ds, ParsedQuery& out) {
  out.arena.clear();
  out.arena.reserve(query.size());
  out.params.clear();
  out.params.reserve(8);  // HubSpot's URLs and callbacks carry a handful of parameters
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t amp = query.find('&', start);
    std::string_view piece = query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    start = amp == std::string_view::npos ? query.size() + 1 : amp + 1;
    if (piece.empty()) continue;
    auto eq = piece.find('=');
    std::string_view raw_key = piece.substr(0, eq);
    std::string_view raw_value = eq == std::string_view::npos ? std::string_view{} : piece.substr(eq + 1);
    QueryParam p;
    p.raw_value = raw_value;
    std::size_t bad = 0;
    if (!decode_view(raw_key, out.arena, p.key, &bad)) {
      p.key = raw_key;
      p.ok = false;
      ds.push_back({"url.bad_percent_encoding", Severity::error, "query." + std::string(text_issue(raw_key) == TextIssue::none ? raw_key : "?"),
                    "The parameter name " + show(raw_key) + " has a malformed %-escape at offset " + std::to_string(bad) + ".",
                    "Every % must be followed by two hex digits; write a literal % as %25."});
    }
    const TextIssue key_issue = p.ok ? text_issue(p.key) : TextIssue::none;
    auto where = [&] { return "query." + (p.ok && key_issue == TextIssue::none ? std::string(p.key) : std::string("?")); };
    if (!decode_view(raw_value, out.arena, p.value, &bad)) {
      if (p.ok)
        ds.push_back({"url.bad_percent_encoding", Severity::error, where(),
                      "The value of " + show(p.key) + " has a malformed %-escape at offset " + std::to_string(bad) + ".",
                      "Every % must be followed by two hex digits; write a literal % as %25."});
      p.ok = false;
      p.value = raw_value;
    }
    if (p.ok) {
      const TextIssue value_issue = text_issue(p.value);
      const TextIssue issue = key_issue == TextIssue::invalid_utf8 || value_issue == TextIssue::invalid_utf8 ? TextIssue::invalid_utf8
                              : key_issue != TextIssue::none ? key_issue
                                                             : value_issue;
      if (issue == TextIssue::invalid_utf8)
        ds.push_back({"url.invalid_utf8", Severity::error, where(), "The parameter " + show(p.key) + " decodes to bytes that are not valid UTF-8.",
                      "Percent-encode text as UTF-8."});
      else if (issue == TextIssue::control)
        ds.push_back({"url.control_character", Severity::error, where(),
                      "The parameter " + show(p.key) + " decodes to a control character (such as NUL).",
                      "Remove control characters; no HubSpot parameter contains them."});
      p.ok = issue == TextIssue::none;
    }
    out.params.push_back(p);
  }
}

bool hubspot_ui_host(std::string_view host, std::string* hublet) {
  if (host == "app.hubspot.com") {
    if (hublet) hublet->clear();
    return true;
  }
  // app-<hublet>.hubspot.com, hublet = 2 letters + digits (eu1, na2, ap1, ...)
  if (!starts_with(host, "app-") || !ends_with(host, ".hubspot.com")) return false;
  std::string_view mid = host.substr(4, host.size() - 4 - 12);
  if (mid.size() < 3 || mid.size() > 6 || !is_alpha(mid[0]) || !is_alpha(mid[1])) return false;
  for (std::size_t i = 2; i < mid.size(); ++i)
    if (!is_digit(mid[i])) return false;
  for (char c : mid)
    if (c >= 'A' && c <= 'Z') return false;
  if (hublet) *hublet = std::string(mid);
  return true;
}

bool is_ipv4_like(std::string_view host) noexcept {
  // WHATWG treats a host whose last label is a number (decimal, 0x-hex or octal) as IPv4.
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  auto dot = host.rfind('.');
  std::string_view last = dot == std::string_view::npos ? host : host.substr(dot + 1);
  if (last.empty()) return false;
  if (last.size() >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X')) {
    for (std::size_t i = 2; i < last.size(); ++i)
      if (!is_hex(last[i])) return false;
    return true;
  }
  for (char c : last)
    if (!is_digit(c)) return false;
  return true;
}

}  // namespace hsinstall::detail
