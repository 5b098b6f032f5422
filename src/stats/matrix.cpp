// Matrix construction from nested rows and column selection (bootstrap over units).
#include "emonet/stats/matrix.h"

#include <string>

#include "emonet/error.h"

namespace emonet::stats {

Matrix Matrix::from_rows(const std::vector<std::vector<double>>& rows) {
  const std::size_t cols = rows.empty() ? 0 : rows.front().size();
  Matrix m(rows.size(), cols);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].size() != cols) {
      throw Error("matrix row " + std::to_string(r + 1) + " has " + std::to_string(rows[r].size()) +
                  " values, expected " + std::to_string(cols));
    }
    for (std::size_t c = 0; c < cols; ++c) m(r, c) = rows[r][c];
  }
  return m;
}

Matrix Matrix::select_columns(std::span<const std::int64_t> columns) const {
  Matrix out(rows_, columns.size());
  for (std::size_t r = 0; r < rows_; ++r) {
    const double* src = data_.data() + r * cols_;
    double* dst = out.data_.data() + r * columns.size();
    for (std::size_t j = 0; j < columns.size(); ++j) dst[j] = src[columns[j]];
  }
  return out;
}

}  // namespace emonet::stats
