// SiglipImageProcessor (transformers, "slow" PIL path): preprocessor_config.json loading
// and resize -> rescale -> normalize -> CHW.
//
// Float semantics follow transformers exactly: rescale() computes
// image.astype(float64) * scale and casts to float32; normalize() works in float32
// ((x - float32(mean)) / float32(std)). Both depend only on a channel's uint8 value, so
// a 3 x 256 lookup table evaluated with exactly those operations gives bit-identical
// results at memory speed.
#include <nlohmann/json.hpp>

#include <cmath>

#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/image.h"

namespace emonet {
namespace {

using nlohmann::json;

bool get_bool(const json& j, const char* key, bool fallback, const std::string& name) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_boolean()) throw Error("expected true or false", {name, 0, key});
  return j[key].get<bool>();
}

std::array<float, 3> get_triplet(const json& j, const char* key, std::array<float, 3> fallback,
                                 const std::string& name) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  const json& v = j[key];
  if (v.is_number()) {
    const auto f = static_cast<float>(v.get<double>());
    return {f, f, f};
  }
  if (!v.is_array() || v.size() != 3)
    throw Error("expected a number or a list of 3 numbers", {name, 0, key});
  std::array<float, 3> out{};
  for (std::size_t i = 0; i < 3; ++i) {
    if (!v[i].is_number()) throw Error("expected a number or a list of 3 numbers", {name, 0, key});
    out[i] = static_cast<float>(v[i].get<double>());
  }
  return out;
}

int positive_int(const json& v, const std::string& name, const std::string& field) {
  if (!v.is_number_integer() || v.get<long long>() < 1 || v.get<long long>() > 65536)
    throw Error("expected a positive integer size", {name, 0, field});
  return v.get<int>();
}

}  // namespace

PreprocessConfig PreprocessConfig::siglip_defaults() {
  PreprocessConfig c;
  c.width = c.height = 224;
  c.resample = Resample::kBicubic;
  c.do_convert_rgb = false;
  return c;
}

std::array<int, 2> PreprocessConfig::output_size(int input_width, int input_height) const {
  if (!do_resize) return {input_height, input_width};
  if (shortest_edge <= 0) return {height, width};
  // transformers.image_transforms.get_resize_output_image_size(default_to_square=False)
  const bool portrait = input_width <= input_height;
  const int short_side = portrait ? input_width : input_height;
  const int long_side = portrait ? input_height : input_width;
  const int new_long =
      static_cast<int>(static_cast<double>(shortest_edge) * long_side / short_side);
  return portrait ? std::array<int, 2>{new_long, shortest_edge}
                  : std::array<int, 2>{shortest_edge, new_long};
}

PreprocessConfig parse_preprocess_config(std::string_view text, const std::string& name) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw Error(std::string("invalid JSON: ") + e.what(), {name, 0, ""});
  }
  if (!j.is_object()) throw Error("expected a JSON object", {name, 0, ""});
  PreprocessConfig c = PreprocessConfig::siglip_defaults();
  if (j.contains("size") && !j["size"].is_null()) {
    const json& s = j["size"];
    if (s.is_number_integer()) {
      c.width = c.height = positive_int(s, name, "size");
    } else if (s.is_object() && s.contains("height") && s.contains("width")) {
      c.height = positive_int(s["height"], name, "size.height");
      c.width = positive_int(s["width"], name, "size.width");
    } else if (s.is_object() && s.contains("shortest_edge")) {
      c.shortest_edge = positive_int(s["shortest_edge"], name, "size.shortest_edge");
    } else {
      throw Error("expected {\"height\", \"width\"}, {\"shortest_edge\"} or an integer",
                  {name, 0, "size"});
    }
  }
  if (j.contains("resample") && !j["resample"].is_null()) {
    if (!j["resample"].is_number_integer())
      throw Error("expected a Pillow resampling code (integer)", {name, 0, "resample"});
    try {
      c.resample = resample_from_pil_code(j["resample"].get<int>());
    } catch (const Error& e) {
      throw Error(e.message(), {name, 0, "resample"});
    }
  }
  if (j.contains("rescale_factor") && !j["rescale_factor"].is_null()) {
    if (!j["rescale_factor"].is_number())
      throw Error("expected a number", {name, 0, "rescale_factor"});
    c.rescale_factor = j["rescale_factor"].get<double>();
  }
  c.mean = get_triplet(j, "image_mean", c.mean, name);
  c.std = get_triplet(j, "image_std", c.std, name);
  for (float s : c.std)
    if (s == 0.0f) throw Error("standard deviation must not be 0", {name, 0, "image_std"});
  c.do_resize = get_bool(j, "do_resize", c.do_resize, name);
  c.do_rescale = get_bool(j, "do_rescale", c.do_rescale, name);
  c.do_normalize = get_bool(j, "do_normalize", c.do_normalize, name);
  c.do_convert_rgb = get_bool(j, "do_convert_rgb", c.do_convert_rgb, name);
  return c;
}

PreprocessConfig load_preprocess_config(const std::string& path) {
  return parse_preprocess_config(read_file(path), path);
}

void preprocess_into(const Image& image, const PreprocessConfig& config, float* chw_out) {
  if (image.channels != 3) throw Error("preprocessing expects an RGB image");
  const auto [h, w] = config.output_size(image.width, image.height);
  Image resized;
  const Image* src = &image;
  if (config.do_resize && (w != image.width || h != image.height)) {
    resized = resize(image, w, h, config.resample);
    src = &resized;
  }
  float lut[3][256];
  for (int c = 0; c < 3; ++c) {
    for (int v = 0; v < 256; ++v) {
      float x = config.do_rescale
                    ? static_cast<float>(static_cast<double>(v) * config.rescale_factor)
                    : static_cast<float>(v);
      if (config.do_normalize) x = (x - config.mean[c]) / config.std[c];
      lut[c][v] = x;
    }
  }
  const std::size_t plane = static_cast<std::size_t>(w) * h;
  const std::uint8_t* p = src->pixels.data();
  float* r = chw_out;
  float* g = chw_out + plane;
  float* b = chw_out + 2 * plane;
  for (std::size_t i = 0; i < plane; ++i, p += 3) {
    r[i] = lut[0][p[0]];
    g[i] = lut[1][p[1]];
    b[i] = lut[2][p[2]];
  }
}

std::vector<float> preprocess(const Image& image, const PreprocessConfig& config) {
  const auto [h, w] = config.output_size(image.width, image.height);
  std::vector<float> out(static_cast<std::size_t>(3) * h * w);
  preprocess_into(image, config, out.data());
  return out;
}

}  // namespace emonet
