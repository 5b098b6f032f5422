// train_heads: the `emonet train heads` job (include/emonet/train.h, docs/train.md).
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "emonet/embed.h"
#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/progress.h"
#include "emonet/strings.h"
#include "emonet/taxonomy.h"
#include "emonet/train.h"

namespace fs = std::filesystem;

namespace emonet::train {

namespace {

std::uint64_t fnv1a64(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

std::uint64_t mix(std::uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// The id's stem: after the last '/', without the extension ("a/00012.png" -> "00012").
std::string stem_of(const std::string& id) {
  std::string s = id.substr(id.find_last_of('/') + 1);
  const auto dot = s.find_last_of('.');
  return dot == std::string::npos || dot == 0 ? s : s.substr(0, dot);
}

// Fisher-Yates with our own generator: std::shuffle's result differs between libraries.
void shuffle(std::vector<std::size_t>& v, std::uint64_t seed) {
  for (std::size_t i = v.size(); i > 1; --i) {
    seed = mix(seed);
    std::swap(v[i - 1], v[std::size_t(seed % i)]);
  }
}

struct Metrics {
  double loss = 0, pearson = 0;
};

// Masked MSE (mean over heads with labels) and mean Pearson r over heads with >= 2 labels.
Metrics evaluate(HeadsTrainer& tr, const Embeddings& emb, const std::vector<std::size_t>& rows,
                 const std::vector<float>& targets, const std::vector<char>& trained,
                 std::int64_t batch) {
  const std::size_t H = tr.heads(), D = emb.hidden;
  std::vector<float> x, out(std::size_t(batch) * H), pred(rows.size() * H);
  for (std::size_t s = 0; s < rows.size(); s += std::size_t(batch)) {
    const std::size_t n = std::min(rows.size() - s, std::size_t(batch));
    x.resize(n * D);
    for (std::size_t i = 0; i < n; ++i)
      std::copy_n(emb.data.data() + rows[s + i] * D, D, x.data() + i * D);
    tr.predict(x.data(), std::int64_t(n), out.data());
    std::copy_n(out.data(), n * H, pred.data() + s * H);
  }
  Metrics m;
  int nl = 0, np = 0;
  for (std::size_t g = 0; g < H; ++g) {
    if (!trained[g]) continue;
    double sse = 0, sy = 0, st = 0, syy = 0, stt = 0, syt = 0;
    std::size_t n = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const double t = targets[rows[i] * H + g];
      if (std::isnan(t)) continue;
      const double y = pred[i * H + g];
      sse += (y - t) * (y - t);
      sy += y, st += t, syy += y * y, stt += t * t, syt += y * t;
      ++n;
    }
    if (n == 0) continue;
    m.loss += sse / double(n);
    ++nl;
    const double cov = syt - sy * st / double(n), vy = syy - sy * sy / double(n),
                 vt = stt - st * st / double(n);
    if (n >= 2 && vy > 0 && vt > 0) {
      m.pearson += cov / std::sqrt(vy * vt);
      ++np;
    }
  }
  m.loss = nl ? m.loss / nl : std::numeric_limits<double>::quiet_NaN();
  m.pearson = np ? m.pearson / np : std::numeric_limits<double>::quiet_NaN();
  return m;
}

void write_neutral_stats(HeadsTrainer& tr, const std::string& variant, const Embeddings& neutral,
                         const std::string& heads_dir, TrainSummary& summary) {
  const std::size_t H = tr.heads(), n = neutral.ids.size();
  std::vector<float> out(n * H);
  constexpr std::size_t kChunk = 256;
  for (std::size_t s = 0; s < n; s += kChunk) {
    const std::size_t k = std::min(kChunk, n - s);
    tr.predict(neutral.data.data() + s * neutral.hidden, std::int64_t(k), out.data() + s * H);
  }
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (std::size_t g = 0; g < H; ++g) {
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) sum += out[i * H + g];
    const double mean = sum / double(n);
    double var = 0;
    for (std::size_t i = 0; i < n; ++i) var += (out[i * H + g] - mean) * (out[i * H + g] - mean);
    const std::string key(categories()[g].head_key);
    if (variant == "small")
      j[key] = mean;
    else
      j[key] = {{"mean", mean}, {"std", std::sqrt(var / double(n))}};
  }
  summary.neutral_json =
      heads_dir + (variant == "small" ? "/EmoNet-Face-Small-average-scores-for-neutral-faces.json"
                                      : "/neutral_stats_cache-_human-binary-big-mlps.json");
  write_file_atomic(summary.neutral_json, j.dump(2) + "\n");
}

}  // namespace

Embeddings load_embeddings(const std::string& path) {
  std::vector<std::string> files;
  if (fs::is_directory(path)) {
    for (const auto& e : fs::directory_iterator(path)) {
      const std::string name = e.path().filename().string();
      if (starts_with(name, "embeddings-") && ends_with(name, ".npy")) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) throw Error("no embeddings-*.npy shards in the folder", {path, 0, ""});
  } else {
    files.push_back(path);
  }
  Embeddings out;
  std::unordered_map<std::string, std::string> seen;
  for (const auto& f : files) {
    auto shard = data::read_embeddings(f);
    if (out.hidden == 0) {
      out.hidden = shard.hidden;
      out.model = shard.model;
    } else if (shard.hidden != out.hidden) {
      throw Error("embedding width " + std::to_string(shard.hidden) + " differs from " +
                      std::to_string(out.hidden) + " of the other shards",
                  {f, 0, "hidden"});
    }
    for (const auto& id : shard.ids)
      if (auto [it, ok] = seen.emplace(id, f); !ok)
        throw Error("image '" + id + "' is also in " + it->second, {f, 0, "id"});
    out.ids.insert(out.ids.end(), shard.ids.begin(), shard.ids.end());
    out.data.insert(out.data.end(), shard.data.begin(), shard.data.end());
  }
  if (out.ids.empty()) throw Error("no embeddings", {path, 0, ""});
  return out;
}

std::vector<std::size_t> join_ids(const std::vector<std::string>& label_ids,
                                  const std::vector<std::string>& embedding_ids) {
  std::unordered_map<std::string, std::size_t> by_id, by_stem;
  for (std::size_t i = 0; i < embedding_ids.size(); ++i) {
    by_id.emplace(embedding_ids[i], i);
    auto [it, ok] = by_stem.emplace(stem_of(embedding_ids[i]), i);
    if (!ok) it->second = SIZE_MAX;  // ambiguous stem
  }
  std::vector<std::size_t> out;
  out.reserve(label_ids.size());
  for (const auto& id : label_ids) {
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      it = by_stem.find(stem_of(id));
      if (it == by_stem.end()) {
        out.push_back(SIZE_MAX);
        continue;
      }
    }
    out.push_back(it->second);
  }
  return out;
}

