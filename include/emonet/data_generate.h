// `emonet data generate`: runs a generation manifest (design.csv, `emonet data design`)
// against a text-to-image server and writes a dataset folder: images/<id>.png, a sidecar
// images/<id>.json per image (the manifest row and the generator parameters) and
// metadata.csv (the shared format: the design's columns, for the rows that were made).
//
// Backends:
//   comfyui  POST /prompt with the workflow JSON (API format) in which every string
//            containing "{prompt}" gets the row's prompt substituted and every value
//            "{seed}" the row's seed (without a "{seed}" marker, the `seed` /
//            `noise_seed` inputs of sampler nodes are set); poll GET /history/{id} until
//            the prompt has outputs (or the queue timeout passes), GET /view for the image;
//   a1111    POST /sdapi/v1/txt2img (AUTOMATIC1111 / Forge), the first base64 image;
//   openai   POST /v1/images/generations with response_format b64_json (any
//            OpenAI-compatible server; the API key from --api-key-env, default
//            OPENAI_API_KEY; OpenAI has no seed, the sidecar records that).
// Requests run on `concurrency` worker threads. HTTP 429 / 5xx, timeouts, dropped
// connections and malformed replies are retried up to `retries` times after
// base * 2^k seconds with full jitter, or after Retry-After when the server sends one;
// other 4xx are final for the row. A row that fails does not stop the others.
//
// Resuming: OUT/generate-state.jsonl gets one line per finished row, appended only after
// its image and sidecar are in place (each written atomically), so a killed run restarts
// where it stopped, never regenerates a finished row, and metadata.csv (rewritten
// atomically at the end of every run, in design order) lists every row exactly once.
//
// Thread-safety: generate_dataset() is reentrant; don't run two into one OUT at once.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace emonet::data {

struct GenerateOptions {
  std::string design;       // design.csv (needs id, prompt; seed, file_name optional)
  std::string backend;      // comfyui | a1111 | openai
  std::string endpoint;     // server base URL, e.g. http://127.0.0.1:8188
  std::string workflow;     // comfyui: workflow JSON file (API format)
  std::string api_key_env;  // environment variable holding the API key ("" = backend default)
  std::string out;          // dataset folder to write
  int concurrency = 2;
  int retries = 5;
  double retry_base_s = 1.0;
  double retry_after_cap_s = 120;  // longest Retry-After honoured
  double request_timeout_s = 300;  // one HTTP request
  double queue_timeout_s = 900;    // comfyui: a prompt not finished by then fails the row
  double poll_interval_s = 1.0;    // comfyui: /history polling
  int width = 1024, height = 1024;
  int steps = 28;               // a1111
  std::string model;            // openai: model name (default "gpt-image-1"); a1111: ignored
  std::string negative_prompt;  // a1111 / comfyui "{negative}" marker
  bool progress = true;
};

struct GenerateResult {
  std::size_t rows = 0;               // in the design
  std::size_t generated = 0;          // this run
  std::size_t skipped = 0;            // finished by an earlier run
  std::vector<std::string> failures;  // "id: message" per failed row
  std::string metadata_csv;
};

GenerateResult generate_dataset(const GenerateOptions& options);

// ---- reply parsers and the workflow substitution (exposed for tests and the fuzzer) -----
// Each throws emonet::Error naming `source` for a reply it cannot use.

// POST /prompt reply -> prompt_id.
std::string parse_comfyui_queued(std::string_view body, const std::string& source);
struct ComfyImage {
  std::string filename, subfolder, type;
};
// GET /history/{id} reply -> the first output image, or nullopt while still queued/running.
// A prompt that ComfyUI reports as failed (status "error") throws.
std::optional<ComfyImage> parse_comfyui_history(std::string_view body, const std::string& prompt_id,
                                                const std::string& source);
// A1111 txt2img reply -> the first image's bytes (base64-decoded).
std::string parse_a1111_reply(std::string_view body, const std::string& source);
// OpenAI images reply -> data[0].b64_json decoded.
std::string parse_openai_images_reply(std::string_view body, const std::string& source);

// The workflow with {prompt}/{negative}/{seed} substituted; throws if it has no {prompt}.
nlohmann::json substitute_workflow(const nlohmann::json& workflow, const std::string& prompt,
                                   const std::string& negative, std::int64_t seed,
                                   const std::string& source);

}  // namespace emonet::data
