// `emonet data generate design.csv --backend comfyui|a1111|openai --endpoint URL --out DIR`:
// runs a generation manifest against a text-to-image server (resumable).
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "emonet/data_generate.h"

namespace emonet::cli {
namespace {

struct Options {
  data::GenerateOptions gen;
  std::string format = "text";
};

int run(Options o, const GlobalOptions& global) {
  o.gen.progress = !global.quiet;
  const auto r = data::generate_dataset(o.gen);
  if (o.format == "json") {
    nlohmann::ordered_json j;
    j["rows"] = r.rows;
    j["generated"] = r.generated;
    j["skipped"] = r.skipped;
    j["failures"] = r.failures;
    j["metadata"] = r.metadata_csv;
    std::cout << j.dump(2) << "\n";
  } else {
    std::printf("%s: %zu rows: %zu generated now, %zu already done, %zu failed\n",
                o.gen.out.c_str(), r.rows, r.generated, r.skipped, r.failures.size());
  }
  for (const auto& f : r.failures) std::fprintf(stderr, "emonet: failed: %s\n", f.c_str());
  if (!r.failures.empty()) {
    std::fprintf(stderr, "emonet: run the same command again to retry the failed rows\n");
    return 1;
  }
  return 0;
}

RunFn setup(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<Options>();
  auto& g = o->gen;
  CLI::App* data = shared_parent(app, "data", "Get, design, generate, pack and audit datasets");
  auto* cmd = data->add_subcommand(
      "generate", "Run a design.csv against a text-to-image server (ComfyUI, A1111, OpenAI)");
  cmd->add_option("design", g.design, "design.csv from `emonet data design`")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--backend", g.backend, "Server protocol")
      ->required()
      ->check(CLI::IsMember({"comfyui", "a1111", "openai"}));
  cmd->add_option("--endpoint", g.endpoint, "Server base URL (http://127.0.0.1:8188)")->required();
  cmd->add_option("--workflow", g.workflow,
                  "comfyui: workflow JSON in API format with {prompt} (and {seed}) markers")
      ->check(CLI::ExistingFile);
  cmd->add_option("--api-key-env", g.api_key_env,
                  "Environment variable holding the API key (openai default OPENAI_API_KEY)");
  cmd->add_option("--out", g.out, "Dataset folder to write")->required();
  cmd->add_option("--concurrency", g.concurrency, "Requests in flight")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  cmd->add_option("--retries", g.retries, "Extra attempts per request after a transient failure")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  cmd->add_option("--retry-base", g.retry_base_s, "Backoff base in seconds (base * 2^k, jittered)")
      ->capture_default_str();
  cmd->add_option("--timeout", g.request_timeout_s, "Seconds one HTTP request may take")
      ->capture_default_str();
  cmd->add_option("--queue-timeout", g.queue_timeout_s,
                  "comfyui: seconds a prompt may wait in the queue and run")
      ->capture_default_str();
  cmd->add_option("--poll-interval", g.poll_interval_s, "comfyui: seconds between /history polls")
      ->capture_default_str();
  cmd->add_option("--width", g.width, "Image width")->capture_default_str();
  cmd->add_option("--height", g.height, "Image height")->capture_default_str();
  cmd->add_option("--steps", g.steps, "a1111: sampling steps")->capture_default_str();
  cmd->add_option("--model", g.model, "openai: model name (default gpt-image-1)");
  cmd->add_option("--negative", g.negative_prompt,
                  "Negative prompt (a1111; comfyui {negative} marker)");
  cmd->add_option("--format", o->format, "Summary format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->footer(
      "Writes OUT/images/<id>.png, a sidecar OUT/images/<id>.json per image and "
      "OUT/metadata.csv. A killed or failed run resumes from OUT/generate-state.jsonl: "
      "finished rows are never generated again.");
  set_examples(*cmd,
               {"emonet data generate design.csv --backend comfyui --endpoint "
                "http://127.0.0.1:8188 --workflow examples/comfyui_txt2img_api.json --out gen/",
                "emonet data generate design.csv --backend a1111 --endpoint "
                "http://127.0.0.1:7860 --out gen/ --concurrency 2",
                "emonet data generate design.csv --backend openai --endpoint "
                "https://api.openai.com --api-key-env OPENAI_API_KEY --out gen/"});
  return [o, &global] { return run(*o, global); };
}

EMONET_REGISTER_COMMAND("data generate", setup);

}  // namespace
}  // namespace emonet::cli
