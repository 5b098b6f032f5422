// `emonet merge`: joins shard outputs after checking the set is whole (emonet/merge.h).
#include <cstdio>

#include "cli/command.h"
#include "emonet/merge.h"

namespace emonet::cli {
namespace {

struct Options {
  std::vector<std::string> inputs;
  std::string out;
};

int run(const Options& o, const GlobalOptions& global) {
  const auto s = data::merge_shards(o.inputs, o.out);
  if (!global.quiet)
    std::fprintf(stderr, "emonet: merged %zu %s shards, %zu records -> %s\n", s.shards,
                 s.kind.c_str(), s.records, s.written.c_str());
  return 0;
}

RunFn setup(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "merge", "Join shard outputs of predict/embed; fails naming missing or overlapping shards");
  cmd->add_option("--out", o->out, "Merged predictions file, or folder for merged embeddings")
      ->required();
  cmd->add_option("inputs", o->inputs, "Shard files (<stem>-IIIII-of-NNNNN.ext) or folders")
      ->required();
  set_examples(*cmd,
               {"emonet merge --out scores.jsonl parts/", "emonet merge --out emb-all/ emb/"});
  return [o, &global] { return run(*o, global); };
}

EMONET_REGISTER_COMMAND("merge", setup);

}  // namespace
}  // namespace emonet::cli
