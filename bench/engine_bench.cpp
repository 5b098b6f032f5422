// Model engine throughput: loads a model directory once, then times predict_pixels() on
// random preprocessed tensors at a given batch size, precision and thread count.
// Prints one JSON object per configuration (medians over --iters timed runs after one
// warm-up run). bench/engine_bench.sh runs it next to PyTorch on the same weights.
//
//   engine_bench --model DIR [--batch 1,8] [--threads 2] [--precision fp32,bf16] [--iters 3]
//   [--warmup 1] [--profile 1]
// --profile 1: also prints each configuration's per-operator profile (as `emonet predict
// --profile-json`) of its timed runs, on a line starting with "# profile ".
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "emonet/model.h"
#include "emonet/strings.h"

using namespace emonet;
using Clock = std::chrono::steady_clock;

// CPU seconds (user + system) used by the process so far: unlike wall time, this does not
// grow when other processes share the cores.
static double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

int main(int argc, char** argv) {
  std::string dir, batches = "1,8", precisions = "fp32,bf16";
  int threads = 2, iters = 3, warmup = 1, profile = 0;
  double gflop_per_image = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--model")
      dir = v;
    else if (a == "--batch")
      batches = v;
    else if (a == "--threads")
      threads = std::stoi(v);
    else if (a == "--precision")
      precisions = v;
    else if (a == "--iters")
      iters = std::stoi(v);
    else if (a == "--profile")
      profile = std::stoi(v);
    else if (a == "--gflop")
      gflop_per_image = std::stod(v);
  }
  if (dir.empty()) {
    std::fprintf(stderr,
                 "usage: engine_bench --model DIR [--batch 1,8] [--threads 2] "
                 "[--precision fp32,bf16] [--iters 3] [--gflop 519]\n");
    return 2;
  }
  for (const auto& pname : split(precisions, ',')) {
    const auto t0 = Clock::now();
    auto m = model::Model::load(dir, {threads, model::parse_precision(pname), false});
    // A second model with timers on, so the timed runs above stay unprofiled.
    std::unique_ptr<model::Model> pm;
    if (profile)
      pm = std::make_unique<model::Model>(
          model::Model::load(dir, {threads, model::parse_precision(pname), false, true}));
    const double load = std::chrono::duration<double>(Clock::now() - t0).count();
    const auto& info = m.info();
    if (iters == 0) {  // load only (for measuring load time and memory)
      std::printf(
          "{\"engine\": \"emonet\", \"precision\": \"%s\", \"load_s\": %.3f, "
          "\"load_cpu_s\": %.3f}\n",
          pname.c_str(), load, cpu_seconds());
      continue;
    }
    if (gflop_per_image == 0) {
      // 2 FLOPs per multiply-add: encoder (4ND^2 + 2NDI + 2N^2 D per layer), patch
      // embedding and the MAP head's key/value projections (the rest is negligible).
      const double N =
          double((info.image_size / info.patch_size) * (info.image_size / info.patch_size));
      const double D = double(info.hidden), I = double(info.intermediate);
      const double per_layer = 4 * N * D * D + 2 * N * D * I + 2 * N * N * D;
      gflop_per_image = 2 *
                        (double(info.layers) * per_layer +
                         N * 3 * double(info.patch_size * info.patch_size) * D + 2 * N * D * D) /
                        1e9;
    }
    for (const auto& bs : split(batches, ',')) {
      const std::size_t batch = std::size_t(std::stoul(bs));
      const std::size_t floats = batch * 3 * std::size_t(info.image_size * info.image_size);
      std::vector<float> px(floats);
      std::mt19937 rng(1);
      std::uniform_real_distribution<float> dist(-1.f, 1.f);
      for (auto& x : px) x = dist(rng);
      if (warmup) m.predict_pixels(px, batch);  // creates the primitives for this batch size
      std::vector<double> times, cpu;
      for (int it = 0; it < iters; ++it) {
        const auto s = Clock::now();
        const double c = cpu_seconds();
        m.predict_pixels(px, batch);
        times.push_back(std::chrono::duration<double>(Clock::now() - s).count());
        cpu.push_back(cpu_seconds() - c);
      }
      std::sort(times.begin(), times.end());
      std::sort(cpu.begin(), cpu.end());
      const double med = times[times.size() / 2];
      const double med_cpu = cpu[cpu.size() / 2];
      std::printf(
          "{\"engine\": \"emonet\", \"precision\": \"%s\", \"batch\": %zu, \"threads\": %d, "
          "\"load_s\": %.3f, \"median_s\": %.4f, \"images_per_s\": %.4f, "
          "\"gflop_per_s\": %.1f, \"cpu_s_per_image\": %.3f, \"isa\": \"%s\", \"kernels\": "
          "\"%s\"}\n",
          pname.c_str(), batch, threads, load, med, double(batch) / med,
          gflop_per_image * double(batch) / med, med_cpu / double(batch), info.cpu_isa.c_str(),
          m.kernels(batch).c_str());
      std::fflush(stdout);
      if (pm) {
        pm->predict_pixels(px, batch);  // primitives for this batch size, then the measured run
        const auto before = pm->profile();
        pm->predict_pixels(px, batch);
        auto p = pm->profile();  // minus the first forward: one steady forward pass
        for (std::size_t c = 0; c < p.classes.size(); ++c) {
          p.classes[c].seconds -= before.classes[c].seconds;
          p.classes[c].flop -= before.classes[c].flop;
        }
        p.total_seconds -= before.total_seconds;
        p.forwards -= before.forwards;
        p.images -= before.images;
        std::string json = model::profile_json(p, m.kernels(batch));
        json.erase(std::remove(json.begin(), json.end(), '\n'), json.end());
        std::printf("# profile %s batch %zu: %s\n", pname.c_str(), batch, json.c_str());
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
