// Live agreement of an intensity project with the stats library (see agreement.h):
//   alpha: Krippendorff's alpha (interval) over units = (item, emotion) pairs, rows =
//          experts; 95 % percentile bootstrap CI over units (numpy default_rng(seed)).
//   kappa: mean over expert pairs and the 40 emotions of quadratic-weighted Cohen's kappa
//          on the items both rated (labels 0..7, as the authors' HQ analysis); 95 %
//          percentile bootstrap CI over items.
#include <cmath>

#include "annotate/agreement.h"
#include "emonet/stats/alpha.h"
#include "emonet/stats/bootstrap.h"
#include "emonet/stats/kappa.h"
#include "emonet/stats/random.h"
#include "emonet/taxonomy.h"

namespace emonet::annotate {

using json = nlohmann::json;

namespace {

json number_or_null(double v) {
  return std::isfinite(v) ? json(v) : json(nullptr);
}

json estimate_json(const stats::Estimate& e, const stats::ConfidenceInterval& ci) {
  json j{{"value", number_or_null(e.value)},
         {"ci_low", number_or_null(ci.low)},
         {"ci_high", number_or_null(ci.high)}};
  if (!e.ok()) j["reason"] = e.reason;
  return j;
}

// Mean pairwise kappa over the given items (indices into d.items, repeats allowed).
double mean_kappa(const IntensityRatings& d, std::span<const std::int64_t> items,
                  std::size_t* pairs_used) {
  static const std::vector<std::int64_t> labels = {0, 1, 2, 3, 4, 5, 6, 7};
  double sum = 0;
  std::size_t n = 0;
  std::vector<std::int64_t> x, y;
  for (std::size_t a = 0; a < d.experts.size(); ++a) {
    for (std::size_t b = a + 1; b < d.experts.size(); ++b) {
      for (std::size_t e = 0; e < kNumEmotions; ++e) {
        x.clear();
        y.clear();
        for (auto i : items) {
          const auto& ra = d.ratings[a][static_cast<std::size_t>(i)];
          const auto& rb = d.ratings[b][static_cast<std::size_t>(i)];
          if (ra.empty() || rb.empty()) continue;
          x.push_back(ra[e]);
          y.push_back(rb[e]);
        }
        if (x.size() < 2) continue;
        const auto k = stats::cohen_kappa(x, y, stats::KappaWeights::quadratic, labels);
        if (k.ok() && std::isfinite(k.value)) {
          sum += k.value;
          ++n;
        }
      }
    }
  }
  if (pairs_used) *pairs_used = n;
  return n ? sum / static_cast<double>(n) : std::nan("");
}

}  // namespace

json intensity_agreement(const IntensityRatings& d, std::size_t iterations, std::uint64_t seed) {
  // Items rated by two or more experts.
  std::vector<std::int64_t> shared;
  for (std::size_t i = 0; i < d.items.size(); ++i) {
    int raters = 0;
    for (const auto& r : d.ratings) raters += r[i].empty() ? 0 : 1;
    if (raters >= 2) shared.push_back(static_cast<std::int64_t>(i));
  }
  json out{{"experts", d.experts.size()}, {"items_with_2plus", shared.size()}};

  stats::Matrix units(d.experts.size(), shared.size() * kNumEmotions);
  for (std::size_t r = 0; r < d.experts.size(); ++r) {
    for (std::size_t s = 0; s < shared.size(); ++s) {
      const auto& v = d.ratings[r][static_cast<std::size_t>(shared[s])];
      if (v.empty()) continue;
      for (std::size_t e = 0; e < kNumEmotions; ++e) units(r, s * kNumEmotions + e) = v[e];
    }
  }
  if (shared.empty()) {
    out["alpha"] = {{"value", nullptr}, {"ci_low", nullptr}, {"ci_high", nullptr}};
    out["kappa"] = {{"value", nullptr}, {"ci_low", nullptr}, {"ci_high", nullptr}, {"pairs", 0}};
    out["per_emotion"] = json::array();
    return out;
  }
  // Keep the live view cheap on large projects: fewer resamples when there is more data.
  const double work = static_cast<double>(shared.size()) * d.experts.size() * d.experts.size();
  const std::size_t kappa_iterations =
      work > 2e5 ? std::max<std::size_t>(20, iterations / 10) : iterations;

  stats::Generator rng = stats::default_rng(seed);
  const stats::IntervalAlphaUnits alpha_units(units);
  const auto alpha_boot = stats::bootstrap_alpha(rng, alpha_units, iterations);
  out["alpha"] = estimate_json(alpha_units.alpha(), stats::percentile_interval(alpha_boot));

  std::size_t pairs = 0;
  const double kappa = mean_kappa(d, shared, &pairs);
  const auto kappa_boot = stats::bootstrap(rng, shared.size(), kappa_iterations,
                                           [&](std::span<const std::int64_t> idx) {
                                             std::vector<std::int64_t> items(idx.size());
                                             for (std::size_t i = 0; i < idx.size(); ++i)
                                               items[i] = shared[static_cast<std::size_t>(idx[i])];
                                             return mean_kappa(d, items, nullptr);
                                           });
  json kj = estimate_json(
      std::isfinite(kappa) ? stats::Estimate::of(kappa)
                           : stats::Estimate::undefined_because("no expert pair shares two items"),
      stats::percentile_interval(kappa_boot));
  kj["pairs"] = pairs;
  out["kappa"] = kj;

  json per_emotion = json::array();
  for (const auto& c : emotions()) {
    stats::Matrix m(d.experts.size(), shared.size());
    for (std::size_t r = 0; r < d.experts.size(); ++r) {
      for (std::size_t s = 0; s < shared.size(); ++s) {
        const auto& v = d.ratings[r][static_cast<std::size_t>(shared[s])];
        if (!v.empty()) m(r, s) = v[c.index];
      }
    }
    const auto a = stats::krippendorff_alpha(m, stats::AlphaLevel::interval);
    per_emotion.push_back({{"emotion", std::string(c.name)}, {"alpha", number_or_null(a.value)}});
  }
  out["per_emotion"] = per_emotion;
  return out;
}

}  // namespace emonet::annotate
