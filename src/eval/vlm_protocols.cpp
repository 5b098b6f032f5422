// Prompts and reply parsing of the VLM protocols (spec §8.1 zero-shot, the yes/no
// logprob readout). Pure functions: no I/O beyond the compiled-in prompt texts.
#include <cmath>
#include <nlohmann/json.hpp>

#include "emonet/error.h"
#include "emonet/eval.h"
#include "emonet/strings.h"
#include "emonet/taxonomy.h"
#include "eval/prompt_texts.h"
#include "eval/vlm_internal.h"

namespace emonet::eval {
namespace {

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (std::size_t pos = s.find(from); pos != std::string::npos;
       pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

// The emotions of the example: spec §8.1 says a fixed 25-key subset that omits, among
// others, Amusement, Elation and Sexual Lust; the exact list is not in the spec, so the
// first 25 emotions in canonical order without those three are used (zs-v1).
std::vector<const Category*> example_categories() {
  std::vector<const Category*> out;
  for (const auto& c : emotions()) {
    if (c.name == "Amusement" || c.name == "Elation" || c.name == "Sexual Lust") continue;
    if (out.size() < kZeroShotKeys) out.push_back(&c);
  }
  return out;
}

// guide.json-like options: labels in canonical order and the group buttons. Built once:
// every zero-shot request carries it.
std::string make_options_blob() {
  nlohmann::ordered_json o;
  o["labels"] = nlohmann::json::array();
  for (const auto& c : emotions()) o["labels"].push_back(std::string(c.name));
  nlohmann::ordered_json buttons;
  for (const auto g : groups()) {
    nlohmann::json members = nlohmann::json::array();
    for (const Category* c : group_members(g)) members.push_back(std::string(c->name));
    buttons[std::string(g)] = members;
  }
  o["buttons"] = buttons;
  return o.dump();
}
const std::string& options_blob() {
  static const std::string blob = make_options_blob();
  return blob;
}

// The example's "value" object (the same for every image).
const std::string& zero_shot_example_value() {
  static const std::string value = [] {
    nlohmann::ordered_json v;
    for (const Category* c : example_categories()) v[std::string(c->hq_key)] = "<Int 1-7>";
    return v.dump();
  }();
  return value;
}

const std::string& multi_shot_emotion_list() {
  static const std::string list = [] {
    std::string out;
    for (const auto& c : emotions())
      out += "- " + std::string(c.name) + ": " + std::string(c.description) + "\n";
    return out;
  }();
  return list;
}

}  // namespace

VlmProtocol parse_vlm_protocol(std::string_view name) {
  if (name == "zs") return VlmProtocol::kZeroShot;
  if (name == "ms") return VlmProtocol::kMultiShot;
  if (name == "yesno") return VlmProtocol::kYesNo;
  throw Error("unknown VLM protocol '" + std::string(name) + "' (valid: zs, ms, yesno)");
}

std::string_view protocol_name(VlmProtocol p) {
  return p == VlmProtocol::kZeroShot ? "zs" : p == VlmProtocol::kMultiShot ? "ms" : "yesno";
}

std::string protocol_version(VlmProtocol p) {
  return std::string(protocol_name(p)) + "-v1";
}

std::string strip_code_fence(std::string_view text) {
  std::string_view t = trim(text);
  if (starts_with(t, "```")) {
    const std::size_t nl = t.find('\n');
    t = nl == std::string_view::npos ? std::string_view{} : t.substr(nl + 1);
  }
  t = trim(t);
  if (ends_with(t, "```")) t = trim(t.substr(0, t.size() - 3));
  return std::string(t);
}

ZeroShotReply parse_zero_shot_reply(std::string_view text) {
  ZeroShotReply r;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(strip_code_fence(text));
  } catch (const nlohmann::json::exception& e) {
    r.error = std::string("reply is not JSON: ") + e.what();
    return r;
  }
  if (!j.is_object() || !j.contains("value") || !j["value"].is_object()) {
    r.error = "reply has no \"value\" object";
    return r;
  }
  bool has_zero = false;
  for (const auto& [key, v] : j["value"].items()) {
    if (!v.is_number()) {
      r.error = "value of '" + key + "' is not a number";
      return r;
    }
    const double x = v.get<double>();
    if (!std::isfinite(x)) {
      r.error = "value of '" + key + "' is not finite";
      return r;
    }
    r.value[key] = x;
    if (x == 0) has_zero = true;
    const Category* c = find_category(key);
    if (c == nullptr || c->hq_key != key) r.unknown_keys.push_back(key);
  }
  if (r.value.size() != kZeroShotKeys) {
    r.error = "\"value\" has " + std::to_string(r.value.size()) + " keys, not 25";
    return r;
  }
  if (has_zero) {
    r.error = "\"value\" contains a zero";
    return r;
  }
  r.valid = true;
  return r;
}

YesNoReadout yes_no_readout(const std::vector<TokenLogprob>& top_logprobs) {
  double yes = 0, no = 0;
  for (const auto& t : top_logprobs) {
    const double p = std::exp(t.logprob);
    const std::string w = to_lower(trim(t.token));
    if (w == "yes") yes += p;
    if (w == "no") no += p;
  }
  YesNoReadout r;
  // Log-probabilities are over the whole vocabulary, so yes + no is their share of it.
  r.yes_no_share = yes + no;
  if (yes + no > 0) r.p_yes = yes / (yes + no);
  return r;
}

std::vector<TokenLogprob> first_token_top_logprobs(std::string_view response_body) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(response_body);
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("response is not JSON: ") + e.what());
  }
  return detail::first_token_top_logprobs(j, response_body);
}

