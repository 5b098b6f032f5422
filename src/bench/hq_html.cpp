// report.html for `emonet bench hq --out DIR`: one self-contained page (inline CSS and SVG,
// no scripts, no external assets) with the pairwise kappa heatmap, alpha per emotion with
// CI bars, the Spearman leaderboard with CI bars and the main tables.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "emonet/bench_hq.h"
#include "emonet/html.h"

namespace emonet::bench {
namespace {

std::string esc(const std::string& s) {
  return html_escape(s);
}

std::string f4(double v) {
  return std::isnan(v) ? "NaN" : fmt::format("{:.4f}", v);
}

std::string heatmap(const PairwiseMatrix& m) {
  const std::size_t n = m.annotators.size();
  const int cell = 34, left = 210, top = 210;
  const int w = left + static_cast<int>(n) * cell + 20, h = top + static_cast<int>(n) * cell + 20;
  std::ostringstream s;
  s << fmt::format(
      R"~(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" role="img" aria-label="Average pairwise kappa heatmap">)~",
      w, h);
  for (std::size_t i = 0; i < n; ++i) {
    const int y = top + static_cast<int>(i) * cell;
    s << fmt::format(R"~(<text x="{}" y="{}" text-anchor="end" font-size="11">{}</text>)~",
                     left - 6, y + cell / 2 + 4, esc(m.annotators[i]));
    const int x = left + static_cast<int>(i) * cell + cell / 2;
    s << fmt::format(R"~(<text transform="translate({},{}) rotate(-60)" font-size="11">{}</text>)~",
                     x + 4, top - 6, esc(m.annotators[i]));
    for (std::size_t j = 0; j < n; ++j) {
      const double v = m.values[i * n + j];
      const int cx = left + static_cast<int>(j) * cell;
      s << fmt::format(
          R"~(<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{} / {}: {}</title></rect>)~",
          cx, y, cell - 1, cell - 1, heat_colour(v), esc(m.annotators[i]), esc(m.annotators[j]),
          f4(v));
      s << fmt::format(
          R"~(<text x="{}" y="{}" text-anchor="middle" font-size="9" fill="{}">{}</text>)~",
          cx + cell / 2, y + cell / 2 + 3, v > 0.6 ? "#000" : "#fff",
          std::isnan(v) ? "" : fmt::format("{:.2f}", v));
    }
  }
  s << "</svg>";
  return s.str();
}

// Horizontal bars with CI whiskers; the axis covers every value and interval end.
struct Bar {
  std::string label;
  double value, low, high;
};

std::string bar_chart(const std::vector<Bar>& bars, const std::string& axis_label) {
  double lo = 0.0, hi = 0.0;
  for (const auto& b : bars)
    for (double v : {b.value, b.low, b.high})
      if (!std::isnan(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  if (hi - lo < 1e-9) hi = lo + 1.0;
  const int left = 300, width = 460, row = 20, top = 10;
  const int h = top + static_cast<int>(bars.size()) * row + 40;
  auto X = [&](double v) { return left + (v - lo) / (hi - lo) * width; };
  std::ostringstream s;
  s << fmt::format(
      R"~(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" role="img" aria-label="{}">)~",
      left + width + 80, h, esc(axis_label));
  s << fmt::format(R"~(<line x1="{0:.1f}" y1="{1}" x2="{0:.1f}" y2="{2}" stroke="#999"/>)~", X(0.0),
                   top, h - 30);
  for (std::size_t k = 0; k < bars.size(); ++k) {
    const auto& b = bars[k];
    const int y = top + static_cast<int>(k) * row;
    s << fmt::format(R"~(<text x="{}" y="{}" text-anchor="end" font-size="11">{}</text>)~",
                     left - 6, y + 14, esc(b.label));
    if (!std::isnan(b.value)) {
      const double x0 = X(std::min(0.0, b.value)), x1 = X(std::max(0.0, b.value));
      s << fmt::format(
          R"~(<rect x="{:.1f}" y="{}" width="{:.1f}" height="{}" fill="#7ec8e3"><title>{}: {} [{}, {}]</title></rect>)~",
          x0, y + 3, std::max(0.5, x1 - x0), row - 6, esc(b.label), f4(b.value), f4(b.low),
          f4(b.high));
    }
    if (!std::isnan(b.low) && !std::isnan(b.high)) {
      const int cy = y + row / 2;
      s << fmt::format(R"~(<line x1="{:.1f}" y1="{}" x2="{:.1f}" y2="{}" stroke="#333"/>)~",
                       X(b.low), cy, X(b.high), cy);
      for (double v : {b.low, b.high})
        s << fmt::format(R"~(<line x1="{0:.1f}" y1="{1}" x2="{0:.1f}" y2="{2}" stroke="#333"/>)~",
                         X(v), cy - 4, cy + 4);
    }
    s << fmt::format(R"~(<text x="{}" y="{}" font-size="10">{}</text>)~", left + width + 6, y + 14,
                     f4(b.value));
  }
  const int axis_y = h - 24;
  for (int t = 0; t <= 4; ++t) {
    const double v = lo + (hi - lo) * t / 4.0;
    s << fmt::format(
        R"~(<text x="{:.1f}" y="{}" text-anchor="middle" font-size="10">{:.2f}</text>)~", X(v),
        axis_y, v);
  }
  s << fmt::format(R"~(<text x="{}" y="{}" text-anchor="middle" font-size="11">{}</text>)~",
                   left + width / 2, h - 6, esc(axis_label));
  s << "</svg>";
  return s.str();
}

void html_table(std::ostringstream& s, const std::vector<std::string>& head,
                const std::vector<std::vector<std::string>>& rows) {
  s << "<table><tr>";
  for (const auto& h : head) s << "<th>" << esc(h) << "</th>";
  s << "</tr>";
  for (const auto& r : rows) {
    s << "<tr>";
    for (const auto& c : r) s << "<td>" << esc(c) << "</td>";
    s << "</tr>";
  }
  s << "</table>";
}

}  // namespace

std::string hq_report_html(const HqReport& r) {
  std::ostringstream s;
  s << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>EmoNet-Face HQ "
       "benchmark</title><style>body{font-family:sans-serif;margin:2em;max-width:1200px}"
       "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 8px;"
       "font-size:13px;text-align:right}td:first-child,th:first-child{text-align:left}"
       "h2{margin-top:2em}</style></head><body>";
  s << "<h1>EmoNet-Face HQ benchmark</h1>";
  s << fmt::format(
      "<p>{}: {} images, {} human experts, {} models, {} rows ({} duplicates "
      "averaged). Confidence intervals: {} bootstrap resamples, seed {}.</p>",
      esc(r.source), r.images, r.humans, r.models, r.rows, r.duplicate_rows, r.bootstrap, r.seed);

  s << "<h2>Leaderboard: Spearman's rho against the human median</h2>";
  std::vector<Bar> lead;
  for (const auto& x : r.spearman) lead.push_back({x.model, x.mean_rho, x.ci_low, x.ci_high});
  s << bar_chart(lead, "mean Spearman rho over emotions (95% bootstrap CI)");

  s << "<h2>Agreement with the human experts</h2>";
  std::vector<std::vector<std::string>> rows;
  for (const auto& x : r.summary)
    rows.push_back(
        {x.annotator, f4(x.mean), f4(x.std), f4(x.median), x.top_emotion, f4(x.top_value)});
  html_table(s, {"annotator", "mean kappa", "std", "median", "top emotion", "top kappa"}, rows);

  s << "<h2>Could the annotator be one of the experts?</h2>";
  std::vector<Bar> tests;
  rows.clear();
  for (const auto& x : r.annotator_tests) {
    tests.push_back({x.annotator, x.mean_difference, x.ci_low, x.ci_high});
    rows.push_back({x.annotator, f4(x.mean_difference),
                    "[" + f4(x.ci_low) + ", " + f4(x.ci_high) + "]", fmt::format("{:.3g}", x.p),
                    x.could_be_annotator ? "yes" : "no"});
  }
  s << bar_chart(tests, "mean kappa vs humans minus human-human mean (95% bootstrap CI)");
  html_table(s,
             {"annotator", "mean difference", "95% CI", "p (Mann-Whitney)", "could be annotator"},
             rows);

  s << "<h2>Average pairwise kappa</h2>" << heatmap(r.pairwise);

  s << "<h2>Krippendorff's alpha per emotion (human experts, interval)</h2>";
  std::vector<Bar> alpha;
  for (const auto& x : r.alpha) alpha.push_back({x.emotion, x.alpha, x.ci_low, x.ci_high});
  s << bar_chart(alpha, "alpha (95% bootstrap CI over images)");

  s << "<h2>Group comparisons</h2>";
  rows.clear();
  for (const auto& g : r.groups)
    rows.push_back({g.group1, g.group2, f4(g.mean_difference),
                    "[" + f4(g.ci_low) + ", " + f4(g.ci_high) + "]", fmt::format("{:.3g}", g.p)});
  html_table(s, {"group 1", "group 2", "mean difference", "95% CI", "p (Mann-Whitney)"}, rows);
  s << "</body></html>\n";
  return s.str();
}

}  // namespace emonet::bench
