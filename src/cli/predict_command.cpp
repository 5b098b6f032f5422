// `emonet predict`: scores images (or the faces in them) with Empathic-Insight-Face.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli/command.h"
#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/image_source.h"
#include "emonet/model.h"
#include "emonet/predict.h"

namespace emonet::cli {
namespace {

struct Options {
  std::string model = "large";
  std::size_t batch = 8;
  int threads = 0;
  std::string precision = "auto";
  bool faces = false;
  std::string face_model;
  double face_margin = 0.2;
  std::string format = "jsonl";
  std::size_t top = 5;
  std::string embeddings;
  bool exif_rotate = false;
  bool profile = false;
  std::string profile_json;
  std::vector<std::string> inputs;
  std::string shard, out;  // --shard I/N|auto, --out FILE|DIR/
  std::optional<std::size_t> shard_count;
};

int run(const Options& o, const GlobalOptions& global) {
  auto items = data::list_images(o.inputs);
  const auto shard = data::parse_shard(o.shard.empty() ? "0/1" : o.shard, o.shard_count);
  if (!o.shard.empty()) items = data::select_shard(items, shard);
  const auto images = data::to_predict_inputs(items);
  model::ModelOptions mo;
  mo.threads = o.threads;
  mo.precision = model::parse_precision(o.precision);
  mo.profile = o.profile || !o.profile_json.empty();
  const auto m = model::Model::load(o.model, mo);
  if (!global.quiet)
    std::fprintf(stderr, "emonet: %s model (%zu heads), %s on %s, %d threads, loaded in %.1f s\n",
                 m.info().head_variant.c_str(), m.info().head_count,
                 std::string(model::precision_name(m.info().precision)).c_str(),
                 m.info().cpu_isa.c_str(), m.info().threads, m.info().load_seconds);

  model::PredictOptions po;
  po.batch = o.batch;
  po.format = model::parse_output_format(o.format);
  po.top_k = o.top;
  po.faces = o.faces;
  if (!o.face_model.empty()) {
    po.face_detector.kind = FaceDetectorKind::kYuNet;
    po.face_detector.model_path = o.face_model;
  }
  po.face_margin = o.face_margin;
  po.exif_rotate = o.exif_rotate;
  po.embeddings_npy = o.embeddings;
  po.progress = !global.quiet;
  // With --out the records go to a temporary file renamed into place at the end, so a
  // killed shard never leaves a partial output; a folder gets the shard's file name.
  std::optional<data::AtomicFile> file;
  if (!o.out.empty()) {
    std::string path = o.out;
    if (path.ends_with('/') || std::filesystem::is_directory(path)) {
      std::filesystem::create_directories(path);
      path = (std::filesystem::path(path) /
              data::shard_file_name("predictions", shard, "." + o.format))
                 .string();
    }
    file.emplace(path);
  }
  const auto s =
      model::run_predictions(m, images, po, file ? file->stream() : std::cout, std::cerr);
  if (file) file->commit();
  if (mo.profile) {
    const std::string kernels = m.kernels(o.batch);
    if (o.profile) std::cerr << model::format_profile(m.profile(), kernels);
    if (!o.profile_json.empty())
      write_file_atomic(o.profile_json, model::profile_json(m.profile(), kernels) + "\n");
  }
  if (s.failed > 0) {
    std::fprintf(stderr, "emonet: %zu of %zu images could not be read (see above)\n", s.failed,
                 s.images);
    return 1;
  }
  return 0;
}

RunFn setup(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("predict",
                                 "Score the 40 emotions (and 4 extra dimensions) of face images");
  cmd->add_option("--model", o->model,
                  "Model directory (DIR/siglip, DIR/heads), or large / small from the cache")
      ->capture_default_str();
  cmd->add_option("--batch", o->batch, "Images per forward pass")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "CPU threads (0 = all cores)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  cmd->add_option(
         "--precision", o->precision,
         "auto (bf16 where the CPU has AVX-512-BF16 or AMX, else fp32), fp32 (reference), bf16 "
         "or int8 (quantised encoder matmuls; accuracy in docs/model.md)")
      ->check(CLI::IsMember({"fp32", "bf16", "int8", "auto"}))
      ->capture_default_str();
  cmd->add_flag("--faces", o->faces, "Detect faces and score each one (records get a box)");
  cmd->add_option("--face-model", o->face_model,
                  "YuNet ONNX model for --faces (default: OpenCV's Haar cascade)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--face-margin", o->face_margin,
                  "Margin around each face box, fraction of its size")
      ->check(CLI::Range(0.0, 2.0))
      ->capture_default_str();
  cmd->add_option("--format", o->format, "Output: jsonl (authors' layout), csv or table")
      ->check(CLI::IsMember({"jsonl", "csv", "table"}))
      ->capture_default_str();
  cmd->add_option("--top", o->top, "Emotions shown per image with --format table")
      ->check(CLI::Range(1, 40))
      ->capture_default_str();
  cmd->add_option("--embeddings", o->embeddings,
                  "Also write the pooled SigLIP embeddings here as .npy [records, hidden]");
  cmd->add_flag("--exif-rotate", o->exif_rotate,
                "Apply EXIF orientation (the reference pipeline ignores it)");
  cmd->add_flag("--profile", o->profile,
                "Print time and GFLOP/s per operator class and the oneDNN kernels to stderr");
  cmd->add_option("--profile-json", o->profile_json, "Also write that profile as JSON here");
  cmd->add_option("--shard", o->shard,
                  "Score only shard I of N (0-based, by image id), or auto (Slurm array / "
                  "Kubernetes Indexed Job)");
  cmd->add_option("--shard-count", o->shard_count, "N for --shard auto (overrides Slurm's)");
  cmd->add_option("--out", o->out,
                  "Write here (atomically) instead of stdout; a folder gets "
                  "predictions-IIIII-of-NNNNN.<format>");
  cmd->add_option("inputs", o->inputs,
                  "Image files, folders, manifests (metadata.csv) or WebDataset shards (.tar, "
                  "folder with index.json)")
      ->required();
  set_examples(*cmd, {"emonet predict --model large photo.jpg > scores.jsonl",
                      "emonet predict --model ./models/large --format table --top 3 faces/",
                      "emonet predict --faces --precision auto --batch 8 --threads 2 group.jpg",
                      "emonet predict --embeddings emb.npy --format csv images/ > scores.csv"});
  return [o, &global] { return run(*o, global); };
}

EMONET_REGISTER_COMMAND("predict", setup);

}  // namespace
}  // namespace emonet::cli
