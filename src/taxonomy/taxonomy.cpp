#include "emonet/taxonomy.h"

#include <algorithm>
#include <array>
#include <unordered_map>

#include "emonet/error.h"
#include "emonet/strings.h"

namespace emonet {
namespace {

constexpr std::string_view kPosHigh = "Positive High-Energy Emotions";
constexpr std::string_view kPosLow = "Positive Low-Energy Emotions";
constexpr std::string_view kNegHigh = "Negative High-Energy Emotions";
constexpr std::string_view kNegLow = "Negative Low-Energy Emotions";
constexpr std::string_view kCognitive = "Cognitive States and Processes";
constexpr std::string_view kPhysical = "Physical and Exhaustive States";
constexpr std::string_view kLonging = "Longing & Lust";

constexpr std::array<std::string_view, 7> kGroups = {kPosHigh,   kPosLow,   kNegHigh, kNegLow,
                                                     kCognitive, kPhysical, kLonging};

struct Row {
  std::string_view name, group, head_key, description;
  std::vector<std::string_view> aliases;
};

// Canonical order = guide.json options.labels order. Descriptions are ours.
const std::vector<Row>& rows() {
  static const std::vector<Row> r = {
      {"Amusement", kPosHigh, "model_amusement_best", "finding something funny; playful mirth", {}},
      {"Elation", kPosHigh, "model_elation_best", "intense, exuberant happiness", {}},
      {"Pleasure/Ecstasy",
       kPosHigh,
       "model_pleasure_ecstasy_best",
       "strong sensory or blissful enjoyment",
       {}},
      {"Contentment", kPosLow, "model_contentment_best", "calm satisfaction, at ease", {}},
      {"Thankfulness/Gratitude",
       kPosLow,
       "model_thankfulness_gratitude_best",
       "appreciation for something received",
       {}},
      {"Affection", kPosLow, "model_affection_best", "warmth and tenderness towards someone", {}},
      {"Infatuation", kLonging, "model_infatuation_best", "being smitten, romantic fixation", {}},
      {"Hope/Enthusiasm/Optimism",
       kPosHigh,
       "model_hope_enthusiasm_optimism_best",
       "eager, positive expectation",
       {}},
      {"Triumph", kPosHigh, "model_triumph_best", "the exultation of victory", {}},
      {"Pride", kPosLow, "model_pride_best", "satisfaction in one's own worth or achievement", {}},
      {"Interest", kPosHigh, "model_interest_best", "curious, engaged attention", {}},
      {"Awe", kPosHigh, "model_awe_best", "wonder at something vast or overwhelming", {}},
      {"Astonishment/Surprise",
       kPosHigh,
       "model_astonishment_surprise_best",
       "reaction to the unexpected",
       {}},
      {"Concentration", kCognitive, "model_concentration_best", "focused mental effort", {}},
      {"Contemplation", kPosLow, "model_contemplation_best", "quiet, reflective thought", {}},
      {"Relief", kPosLow, "model_relief_best", "release after worry or strain ends", {}},
      {"Longing", kLonging, "model_longing_best", "yearning for someone or something absent", {}},
      {"Teasing", kPosHigh, "model_teasing_best", "playful provocation, mischief", {}},
      {"Impatience and Irritability",
       kNegHigh,
       "model_impatience_and_irritability_best",
       "annoyance, restless frustration",
       {}},
      {"Sexual Lust", kLonging, "model_sexual_lust_best", "sexual desire", {}},
      {"Doubt", kNegLow, "model_doubt_best", "uncertainty, scepticism", {}},
      {"Fear", kNegHigh, "model_fear_best", "alarm at a threat", {}},
      {"Distress", kNegHigh, "model_distress_best", "acute anguish or upset", {}},
      {"Confusion", kCognitive, "model_confusion_best", "failing to understand, bewildered", {}},
      {"Embarrassment",
       kNegLow,
       "model_embarrassment_best",
       "awkward self-consciousness after a social slip",
       {}},
      {"Shame", kNegLow, "model_shame_best", "painful sense of one's own wrongdoing", {}},
      {"Disappointment", kNegLow, "model_disappointment_best", "unmet hopes or expectations", {}},
      {"Sadness", kNegLow, "model_sadness_best", "sorrow, feeling down", {}},
      {"Bitterness", kNegLow, "model_bitterness_best", "lingering resentment", {}},
      {"Contempt", kNegLow, "model_contempt_best", "looking down on someone", {}},
      {"Disgust", kNegHigh, "model_disgust_best", "revulsion", {}},
      {"Anger", kNegHigh, "model_anger_best", "hostile displeasure, rage", {}},
      {"Malevolence/Malice",
       kNegHigh,
       "model_malevolence_malice_best",
       "wishing harm on others",
       {}},
      {"Sourness", kPhysical, "model_sourness_best", "reaction to a sour taste; puckered face", {}},
      {"Pain", kPhysical, "model_pain_best", "physical hurt", {}},
      {"Helplessness",
       kNegLow,
       "model_helplessness_best",
       "powerless, without hope or recourse",
       {"Hopelessness"}},
      {"Fatigue/Exhaustion",
       kPhysical,
       "model_fatigue_exhaustion_best",
       "tiredness, depletion",
       {}},
      {"Emotional Numbness",
       kNegLow,
       "model_emotional_numbness_best",
       "absence of felt emotion, detachment",
       {}},
      {"Intoxication/Altered States of Consciousness",
       kPhysical,
       "model_intoxication_altered_states_of_consciousness_best",
       "drunk, drugged or otherwise altered awareness",
       {}},
      {"Jealousy & Envy", kNegLow, "model_jealousy_&_envy_best", "resenting what another has", {}},
      // Extra dimensions (model heads, not part of the 40).
      {"Valence", kExtraGroup, "model_valence_best", "pleasantness of the expressed state", {}},
      {"Arousal", kExtraGroup, "model_arousal_best", "activation / energy of the state", {}},
      {"Dominance",
       kExtraGroup,
       "model_dominance_best",
       "sense of control vs being controlled",
       {}},
      {"Emotional Vulnerability",
       kExtraGroup,
       "model_emotional_vulnerability_best",
       "openness to emotional hurt",
       {}},
  };
  return r;
}

struct Store {
  std::vector<std::string> hq_keys;
  std::vector<Category> cats;
  std::unordered_map<std::string_view, std::size_t> index;
  std::vector<std::string> names;