std::vector<TokenLogprob> detail::first_token_top_logprobs(const nlohmann::json& j,
                                                           std::string_view response_body) {
  if (j.is_discarded()) return emonet::eval::first_token_top_logprobs(response_body);
  const nlohmann::json* list = nullptr;
  try {
    const auto& content = j.at("choices").at(0).at("logprobs").at("content");
    list = &content.at(0).at("top_logprobs");
  } catch (const nlohmann::json::exception&) {
    throw Error("response has no choices[0].logprobs.content[0].top_logprobs");
  }
  if (!list->is_array()) throw Error("top_logprobs is not a list");
  std::vector<TokenLogprob> out;
  for (const auto& e : *list) {
    if (!e.is_object() || !e.contains("token") || !e["token"].is_string() ||
        !e.contains("logprob") || !e["logprob"].is_number())
      throw Error("a top_logprobs entry lacks token/logprob");
    out.push_back({e["token"].get<std::string>(), e["logprob"].get<double>()});
  }
  return out;
}

Prompts builtin_prompts(VlmProtocol p) {
  if (p == VlmProtocol::kZeroShot)
    return {std::string(kPromptZsV1), std::string(kPromptZsAddendumV1)};
  if (p == VlmProtocol::kMultiShot)
    return {std::string(kPromptMsV1), std::string(kPromptMsAddendumV1)};
  return {std::string(kPromptYesNoV1), {}};
}

std::string zero_shot_example(std::string_view file_name) {
  // As nlohmann::ordered_json would print {"key": [...], "value": {...}}, without
  // rebuilding the constant part per image.
  const nlohmann::json key = {"<folder>", "<model>", std::string(file_name)};
  return "{\"key\":" + key.dump() + ",\"value\":" + zero_shot_example_value() + "}";
}

std::string zero_shot_prompt(const Prompts& prompts, std::string_view file_name, bool re_ask) {
  std::string s = prompts.main;
  replace_all(s, "{{OPTIONS}}", options_blob());
  replace_all(s, "{{EXAMPLE}}", zero_shot_example(file_name));
  replace_all(s, "{{FILE}}", file_name);
  if (re_ask) s += prompts.addendum;
  return s;
}

