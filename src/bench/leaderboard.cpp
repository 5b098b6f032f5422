// `emonet bench leaderboard`: joining the runs, the point estimates (analyze_hq) and the
// image-level paired bootstrap (see emonet/leaderboard.h).
#include "emonet/leaderboard.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/file_text.h"
#include "bench/parallel.h"
#include "emonet/error.h"
#include "emonet/stats.h"

namespace emonet::bench {
namespace {

using nlohmann::json;

std::string base_name(const std::string& p) {
  const auto slash = p.find_last_of('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

// What the leaderboard needs to know of a run file beyond its ratings.
struct RunFile {
  std::string source;           // "predictions" or "vlm"
  std::vector<std::string> ok;  // vlm: images whose reply named exactly the asked set
  std::map<std::string, std::size_t> statuses;
  std::size_t records = 0;
};

RunFile scan_run_file(const std::string& path) {
  RunFile f;
  std::istringstream in(read_text(path));
  long line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const json j = json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("image_path"))
      throw Error("not a predictions or eval vlm record", {path, line_no, "image_path"});
    ++f.records;
    if (j.contains("results")) {
      f.source = "predictions";
      continue;
    }
    f.source = "vlm";
    const std::string status = j.value("status", "");
    ++f.statuses[status];
    const bool exact = status == "ok" && !j.contains("unknown_keys") &&
                       !j.contains("out_of_range") && !j.contains("failures");
    if (exact) f.ok.push_back(base_name(j["image_path"].get<std::string>()));
  }
  if (f.records == 0) throw Error("no records", {path, 0, ""});
  return f;
}

// Ratings truncated toward zero and clipped to 0..7; -1 = not rated.
struct Tables {
  std::size_t E = 0, A = 0, I = 0;
  std::vector<std::int8_t> t;
  const std::int8_t* series(std::size_t e, std::size_t a) const {
    return t.data() + (e * A + a) * I;
  }
};

Tables truncate(const HqData& d) {
  Tables x{d.num_emotions(), d.annotators.size(), d.images.size(), {}};
  x.t.resize(x.E * x.A * x.I);
  for (std::size_t e = 0; e < x.E; ++e)
    for (std::size_t a = 0; a < x.A; ++a)
      for (std::size_t i = 0; i < x.I; ++i) {
        const double v = d.series(e, a)[i];
        x.t[(e * x.A + a) * x.I + i] =
            std::isnan(v) ? -1 : static_cast<std::int8_t>(std::clamp(std::trunc(v), 0.0, 7.0));
      }
  return x;
}

// Quadratic-weighted kappa of two series, each image weighted by w[i] (resample counts).
double weighted_kappa(const std::int8_t* x, const std::int8_t* y, const double* w, std::size_t n) {
  double o[8][8] = {};
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (w[i] == 0 || x[i] < 0 || y[i] < 0) continue;
    o[x[i]][y[i]] += w[i];
    total += w[i];
  }
  if (total < 2) return kNaN;
  double rows[8] = {}, cols[8] = {};
  for (int r = 0; r < 8; ++r)
    for (int c = 0; c < 8; ++c) {
      rows[r] += o[r][c];
      cols[c] += o[r][c];
    }
  double observed = 0, expected = 0;
  for (int r = 0; r < 8; ++r)
    for (int c = 0; c < 8; ++c) {
      const double d2 = static_cast<double>((r - c) * (r - c));
      observed += d2 * o[r][c];
      expected += d2 * rows[r] * cols[c] / total;
    }
  return expected == 0 ? kNaN : 1 - observed / expected;
}

double nanmean_of(const std::vector<double>& v) {
  double s = 0;
  std::size_t n = 0;
  for (double x : v)
    if (!std::isnan(x)) {
      s += x;
      ++n;
    }
  return n ? s / static_cast<double>(n) : kNaN;
}

// The statistics one resample (image weights) gives.
struct Sample {
  std::vector<double> kappa, alpha, spearman;  // per run
  double anchor_kappa = kNaN, anchor_alpha = kNaN;
};

class Bootstrapper {
 public:
  Bootstrapper(const HqData& d, std::vector<std::size_t> humans, std::vector<std::size_t> runs)
      : d_(d), t_(truncate(d)), humans_(std::move(humans)), runs_(std::move(runs)) {
    const std::size_t E = t_.E, I = t_.I;
    median_.assign(E * I, kNaN);
    std::vector<double> buf;
    for (std::size_t e = 0; e < E; ++e)
      for (std::size_t i = 0; i < I; ++i) {
        buf.clear();
        for (std::size_t h : humans_)
          if (!std::isnan(d.series(e, h)[i])) buf.push_back(d.series(e, h)[i]);
        if (!buf.empty()) median_[e * I + i] = stats::median(buf);
      }
    for (std::size_t e = 0; e < E; ++e) {
      stats::Matrix panel(humans_.size(), I);
      for (std::size_t r = 0; r < humans_.size(); ++r)
        for (std::size_t i = 0; i < I; ++i) panel(r, i) = d.series(e, humans_[r])[i];
      human_units_.emplace_back(panel);
      for (std::size_t run : runs_) {
        stats::Matrix with(humans_.size() + 1, I);
        for (std::size_t r = 0; r < humans_.size(); ++r)
          for (std::size_t i = 0; i < I; ++i) with(r, i) = panel(r, i);
        for (std::size_t i = 0; i < I; ++i) with(humans_.size(), i) = d.series(e, run)[i];
        run_units_.emplace_back(with);
      }
    }
  }

