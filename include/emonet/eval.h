// Vision-language model evaluation (`emonet eval vlm`): asks a model behind an
// OpenAI-compatible /v1/chat/completions endpoint to annotate face images with one of the
// versioned protocols, and writes one JSONL record per image.
//
//   zs     the authors' zero-shot protocol (spec §8.1): one prompt per image, the reply's
//          "value" object must hold exactly 25 keys and no zero, otherwise the prompt is
//          sent again with the addendum, up to 20 attempts.
//   ms     the authors' multi-shot protocol (spec §8.2): 40 emotions + 4 extra dimensions,
//          each {"rating", "reasoning"}, at most 5 emotions non-zero, one attempt.
//   yesno  the logprob readout: one request per emotion ("Does this face express X?"),
//          assistant turn prefilled "Answer:", P(yes) from the first token's top_logprobs.
//
// With --max-cost the run stops before a request could take the spending past the budget;
// the images it could not finish are "budget_exhausted", those never started get no record.
//
// Every successful HTTP exchange is stored in a SQLite cache keyed by endpoint, model,
// protocol version, prompt, image bytes and sampling parameters, so a rerun repeats
// nothing that finished. Transient failures (429, 5xx, timeouts, dropped connections)
// are retried with exponential backoff and jitter, honouring Retry-After.
//
// Thread-safety: the parse functions are pure and thread-safe; run_vlm_eval() uses its
// own worker threads and must not be called concurrently on the same cache file or
// output path.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace emonet::eval {

enum class VlmProtocol { kZeroShot, kMultiShot, kYesNo };
VlmProtocol parse_vlm_protocol(std::string_view name);  // "zs" | "ms" | "yesno"; throws Error
std::string_view protocol_name(VlmProtocol p);
// The version string that enters cache keys and output ("zs-v1", "yesno-v1").
std::string protocol_version(VlmProtocol p);

inline constexpr int kZeroShotMaxAttempts = 20;
inline constexpr std::size_t kZeroShotKeys = 25;

// ---- reply parsing (pure functions; also the fuzz target) ----

// Removes one leading ``` fence line (``` or ```json) and one trailing ``` fence, as the
// authors' notebook did before json.loads; surrounding whitespace is trimmed.
std::string strip_code_fence(std::string_view text);

struct ZeroShotReply {
  bool valid = false;                     // 25 keys in "value" and no value == 0
  std::string error;                      // why not valid (empty when valid)
  std::map<std::string, double> value;    // the reply's "value" object as given
  std::vector<std::string> unknown_keys;  // keys that are no "Group|Emotion" of the taxonomy
};
// Parses one ZS reply text; never throws.
ZeroShotReply parse_zero_shot_reply(std::string_view text);

struct MultiShotReply {
  bool valid = false;
  std::string error;
  std::map<std::string, int> emotions;  // by emotion name (guide.json spelling)
  std::map<std::string, int> extra_dimensions;
  std::map<std::string, std::string> reasoning;  // emotion / dimension name -> text
};
// Parses one MS reply: exact key sets, integer ratings (whole floats accepted), emotions
// 0..7 with at most 5 non-zero, Arousal 0..7, Valence and Dominance -3..3, Emotional
// Vulnerability 0..5. Never throws.
MultiShotReply parse_multi_shot_reply(std::string_view text);
inline constexpr int kMultiShotMaxNonZero = 5;

struct TokenLogprob {
  std::string token;
  double logprob = 0;
};
struct YesNoReadout {
  std::optional<double> p_yes;  // yes mass / (yes + no) mass; empty if neither appears
  double yes_no_share = 0;      // (yes + no) mass among the listed top_logprobs
};
// A token counts as yes/no when, trimmed and lower-cased, it is "yes"/"no".
YesNoReadout yes_no_readout(const std::vector<TokenLogprob>& top_logprobs);
// Pulls choices[0].logprobs.content[0].top_logprobs out of a chat completion body;
// throws Error if the body has no such list.
std::vector<TokenLogprob> first_token_top_logprobs(std::string_view response_body);

// ---- yes/no calibration to 0-7 ----

// Quantile calibration: for each p, q = the share of `calibration_p` that is <= p, and the
// result is the smallest rating r with human_cdf[r] >= q (human_cdf[r]: the experts' share
// of ratings <= r). So the calibrated ratings follow the experts' marginal.
std::vector<int> quantile_calibrate(const std::vector<double>& calibration_p,
                                    const std::array<double, 8>& human_cdf,
                                    const std::vector<double>& p);
enum class CalibrationSplit {
  kOracle,   // fit on every image, experts' marginal over all HQ images (an oracle: it sees
             // the test images' expert ratings)
  kHeldOut,  // fit on the images whose file name hashes to the calibration half
};
// FNV-1a 64 of the file name (the part after the last '/'), even: the calibration half.
bool in_calibration_half(std::string_view file_name);

// ---- prompts ----

