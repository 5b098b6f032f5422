// Renderings of the leaderboard: Markdown, JSON, CSV and report.html (self-contained:
// inline CSS and SVG, no scripts): ranked kappa bars with CIs and the human anchor, and a
// per-emotion kappa heat map (runs and the anchor as rows).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/html.h"
#include "emonet/leaderboard.h"

namespace emonet::bench {
namespace {

using nlohmann::json;

std::string f3(double v) {
  return std::isnan(v) ? "NaN" : fmt::format("{:.3f}", v);
}
std::string ci(const Interval& x) {
  return f3(x.value) + " [" + f3(x.low) + ", " + f3(x.high) + "]";
}
json num(double v) {
  return std::isnan(v) ? json(nullptr) : json(v);
}
json interval(const Interval& x) {
  return {{"value", num(x.value)}, {"ci_low", num(x.low)}, {"ci_high", num(x.high)}};
}
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}
std::string full(double v) {
  return std::isnan(v) ? "" : fmt::format("{}", v);
}

std::string bars(const Leaderboard& b) {
  const double label_w = 220, plot_w = 480, row_h = 24, top = 30;
  const std::size_t n = b.rows.size() + 1;
  double lo = 0, hi = 0;
  auto widen = [&](double v) {
    if (!std::isnan(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  };
  widen(b.anchor_kappa.high);
  for (const auto& r : b.rows) widen(r.kappa.low), widen(r.kappa.high), widen(r.kappa.value);
  hi = std::max(hi, 0.1);
  auto x = [&](double v) { return label_w + (v - lo) / (hi - lo) * plot_w; };
  std::string s = fmt::format(
      "<svg id=\"bars\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\">",
      label_w + plot_w + 20, top + row_h * static_cast<double>(n) + 30);
  s += "<text x=\"10\" y=\"18\" font-weight=\"bold\">Mean quadratic kappa vs the experts "
       "(95% image-bootstrap CI; dashed: the human anchor)</text>";
  auto row = [&](std::size_t i, const std::string& name, const Interval& k, const char* fill) {
    const double y = top + row_h * static_cast<double>(i);
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\">{}</text>",
                     label_w - 6, y + 15, html_escape(name));
    if (!std::isnan(k.value))
      s += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\"><title>{}"
          "</title></rect>",
          std::min(x(0), x(k.value)), y + 3, std::abs(x(k.value) - x(0)), row_h - 6, fill,
          html_escape(name + ": " + ci(k)));
    if (!std::isnan(k.low))
      s += fmt::format(
          "<line x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{}\" y2=\"{}\" stroke=\"black\" "
          "stroke-width=\"1.5\"/>",
          x(k.low), x(k.high), y + row_h / 2, y + row_h / 2);
  };
  row(0, "Human anchor (human-human)", b.anchor_kappa, "#999999");
  for (std::size_t i = 0; i < b.rows.size(); ++i)
    row(i + 1, b.rows[i].name, b.rows[i].kappa, "#3b528b");
  if (!std::isnan(b.anchor_kappa.value))
    s += fmt::format(
        "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#c0392b\" "
        "stroke-dasharray=\"4 3\"/>",
        x(b.anchor_kappa.value), top, top + row_h * static_cast<double>(n));
  s += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#444\"/>",
                   x(0), top, top + row_h * static_cast<double>(n));
  s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"11\">{}</text>", x(lo),
                   top + row_h * static_cast<double>(n) + 16, f3(lo));
  s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
                   x(hi), top + row_h * static_cast<double>(n) + 16, f3(hi));
  return s + "</svg>";
}