std::string multi_shot_prompt(const Prompts& prompts, bool re_ask) {
  std::string s = prompts.main;
  replace_all(s, "{{EMOTIONS}}", multi_shot_emotion_list());
  replace_all(s, "{{ADDENDUM}}", re_ask ? prompts.addendum : "");
  return s;
}

namespace {
// One {"rating": int, "reasoning": str} item; returns an error text or "".
std::string read_item(const nlohmann::json& item, const std::string& name, int lo, int hi,
                      int& rating, std::string& reasoning) {
  if (!item.is_object() || !item.contains("rating")) return "'" + name + "' has no rating";
  const auto& r = item["rating"];
  if (!r.is_number()) return "rating of '" + name + "' is not a number";
  const double d = r.get<double>();
  if (!std::isfinite(d) || d != std::floor(d)) return "rating of '" + name + "' is not whole";
  if (d < lo || d > hi)
    return "rating of '" + name + "' is outside " + std::to_string(lo) + ".." + std::to_string(hi);
  rating = static_cast<int>(d);
  if (item.contains("reasoning") && item["reasoning"].is_string())
    reasoning = item["reasoning"].get<std::string>();
  return "";
}
}  // namespace

MultiShotReply parse_multi_shot_reply(std::string_view text) {
  MultiShotReply r;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(strip_code_fence(text));
  } catch (const nlohmann::json::exception& e) {
    r.error = std::string("reply is not JSON: ") + e.what();
    return r;
  }
  if (!j.is_object() || !j.contains("emotions") || !j["emotions"].is_object()) {
    r.error = "reply has no \"emotions\" object";
    return r;
  }
  const auto& em = j["emotions"];
  if (em.size() != kNumEmotions) {
    r.error = "\"emotions\" has " + std::to_string(em.size()) + " keys, not 40";
    return r;
  }
  int non_zero = 0;
  for (const auto& c : emotions()) {
    const std::string name(c.name);
    if (!em.contains(name)) {
      r.error = "\"emotions\" lacks '" + name + "'";
      return r;
    }
    int rating = 0;
    std::string why;
    if (auto e = read_item(em[name], name, 0, 7, rating, why); !e.empty()) {
      r.error = e;
      return r;
    }
    r.emotions[name] = rating;
    r.reasoning[name] = why;
    if (rating != 0) ++non_zero;
  }
  if (non_zero > kMultiShotMaxNonZero) {
    r.error = std::to_string(non_zero) + " emotions are non-zero (at most 5)";
    return r;
  }
  // Missing dimensions count as None, which no range accepts.
  const nlohmann::json extras = j.contains("extra_dimensions") && j["extra_dimensions"].is_object()
                                    ? j["extra_dimensions"]
                                    : nlohmann::json::object();
  struct Range {
    const char* name;
    int lo, hi;
  };
  static constexpr Range kRanges[] = {{"Arousal", 0, 7},
                                      {"Valence", -3, 3},
                                      {"Dominance", -3, 3},
                                      {"Emotional Vulnerability", 0, 5}};
  if (extras.size() > std::size(kRanges)) {
    r.error = "\"extra_dimensions\" has unknown keys";
    return r;
  }
  for (const auto& d : kRanges) {
    if (!extras.contains(d.name)) {
      r.error = std::string("extra dimension '") + d.name + "' is missing";
      return r;
    }
    int rating = 0;
    std::string why;
    if (auto e = read_item(extras[d.name], d.name, d.lo, d.hi, rating, why); !e.empty()) {
      r.error = e;
      return r;
    }
    r.extra_dimensions[d.name] = rating;
    r.reasoning[d.name] = why;
  }
  r.valid = true;
  return r;
}

std::string yes_no_prompt(const Prompts& prompts, std::string_view emotion_name) {
  std::string s = prompts.main;
  replace_all(s, "{{EMOTION}}", emotion_name);
  return std::string(trim(s));
}

}  // namespace emonet::eval
