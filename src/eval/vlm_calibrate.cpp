// Quantile calibration of yes/no P(yes) to the 0-7 scale (see emonet/eval.h): the share
// of images mapped to a rating <= r follows the experts' own share of ratings <= r.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "emonet/bench_hq.h"
#include "emonet/error.h"
#include "emonet/eval.h"
#include "emonet/image_source.h"
#include "emonet/taxonomy.h"
#include "eval/vlm_internal.h"

namespace emonet::eval {

bool in_calibration_half(std::string_view file_name) {
  const auto slash = file_name.find_last_of('/');
  if (slash != std::string_view::npos) file_name.remove_prefix(slash + 1);
  return data::fnv1a64(file_name) % 2 == 0;
}

std::vector<int> quantile_calibrate(const std::vector<double>& calibration_p,
                                    const std::array<double, 8>& human_cdf,
                                    const std::vector<double>& p) {
  std::vector<double> sorted = calibration_p;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> out;
  out.reserve(p.size());
  for (double x : p) {
    if (sorted.empty()) throw Error("quantile calibration: no calibration values");
    // The empirical CDF of the calibration P(yes) at x, then the experts' quantile.
    const double q =
        static_cast<double>(std::upper_bound(sorted.begin(), sorted.end(), x) - sorted.begin()) /
        static_cast<double>(sorted.size());
    int r = 7;
    for (int k = 0; k < 8; ++k)
      if (human_cdf[static_cast<std::size_t>(k)] >= q - 1e-12) {
        r = k;
        break;
      }
    out.push_back(r);
  }
  return out;
}

void calibrate_yes_no(std::vector<nlohmann::json>& records, const std::string& hq_csv,
                      CalibrationSplit split) {
  const bench::HqData hq = bench::load_hq(hq_csv, 1);
  const bool held_out = split == CalibrationSplit::kHeldOut;
  auto base = [](const std::string& p) { return std::filesystem::path(p).filename().string(); };
  for (std::size_t e = 0; e < hq.num_emotions(); ++e) {
    const std::string& key = hq.emotion_keys[e];
    // The experts' marginal over the calibration images.
    std::array<double, 8> counts{};
    double n = 0;
    for (std::size_t a = 0; a < hq.annotators.size(); ++a) {
      if (!hq.annotators[a].human) continue;
      for (std::size_t i = 0; i < hq.images.size(); ++i) {
        const double v = hq.series(e, a)[i];
        if (std::isnan(v) || (held_out && !in_calibration_half(base(hq.images[i])))) continue;
        counts[static_cast<std::size_t>(std::clamp(std::lround(v), 0L, 7L))] += 1;
        n += 1;
      }
    }
    if (n == 0) continue;
    std::array<double, 8> cdf{};
    double run = 0;
    for (std::size_t k = 0; k < 8; ++k) cdf[k] = (run += counts[k]) / n;
    std::vector<double> fit, all;
    for (const auto& r : records) {
      if (!r.contains("p_yes") || !r["p_yes"].contains(key)) continue;
      const double p = r["p_yes"][key].get<double>();
      all.push_back(p);
      if (!held_out || in_calibration_half(base(r["image_path"].get<std::string>())))
        fit.push_back(p);
    }
    if (fit.empty()) continue;
    const auto mapped = quantile_calibrate(fit, cdf, all);
    std::size_t k = 0;
    for (auto& r : records) {
      if (!r.contains("p_yes") || !r["p_yes"].contains(key)) continue;
      r["annotations"][key] = mapped[k++];
    }
  }
  // Emotions of the taxonomy that hq.csv does not rate keep no calibrated value.
  for (auto& r : records) {
    if (!r.contains("p_yes")) continue;
    for (const auto& c : emotions()) {
      const std::string key(c.hq_key);
      if (std::find(hq.emotion_keys.begin(), hq.emotion_keys.end(), key) == hq.emotion_keys.end())
        r["annotations"].erase(key);
    }
    r["mapping"] = held_out ? "quantile-heldout" : "quantile-oracle";
    if (held_out) {
      const bool fit_half = in_calibration_half(base(r["image_path"].get<std::string>()));
      r["calibration"] = fit_half ? "fit" : "scored";
      // The images the mapping was fitted on are not scored: no annotations.
      if (fit_half) r["annotations"] = nlohmann::json::object();
    }
  }
}

}  // namespace emonet::eval