std::string heatmap(const Leaderboard& b) {
  const double label_w = 220, cell = 18, top = 150;
  const std::size_t E = b.emotions.size(), n = b.rows.size() + 1;
  std::string s = fmt::format(
      "<svg id=\"heatmap\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\">",
      label_w + cell * static_cast<double>(E) + 20, top + cell * static_cast<double>(n) + 10);
  for (std::size_t e = 0; e < E; ++e)
    s += fmt::format(
        "<text transform=\"translate({:.1f},{}) rotate(-60)\" font-size=\"11\">{}</text>",
        label_w + cell * (static_cast<double>(e) + 0.6), top - 4, html_escape(b.emotions[e]));
  auto row = [&](std::size_t i, const std::string& name, const std::vector<double>& values) {
    const double y = top + cell * static_cast<double>(i);
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\">{}</text>",
                     label_w - 6, y + 13, html_escape(name));
    for (std::size_t e = 0; e < E && e < values.size(); ++e)
      s += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}: {}"
          "</title></rect>",
          label_w + cell * static_cast<double>(e), y, cell - 1, cell - 1, heat_colour(values[e]),
          html_escape(name + " / " + b.emotions[e]), f3(values[e]));
  };
  s += "<text x=\"10\" y=\"18\" font-weight=\"bold\">Mean kappa vs the experts per emotion "
       "(dark 0 or below, yellow 1; grey: undefined)</text>";
  row(0, "Human anchor", b.anchor_per_emotion);
  for (std::size_t i = 0; i < b.rows.size(); ++i)
    row(i + 1, b.rows[i].name, b.rows[i].kappa_per_emotion);
  return s + "</svg>";
}

}  // namespace

std::string leaderboard_markdown(const Leaderboard& b) {
  std::string s = fmt::format(
      "# Leaderboard: {} ({} images, {} experts; {} image-bootstrap resamples, seed {})\n\n",
      b.source, b.images, b.humans, b.bootstrap, b.seed);
  s += fmt::format("Human anchor: kappa {}, alpha {}\n\n", ci(b.anchor_kappa), ci(b.anchor_alpha));
  s += "| rank | run | source | kappa [95% CI] | alpha [95% CI] | Spearman [95% CI] | "
       "vs anchor [95% CI] | vs best [95% CI] | could be an annotator (p) | scored / records | "
       "failed (parse/http/budget) | gate: exact / all (n exact) |\n";
  s += "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (std::size_t i = 0; i < b.rows.size(); ++i) {
    const auto& r = b.rows[i];
    s += fmt::format(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} ({}) | {} / {} | {}/{}/{} | "
        "{} / {} ({}) |\n",
        i + 1, r.name, r.source, ci(r.kappa), ci(r.alpha), ci(r.spearman), ci(r.vs_anchor),
        ci(r.vs_best), r.could_be_annotator ? "yes" : "no", f3(r.annotator_p), r.scored, r.records,
        r.parse_failed, r.http_error, r.budget_exhausted, f3(r.gate_exact), f3(r.gate_all),
        r.exact);
  }
  return s;
}

std::string leaderboard_json(const Leaderboard& b) {
  json j;
  j["source"] = b.source;
  j["images"] = b.images;
  j["humans"] = b.humans;
  j["bootstrap"] = b.bootstrap;
  j["seed"] = b.seed;
  j["emotions"] = b.emotions;
  j["best"] = b.best;
  j["anchor"] = {{"kappa", interval(b.anchor_kappa)},
                 {"alpha", interval(b.anchor_alpha)},
                 {"kappa_per_emotion", json::array()}};
  for (double v : b.anchor_per_emotion) j["anchor"]["kappa_per_emotion"].push_back(num(v));
  j["runs"] = json::array();
  for (const auto& r : b.rows) {
    json x = {{"name", r.name},
              {"source", r.source},
              {"kappa", interval(r.kappa)},
              {"alpha", interval(r.alpha)},
              {"spearman", interval(r.spearman)},
              {"vs_anchor", interval(r.vs_anchor)},
              {"vs_best", interval(r.vs_best)},
              {"could_be_annotator", r.could_be_annotator},
              {"annotator_p", num(r.annotator_p)},
              {"annotator_mean_difference", num(r.annotator_difference)},
              {"records", r.records},
              {"scored", r.scored},
              {"parse_failed", r.parse_failed},
              {"http_error", r.http_error},
              {"budget_exhausted", r.budget_exhausted},
              {"other_failed", r.other_failed},
              {"exact", r.exact},
              {"gate_exact", num(r.gate_exact)},
              {"gate_all", num(r.gate_all)},
              {"kappa_per_emotion", json::array()}};
    for (double v : r.kappa_per_emotion) x["kappa_per_emotion"].push_back(num(v));
    j["runs"].push_back(x);
  }
  return j.dump(1) + "\n";
}

