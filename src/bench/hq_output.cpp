// Renderings of an HqReport: Markdown tables for the terminal and CSV + JSON files with
// full precision for other tools (see emonet/bench_hq.h).
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "emonet/bench_hq.h"
#include "emonet/csv.h"
#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/pydict.h"

namespace emonet::bench {
namespace {

using ojson = nlohmann::ordered_json;

// One table in a neutral form: column names and cells (string, number or boolean).
struct Table {
  std::string name;   // file stem
  std::string title;  // Markdown heading
  std::vector<std::string> columns;
  std::vector<std::vector<ojson>> rows;
};

ojson num(double v) {
  return std::isnan(v) ? ojson(nullptr) : ojson(v);
}

std::string cell_markdown(const ojson& v) {
  if (v.is_null()) return "NaN";
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_number_float()) return fmt::format("{:.4f}", v.get<double>());
  if (v.is_number()) return v.dump();
  return v.get<std::string>();
}

std::string cell_csv(const ojson& v) {
  if (v.is_null()) return "";
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_float()) return format_double_shortest(v.get<double>());
  if (v.is_number()) return v.dump();
  return v.get<std::string>();
}

std::vector<Table> tables(const HqReport& r) {
  std::vector<Table> out;
  {
    Table t{
        "agreement", "Agreement with the human experts (mean quadratic-weighted kappa)", {}, {}};
    t.columns = {"annotator", "human", "group"};
    t.columns.insert(t.columns.end(), r.emotions.begin(), r.emotions.end());
    t.columns.push_back("average_all_emotions");
    for (const auto& row : r.agreement) {
      std::vector<ojson> cells = {row.annotator, row.human, row.group};
      for (double v : row.per_emotion) cells.push_back(num(v));
      cells.push_back(num(row.average));
      t.rows.push_back(std::move(cells));
    }
    out.push_back(std::move(t));
  }
  {
    Table t{"summary",
            "Summary over emotions",
            {"annotator", "mean", "std", "median", "top_emotion", "top_value"},
            {}};
    for (const auto& s : r.summary)
      t.rows.push_back(
          {s.annotator, num(s.mean), num(s.std), num(s.median), s.top_emotion, num(s.top_value)});
    out.push_back(std::move(t));
  }
  {
    Table t{"pairwise", "Average pairwise kappa (humans first, then models)", {"annotator"}, {}};
    const std::size_t n = r.pairwise.annotators.size();
    t.columns.insert(t.columns.end(), r.pairwise.annotators.begin(), r.pairwise.annotators.end());
    for (std::size_t i = 0; i < n; ++i) {
      std::vector<ojson> cells = {r.pairwise.annotators[i]};
      for (std::size_t j = 0; j < n; ++j) cells.push_back(num(r.pairwise.values[i * n + j]));
      t.rows.push_back(std::move(cells));
    }
    out.push_back(std::move(t));
  }
  {
    Table t{"groups",
            "Group comparisons (Mann-Whitney U, bootstrap CI of the mean difference)",
            {"group1", "group2", "n1", "n2", "u", "p", "mean_difference", "ci_low", "ci_high"},
            {}};
    for (const auto& g : r.groups)
      t.rows.push_back({g.group1, g.group2, g.n1, g.n2, num(g.u), num(g.p), num(g.mean_difference),
                        num(g.ci_low), num(g.ci_high)});
    out.push_back(std::move(t));
  }
  {
    Table t{"annotator_tests",
            "Could each annotator be one of the human experts?",
            {"annotator", "human", "n_self", "n_reference", "mean_difference", "ci_low", "ci_high",
             "p", "could_be_annotator"},
            {}};
    for (const auto& a : r.annotator_tests)
      t.rows.push_back({a.annotator, a.human, a.n_self, a.n_reference, num(a.mean_difference),
                        num(a.ci_low), num(a.ci_high), num(a.p),
                        a.could_be_annotator ? "yes" : "no"});
    out.push_back(std::move(t));
  }
  {
    Table t{"alpha",
            "Krippendorff's alpha (interval) per emotion, human experts",
            {"emotion", "alpha", "ci_low", "ci_high", "annotators", "images"},
            {}};
    for (const auto& a : r.alpha)
      t.rows.push_back(
          {a.emotion, num(a.alpha), num(a.ci_low), num(a.ci_high), a.annotators, a.images});
    out.push_back(std::move(t));
  }
  {
    Table t{"spearman",
            "Spearman's rho against the per-image human median (mean over emotions)",
            {"model", "group", "mean_rho", "ci_low", "ci_high", "emotions"},
            {}};
    for (const auto& s : r.spearman)
      t.rows.push_back(
          {s.model, s.group, num(s.mean_rho), num(s.ci_low), num(s.ci_high), s.emotions});
    out.push_back(std::move(t));
  }
  {
    Table t{"spearman_per_emotion", "Spearman's rho per model and emotion", {"model"}, {}};
    t.columns.insert(t.columns.end(), r.emotions.begin(), r.emotions.end());
    for (std::size_t k = 0; k < r.spearman.size(); ++k) {
      std::vector<ojson> cells = {r.spearman[k].model};
      for (double v : r.spearman_per_emotion[k]) cells.push_back(num(v));
      t.rows.push_back(std::move(cells));
    }
    out.push_back(std::move(t));
  }
  return out;
}