struct Prompts {
  std::string main;      // zs: {{OPTIONS}} {{EXAMPLE}} {{FILE}}; ms: {{EMOTIONS}} {{ADDENDUM}};
                         // yesno: {{EMOTION}}
  std::string addendum;  // zs, ms: used on re-asks
};
// The built-in prompt files (prompts/vlm/<version>.txt, compiled in).
Prompts builtin_prompts(VlmProtocol p);
// The zero-shot prompt for one image, slots filled in.
std::string zero_shot_prompt(const Prompts& prompts, std::string_view file_name, bool re_ask);
// The fixed 25-key example object of the zero-shot prompt.
std::string zero_shot_example(std::string_view file_name);
// The multi-shot prompt; the addendum goes before the worked examples on a re-ask.
std::string multi_shot_prompt(const Prompts& prompts, bool re_ask);
std::string yes_no_prompt(const Prompts& prompts, std::string_view emotion_name);

// ---- image ablations (the perception floor) ----

enum class VlmAblation { kNone, kGrey, kShuffle };
VlmAblation parse_vlm_ablation(std::string_view name);  // "", "grey", "shuffle"; throws Error
// A uniform grey (128, 128, 128) RGB PNG.
std::string grey_png(int width, int height);
// A grey PNG of the size of the encoded image `image_bytes` (throws Error naming `name`).
std::string grey_like(const std::string& image_bytes, const std::string& name);

// ---- the run ----

struct VlmOptions {
  std::string endpoint;  // base URL; "/v1/chat/completions" is appended unless present
  std::string model;
  VlmProtocol protocol = VlmProtocol::kZeroShot;
  std::string api_key;            // sent as "Authorization: Bearer" when not empty
  std::string prompt_file;        // overrides the built-in main prompt
  std::string cache_path;         // SQLite cache; empty = no cache
  std::string out_path;           // JSONL output
  std::size_t concurrency = 4;    // fixed requests in flight, unless concurrency_auto
  bool concurrency_auto = false;  // AIMD (eval_aimd.h) between 1 and max_concurrency
  std::size_t max_concurrency = 64;
  double aimd_latency_factor = 2.0;  // 0: only 429s / timeouts shrink the concurrency
  int max_tokens = 0;                // 0: the protocol's (zs 1000, ms 2000 as the notebooks)
  std::optional<double> temperature;
  std::optional<long long> seed;
  double timeout_s = 120;
  std::size_t limit = 0;  // 0 = all images
  int top_logprobs = 20;  // yesno
  int max_retries = 6;    // per request, on transient failures
  double retry_base_s = 0.5;
  double retry_max_s = 60;
  VlmAblation ablation = VlmAblation::kNone;  // grey: uniform grey; shuffle: image i+1's bytes
  double price_in = 0, price_out = 0;         // per million prompt / completion tokens
  std::optional<double> max_cost;             // stop before spending more than this
  bool progress = true;
  // yesno: map P(yes) to 0-7 by quantile calibration against this hq.csv's experts
  // (empty: the linear round(7 p)). With kHeldOut the calibration half's records carry
  // p_yes but no annotations ("calibration": "fit"), the others are "scored".
  std::string calibrate_hq;
  CalibrationSplit calibration_split = CalibrationSplit::kOracle;
};

struct VlmImage {
  std::string id;    // image_path in the output (relative to a folder input)
  std::string path;  // file on disk
};
// Expands files and folders (recursively: .jpg .jpeg .png .webp), sorted by id.
std::vector<VlmImage> collect_vlm_images(const std::vector<std::string>& inputs);

struct VlmSummary {
  std::size_t images = 0, ok = 0, failed = 0;
  std::uint64_t requests_sent = 0;  // HTTP requests actually sent (retries included)
  std::uint64_t cache_hits = 0;
  std::uint64_t retries = 0;
  std::uint64_t prompt_tokens = 0, completion_tokens = 0;
  double cost = 0;                // of the requests sent (cached ones cost nothing)
  bool budget_exhausted = false;  // --max-cost stopped the run
  std::size_t not_started = 0;    // images without a record because the budget ran out
  // --concurrency auto: the limit at the end, the largest reached, the 429s/timeouts seen.
  std::size_t concurrency_final = 0, concurrency_peak = 0;
  std::uint64_t throttled = 0;
};

// The progress bar's detail text: "retries 3  failed 1  tokens 12.3k  cost 0.0123
// in-flight 8" (cost only when priced, in-flight only with --concurrency auto).
struct VlmProgressCounts {
  std::uint64_t retries = 0, tokens = 0;
  std::size_t failed = 0;
  double cost = 0;
  bool priced = false;
  std::size_t concurrency = 0;  // 0: not shown
};
std::string vlm_progress_detail(const VlmProgressCounts& c);
VlmSummary run_vlm_eval(const std::vector<VlmImage>& images, const VlmOptions& options);

}  // namespace emonet::eval
