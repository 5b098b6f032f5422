// `emonet data audit`: balance, quality and per-group model behaviour of a dataset.
#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "emonet/data_audit.h"

namespace emonet::cli {
namespace {

struct Options {
  data::AuditOptions audit;
  bool no_faces = false;
};

int run(Options o, const GlobalOptions& global) {
  o.audit.quality.faces = !o.no_faces;
  o.audit.quality.progress = !global.quiet;
  const auto r = data::run_audit(o.audit);
  if (!global.quiet) {
    const auto& q = r.quality;
    std::size_t flagged = 0;
    if (r.groups)
      for (const auto& d : r.groups->disparities) flagged += d.flagged ? 1 : 0;
    std::fprintf(stderr,
                 "emonet: %zu images, %zu unreadable, %zu exact duplicate groups, %zu near "
                 "duplicate pairs; cells chi2 p = %.4g; %zu disparities below %.2g -> %s\n",
                 q.images, q.unreadable, q.exact_groups.size(), q.near_pairs_total,
                 r.balance.cells_p, flagged, o.audit.groups.disparity_threshold,
                 (o.audit.out + "/report.html").c_str());
  }
  return 0;
}

RunFn setup(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<Options>();
  auto& a = o->audit;
  CLI::App* data = shared_parent(app, "data", "Get, design, generate, pack and audit datasets");
  auto* cmd = data->add_subcommand(
      "audit", "Audit balance, image quality and per-group model behaviour of a dataset");
  cmd->add_option("input", a.input,
                  "Dataset folder (with metadata.csv), metadata.csv, or WebDataset shards")
      ->required();
  cmd->add_option("--out", a.out, "Report folder (report.html, audit.json, *.csv)")->required();
  cmd->add_option("--design", a.design, "design.csv to compare the balance with (default: uniform)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--predictions", a.predictions, "emonet predict JSONL: per-group mean scores")
      ->check(CLI::ExistingFile);
  cmd->add_option("--hq", a.hq, "hq.csv with expert ratings: per-group quadratic kappa")
      ->check(CLI::ExistingFile);
  cmd->add_option("--hq-model", a.hq_model,
                  "Annotator of hq.csv compared with the experts (default: the predictions)");
  cmd->add_option("--score", a.score, "Score of the predictions: raw, mean_subtracted, softmax")
      ->capture_default_str();
  cmd->add_option("--embeddings", a.quality.embeddings,
                  "emonet embed cache (.npy or folder): near duplicates by cosine similarity");
  cmd->add_option("--model", a.model,
                  "Model (directory, large or small) to embed the images for near duplicates "
                  "(cached in OUT/embeddings)");
  cmd->add_option("--near-dup-threshold", a.quality.near_dup_threshold,
                  "Cosine similarity at or above which two images are near duplicates")
      ->check(CLI::Range(-1.0, 1.0))
      ->capture_default_str();
  cmd->add_flag("--no-faces", o->no_faces, "Skip the face detector (no-face / several-faces)");
  cmd->add_option("--face-model", a.quality.face_model,
                  "Face detector: Haar .xml or YuNet .onnx (default: OpenCV's Haar cascade)");
  cmd->add_option("--bootstrap", a.groups.bootstrap, "Bootstrap resamples per CI")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  cmd->add_option("--permutations", a.groups.permutations, "Permutations per test")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  cmd->add_option("--seed", a.groups.seed, "Seed of the bootstrap and permutation streams")
      ->capture_default_str();
  cmd->add_option("--min-group", a.groups.min_group, "Smallest group that gets an estimate")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  cmd->add_option("--threads", a.quality.threads, "Threads for the image pass (0 = all cores)")
      ->capture_default_str();
  cmd->add_option("--model-threads", a.model_threads, "CPU threads of the model (0 = all cores)")
      ->capture_default_str();
  set_examples(*cmd, {"emonet data audit data/binary --out report/",
                      "emonet data audit generated/metadata.csv --design design.csv --out report/",
                      "emonet data audit shards/ --predictions p.jsonl --hq hq.csv --out report/"});
  return [o, &global] { return run(*o, global); };
}

EMONET_REGISTER_COMMAND("data audit", setup);

}  // namespace
}  // namespace emonet::cli