TrainSummary train_heads(const TrainOptions& o, std::ostream& log) {
  if (o.out.empty()) throw Error("no output folder", {"", 0, "--out"});
  if (o.neutral.empty())
    throw Error("the neutral statistics need neutral faces' embeddings", {"", 0, "--neutral"});
  if (o.epochs <= 0 || o.batch <= 0) throw Error("epochs and batch must be positive");
  if (!(o.val_fraction >= 0 && o.val_fraction < 1))
    throw Error("must be in [0, 1)", {"", 0, "--val-fraction"});
  Embeddings emb = load_embeddings(o.embeddings);
  const Embeddings neutral = load_embeddings(o.neutral);
  if (neutral.hidden != emb.hidden)
    throw Error("neutral embeddings have width " + std::to_string(neutral.hidden) + ", not " +
                    std::to_string(emb.hidden),
                {o.neutral, 0, ""});
  const LabelSet labels = read_labels(o.labels, o.label_format);

  // Join: exact image id, else the id's stem (binary.csv says "00012" for "00012.png").
  const auto match = join_ids(labels.ids, emb.ids);
  TrainSummary summary;
  std::vector<std::size_t> rows;        // embedding row per labelled image
  std::vector<float> targets;           // per joined image, kHeads wide
  std::vector<std::string> joined_ids;  // for the split
  for (std::size_t i = 0; i < labels.ids.size(); ++i) {
    if (match[i] == SIZE_MAX) {
      ++summary.unmatched_labels;
      continue;
    }
    rows.push_back(match[i]);
    joined_ids.push_back(emb.ids[match[i]]);
    targets.insert(targets.end(), labels.targets.begin() + std::ptrdiff_t(i * kHeads),
                   labels.targets.begin() + std::ptrdiff_t((i + 1) * kHeads));
  }
  if (rows.empty())
    throw Error("none of the " + std::to_string(labels.ids.size()) +
                    " labelled images is in the embeddings cache " + o.embeddings,
                {o.labels, 0, ""});
  summary.images = rows.size();
  if (summary.unmatched_labels)
    log << "emonet: " << summary.unmatched_labels << " labelled images are not in " << o.embeddings
        << " (skipped)\n";

  MlpShape shape = variant_shape(o.variant, int(emb.hidden));
  if (!o.hidden.empty()) {
    const float rate = shape.dropout.front();
    shape.dims = {int(emb.hidden)};
    for (int w : o.hidden) {
      if (w <= 0) throw Error("hidden widths must be positive", {"", 0, "--hidden"});
      shape.dims.push_back(w);
    }
    shape.dims.push_back(1);
    shape.dropout.assign(o.hidden.size(), rate);
  }
  HeadsTrainer tr(shape, kHeads, o.seed, AdamW{0.9, 0.999, 1e-8, o.weight_decay});
  tr.set_dropout(o.dropout);
  std::vector<model::Head> init;
  if (!o.init.empty()) {
    const std::string dir = fs::is_directory(o.init + "/heads") ? o.init + "/heads" : o.init;
    init = model::load_heads(dir, {true});
    for (const auto& h : init) tr.set_head(lookup(h.key).index, h);
  }
  std::vector<char> trained(kHeads, 0);
  std::vector<std::string> untrained_uninit;
  for (std::size_t g = 0; g < kHeads; ++g) {
    const auto key = std::string(categories()[g].head_key);
    bool any = false;
    for (std::size_t i = 0; i < rows.size() && !any; ++i)
      any = !std::isnan(targets[i * kHeads + g]);
    trained[g] = any;
    (any ? summary.trained_heads : summary.frozen_heads).push_back(key);
    tr.set_frozen(g, !any);
    const bool initialised =
        std::any_of(init.begin(), init.end(), [&](const model::Head& h) { return h.key == key; });
    if (!any && !initialised) untrained_uninit.push_back(key);
  }
  if (!untrained_uninit.empty())
    throw Error(
        "no labels for " + join(untrained_uninit, ", ") + "; give --init with heads to carry over",
        {o.labels, 0, ""});

  // Validation split by image id hash and seed: stable under reordering of either file.
  std::vector<std::size_t> train_idx, val_idx;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const double u = double(mix(fnv1a64(joined_ids[i]) ^ mix(o.seed)) >> 11) * 0x1.0p-53;
    (u < o.val_fraction ? val_idx : train_idx).push_back(i);
  }
  if (train_idx.empty()) throw Error("no training images left after the validation split");
  summary.train = train_idx.size();
  summary.val = val_idx.size();

  // Targets and embeddings in joined order for batching.
  Embeddings joined;
  joined.hidden = emb.hidden;
  joined.data.resize(rows.size() * emb.hidden);
  for (std::size_t i = 0; i < rows.size(); ++i)
    std::copy_n(emb.data.data() + rows[i] * emb.hidden, emb.hidden,
                joined.data.data() + i * emb.hidden);
  std::vector<float>().swap(emb.data);  // only the joined copy is needed from here on

  const auto steps_per_epoch =
      std::int64_t((train_idx.size() + std::size_t(o.batch) - 1) / std::size_t(o.batch));
  const std::int64_t total = steps_per_epoch * o.epochs;
  const auto warmup = std::int64_t(std::llround(o.warmup * double(total)));
  const std::size_t D = emb.hidden;
  std::vector<float> xb(std::size_t(o.batch) * D), tb(std::size_t(o.batch) * kHeads);
  std::vector<float> best = tr.snapshot();
  double best_loss = std::numeric_limits<double>::infinity();
  int since_best = 0;
  std::vector<std::size_t> order = train_idx;
  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    shuffle(order, mix(o.seed + std::uint64_t(epoch)));
    std::unique_ptr<Progress> progress;
    if (o.progress)
      progress = std::make_unique<Progress>("epoch " + std::to_string(epoch), order.size());
    double loss_sum = 0;
    EpochStats es;
    es.epoch = epoch;
    for (std::size_t s = 0; s < order.size(); s += std::size_t(o.batch)) {
      const std::size_t n = std::min(order.size() - s, std::size_t(o.batch));
      for (std::size_t i = 0; i < n; ++i) {
        std::copy_n(joined.data.data() + order[s + i] * D, D, xb.data() + i * D);
        std::copy_n(targets.data() + order[s + i] * kHeads, kHeads, tb.data() + i * kHeads);
      }
      es.lr = schedule_lr(tr.steps_taken(), warmup, total, o.lr, o.min_lr);
      loss_sum += tr.step(xb.data(), tb.data(), std::int64_t(n), es.lr);
      if (progress) progress->tick(n);
    }
    if (progress) progress->finish();
    es.train_loss = loss_sum / double(steps_per_epoch);
    const Metrics vm = val_idx.empty()
                           ? Metrics{es.train_loss, std::numeric_limits<double>::quiet_NaN()}
                           : evaluate(tr, joined, val_idx, targets, trained, o.batch);
    es.val_loss = vm.loss;
    es.val_pearson = vm.pearson;
    summary.epochs.push_back(es);
    char line[200];
    std::snprintf(line, sizeof line,
                  "epoch %d/%d  lr %.3g  train loss %.5f  val loss %.5f  val pearson %.4f", epoch,
                  o.epochs, es.lr, es.train_loss, es.val_loss, es.val_pearson);
    log << line << "\n";
    if (es.val_loss < best_loss) {
      best_loss = es.val_loss;
      best = tr.snapshot();
      summary.best_epoch = epoch;
      since_best = 0;
    } else if (++since_best >= o.patience) {
      log << "early stop: no validation improvement for " << o.patience << " epochs; keeping epoch "
          << summary.best_epoch << "\n";
      break;
    }
  }
  tr.restore(best);

  // The published layout: OUT/heads/model_<key>_best.pth + neutral stats, OUT/siglip.
  summary.heads_dir = o.out + "/heads";
  fs::create_directories(summary.heads_dir);
  for (std::size_t g = 0; g < kHeads; ++g) {
    const auto key = std::string(categories()[g].head_key);
    write_head_pth(summary.heads_dir + "/" + key + ".pth", tr.head(g, key));
  }
  write_neutral_stats(tr, o.variant, neutral, summary.heads_dir, summary);
  std::string siglip = o.siglip;
  if (siglip.empty() && !emb.model.empty() && fs::is_directory(emb.model + "/siglip"))
    siglip = emb.model + "/siglip";
  const fs::path link = o.out + "/siglip";
  if (!siglip.empty()) {
    std::error_code ec;
    fs::remove(link, ec);
    fs::create_directory_symlink(fs::absolute(siglip), link);
  } else {
    log << "emonet: no SigLIP folder known (give --siglip): " << o.out << " holds the heads only\n";
  }
  nlohmann::ordered_json rec;
  rec["format"] = "emonet-train-1";
  rec["variant"] = o.variant;
  rec["embeddings"] = o.embeddings;
  rec["embeddings_model"] = emb.model;
  rec["labels"] = o.labels;
  rec["label_format"] = labels.format;
  rec["init"] = o.init;
  rec["neutral"] = o.neutral;
  rec["seed"] = o.seed;
  rec["threads"] = omp_get_max_threads();
  rec["options"] = {{"epochs", o.epochs},
                    {"batch", o.batch},
                    {"lr", o.lr},
                    {"min_lr", o.min_lr},
                    {"weight_decay", o.weight_decay},
                    {"warmup", o.warmup},
                    {"val_fraction", o.val_fraction},
                    {"patience", o.patience},
                    {"dropout", o.dropout}};
  rec["images"] = {{"joined", summary.images},
                   {"train", summary.train},
                   {"val", summary.val},
                   {"unmatched_labels", summary.unmatched_labels}};
  rec["trained_heads"] = summary.trained_heads;
  rec["frozen_heads"] = summary.frozen_heads;
  rec["best_epoch"] = summary.best_epoch;
  for (const auto& e : summary.epochs)
    rec["epochs"].push_back(
        {{"epoch", e.epoch},
         {"lr", e.lr},
         {"train_loss", e.train_loss},
         {"val_loss",
          std::isnan(e.val_loss) ? nlohmann::ordered_json() : nlohmann::ordered_json(e.val_loss)},
         {"val_pearson", std::isnan(e.val_pearson) ? nlohmann::ordered_json()
                                                   : nlohmann::ordered_json(e.val_pearson)}});
  write_file_atomic(o.out + "/train.json", rec.dump(2) + "\n");
  return summary;
}

}  // namespace emonet::train
