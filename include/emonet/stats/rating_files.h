// Reading agreement data from CSV files for the generic `emonet stats` commands.
//
// Two layouts, both with a header row:
// - Rating columns (kappa): one row per item, two columns holding each rater's integer
//   category. Columns are chosen by header name (default: the first two columns). A row
//   where either cell is empty is skipped and counted (pairwise deletion, like the
//   notebooks' dropna); any other non-integer cell is an error.
// - Reliability table (alpha): one row per rater, one column per unit, an empty cell (or
//   NA / NaN) meaning "not rated". The header names the units. If the header's first
//   cell is empty or one of rater / raters / coder / annotator (any case), the first
//   column holds rater names; otherwise every column is a unit and the raters are named
//   by their line number.
// Errors (missing file, non-numeric cell, infinite value, ragged row, unknown column,
// fewer than 2 raters or no unit) throw emonet::Error naming the file, the line and the
// column. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "emonet/stats/matrix.h"

namespace emonet::stats {

struct RatingColumns {
  std::string first_name, second_name;
  std::vector<std::int64_t> first, second;
  std::size_t skipped_rows = 0;  // rows with an empty cell in either column
};

// `columns`: empty = the first two columns, else exactly two header names.
RatingColumns read_rating_columns(const std::string& path,
                                  const std::vector<std::string>& columns = {});

struct ReliabilityTable {
  std::vector<std::string> raters;  // one per row of `data`
  std::vector<std::string> units;   // one per column of `data`
  Matrix data;                      // raters × units, NaN = missing
};

ReliabilityTable read_reliability_table(const std::string& path);

// "0..7" (inclusive range) or "0,1,2" (explicit list, order kept) → labels.
// Throws emonet::Error on anything else.
std::vector<std::int64_t> parse_label_list(const std::string& text);

}  // namespace emonet::stats
