// Top-1 accuracy and macro-F1 with bootstrap CIs for a dataset read by load_dataset();
// see bench_transfer_dataset.h for the definitions.
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <unordered_map>

#include "bench/file_text.h"
#include "emonet/bench_transfer_dataset.h"
#include "emonet/csv.h"
#include "emonet/error.h"
#include "emonet/jsonl.h"
#include "emonet/stats/bootstrap.h"
#include "emonet/stats/descriptive.h"
#include "emonet/stats/random.h"
#include "emonet/strings.h"

namespace emonet::bench {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const char* layout_name(DatasetLayout l) {
  switch (l) {
    case DatasetLayout::fer2013:
      return "fer2013";
    case DatasetLayout::rafdb:
      return "rafdb";
    case DatasetLayout::affectnet:
      return "affectnet";
    case DatasetLayout::faces:
      return "faces";
    case DatasetLayout::folders:
      return "folders";
  }
  return "folders";
}

// A record's image_path as a dataset id: relative to the dataset root when it lies under
// it (as `emonet predict DIR` prints it), else as written.
std::string record_id(const std::string& image_path, const fs::path& root,
                      const fs::path& root_abs) {
  const fs::path p = fs::path(image_path).lexically_normal();
  auto under = [](const fs::path& file, const fs::path& dir) -> std::string {
    const fs::path rel = file.lexically_relative(dir);
    if (rel.empty() || *rel.begin() == "..") return {};
    return rel.generic_string();
  };
  if (p.is_relative() == root.is_relative()) {
    if (auto id = under(p, root); !id.empty()) return id;
  }
  if (auto id = under(fs::absolute(p).lexically_normal(), root_abs); !id.empty()) return id;
  return p.generic_string();
}

struct Scored {
  std::vector<int> truth, pred;  // class indices per dataset image
  std::vector<char> rule_ok;     // the authors' rule
};

Scored score_records(const Dataset& d, const std::string& text, const std::string& source,
                     const TransferMapping& mapping, const std::vector<std::string>& classes) {
  std::unordered_map<std::string, std::size_t> by_id;
  for (std::size_t i = 0; i < d.images.size(); ++i) by_id.emplace(d.images[i].id, i);
  std::unordered_map<std::string, int> class_index;
  for (std::size_t c = 0; c < classes.size(); ++c) class_index[classes[c]] = static_cast<int>(c);

  Scored s;
  s.truth.resize(d.images.size());
  for (std::size_t i = 0; i < d.images.size(); ++i) s.truth[i] = class_index.at(d.images[i].cls);
  s.pred.assign(d.images.size(), -1);
  s.rule_ok.assign(d.images.size(), 0);
  std::vector<long> seen_line(d.images.size(), 0);
  const double cutoff = 1.5 / static_cast<double>(mapping.mapped());
  const fs::path root = fs::path(d.root).lexically_normal();
  const fs::path root_abs = fs::absolute(root).lexically_normal();

  std::vector<double> exps;
  std::vector<int> head_class;
  for_each_jsonl_record(text, source, [&](json& rec, long line_no) {
    if (!rec.is_object() || !rec.contains("image_path") || !rec["image_path"].is_string())
      throw Error("record has no 'image_path' string", {source, line_no, "image_path"});
    if (!rec.contains("results") || !rec["results"].is_object())
      throw Error("record has no 'results' object", {source, line_no, "results"});
    const std::string id = record_id(rec["image_path"].get<std::string>(), root, root_abs);
    auto it = by_id.find(id);
    if (it == by_id.end()) return;  // not part of this dataset (e.g. another split)
    const std::size_t i = it->second;
    if (seen_line[i])
      throw Error(fmt::format("second record for image {} (first on line {}); one record per "
                              "image is needed (predict without --faces)",
                              id, seen_line[i]),
                  {source, line_no, "image_path"});
    seen_line[i] = line_no;

    exps.clear();
    head_class.clear();
    double best = -INFINITY;
    int best_class = -1;
    for (const auto& [head, value] : rec["results"].items()) {
      auto m = mapping.heads.find(head);
      if (m == mapping.heads.end() || !m->second || m->second->empty()) continue;
      if (!value.is_object() || !value.contains("mean_subtracted") ||
          !value["mean_subtracted"].is_number())
        throw Error("head has no numeric 'mean_subtracted'", {source, line_no, "results." + head});
      const double v = value["mean_subtracted"].get<double>();
      if (!std::isfinite(v))
        throw Error("score is not finite", {source, line_no, "results." + head});
      const int c = class_index.at(*m->second);
      if (v > best) {
        best = v;
        best_class = c;
      }
      exps.push_back(std::exp(v));
      head_class.push_back(c);
    }
    if (best_class < 0)
      throw Error("record has none of the mapping's heads", {source, line_no, "results"});
    s.pred[i] = best_class;
    const double total = stats::numpy_sum(exps);
    for (std::size_t k = 0; k < exps.size(); ++k) {
      if (head_class[k] == s.truth[i] && exps[k] / total > cutoff) {
        s.rule_ok[i] = 1;
        break;
      }
    }
  });
  for (std::size_t i = 0; i < d.images.size(); ++i) {
    if (!seen_line[i])
      throw Error("no prediction for image " + d.images[i].id + " (of " +
                      std::to_string(d.images.size()) + " in " + d.root + ")",
                  {source, 0, "image_path"});
  }
  return s;
}

struct Metrics {
  double accuracy = 0.0, macro_f1 = 0.0;
};

// Accuracy and scikit-learn's macro F1 (labels = classes seen as truth or prediction,
// zero_division = 0) over the images listed in `sample` (repeats allowed).
class MetricCounter {
 public:
  explicit MetricCounter(std::size_t classes) : tp_(classes), truth_(classes), pred_(classes) {}
  Metrics operator()(const Scored& s, const std::vector<std::size_t>& sample) {
    std::fill(tp_.begin(), tp_.end(), 0);
    std::fill(truth_.begin(), truth_.end(), 0);
    std::fill(pred_.begin(), pred_.end(), 0);
    long correct = 0;
    for (std::size_t i : sample) {
      const int t = s.truth[i], p = s.pred[i];
      ++truth_[t];
      ++pred_[p];
      if (t == p) {
        ++tp_[t];
        ++correct;
      }
    }
    Metrics m;
    if (sample.empty()) return {NAN, NAN};
    m.accuracy = static_cast<double>(correct) / static_cast<double>(sample.size());
    f1s_.clear();
    for (std::size_t c = 0; c < tp_.size(); ++c) {
      if (truth_[c] == 0 && pred_[c] == 0) continue;
      f1s_.push_back(f1(tp_[c], truth_[c], pred_[c]));
    }
    m.macro_f1 = stats::numpy_sum(f1s_) / static_cast<double>(f1s_.size());
    return m;
  }
  static double f1(long tp, long truth, long pred) {
    const double precision = pred ? static_cast<double>(tp) / static_cast<double>(pred) : 0.0;
    const double recall = truth ? static_cast<double>(tp) / static_cast<double>(truth) : 0.0;
    return precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
  }