std::string leaderboard_csv(const Leaderboard& b) {
  std::string s =
      "rank,run,source,kappa,kappa_low,kappa_high,alpha,alpha_low,alpha_high,spearman,"
      "spearman_low,spearman_high,vs_anchor,vs_anchor_low,vs_anchor_high,vs_best,vs_best_low,"
      "vs_best_high,could_be_annotator,annotator_p,records,scored,parse_failed,http_error,"
      "budget_exhausted,exact,gate_exact,gate_all\n";
  for (std::size_t i = 0; i < b.rows.size(); ++i) {
    const auto& r = b.rows[i];
    auto iv = [](const Interval& x) {
      return full(x.value) + "," + full(x.low) + "," + full(x.high);
    };
    s += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", i + 1,
                     csv_field(r.name), r.source, iv(r.kappa), iv(r.alpha), iv(r.spearman),
                     iv(r.vs_anchor), iv(r.vs_best), r.could_be_annotator ? "true" : "false",
                     full(r.annotator_p), r.records, r.scored, r.parse_failed, r.http_error,
                     r.budget_exhausted, r.exact, full(r.gate_exact) + "," + full(r.gate_all));
  }
  return s;
}

std::string leaderboard_html(const Leaderboard& b) {
  std::string s =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>EmoNet-Face HQ "
      "leaderboard</title><style>body{font-family:sans-serif;margin:2em;max-width:1400px}"
      "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px "
      "6px;text-align:right}td:nth-child(2),th:nth-child(2){text-align:left}"
      "</style></head><body>\n";
  s += fmt::format(
      "<h1>EmoNet-Face HQ leaderboard</h1><p>{} &mdash; {} images, {} experts, {} "
      "image-bootstrap resamples (seed {}). Human anchor: kappa {}, alpha {}.</p>\n",
      html_escape(b.source), b.images, b.humans, b.bootstrap, b.seed, ci(b.anchor_kappa),
      ci(b.anchor_alpha));
  s += "<h2>Ranked runs</h2>\n" + bars(b) + "\n<h2>Kappa per emotion</h2>\n" + heatmap(b);
  s += "\n<h2>Table</h2>\n<table><tr><th>#</th><th>run</th><th>kappa</th><th>alpha</th>"
       "<th>Spearman</th><th>vs anchor</th><th>vs best</th><th>could be an annotator</th>"
       "<th>scored / records</th><th>failed</th><th>gate exact / all</th></tr>\n";
  for (std::size_t i = 0; i < b.rows.size(); ++i) {
    const auto& r = b.rows[i];
    s += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td>{} (p {})</td><td>{} / {}</td><td>{}</td><td>{} / {}</td></tr>\n",
        i + 1, html_escape(r.name), ci(r.kappa), ci(r.alpha), ci(r.spearman), ci(r.vs_anchor),
        ci(r.vs_best), r.could_be_annotator ? "yes" : "no", f3(r.annotator_p), r.scored, r.records,
        r.parse_failed + r.http_error + r.budget_exhausted + r.other_failed, f3(r.gate_exact),
        f3(r.gate_all));
  }
  return s + "</table></body></html>\n";
}

void write_leaderboard(const Leaderboard& b, const std::string& dir) {
  std::filesystem::create_directories(dir);
  const std::filesystem::path d(dir);
  write_file_atomic((d / "leaderboard.md").string(), leaderboard_markdown(b));
  write_file_atomic((d / "leaderboard.json").string(), leaderboard_json(b));
  write_file_atomic((d / "leaderboard.csv").string(), leaderboard_csv(b));
  write_file_atomic((d / "report.html").string(), leaderboard_html(b));
}

}  // namespace emonet::bench
