// The HQ analyses of statistics/analysis-hq.ipynb (spec §5.1); see emonet/bench_hq.h.
//
// Bit-exactness notes (what each pandas/numpy call sums in which order):
//  - np.mean/np.nanmean/np.std/np.median/np.percentile: emonet::stats (NumPy order).
//  - DataFrame.mean(axis=1) (average_all_emotions): pandas copies the table to C order
//    only when it holds a NaN; then each row is a pairwise sum, otherwise the F-ordered
//    values are added left to right. row_mean_like_pandas() mirrors both cases.
//  - groupby(...).mean() (pairwise matrix, Spearman means): pandas' Kahan-compensated
//    sum over the group in row order, NaN skipped. kahan_mean() mirrors it.
//  - Kappa lists: a pair the notebook skips (< 2 common images) is absent from the list,
//    a kappa sklearn could not compute is a NaN inside it; both are kept apart because
//    NumPy's pairwise blocks depend on the list length.
#include <algorithm>
#include <cmath>
#include <future>
#include <numeric>

#include "bench/parallel.h"
#include "emonet/bench_hq.h"
#include "emonet/error.h"
#include "emonet/stats.h"

namespace emonet::bench {

const std::vector<std::string>& hq_group_order() {
  static const std::vector<std::string> order = {
      "Human Annotators",           "Our Models",
      "Proprietary Models",         "VLMs with Multi-Shot Prompt",
      "VLMs with Zero-Shot Prompt", "Random Baseline"};
  return order;
}

std::string hq_group_of(const HqAnnotator& a) {
  const auto& g = hq_group_order();
  const std::string& n = a.name;
  auto ends = [&](const char* s) {
    const std::string suffix(s);
    return n.size() >= suffix.size() &&
           n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (a.human) return g[0];
  if (n.find("Empathic Insight") != std::string::npos) return g[1];
  if (ends("MS")) return g[3];
  if (ends("ZS")) return g[4];
  if (n.find("Hume Face*") != std::string::npos) return g[2];
  if (n.find("Random Baseline") != std::string::npos) return g[5];
  return "";
}

namespace {

using stats::Generator;

double kahan_mean(const std::vector<double>& values) {
  double sum = 0.0, compensation = 0.0;
  std::size_t count = 0;
  for (double v : values) {
    if (std::isnan(v)) continue;
    ++count;
    const double y = v - compensation;
    const double t = sum + y;
    compensation = t - sum - y;
    sum = t;
  }
  return count ? sum / static_cast<double>(count) : kNaN;
}

double row_mean_like_pandas(const std::vector<double>& row, bool table_has_nan) {
  std::size_t count = 0;
  for (double v : row) count += std::isnan(v) ? 0 : 1;
  if (count == 0) return kNaN;
  if (table_has_nan) {
    std::vector<double> filled(row);
    for (double& v : filled)
      if (std::isnan(v)) v = 0.0;
    return stats::numpy_sum(filled) / static_cast<double>(count);
  }
  double sum = 0.0;
  for (double v : row) sum += v;
  return sum / static_cast<double>(count);
}

// NaN-last descending order, stable for ties.
template <typename T, typename Key>
void sort_descending(std::vector<T>& rows, Key key) {
  std::stable_sort(rows.begin(), rows.end(), [&](const T& a, const T& b) {
    const double ka = key(a), kb = key(b);
    if (std::isnan(ka)) return false;
    if (std::isnan(kb)) return true;
    return ka > kb;
  });
}

class Analysis {
 public:
  Analysis(const HqData& data, const HqOptions& options)
      : d_(data),
        o_(options),
        E_(data.num_emotions()),
        A_(data.annotators.size()),
        I_(data.images.size()) {
    for (std::size_t a = 0; a < A_; ++a) (d_.annotators[a].human ? humans_ : models_).push_back(a);
  }

  HqReport run() {
    HqReport r;
    r.source = d_.source;
    r.images = I_;
    r.humans = humans_.size();
    r.models = models_.size();
    r.rows = d_.rows;
    r.duplicate_rows = d_.duplicate_rows;
    r.bootstrap = o_.bootstrap;
    r.seed = o_.seed;
    r.emotions = d_.emotion_names;
    // Alpha (humans only, one sequential RNG stream) runs beside everything else.
    const bool concurrent = worker_count(o_.threads) > 1;
    auto alpha = std::async(concurrent ? std::launch::async : std::launch::deferred,
                            [this] { return alpha_table(); });
    compute_kappas();
    agreement_tables(r);
    r.pairwise = pairwise_matrix();
    r.groups = group_comparisons(r.agreement);
    r.annotator_tests = annotator_tests();
    spearman_tables(r);
    r.alpha = alpha.get();
    return r;
  }

 private:
  std::size_t slot(std::size_t e, std::size_t a, std::size_t b) const {
    return (e * A_ + a) * A_ + b;
  }
  bool has(std::size_t e, std::size_t a, std::size_t b) const { return computed_[slot(e, a, b)]; }
  double kappa(std::size_t e, std::size_t a, std::size_t b) const { return kappa_[slot(e, a, b)]; }

  // κ(a, b, e) for every ordered pair the notebook evaluates: all human pairs, (model,
  // human), and (earlier, later) in first-appearance order for the pairwise matrix.
  void compute_kappas() {
    std::vector<std::uint8_t> need(A_ * A_, 0);
    for (std::size_t h1 : humans_)
      for (std::size_t h2 : humans_)
        if (h1 != h2) need[h1 * A_ + h2] = 1;
    for (std::size_t m : models_)
      for (std::size_t h : humans_) need[m * A_ + h] = 1;
    for (std::size_t a = 0; a < A_; ++a)
      for (std::size_t b = a + 1; b < A_; ++b) need[a * A_ + b] = 1;

    kappa_.assign(E_ * A_ * A_, kNaN);
    computed_.assign(E_ * A_ * A_, 0);
    static const std::int64_t labels[] = {0, 1, 2, 3, 4, 5, 6, 7};
    parallel_for(E_, o_.threads, [&](std::size_t e) {
      // .astype(int): truncation toward zero. Values outside 0..7 only need to stay
      // outside, so they are clamped to -1 / 8 (which also avoids overflow).
      std::vector<std::int64_t> truncated(A_ * I_);
      for (std::size_t a = 0; a < A_; ++a) {
        const double* s = d_.series(e, a);
        for (std::size_t i = 0; i < I_; ++i) {
          const double v = s[i];
          truncated[a * I_ + i] =
              std::isnan(v) ? 0 : (v >= 8 ? 8 : (v <= -1 ? -1 : static_cast<std::int64_t>(v)));
        }
      }
      std::vector<std::int64_t> x, y;
      for (std::size_t a = 0; a < A_; ++a) {
        for (std::size_t b = 0; b < A_; ++b) {
          if (!need[a * A_ + b]) continue;
          const double* sa = d_.series(e, a);
          const double* sb = d_.series(e, b);
          x.clear();
          y.clear();
          for (std::size_t i = 0; i < I_; ++i) {
            if (std::isnan(sa[i]) || std::isnan(sb[i])) continue;
            x.push_back(truncated[a * I_ + i]);
            y.push_back(truncated[b * I_ + i]);
          }
          if (x.size() < 2) continue;  // the notebook skips the pair
          kappa_[slot(e, a, b)] =
              stats::cohen_kappa(x, y, stats::KappaWeights::quadratic, labels).value;
          computed_[slot(e, a, b)] = 1;
        }
      }
    });
  }

  // nanmean of κ(a, partner, e) over the partners the notebook could compute.
  double mean_against(std::size_t e, std::size_t a,
                      const std::vector<std::size_t>& partners) const {
    std::vector<double> ks;
    for (std::size_t b : partners)
      if (b != a && has(e, a, b)) ks.push_back(kappa(e, a, b));
    return ks.empty() ? kNaN : stats::nanmean(ks);
  }

  void agreement_tables(HqReport& r) const {
    std::vector<std::size_t> order = humans_;
    order.insert(order.end(), models_.begin(), models_.end());
    bool table_has_nan = false;
    for (std::size_t a : order) {
      AgreementRow row;
      row.annotator = d_.annotators[a].name;
      row.human = d_.annotators[a].human;
      row.group = hq_group_of(d_.annotators[a]);
      for (std::size_t e = 0; e < E_; ++e) {
        row.per_emotion.push_back(mean_against(e, a, humans_));
        table_has_nan = table_has_nan || std::isnan(row.per_emotion.back());
      }
      r.agreement.push_back(std::move(row));
    }
    for (auto& row : r.agreement)
      row.average = row_mean_like_pandas(row.per_emotion, table_has_nan);
    sort_descending(r.agreement, [](const AgreementRow& x) { return x.average; });

    for (const auto& row : r.agreement) {
      SummaryRow s;
      s.annotator = row.annotator;
      const std::vector<double> values = stats::drop_nan(row.per_emotion);
      s.mean = values.empty() ? kNaN : stats::mean(values);
      s.std = values.size() > 1 ? stats::stddev(values, 1) : kNaN;
      s.median = values.empty() ? kNaN : stats::median(values);
      // sorted(key=-(v if notnull else -999)): the first maximum; NaN counts as -999.
      std::size_t best = 0;
      auto key = [&](std::size_t e) {
        const double v = row.per_emotion[e];
        return std::isnan(v) ? 999.0 : -v;
      };
      for (std::size_t e = 1; e < E_; ++e)
        if (key(e) < key(best)) best = e;
      if (E_ > 0 && !std::isnan(row.per_emotion[best])) {
        s.top_emotion = d_.emotion_names[best];
        s.top_value = row.per_emotion[best];
      }
      r.summary.push_back(std::move(s));
    }
    sort_descending(r.summary, [](const SummaryRow& x) { return x.mean; });
  }

  PairwiseMatrix pairwise_matrix() const {
    PairwiseMatrix m;
    std::vector<std::size_t> hs = humans_, ms = models_;
    auto by_name = [&](std::size_t a, std::size_t b) {
      return d_.annotators[a].name < d_.annotators[b].name;
    };
    std::sort(hs.begin(), hs.end(), by_name);
    std::sort(ms.begin(), ms.end(), by_name);
    std::vector<std::size_t> order = hs;
    order.insert(order.end(), ms.begin(), ms.end());
    const std::size_t n = order.size();
    for (std::size_t a : order) m.annotators.push_back(d_.annotators[a].name);
    // groupby(['rater1', 'rater2']).mean() over the emotions where the pair was computed.
    auto mean_of = [&](std::size_t a, std::size_t b) {
      std::vector<double> ks;
      for (std::size_t e = 0; e < E_; ++e)
        if (has(e, a, b)) ks.push_back(kappa(e, a, b));
      return ks.empty() ? kNaN : kahan_mean(ks);
    };
    m.values.assign(n * n, kNaN);
    for (std::size_t r = 0; r < n; ++r) {
      for (std::size_t c = 0; c < n; ++c) {
        const std::size_t a = order[r], b = order[c];
        if (a < b) m.values[r * n + c] = mean_of(a, b);  // only (earlier, later) pairs exist
      }
    }
    // Fill the other triangle from its mirror, then the diagonal, as the notebook does.
    for (std::size_t r = 0; r < n; ++r) {
      for (std::size_t c = 0; c < n; ++c) {
        double& v = m.values[r * n + c];
        if (std::isnan(v) && !std::isnan(m.values[c * n + r])) v = m.values[c * n + r];
        if (r == c) v = 1.0;
      }
    }
    return m;
  }

  std::vector<GroupComparison> group_comparisons(const std::vector<AgreementRow>& table) const {
    const auto& order = hq_group_order();
    std::vector<std::vector<double>> samples(order.size());
    for (const auto& row : table) {
      const auto it = std::find(order.begin(), order.end(), row.group);
      if (it == order.end()) continue;
      auto& s = samples[static_cast<std::size_t>(it - order.begin())];
      for (double v : row.per_emotion)
        if (!std::isnan(v)) s.push_back(v);
    }
    std::vector<std::pair<std::size_t, std::size_t>> pairs;
    for (std::size_t i = 0; i < order.size(); ++i)
      for (std::size_t j = i + 1; j < order.size(); ++j)
        if (samples[i].size() > 1 && samples[j].size() > 1) pairs.emplace_back(i, j);
    std::vector<GroupComparison> out(pairs.size());
    parallel_for(pairs.size(), o_.threads, [&](std::size_t k) {
      const auto& s1 = samples[pairs[k].first];
      const auto& s2 = samples[pairs[k].second];
      GroupComparison& g = out[k];
      g.group1 = order[pairs[k].first];
      g.group2 = order[pairs[k].second];
      g.n1 = s1.size();
      g.n2 = s2.size();
      const auto mw = stats::mann_whitney_u(s1, s2);
      g.u = mw.u1;
      g.p = mw.p;
      g.mean_difference = stats::mean(s1) - stats::mean(s2);
      Generator rng(o_.seed);  // a fresh default_rng(42) per pair
      const auto boots = stats::bootstrap_mean_difference(rng, s1, s2, o_.bootstrap);
      const auto ci = stats::percentile_interval(boots);
      g.ci_low = ci.low;
      g.ci_high = ci.high;
    });
    return out;
  }

  // Flat κ(h1, h2, e) over human pairs with h1 < h2 by name (first-appearance loops),
  // emotions innermost; `exclude` (if set) leaves one human out.
  std::vector<double> human_pairs(std::size_t exclude) const {
    std::vector<double> out;
    for (std::size_t h1 : humans_) {
      if (h1 == exclude) continue;
      for (std::size_t h2 : humans_) {
        if (h2 == exclude || !(d_.annotators[h1].name < d_.annotators[h2].name)) continue;
        for (std::size_t e = 0; e < E_; ++e)
          if (has(e, h1, h2) && !std::isnan(kappa(e, h1, h2))) out.push_back(kappa(e, h1, h2));
      }
    }
    return out;
  }

  AnnotatorTest test(std::size_t a, const std::vector<double>& own,
                     const std::vector<double>& reference) const {
    AnnotatorTest t;
    t.annotator = d_.annotators[a].name;
    t.human = d_.annotators[a].human;
    t.n_self = own.size();
    t.n_reference = reference.size();
    if (!own.empty() && !reference.empty()) {
      t.mean_difference = stats::mean(own) - stats::mean(reference);
      Generator rng(o_.seed);  // a fresh default_rng(42) per annotator
      const auto boots = stats::bootstrap_mean_difference(rng, own, reference, o_.bootstrap);
      // np.percentile over every resample (none can be NaN here).
      t.ci_low = stats::percentile(boots, 2.5);
      t.ci_high = stats::percentile(boots, 97.5);
    }
    if (own.size() > 1 && reference.size() > 1) t.p = stats::mann_whitney_u(own, reference).p;
    t.could_be_annotator = !std::isnan(t.p) && t.p > 0.05;
    return t;
  }

  std::vector<AnnotatorTest> annotator_tests() const {
    const std::size_t none = A_;
    const std::vector<double> all_pairs = human_pairs(none);
    std::vector<std::size_t> order = models_;  // the notebook appends models, then humans
    order.insert(order.end(), humans_.begin(), humans_.end());
    std::vector<AnnotatorTest> out(order.size());
    parallel_for(order.size(), o_.threads, [&](std::size_t k) {
      const std::size_t a = order[k];
      std::vector<double> own;
      for (std::size_t h : humans_) {
        if (h == a) continue;
        for (std::size_t e = 0; e < E_; ++e)
          if (has(e, a, h) && !std::isnan(kappa(e, a, h))) own.push_back(kappa(e, a, h));
      }
      out[k] = d_.annotators[a].human ? test(a, own, human_pairs(a)) : test(a, own, all_pairs);
    });
    sort_descending(out, [](const AnnotatorTest& t) { return t.mean_difference; });
    return out;
  }

  std::vector<AlphaRow> alpha_table() const {
    // Humans sorted by name (the pivot's columns) as rows; images that some human rated,
    // in name order, as columns.
    std::vector<std::size_t> hs = humans_;
    std::sort(hs.begin(), hs.end(), [&](std::size_t a, std::size_t b) {
      return d_.annotators[a].name < d_.annotators[b].name;
    });
    std::vector<std::size_t> images;
    for (std::size_t i = 0; i < I_; ++i) {
      bool rated = false;
      for (std::size_t h : hs) rated = rated || !std::isnan(d_.series(0, h)[i]);
      if (rated) images.push_back(i);
    }
    Generator rng(o_.seed);  // one generator shared by all emotions, in emotion order
    std::vector<AlphaRow> rows;
    for (std::size_t e = 0; e < E_; ++e) {
      AlphaRow row;
      row.emotion = d_.emotion_names[e];
      row.images = images.size();
      std::vector<std::size_t> kept;
      for (std::size_t h : hs) {
        std::size_t n = 0;
        for (std::size_t i : images) n += std::isnan(d_.series(e, h)[i]) ? 0 : 1;
        if (n > 1) kept.push_back(h);
      }
      row.annotators = kept.size();
      if (kept.size() >= 2) {
        stats::Matrix m(kept.size(), images.size());
        for (std::size_t r = 0; r < kept.size(); ++r)
          for (std::size_t c = 0; c < images.size(); ++c)
            m(r, c) = d_.series(e, kept[r])[images[c]];
        row.alpha = stats::krippendorff_alpha(m, stats::AlphaLevel::interval).value;
        const stats::IntervalAlphaUnits units(m);
        const auto boots = stats::bootstrap_alpha(rng, units, o_.bootstrap);
        const auto ci = stats::percentile_interval(boots);
        row.ci_low = ci.low;
        row.ci_high = ci.high;
      }
      rows.push_back(std::move(row));
    }
    // np.argsort(alphas)[::-1]: an ascending sort (NaN last) reversed, so NaN rows come
    // first and ties appear in reverse emotion order. The mean/median rows below sum in
    // that order.
    std::vector<AlphaRow> sorted(rows.rbegin(), rows.rend());
    std::stable_sort(sorted.begin(), sorted.end(), [](const AlphaRow& x, const AlphaRow& y) {
      if (std::isnan(y.alpha)) return false;
      if (std::isnan(x.alpha)) return true;
      return x.alpha > y.alpha;
    });
    rows = sorted;
    std::vector<double> a, lo, hi;
    for (const auto& row : rows) {
      a.push_back(row.alpha);
      lo.push_back(row.ci_low);
      hi.push_back(row.ci_high);
    }
    AlphaRow mean_row{"mean", stats::nanmean(a), stats::nanmean(lo), stats::nanmean(hi), 0, 0};
    AlphaRow median_row{
        "median", stats::nanmedian(a), stats::nanmedian(lo), stats::nanmedian(hi), 0, 0};
    rows.push_back(mean_row);
    rows.push_back(median_row);
    sort_descending(rows, [](const AlphaRow& x) { return x.alpha; });
    return rows;
  }

  void spearman_tables(HqReport& r) const {
    // rho per (model, emotion) against the per-image median of the humans' ratings.
    std::vector<std::vector<double>> rho(models_.size(), std::vector<double>(E_, kNaN));
    parallel_for(E_, o_.threads, [&](std::size_t e) {
      std::vector<double> median(I_, kNaN), buffer;
      for (std::size_t i = 0; i < I_; ++i) {
        buffer.clear();
        for (std::size_t h : humans_)
          if (!std::isnan(d_.series(e, h)[i])) buffer.push_back(d_.series(e, h)[i]);
        if (!buffer.empty()) median[i] = stats::median(buffer);
      }
      std::vector<double> x, y;
      for (std::size_t k = 0; k < models_.size(); ++k) {
        const double* s = d_.series(e, models_[k]);
        x.clear();
        y.clear();
        for (std::size_t i = 0; i < I_; ++i) {
          if (std::isnan(s[i]) || std::isnan(median[i])) continue;
          x.push_back(s[i]);
          y.push_back(median[i]);
        }
        if (x.size() >= 2) rho[k][e] = stats::spearman(x, y);
      }
    });
    // groupby("model") sorts models by name; one generator serves them in that order.
    std::vector<std::size_t> order(models_.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return d_.annotators[models_[a]].name < d_.annotators[models_[b]].name;
    });
    Generator rng(o_.seed);
    std::vector<SpearmanRow> rows;
    std::vector<std::vector<double>> per_emotion;
    for (std::size_t k : order) {
      SpearmanRow row;
      row.model = d_.annotators[models_[k]].name;
      row.group = hq_group_of(d_.annotators[models_[k]]);
      row.mean_rho = kahan_mean(rho[k]);
      const std::vector<double> values = stats::drop_nan(rho[k]);
      row.emotions = values.size();
      if (values.size() >= 2) {
        const auto boots = stats::bootstrap_mean(rng, values, o_.bootstrap);
        row.ci_low = stats::percentile(boots, 2.5);
        row.ci_high = stats::percentile(boots, 97.5);
      }
      rows.push_back(std::move(row));
      per_emotion.push_back(rho[k]);
    }
    std::vector<std::size_t> idx(rows.size());
    std::iota(idx.begin(), idx.end(), 0);
    sort_descending(idx, [&](std::size_t i) { return rows[i].mean_rho; });
    for (std::size_t i : idx) {
      r.spearman.push_back(rows[i]);
      r.spearman_per_emotion.push_back(per_emotion[i]);
    }
  }

  const HqData& d_;
  const HqOptions& o_;
  std::size_t E_, A_, I_;
  std::vector<std::size_t> humans_, models_;
  std::vector<double> kappa_;
  std::vector<std::uint8_t> computed_;
};

}  // namespace

HqReport analyze_hq(const HqData& data, const HqOptions& options) {
  if (data.annotators.empty() || data.images.empty() || data.num_emotions() == 0)
    throw Error("no ratings to analyse", {data.source, 0, ""});
  bool any_human = false;
  for (const auto& a : data.annotators) any_human = any_human || a.human;
  if (!any_human)
    throw Error("no human annotators (column 'human' is never True)", {data.source, 0, "human"});
  if (options.bootstrap == 0) throw Error("--bootstrap must be at least 1");
  return Analysis(data, options).run();
}

}  // namespace emonet::bench
