#include "emonet/html.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace emonet {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string heat_colour(double value) {
  if (std::isnan(value)) return "#dddddd";
  const double t = std::clamp(value, 0.0, 1.0);
  static const double stops[5][3] = {
      {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
  const double x = t * 4.0;
  const int k = std::min(3, static_cast<int>(x));
  const double f = x - k;
  auto mix = [&](int c) {
    return static_cast<int>(stops[k][c] + (stops[k + 1][c] - stops[k][c]) * f);
  };
  return fmt::format("rgb({},{},{})", mix(0), mix(1), mix(2));
}

}  // namespace emonet