void markdown_table(std::ostringstream& out, const Table& t) {
  out << "## " << t.title << "\n\n|";
  for (const auto& c : t.columns) out << " " << c << " |";
  out << "\n|";
  for (std::size_t i = 0; i < t.columns.size(); ++i) out << "---|";
  out << "\n";
  for (const auto& row : t.rows) {
    out << "|";
    for (const auto& c : row) out << " " << cell_markdown(c) << " |";
    out << "\n";
  }
  out << "\n";
}

}  // namespace

std::string hq_markdown(const HqReport& r) {
  std::ostringstream out;
  out << fmt::format(
      "# EmoNet-Face HQ benchmark: {}\n\n{} images, {} human experts, {} models, {} rows "
      "({} duplicates averaged); {} bootstrap resamples, seed {}.\n\n",
      r.source, r.images, r.humans, r.models, r.rows, r.duplicate_rows, r.bootstrap, r.seed);
  for (const auto& t : tables(r)) {
    // The per-emotion tables are wide; the Markdown view keeps the readable ones and
    // leaves the full matrices to --out.
    if (t.name == "spearman_per_emotion") continue;
    markdown_table(out, t);
  }
  return out.str();
}

namespace {

ojson rows_json(const Table& t) {
  ojson rows = ojson::array();
  for (const auto& row : t.rows) {
    ojson obj = ojson::object();
    for (std::size_t i = 0; i < row.size(); ++i) obj[t.columns[i]] = row[i];
    rows.push_back(std::move(obj));
  }
  return rows;
}

}  // namespace

std::string hq_json(const HqReport& r) {
  ojson out = ojson::object();
  out["source"] = r.source;
  out["images"] = r.images;
  out["humans"] = r.humans;
  out["models"] = r.models;
  out["rows"] = r.rows;
  out["duplicate_rows"] = r.duplicate_rows;
  out["bootstrap"] = r.bootstrap;
  out["seed"] = r.seed;
  for (const auto& t : tables(r)) out[t.name] = rows_json(t);
  return out.dump(1) + "\n";
}

void write_hq_outputs(const HqReport& r, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error("cannot create output folder: " + ec.message(), {dir, 0, ""});
  for (const auto& t : tables(r)) {
    std::ostringstream csv;
    CsvWriter w(csv);
    w.write_row(t.columns);
    for (const auto& row : t.rows) {
      std::vector<std::string> cells;
      for (const auto& c : row) cells.push_back(cell_csv(c));
      w.write_row(cells);
    }
    write_file_atomic(dir + "/" + t.name + ".csv", csv.str());
    write_file_atomic(dir + "/" + t.name + ".json", rows_json(t).dump(1) + "\n");
  }
  write_file_atomic(dir + "/report.html", hq_report_html(r));
}

}  // namespace emonet::bench
