// Accuracy of a reduced precision (int8, bf16) against fp32 on one model: loads the model
// twice, scores the same inputs with both and prints one JSON object with the share of
// inputs whose top-5 emotions (by softmax, as a set) agree, the largest raw deviation
// over all heads and inputs, and the smallest embedding cosine.
//
//   precision_accuracy --model DIR [--precision int8] [--pixels FILE.npy] [--images DIR]
//                      [--random N] [--threads 2]
// Inputs: the preprocessed tensors of --pixels ([n, 3, S, S] float32), the image files of
// --images (decoded and preprocessed as `emonet predict` does) and N uniform(-1, 1)
// tensors from a fixed seed.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "emonet/image.h"
#include "emonet/model.h"
#include "emonet/npy.h"

using namespace emonet;

namespace {

std::set<std::string> top5(const model::Prediction& p) {
  std::vector<std::pair<double, std::string>> s;
  for (const auto& h : p.heads)
    if (h.softmax) s.emplace_back(*h.softmax, std::string(h.category->head_key));
  std::partial_sort(s.begin(), s.begin() + 5, s.end(), std::greater<>());
  std::set<std::string> out;
  for (int i = 0; i < 5; ++i) out.insert(s[std::size_t(i)].second);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir, precision = "int8", pixels, images;
  int threads = 2, random = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--model") dir = v;
    if (a == "--precision") precision = v;
    if (a == "--pixels") pixels = v;
    if (a == "--images") images = v;
    if (a == "--random") random = std::stoi(v);
    if (a == "--threads") threads = std::stoi(v);
  }
  if (dir.empty()) {
    std::fprintf(stderr,
                 "usage: precision_accuracy --model DIR [--precision int8] [--pixels FILE.npy] "
                 "[--images DIR] [--random N] [--threads 2]\n");
    return 2;
  }
  const auto ref = model::Model::load(dir, {threads, model::Precision::fp32, false});
  const auto low = model::Model::load(dir, {threads, model::parse_precision(precision), false});
  const std::size_t size = std::size_t(ref.info().image_size), floats = 3 * size * size;
  std::vector<float> px;
  if (!pixels.empty()) px = read_npy(pixels).data;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (std::size_t i = 0; i < std::size_t(random) * floats; ++i) px.push_back(u(rng));
  std::vector<model::Prediction> a, b;
  for (std::size_t i = 0; i < px.size() / floats; ++i) {  // one at a time: bounded memory
    const std::span<const float> one(px.data() + i * floats, floats);
    a.push_back(ref.predict_pixels(one, 1, true)[0]);
    b.push_back(low.predict_pixels(one, 1, true)[0]);
  }
  if (!images.empty()) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(images))
      if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      const Image img = decode_image_file(f.string());
      a.push_back(ref.predict(std::span(&img, 1), true)[0]);
      b.push_back(low.predict(std::span(&img, 1), true)[0]);
    }
  }
  std::size_t agree = 0;
  double worst = 0, min_cos = 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    agree += top5(a[i]) == top5(b[i]);
    for (std::size_t h = 0; h < a[i].heads.size(); ++h)
      worst = std::max(worst, double(std::fabs(a[i].heads[h].raw - b[i].heads[h].raw)));
    double dot = 0, na = 0, nb = 0;
    for (std::size_t k = 0; k < a[i].embedding.size(); ++k) {
      dot += double(a[i].embedding[k]) * b[i].embedding[k];
      na += double(a[i].embedding[k]) * a[i].embedding[k];
      nb += double(b[i].embedding[k]) * b[i].embedding[k];
    }
    min_cos = std::min(min_cos, dot / std::sqrt(na * nb));
  }
  std::printf(
      "{\"model\": \"%s\", \"precision\": \"%s\", \"inputs\": %zu, \"top5_agree\": %zu, "
      "\"top5_agree_share\": %.4f, \"max_raw_deviation\": %.6g, \"min_embedding_cosine\": %.6f}\n",
      dir.c_str(), precision.c_str(), a.size(), agree, a.empty() ? 0.0 : double(agree) / a.size(),
      worst, min_cos);
  return 0;
}
