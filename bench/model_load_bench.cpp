// Loading a model directory's files: the vision checkpoint (map + index + validate against
// config.json) and the 44 heads (.pth -> float32 matrices). Prints one line per step with
// the median wall and CPU time of --iters runs.
//   model_load_bench --model DIR [--iters N]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "emonet/error.h"
#include "emonet/model_files.h"

namespace {

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void measure(const char* label, int iters, const std::function<std::size_t()>& step) {
  std::vector<double> wall, cpu;
  std::size_t result = 0;
  for (int i = 0; i < iters; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    result = step();
    cpu.push_back(cpu_seconds() - c0);
    wall.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::printf("emonet  %-34s wall %8.3f s  cpu %8.3f s  (%zu)\n", label, median(wall), median(cpu),
              result);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  int iters = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--model")) dir = argv[i + 1];
    if (!std::strcmp(argv[i], "--iters")) iters = std::max(1, std::atoi(argv[i + 1]));
  }
  if (dir.empty()) {
    std::fputs("usage: model_load_bench --model DIR [--iters N]\n", stderr);
    return 2;
  }
  try {
    using namespace emonet::model;
    const ModelFiles files = resolve_model_dir(dir);
    measure("vision checkpoint (open+check)", iters, [&] {
      const auto c = load_vision_config(files.config_json);
      const auto st = SafetensorsFile::open(files.safetensors, "vision_model.");
      check_vision_tensors(st, c);
      return st.size();
    });
    measure("44 heads (load_heads)", iters, [&] { return load_heads(files.heads_dir).size(); });
    measure("neutral stats", iters,
            [&] { return load_neutral_stats(files.neutral_json).mean.size(); });
  } catch (const emonet::Error& e) {
    std::fprintf(stderr, "model_load_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
