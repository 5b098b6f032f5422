// Reply parsing of the VLM protocols: spec §8.1 fence stripping and validity, the yes/no
// readout on hand-made lists, the prompt texts.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "emonet/error.h"
#include "emonet/eval.h"
#include "emonet/taxonomy.h"

namespace emonet::eval {
namespace {

// A "value" object over the first n emotions with ratings 1..7 cycling (value 0 at `zero`).
std::string reply(std::size_t n, int zero = -1) {
  nlohmann::json v = nlohmann::json::object();
  for (std::size_t i = 0; i < n; ++i)
    v[std::string(emotions()[i].hq_key)] = static_cast<int>(i) == zero ? 0 : 1 + i % 7;
  return nlohmann::json{{"key", {"f", "m", "x.png"}}, {"value", v}}.dump();
}

TEST(VlmParse, StripsOneLeadingAndTrailingFence) {
  EXPECT_EQ(strip_code_fence("```json\n{\"a\": 1}\n```"), "{\"a\": 1}");
  EXPECT_EQ(strip_code_fence("  ```\n{}\n```  \n"), "{}");
  EXPECT_EQ(strip_code_fence("{}"), "{}");
  EXPECT_EQ(strip_code_fence("```"), "");
}

TEST(VlmParse, ValidIffExactly25KeysAndNoZero) {
  const auto ok = parse_zero_shot_reply(reply(25));
  EXPECT_TRUE(ok.valid) << ok.error;
  EXPECT_EQ(ok.value.size(), 25u);
  EXPECT_EQ(ok.value.at(std::string(emotions()[7].hq_key)), 1.0);
  EXPECT_TRUE(parse_zero_shot_reply("```json\n" + reply(25) + "\n```").valid);
  EXPECT_FALSE(parse_zero_shot_reply(reply(24)).valid);
  EXPECT_FALSE(parse_zero_shot_reply(reply(26)).valid);
  const auto zero = parse_zero_shot_reply(reply(25, 3));
  EXPECT_FALSE(zero.valid);
  EXPECT_EQ(zero.error, "\"value\" contains a zero");
  // The authors' json.loads accepts no prose around the object.
  EXPECT_FALSE(parse_zero_shot_reply("Here you go: " + reply(25)).valid);
  EXPECT_FALSE(parse_zero_shot_reply("{\"value\": {").valid);
  EXPECT_FALSE(parse_zero_shot_reply("{\"key\": 1}").valid);
  EXPECT_FALSE(parse_zero_shot_reply("").valid);
}

TEST(VlmParse, UnknownKeysAreReported) {
  auto j = nlohmann::json::parse(reply(24));
  j["value"]["Made|Up"] = 3;
  const auto r = parse_zero_shot_reply(j.dump());
  EXPECT_TRUE(r.valid);
  ASSERT_EQ(r.unknown_keys.size(), 1u);
  EXPECT_EQ(r.unknown_keys[0], "Made|Up");
}

// A multi-shot reply: emotion i rated ratings[i] (others 0), extras as given.
nlohmann::json ms_reply(const std::map<std::size_t, double>& ratings,
                        nlohmann::json extras = {
                            {"Arousal", {{"rating", 6}, {"reasoning", "r"}}},
                            {"Valence", {{"rating", -3}, {"reasoning", "r"}}},
                            {"Dominance", {{"rating", 3}, {"reasoning", "r"}}},
                            {"Emotional Vulnerability", {{"rating", 5}, {"reasoning", "r"}}}}) {
  nlohmann::json em = nlohmann::json::object();
  for (std::size_t i = 0; i < kNumEmotions; ++i)
    em[std::string(emotions()[i].name)] = {{"rating", ratings.count(i) ? ratings.at(i) : 0.0},
                                           {"reasoning", "seen " + std::to_string(i)}};
  return {{"emotions", em}, {"extra_dimensions", extras}};
}

TEST(VlmParse, MultiShotValidation) {
  const auto ok =
      parse_multi_shot_reply("```json\n" + ms_reply({{0, 6}, {1, 5.0}, {12, 7}}).dump() + "\n```");
  ASSERT_TRUE(ok.valid) << ok.error;
  EXPECT_EQ(ok.emotions.at("Amusement"), 6);
  EXPECT_EQ(ok.emotions.at("Elation"), 5);  // 5.0: a whole float is accepted
  EXPECT_EQ(ok.emotions.at(std::string(emotions()[12].name)), 7);
  EXPECT_EQ(ok.emotions.at("Contentment"), 0);
  EXPECT_EQ(ok.extra_dimensions.at("Valence"), -3);
  EXPECT_EQ(ok.reasoning.at("Elation"), "seen 1");
  EXPECT_FALSE(
      parse_multi_shot_reply(ms_reply({{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}}).dump())
          .valid);
  EXPECT_TRUE(
      parse_multi_shot_reply(ms_reply({{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}}).dump()).valid);
  EXPECT_FALSE(parse_multi_shot_reply(ms_reply({{0, 8}}).dump()).valid);
  EXPECT_FALSE(parse_multi_shot_reply(ms_reply({{0, 2.5}}).dump()).valid);
  EXPECT_FALSE(parse_multi_shot_reply(ms_reply({{0, -1}}).dump()).valid);
  auto j = ms_reply({});
  j["extra_dimensions"]["Valence"]["rating"] = -4;
  EXPECT_FALSE(parse_multi_shot_reply(j.dump()).valid);
  j = ms_reply({});
  j["extra_dimensions"].erase("Dominance");
  EXPECT_EQ(parse_multi_shot_reply(j.dump()).error, "extra dimension 'Dominance' is missing");
  j = ms_reply({});
  j["extra_dimensions"]["Mood"] = {{"rating", 1}};
  EXPECT_FALSE(parse_multi_shot_reply(j.dump()).valid);
  j = ms_reply({});
  j["emotions"].erase("Awe");
  EXPECT_FALSE(parse_multi_shot_reply(j.dump()).valid);
  j = ms_reply({});
  j["emotions"].erase("Awe");
  j["emotions"]["Awesomeness"] = {{"rating", 0}};
  EXPECT_EQ(parse_multi_shot_reply(j.dump()).error, "\"emotions\" lacks 'Awe'");
  const std::string prompt = multi_shot_prompt(builtin_prompts(VlmProtocol::kMultiShot), false);
  EXPECT_EQ(prompt.find("{{"), std::string::npos);
  EXPECT_NE(prompt.find("- Jealousy & Envy: "), std::string::npos);
  const std::string again = multi_shot_prompt(builtin_prompts(VlmProtocol::kMultiShot), true);
  EXPECT_LT(again.find("Aha moment"), again.find("Worked examples"));
}

TEST(VlmParse, YesNoReadout) {
  const auto r = yes_no_readout({{" Yes", std::log(0.6)},
                                 {"no", std::log(0.2)},
                                 {" NO", std::log(0.1)},
                                 {"maybe", std::log(0.05)}});
  ASSERT_TRUE(r.p_yes);
  EXPECT_NEAR(*r.p_yes, 0.6 / 0.9, 1e-12);
  EXPECT_NEAR(r.yes_no_share, 0.9, 1e-12);
  EXPECT_FALSE(yes_no_readout({{"maybe", -0.1}}).p_yes);
  EXPECT_THROW(first_token_top_logprobs("{\"choices\": []}"), Error);
  EXPECT_THROW(first_token_top_logprobs("not json"), Error);
}

TEST(VlmParse, PromptsFillTheirPlaceholders) {
  const auto zs = builtin_prompts(VlmProtocol::kZeroShot);
  const std::string first = zero_shot_prompt(zs, "img1.png", false);
  EXPECT_EQ(first.find("{{"), std::string::npos);
  EXPECT_NE(first.find("img1.png"), std::string::npos);
  EXPECT_EQ(first.find("Aha moment"), std::string::npos);
  EXPECT_NE(zero_shot_prompt(zs, "img1.png", true).find("Aha moment"), std::string::npos);
  const auto example = nlohmann::json::parse(zero_shot_example("x.png"));
  EXPECT_EQ(example["value"].size(), 25u);
  EXPECT_FALSE(example["value"].contains("Positive High-Energy Emotions|Amusement"));
  EXPECT_EQ(yes_no_prompt(builtin_prompts(VlmProtocol::kYesNo), "Awe"),
            "Does this face express Awe? Answer yes or no.");
}

}  // namespace
}  // namespace emonet::eval