  // Mean kappa vs the humans of annotator a over emotions, on weights w.
  double kappa_vs_humans(std::size_t a, const double* w, std::vector<double>* per_emotion) const {
    std::vector<double> per_e, ks;
    for (std::size_t e = 0; e < t_.E; ++e) {
      ks.clear();
      for (std::size_t h : humans_)
        if (h != a) ks.push_back(weighted_kappa(t_.series(e, a), t_.series(e, h), w, t_.I));
      per_e.push_back(nanmean_of(ks));
    }
    if (per_emotion) *per_emotion = per_e;
    return nanmean_of(per_e);
  }

  Sample sample(const std::vector<std::int64_t>& idx) const {
    std::vector<double> w(t_.I, 0.0);
    for (auto i : idx) w[static_cast<std::size_t>(i)] += 1;
    Sample s;
    std::vector<double> hk;
    for (std::size_t h : humans_) hk.push_back(kappa_vs_humans(h, w.data(), nullptr));
    s.anchor_kappa = nanmean_of(hk);
    std::vector<double> ha;
    for (const auto& u : human_units_) ha.push_back(u.alpha(idx).value);
    s.anchor_alpha = nanmean_of(ha);
    std::vector<double> x, y, rhos, alphas;
    for (std::size_t k = 0; k < runs_.size(); ++k) {
      s.kappa.push_back(kappa_vs_humans(runs_[k], w.data(), nullptr));
      rhos.clear();
      alphas.clear();
      for (std::size_t e = 0; e < t_.E; ++e) {
        x.clear();
        y.clear();
        const double* r = d_.series(e, runs_[k]);
        for (auto i : idx) {
          const auto u = static_cast<std::size_t>(i);
          if (std::isnan(r[u]) || std::isnan(median_[e * t_.I + u])) continue;
          x.push_back(r[u]);
          y.push_back(median_[e * t_.I + u]);
        }
        rhos.push_back(x.size() >= 2 ? stats::spearman(x, y) : kNaN);
        alphas.push_back(run_units_[e * runs_.size() + k].alpha(idx).value);
      }
      s.spearman.push_back(nanmean_of(rhos));
      s.alpha.push_back(nanmean_of(alphas));
    }
    return s;
  }

  const Tables& tables() const { return t_; }

 private:
  const HqData& d_;
  Tables t_;
  std::vector<std::size_t> humans_, runs_;
  std::vector<double> median_;
  std::vector<stats::IntervalAlphaUnits> human_units_, run_units_;  // run_units_[e * R + k]
};

void set_ci(Interval& out, std::vector<double> values) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }),
               values.end());
  if (values.empty()) return;
  out.low = stats::percentile(values, 2.5);
  out.high = stats::percentile(values, 97.5);
}

}  // namespace

