// String helpers shared by every module: trimming, splitting, case folding, parsing
// numbers with errors that name the field, and "did you mean" suggestions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace emonet {

std::string_view trim(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);
std::string to_lower(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);
std::string join(const std::vector<std::string>& parts, std::string_view sep);

// Strict number parsing: the whole (trimmed) text must be a number, else Error with
// `what` (e.g. "column 'value'") in the message.
double parse_double(std::string_view text, std::string_view what);
long long parse_int(std::string_view text, std::string_view what);

// Levenshtein distance on bytes, case-insensitive.
std::size_t edit_distance(std::string_view a, std::string_view b);

// Up to `limit` candidates closest to `name` (case-insensitive edit distance, substring
// matches first), for "unknown X; did you mean ...?" messages.
std::vector<std::string> closest_names(std::string_view name,
                                       const std::vector<std::string>& candidates,
                                       std::size_t limit = 5);

}  // namespace emonet
