// emonet::stats::Matrix — a dense row-major matrix of doubles, NaN meaning "missing".
//
// The layout for reliability data is the `krippendorff` package's: rows are raters
// (coders), columns are units (items, images). Deliberately minimal: the statistics need
// storage, element access and row views, nothing else.
// Thread-compatible: const methods may be called concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace emonet::stats {

inline constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

class Matrix {
 public:
  Matrix() = default;
  // rows × cols, every cell set to `fill` (default: missing).
  Matrix(std::size_t rows, std::size_t cols, double fill = kMissing)
      : rows_(rows), cols_(cols), data_(rows * cols, fill) {}
  // From nested rows; all rows must have the same length (else throws emonet::Error).
  static Matrix from_rows(const std::vector<std::vector<double>>& rows);

  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  bool empty() const { return data_.empty(); }

  double& operator()(std::size_t r, std::size_t c) { return data_[r * cols_ + c]; }
  double operator()(std::size_t r, std::size_t c) const { return data_[r * cols_ + c]; }
  std::span<double> row(std::size_t r) { return {data_.data() + r * cols_, cols_}; }
  std::span<const double> row(std::size_t r) const { return {data_.data() + r * cols_, cols_}; }
  std::span<const double> values() const { return data_; }

  // A new matrix with the given columns, in the given order (repeats allowed): the
  // bootstrap resample of units. Indices must be < cols().
  Matrix select_columns(std::span<const std::int64_t> columns) const;

 private:
  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
  std::vector<double> data_;
};

}  // namespace emonet::stats
