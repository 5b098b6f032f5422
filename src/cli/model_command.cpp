// `emonet model fetch|info`: download a model directory, or describe one.
#include <cstdio>
#include <iostream>

#include "cli/command.h"
#include "emonet/model_fetch.h"
#include "emonet/model_files.h"
#include "emonet/usage_notice.h"

namespace emonet::cli {
namespace {

struct Options {
  std::string variant;
  std::string dir;
  std::string info_dir;
  std::string format = "table";
};

std::string human_bytes(std::uint64_t b) {
  char buf[32];
  if (b >= (1u << 30))
    std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(b) / (1u << 30));
  else if (b >= (1u << 20))
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(b) / (1u << 20));
  else
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(b) / 1024);
  return buf;
}

int run_fetch(const Options& o, const GlobalOptions& global) {
  model::FetchOptions f;
  f.variant = o.variant;
  f.dir = o.dir;
  f.progress = !global.quiet;
  // The cards' use restrictions go to stderr before anything is downloaded, --quiet or not.
  std::fputs(std::string(forbidden_uses_notice()).c_str(), stderr);
  const auto result = model::fetch_model(f);
  if (o.format == "json") {
    nlohmann::ordered_json j;
    j["dir"] = result.dir;
    j["files"] = nlohmann::ordered_json::array();
    for (const auto& file : result.files)
      j["files"].push_back({{"repo", file.repo},
                            {"name", file.name},
                            {"path", file.path},
                            {"bytes", file.size},
                            {"downloaded", file.downloaded},
                            {"resumed_from", file.resumed_from}});
    std::cout << j.dump(2) << "\n";
  } else {
    std::size_t downloaded = 0;
    for (const auto& file : result.files) downloaded += file.downloaded ? 1 : 0;
    std::printf("%s: %zu files (%zu downloaded, %zu already present)\n", result.dir.c_str(),
                result.files.size(), downloaded, result.files.size() - downloaded);
    std::printf("use it with: emonet predict --model %s IMAGE...\n", result.dir.c_str());
  }
  return 0;
}

int run_info(const Options& o) {
  const auto info = model::describe_model(model::resolve_model_arg(o.info_dir));
  if (o.format == "json") {
    std::cout << info.dump(2) << "\n";
    return 0;
  }
  const auto& a = info["architecture"];
  const auto& w = info["vision_weights"];
  const auto& h = info["heads"];
  const auto& n = info["neutral_stats"];
  std::printf("model directory  %s\n", info["dir"].get<std::string>().c_str());
  std::printf(
      "vision tower     SigLIP, hidden %d, %d layers, %d heads (dim %d), MLP %d, %s, "
      "eps %g\n",
      a["hidden_size"].get<int>(), a["num_hidden_layers"].get<int>(),
      a["num_attention_heads"].get<int>(), a["head_dim"].get<int>(),
      a["intermediate_size"].get<int>(), a["hidden_act"].get<std::string>().c_str(),
      a["layer_norm_eps"].get<double>());
  std::printf("input            %dx%d, patch %d -> %d tokens\n", a["image_size"].get<int>(),
              a["image_size"].get<int>(), a["patch_size"].get<int>(), a["num_patches"].get<int>());
  std::printf("vision weights   %lld parameters in %zu tensors (%s), %zu other tensors skipped\n",
              w["parameters"].get<long long>(), w["tensors"].get<std::size_t>(),
              human_bytes(w["bytes"].get<std::uint64_t>()).c_str(),
              w["other_tensors_skipped"].get<std::size_t>());
  std::printf("heads            %zu, variant %s, layers %s, %lld parameters each\n",
              h["count"].get<std::size_t>(), h["variant"].get<std::string>().c_str(),
              h["layers"].get<std::string>().c_str(), h["parameters_per_head"].get<long long>());
  std::printf("neutral stats    %s, %s, %zu entries\n", n["file"].get<std::string>().c_str(),
              n["shape"].get<std::string>().c_str(), n["entries"].get<std::size_t>());
  std::printf("files            %zu, %s in total\n", info["files"].size(),
              human_bytes(info["total_bytes"].get<std::uint64_t>()).c_str());
  for (const auto& f : info["files"])
    std::printf("  %10s  %s\n", human_bytes(f["bytes"].get<std::uint64_t>()).c_str(),
                f["path"].get<std::string>().c_str());
  return 0;
}

RunFn setup(CLI::App& app, const GlobalOptions& global) {
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("model", "Download or describe an Empathic-Insight-Face model");
  cmd->require_subcommand(1);
  set_examples(*cmd, {"emonet model fetch large", "emonet model info large"});

  auto* fetch = cmd->add_subcommand(
      "fetch", "Download SigLIP2 and the Large or Small heads from Hugging Face (resumable)");
  fetch->add_option("variant", opts->variant, "large or small")
      ->required()
      ->check(CLI::IsMember({"large", "small"}));
  fetch->add_option("--dir", opts->dir,
                    "Target model directory (default: $XDG_CACHE_HOME/emonet/<variant> or "
                    "~/.cache/emonet/<variant>)");
  fetch->add_option("--format", opts->format, "Output format")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  set_examples(*fetch, {"emonet model fetch large", "emonet model fetch small --dir models/small",
                        "HF_ENDPOINT=https://hf-mirror.example emonet model fetch large"});

  auto* info = cmd->add_subcommand("info", "Architecture, parameter count and files of a model");
  info->add_option("dir", opts->info_dir,
                   "Model directory, or large / small for the default download")
      ->required();
  info->add_option("--format", opts->format, "Output format")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  set_examples(*info, {"emonet model info large", "emonet model info models/small --format json"});

  return [opts, fetch, &global] {
    if (fetch->parsed()) return run_fetch(*opts, global);
    return run_info(*opts);
  };
}

EMONET_REGISTER_COMMAND("model", setup);

}  // namespace
}  // namespace emonet::cli
