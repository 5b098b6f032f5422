// train_report: trained (and published) heads against the experts (train.h).
//
// Binary: every (image, emotion) pair with a majority among the experts' votes is a
// positive or negative example; the heads' score ranks them (ROC AUC per emotion, the
// mean over emotions that have both outcomes), and Pearson r against the yes share.
// HQ: each heads folder becomes an annotator of bench hq (its mean-subtracted scores as
// predictions JSONL in the authors' layout, joined with join_predictions) and the
// authors' analysis gives its kappa against the humans and Spearman rho against their
// median, next to the humans' own agreement. The expert-side numbers are those of
// `emonet bench binary` / `emonet bench hq` on the same files.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>

#include "emonet/bench_binary.h"
#include "emonet/bench_hq.h"
#include "emonet/error.h"
#include "emonet/taxonomy.h"
#include "emonet/train.h"

namespace fs = std::filesystem;

namespace emonet::train {

namespace {

struct Scored {
  std::vector<float> raw, centred;  // [rows, kHeads], taxonomy order
};

Scored score(const std::string& dir_arg, const Embeddings& emb) {
  const std::string dir = fs::is_directory(dir_arg + "/heads") ? dir_arg + "/heads" : dir_arg;
  const auto heads = model::load_heads(dir);
  const auto stats = model::load_neutral_stats(model::find_neutral_stats(dir));
  MlpShape shape;
  for (const auto& l : heads[0].layers) shape.dims.push_back(l.in);
  shape.dims.push_back(1);
  shape.dropout.assign(shape.dims.size() - 2, 0.0f);
  HeadsTrainer tr(shape, heads.size(), 0);
  for (std::size_t g = 0; g < heads.size(); ++g) tr.set_head(g, heads[g]);
  const std::size_t n = emb.ids.size();
  Scored s;
  s.raw.resize(n * kHeads);
  constexpr std::size_t kChunk = 256;
  for (std::size_t i = 0; i < n; i += kChunk)
    tr.predict(emb.data.data() + i * emb.hidden, std::int64_t(std::min(kChunk, n - i)),
               s.raw.data() + i * kHeads);
  s.centred = s.raw;
  for (std::size_t g = 0; g < kHeads; ++g) {
    const auto mean = float(stats.mean_for(heads[g].key));
    for (std::size_t i = 0; i < n; ++i) s.centred[i * kHeads + g] -= mean;
  }
  return s;
}

// ROC AUC with ties counted half (Mann-Whitney U / (n+ n-)).
double auc(std::vector<std::pair<float, bool>> v) {
  std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.first < b.first; });
  double rank_sum = 0, pos = 0;
  for (std::size_t i = 0; i < v.size();) {
    std::size_t j = i;
    while (j < v.size() && v[j].first == v[i].first) ++j;
    const double mid = 0.5 * double(i + 1 + j);  // mean 1-based rank of the tie group
    for (std::size_t k = i; k < j; ++k)
      if (v[k].second) rank_sum += mid, ++pos;
    i = j;
  }
  const double neg = double(v.size()) - pos;
  if (pos == 0 || neg == 0) return std::nan("");
  return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

void binary_section(const ReportOptions& o, const Embeddings& emb,
                    const std::vector<std::pair<std::string, Scored>>& scored, Report& rep) {
  const auto experts = bench::analyze_binary(o.binary);
  long unanimous = 0;
  for (const auto& r : experts.table) unanimous += r.agree;
  rep.binary_multi_vote_pairs = std::size_t(experts.multi_vote_pairs);
  rep.binary_expert_unanimous = experts.multi_vote_pairs
                                    ? double(unanimous) / double(experts.multi_vote_pairs)
                                    : std::nan("");
  const LabelSet labels = read_labels(o.binary, LabelFormat::BinaryCsv);
  const auto match = join_ids(labels.ids, emb.ids);
  for (std::size_t k = 0; k < scored.size(); ++k) {
    ReportRow& row = rep.rows[k];
    double auc_sum = 0, sy = 0, st = 0, syy = 0, stt = 0, syt = 0;
    int emotions = 0;
    std::size_t n = 0;
    for (std::size_t g = 0; g < kHeads; ++g) {
      std::vector<std::pair<float, bool>> v;
      for (std::size_t i = 0; i < labels.ids.size(); ++i) {
        const float share = labels.targets[i * kHeads + g];
        if (std::isnan(share) || match[i] == SIZE_MAX) continue;
        const double y = scored[k].second.raw[match[i] * kHeads + g];
        sy += y, st += share, syy += y * y, stt += double(share) * share, syt += y * share;
        ++n;
        if (share != 0.5f) v.emplace_back(float(y), share > 0.5f);
      }
      const double a = auc(std::move(v));
      if (!std::isnan(a)) auc_sum += a, ++emotions;
    }
    row.binary_pairs = n;
    if (emotions) row.binary_auc = auc_sum / emotions;
    const double nn = double(n), cov = syt - sy * st / nn, vy = syy - sy * sy / nn,
                 vt = stt - st * st / nn;
    if (n > 1 && vy > 0 && vt > 0) row.binary_pearson = cov / std::sqrt(vy * vt);
  }
}

void hq_section(const ReportOptions& o, const Embeddings& emb,
                const std::vector<std::pair<std::string, Scored>>& scored, Report& rep,
                std::ostream& log) {
  bench::HqData data = bench::load_hq(o.hq, 1);
  rep.hq_images = data.images.size();
  const auto match = join_ids(data.images, emb.ids);
  // mkdtemp replaces the six trailing X characters with a unique suffix.
  std::string dir_pattern =
      (fs::temp_directory_path() / ("emonet-report-" + std::string(6, 'X'))).string();
  if (!::mkdtemp(dir_pattern.data())) throw Error("cannot create a temporary folder");
  const fs::path tmp(dir_pattern);
  std::size_t missing = 0;
  for (auto m : match) missing += m == SIZE_MAX;
  if (missing) log << "emonet: " << missing << " HQ images have no embedding (rated as missing)\n";
  try {
    for (std::size_t k = 0; k < scored.size(); ++k) {
      const std::string path = (tmp / ("pred" + std::to_string(k) + ".jsonl")).string();
      std::ofstream out(path);
      for (std::size_t i = 0; i < data.images.size(); ++i) {
        if (match[i] == SIZE_MAX) continue;
        nlohmann::json results = nlohmann::json::object();
        for (std::size_t g = 0; g < kHeads; ++g)
          results[std::string(categories()[g].head_key)] = {
              {"raw", scored[k].second.raw[match[i] * kHeads + g]},
              {"mean_subtracted", scored[k].second.centred[match[i] * kHeads + g]}};
        out << nlohmann::json{{"image_path", data.images[i]}, {"results", results}}.dump() << "\n";
      }
      out.close();
      // "Empathic Insight" puts the heads in the authors' model group of the analysis.
      bench::join_predictions(
          data, {path, "Empathic Insight " + scored[k].first, "mean_subtracted"}, true);
    }
  } catch (...) {
    fs::remove_all(tmp);
    throw;
  }
  fs::remove_all(tmp);
  bench::HqOptions ho;
  ho.bootstrap = o.bootstrap;
  ho.seed = o.seed;
  const auto r = bench::analyze_hq(data, ho);
  double human_sum = 0;
  int humans = 0;
  for (const auto& a : r.agreement) {
    if (a.human && !std::isnan(a.average)) human_sum += a.average, ++humans;
    for (std::size_t k = 0; k < scored.size(); ++k)
      if (a.annotator == "Empathic Insight " + scored[k].first) rep.rows[k].hq_kappa = a.average;
  }
  if (humans) rep.hq_human_kappa = human_sum / humans;
  for (const auto& s : r.spearman)
    for (std::size_t k = 0; k < scored.size(); ++k)
      if (s.model == "Empathic Insight " + scored[k].first) {
        rep.rows[k].hq_rho = s.mean_rho;
        rep.rows[k].hq_rho_low = s.ci_low;
        rep.rows[k].hq_rho_high = s.ci_high;
      }
}

std::string fmt(double v) {
  if (std::isnan(v)) return "–";
  char b[32];
  std::snprintf(b, sizeof b, "%.4f", v);
  return b;
}

}  // namespace

