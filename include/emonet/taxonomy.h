// The EmoNet-Face taxonomy: 40 emotion categories in the authors' canonical order
// (guide.json `options.labels` order), each in one of 7 groups, plus the 4 extra
// dimensions the Empathic-Insight-Face model ships (valence, arousal, dominance,
// emotional vulnerability) in the group "Extra Dimensions".
//
// Every source names a category differently; each entry carries all the names:
//   name      "Jealousy & Envy"                        (guide.json, binary.csv, prompts)
//   hq_key    "Negative Low-Energy Emotions|Jealousy & Envy"   (hq.csv, platform)
//   head_key  "model_jealousy_&_envy_best"              (model files, predictions JSONL)
//   aliases   other spellings seen in the authors' data ("Hopelessness" in binary.csv)
// lookup() accepts any of them exactly (plus the head key's stem, "jealousy_&_envy").
// An unknown name throws emonet::Error listing the closest valid names.
//
// Synonym lists (shown to annotators) are the authors' text and are not compiled in;
// load them from a user-supplied guide.json with load_guide().
//
// The taxonomy is immutable static data: all functions are thread-safe.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace emonet {

inline constexpr std::size_t kNumEmotions = 40;
inline constexpr std::size_t kNumExtraDimensions = 4;
inline constexpr std::size_t kNumCategories = kNumEmotions + kNumExtraDimensions;
inline constexpr std::string_view kExtraGroup = "Extra Dimensions";

struct Category {
  std::size_t index;             // 0..39 emotions in canonical order, 40..43 extras
  std::string_view name;         // display name, as in guide.json
  std::string_view group;        // one of groups(), or "Extra Dimensions"
  std::string_view hq_key;       // "<group>|<name>"
  std::string_view head_key;     // "model_<stem>_best"
  std::string_view description;  // our one-line description
  std::vector<std::string_view> aliases;
  bool is_extra() const { return index >= kNumEmotions; }
  std::string_view head_stem() const;  // head_key without "model_" and "_best"
};

// All 44 entries: the 40 emotions, then the 4 extra dimensions.
std::span<const Category> categories();
// The 40 emotions only.
std::span<const Category> emotions();
// The 4 extra dimensions only.
std::span<const Category> extra_dimensions();

// The 7 emotion groups in guide.json `buttons` order.
std::span<const std::string_view> groups();
// Members of a group in guide.json `buttons` order (throws for an unknown group).
std::vector<const Category*> group_members(std::string_view group);

// Exact lookup by any name form; nullptr if unknown.
const Category* find_category(std::string_view any_name);
// Exact lookup; throws Error("unknown emotion 'X'; closest valid names: ...").
const Category& lookup(std::string_view any_name);

// Every accepted name (for suggestions and help texts).
std::vector<std::string> all_category_names();

// The authors' guide.json: emotion -> synonym list, in file order.
struct Guide {
  std::map<std::size_t, std::vector<std::string>> synonyms;  // by Category::index
  std::vector<std::string> label_order;                      // names as they appear
  std::map<std::string, std::vector<std::string>> buttons;   // group -> member names
};
// Parses and validates guide.json: every label must be a known emotion, every button a
// known group with its true members. Errors name the file and the offending key.
Guide load_guide(const std::string& path);

}  // namespace emonet
