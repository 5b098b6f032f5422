// Image preprocessing speed: decode, resize (1024 -> 384, PIL-exact), normalise, and the
// whole `decode + preprocess` chain of one image, as `emonet predict` runs it.
//
// The input is $EMONET_BENCH_IMAGE (bench/image_bench_compare.py passes the JPEG it also
// times with Pillow); without it a synthetic 1024x1024 quality-92 4:2:0 JPEG is encoded.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>
// jpeglib.h needs size_t and FILE declared before it.
#include <jpeglib.h>

#include "emonet/image.h"

namespace {

std::string synthetic_jpeg() {
  const int w = 1024, h = 1024;
  std::vector<unsigned char> rgb(static_cast<std::size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      unsigned char* p = &rgb[(static_cast<std::size_t>(y) * w + x) * 3];
      p[0] = static_cast<unsigned char>(128 + 100 * std::sin(x / 170.0) * std::cos(y / 256.0));
      p[1] = static_cast<unsigned char>((x + y) / 8);
      p[2] = static_cast<unsigned char>(((x * 7) ^ (y * 13)) & 0xff);
    }
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buf, &size);
  c.image_width = w;
  c.image_height = h;
  c.input_components = 3;
  c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 92, TRUE);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = &rgb[static_cast<std::size_t>(c.next_scanline) * w * 3];
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::string out(reinterpret_cast<char*>(buf), size);
  std::free(buf);
  return out;
}

const std::string& jpeg_bytes() {
  static const std::string bytes = [] {
    if (const char* path = std::getenv("EMONET_BENCH_IMAGE")) {
      std::string s;
      if (FILE* f = std::fopen(path, "rb")) {
        char buf[65536];
        std::size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
        std::fclose(f);
      }
      if (s.empty()) {
        std::fprintf(stderr, "cannot read EMONET_BENCH_IMAGE=%s\n", path);
        std::exit(2);
      }
      return s;
    }
    return synthetic_jpeg();
  }();
  return bytes;
}

std::span<const std::uint8_t> bytes_span() {
  const std::string& s = jpeg_bytes();
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void BM_DecodeJpeg(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(emonet::decode_image_memory(bytes_span(), "bench"));
}

void BM_Resize(benchmark::State& state) {
  const emonet::Image img = emonet::decode_image_memory(bytes_span(), "bench");
  const auto filter = static_cast<emonet::Resample>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(emonet::resize(img, 384, 384, filter));
  state.SetLabel(std::string(emonet::resample_name(filter)));
}

void BM_ResizeNormalise(benchmark::State& state) {
  const emonet::Image img = emonet::decode_image_memory(bytes_span(), "bench");
  const emonet::PreprocessConfig cfg;  // 384x384 bilinear, mean = std = 0.5
  std::vector<float> out(3 * 384 * 384);
  for (auto _ : state) {
    emonet::preprocess_into(img, cfg, out.data());
    benchmark::ClobberMemory();
  }
}

void BM_DecodePreprocess(benchmark::State& state) {
  const emonet::PreprocessConfig cfg;
  std::vector<float> out(3 * 384 * 384);
  for (auto _ : state) {
    emonet::preprocess_into(emonet::decode_image_memory(bytes_span(), "bench"), cfg, out.data());
    benchmark::ClobberMemory();
  }
}

BENCHMARK(BM_DecodeJpeg)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Resize)
    ->Arg(static_cast<int>(emonet::Resample::kBilinear))
    ->Arg(static_cast<int>(emonet::Resample::kBicubic))
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ResizeNormalise)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodePreprocess)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
