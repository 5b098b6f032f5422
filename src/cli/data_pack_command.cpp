// `emonet data pack`: a dataset folder as WebDataset tar shards with an index.
#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "emonet/data_pack.h"

namespace emonet::cli {
namespace {

struct Options {
  std::string input;
  std::string output;
  std::string shard_size = "1GB";
};

int run(const Options& o, const GlobalOptions& global) {
  PackOptions p;
  p.input = o.input;
  p.output = o.output;
  p.shard_bytes = parse_byte_size(o.shard_size, "shard-size");
  p.progress = !global.quiet;
  const auto r = pack_dataset(p);
  if (!global.quiet) {
    std::fprintf(stderr, "%s: %llu samples in %zu shards\n", o.output.c_str(),
                 static_cast<unsigned long long>(r.samples), r.shards.size());
  }
  return 0;
}

RunFn setup(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<Options>();
  CLI::App* data = shared_parent(app, "data", "Get, design, generate, pack and audit datasets");
  auto* cmd = data->add_subcommand(
      "pack", "Write a dataset folder as WebDataset tar shards (NNNNN.tar + index.json)");
  cmd->add_option("dir", o->input, "Folder holding metadata.csv and the images")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--shard-size", o->shard_size, "Largest shard (1GB, 500MB, 64MiB, bytes)")
      ->capture_default_str();
  cmd->add_option("-o,--output", o->output, "Shards folder to create")->required();
  set_examples(*cmd, {"emonet data pack data/binary -o shards/",
                      "emonet data pack generated/ --shard-size 500MB -o shards/"});
  return [o, &global] { return run(*o, global); };
}

EMONET_REGISTER_COMMAND("data pack", setup);

}  // namespace
}  // namespace emonet::cli
