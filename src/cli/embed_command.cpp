// `emonet embed`: the resumable, sharded embeddings cache (library: emonet/embed.h).
#include <cstdio>
#include <iostream>
#include <optional>

#include "cli/command.h"
#include "emonet/embed.h"
#include "emonet/image_source.h"
#include "emonet/model.h"

namespace emonet::cli {
namespace {

struct Options {
  std::string model = "large";
  std::string out;
  std::size_t batch = 8;
  int threads = 0;
  std::string precision = "auto";
  bool exif_rotate = false;
  std::string shard = "0/1";
  std::optional<std::size_t> shard_count;
  std::vector<std::string> inputs;
};

int run(const Options& o, const GlobalOptions& global) {
  const auto shard = data::parse_shard(o.shard, o.shard_count);
  const auto items = data::list_images(o.inputs);
  model::ModelOptions mo;
  mo.threads = o.threads;
  mo.precision = model::parse_precision(o.precision);
  const auto m = model::Model::load(o.model, mo);
  data::EmbedOptions eo;
  eo.batch = o.batch;
  eo.exif_rotate = o.exif_rotate;
  eo.progress = !global.quiet;
  const auto s = data::embed_images(m, items, shard, o.out, eo, std::cerr);
  if (!global.quiet)
    std::fprintf(stderr,
                 "emonet: shard %zu/%zu: %zu images, %zu embedded, %zu unchanged (cached), %zu "
                 "failed -> %s\n",
                 shard.index, shard.count, s.images, s.embedded, s.reused, s.failed, s.npy.c_str());
  return s.failed > 0 ? 1 : 0;
}

RunFn setup(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "embed", "Cache pooled, L2-normalised SigLIP embeddings (resumable, sharded)");
  cmd->add_option("--model", o->model, "Model directory, or large / small from the cache")
      ->capture_default_str();
  cmd->add_option("--out", o->out, "Cache folder (embeddings-IIIII-of-NNNNN.npy + .index.jsonl)")
      ->required();
  cmd->add_option("--shard", o->shard, "Shard I/N (0-based, by image id) or auto")
      ->capture_default_str();
  cmd->add_option("--shard-count", o->shard_count, "N for --shard auto (overrides Slurm's)");
  cmd->add_option("--batch", o->batch, "Images per forward pass")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "CPU threads (0 = all cores)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  cmd->add_option(
         "--precision", o->precision,
         "fp32, bf16, int8 or auto (bf16 where the CPU has AVX-512-BF16 or AMX, as predict)")
      ->check(CLI::IsMember({"fp32", "bf16", "int8", "auto"}))
      ->capture_default_str();
  cmd->add_flag("--exif-rotate", o->exif_rotate, "Apply EXIF orientation");
  cmd->add_option("inputs", o->inputs,
                  "Image files, folders, manifests (metadata.csv) or WebDataset shards")
      ->required();
  set_examples(*cmd, {"emonet embed --model large --out emb/ images/",
                      "emonet embed --model large --out emb/ --shard 3/16 shards/",
                      "emonet embed --model large --out emb/ --shard auto metadata.csv"});
  return [o, &global] { return run(*o, global); };
}

EMONET_REGISTER_COMMAND("embed", setup);

}  // namespace
}  // namespace emonet::cli
