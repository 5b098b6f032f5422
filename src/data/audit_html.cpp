// `data audit` report.html: one self-contained page (inline CSS, inline SVG, no script,
// no external resource) with the margins as bars against the reference, a group × emotion
// heat map (mean scores with predictions, else counts) and group CIs.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "emonet/data_audit.h"
#include "emonet/html.h"
#include "emonet/strings.h"

namespace emonet::data {
namespace {

std::string num(double v, int digits = 3) {
  if (!std::isfinite(v)) return "–";
  char b[64];
  std::snprintf(b, sizeof b, "%.*g", digits, v);
  return b;
}

std::string px(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

// Horizontal bars: observed count per level, a tick at the expected count.
std::string margin_svg(const AxisBalance& a) {
  const double row = 16, label_w = 230, plot_w = 360;
  double top = 1;
  for (const auto& l : a.levels) top = std::max({top, l.observed, l.expected});
  const double h = row * double(a.levels.size()) + 24;
  std::ostringstream s;
  s << "<svg class=\"margins\" xmlns=\"http://www.w3.org/2000/svg\" width=\""
    << label_w + plot_w + 60 << "\" height=\"" << h << "\" role=\"img\" aria-label=\""
    << html_escape(a.axis) << " margins\">";
  for (std::size_t i = 0; i < a.levels.size(); ++i) {
    const auto& l = a.levels[i];
    const double y = double(i) * row + 4;
    const double w = l.observed / top * plot_w, ex = label_w + l.expected / top * plot_w;
    s << "<text x=\"" << label_w - 6 << "\" y=\"" << px(y + 11)
      << "\" text-anchor=\"end\" font-size=\"11\">" << html_escape(l.level) << "</text>"
      << "<rect x=\"" << label_w << "\" y=\"" << px(y) << "\" width=\"" << px(std::max(w, 0.5))
      << "\" height=\"" << row - 4 << "\" fill=\"#4c78a8\"><title>" << html_escape(l.level) << ": "
      << num(l.observed, 10) << " observed, " << num(l.expected, 6) << " expected</title></rect>"
      << "<line x1=\"" << px(ex) << "\" x2=\"" << px(ex) << "\" y1=\"" << px(y - 1) << "\" y2=\""
      << px(y + row - 3) << "\" stroke=\"#e45756\" stroke-width=\"2\"/>"
      << "<text x=\"" << px(label_w + std::max(w, 0.5) + 4) << "\" y=\"" << px(y + 11)
      << "\" font-size=\"10\">" << num(l.observed, 10) << "</text>";
  }
  s << "<text x=\"" << label_w << "\" y=\"" << h - 4
    << "\" font-size=\"10\">bars: observed · red ticks: expected</text></svg>";
  return s.str();
}

// Colour from white (low) to dark blue (high).
std::string colour(double t) {
  if (!std::isfinite(t)) return "#eeeeee";
  t = std::clamp(t, 0.0, 1.0);
  const int r = int(247 - t * (247 - 8)), g = int(251 - t * (251 - 48)),
            b = int(255 - t * (255 - 107));
  char buf[16];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", r, g, b);
  return buf;
}

std::string heatmap_svg(const std::vector<std::string>& rows, const std::vector<std::string>& cols,
                        const std::map<std::pair<std::string, std::string>, double>& value,
                        const std::string& what) {
  const double cell = cols.size() > 20 ? 14 : 24, label_w = 230, label_h = 110;
  double lo = HUGE_VAL, hi = -HUGE_VAL;
  for (const auto& [k, v] : value)
    if (std::isfinite(v)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  const double span = hi > lo ? hi - lo : 1;
  const double w = std::max(label_w + 420, label_w + cell * double(cols.size()) + 10),
               h = label_h + cell * double(rows.size()) + 24;
  std::ostringstream s;
  s << "<svg class=\"heatmap\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << px(w)
    << "\" height=\"" << px(h) << "\" role=\"img\" aria-label=\"" << html_escape(what) << "\">";
  for (std::size_t c = 0; c < cols.size(); ++c) {
    const double x = label_w + double(c) * cell + cell / 2;
    s << "<text transform=\"translate(" << px(x + 3) << "," << px(label_h - 4)
      << ") rotate(-60)\" font-size=\"11\">" << html_escape(cols[c]) << "</text>";
  }
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const double y = label_h + double(r) * cell;
    s << "<text x=\"" << label_w - 6 << "\" y=\"" << px(y + 11)
      << "\" text-anchor=\"end\" font-size=\"11\">" << html_escape(rows[r]) << "</text>";
    for (std::size_t c = 0; c < cols.size(); ++c) {
      const auto it = value.find({rows[r], cols[c]});
      const double v = it == value.end() ? NAN : it->second;
      s << "<rect x=\"" << px(label_w + double(c) * cell) << "\" y=\"" << px(y) << "\" width=\""
        << cell - 1 << "\" height=\"" << cell - 1 << "\" fill=\"" << colour((v - lo) / span)
        << "\"><title>" << html_escape(rows[r]) << " × " << html_escape(cols[c]) << ": "
        << num(v, 4) << "</title></rect>";
    }
  }
  s << "<text x=\"" << label_w << "\" y=\"" << px(h - 6) << "\" font-size=\"10\">"
    << html_escape(what) << ": light " << num(lo, 3) << " → dark " << num(hi, 3) << "</text></svg>";
  return s.str();
}

// Point estimates with CI whiskers, one line per group.
std::string ci_svg(const std::vector<const GroupMetric*>& m, const std::string& what) {
  const double row = 18, label_w = 230, plot_w = 360;
  double lo = HUGE_VAL, hi = -HUGE_VAL;
  for (const auto* g : m)
    for (double v : {g->estimate.value, g->estimate.low, g->estimate.high})
      if (std::isfinite(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
  if (!(hi > lo)) {
    lo = std::isfinite(lo) ? lo - 1 : 0;
    hi = lo + 2;
  }
  auto X = [&](double v) { return label_w + (v - lo) / (hi - lo) * plot_w; };
  const double h = row * double(m.size()) + 28;
  std::ostringstream s;
  s << "<svg class=\"ci\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << label_w + plot_w + 80
    << "\" height=\"" << h << "\" role=\"img\" aria-label=\"" << html_escape(what) << "\">";
  for (std::size_t i = 0; i < m.size(); ++i) {
    const auto& e = m[i]->estimate;
    const double y = double(i) * row + 10;
    s << "<text x=\"" << label_w - 6 << "\" y=\"" << px(y + 4)
      << "\" text-anchor=\"end\" font-size=\"11\">" << html_escape(m[i]->group) << " (n=" << m[i]->n
      << ")</text>";
    if (std::isfinite(e.low) && std::isfinite(e.high))
      s << "<line x1=\"" << px(X(e.low)) << "\" x2=\"" << px(X(e.high)) << "\" y1=\"" << px(y)
        << "\" y2=\"" << px(y) << "\" stroke=\"#555\" stroke-width=\"1.5\"/>";
    if (std::isfinite(e.value))
      s << "<circle cx=\"" << px(X(e.value)) << "\" cy=\"" << px(y)
        << "\" r=\"4\" fill=\"#f58518\"><title>" << html_escape(m[i]->group) << ": "
        << num(e.value, 4) << " [" << num(e.low, 4) << ", " << num(e.high, 4)
        << "]</title></circle>";
  }
  s << "<text x=\"" << label_w << "\" y=\"" << px(h - 4) << "\" font-size=\"10\">" << num(lo, 3)
    << "</text><text x=\"" << label_w + plot_w << "\" y=\"" << px(h - 4)
    << "\" text-anchor=\"end\" font-size=\"10\">" << num(hi, 3) << "</text></svg>";
  return s.str();
}

void table(std::ostringstream& s, const std::vector<std::string>& head,
           const std::vector<std::vector<std::string>>& rows) {
  s << "<table><tr>";
  for (const auto& h : head) s << "<th>" << html_escape(h) << "</th>";
  s << "</tr>";
  for (const auto& r : rows) {
    s << "<tr>";
    for (const auto& c : r) s << "<td>" << html_escape(c) << "</td>";
    s << "</tr>";
  }
  s << "</table>";
}

}  // namespace

std::string audit_html(const AuditOptions& o, const AuditResult& r) {
  std::ostringstream s;
  const auto& b = r.balance;
  s << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>emonet data audit: "
    << html_escape(o.input) << "</title><style>"
    << "body{font-family:sans-serif;margin:24px;max-width:1100px;color:#222}"
    << "table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:2px "
       "6px;"
    << "font-size:12px;text-align:left}th{background:#f3f3f3}.flag{color:#b00;font-weight:bold}"
    << "h2{border-bottom:1px solid #ddd;margin-top:32px}</style></head><body>";
  s << "<h1>Data audit</h1><p>Input <code>" << html_escape(o.input) << "</code>: " << b.rows
    << " rows; balance against <b>" << html_escape(b.reference) << "</b>"
    << (o.design.empty() ? "" : " (<code>" + html_escape(o.design) + "</code>)") << ".</p>";

  s << "<h2>Balance</h2>";
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : b.axes)
    rows.push_back({a.axis, std::to_string(a.levels.size()), std::to_string(a.missing),
                    num(a.chi2, 6), num(a.df, 6), num(a.p, 4)});
  rows.push_back({"cells", std::to_string(b.cells.size()), std::to_string(b.rows_without_cell),
                  num(b.cells_chi2, 6), num(b.cells_df, 6), num(b.cells_p, 4)});
  table(s, {"axis", "levels", "missing", "χ²", "df", "p"}, rows);
  for (const auto& a : b.axes)
    if (!a.levels.empty()) s << "<h3>" << html_escape(a.axis) << "</h3>" << margin_svg(a);
  rows.clear();
  for (const auto& c : b.largest)
    rows.push_back({c.ethnicity, c.age, c.gender, c.emotion, num(c.observed, 10),
                    num(c.expected, 6), num(c.residual, 4)});
  s << "<h3>Largest deviations (standardised residual)</h3>";
  table(s, {"ethnicity", "age", "gender", "emotion", "observed", "expected", "(O−E)/√E"}, rows);
  if (!b.unplanned.empty())
    s << "<p class=\"flag\">" << b.unplanned.size() << " observed cells are not in the design.</p>";

  const auto& q = r.quality;
  s << "<h2>Quality</h2>";
  std::size_t exact_images = 0;
  for (const auto& g : q.exact_groups) exact_images += g.size();
  table(s,
        {"images", "unreadable", "no face", "several faces", "exact duplicate groups (images)",
         "near duplicate pairs"},
        {{std::to_string(q.images), std::to_string(q.unreadable),
          q.faces_checked ? std::to_string(q.no_face) : "not checked",
          q.faces_checked ? std::to_string(q.several_faces) : "not checked",
          std::to_string(q.exact_groups.size()) + " (" + std::to_string(exact_images) + ")",
          q.near_checked ? std::to_string(q.near_pairs_total) + " (cos ≥ " + num(q.threshold) + ")"
                         : "not checked (no --embeddings)"}});
  rows.clear();
  for (std::size_t i = 0; i < q.problems.size() && i < 500; ++i)
    rows.push_back({q.problems[i].id, q.problems[i].problem, q.problems[i].detail});
  if (!rows.empty()) {
    // Folded: a set of generated faces can have thousands of detector misses.
    s << "<details><summary>" << q.problems.size() << " images with a problem"
      << (q.problems.size() > rows.size() ? " (first 500; all in quality.csv)" : "")
      << "</summary>";
    table(s, {"image", "problem", "detail"}, rows);
    s << "</details>";
  }
  rows.clear();
  for (std::size_t i = 0; i < q.exact_groups.size() && i < 100; ++i)
    rows.push_back({std::to_string(q.exact_groups[i].size()), join(q.exact_groups[i], ", ")});
  if (!rows.empty()) {
    s << "<details><summary>" << q.exact_groups.size()
      << " groups of byte-identical images</summary>";
    table(s, {"images", "ids"}, rows);
    s << "</details>";
  }

  // Heat map: mean scores per ethnicity × emotion, or counts without predictions.
  std::map<std::pair<std::string, std::string>, double> heat;
  std::vector<std::string> hrows, hcols;
  std::string what;
  if (r.groups && !r.groups->emotions.empty()) {
    hcols = r.groups->emotions;
    for (const auto& m : r.groups->metrics)
      if (m.axis == "ethnicity" && m.metric != "kappa") {
        if (hrows.empty() || hrows.back() != m.group) hrows.push_back(m.group);
        heat[{m.group, m.metric}] = m.estimate.value;
      }
    what = "mean " + o.score + " score";
  } else {
    std::map<std::string, int> er, ec;
    for (const auto& c : b.cells) {
      heat[{c.ethnicity, c.emotion}] += c.observed;
      er[c.ethnicity];
      ec[c.emotion];
    }
    for (auto& [k, v] : er) hrows.push_back(k);
    for (auto& [k, v] : ec) hcols.push_back(k);
    what = "images per ethnicity × emotion";
  }
  if (!hrows.empty() && !hcols.empty())
    s << "<h2>Group × emotion</h2>" << heatmap_svg(hrows, hcols, heat, what);

  if (r.groups) {
    const auto& g = *r.groups;
    s << "<h2>Per-group model behaviour</h2>";
    if (!g.kappa_model.empty()) {
      s << "<p>Quadratic κ of <b>" << html_escape(g.kappa_model) << "</b> against "
        << g.kappa_humans.size() << " experts, 95% bootstrap CI.</p>";
      for (const auto& axis : group_axes()) {
        std::vector<const GroupMetric*> m;
        for (const auto& x : g.metrics)
          if (x.axis == axis && x.metric == "kappa") m.push_back(&x);
        if (!m.empty())
          s << "<h3>κ by " << html_escape(axis) << "</h3>" << ci_svg(m, "kappa by " + axis);
      }
    }
    // CIs of the emotion whose ratio is lowest on each axis (the most unequal one).
    for (const auto& axis : group_axes()) {
      const Disparity* worst = nullptr;
      for (const auto& d : g.disparities)
        if (d.axis == axis && d.metric != "kappa" &&
            (!worst || (std::isfinite(d.max - d.min) && d.max - d.min > worst->max - worst->min)))
          worst = &d;
      if (!worst) continue;
      std::vector<const GroupMetric*> m;
      for (const auto& x : g.metrics)
        if (x.axis == axis && x.metric == worst->metric) m.push_back(&x);
      s << "<h3>" << html_escape(worst->metric) << " by " << html_escape(axis)
        << " (largest spread of group means)</h3>" << ci_svg(m, worst->metric + " by " + axis);
    }
    rows.clear();
    for (const auto& d : g.disparities)
      rows.push_back({d.axis, d.metric, d.min_group + " / " + d.max_group, num(d.min, 4),
                      num(d.max, 4), num(d.ratio, 3), d.flagged ? "below 0.8" : ""});
    s << "<h3>Disparity (min / max over groups; flagged below " << num(o.groups.disparity_threshold)
      << ")</h3>";
    table(s, {"axis", "metric", "min / max group", "min", "max", "ratio", "flag"}, rows);
    rows.clear();
    for (const auto& p : g.permutations)
      rows.push_back({p.axis, p.metric, std::to_string(p.groups), num(p.statistic, 6), num(p.p, 4),
                      std::to_string(p.permutations)});
    s << "<h3>Permutation tests</h3>";
    table(s, {"axis", "metric", "groups", "statistic", "p", "permutations"}, rows);
  }
  s << "</body></html>\n";
  return s.str();
}

}  // namespace emonet::data
