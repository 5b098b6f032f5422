// `emonet train heads` end to end: a learnable synthetic task reaches a stated accuracy,
// reruns with one seed and thread count give identical files, and the output folder
// loads unchanged in `emonet predict` and in PyTorch with equal outputs.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "emonet/embed.h"
#include "emonet/files.h"
#include "emonet/model_files.h"
#include "emonet/npy.h"
#include "emonet/taxonomy.h"
#include "emonet/train.h"
#include "support/test_paths.h"

namespace emonet::train {
namespace {

namespace fs = std::filesystem;
const std::string kModel = std::string(EMONET_ENGINE_FIXTURES) + "/model";
const std::string kImages = std::string(EMONET_SCALE_OUT_FIXTURES) + "/images/metadata.csv";

std::vector<float> unit_rows(std::size_t n, std::size_t d, std::mt19937_64& rng) {
  std::normal_distribution<float> nd;
  std::vector<float> x(n * d);
  for (std::size_t i = 0; i < n; ++i) {
    double norm = 0;
    for (std::size_t j = 0; j < d; ++j) norm += double(x[i * d + j] = nd(rng)) * x[i * d + j];
    for (std::size_t j = 0; j < d; ++j) x[i * d + j] /= float(std::sqrt(norm));
  }
  return x;
}

void write_cache(const std::string& dir, const std::string& prefix, const std::vector<float>& x,
                 std::size_t d) {
  fs::create_directories(dir);
  data::EmbeddingShard s;
  s.hidden = d;
  s.model = "synthetic";
  s.data = x;
  for (std::size_t i = 0; i < x.size() / d; ++i) {
    s.ids.push_back(prefix + std::to_string(i) + ".png");
    s.hashes.push_back(std::string(64, '0'));
  }
  data::write_embeddings(dir + "/embeddings-00000-of-00001.npy", s);
}

// Plain forward of a loaded head (independent of the trainer's oneDNN code).
double forward(const model::Head& h, const float* x) {
  std::vector<double> a(x, x + h.layers[0].in), b;
  for (std::size_t l = 0; l < h.layers.size(); ++l) {
    const auto& L = h.layers[l];
    b.assign(std::size_t(L.out), 0.0);
    for (int o = 0; o < L.out; ++o) {
      double s = L.bias[std::size_t(o)];
      for (int i = 0; i < L.in; ++i)
        s += double(L.weight[std::size_t(o * L.in + i)]) * a[std::size_t(i)];
      b[std::size_t(o)] = l + 1 < h.layers.size() ? std::max(0.0, s) : s;
    }
    a.swap(b);
  }
  return a[0];
}

struct Synthetic {
  test::TempDir t;
  std::size_t d = 24;
  std::vector<std::vector<float>> directions;  // per head
  Synthetic() {
    std::mt19937_64 rng(42);
    directions.resize(kHeads);
    for (auto& u : directions) u = unit_rows(1, d, rng);
    const auto x = unit_rows(1500, d, rng);
    write_cache(t.file("emb"), "img", x, d);
    write_cache(t.file("neutral"), "neutral", unit_rows(50, d, rng), d);
    // Target: 1 where the embedding lies on the positive side of the head's direction.
    std::ostringstream csv;
    csv << "file_name";
    for (const auto& c : categories()) csv << "," << c.head_key;
    csv << "\n";
    for (std::size_t i = 0; i < 1500; ++i) {
      csv << "img" << i << ".png";
      for (std::size_t g = 0; g < kHeads; ++g) csv << "," << (label(g, &x[i * d]) ? 1 : 0);
      csv << "\n";
    }
    write_file_atomic(t.file("metadata.csv"), csv.str());
  }
  bool label(std::size_t g, const float* x) const {
    double s = 0;
    for (std::size_t j = 0; j < d; ++j) s += double(directions[g][j]) * x[j];
    return s > 0;
  }
  test::CommandResult train(const std::string& out, const std::string& extra = "",
                            int epochs = 12) const {
    return test::run_cli("-q train heads --embeddings '" + t.file("emb") + "' --labels '" +
                         t.file("metadata.csv") + "' --neutral '" + t.file("neutral") +
                         "' --variant small --hidden 32,16 --epochs " + std::to_string(epochs) +
                         " --batch 64 --lr 0.005 --threads 1 --out '" + t.file(out) + "' " + extra);
  }
};

TEST(TrainHeads, SyntheticTaskReachesNinetyPercentOnFreshImages) {
  Synthetic s;
  const auto r = s.train("out", "--seed 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto heads = model::load_heads(s.t.file("out/heads"));
  ASSERT_EQ(heads.size(), kHeads);
  std::mt19937_64 rng(7);
  const auto fresh = unit_rows(500, s.d, rng);
  std::size_t correct = 0;
  for (std::size_t g = 0; g < kHeads; ++g)
    for (std::size_t i = 0; i < 500; ++i)
      correct += (forward(heads[g], &fresh[i * s.d]) > 0.5) == s.label(g, &fresh[i * s.d]);
  const double accuracy = double(correct) / double(kHeads * 500);
  EXPECT_GE(accuracy, 0.90) << "stated accuracy for this task: >= 90 % (chance: 50 %)";
  // Neutral statistics: the mean raw output over the neutral embeddings, Small's flat shape.
  const auto stats = model::load_neutral_stats(
      s.t.file("out/heads/EmoNet-Face-Small-average-scores-for-neutral-faces.json"));
  EXPECT_EQ(stats.shape, model::NeutralStats::Shape::FlatMean);
  const auto neutral = data::read_embeddings(s.t.file("neutral/embeddings-00000-of-00001.npy"));
  for (std::size_t g : {std::size_t(0), std::size_t(43)}) {
    double mean = 0;
    for (std::size_t i = 0; i < 50; ++i) mean += forward(heads[g], &neutral.data[i * s.d]) / 50;
    EXPECT_NEAR(stats.mean_for(heads[g].key), mean, 1e-4);
  }
  const auto rec = nlohmann::json::parse(read_file(s.t.file("out/train.json")));
  EXPECT_EQ(rec["trained_heads"].size(), kHeads);
  EXPECT_GE(rec["epochs"].size(), 1u);
  EXPECT_LT(rec["epochs"].back()["train_loss"].get<double>(),
            rec["epochs"].front()["train_loss"].get<double>());
}

TEST(TrainHeads, SameSeedAndThreadsGiveIdenticalFiles) {
  Synthetic s;
  ASSERT_EQ(s.train("a", "--seed 5", 2).exit_code, 0);
  ASSERT_EQ(s.train("b", "--seed 5", 2).exit_code, 0);
  ASSERT_EQ(s.train("c", "--seed 6", 2).exit_code, 0);
  const std::string f = "/heads/model_anger_best.pth";
  EXPECT_EQ(read_file(s.t.file("a") + f), read_file(s.t.file("b") + f));
  EXPECT_NE(read_file(s.t.file("a") + f), read_file(s.t.file("c") + f));
}

TEST(TrainHeads, MissingLabelsWithoutInitAreRefusedAndInitCarriesHeadsOver) {
  Synthetic s;
  write_file_atomic(s.t.file("few.csv"), "file_name,Anger\nimg1.png,1\nimg2.png,0\nimg3.png,1\n");
  auto r =
      test::run_cli("-q train heads --embeddings '" + s.t.file("emb") + "' --labels '" +
                    s.t.file("few.csv") + "' --neutral '" + s.t.file("neutral") +
                    "' --variant small --hidden 32,16 --epochs 1 --out '" + s.t.file("x") + "'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("model_elation_best"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--init"), std::string::npos) << r.err;
  ASSERT_EQ(s.train("base", "", 1).exit_code, 0);
  r = test::run_cli("-q train heads --embeddings '" + s.t.file("emb") + "' --labels '" +
                    s.t.file("few.csv") + "' --neutral '" + s.t.file("neutral") +
                    "' --variant small --hidden 32,16 --epochs 1 --val-fraction 0 --init '" +
                    s.t.file("base") + "' --out '" + s.t.file("tuned") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string elation = "/heads/model_elation_best.pth",
                    anger = "/heads/model_anger_best.pth";
  const auto a = model::load_head(s.t.file("base") + elation, "e");
  const auto b = model::load_head(s.t.file("tuned") + elation, "e");
  EXPECT_TRUE(
      std::equal(a.layers[0].weight.begin(), a.layers[0].weight.end(), b.layers[0].weight.begin()))
      << "an unlabelled head must be carried over unchanged";
  EXPECT_NE(read_file(s.t.file("base") + anger), read_file(s.t.file("tuned") + anger));
}

TEST(TrainHeads, TrainedFolderLoadsInPredictAndPyTorchWithEqualOutputs) {
  test::TempDir t;
  auto r = test::run_cli("-q embed --model '" + kModel + "' --precision fp32 --threads 1 --out '" +
                         t.file("emb") + "' '" + kImages + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto emb = data::read_embeddings(t.file("emb/embeddings-00000-of-00001.npy"));
  std::ostringstream csv;
  csv << "file_name";
  for (const auto& c : categories()) csv << "," << c.head_key;
  csv << "\n";
  for (std::size_t i = 0; i < emb.ids.size(); ++i) {
    csv << emb.ids[i];
    for (std::size_t g = 0; g < kHeads; ++g) csv << "," << double((i * 7 + g * 3) % 8);
    csv << "\n";
  }
  write_file_atomic(t.file("labels.csv"), csv.str());
  r = test::run_cli("-q train heads --embeddings '" + t.file("emb") + "' --labels '" +
                    t.file("labels.csv") + "' --neutral '" + t.file("emb") +
                    "' --variant large --hidden 16,8,4 --epochs 2 --batch 8 --threads 1 --out '" +
                    t.file("model") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(fs::is_symlink(t.file("model/siglip")))
      << "siglip is linked from the embeddings' model";
  r = test::run_cli("-q predict --model '" + t.file("model") +
                    "' --precision fp32 --threads 1 --batch 1 '" + kImages + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // PyTorch on the cached embeddings: heads in sorted file-name order.
  write_npy(t.file("x.npy"), emb.data.data(), {emb.ids.size(), emb.hidden});
  const std::string cmd = "/usr/bin/python3 '" +
                          test::source_path("tests/fixtures/train_reference.py") +
                          "' check-pth --heads '" + t.file("model/heads") + "' --x '" +
                          t.file("x.npy") + "' --out '" + t.file("y.npy") + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const auto y = read_npy(t.file("y.npy"));
  std::vector<std::string> files;
  for (const auto& c : categories()) files.push_back(std::string(c.head_key) + ".pth");
  std::vector<std::string> sorted = files;
  std::sort(sorted.begin(), sorted.end());
  std::map<std::string, std::size_t> row_of;
  for (std::size_t i = 0; i < emb.ids.size(); ++i) row_of[emb.ids[i]] = i;
  std::istringstream lines(r.out);
  std::string line;
  std::size_t records = 0;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    const std::size_t row = row_of.at(j["image_path"].get<std::string>());
    for (std::size_t k = 0; k < sorted.size(); ++k) {
      const std::string key = sorted[k].substr(0, sorted[k].size() - 4);
      EXPECT_NEAR(j["results"][key]["raw"].get<double>(), y.data[row * kHeads + k], 1e-4)
          << j["image_path"] << " " << key;
    }
    ++records;
  }
  EXPECT_EQ(records, emb.ids.size());
}

}  // namespace
}  // namespace emonet::train
