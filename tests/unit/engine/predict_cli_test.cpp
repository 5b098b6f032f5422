// `emonet predict` end to end on the tiny model: the authors' JSONL layout with values
// equal to the PyTorch reference on the same PNG files, the other formats, embeddings,
// and a corrupt image that is reported while the others are still scored.
#include <gtest/gtest.h>

#include <sstream>

#include "emonet/predict.h"
#include "engine_test_util.h"
#include "support/test_paths.h"

namespace emonet {
namespace {

const std::string kDir = EMONET_ENGINE_FIXTURES;

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string l;
  while (std::getline(in, l))
    if (!l.empty()) out.push_back(l);
  return out;
}

std::string predict(const std::string& args) {
  // fp32 explicitly: these tests compare with the fp32 reference (the default is auto).
  return "-q predict --model '" + kDir + "/model' --threads 1 --precision fp32 " + args;
}

TEST(PredictCli, WritesTheAuthorsJsonlLayoutWithReferenceValues) {
  const auto r = test::run_cli(predict("'" + kDir + "/images'"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = lines(r.out);
  const auto ref = test::read_reference(kDir + "/ref_images/predictions.jsonl");
  ASSERT_EQ(out.size(), 3u);
  const char* names[3] = {"a_rgb.png", "b_gray.png", "c_rgba.png"};
  for (std::size_t i = 0; i < 3; ++i) {
    const auto j = nlohmann::json::parse(out[i]);
    EXPECT_EQ(j["image_path"], kDir + "/images/" + names[i]);
    ASSERT_TRUE(j["results"].is_object());
    EXPECT_EQ(j["results"].size(), 44u);
    std::size_t nulls = 0;
    for (const auto& [key, v] : j["results"].items()) {
      ASSERT_EQ(v.size(), 3u) << key;
      const auto& rr = ref[i].at(key);
      EXPECT_NEAR(v["raw"].get<double>(), rr.raw, 2e-4) << key;
      EXPECT_NEAR(v["mean_subtracted"].get<double>(), rr.mean_subtracted, 2e-4) << key;
      if (v["softmax"].is_null()) {
        ++nulls;
        EXPECT_TRUE(std::isnan(rr.softmax)) << key;
      } else {
        EXPECT_NEAR(v["softmax"].get<double>(), rr.softmax, 1e-5) << key;
      }
    }
    EXPECT_EQ(nulls, 4u);
    EXPECT_TRUE(j["results"]["model_valence_best"]["softmax"].is_null());
  }
}

TEST(PredictCli, DefaultPrecisionIsAutoAndHelpSaysSo) {
  // Without --precision the banner names the path auto chose for this CPU.
  const auto r = test::run_cli("predict --model '" + kDir + "/model' --threads 1 '" + kDir +
                               "/images/a_rgb.png'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string chosen = model::cpu_supports_bf16() ? ", bf16 on " : ", fp32 on ";
  EXPECT_NE(r.err.find(chosen), std::string::npos) << r.err;
  const auto help = test::run_cli("predict --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("{fp32,bf16,int8,auto}=auto"), std::string::npos) << help.out;
  EXPECT_EQ(model::ModelOptions{}.precision, model::Precision::automatic);
}

TEST(PredictCli, CorruptImageIsReportedAndTheOthersAreScored) {
  const auto r = test::run_cli(predict("'" + kDir + "/images_bad'"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("b_corrupt.jpg"), std::string::npos) << r.err;
  const auto out = lines(r.out);
  ASSERT_EQ(out.size(), 2u) << r.out;
  EXPECT_NE(out[0].find("a_good.png"), std::string::npos);
  EXPECT_NE(out[1].find("c_good.png"), std::string::npos);
}

TEST(PredictCli, BatchSizeDoesNotChangeTheScores) {
  const auto one = test::run_cli(predict("--batch 1 '" + kDir + "/images'"));
  const auto two = test::run_cli(predict("--batch 2 '" + kDir + "/images'"));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  ASSERT_EQ(two.exit_code, 0) << two.err;
  const auto a = lines(one.out), b = lines(two.out);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto ja = nlohmann::json::parse(a[i]), jb = nlohmann::json::parse(b[i]);
    for (const auto& [key, v] : ja["results"].items()) {
      EXPECT_NEAR(v["raw"].get<double>(), jb["results"][key]["raw"].get<double>(), 2e-6);
    }
  }
}

TEST(PredictCli, TableShowsTheTopEmotions) {
  const auto r = test::run_cli(predict("--format table --top 3 '" + kDir + "/images/a_rgb.png'"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("a_rgb.png"), std::string::npos);
  EXPECT_NE(r.out.find(" 3. "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(" 4. "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Valence"), std::string::npos) << r.out;
}

TEST(PredictCli, CsvHasOneRowPerImage) {
  const auto r = test::run_cli(predict("--format csv '" + kDir + "/images'"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = lines(r.out);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].rfind("image_path,", 0), 0u);
  EXPECT_NE(out[0].find("model_elation_best_raw"), std::string::npos);
  EXPECT_NE(out[0].find("model_valence_best_softmax"), std::string::npos);
}

TEST(PredictCli, EmbeddingsFileHoldsThePooledEmbeddings) {
  test::TempDir tmp;
  const auto path = tmp.file("emb.npy");
  const auto r = test::run_cli(predict("--embeddings '" + path + "' '" + kDir + "/images'"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto got = read_npy(path), ref = read_npy(kDir + "/ref_images/embeddings.npy");
  ASSERT_EQ(got.shape, ref.shape);
  for (std::size_t i = 0; i < got.data.size(); ++i) {
    EXPECT_NEAR(got.data[i], ref.data[i], 1e-4);
  }
}

TEST(PredictCli, MissingInputIsAnError) {
  const auto r = test::run_cli(predict("'" + kDir + "/no-such-file.png'"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no-such-file.png"), std::string::npos) << r.err;
}

TEST(PredictCli, FacesModeReportsImagesWithoutFaces) {
  // The fixture images are noise: the Haar cascade finds no face, which is reported.
  const auto r = test::run_cli(predict("--faces '" + kDir + "/images/a_rgb.png'"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("no face found"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(PredictJson, FaceRecordsCarryTheirBox) {
  model::Prediction p;
  const auto& c = lookup("model_valence_best");
  p.heads.push_back(model::HeadScore{&c, 0.5f, 0.25, std::nullopt});
  const auto j =
      nlohmann::json::parse(model::prediction_json("x.jpg", p, FaceBox{1, 2, 30, 40, 0.9f}, 3));
  EXPECT_EQ(j["image_path"], "x.jpg");
  EXPECT_EQ(j["face"], 3);
  EXPECT_EQ(j["box"]["x"], 1);
  EXPECT_EQ(j["box"]["height"], 40);
  EXPECT_EQ(j["results"]["model_valence_best"]["raw"].get<double>(), 0.5);
  EXPECT_TRUE(j["results"]["model_valence_best"]["softmax"].is_null());
}

}  // namespace
}  // namespace emonet
