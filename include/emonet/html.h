// HTML helpers shared by every module that writes HTML (the annotation pages, the
// benchmark's and leaderboard's report.html). Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace emonet {

// Escapes & < > " ' so a value is safe in element text and in quoted attribute values.
std::string html_escape(std::string_view text);

// Fill colour of a heat-map cell: a viridis-like ramp from dark blue (0) to yellow (1),
// clamped, as "rgb(r,g,b)"; NaN (no value) is light grey.
std::string heat_colour(double value);

}  // namespace emonet
