// `data audit` outputs: audit.json (everything, NaN as null) and the CSV tables.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "emonet/csv.h"
#include "emonet/data_audit.h"
#include "emonet/files.h"

namespace emonet::data {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

json num(double v) {
  return std::isfinite(v) ? json(v) : json(nullptr);
}

std::string fmt(double v) {
  if (!std::isfinite(v)) return "";
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

json cell_json(const CellCount& c) {
  return {{"ethnicity", c.ethnicity},   {"age", c.age},           {"gender", c.gender},
          {"emotion", c.emotion},       {"observed", c.observed}, {"expected", num(c.expected)},
          {"residual", num(c.residual)}};
}

json balance_json(const BalanceReport& b) {
  json axes = json::array();
  for (const auto& a : b.axes) {
    json levels = json::array();
    for (const auto& l : a.levels)
      levels.push_back({{"level", l.level},
                        {"observed", l.observed},
                        {"expected", num(l.expected)},
                        {"residual", num(l.residual)}});
    axes.push_back({{"axis", a.axis},
                    {"levels", levels},
                    {"missing", a.missing},
                    {"chi2", num(a.chi2)},
                    {"df", num(a.df)},
                    {"p", num(a.p)}});
  }
  json largest = json::array(), unplanned = json::array();
  for (const auto& c : b.largest) largest.push_back(cell_json(c));
  for (const auto& c : b.unplanned) unplanned.push_back(cell_json(c));
  return {{"reference", b.reference},
          {"rows", b.rows},
          {"axes", axes},
          {"cells",
           {{"count", b.cells.size()},
            {"chi2", num(b.cells_chi2)},
            {"df", num(b.cells_df)},
            {"p", num(b.cells_p)},
            {"rows_without_cell", b.rows_without_cell}}},
          {"largest_deviations", largest},
          {"unplanned_cells", unplanned}};
}

json quality_json(const QualityReport& q) {
  json problems = json::array(), exact = json::array(), near = json::array();
  for (const auto& p : q.problems)
    problems.push_back({{"id", p.id}, {"problem", p.problem}, {"detail", p.detail}});
  for (const auto& g : q.exact_groups) exact.push_back(g);
  for (const auto& p : q.near_pairs)
    near.push_back({{"a", p.a}, {"b", p.b}, {"similarity", p.similarity}});
  return {{"images", q.images},
          {"unreadable", q.unreadable},
          {"faces_checked", q.faces_checked},
          {"no_face", q.no_face},
          {"several_faces", q.several_faces},
          {"problems", problems},
          {"exact_duplicate_groups", exact},
          {"near_duplicates_checked", q.near_checked},
          {"near_duplicate_threshold", q.threshold},
          {"embedded", q.embedded},
          {"near_duplicate_pairs_total", q.near_pairs_total},
          {"near_duplicate_pairs", near}};
}

json groups_json(const GroupReport& g) {
  json metrics = json::array(), disp = json::array(), perm = json::array();
  for (const auto& m : g.metrics)
    metrics.push_back({{"axis", m.axis},
                       {"group", m.group},
                       {"metric", m.metric},
                       {"n", m.n},
                       {"value", num(m.estimate.value)},
                       {"ci_low", num(m.estimate.low)},
                       {"ci_high", num(m.estimate.high)}});
  for (const auto& d : g.disparities)
    disp.push_back({{"axis", d.axis},
                    {"metric", d.metric},
                    {"max_group", d.max_group},
                    {"max", num(d.max)},
                    {"min_group", d.min_group},
                    {"min", num(d.min)},
                    {"ratio", num(d.ratio)},
                    {"flagged", d.flagged}});
  for (const auto& p : g.permutations)
    perm.push_back({{"axis", p.axis},
                    {"metric", p.metric},
                    {"statistic", num(p.statistic)},
                    {"p", num(p.p)},
                    {"permutations", p.permutations},
                    {"groups", p.groups}});
  return {{"emotions", g.emotions},       {"metrics", metrics},
          {"disparities", disp},          {"permutation_tests", perm},
          {"kappa_model", g.kappa_model}, {"kappa_humans", g.kappa_humans}};
}

void write_csv(const std::string& path, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows, std::vector<std::string>& files) {
  std::ostringstream s;
  CsvWriter w(s);
  w.write_row(header);
  for (const auto& r : rows) w.write_row(r);
  write_file_atomic(path, s.str());
  files.push_back(path);
}

}  // namespace

void write_audit_json(const std::string& path, const AuditOptions& o, const AuditResult& r) {
  json j = {{"format", "emonet-audit-1"},
            {"input", o.input},
            {"design", o.design},
            {"predictions", o.predictions},
            {"hq", o.hq},
            {"score", o.score},
            {"seed", o.groups.seed},
            {"bootstrap", o.groups.bootstrap},
            {"permutations", o.groups.permutations},
            {"balance", balance_json(r.balance)},
            {"quality", quality_json(r.quality)}};
  j["groups"] = r.groups ? groups_json(*r.groups) : json(nullptr);
  write_file_atomic(path, j.dump(2) + "\n");
}

void write_audit_csvs(const std::string& dir, const AuditResult& r,
                      std::vector<std::string>& files) {
  const fs::path d(dir);
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : r.balance.axes)
    for (const auto& l : a.levels)
      rows.push_back({a.axis, l.level, fmt(l.observed), fmt(l.expected), fmt(l.residual)});
  write_csv((d / "balance_axes.csv").string(),
            {"axis", "level", "observed", "expected", "residual"}, rows, files);
  rows.clear();
  for (const auto& c : r.balance.cells)
    rows.push_back({c.ethnicity, c.age, c.gender, c.emotion, fmt(c.observed), fmt(c.expected),
                    fmt(c.residual)});
  write_csv((d / "balance_cells.csv").string(),
            {"ethnicity", "age", "gender", "emotion", "observed", "expected", "residual"}, rows,
            files);
  rows.clear();
  for (const auto& p : r.quality.problems) rows.push_back({p.id, p.problem, p.detail});
  write_csv((d / "quality.csv").string(), {"id", "problem", "detail"}, rows, files);
  rows.clear();
  for (std::size_t g = 0; g < r.quality.exact_groups.size(); ++g)
    for (std::size_t k = 1; k < r.quality.exact_groups[g].size(); ++k)
      rows.push_back({"exact", r.quality.exact_groups[g][0], r.quality.exact_groups[g][k], "1"});
  for (const auto& p : r.quality.near_pairs) rows.push_back({"near", p.a, p.b, fmt(p.similarity)});
  write_csv((d / "duplicates.csv").string(), {"kind", "a", "b", "similarity"}, rows, files);
  if (!r.groups) return;
  rows.clear();
  for (const auto& m : r.groups->metrics)
    rows.push_back({m.axis, m.group, m.metric, std::to_string(m.n), fmt(m.estimate.value),
                    fmt(m.estimate.low), fmt(m.estimate.high)});
  write_csv((d / "groups.csv").string(),
            {"axis", "group", "metric", "n", "value", "ci_low", "ci_high"}, rows, files);
  rows.clear();
  for (const auto& x : r.groups->disparities)
    rows.push_back({x.axis, x.metric, x.max_group, fmt(x.max), x.min_group, fmt(x.min),
                    fmt(x.ratio), x.flagged ? "true" : "false"});
  write_csv((d / "disparities.csv").string(),
            {"axis", "metric", "max_group", "max", "min_group", "min", "ratio", "flagged"}, rows,
            files);
  rows.clear();
  for (const auto& p : r.groups->permutations)
    rows.push_back({p.axis, p.metric, fmt(p.statistic), fmt(p.p), std::to_string(p.permutations),
                    std::to_string(p.groups)});
  write_csv((d / "permutation_tests.csv").string(),
            {"axis", "metric", "statistic", "p", "permutations", "groups"}, rows, files);
}

}  // namespace emonet::data
