// `emonet preprocess IMAGE --out FILE.npy`: the normalised CHW float32 tensor the model
// sees, so that parity with the Python pipeline can be checked on pixels alone.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "emonet/error.h"
#include "emonet/image.h"
#include "emonet/npy.h"

namespace emonet::cli {
namespace {

struct Options {
  std::string image;
  std::string out;
  std::string config;
  int size = 0;
  std::string resample;
  bool exif_rotate = false;
  std::string format = "text";
};

int run(const Options& o) {
  PreprocessConfig config;
  if (!o.config.empty()) config = load_preprocess_config(o.config);
  if (o.size > 0) {
    config.width = config.height = o.size;
    config.shortest_edge = 0;
  }
  if (!o.resample.empty()) config.resample = parse_resample(o.resample);
  DecodeOptions decode;
  decode.exif_rotate = o.exif_rotate;
  const Image image = decode_image_file(o.image, decode);
  const auto [h, w] = config.output_size(image.width, image.height);
  const std::vector<float> tensor = preprocess(image, config);
  write_npy(o.out, tensor.data(), {3, static_cast<std::size_t>(h), static_cast<std::size_t>(w)});
  if (o.format == "json") {
    nlohmann::ordered_json j;
    j["image"] = o.image;
    j["input_size"] = {image.width, image.height};
    j["output"] = o.out;
    j["shape"] = {3, h, w};
    j["resample"] = std::string(resample_name(config.resample));
    std::cout << j.dump() << "\n";
  } else {
    std::cout << o.image << ": " << image.width << "x" << image.height << " -> " << o.out << " [3, "
              << h << ", " << w << "] (" << resample_name(config.resample) << ")\n";
  }
  return 0;
}

RunFn setup(CLI::App& app, const GlobalOptions&) {
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "preprocess", "Decode, resize and normalise one image as SigLIP expects; write it as .npy");
  cmd->add_option("image", opts->image, "JPEG, PNG or WebP image")->required();
  cmd->add_option("--out,-o", opts->out, "Output .npy file (float32, shape [3, H, W])")->required();
  cmd->add_option("--config", opts->config,
                  "Hugging Face preprocessor_config.json (default: 384x384 bilinear, "
                  "mean = std = 0.5)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--size", opts->size, "Square output size in pixels (overrides --config)")
      ->check(CLI::Range(1, 65536));
  cmd->add_option("--resample", opts->resample, "Resampling filter (overrides --config)")
      ->check(CLI::IsMember({"nearest", "bilinear", "bicubic", "lanczos", "box", "hamming"}));
  cmd->add_flag("--exif-rotate", opts->exif_rotate,
                "Apply the EXIF orientation (the reference pipeline ignores it)");
  cmd->add_option("--format", opts->format, "Summary output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  set_examples(*cmd, {"emonet preprocess face.jpg --out face.npy",
                      "emonet preprocess face.png --out face.npy --config "
                      "siglip/preprocessor_config.json",
                      "emonet preprocess photo.jpg --out x.npy --size 224 --resample bicubic "
                      "--exif-rotate"});
  return [opts] { return run(*opts); };
}

EMONET_REGISTER_COMMAND("preprocess", setup);

}  // namespace
}  // namespace emonet::cli
