// `emonet train heads`: train the emotion heads from cached embeddings (library:
// emonet/train.h, docs/train.md).
#include <omp.h>

#include <cstdio>
#include <iostream>

#include "cli/command.h"
#include "emonet/files.h"
#include "emonet/train.h"

namespace emonet::cli {
namespace {

struct Options {
  train::TrainOptions train;
  std::string format = "auto";
  int threads = 0;
  bool no_dropout = false;
};

int run(Options& o, const GlobalOptions& global) {
  if (o.threads > 0) omp_set_num_threads(o.threads);
  static const std::map<std::string, train::LabelFormat> formats{
      {"auto", train::LabelFormat::Auto},
      {"jsonl", train::LabelFormat::Jsonl},
      {"metadata", train::LabelFormat::MetadataCsv},
      {"binary", train::LabelFormat::BinaryCsv},
      {"hq", train::LabelFormat::HqCsv}};
  o.train.label_format = formats.at(o.format);
  o.train.dropout = !o.no_dropout;
  o.train.progress = !global.quiet;
  const auto s = train::train_heads(o.train, std::cerr);
  std::fprintf(stderr,
               "emonet: %zu images (%zu train, %zu validation), %zu heads trained, %zu carried "
               "over; best epoch %d -> %s\n",
               s.images, s.train, s.val, s.trained_heads.size(), s.frozen_heads.size(),
               s.best_epoch, s.heads_dir.c_str());
  return 0;
}

RunFn setup(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<Options>();
  CLI::App* parent = shared_parent(app, "train", "Train the emotion heads");
  auto* cmd = parent->add_subcommand(
      "heads", "Train all 44 heads together on cached embeddings (AdamW, warmup + cosine)");
  auto& t = o->train;
  cmd->add_option("--embeddings", t.embeddings, "Embeddings cache folder (emonet embed) or .npy")
      ->required();
  cmd->add_option("--labels", t.labels,
                  "Labels: MS-protocol JSONL, metadata.csv score columns, binary.csv or hq.csv")
      ->required();
  cmd->add_option("--label-format", o->format, "auto, jsonl, metadata, binary or hq")
      ->check(CLI::IsMember({"auto", "jsonl", "metadata", "binary", "hq"}))
      ->capture_default_str();
  cmd->add_option("--variant", t.variant, "large (1024-512-256) or small (128-32)")
      ->check(CLI::IsMember({"large", "small"}))
      ->capture_default_str();
  cmd->add_option("--hidden", t.hidden, "Other hidden widths, e.g. 64,32")->delimiter(',');
  cmd->add_option("--out", t.out, "Output model folder (heads/ in the published layout)")
      ->required();
  cmd->add_option("--neutral", t.neutral, "Embeddings of neutral faces, for the neutral statistics")
      ->required();
  cmd->add_option("--init", t.init, "Start from these heads (model or heads folder)");
  cmd->add_option("--siglip", t.siglip,
                  "SigLIP folder linked as OUT/siglip (default: the embeddings' model)");
  cmd->add_option("--seed", t.seed, "Seed of initialisation, split, shuffling and dropout")
      ->capture_default_str();
  cmd->add_option("--epochs", t.epochs, "Most epochs")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--batch", t.batch, "Mini-batch size")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  cmd->add_option("--lr", t.lr, "Peak learning rate")->capture_default_str();
  cmd->add_option("--min-lr", t.min_lr, "Learning rate at the end of the cosine")
      ->capture_default_str();
  cmd->add_option("--warmup", t.warmup, "Share of steps with linear warmup")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--weight-decay", t.weight_decay, "AdamW weight decay")->capture_default_str();
  cmd->add_option("--val-fraction", t.val_fraction, "Share of image ids held out for validation")
      ->capture_default_str();
  cmd->add_option("--patience", t.patience, "Epochs without validation improvement before stopping")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_flag("--no-dropout", o->no_dropout, "Train without dropout");
  cmd->add_option("--threads", o->threads, "CPU threads (0 = all cores; results depend on it)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  set_examples(*cmd, {"emonet train heads --embeddings emb/ --labels big.jsonl --variant large "
                      "--neutral neutral-emb/ --out big-heads/",
                      "emonet train heads --embeddings emb/ --labels binary.csv --init big-heads/ "
                      "--lr 1e-4 --neutral neutral-emb/ --out tuned/"});
  return [o, &global] { return run(*o, global); };
}

EMONET_REGISTER_COMMAND("train heads", setup);

}  // namespace
}  // namespace emonet::cli

namespace emonet::cli {
namespace {

RunFn setup_report(CLI::App& app, const GlobalOptions&) {
  auto o = std::make_shared<train::ReportOptions>();
  auto out = std::make_shared<std::string>();
  CLI::App* parent = shared_parent(app, "train", "Train the emotion heads");
  auto* cmd = parent->add_subcommand(
      "report", "Compare heads against the experts (bench binary and bench hq numbers)");
  cmd->add_option("--heads", o->heads, "Model or heads folders to compare")->expected(1, -1);
  cmd->add_option("--published", o->published, "The published heads (model or heads folder)");
  cmd->add_option("--embeddings", o->embeddings, "Embeddings of the Binary / HQ images")
      ->required();
  cmd->add_option("--binary", o->binary, "Binary expert votes (binary.csv)");
  cmd->add_option("--hq", o->hq, "HQ expert ratings (hq.csv)");
  cmd->add_option("--bootstrap", o->bootstrap, "Bootstrap resamples of the HQ CIs")
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed of the bootstrap")->capture_default_str();
  cmd->add_option("--out", *out, "Write the Markdown table here instead of stdout");
  set_examples(*cmd, {"emonet train report --heads tuned/ --published large --embeddings "
                      "binary-emb/ --binary binary.csv"});
  return [o, out] {
    const auto rep = train::train_report(*o, std::cerr);
    if (out->empty())
      std::cout << rep.markdown();
    else
      write_file_atomic(*out, rep.markdown());
    return 0;
  };
}

EMONET_REGISTER_COMMAND("train report", setup_report);

}  // namespace
}  // namespace emonet::cli
