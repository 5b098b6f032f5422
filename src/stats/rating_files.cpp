// CSV input for `emonet stats kappa` (two rating columns) and `emonet stats alpha`
// (raters × units table). Every error names the file, the line and the column.
#include "emonet/stats/rating_files.h"

#include <cmath>
#include <limits>

#include "emonet/csv.h"
#include "emonet/error.h"
#include "emonet/strings.h"

namespace emonet::stats {
namespace {

// Empty, NA and NaN cells mean "no rating".
bool is_missing(std::string_view cell) {
  const std::string lower = to_lower(trim(cell));
  return lower.empty() || lower == "na" || lower == "nan";
}

std::string column_label(const std::vector<std::string>& header, std::size_t index) {
  return header[index];
}

std::string column_number(std::size_t index) {
  return " (column " + std::to_string(index + 1) + ")";
}

// A finite number; Error with file/line/column otherwise.
double parse_rating(const std::string& cell, const CsvReader& reader, const CsvRecord& record,
                    std::size_t index) {
  const std::string where = column_label(reader.header(), index);
  double v = 0;
  try {
    v = parse_double(cell, where);
  } catch (const Error&) {
    throw Error("not a number: '" + std::string(trim(cell)) + "'" + column_number(index),
                {reader.source(), record.line, where});
  }
  if (!std::isfinite(v)) {
    throw Error(
        "rating must be finite, got '" + std::string(trim(cell)) + "'" + column_number(index),
        {reader.source(), record.line, where});
  }
  return v;
}

std::int64_t parse_category(const std::string& cell, const CsvReader& reader,
                            const CsvRecord& record, std::size_t index) {
  const double v = parse_rating(cell, reader, record, index);
  if (std::floor(v) != v || std::fabs(v) > 9.0e15) {
    throw Error("kappa needs integer categories, got '" + std::string(trim(cell)) + "'" +
                    column_number(index),
                {reader.source(), record.line, column_label(reader.header(), index)});
  }
  return static_cast<std::int64_t>(v);
}

bool names_rater_column(std::string_view header_cell) {
  const std::string h = to_lower(trim(header_cell));
  return h.empty() || h == "rater" || h == "raters" || h == "coder" || h == "annotator";
}

}  // namespace

RatingColumns read_rating_columns(const std::string& path,
                                  const std::vector<std::string>& columns) {
  CsvReader reader = CsvReader::open(path);
  const auto& header = reader.read_header();
  std::size_t a = 0, b = 1;
  if (columns.empty()) {
    if (header.size() < 2) {
      throw Error("kappa needs two rating columns, the header has " + std::to_string(header.size()),
                  {path, 1, ""});
    }
  } else {
    if (columns.size() != 2) {
      throw Error("--columns needs exactly two column names, got " +
                  std::to_string(columns.size()));
    }
    try {
      a = reader.column(columns[0]);
      b = reader.column(columns[1]);
    } catch (const Error& e) {
      throw e.with_file(path).with_line(1);
    }
    if (a == b) throw Error("the two rating columns are the same column", {path, 1, columns[0]});
  }
  RatingColumns out;
  out.first_name = header[a];
  out.second_name = header[b];
  CsvRecord record;
  while (reader.next(record)) {
    const std::string& x = record[a];
    const std::string& y = record[b];
    if (is_missing(x) || is_missing(y)) {
      ++out.skipped_rows;
      continue;
    }
    out.first.push_back(parse_category(x, reader, record, a));
    out.second.push_back(parse_category(y, reader, record, b));
  }
  return out;
}

ReliabilityTable read_reliability_table(const std::string& path) {
  CsvReader reader = CsvReader::open(path);
  const auto& header = reader.read_header();
  const bool named_raters = !header.empty() && names_rater_column(header.front());
  const std::size_t first_unit = named_raters ? 1 : 0;
  ReliabilityTable table;
  table.units.assign(header.begin() + static_cast<std::ptrdiff_t>(first_unit), header.end());
  if (table.units.empty()) throw Error("the table has no unit columns", {path, 1, ""});
  std::vector<std::vector<double>> rows;
  CsvRecord record;
  while (reader.next(record)) {
    std::vector<double> row;
    row.reserve(table.units.size());
    for (std::size_t c = first_unit; c < record.size(); ++c) {
      row.push_back(is_missing(record[c]) ? kMissing : parse_rating(record[c], reader, record, c));
    }
    rows.push_back(std::move(row));
    table.raters.push_back(named_raters ? std::string(trim(record[0]))
                                        : "line " + std::to_string(record.line));
  }
  if (rows.size() < 2) {
    throw Error("alpha needs at least 2 raters (rows), found " + std::to_string(rows.size()),
                {path, 0, ""});
  }
  table.data = Matrix::from_rows(rows);
  return table;
}

std::vector<std::int64_t> parse_label_list(const std::string& text) {
  const std::string_view t = trim(text);
  const auto dots = t.find("..");
  std::vector<std::int64_t> labels;
  try {
    if (dots != std::string_view::npos) {
      const long long lo = parse_int(t.substr(0, dots), "--labels");
      const long long hi = parse_int(t.substr(dots + 2), "--labels");
      if (hi < lo || hi - lo > 1'000'000) {
        throw Error("label range '" + std::string(t) + "' must go upwards (at most 10^6 labels)",
                    {"", 0, "--labels"});
      }
      for (long long v = lo; v <= hi; ++v) labels.push_back(v);
    } else {
      for (const auto& part : split(t, ',')) labels.push_back(parse_int(part, "--labels"));
    }
  } catch (const Error& e) {
    throw Error(e.message() + " (expected a range such as 0..7 or a list such as 0,1,2)",
                {"", 0, "--labels"});
  }
  if (labels.empty()) throw Error("no labels given", {"", 0, "--labels"});
  return labels;
}

}  // namespace emonet::stats
