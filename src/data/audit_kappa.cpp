// `data audit --hq`: per-group agreement of a model with the experts of hq.csv.
//
// κ of a set of images = nanmean over emotions of nanmean over humans of the HQ
// notebook's pairwise κ(model, human, e): images where both rated, skipped below 2,
// ratings truncated toward zero, quadratic weights, labels 0..7 (stats::cohen_kappa
// reproduces sklearn, its NaN and raise cases become NaN as in the notebook). hq.csv and
// the joined predictions are read by the HQ benchmark's loader (emonet/bench_hq.h), so
// the preprocessing (Hume × 7, duplicates averaged) is the benchmark's.
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "data/audit_internal.h"
#include "emonet/bench_hq.h"
#include "emonet/data_audit.h"
#include "emonet/error.h"
#include "emonet/stats/bootstrap.h"
#include "emonet/stats/descriptive.h"
#include "emonet/stats/kappa.h"

namespace emonet::data {
namespace {

std::string base_name(const std::string& p) {
  const auto s = p.find_last_of('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

struct KappaData {
  std::size_t E = 0, I = 0;
  std::vector<const double*> model;                // per emotion, I values
  std::vector<std::vector<const double*>> humans;  // [e][h]
};

double kappa_of(const KappaData& d, const std::int64_t* idx, std::size_t n) {
  static const std::int64_t labels[] = {0, 1, 2, 3, 4, 5, 6, 7};
  std::vector<double> per_emotion(d.E);
  std::vector<std::int64_t> x, y;
  x.reserve(n);
  y.reserve(n);
  for (std::size_t e = 0; e < d.E; ++e) {
    std::vector<double> per_human;
    for (const double* h : d.humans[e]) {
      x.clear();
      y.clear();
      for (std::size_t k = 0; k < n; ++k) {
        const double m = d.model[e][idx[k]], v = h[idx[k]];
        if (std::isnan(m) || std::isnan(v)) continue;
        x.push_back(std::int64_t(m));  // astype(int): truncation toward zero
        y.push_back(std::int64_t(v));
      }
      if (x.size() < 2) continue;
      per_human.push_back(stats::cohen_kappa(x, y, stats::KappaWeights::quadratic, labels).value);
    }
    per_emotion[e] = stats::nanmean(per_human);
  }
  return stats::nanmean(per_emotion);
}

}  // namespace

void audit_kappa(const std::vector<AuditRow>& rows, const std::string& hq_csv,
                 const std::string& predictions, const std::string& score,
                 const std::string& model_in, const GroupOptions& o, GroupReport& rep) {
  auto data = bench::load_hq(hq_csv, 1);
  std::string model = model_in;
  if (model.empty()) {
    if (predictions.empty())
      throw Error("--hq needs --hq-model NAME (an annotator of hq.csv) or --predictions",
                  {hq_csv, 0, "hq-model"});
    model = "emonet";
    bench::join_predictions(data, {predictions, model, score == "raw" ? "raw" : "mean_subtracted"},
                            true);
  }
  std::size_t m = data.annotators.size();
  std::vector<std::size_t> humans;
  for (std::size_t a = 0; a < data.annotators.size(); ++a) {
    if (data.annotators[a].name == model) m = a;
    if (data.annotators[a].human) humans.push_back(a);
  }
  if (m == data.annotators.size())
    throw Error("no annotator named '" + model + "'", {hq_csv, 0, "annotator"});
  if (data.annotators[m].human)
    throw Error("'" + model + "' is a human annotator; name a model", {hq_csv, 0, "annotator"});
  if (humans.empty()) throw Error("hq.csv has no human annotators", {hq_csv, 0, "human"});
  rep.kappa_model = model;
  for (auto h : humans) rep.kappa_humans.push_back(data.annotators[h].name);

  KappaData d;
  d.E = data.num_emotions();
  d.I = data.images.size();
  d.model.resize(d.E);
  d.humans.resize(d.E);
  for (std::size_t e = 0; e < d.E; ++e) {
    d.model[e] = data.series(e, m);
    for (auto h : humans) d.humans[e].push_back(data.series(e, h));
  }

  // hq image of each row (by file name); rows without one are not part of the κ analysis.
  std::unordered_map<std::string, std::size_t> image_of;
  for (std::size_t i = 0; i < data.images.size(); ++i)
    image_of.emplace(base_name(data.images[i]), i);
  std::unordered_map<std::string, std::size_t> seen;
  std::vector<std::size_t> eligible;
  std::vector<std::int64_t> image_of_row(rows.size(), -1);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto name = base_name(rows[r].item.id);
    const auto it = image_of.find(name);
    if (it == image_of.end()) continue;
    if (auto [s, fresh] = seen.emplace(name, r); !fresh)
      throw Error(
          "two dataset images share the file name '" + name + "'; hq.csv rows cannot be matched",
          {hq_csv, 0, "image"});
    image_of_row[r] = std::int64_t(it->second);
    eligible.push_back(r);
  }
  if (eligible.empty())
    throw Error("no hq.csv image matches a dataset image by file name", {hq_csv, 0, "image"});

  const auto& axes = group_axes();
  for (std::size_t a = 0; a < axes.size(); ++a) {
    const auto labels = detail::labels_of(rows, axes[a], eligible);
    std::vector<std::int64_t> images(labels.rows.size());
    for (std::size_t i = 0; i < labels.rows.size(); ++i) images[i] = image_of_row[labels.rows[i]];
    auto group_kappa = [&](const std::vector<std::size_t>& group, std::vector<double>& out) {
      std::vector<std::vector<std::int64_t>> members(labels.names.size());
      for (std::size_t i = 0; i < group.size(); ++i) members[group[i]].push_back(images[i]);
      out.assign(labels.names.size(), kAuditNaN);
      for (std::size_t k = 0; k < members.size(); ++k)
        if (members[k].size() >= o.min_group)
          out[k] = kappa_of(d, members[k].data(), members[k].size());
      return members;
    };
    std::vector<double> observed;
    const auto members = group_kappa(labels.group, observed);
    for (std::size_t k = 0; k < labels.names.size(); ++k) {
      GroupMetric g{axes[a], labels.names[k], "kappa", members[k].size(), {}};
      g.estimate.value = observed[k];
      if (members[k].size() >= o.min_group) {
        stats::Generator rng(o.seed + 1000 * a + k);
        const std::size_t n = members[k].size();
        std::vector<double> boot(o.bootstrap);
        std::vector<std::int64_t> idx(n), sample(n);
        for (std::size_t it = 0; it < o.bootstrap; ++it) {
          rng.choice(std::int64_t(n), idx);
          for (std::size_t i = 0; i < n; ++i) sample[i] = members[k][std::size_t(idx[i])];
          boot[it] = kappa_of(d, sample.data(), n);
        }
        const auto ci = stats::percentile_interval(boot);
        g.estimate.low = ci.low;
        g.estimate.high = ci.high;
      }
      rep.metrics.push_back(g);
    }
    detail::add_disparities(axes[a], "kappa", rep.metrics, o.disparity_threshold, rep.disparities);
    auto range = [](const std::vector<double>& v) {
      double lo = kAuditNaN, hi = kAuditNaN;
      std::size_t defined = 0;
      for (double x : v) {
        if (std::isnan(x)) continue;
        ++defined;
        lo = std::isnan(lo) ? x : std::min(lo, x);
        hi = std::isnan(hi) ? x : std::max(hi, x);
      }
      return defined < 2 ? kAuditNaN : hi - lo;
    };
    const double t_obs = range(observed);
    if (std::isnan(t_obs)) continue;
    PermutationTest t{axes[a], "kappa", t_obs, kAuditNaN, o.permutations, labels.names.size()};
    stats::Generator rng(o.seed + 1000 * a + 500);
    std::vector<double> permuted;
    std::vector<std::size_t> shuffled(labels.group.size());
    std::vector<double> values;
    for (std::size_t p = 0; p < o.permutations; ++p) {
      const auto order = detail::permutation_order(rng, labels.group.size());
      for (std::size_t i = 0; i < order.size(); ++i) shuffled[i] = labels.group[order[i]];
      group_kappa(shuffled, values);
      const double r = range(values);
      permuted.push_back(std::isnan(r) ? -HUGE_VAL : r);
    }
    t.p = detail::permutation_p(t_obs, permuted);
    rep.permutations.push_back(t);
  }
}

}  // namespace emonet::data