 private:
  std::vector<long> tp_, truth_, pred_;
  std::vector<double> f1s_;
};

std::string capitalize(const std::string& s) {
  std::string out = s;
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 32);
  return out;
}

}  // namespace

DatasetTransferReport evaluate_dataset_transfer(const Dataset& dataset,
                                                const std::string& predictions_jsonl,
                                                const TransferMapping& mapping,
                                                const TransferEvalOptions& options) {
  return evaluate_dataset_transfer_text(dataset, read_text(predictions_jsonl), predictions_jsonl,
                                        mapping, options);
}

DatasetTransferReport evaluate_dataset_transfer_text(const Dataset& d, const std::string& text,
                                                     const std::string& source,
                                                     const TransferMapping& mapping,
                                                     const TransferEvalOptions& o) {
  if (o.group_by_person && !d.has_persons())
    throw Error(std::string("layout ") + layout_name(d.layout) +
                    " has no persons; --group-by person needs the faces layout",
                {"", 0, "--group-by"});
  std::set<std::string> class_set;
  for (const auto& [head, cls] : mapping.heads)
    if (cls && !cls->empty()) class_set.insert(*cls);
  const std::vector<std::string> classes(class_set.begin(), class_set.end());
  const Scored s = score_records(d, text, source, mapping, classes);

  DatasetTransferReport r;
  r.dataset = d.root;
  r.layout = layout_name(d.layout);
  r.mapping = mapping.source;
  r.group_by = o.group_by_person ? "person" : "image";
  r.images = static_cast<long>(d.images.size());
  r.skipped = d.skipped;
  r.iterations = o.iterations;
  r.seed = o.seed;

  // Bootstrap units: single images, or every image of one person (persons sorted).
  std::vector<std::vector<std::size_t>> units;
  if (o.group_by_person) {
    std::map<std::string, std::vector<std::size_t>> per_person;
    for (std::size_t i = 0; i < d.images.size(); ++i) per_person[d.images[i].person].push_back(i);
    for (auto& [person, imgs] : per_person) units.push_back(std::move(imgs));
  } else {
    for (std::size_t i = 0; i < d.images.size(); ++i) units.push_back({i});
  }
  r.units = static_cast<long>(units.size());

  MetricCounter count(classes.size());
  std::vector<std::size_t> all(d.images.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  const Metrics point = count(s, all);
  r.accuracy.value = point.accuracy;
  r.macro_f1.value = point.macro_f1;
  long rule = 0;
  for (char ok : s.rule_ok) rule += ok;
  r.rule_accuracy = static_cast<double>(rule) / static_cast<double>(r.images);

  stats::Generator rng = stats::default_rng(o.seed);
  std::vector<double> accs, f1s;
  accs.reserve(o.iterations);
  f1s.reserve(o.iterations);
  std::vector<std::int64_t> idx(units.size());
  std::vector<std::size_t> sample;
  for (std::size_t b = 0; b < o.iterations; ++b) {
    rng.choice(static_cast<std::int64_t>(units.size()), idx);
    sample.clear();
    for (std::int64_t u : idx) {
      const auto& imgs = units[static_cast<std::size_t>(u)];
      sample.insert(sample.end(), imgs.begin(), imgs.end());
    }
    const Metrics m = count(s, sample);
    accs.push_back(m.accuracy);
    f1s.push_back(m.macro_f1);
  }
  const auto acc_ci = stats::percentile_interval(accs);
  const auto f1_ci = stats::percentile_interval(f1s);
  r.accuracy.low = acc_ci.low;
  r.accuracy.high = acc_ci.high;
  r.macro_f1.low = f1_ci.low;
  r.macro_f1.high = f1_ci.high;

  for (std::size_t c = 0; c < classes.size(); ++c) {
    DatasetClassResult cr;
    cr.cls = classes[c];
    for (std::size_t i = 0; i < all.size(); ++i) {
      cr.support += s.truth[i] == static_cast<int>(c);
      cr.predicted += s.pred[i] == static_cast<int>(c);
      cr.correct += s.truth[i] == static_cast<int>(c) && s.pred[i] == static_cast<int>(c);
    }
    if (cr.support == 0 && cr.predicted == 0) continue;
    cr.precision = cr.predicted ? double(cr.correct) / double(cr.predicted) : 0.0;
    cr.recall = cr.support ? double(cr.correct) / double(cr.support) : 0.0;
    cr.f1 = MetricCounter::f1(cr.correct, cr.support, cr.predicted);
    r.classes.push_back(cr);
  }
  for (std::size_t i = 0; i < all.size(); ++i)
    ++r.confusion[classes[static_cast<std::size_t>(s.truth[i])]]
                 [classes[static_cast<std::size_t>(s.pred[i])]];
  return r;
}

std::string dataset_transfer_markdown(const DatasetTransferReport& r) {
  std::ostringstream out;
  out << fmt::format("Transfer on {} ({} layout), mapping {}\n\n", r.dataset, r.layout, r.mapping);
  out << "| | Value | 95% CI |\n|---|---|---|\n";
  out << fmt::format("| Images | {} | |\n", r.images);
  out << fmt::format("| Accuracy (top-1) | **{:.4f}** | [{:.4f}, {:.4f}] |\n", r.accuracy.value,
                     r.accuracy.low, r.accuracy.high);
  out << fmt::format("| Macro-F1 | **{:.4f}** | [{:.4f}, {:.4f}] |\n", r.macro_f1.value,
                     r.macro_f1.low, r.macro_f1.high);
  out << fmt::format("| Accuracy (authors' rule) | {:.4f} | |\n\n", r.rule_accuracy);
  out << "| Class | Images | Predicted | Precision | Recall | F1 |\n|---|---|---|---|---|---|\n";
  for (const auto& c : r.classes)
    out << fmt::format("| {} | {} | {} | {:.4f} | {:.4f} | {:.4f} |\n", capitalize(c.cls),
                       c.support, c.predicted, c.precision, c.recall, c.f1);
  out << fmt::format("\nBootstrap: {} resamples by {} ({} units), seed {}, percentile 95% CI.",
                     r.iterations, r.group_by, r.units, r.seed);
  if (r.skipped)
    out << fmt::format(" {} images skipped by the layout (other split or no label).", r.skipped);
  out << "\n";
  return out.str();
}

std::string dataset_transfer_json(const DatasetTransferReport& r) {
  nlohmann::ordered_json j;
  j["dataset"] = r.dataset;
  j["layout"] = r.layout;
  j["mapping"] = r.mapping;
  j["images"] = r.images;
  j["skipped"] = r.skipped;
  j["group_by"] = r.group_by;
  j["units"] = r.units;
  j["bootstrap"] = {{"iterations", r.iterations}, {"seed", r.seed}, {"interval", 0.95}};
  j["accuracy"] = {{"value", r.accuracy.value}, {"low", r.accuracy.low}, {"high", r.accuracy.high}};
  j["macro_f1"] = {{"value", r.macro_f1.value}, {"low", r.macro_f1.low}, {"high", r.macro_f1.high}};
  j["rule_accuracy"] = r.rule_accuracy;
  auto& cl = j["classes"] = nlohmann::ordered_json::array();
  for (const auto& c : r.classes)
    cl.push_back({{"class", c.cls},
                  {"images", c.support},
                  {"predicted", c.predicted},
                  {"correct", c.correct},
                  {"precision", c.precision},
                  {"recall", c.recall},
                  {"f1", c.f1}});
  auto& cm = j["confusion"] = nlohmann::ordered_json::object();
  for (const auto& [truth, row] : r.confusion)
    for (const auto& [pred, n] : row) cm[truth][pred] = n;
  return j.dump(2) + "\n";
}

std::string dataset_transfer_csv(const DatasetTransferReport& r) {
  std::ostringstream out;
  CsvWriter w(out);
  w.write_row({"row", "images", "predicted", "correct", "precision", "recall", "f1", "value", "low",
               "high"});
  for (const auto& c : r.classes)
    w.write_row({c.cls, std::to_string(c.support), std::to_string(c.predicted),
                 std::to_string(c.correct), fmt::format("{:.6f}", c.precision),
                 fmt::format("{:.6f}", c.recall), fmt::format("{:.6f}", c.f1), "", "", ""});
  w.write_row({"accuracy", std::to_string(r.images), "", "", "", "", "",
               fmt::format("{:.6f}", r.accuracy.value), fmt::format("{:.6f}", r.accuracy.low),
               fmt::format("{:.6f}", r.accuracy.high)});
  w.write_row({"macro_f1", std::to_string(r.images), "", "", "", "", "",
               fmt::format("{:.6f}", r.macro_f1.value), fmt::format("{:.6f}", r.macro_f1.low),
               fmt::format("{:.6f}", r.macro_f1.high)});
  w.write_row({"rule_accuracy", std::to_string(r.images), "", "", "", "", "",
               fmt::format("{:.6f}", r.rule_accuracy), "", ""});
  return out.str();
}

}  // namespace emonet::bench
