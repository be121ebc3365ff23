#pragma once
// Small text helpers shared by the core's parsers (internal).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hsinstall::detail {

inline bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
inline bool is_hex(char c) noexcept { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
// RFC 3986 unreserved: ALPHA DIGIT - . _ ~
inline bool is_unreserved(char c) noexcept { return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~'; }
inline char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
std::string ascii_lower(std::string_view s);

// The first index whose character satisfies `pred`, or npos: string_view::find_first_of
// calls memchr on its set once per character, which dominated the hot paths.
template <class Pred>
std::size_t find_char_if(std::string_view s, Pred pred) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i)
    if (pred(s[i])) return i;
  return std::string_view::npos;
}
bool iequals(std::string_view a, std::string_view b) noexcept;
bool starts_with(std::string_view s, std::string_view prefix) noexcept;
bool ends_with(std::string_view s, std::string_view suffix) noexcept;

// Percent-encodes everything outside the RFC 3986 unreserved set (spaces become %20).
std::string percent_encode(std::string_view s);
void percent_encode_to(std::string& out, std::string_view s);

// Decodes %XX escapes, appending to `out`; with plus_is_space, '+' becomes ' ' (form
// encoding). On a malformed escape returns false, sets *bad_at to its byte offset and
// leaves `out` as it was.
bool percent_decode_append(std::string& out, std::string_view s, bool plus_is_space, std::size_t* bad_at);

// Validates UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool valid_utf8(std::string_view s) noexcept;
// First control character (C0, DEL) offset, or npos.
std::size_t find_control(std::string_view s) noexcept;

std::string base64url_encode(const std::uint8_t* data, std::size_t n);
std::optional<std::vector<std::uint8_t>> base64url_decode(std::string_view s);

// Damerau-Levenshtein (optimal string alignment) distance, capped at limit+1.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit);

// Quotes a value for a message, shortened past max characters, control bytes escaped.
std::string show(std::string_view s, std::size_t max = 80);
// The same without the quotes.
std::string printable(std::string_view s, std::size_t max = 200);

// Splits on any run of ASCII whitespace.
std::vector<std::string> split_spaces(std::string_view s);
std::string join(const std::vector<std::string>& v, std::string_view sep);

}  // namespace hsinstall::detail
