// `emonet bench`: the EmoNet-Face analyses (binary agreement, FER/AffectNet transfer, HQ
// agreement benchmark). Argument handling only; the analyses live in src/bench/.
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "emonet/bench_binary.h"
#include "emonet/bench_hq.h"
#include "emonet/bench_transfer.h"
#include "emonet/bench_transfer_dataset.h"
#include "emonet/error.h"

namespace emonet::cli {
namespace {

struct BinaryOptions {
  std::string file;
  std::string format = "markdown";
};

struct TransferOptions {
  std::string file;
  std::string mapping;
  std::string label_field;
  std::string format = "markdown";
  // An image-folder dataset (bench_transfer_dataset.h).
  std::string images, layout = "folders", labels, split, group_by = "image";
  std::size_t bootstrap = 1000;
  std::uint64_t seed = 42;
  bench::DatasetModelOptions model;
  bool use_model = false;
};

struct HqOptions {
  std::string file;
  std::vector<std::string> predictions, vlm, names, scores;
  bool allow_missing = false;
  std::size_t bootstrap = 1000;
  std::uint64_t seed = 42;
  unsigned threads = 0;
  std::string out;
  std::string format = "markdown";
};

int run_hq(const HqOptions& o) {
  if (o.names.size() != o.predictions.size() + o.vlm.size())
    throw Error("give one --name per --predictions and --vlm file, --predictions first (" +
                std::to_string(o.predictions.size() + o.vlm.size()) + " files, " +
                std::to_string(o.names.size()) + " names)");
  if (!o.scores.empty() && o.scores.size() != 1 && o.scores.size() != o.predictions.size())
    throw Error("give --score once (for every file) or once per --predictions file");
  auto data = bench::load_hq(o.file, o.threads);
  for (std::size_t k = 0; k < o.predictions.size(); ++k) {
    bench::HqPredictions p{o.predictions[k], o.names[k], "mean_subtracted"};
    if (!o.scores.empty()) p.score = o.scores.size() == 1 ? o.scores[0] : o.scores[k];
    bench::join_predictions(data, p, o.allow_missing);
  }
  for (std::size_t k = 0; k < o.vlm.size(); ++k)
    bench::join_predictions(data, {o.vlm[k], o.names[o.predictions.size() + k], "raw"},
                            o.allow_missing);
  bench::HqOptions options;
  options.bootstrap = o.bootstrap;
  options.seed = o.seed;
  options.threads = o.threads;
  const auto report = bench::analyze_hq(data, options);
  if (!o.out.empty()) bench::write_hq_outputs(report, o.out);
  std::cout << (o.format == "json" ? bench::hq_json(report) : bench::hq_markdown(report));
  return 0;
}

int run_binary(const BinaryOptions& o) {
  const auto report = bench::analyze_binary(o.file);
  if (o.format == "json") {
    std::cout << bench::binary_json(report);
  } else if (o.format == "csv") {
    std::cout << bench::binary_csv(report);
  } else {
    std::cout << bench::binary_markdown(report);
  }
  return 0;
}

int run_dataset_transfer(const TransferOptions& o, const GlobalOptions& global) {
  if (o.file.empty() == !o.use_model)
    throw Error("give either a predictions JSONL (from `emonet predict " + o.images +
                    "`) or --model, not both",
                {"", 0, "--model"});
  const auto mapping = bench::load_transfer_mapping(o.mapping);
  bench::DatasetOptions d;
  d.layout = bench::parse_dataset_layout(o.layout);
  d.images = o.images;
  d.labels = o.labels;
  d.split = o.split;
  const auto dataset = bench::load_dataset(d, mapping);
  bench::TransferEvalOptions e;
  e.group_by_person = o.group_by == "person";
  e.iterations = o.bootstrap;
  e.seed = o.seed;
  bench::DatasetTransferReport report;
  if (o.use_model) {
    auto mo = o.model;
    mo.progress = !global.quiet;
    const std::string jsonl = bench::predict_dataset(dataset, mo, std::cerr);
    report = bench::evaluate_dataset_transfer_text(dataset, jsonl, "model " + mo.model, mapping, e);
  } else {
    report = bench::evaluate_dataset_transfer(dataset, o.file, mapping, e);
  }
  if (o.format == "json") {
    std::cout << bench::dataset_transfer_json(report);
  } else if (o.format == "csv") {
    std::cout << bench::dataset_transfer_csv(report);
  } else {
    std::cout << bench::dataset_transfer_markdown(report);
  }
  return 0;
}

int run_transfer(const TransferOptions& o, const GlobalOptions& global) {
  if (!o.images.empty()) return run_dataset_transfer(o, global);
  if (o.file.empty()) throw Error("give a predictions JSONL, or --images DIR", {"", 0, "file"});
  const auto mapping = bench::load_transfer_mapping(o.mapping);
  const auto report = bench::evaluate_transfer(o.file, mapping, o.label_field);
  if (o.format == "json") {
    std::cout << bench::transfer_json(report);
  } else if (o.format == "csv") {
    std::cout << bench::transfer_csv(report);
  } else {
    std::cout << bench::transfer_markdown(report);
  }
  return 0;
}

RunFn setup(CLI::App& app, const GlobalOptions& global) {
  auto* bench = app.add_subcommand("bench", "EmoNet-Face analyses: binary, transfer, hq");
  bench->require_subcommand(1);
  set_examples(*bench, {"emonet bench binary binary.csv",
                        "emonet bench transfer ferd.jsonl --mapping transfer_mappings.json:ferd",
                        "emonet bench hq hq.csv --out report/"});

  auto bin = std::make_shared<BinaryOptions>();
  auto* b = bench->add_subcommand(
      "binary", "Expert agreement on the Binary set (per-emotion table, vote outcomes)");
  b->add_option("file", bin->file, "binary.csv (path,annotator,value,emotion)")
      ->required()
      ->check(CLI::ExistingFile);
  b->add_option("--format", bin->format, "Output format")
      ->check(CLI::IsMember({"markdown", "json", "csv"}))
      ->capture_default_str();
  set_examples(*b, {"emonet bench binary data/binary.csv",
                    "emonet bench binary data/binary.csv --format json"});

  auto tr = std::make_shared<TransferOptions>();
  auto* t = bench->add_subcommand(
      "transfer", "Accuracy on a coarse 8-class dataset through a 40->8 head mapping");
  t->add_option("file", tr->file,
                "Predictions JSONL (image_path, results); with --images: `emonet predict DIR` "
                "output, or give --model instead")
      ->check(CLI::ExistingFile);
  t->add_option("--mapping", tr->mapping, "Mapping JSON, FILE or FILE:NAME")->required();
  t->add_option("--label-field", tr->label_field,
                "Record field with the ground truth (default: from the image file name)");
  t->add_option("--format", tr->format, "Output format")
      ->check(CLI::IsMember({"markdown", "json", "csv"}))
      ->capture_default_str();
  t->add_option("--images", tr->images,
                "Image-folder dataset to score (accuracy and macro-F1 with bootstrap CIs)")
      ->check(CLI::ExistingDirectory);
  t->add_option("--layout", tr->layout, "Layout of --images")
      ->check(CLI::IsMember({"fer2013", "rafdb", "affectnet", "faces", "folders"}))
      ->capture_default_str();
  t->add_option("--labels", tr->labels,
                "rafdb: image list (default EmoLabel/list_patition_label.txt); affectnet: "
                "labels CSV (default: one folder per expression index)")
      ->check(CLI::ExistingFile);
  t->add_option("--split", tr->split, "fer2013/rafdb: only this split (default: all)")
      ->check(CLI::IsMember({"train", "test"}));
  t->add_option("--group-by", tr->group_by,
                "Bootstrap unit: image, or person (faces layout: every image of a person)")
      ->check(CLI::IsMember({"image", "person"}))
      ->capture_default_str();
  t->add_option("--bootstrap", tr->bootstrap, "Bootstrap resamples")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  t->add_option("--seed", tr->seed, "Seed of numpy's default_rng for the resamples")
      ->capture_default_str();
  t->add_option_function<std::string>(
      "--model",
      [tr](const std::string& v) {
        tr->model.model = v;
        tr->use_model = true;
      },
      "Run this model (folder or name, as predict --model) over --images");
  t->add_option("--batch", tr->model.batch, "With --model: images per forward pass")
      ->capture_default_str();
  t->add_option("--threads", tr->model.threads, "With --model: threads (0 = all cores)")
      ->capture_default_str();
  t->add_option("--precision", tr->model.precision,
                "With --model: auto (bf16 where the CPU has AVX-512-BF16 or AMX, else fp32), "
                "fp32 or bf16, as predict")
      ->check(CLI::IsMember({"fp32", "bf16", "auto"}))
      ->capture_default_str();
  set_examples(*t, {"emonet bench transfer ferd.jsonl --mapping transfer_mappings.json:ferd",
                    "emonet bench transfer --images fer2013/ --layout fer2013 --split test "
                    "--model large --mapping transfer_mappings.json:ferd",
                    "emonet predict faces/ > faces.jsonl && emonet bench transfer faces.jsonl "
                    "--images faces/ --layout faces --group-by person --mapping "
                    "transfer_mappings.json:ferd",
                    "emonet bench transfer affectnet.jsonl --mapping "
                    "transfer_mappings.json:affectnet --label-field label --format json"});

  auto hq = std::make_shared<HqOptions>();
  auto* h = bench->add_subcommand(
      "hq", "The HQ benchmark: agreement of models and experts, alpha, Spearman, with CIs");
  h->add_option("file", hq->file, "hq.csv (image, annotator, human, annotations)")
      ->required()
      ->check(CLI::ExistingFile);
  h->add_option("--predictions", hq->predictions,
                "Predictions JSONL (emonet predict / authors' eval layout) joined as a model; "
                "repeatable")
      ->check(CLI::ExistingFile);
  h->add_option("--vlm", hq->vlm,
                "An `emonet eval vlm` JSONL joined as a model annotator (failed images are "
                "not rated); repeatable")
      ->check(CLI::ExistingFile);
  h->add_option("--name", hq->names,
                "Annotator name for each --predictions file (its group "
                "follows the authors' name rules)");
  h->add_option("--score", hq->scores, "Score of each --predictions file to use")
      ->check(CLI::IsMember({"raw", "mean_subtracted"}));
  h->add_flag("--allow-missing", hq->allow_missing,
              "Score predictions that miss some HQ images (missing = not rated)");
  h->add_option("--bootstrap", hq->bootstrap, "Bootstrap resamples per confidence interval")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  h->add_option("--seed", hq->seed, "Seed of every numpy default_rng the notebook creates")
      ->capture_default_str();
  h->add_option("--threads", hq->threads, "Worker threads (0 = all cores)")->capture_default_str();
  h->add_option("--out", hq->out, "Folder for CSV + JSON of every table and report.html");
  h->add_option("--format", hq->format, "Stdout format")
      ->check(CLI::IsMember({"markdown", "json"}))
      ->capture_default_str();
  set_examples(*h, {"emonet bench hq data/hq.csv", "emonet bench hq data/hq.csv --out hq-report/",
                    "emonet bench hq data/hq.csv --predictions mine.jsonl --name \"My Model ZS\" "
                    "--score raw --bootstrap 1000 --seed 42"});

  return [bench, b, t, h, bin, tr, hq, &global]() -> int {
    if (b->parsed()) return run_binary(*bin);
    if (t->parsed()) return run_transfer(*tr, global);
    if (h->parsed()) return run_hq(*hq);
    std::cerr << bench->help();
    return 2;
  };
}

EMONET_REGISTER_COMMAND("bench", setup);

}  // namespace
}  // namespace emonet::cli
