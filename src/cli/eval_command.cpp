// `emonet eval vlm`: asks a vision-language model behind an OpenAI-compatible endpoint to
// annotate face images (protocols zs, ms, yesno) and writes one JSONL record per image.
#include <cstdio>
#include <cstdlib>

#include "cli/command.h"
#include "emonet/error.h"
#include "emonet/eval.h"

namespace emonet::cli {
namespace {

struct Options {
  eval::VlmOptions vlm;
  std::string protocol = "zs";
  std::string api_key_env, ablate, concurrency = "4", calibration_split = "oracle";
  double temperature = 0, max_cost = 0;
  long long seed = 0;
  std::vector<std::string> inputs;
};

int run(Options& o, const GlobalOptions& global, const CLI::App& cmd) {
  o.vlm.protocol = eval::parse_vlm_protocol(o.protocol);
  o.vlm.ablation = eval::parse_vlm_ablation(o.ablate);
  if (!o.vlm.calibrate_hq.empty() && o.vlm.protocol != eval::VlmProtocol::kYesNo)
    throw Error("--calibrate maps P(yes) to 0-7: it needs --protocol yesno");
  o.vlm.calibration_split = o.calibration_split == "heldout" ? eval::CalibrationSplit::kHeldOut
                                                             : eval::CalibrationSplit::kOracle;
  if (o.concurrency == "auto") {
    o.vlm.concurrency_auto = true;
  } else {
    char* end = nullptr;
    const long n = std::strtol(o.concurrency.c_str(), &end, 10);
    if (end == o.concurrency.c_str() || *end != '\0' || n < 1 || n > 1024)
      throw Error("--concurrency " + o.concurrency + ": give a number 1-1024 or auto");
    o.vlm.concurrency = static_cast<std::size_t>(n);
  }
  if (!o.api_key_env.empty()) {
    const char* key = std::getenv(o.api_key_env.c_str());
    if (key == nullptr || *key == '\0')
      throw Error("--api-key-env " + o.api_key_env + ": the variable is not set");
    o.vlm.api_key = key;
  }
  if (cmd.count("--temperature")) o.vlm.temperature = o.temperature;
  if (cmd.count("--seed")) o.vlm.seed = o.seed;
  if (cmd.count("--max-cost")) {
    if (o.vlm.price_in <= 0 && o.vlm.price_out <= 0)
      throw Error("--max-cost needs --price-in and/or --price-out (per million tokens)");
    o.vlm.max_cost = o.max_cost;
  }
  o.vlm.progress = !global.quiet;
  const auto images = eval::collect_vlm_images(o.inputs);
  if (images.empty()) throw Error("no images (.jpg .jpeg .png .webp) in the inputs");
  const auto s = eval::run_vlm_eval(images, o.vlm);
  if (!global.quiet)
    std::fprintf(stderr,
                 "emonet: %zu images, %zu ok, %zu failed; %llu requests sent (%llu retries), "
                 "%llu from the cache; %llu prompt + %llu completion tokens\n",
                 s.images, s.ok, s.failed, static_cast<unsigned long long>(s.requests_sent),
                 static_cast<unsigned long long>(s.retries),
                 static_cast<unsigned long long>(s.cache_hits),
                 static_cast<unsigned long long>(s.prompt_tokens),
                 static_cast<unsigned long long>(s.completion_tokens));
  if (!global.quiet && (o.vlm.price_in > 0 || o.vlm.price_out > 0))
    std::fprintf(stderr, "emonet: spent %.4f\n", s.cost);
  if (!global.quiet && o.vlm.concurrency_auto)
    std::fprintf(stderr, "emonet: concurrency auto ended at %zu (peak %zu), %llu throttled\n",
                 s.concurrency_final, s.concurrency_peak,
                 static_cast<unsigned long long>(s.throttled));
  if (s.budget_exhausted)
    std::fprintf(stderr,
                 "emonet: stopped before exceeding --max-cost %.4f; %zu images not started\n",
                 o.max_cost, s.not_started);
  return s.failed > 0 || s.budget_exhausted ? 1 : 0;
}

RunFn setup(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<Options>();
  auto* parent = shared_parent(app, "eval", "Evaluate other models on EmoNet-Face");
  auto* cmd = parent->add_subcommand(
      "vlm", "Annotate images with a vision-language model (OpenAI-compatible endpoint)");
  cmd->add_option("--endpoint", o->vlm.endpoint,
                  "Base URL (http://host:8000 or .../v1); /v1/chat/completions is appended")
      ->required();
  cmd->add_option("--model", o->vlm.model, "Model name sent in the request")->required();
  cmd->add_option("--protocol", o->protocol,
                  "zs / ms (the authors' zero-shot / multi-shot, spec 8.1 / 8.2) or yesno "
                  "(P(yes) logprob readout)")
      ->check(CLI::IsMember({"zs", "ms", "yesno"}))
      ->capture_default_str();
  cmd->add_option("--out", o->vlm.out_path, "Output JSONL, one record per image")->required();
  cmd->add_option("--api-key-env", o->api_key_env,
                  "Environment variable holding the API key (sent as a Bearer token)");
  cmd->add_option("--concurrency", o->concurrency,
                  "Requests in flight: a number, or auto (AIMD: grows by one per window of "
                  "successes, halves on 429s, timeouts and latency rises)")
      ->capture_default_str();
  cmd->add_option("--max-concurrency", o->vlm.max_concurrency, "Upper bound of --concurrency auto")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_option("--cache", o->vlm.cache_path,
                  "SQLite cache of requests and raw responses (a rerun repeats nothing)");
  cmd->add_option("--prompt-file", o->vlm.prompt_file,
                  "Replace the built-in prompt (prompts/vlm/<protocol>-v1.txt)");
  cmd->add_option("--max-tokens", o->vlm.max_tokens,
                  "max_tokens of zs/ms requests (default 1000 zs, 2000 ms)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--temperature", o->temperature, "Sampling temperature (default: not sent)");
  cmd->add_option("--seed", o->seed, "Sampling seed (default: not sent)");
  cmd->add_option("--top-logprobs", o->vlm.top_logprobs, "top_logprobs of yesno requests")
      ->check(CLI::Range(1, 20))
      ->capture_default_str();
  cmd->add_option("--timeout", o->vlm.timeout_s, "Seconds per request before it is retried")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--retries", o->vlm.max_retries, "Retries per request on 429/5xx/timeouts")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  cmd->add_option("--retry-base", o->vlm.retry_base_s,
                  "First backoff step in seconds (doubles per retry, with jitter)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--price-in", o->vlm.price_in, "Price per million prompt tokens")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--price-out", o->vlm.price_out, "Price per million completion tokens")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-cost", o->max_cost,
                  "Stop cleanly before the spending (priced by --price-in/--price-out) "
                  "would exceed this")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--ablate-image", o->ablate,
                  "Perception floor: grey (uniform grey image of the same size) or shuffle "
                  "(another image's pixels); the prompt is unchanged")
      ->check(CLI::IsMember({"grey", "shuffle"}));
  cmd->add_option("--calibrate", o->vlm.calibrate_hq,
                  "yesno: map P(yes) to 0-7 by quantile calibration against the experts' "
                  "marginal per emotion in this hq.csv (default: round(7 p))")
      ->check(CLI::ExistingFile);
  cmd->add_option("--calibrate-split", o->calibration_split,
                  "oracle (fit on every image: an oracle) or heldout (fit on the images whose "
                  "file name hashes even, score the others)")
      ->check(CLI::IsMember({"oracle", "heldout"}))
      ->capture_default_str();
  cmd->add_option("--limit", o->vlm.limit, "Only the first N images (0 = all)")
      ->capture_default_str();
  cmd->add_option("inputs", o->inputs, "Image files or folders")->required();
  set_examples(*cmd, {"emonet eval vlm --endpoint http://localhost:8000 --model Qwen2.5-VL-7B "
                      "--protocol yesno --cache vlm.sqlite hq_images/ --out qwen-yesno.jsonl"});
  return [o, &global, cmd] { return run(*o, global, *cmd); };
}

EMONET_REGISTER_COMMAND("eval", setup);

}  // namespace
}  // namespace emonet::cli
