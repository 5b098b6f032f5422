// Fleiss' kappa (statsmodels fleiss_kappa, method 'fleiss') and aggregate_raters.
#include <algorithm>
#include <cmath>
#include <string>

#include "emonet/error.h"
#include "emonet/stats/descriptive.h"
#include "emonet/stats/kappa.h"

namespace emonet::stats {

Estimate fleiss_kappa(const Matrix& counts) {
  const std::size_t subjects = counts.rows(), categories = counts.cols();
  if (subjects == 0 || categories == 0) return Estimate::rejected_because("empty count table");
  std::vector<double> raters_per_subject(subjects, 0.0);
  double total = 0;
  for (std::size_t s = 0; s < subjects; ++s) {
    for (std::size_t c = 0; c < categories; ++c) {
      const double v = counts(s, c);
      if (!(v >= 0) || std::floor(v) != v) {
        throw Error("fleiss_kappa: count at subject " + std::to_string(s + 1) + ", category " +
                    std::to_string(c + 1) + " is not a non-negative integer");
      }
      raters_per_subject[s] += v;
    }
    total += raters_per_subject[s];
  }
  const double raters = *std::max_element(raters_per_subject.begin(), raters_per_subject.end());
  for (std::size_t s = 0; s < subjects; ++s) {
    if (raters_per_subject[s] != raters) {
      throw Error("fleiss_kappa: subject " + std::to_string(s + 1) + " has " +
                  std::to_string(static_cast<long long>(raters_per_subject[s])) +
                  " ratings, expected the same number for every subject (" +
                  std::to_string(static_cast<long long>(raters)) + ")");
    }
  }
  // Category shares p_j and per-subject agreement P_i.
  double chance = 0;
  for (std::size_t c = 0; c < categories; ++c) {
    double column = 0;
    for (std::size_t s = 0; s < subjects; ++s) column += counts(s, c);
    const double share = column / total;
    chance += share * share;
  }
  std::vector<double> agreement(subjects);
  for (std::size_t s = 0; s < subjects; ++s) {
    double squares = 0;
    for (std::size_t c = 0; c < categories; ++c) squares += counts(s, c) * counts(s, c);
    agreement[s] = (squares - raters) / (raters * (raters - 1.0));
  }
  const double observed = mean(agreement);
  if (raters < 2) return Estimate::undefined_because("fewer than two ratings per subject");
  if (chance == 1.0) return Estimate::undefined_because("every rating is in one category");
  return Estimate::of((observed - chance) / (1 - chance));
}

Matrix aggregate_raters(const Matrix& subjects_by_raters, std::vector<double>* categories) {
  std::vector<double> cats = drop_nan(subjects_by_raters.values());
  std::sort(cats.begin(), cats.end());
  cats.erase(std::unique(cats.begin(), cats.end()), cats.end());
  Matrix table(subjects_by_raters.rows(), cats.size(), 0.0);
  for (std::size_t s = 0; s < subjects_by_raters.rows(); ++s) {
    for (double v : subjects_by_raters.row(s)) {
      if (std::isnan(v)) continue;
      const auto it = std::lower_bound(cats.begin(), cats.end(), v);
      table(s, static_cast<std::size_t>(it - cats.begin())) += 1.0;
    }
  }
  if (categories) *categories = std::move(cats);
  return table;
}

}  // namespace emonet::stats
