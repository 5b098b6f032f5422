// `emonet train report`: heads trained on a learnable task rank the experts' Binary votes
// far better than heads trained on noise, and both appear as annotators of the HQ
// analysis next to the humans' own agreement.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <sstream>

#include "emonet/embed.h"
#include "emonet/files.h"
#include "emonet/taxonomy.h"
#include "emonet/train.h"
#include "support/test_paths.h"

namespace emonet::train {
namespace {

TEST(TrainReport, LearnedHeadsBeatNoiseOnBinaryAndJoinHq) {
  test::TempDir t;
  const std::size_t d = 16, n = 600;
  std::mt19937_64 rng(11);
  std::normal_distribution<float> nd;
  auto unit = [&](std::size_t rows) {
    std::vector<float> x(rows * d);
    for (std::size_t i = 0; i < rows; ++i) {
      double s = 0;
      for (std::size_t j = 0; j < d; ++j) s += double(x[i * d + j] = nd(rng)) * x[i * d + j];
      for (std::size_t j = 0; j < d; ++j) x[i * d + j] /= float(std::sqrt(s));
    }
    return x;
  };
  const auto dirs = unit(kHeads), x = unit(n);
  auto side = [&](std::size_t g, std::size_t i) {
    double s = 0;
    for (std::size_t j = 0; j < d; ++j) s += double(dirs[g * d + j]) * x[i * d + j];
    return s > 0;
  };
  data::EmbeddingShard shard;
  shard.hidden = d;
  shard.model = "synthetic";
  shard.data = x;
  for (std::size_t i = 0; i < n; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "%05zu.png", i);
    shard.ids.push_back(id);
    shard.hashes.push_back(std::string(64, '0'));
  }
  std::filesystem::create_directories(t.file("emb"));
  data::write_embeddings(t.file("emb/embeddings-00000-of-00001.npy"), shard);
  std::ostringstream good, noise, binary, hq;
  good << "file_name";
  for (const auto& c : categories()) good << "," << c.head_key;
  noise << good.str() << "\n";
  good << "\n";
  binary << "path,annotator,value,emotion\n";
  hq << "image,annotator,annotations,human\n";
  for (std::size_t i = 0; i < n; ++i) {
    good << shard.ids[i];
    noise << shard.ids[i];
    for (std::size_t g = 0; g < kHeads; ++g) {
      good << "," << (side(g, i) ? 1 : 0);
      noise << "," << (rng() % 2);
    }
    good << "\n";
    noise << "\n";
    // Binary (ids without extension, as the authors' file): two emotions, three experts.
    for (std::size_t g : {i % 40, (i * 7 + 3) % 40})
      for (int a = 0; a < 3; ++a)
        binary << shard.ids[i].substr(0, 5) << ",human-" << a << ","
               << ((side(g, i) != (a == 2 && i % 5 == 0)) ? "True" : "False") << ","
               << categories()[g].name << "\n";
    if (i < 40)
      for (int a = 0; a < 2; ++a) {
        hq << shard.ids[i] << ",human-" << a + 1 << ",\"{";
        for (std::size_t g = 0; g < 40; ++g)
          hq << (g ? ", " : "") << "'" << categories()[g].hq_key
             << "': " << (side(g, i) ? 5 + a : a);
        hq << "}\",True\n";
      }
  }
  write_file_atomic(t.file("good.csv"), good.str());
  write_file_atomic(t.file("noise.csv"), noise.str());
  write_file_atomic(t.file("binary.csv"), binary.str());
  write_file_atomic(t.file("hq.csv"), hq.str());
  for (const char* name : {"good", "noise"}) {
    const auto r =
        test::run_cli("-q train heads --embeddings '" + t.file("emb") + "' --labels '" +
                      t.file(std::string(name) + ".csv") + "' --neutral '" + t.file("emb") +
                      "' --variant small --hidden 32,16 --epochs 10 --batch 64 "
                      "--lr 0.005 --threads 1 --out '" +
                      t.file(name) + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  ReportOptions o;
  o.heads = {t.file("good"), t.file("noise")};
  o.embeddings = t.file("emb");
  o.binary = t.file("binary.csv");
  o.hq = t.file("hq.csv");
  o.bootstrap = 50;
  std::ostringstream log;
  const auto rep = train_report(o, log);
  ASSERT_EQ(rep.rows.size(), 2u);
  EXPECT_EQ(rep.rows[0].name, "good");
  EXPECT_EQ(rep.rows[0].binary_pairs, 2 * n);
  EXPECT_GT(rep.rows[0].binary_auc, 0.85);
  EXPECT_GT(rep.rows[0].binary_auc, rep.rows[1].binary_auc + 0.2);
  EXPECT_NEAR(rep.binary_expert_unanimous, 0.8, 1e-9);  // every fifth image has a 2:1 pair
  EXPECT_EQ(rep.hq_images, 40u);
  EXPECT_FALSE(std::isnan(rep.rows[0].hq_kappa));
  EXPECT_FALSE(std::isnan(rep.rows[0].hq_rho));
  EXPECT_GT(rep.rows[0].hq_rho, rep.rows[1].hq_rho);
  const auto md = rep.markdown();
  EXPECT_NE(md.find("| good |"), std::string::npos) << md;
  // The CLI prints the same table.
  const auto cli = test::run_cli("-q train report --heads '" + t.file("good") + "' --embeddings '" +
                                 t.file("emb") + "' --binary '" + t.file("binary.csv") + "'");
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_NE(cli.out.find("| good |"), std::string::npos) << cli.out;
}

}  // namespace
}  // namespace emonet::train
