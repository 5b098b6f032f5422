// Python dict literals of the form found in hq.csv's `annotations` column:
//   {'Positive High-Energy Emotions|Amusement': 3, "Extra Dimensions|Valence": -1.25}
//
// Keys are single- or double-quoted Python strings (with backslash escapes); values are
// int or float literals (incl. exponents, inf, nan), True/False (1/0) or None (NaN).
// Key order is preserved because the authors' analysis takes its emotion order from the
// first row's dict. Anything else (nested containers, calls) is rejected with an Error
// naming the character offset: this is a data format, never code to evaluate.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace emonet {

using PyDictEntries = std::vector<std::pair<std::string, double>>;

PyDictEntries parse_python_dict(std::string_view text);

// Writes entries as a Python dict literal with single-quoted keys; integral values are
// written without a decimal point, others with repr()-like shortest round-trip digits.
std::string format_python_dict(const PyDictEntries& entries);

// Shortest decimal text that parses back to exactly `value` (like Python's repr(float)).
std::string format_double_shortest(double value);

}  // namespace emonet
