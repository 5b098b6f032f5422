// emonet statistics: agreement and test statistics that match the reference Python
// libraries (scikit-learn, SciPy, NumPy, krippendorff) exactly, plus a NumPy-compatible
// random generator for bootstrap confidence intervals. Nothing here knows about emotions.
//
// One header per concept under emonet/stats/; this umbrella includes them all:
//   estimate.h        Estimate / Status: a value or why it has none (NaN vs raise)
//   matrix.h          Matrix: raters × units, NaN = missing
//   descriptive.h     numpy_sum, mean, nanmean, median, nanmedian, stddev, percentile
//   kappa.h           cohen_kappa (sklearn), fleiss_kappa
//   alpha.h           krippendorff_alpha (krippendorff package), IntervalAlphaUnits
//   correlation.h     rank_average, pearson, spearman (SciPy)
//   mann_whitney.h    mann_whitney_u (SciPy 1.10, method='auto', two-sided)
//   binary_metrics.h  accuracy, precision, recall, F1, ROC-AUC (sklearn)
//   random.h          SeedSequence, Pcg64, Generator = np.random.default_rng
//   bootstrap.h       percentile CIs with the notebooks' resampling order
//   rating_files.h    CSV input for `emonet stats kappa|alpha`
//   agreement_report.h  one coefficient + bootstrap CI for a file (text / JSON)
// Thread safety: every free function is pure; Generator is per-thread; see each header.
#pragma once

#include "emonet/stats/agreement_report.h"
#include "emonet/stats/alpha.h"
#include "emonet/stats/binary_metrics.h"
#include "emonet/stats/bootstrap.h"
#include "emonet/stats/correlation.h"
#include "emonet/stats/descriptive.h"
#include "emonet/stats/estimate.h"
#include "emonet/stats/kappa.h"
#include "emonet/stats/mann_whitney.h"
#include "emonet/stats/matrix.h"
#include "emonet/stats/random.h"
#include "emonet/stats/rating_files.h"