  Store() {
    const auto& r = rows();
    hq_keys.reserve(r.size());
    for (const auto& row : r)
      hq_keys.push_back(std::string(row.group) + "|" + std::string(row.name));
    cats.reserve(r.size());
    for (std::size_t i = 0; i < r.size(); ++i) {
      cats.push_back(Category{i, r[i].name, r[i].group, hq_keys[i], r[i].head_key, r[i].description,
                              r[i].aliases});
    }
    for (const auto& c : cats) {
      add(c.name, c.index);
      add(c.hq_key, c.index);
      add(c.head_key, c.index);
      add(c.head_stem(), c.index);
      for (auto a : c.aliases) add(a, c.index);
    }
  }
  void add(std::string_view key, std::size_t i) {
    if (index.emplace(key, i).second) names.emplace_back(key);
  }
};

const Store& store() {
  static const Store s;
  return s;
}

}  // namespace

std::string_view Category::head_stem() const {
  std::string_view s = head_key;
  s.remove_prefix(6);  // "model_"
  s.remove_suffix(5);  // "_best"
  return s;
}

std::span<const Category> categories() {
  return store().cats;
}
std::span<const Category> emotions() {
  return categories().first(kNumEmotions);
}
std::span<const Category> extra_dimensions() {
  return categories().subspan(kNumEmotions);
}
std::span<const std::string_view> groups() {
  return kGroups;
}

std::vector<const Category*> group_members(std::string_view group) {
  // guide.json buttons order, which differs from the label order.
  static const std::map<std::string_view, std::vector<std::string_view>> order = {
      {kPosHigh,
       {"Amusement", "Elation", "Pleasure/Ecstasy", "Hope/Enthusiasm/Optimism", "Triumph",
        "Interest", "Awe", "Astonishment/Surprise", "Teasing"}},
      {kPosLow,
       {"Contentment", "Thankfulness/Gratitude", "Affection", "Relief", "Contemplation", "Pride"}},
      {kNegHigh,
       {"Fear", "Anger", "Malevolence/Malice", "Disgust", "Impatience and Irritability",
        "Distress"}},
      {kNegLow,
       {"Sadness", "Bitterness", "Contempt", "Disappointment", "Shame", "Emotional Numbness",
        "Doubt", "Jealousy & Envy", "Embarrassment", "Helplessness"}},
      {kCognitive, {"Concentration", "Confusion"}},
      {kPhysical,
       {"Pain", "Fatigue/Exhaustion", "Intoxication/Altered States of Consciousness", "Sourness"}},
      {kLonging, {"Longing", "Sexual Lust", "Infatuation"}},
      {kExtraGroup, {"Valence", "Arousal", "Dominance", "Emotional Vulnerability"}},
  };
  auto it = order.find(group);
  if (it == order.end()) {
    std::vector<std::string> all(kGroups.begin(), kGroups.end());
    throw Error("unknown emotion group '" + std::string(group) +
                "'; valid groups: " + join(all, ", "));
  }
  std::vector<const Category*> out;
  for (auto name : it->second) out.push_back(&lookup(name));
  return out;
}

const Category* find_category(std::string_view any_name) {
  const auto& s = store();
  auto it = s.index.find(any_name);
  return it == s.index.end() ? nullptr : &s.cats[it->second];
}

const Category& lookup(std::string_view any_name) {
  if (const Category* c = find_category(any_name)) return *c;
  std::vector<std::string> display;
  for (const auto& c : categories()) display.emplace_back(c.name);
  auto close = closest_names(any_name, store().names, 5);
  throw Error("unknown emotion '" + std::string(any_name) + "'; closest valid names: " +
              join(close, ", ") + " (all emotions: " + join(display, ", ") + ")");
}

std::vector<std::string> all_category_names() {
  return store().names;
}

}  // namespace emonet
