// `emonet eval vlm`: the run loop. N worker threads take images in turn; each worker owns
// one HTTP client, so at most N requests are in flight. A yes/no image's 40 questions are
// asked one after another by the same worker (they share the image prefix, which lets a
// server's prefix cache reuse it). Results are written in input order at the end; the
// cache makes an interrupted run resumable.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "emonet/error.h"
#include "emonet/eval.h"
#include "emonet/eval_aimd.h"
#include "emonet/files.h"
#include "emonet/progress.h"
#include "emonet/strings.h"
#include "emonet/taxonomy.h"
#include "eval/vlm_internal.h"

namespace emonet::eval {
namespace {

namespace fs = std::filesystem;
using detail::HttpClient;
using detail::ResponseCache;
using nlohmann::json;

std::string base64(std::string_view in) {
  static constexpr char k[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16 |
                       static_cast<unsigned char>(in[i + 1]) << 8 |
                       static_cast<unsigned char>(in[i + 2]);
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += {k[v >> 18], k[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned v =
        static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8;
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], '='};
  }
  return out;
}

std::string mime_of(const std::string& path) {
  const std::string ext = to_lower(fs::path(path).extension().string());
  if (ext == ".png") return "image/png";
  if (ext == ".webp") return "image/webp";
  return "image/jpeg";
}

bool is_image(const fs::path& p) {
  const std::string ext = to_lower(p.extension().string());
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".webp";
}

std::string chat_url(std::string endpoint) {
  while (ends_with(endpoint, "/")) endpoint.pop_back();
  if (ends_with(endpoint, "/chat/completions")) return endpoint;
  if (ends_with(endpoint, "/v1")) return endpoint + "/chat/completions";
  return endpoint + "/v1/chat/completions";
}

struct Shared {
  const VlmOptions& o;
  Prompts prompts;
  std::string url;
  ResponseCache cache;
  detail::HttpStats http;
  std::atomic<std::uint64_t> hits{0}, prompt_tokens{0}, completion_tokens{0};
  detail::CostGuard cost;
};

struct Image {
  const VlmImage& img;
  std::string data_url, hash;
};

// One chat completion, from the cache or the server. `tag` separates requests whose body
// is identical but which are distinct questions (the n-th re-ask of the same prompt).
struct Exchange {
  bool ok = false;
  bool cached = false;
  bool over_budget = false;  // not sent: --max-cost would be exceeded
  std::string body, error;
  int tries = 0;
  json usage;
  json parsed;  // the body, parsed once (discarded when it is not JSON)
};

Exchange ask(Shared& s, HttpClient& client, const Image& im, json body, const std::string& tag) {
  // The key holds the request with the image replaced by its hash, plus the endpoint and
  // protocol version: any change of model, prompt, image or sampling misses the cache.
  const std::string request = body.dump();  // serialised once: sent and, hashed, the key
  std::string request_for_key, key;
  if (s.cache.enabled()) {  // without a cache the key is never used: skip the hashing
    const std::string hash_token = "blake2b:" + im.hash;
    request_for_key = request;
    for (std::size_t p = request_for_key.find(im.data_url); p != std::string::npos;
         p = request_for_key.find(im.data_url, p + hash_token.size()))
      request_for_key.replace(p, im.data_url.size(), hash_token);
    key = detail::hash_hex(s.url + "\n" + protocol_version(s.o.protocol) + "\n" + tag + "\n" +
                           request_for_key);
  }
  Exchange e;
  if (auto hit = s.cache.get(key)) {  // no cache: never a hit
    ++s.hits;
    e.ok = true;
    e.cached = true;
    e.body = std::move(*hit);
  } else {
    if (!s.cost.acquire()) {
      e.over_budget = true;
      return e;
    }
    const auto r = client.post(request);
    e.tries = r.tries;
    if (!r.ok) {
      s.cost.release(0, 0);
      e.error = r.error;
      e.body = r.body;
      return e;
    }
    e.ok = true;
    e.body = r.body;
    s.cache.put(key, request_for_key, e.body);
  }
  e.parsed = json::parse(e.body, nullptr, false);
  const json& j = e.parsed;
  if (j.is_object() && j.contains("usage") && j["usage"].is_object()) {
    e.usage = j["usage"];
  }
  if (!e.cached) {
    const auto tokens = [&](const char* k) -> std::uint64_t {
      return e.usage.is_object() && e.usage.contains(k) && e.usage[k].is_number_unsigned()
                 ? e.usage[k].get<std::uint64_t>()
                 : 0;
    };
    s.prompt_tokens += tokens("prompt_tokens");
    s.completion_tokens += tokens("completion_tokens");
    s.cost.release(tokens("prompt_tokens"), tokens("completion_tokens"));
  }
  return e;
}

// choices[0].message.content, or nullopt.
std::optional<std::string> reply_text(const json& j) {
  try {
    const auto& c = j.at("choices").at(0).at("message").at("content");
    if (c.is_string()) return c.get<std::string>();
  } catch (const json::exception&) {
  }
  return std::nullopt;
}

void add_usage(json& total, const json& u) {
  for (const char* k : {"prompt_tokens", "completion_tokens", "total_tokens"})
    if (u.is_object() && u.contains(k) && u[k].is_number_unsigned())
      total[k] = total.value(k, 0ULL) + u[k].get<std::uint64_t>();
}

json base_body(const VlmOptions& o, const Image& im, const std::string& text) {
  json body;
  body["model"] = o.model;
  json content = json::array();
  // Image first: all questions about one image then share the longest possible prefix.
  content.push_back({{"type", "image_url"}, {"image_url", {{"url", im.data_url}}}});
  content.push_back({{"type", "text"}, {"text", text}});
  body["messages"] = json::array({{{"role", "user"}, {"content", content}}});
  body["max_tokens"] = o.max_tokens > 0                        ? o.max_tokens
                       : o.protocol == VlmProtocol::kMultiShot ? 2000
                                                               : 1000;
  if (o.temperature) body["temperature"] = *o.temperature;
  if (o.seed) body["seed"] = *o.seed;
  return body;
}

json run_zero_shot(Shared& s, HttpClient& client, const Image& im) {
  json rec = json::object(), usage = json::object(), errors = json::array();
  const std::string file_name = fs::path(im.img.id).filename().string();
  std::string last_raw;
  int attempts = 0;
  for (int a = 1; a <= kZeroShotMaxAttempts; ++a) {
    attempts = a;
    const auto body = base_body(s.o, im, zero_shot_prompt(s.prompts, file_name, a > 1));
    const auto e = ask(s, client, im, body, "attempt " + std::to_string(a));
    rec["requests_sent"] = rec.value("requests_sent", 0) + e.tries;
    if (e.over_budget) {
      attempts = a - 1;
      rec["status"] = "budget_exhausted";
      break;
    }
    if (!e.ok) {
      // As in the authors' notebook an HTTP error ends the image, but only after retries.
      rec["status"] = "http_error";
      rec["error"] = e.error;
      rec["raw"] = e.body;
      break;
    }
    add_usage(usage, e.usage);
    const auto text = reply_text(e.parsed);
    if (!text) {
      errors.push_back("response has no choices[0].message.content");
      last_raw = e.body;
      continue;
    }
    last_raw = *text;
    const auto reply = parse_zero_shot_reply(*text);
    if (!reply.valid) {
      errors.push_back(reply.error);
      continue;
    }
    json ann = json::object(), out_of_range = json::array();
    for (const auto& c : emotions()) ann[std::string(c.hq_key)] = 0;  // missing key = 0
    for (const auto& [k, v] : reply.value) {
      if (std::find(reply.unknown_keys.begin(), reply.unknown_keys.end(), k) !=
          reply.unknown_keys.end())
        continue;
      ann[k] = v;
      if (v < 0 || v > 7) out_of_range.push_back(k);
    }
    rec["status"] = "ok";
    rec["annotations"] = ann;
    if (!reply.unknown_keys.empty()) rec["unknown_keys"] = reply.unknown_keys;
    if (!out_of_range.empty()) rec["out_of_range"] = out_of_range;
    break;
  }
  if (!rec.contains("status")) {
    rec["status"] = "parse_failed";
    rec["raw"] = last_raw;
  }
  if (!errors.empty()) rec["parse_errors"] = errors;
  rec["attempts"] = attempts;
  rec["usage"] = usage;
  return rec;
}

// Spec §8.2: one attempt, as in the stored notebook (max_attempts = 1).
json run_multi_shot(Shared& s, HttpClient& client, const Image& im) {
  json rec = json::object(), usage = json::object();
  const auto e =
      ask(s, client, im, base_body(s.o, im, multi_shot_prompt(s.prompts, false)), "attempt 1");
  rec["requests_sent"] = e.tries;
  rec["attempts"] = e.over_budget ? 0 : 1;
  if (e.over_budget) {
    rec["status"] = "budget_exhausted";
  } else if (!e.ok) {
    rec["status"] = "http_error";
    rec["error"] = e.error;
    rec["raw"] = e.body;
  } else {
    add_usage(usage, e.usage);
    const auto text = reply_text(e.parsed);
    const auto reply = text ? parse_multi_shot_reply(*text) : MultiShotReply{};
    if (!reply.valid) {
      rec["status"] = "parse_failed";
      rec["parse_errors"] = {text ? reply.error : "response has no choices[0].message.content"};
      rec["raw"] = text ? *text : e.body;
    } else {
      json ann = json::object(), extra = json::object();
      for (const auto& c : emotions())
        ann[std::string(c.hq_key)] = reply.emotions.at(std::string(c.name));
      for (const auto& [k, v] : reply.extra_dimensions) extra[k] = v;
      rec["status"] = "ok";
      rec["annotations"] = ann;
      rec["extra_dimensions"] = extra;
      rec["reasoning"] = reply.reasoning;
    }
  }
  rec["usage"] = usage;
  return rec;
}

json run_yes_no(Shared& s, HttpClient& client, const Image& im) {
  json rec = json::object(), usage = json::object(), p_yes = json::object(), share = json::object(),
       ann = json::object(), failures = json::object();
  int attempts = 0;
  bool http_error = false, over_budget = false;
  for (const auto& c : emotions()) {
    const std::string key(c.hq_key);
    auto body = base_body(s.o, im, yes_no_prompt(s.prompts, c.name));
    body["messages"].push_back({{"role", "assistant"}, {"content", "Answer:"}});
    body["max_tokens"] = 1;
    body["logprobs"] = true;
    body["top_logprobs"] = s.o.top_logprobs;
    ++attempts;
    const auto e = ask(s, client, im, body, "emotion");
    rec["requests_sent"] = rec.value("requests_sent", 0) + e.tries;
    if (e.over_budget) {
      --attempts;
      over_budget = true;
      break;
    }
    if (!e.ok) {
      http_error = true;
      failures[key] = {{"error", e.error}, {"raw", e.body}};
      continue;
    }
    add_usage(usage, e.usage);
    try {
      const auto r = yes_no_readout(detail::first_token_top_logprobs(e.parsed, e.body));
      share[key] = r.yes_no_share;
      if (r.p_yes) {
        p_yes[key] = *r.p_yes;
        // Without calibration the 0-7 value is the linear map round(7 p).
        ann[key] = std::lround(7 * *r.p_yes);
      } else {
        failures[key] = {{"error", "no yes/no token among top_logprobs"}, {"raw", e.body}};
      }
    } catch (const Error& err) {
      failures[key] = {{"error", err.what()}, {"raw", e.body}};
    }
  }
  rec["status"] = over_budget        ? "budget_exhausted"
                  : http_error       ? "http_error"
                  : failures.empty() ? "ok"
                                     : "parse_failed";
  rec["annotations"] = ann;
  rec["p_yes"] = p_yes;
  rec["yes_no_share"] = share;
  rec["mapping"] = "linear";
  if (!failures.empty()) rec["failures"] = failures;
  rec["attempts"] = attempts;
  rec["usage"] = usage;
  return rec;
}

}  // namespace

std::string vlm_progress_detail(const VlmProgressCounts& c) {
  char tokens[32];
  if (c.tokens >= 1000000)
    std::snprintf(tokens, sizeof tokens, "%.1fM", static_cast<double>(c.tokens) / 1e6);
  else if (c.tokens >= 1000)
    std::snprintf(tokens, sizeof tokens, "%.1fk", static_cast<double>(c.tokens) / 1e3);
  else
    std::snprintf(tokens, sizeof tokens, "%llu", static_cast<unsigned long long>(c.tokens));
  std::string out = "retries " + std::to_string(c.retries) + "  failed " +
                    std::to_string(c.failed) + "  tokens " + tokens;
  if (c.priced) {
    char cost[32];
    std::snprintf(cost, sizeof cost, "%.4f", c.cost);
    out += std::string("  cost ") + cost;
  }
  if (c.concurrency > 0) out += "  in-flight " + std::to_string(c.concurrency);
  return out;
}

std::vector<VlmImage> collect_vlm_images(const std::vector<std::string>& inputs) {
  std::vector<VlmImage> out;
  for (const auto& in : inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      std::vector<VlmImage> found;
      for (const auto& e : fs::recursive_directory_iterator(in)) {
        if (!e.is_regular_file() || !is_image(e.path())) continue;
        found.push_back({fs::relative(e.path(), in).generic_string(), e.path().string()});
      }
      std::sort(found.begin(), found.end(),
                [](const VlmImage& a, const VlmImage& b) { return a.id < b.id; });
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(in, ec)) {
      out.push_back({in, in});
    } else {
      throw Error("input " + in + ": no such file or folder");
    }
  }
  return out;
}

