// Pieces shared by the per-group analyses of `data audit` (scores and κ).
// Pure functions; a Generator is advanced, so one per thread.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "emonet/data_audit.h"
#include "emonet/stats/random.h"

namespace emonet::data::detail {

// The labelled rows of one grouping axis: group names sorted, one group index per row.
struct Labels {
  std::vector<std::string> names;
  std::vector<std::size_t> rows;   // row indices (subset of `eligible`, same order)
  std::vector<std::size_t> group;  // index into names, per entry of rows
};
Labels labels_of(const std::vector<AuditRow>& rows, const std::string& axis,
                 const std::vector<std::size_t>& eligible);

// argsort (stable) of n draws of rng.random(): numpy's
// np.argsort(rng.random(n), kind="stable").
std::vector<std::size_t> permutation_order(stats::Generator& rng, std::size_t n);

// (1 + #{t ≥ observed·(1 − 1e−12)}) / (1 + permutations).
double permutation_p(double observed, const std::vector<double>& permuted);

// The min/max ratio of `metric` over the axis' groups that have a value (needs ≥ 2).
void add_disparities(const std::string& axis, const std::string& metric,
                     const std::vector<GroupMetric>& metrics, double threshold,
                     std::vector<Disparity>& out);

}  // namespace emonet::data::detail
