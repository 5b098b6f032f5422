// Rank and linear correlation with SciPy semantics.
//
// rank_average: scipy.stats.rankdata(method='average'): ranks 1..n, ties get the mean of
// the ranks they span.
// pearson: the sample correlation coefficient (numpy.corrcoef / scipy.stats.pearsonr).
// spearman: scipy.stats.spearmanr(x, y).correlation for two 1-D samples: Pearson on the
// average ranks. NaN when either input is constant (SciPy warns ConstantInputWarning
// and returns NaN), when n < 2, or when any value is NaN (nan_policy='propagate').
// The results match SciPy to ~1e-15 (SciPy's dot product goes through BLAS, whose
// summation order is not reproducible bit for bit). Inputs of different lengths throw
// emonet::Error. Pure and thread-safe.
#pragma once

#include <span>
#include <vector>

namespace emonet::stats {

std::vector<double> rank_average(std::span<const double> values);

double pearson(std::span<const double> x, std::span<const double> y);

double spearman(std::span<const double> x, std::span<const double> y);

}  // namespace emonet::stats
