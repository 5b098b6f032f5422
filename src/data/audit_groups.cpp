// `data audit` per-group model behaviour: mean scores per group with bootstrap CIs, the
// min/max disparity ratio per metric and a permutation test per axis (random streams and
// statistics as documented in data_audit.h, so the fixture script reproduces them).
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "data/audit_internal.h"
#include "emonet/data_audit.h"
#include "emonet/stats/bootstrap.h"
#include "emonet/stats/descriptive.h"
#include "emonet/stats/random.h"

namespace emonet::data {
namespace detail {

std::vector<std::size_t> permutation_order(stats::Generator& rng, std::size_t n) {
  std::vector<double> u(n);
  for (auto& v : u) v = rng.random();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t(0));
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return u[a] < u[b]; });
  return order;
}

Labels labels_of(const std::vector<AuditRow>& rows, const std::string& axis,
                 const std::vector<std::size_t>& eligible) {
  Labels l;
  std::map<std::string, std::size_t> index;
  for (auto r : eligible) {
    const auto v = rows[r].axis(axis);
    if (!v.empty()) index.emplace(v, 0);
  }
  for (auto& [name, k] : index) {
    k = l.names.size();
    l.names.push_back(name);
  }
  for (auto r : eligible) {
    const auto v = rows[r].axis(axis);
    if (v.empty()) continue;
    l.rows.push_back(r);
    l.group.push_back(index[v]);
  }
  return l;
}

void add_disparities(const std::string& axis, const std::string& metric,
                     const std::vector<GroupMetric>& metrics, double threshold,
                     std::vector<Disparity>& out) {
  Disparity d;
  d.axis = axis;
  d.metric = metric;
  std::size_t defined = 0;
  bool positive = true;
  for (const auto& m : metrics) {
    if (m.axis != axis || m.metric != metric || std::isnan(m.estimate.value)) continue;
    ++defined;
    if (m.estimate.value <= 0) positive = false;
    if (std::isnan(d.max) || m.estimate.value > d.max) {
      d.max = m.estimate.value;
      d.max_group = m.group;
    }
    if (std::isnan(d.min) || m.estimate.value < d.min) {
      d.min = m.estimate.value;
      d.min_group = m.group;
    }
  }
  if (defined < 2) return;
  if (positive) {
    d.ratio = d.min / d.max;
    d.flagged = d.ratio < threshold;
  }
  out.push_back(d);
}

double permutation_p(double observed, const std::vector<double>& permuted) {
  std::size_t hits = 0;
  const double bar = observed - 1e-12 * std::fabs(observed);
  for (double t : permuted)
    if (t >= bar) ++hits;
  return double(1 + hits) / double(1 + permuted.size());
}

}  // namespace detail

namespace {

// Σ_e Σ_g n_g (mean_ge − mean_e)² over the labelled rows.
double between_ss(const ScoreTable& s, const std::vector<std::size_t>& rows,
                  const std::vector<std::size_t>& group, std::size_t groups) {
  const std::size_t E = s.emotions.size();
  std::vector<double> sum(groups * E, 0), total(E, 0);
  std::vector<double> n(groups, 0);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& v = s.per_row[rows[i]];
    n[group[i]] += 1;
    for (std::size_t e = 0; e < E; ++e) {
      sum[group[i] * E + e] += v[e];
      total[e] += v[e];
    }
  }
  double t = 0;
  const double N = double(rows.size());
  for (std::size_t e = 0; e < E; ++e) {
    const double m = total[e] / N;
    for (std::size_t g = 0; g < groups; ++g) {
      if (n[g] == 0) continue;
      const double d = sum[g * E + e] / n[g] - m;
      t += n[g] * d * d;
    }
  }
  return t;
}

}  // namespace

GroupReport audit_scores(const std::vector<AuditRow>& rows, const ScoreTable& s,
                         const GroupOptions& o) {
  GroupReport rep;
  rep.emotions = s.emotions;
  const std::size_t E = s.emotions.size();
  std::vector<std::size_t> eligible;
  for (std::size_t r = 0; r < rows.size() && r < s.per_row.size(); ++r)
    if (!s.per_row[r].empty() && !std::isnan(s.per_row[r][0])) eligible.push_back(r);

  const auto& axes = group_axes();
  for (std::size_t a = 0; a < axes.size(); ++a) {
    const auto labels = detail::labels_of(rows, axes[a], eligible);
    for (std::size_t k = 0; k < labels.names.size(); ++k) {
      std::vector<std::size_t> members;
      for (std::size_t i = 0; i < labels.rows.size(); ++i)
        if (labels.group[i] == k) members.push_back(labels.rows[i]);
      const std::size_t n = members.size();
      std::vector<GroupMetric> out(E);
      for (std::size_t e = 0; e < E; ++e) out[e] = {axes[a], labels.names[k], s.emotions[e], n, {}};
      if (n >= o.min_group) {
        std::vector<std::vector<double>> values(E, std::vector<double>(n));
        for (std::size_t i = 0; i < n; ++i)
          for (std::size_t e = 0; e < E; ++e) values[e][i] = s.per_row[members[i]][e];
        for (std::size_t e = 0; e < E; ++e) out[e].estimate.value = stats::mean(values[e]);
        stats::Generator rng(o.seed + 1000 * a + k);
        std::vector<std::vector<double>> boot(E, std::vector<double>(o.bootstrap));
        std::vector<std::int64_t> idx(n);
        std::vector<double> sample(n);
        for (std::size_t it = 0; it < o.bootstrap; ++it) {
          rng.choice(std::int64_t(n), idx);
          for (std::size_t e = 0; e < E; ++e) {
            for (std::size_t i = 0; i < n; ++i) sample[i] = values[e][std::size_t(idx[i])];
            boot[e][it] = stats::mean(sample);
          }
        }
        for (std::size_t e = 0; e < E; ++e) {
          const auto ci = stats::percentile_interval(boot[e]);
          out[e].estimate.low = ci.low;
          out[e].estimate.high = ci.high;
        }
      }
      rep.metrics.insert(rep.metrics.end(), out.begin(), out.end());
    }
    for (const auto& emotion : s.emotions)
      detail::add_disparities(axes[a], emotion, rep.metrics, o.disparity_threshold,
                              rep.disparities);
    if (labels.names.size() < 2) continue;
    PermutationTest t{axes[a], "scores", 0, kAuditNaN, o.permutations, labels.names.size()};
    t.statistic = between_ss(s, labels.rows, labels.group, labels.names.size());
    stats::Generator rng(o.seed + 1000 * a);
    std::vector<double> permuted(o.permutations);
    std::vector<std::size_t> shuffled(labels.group.size());
    for (std::size_t p = 0; p < o.permutations; ++p) {
      const auto order = detail::permutation_order(rng, labels.group.size());
      for (std::size_t i = 0; i < order.size(); ++i) shuffled[i] = labels.group[order[i]];
      permuted[p] = between_ss(s, labels.rows, shuffled, labels.names.size());
    }
    t.p = detail::permutation_p(t.statistic, permuted);
    rep.permutations.push_back(t);
  }
  return rep;
}

}  // namespace emonet::data