VlmSummary run_vlm_eval(const std::vector<VlmImage>& all_images, const VlmOptions& o) {
  if (o.endpoint.empty()) throw Error("--endpoint is required");
  if (o.model.empty()) throw Error("--model is required");
  if (o.out_path.empty()) throw Error("--out is required");
  std::vector<VlmImage> images = all_images;
  if (o.limit > 0 && images.size() > o.limit) images.resize(o.limit);

  Shared s{o,
           builtin_prompts(o.protocol),
           chat_url(o.endpoint),
           ResponseCache(o.cache_path),
           {},
           {},
           {},
           {},
           detail::CostGuard(o.price_in, o.price_out, o.max_cost)};
  if (!o.prompt_file.empty()) s.prompts.main = read_file(o.prompt_file);
  const detail::RetryPolicy policy{o.max_retries, o.retry_base_s, o.retry_max_s, o.timeout_s};

  std::vector<json> lines(images.size());
  std::atomic<std::size_t> next{0}, ok{0}, failed{0};
  std::optional<AimdController> aimd;
  if (o.concurrency_auto)
    aimd.emplace(AimdOptions{1, std::max<std::size_t>(1, o.max_concurrency),
                             std::min<std::size_t>(4, std::max<std::size_t>(1, o.max_concurrency)),
                             0.5, o.aimd_latency_factor});
  Progress progress("eval vlm " + o.model, images.size());
  progress.set_detail([&] {
    return vlm_progress_detail(
        {s.http.retries.load(), s.prompt_tokens.load() + s.completion_tokens.load(), failed.load(),
         s.cost.spent(), o.price_in > 0 || o.price_out > 0, aimd ? aimd->limit() : 0});
  });
  std::mutex error_mutex;
  std::string fatal;
  auto worker = [&] {
    HttpClient client(s.url, o.api_key, policy, s.http, aimd ? &*aimd : nullptr);
    for (std::size_t i; (i = next++) < images.size() && !s.cost.exhausted();) {
      try {
        // The pixels sent: the image's own, or those of the ablation.
        std::string source = images[i].path, mime = mime_of(source);
        if (o.ablation == VlmAblation::kShuffle) {
          if (images.size() < 2) throw Error("--ablate-image shuffle needs two images or more");
          source = images[(i + 1) % images.size()].path;
          mime = mime_of(source);
        }
        std::string bytes = read_file(source);
        if (o.ablation == VlmAblation::kGrey) {
          bytes = grey_like(bytes, source);
          mime = "image/png";
        }
        const Image im{images[i], "data:" + mime + ";base64," + base64(bytes),
                       detail::hash_hex(bytes)};
        json rec = o.protocol == VlmProtocol::kZeroShot    ? run_zero_shot(s, client, im)
                   : o.protocol == VlmProtocol::kMultiShot ? run_multi_shot(s, client, im)
                                                           : run_yes_no(s, client, im);
        json line;
        line["image_path"] = images[i].id;
        line["model"] = o.model;
        line["protocol"] = protocol_version(o.protocol);
        if (o.ablation == VlmAblation::kGrey) line["ablation"] = "grey";
        if (o.ablation == VlmAblation::kShuffle) {
          line["ablation"] = "shuffle";
          line["pixels_of"] = images[(i + 1) % images.size()].id;
        }
        for (auto& [k, v] : rec.items()) line[k] = v;
        (line["status"] == "ok" ? ok : failed)++;
        lines[i] = std::move(line);
      } catch (const std::exception& e) {
        std::lock_guard lock(error_mutex);
        if (fatal.empty()) fatal = images[i].path + ": " + e.what();
        next = images.size();
      }
      if (o.progress) progress.tick();
    }
  };
  std::vector<std::thread> threads;
  // With auto, one worker per possible slot; the controller decides how many send at once.
  const std::size_t workers =
      std::min(images.size(), std::max<std::size_t>(1, aimd ? o.max_concurrency : o.concurrency));
  for (std::size_t t = 0; t < workers; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (o.progress) progress.finish();
  if (!fatal.empty()) throw Error(fatal);

  std::vector<json> records;
  for (auto& l : lines)
    if (!l.is_null()) records.push_back(std::move(l));  // null: never started (budget)
  if (!o.calibrate_hq.empty()) calibrate_yes_no(records, o.calibrate_hq, o.calibration_split);
  std::string text;
  const std::size_t written = records.size();
  for (const auto& r : records) text += r.dump() + "\n";
  write_file_atomic(o.out_path, text);

  VlmSummary sum;
  sum.images = images.size();
  sum.ok = ok;
  sum.failed = failed;
  sum.requests_sent = s.http.sent;
  sum.cache_hits = s.hits;
  sum.retries = s.http.retries;
  sum.prompt_tokens = s.prompt_tokens;
  sum.completion_tokens = s.completion_tokens;
  sum.cost = s.cost.spent();
  sum.budget_exhausted = s.cost.exhausted();
  sum.not_started = images.size() - written;
  if (aimd) {
    sum.concurrency_final = aimd->limit();
    sum.concurrency_peak = aimd->peak_limit();
    sum.throttled = aimd->throttled();
  }
  return sum;
}

}  // namespace emonet::eval
