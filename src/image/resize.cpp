// Pillow 9.4's Image.resize for 8-bit images (libImaging/Resample.c and, for NEAREST,
// Geometry.c's ImagingScaleAffine), re-derived so that every pixel matches:
//   - coefficients computed in double per output pixel, for a filter scaled by the
//     downscale factor (antialiasing), normalised to sum 1, then rounded half away from
//     zero to 22-bit fixed point (PRECISION_BITS = 32 - 8 - 2);
//   - accumulation in int32 starting at 1 << 21 (rounding), result >> 22 clamped to 0..255;
//   - horizontal pass first (only over the source rows the vertical pass uses), storing
//     uint8, then the vertical pass; a pass is skipped when its size does not change.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "emonet/error.h"
#include "emonet/image.h"

namespace emonet {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

struct Filter {
  double (*fn)(double);
  double support;
};

double box_filter(double x) {
  return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0;
}

double bilinear_filter(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

double hamming_filter(double x) {
  if (x < 0.0) x = -x;
  if (x == 0.0) return 1.0;
  if (x >= 1.0) return 0.0;
  x = x * M_PI;
  // Pillow writes these constants as floats (0.54f, 0.46f); keep their float rounding.
  return std::sin(x) / x * (static_cast<double>(0.54f) + static_cast<double>(0.46f) * std::cos(x));
}

double bicubic_filter(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

double sinc_filter(double x) {
  if (x == 0.0) return 1.0;
  x = x * M_PI;
  return std::sin(x) / x;
}

double lanczos_filter(double x) {
  if (-3.0 <= x && x < 3.0) return sinc_filter(x) * sinc_filter(x / 3);
  return 0.0;
}

Filter filter_for(Resample r) {
  switch (r) {
    case Resample::kBox:
      return {box_filter, 0.5};
    case Resample::kBilinear:
      return {bilinear_filter, 1.0};
    case Resample::kHamming:
      return {hamming_filter, 1.0};
    case Resample::kBicubic:
      return {bicubic_filter, 2.0};
    case Resample::kLanczos:
      return {lanczos_filter, 3.0};
    case Resample::kNearest:
      break;
  }
  throw Error("no convolution filter for nearest resampling");
}

// Per output pixel: first source index, number of taps, and ksize fixed-point weights.
struct Coefficients {
  int ksize = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<std::int32_t> weights;
};

Coefficients precompute(int in_size, int out_size, const Filter& filter) {
  // Pillow passes the box as floats (0, in_size); the scale is computed in double.
  const double in0 = 0.0, in1 = static_cast<double>(static_cast<float>(in_size));
  const double scale = (in1 - in0) / out_size;
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  const double support = filter.support * filterscale;
  Coefficients c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(out_size);
  c.count.resize(out_size);
  c.weights.assign(static_cast<std::size_t>(out_size) * c.ksize, 0);
  std::vector<double> k(c.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = in0 + (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);  // truncation, as in C
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      const double w = filter.fn((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    std::int32_t* out = &c.weights[static_cast<std::size_t>(xx) * c.ksize];
    for (int x = 0; x < xmax; ++x) {
      const double v = ww != 0.0 ? k[x] / ww : k[x];
      out[x] = v < 0 ? static_cast<std::int32_t>(-0.5 + v * (1 << kPrecisionBits))
                     : static_cast<std::int32_t>(0.5 + v * (1 << kPrecisionBits));
    }
    c.first[xx] = xmin;
    c.count[xx] = xmax;
  }
  return c;
}

inline std::uint8_t clip8(std::int32_t acc) {
  const std::int32_t v = acc >> kPrecisionBits;  // arithmetic shift = floor, as Pillow
  return static_cast<std::uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
}

// Horizontal pass over source rows [row0, row0 + rows).
template <int C>
void horizontal(const Image& in, Image& out, int row0, const Coefficients& c) {
  constexpr std::int32_t half = 1 << (kPrecisionBits - 1);
  const int channels = C > 0 ? C : in.channels;
  for (int y = 0; y < out.height; ++y) {
    const std::uint8_t* src = in.row(y + row0);
    std::uint8_t* dst = out.row(y);
    for (int xx = 0; xx < out.width; ++xx) {
      const std::int32_t* k = &c.weights[static_cast<std::size_t>(xx) * c.ksize];
      const std::uint8_t* s = src + static_cast<std::size_t>(c.first[xx]) * channels;
      const int n = c.count[xx];
      if constexpr (C == 3) {
        std::int32_t a0 = half, a1 = half, a2 = half;
        for (int x = 0; x < n; ++x, s += 3) {
          a0 += s[0] * k[x];
          a1 += s[1] * k[x];
          a2 += s[2] * k[x];
        }
        dst[0] = clip8(a0);
        dst[1] = clip8(a1);
        dst[2] = clip8(a2);
        dst += 3;
      } else {
        for (int ch = 0; ch < channels; ++ch) {
          std::int32_t a = half;
          for (int x = 0; x < n; ++x) a += s[x * channels + ch] * k[x];
          *dst++ = clip8(a);
        }
      }
    }
  }
}

void vertical(const Image& in, Image& out, const Coefficients& c, int row_shift) {
  constexpr std::int32_t half = 1 << (kPrecisionBits - 1);
  const std::size_t stride = in.row_bytes();
  const std::size_t width_bytes = out.row_bytes();
  std::vector<std::int32_t> acc(width_bytes);
  for (int yy = 0; yy < out.height; ++yy) {
    const std::int32_t* k = &c.weights[static_cast<std::size_t>(yy) * c.ksize];
    const int first = c.first[yy] - row_shift;
    std::fill(acc.begin(), acc.end(), half);
    // Row by row, so the inner loop runs over contiguous bytes (same sums, same order
    // per pixel as Pillow's loop, and integer addition is exact anyway).
    for (int y = 0; y < c.count[yy]; ++y) {
      const std::uint8_t* s = in.pixels.data() + static_cast<std::size_t>(first + y) * stride;
      const std::int32_t w = k[y];
      for (std::size_t i = 0; i < width_bytes; ++i) acc[i] += s[i] * w;
    }
    std::uint8_t* dst = out.row(yy);
    for (std::size_t i = 0; i < width_bytes; ++i) dst[i] = clip8(acc[i]);
  }
}

// Geometry.c ImagingScaleAffine: source positions accumulated in double, starting at
// half a step, truncated toward zero.
Image resize_nearest(const Image& in, int width, int height) {
  Image out;
  out.width = width;
  out.height = height;
  out.channels = in.channels;
  out.pixels.resize(out.row_bytes() * height);
  const double ax = static_cast<double>(static_cast<float>(in.width)) / width;
  const double ay = static_cast<double>(static_cast<float>(in.height)) / height;
  std::vector<int> xin(width);
  double xo = ax * 0.5;
  for (int x = 0; x < width; ++x, xo += ax)
    xin[x] = std::clamp(xo < 0.0 ? -1 : static_cast<int>(xo), 0, in.width - 1);
  double yo = ay * 0.5;
  const int C = in.channels;
  for (int y = 0; y < height; ++y, yo += ay) {
    const int yi = std::clamp(yo < 0.0 ? -1 : static_cast<int>(yo), 0, in.height - 1);
    const std::uint8_t* src = in.row(yi);
    std::uint8_t* dst = out.row(y);
    for (int x = 0; x < width; ++x, dst += C)
      std::copy_n(src + static_cast<std::size_t>(xin[x]) * C, C, dst);
  }
  return out;
}

}  // namespace

Resample resample_from_pil_code(int code) {
  if (code < 0 || code > 5)
    throw Error("unknown resample code " + std::to_string(code) +
                    " (Pillow codes: 0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, "
                    "5 hamming)",
                {"", 0, "resample"});
  return static_cast<Resample>(code);
}

Resample parse_resample(std::string_view name) {
  for (int code = 0; code <= 5; ++code) {
    const auto r = static_cast<Resample>(code);
    if (resample_name(r) == name) return r;
  }
  throw Error("unknown resampling filter '" + std::string(name) +
                  "' (expected nearest, bilinear, bicubic, lanczos, box or hamming)",
              {"", 0, "resample"});
}

std::string_view resample_name(Resample r) {
  switch (r) {
    case Resample::kNearest:
      return "nearest";
    case Resample::kLanczos:
      return "lanczos";
    case Resample::kBilinear:
      return "bilinear";
    case Resample::kBicubic:
      return "bicubic";
    case Resample::kBox:
      return "box";
    case Resample::kHamming:
      return "hamming";
  }
  return "unknown";
}

Image resize(const Image& in, int width, int height, Resample resample) {
  if (width < 1 || height < 1 || in.width < 1 || in.height < 1)
    throw Error("cannot resize " + std::to_string(in.width) + "x" + std::to_string(in.height) +
                " to " + std::to_string(width) + "x" + std::to_string(height));
  if (in.pixels.size() != in.row_bytes() * in.height)
    throw Error("image buffer does not match its size");
  if (width == in.width && height == in.height) return in;
  if (resample == Resample::kNearest) return resize_nearest(in, width, height);

  const Filter filter = filter_for(resample);
  const Coefficients ch = precompute(in.width, width, filter);
  const Coefficients cv = precompute(in.height, height, filter);
  const bool need_h = width != in.width;
  const bool need_v = height != in.height;
  // Source rows the vertical pass reads.
  const int first_row = cv.first[0];
  const int last_row = cv.first[height - 1] + cv.count[height - 1];

  if (!need_v) {
    Image out{width, in.height, in.channels, {}};
    out.pixels.resize(out.row_bytes() * out.height);
    if (in.channels == 3)
      horizontal<3>(in, out, 0, ch);
    else
      horizontal<0>(in, out, 0, ch);
    return out;
  }
  if (!need_h) {
    Image out{in.width, height, in.channels, {}};
    out.pixels.resize(out.row_bytes() * height);
    vertical(in, out, cv, 0);
    return out;
  }
  Image tmp{width, last_row - first_row, in.channels, {}};
  tmp.pixels.resize(tmp.row_bytes() * tmp.height);
  if (in.channels == 3)
    horizontal<3>(in, tmp, first_row, ch);
  else
    horizontal<0>(in, tmp, first_row, ch);
  Image out{width, height, in.channels, {}};
  out.pixels.resize(out.row_bytes() * height);
  vertical(tmp, out, cv, first_row);
  return out;
}

}  // namespace emonet