LeaderboardRun parse_leaderboard_run(const std::string& spec) {
  const auto eq = spec.find('=');
  LeaderboardRun r{spec.substr(0, eq), eq == std::string::npos ? "" : spec.substr(eq + 1)};
  if (r.name.empty()) throw Error("--run " + spec + ": the run needs a name (NAME=FILE or NAME)");
  if (eq != std::string::npos && r.file.empty())
    throw Error("--run " + spec + ": no file after '='");
  return r;
}

Leaderboard run_leaderboard(const std::string& hq_csv, const std::vector<LeaderboardRun>& runs,
                            const LeaderboardOptions& o) {
  if (runs.empty()) throw Error("give at least one --run");
  if (o.bootstrap == 0) throw Error("--bootstrap must be at least 1");
  HqData data = load_hq(hq_csv, o.threads);
  std::vector<RunFile> files(runs.size());
  for (std::size_t k = 0; k < runs.size(); ++k) {
    const auto& r = runs[k];
    for (std::size_t j = 0; j < k; ++j)
      if (runs[j].name == r.name) throw Error("--run " + r.name + ": the name is given twice");
    if (r.file.empty()) {
      const auto it = std::find_if(data.annotators.begin(), data.annotators.end(),
                                   [&](const HqAnnotator& a) { return a.name == r.name; });
      if (it == data.annotators.end() || it->human)
        throw Error("--run " + r.name + ": no model annotator of that name in " + hq_csv +
                    " (NAME=FILE joins a predictions or eval vlm JSONL)");
      files[k].source = "hq.csv";
      continue;
    }
    files[k] = scan_run_file(r.file);
    join_predictions(data, {r.file, r.name, files[k].source == "vlm" ? "raw" : o.score},
                     o.allow_missing);
  }
  HqOptions hq_options;
  hq_options.bootstrap = o.bootstrap;
  hq_options.seed = o.seed;
  hq_options.threads = o.threads;
  const HqReport report = analyze_hq(data, hq_options);

  std::vector<std::size_t> humans, run_index;
  for (std::size_t a = 0; a < data.annotators.size(); ++a)
    if (data.annotators[a].human) humans.push_back(a);
  for (const auto& r : runs)
    for (std::size_t a = 0; a < data.annotators.size(); ++a)
      if (data.annotators[a].name == r.name) run_index.push_back(a);
  const Bootstrapper boot(data, humans, run_index);
  const std::size_t I = data.images.size(), R = runs.size();

  // The resamples, drawn in order from one stream, then evaluated in parallel.
  stats::Generator rng(o.seed);
  std::vector<std::vector<std::int64_t>> resamples(o.bootstrap);
  for (auto& idx : resamples) idx = rng.choice(static_cast<std::int64_t>(I), I);
  std::vector<Sample> samples(o.bootstrap);
  parallel_for(o.bootstrap, o.threads,
               [&](std::size_t b) { samples[b] = boot.sample(resamples[b]); });
  std::vector<std::int64_t> all(I);
  for (std::size_t i = 0; i < I; ++i) all[i] = static_cast<std::int64_t>(i);
  const Sample point = boot.sample(all);

  Leaderboard board;
  board.source = hq_csv;
  board.images = I;
  board.humans = humans.size();
  board.bootstrap = o.bootstrap;
  board.seed = o.seed;
  board.emotions = data.emotion_names;
  // Point estimates from analyze_hq: what `emonet bench hq` prints.
  std::vector<double> human_averages;
  board.anchor_per_emotion.assign(data.num_emotions(), 0.0);
  std::vector<std::vector<double>> human_rows;
  for (const auto& row : report.agreement)
    if (row.human) {
      human_averages.push_back(row.average);
      human_rows.push_back(row.per_emotion);
    }
  board.anchor_kappa.value = nanmean_of(human_averages);
  for (std::size_t e = 0; e < data.num_emotions(); ++e) {
    std::vector<double> col;
    for (const auto& r : human_rows) col.push_back(r[e]);
    board.anchor_per_emotion[e] = nanmean_of(col);
  }
  for (const auto& a : report.alpha)
    if (a.emotion == "mean") board.anchor_alpha.value = a.alpha;
  std::vector<double> v;
  for (const auto& s : samples) v.push_back(s.anchor_kappa);
  set_ci(board.anchor_kappa, v);
  v.clear();
  for (const auto& s : samples) v.push_back(s.anchor_alpha);
  set_ci(board.anchor_alpha, v);

  std::vector<LeaderboardRow> rows(R);
  for (std::size_t k = 0; k < R; ++k) {
    LeaderboardRow& row = rows[k];
    row.name = runs[k].name;
    row.source = files[k].source;
    for (const auto& a : report.agreement)
      if (a.annotator == row.name) {
        row.kappa.value = a.average;
        row.kappa_per_emotion = a.per_emotion;
      }
    for (const auto& sp : report.spearman)
      if (sp.model == row.name) row.spearman.value = sp.mean_rho;
    for (const auto& t : report.annotator_tests)
      if (t.annotator == row.name) {
        row.annotator_p = t.p;
        row.annotator_difference = t.mean_difference;
        row.could_be_annotator = t.could_be_annotator;
      }
    row.alpha.value = point.alpha[k];
    std::vector<double> kv, av, sv;
    for (const auto& s : samples) {
      kv.push_back(s.kappa[k]);
      av.push_back(s.alpha[k]);
      sv.push_back(s.spearman[k]);
    }
    set_ci(row.kappa, kv);
    set_ci(row.alpha, av);
    set_ci(row.spearman, sv);

    // Records, failures and the validity gate.
    const std::size_t a = run_index[k];
    std::vector<double> ones(I, 1.0), exact(I, 0.0);
    for (std::size_t i = 0; i < I; ++i) row.scored += std::isnan(data.series(0, a)[i]) ? 0 : 1;
    const RunFile& f = files[k];
    if (f.source == "vlm") {
      row.records = f.records;
      for (const auto& [status, n] : f.statuses) {
        if (status == "ok") continue;
        (status == "parse_failed"       ? row.parse_failed
         : status == "http_error"       ? row.http_error
         : status == "budget_exhausted" ? row.budget_exhausted
                                        : row.other_failed) += n;
      }
      std::map<std::string, std::size_t> by_name;
      for (std::size_t i = 0; i < I; ++i) by_name[base_name(data.images[i])] = i;
      for (const auto& name : f.ok)
        if (const auto it = by_name.find(name); it != by_name.end()) exact[it->second] = 1;
    } else {
      row.records = f.source == "predictions" ? f.records : row.scored;
      for (std::size_t i = 0; i < I; ++i) exact[i] = std::isnan(data.series(0, a)[i]) ? 0 : 1;
    }
    for (double x : exact) row.exact += x > 0 ? 1 : 0;
    row.gate_exact = boot.kappa_vs_humans(a, exact.data(), nullptr);
    row.gate_all = boot.kappa_vs_humans(a, ones.data(), nullptr);
  }
  // The best run by kappa; paired differences on the same resamples.
  std::size_t best = 0;
  for (std::size_t k = 1; k < R; ++k)
    if (std::isnan(rows[best].kappa.value) ||
        (!std::isnan(rows[k].kappa.value) && rows[k].kappa.value > rows[best].kappa.value))
      best = k;
  board.best = rows[best].name;
  for (std::size_t k = 0; k < R; ++k) {
    rows[k].vs_anchor.value = rows[k].kappa.value - board.anchor_kappa.value;
    rows[k].vs_best.value = rows[k].kappa.value - rows[best].kappa.value;
    std::vector<double> da, db;
    for (const auto& s : samples) {
      da.push_back(s.kappa[k] - s.anchor_kappa);
      db.push_back(s.kappa[k] - s.kappa[best]);
    }
    set_ci(rows[k].vs_anchor, da);
    if (k != best)
      set_ci(rows[k].vs_best, db);
    else
      rows[k].vs_best.low = rows[k].vs_best.high = 0;
  }
  std::stable_sort(rows.begin(), rows.end(), [](const LeaderboardRow& x, const LeaderboardRow& y) {
    if (std::isnan(y.kappa.value)) return !std::isnan(x.kappa.value);
    if (std::isnan(x.kappa.value)) return false;
    return x.kappa.value > y.kappa.value;
  });
  board.rows = std::move(rows);
  return board;
}

}  // namespace emonet::bench
