// Two-sided Mann–Whitney U test with SciPy 1.10 semantics
// (scipy.stats.mannwhitneyu(x, y, use_continuity=True, alternative='two-sided',
//  method='auto')).
//
// - U1 = R1 − n1(n1 + 1)/2 with R1 the sum of x's average ranks in the pooled sample;
//   U2 = n1·n2 − U1; the reported statistic is U1 (what SciPy returns), the p-value
//   uses U = max(U1, U2).
// - method 'auto': exact when min(n1, n2) <= 8 and there are no ties in the pooled
//   sample, otherwise asymptotic.
// - exact: p = 2 · P(U' >= U) from the exact null distribution, clipped to 1.
// - asymptotic: z = (U − n1·n2/2 − 0.5) / σ,
//   σ² = n1·n2/12 · ((n + 1) − Σ(t³ − t) / (n(n − 1))) (t = tie group sizes),
//   p = 2 · (1 − Φ(z)) clipped to [0, 1].
// NaN in either sample gives {NaN, NaN} (nan_policy='propagate'); an empty sample gives
// {NaN, NaN} as SciPy does. Pure and thread-safe.
#pragma once

#include <span>

namespace emonet::stats {

enum class MannWhitneyMethod { automatic, exact, asymptotic };

struct MannWhitneyResult {
  double u1 = 0;  // U statistic of the first sample (scipy's `statistic`)
  double p = 0;   // two-sided p-value
  MannWhitneyMethod method = MannWhitneyMethod::asymptotic;  // the method actually used
};

MannWhitneyResult mann_whitney_u(std::span<const double> x, std::span<const double> y,
                                 MannWhitneyMethod method = MannWhitneyMethod::automatic);

}  // namespace emonet::stats
