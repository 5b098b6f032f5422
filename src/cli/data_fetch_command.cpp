// `emonet data fetch hq|binary|big`: a published EmoNet-Face set from Hugging Face as an
// image folder plus metadata.csv.
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "emonet/data_fetch.h"
#include "emonet/usage_notice.h"

namespace emonet::cli {
namespace {

struct Options {
  data::DataFetchOptions fetch;
  std::string format = "text";
};

int run(Options o, const GlobalOptions& global) {
  o.fetch.progress = !global.quiet;
  // The cards' use restrictions go to stderr before anything is downloaded, --quiet or not.
  std::fputs(std::string(forbidden_uses_notice()).c_str(), stderr);
  const auto r = data::fetch_dataset(o.fetch);
  if (o.format == "json") {
    nlohmann::ordered_json j;
    j["dir"] = r.dir;
    j["metadata"] = r.metadata_csv;
    j["parquet_files"] = r.parquet_files;
    j["auto_converted"] = r.auto_converted;
    j["rows"] = r.rows;
    j["images_written"] = r.images_written;
    j["images_skipped"] = r.images_skipped;
    j["files_downloaded"] = r.files_downloaded;
    j["retries"] = r.retries;
    std::cout << j.dump(2) << "\n";
  } else {
    std::printf(
        "%s: %llu rows from %zu Parquet files (%llu images written, %llu already "
        "present)\n",
        r.dir.c_str(), static_cast<unsigned long long>(r.rows), r.parquet_files.size(),
        static_cast<unsigned long long>(r.images_written),
        static_cast<unsigned long long>(r.images_skipped));
    std::printf("use it with: emonet predict %s\n", r.metadata_csv.c_str());
  }
  return 0;
}

RunFn setup(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<Options>();
  CLI::App* data = shared_parent(app, "data", "Get, design, generate, pack and audit datasets");
  auto* cmd = data->add_subcommand(
      "fetch", "Download a published EmoNet-Face set (Parquet) as images/ + metadata.csv");
  cmd->add_option("set", o->fetch.set, "hq, binary or big")
      ->required()
      ->check(CLI::IsMember({"hq", "binary", "big"}));
  cmd->add_option("--dir", o->fetch.dir, "Folder to create (default ./emonet-face-SET)");
  cmd->add_option("--repo", o->fetch.repo,
                  "Dataset repository OWNER/NAME instead of the published one");
  cmd->add_option("--revision", o->fetch.revision, "Branch, tag or commit")->capture_default_str();
  cmd->add_option("--retries", o->fetch.retries, "Extra attempts after a transient failure")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  cmd->add_option("--format", o->format, "Summary format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->footer(
      "The endpoint is $HF_ENDPOINT (default https://huggingface.co); $HF_TOKEN is sent "
      "when set. Reruns resume: finished Parquet files and images are skipped.");
  set_examples(*cmd, {"emonet data fetch binary --dir data/binary",
                      "HF_ENDPOINT=https://hf-mirror.example emonet data fetch hq"});
  return [o, &global] { return run(*o, global); };
}

EMONET_REGISTER_COMMAND("data fetch", setup);

}  // namespace
}  // namespace emonet::cli