Report train_report(const ReportOptions& o, std::ostream& log) {
  if (o.heads.empty() && o.published.empty())
    throw Error("no heads to report on", {"", 0, "--heads"});
  if (o.binary.empty() && o.hq.empty())
    throw Error("give the experts' binary.csv and / or hq.csv", {"", 0, "--binary"});
  const Embeddings emb = load_embeddings(o.embeddings);
  std::vector<std::pair<std::string, Scored>> scored;
  std::vector<std::string> dirs = o.heads;
  if (!o.published.empty()) dirs.push_back(model::resolve_model_arg(o.published));
  for (std::size_t k = 0; k < dirs.size(); ++k) {
    std::string name = fs::path(dirs[k]).lexically_normal().filename().string();
    if (name.empty()) name = fs::path(dirs[k]).lexically_normal().parent_path().filename().string();
    if (!o.published.empty() && k + 1 == dirs.size()) name = "published";
    for (const auto& [other, s] : scored)
      if (other == name) name += "-" + std::to_string(k + 1);
    scored.emplace_back(name, score(dirs[k], emb));
  }
  Report rep;
  for (const auto& [name, s] : scored) rep.rows.push_back({name});
  if (!o.binary.empty()) binary_section(o, emb, scored, rep);
  if (!o.hq.empty()) hq_section(o, emb, scored, rep, log);
  return rep;
}

std::string Report::markdown() const {
  std::ostringstream s;
  s << "| heads | Binary AUC vs majority | Binary r vs yes share | Binary pairs | HQ kappa vs "
       "humans | HQ Spearman rho [95% CI] |\n|---|---|---|---|---|---|\n";
  for (const auto& r : rows)
    s << "| " << r.name << " | " << fmt(r.binary_auc) << " | " << fmt(r.binary_pearson) << " | "
      << r.binary_pairs << " | " << fmt(r.hq_kappa) << " | " << fmt(r.hq_rho) << " ["
      << fmt(r.hq_rho_low) << ", " << fmt(r.hq_rho_high) << "] |\n";
  s << "\nExperts: " << fmt(binary_expert_unanimous) << " of " << binary_multi_vote_pairs
    << " multi-vote Binary pairs unanimous (bench binary); humans' mean kappa against each "
       "other "
    << fmt(hq_human_kappa) << " on " << hq_images << " HQ images (bench hq).\n";
  return s.str();
}

}  // namespace emonet::train
