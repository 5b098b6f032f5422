// Protocol rules: forms, item documents and answer validation (see protocol.h).
#include "annotate/protocol.h"

#include <algorithm>

#include "annotate/context.h"
#include "emonet/taxonomy.h"

namespace emonet::annotate {
namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

const json& field(const json& body, const char* name) {
  static const json null_value;
  auto it = body.find(name);
  return it == body.end() ? null_value : *it;
}

}  // namespace

std::vector<std::vector<std::string>> guide_synonyms(const std::string& guide_json) {
  std::vector<std::vector<std::string>> out(kNumEmotions);
  if (guide_json.empty()) return out;
  const json guide = json::parse(guide_json, nullptr, false);
  if (!guide.is_object() || !guide.contains("options") || !guide["options"].contains("labels")) {
    return out;
  }
  for (const auto& [name, list] : guide["options"]["labels"].items()) {
    const Category* c = find_category(name);
    if (!c || c->is_extra() || !list.is_array()) continue;
    for (const auto& s : list) {
      if (s.is_string()) out[c->index].push_back(s.get<std::string>());
    }
  }
  return out;
}

json intensity_form(const Project& project) {
  const auto synonyms = guide_synonyms(project.guide_json);
  json group_list = json::array();
  for (auto group : groups()) {
    json g{{"name", std::string(group)}, {"emotions", json::array()}};
    for (const Category* c : group_members(group)) {
      g["emotions"].push_back({{"key", std::string(c->hq_key)},
                               {"name", std::string(c->name)},
                               {"description", std::string(c->description)},
                               {"synonyms", synonyms[c->index]}});
    }
    group_list.push_back(std::move(g));
  }
  return {{"min", 0}, {"max", kMaxIntensity}, {"groups", std::move(group_list)}};
}

json top_emotions(const json& ratings, std::size_t limit) {
  std::vector<std::pair<std::string, double>> entries;
  if (ratings.is_object()) {
    for (const auto& [key, value] : ratings.items()) {
      if (value.is_number() && value.get<double>() != 0)
        entries.emplace_back(key, value.get<double>());
    }
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  json out = json::array();
  for (std::size_t i = 0; i < entries.size() && i < limit; ++i) {
    const Category* c = find_category(entries[i].first);
    out.push_back({{"key", entries[i].first},
                   {"emotion", c ? std::string(c->name) : entries[i].first},
                   {"value", entries[i].second}});
  }
  return out;
}

json item_json(const Project& project, const Item& item, bool swap, std::int64_t lease_expires_ms) {
  json j{
      {"item_id", item.id},
      {"project_id", item.project_id},
      {"protocol", std::string(protocol_name(project.protocol))},
      {"position", item.position},
      {"image_url", "/images/" + std::to_string(item.project_id) + "/" + std::to_string(item.id)}};
  if (lease_expires_ms > 0) j["lease_expires_ms"] = lease_expires_ms;
  if (project.protocol == Protocol::binary) {
    std::string text = item.text;
    if (text.empty()) {
      if (const Category* c = find_category(item.emotion)) {
        const auto synonyms = guide_synonyms(project.guide_json);
        std::string joined;
        for (const auto& s : synonyms[c->index]) joined += (joined.empty() ? "" : ", ") + s;
        text = joined.empty() ? std::string(c->name) : joined;
      } else {
        text = item.emotion;
      }
    }
    j["emotion"] = item.emotion;
    j["text"] = text;
    j["role"] = item.role;
  } else if (project.protocol == Protocol::compare) {
    const json profiles = json::parse(item.profiles, nullptr, false);
    const json& sources = profiles.is_object() ? field(profiles, "sources") : profiles;
    json left = json::object(), right = json::object();
    if (sources.is_array() && sources.size() == 2) {
      left = {{"emotions", top_emotions(sources[swap ? 1 : 0]["ratings"])}};
      right = {{"emotions", top_emotions(sources[swap ? 0 : 1]["ratings"])}};
    }
    j["left"] = left;
    j["right"] = right;
  }
  return j;
}

std::string intensity_answer_json(const std::vector<int>& values, bool no_emotion) {
  // Written by hand: this runs for every vote, and an ordered_json of 40 keys cost more
  // than the rest of the answer's validation. The bytes are those of ordered_json's
  // dump() (the stored form that resubmissions are compared with; a test checks it), and
  // the taxonomy's keys need no escaping.
  std::string out;
  out.reserve(32 + 24 * values.size());
  out += "{\"ratings\":{";
  bool first = true;
  for (const auto& c : emotions()) {
    if (!first) out += ',';
    first = false;
    out += '"';
    out += c.hq_key;
    out += "\":";
    out += std::to_string(values[c.index]);
  }
  out += "},\"no_emotion\":";
  out += no_emotion ? "true}" : "false}";
  return out;
}

CheckedAnswer check_answer(const Project& project, const Item& item, bool swap, const json& body) {
  if (!body.is_object()) throw HttpError(400, "the answer must be a JSON object");
  CheckedAnswer out;
  if (project.protocol == Protocol::intensity) {
    const json& ratings = field(body, "ratings");
    const json& none = field(body, "no_emotion");
    if (!ratings.is_null() && !ratings.is_object()) {
      throw HttpError(400, "'ratings' must be an object of emotion: 0..7", "ratings");
    }
    if (!none.is_null() && !none.is_boolean()) {
      throw HttpError(400, "'no_emotion' must be true or false", "no_emotion");
    }
    std::vector<int> values(kNumEmotions, 0);
    if (ratings.is_object()) {
      for (const auto& [key, value] : ratings.items()) {
        const Category* c = find_category(key);
        if (!c || c->is_extra()) throw HttpError(400, "unknown emotion '" + key + "'", "ratings");
        if (!value.is_number_integer() || value.get<long long>() < 0 ||
            value.get<long long>() > kMaxIntensity) {
          throw HttpError(400, "rating of '" + key + "' must be an integer 0..7", "ratings");
        }
        values[c->index] = value.get<int>();
      }
    }
    const bool no_emotion = none.is_boolean() && none.get<bool>();
    const bool all_zero = std::all_of(values.begin(), values.end(), [](int v) { return v == 0; });
    if (all_zero && !no_emotion) {
      throw HttpError(422, "all sliders are 0: rate at least one emotion or tick 'no emotion'",
                      "ratings");
    }
    if (!all_zero && no_emotion) {
      throw HttpError(422, "'no emotion' is ticked but some sliders are above 0", "no_emotion");
    }
    out.json = intensity_answer_json(values, no_emotion);
  } else if (project.protocol == Protocol::binary) {
    const json& value = field(body, "value");
    if (!value.is_boolean())
      throw HttpError(400, "'value' must be true (Yes) or false (No)", "value");
    out.json = ojson{{"value", value.get<bool>()}}.dump();
    out.closes_item = !value.get<bool>();
  } else {
    const json& pick = field(body, "pick");
    if (!pick.is_string() || (pick != "left" && pick != "right")) {
      throw HttpError(400, "'pick' must be \"left\" or \"right\"", "pick");
    }
    const json profiles = json::parse(item.profiles, nullptr, false);
    const json& sources = profiles.is_object() ? field(profiles, "sources") : profiles;
    const bool left = pick == "left";
    const std::size_t index = (left != swap) ? 0 : 1;
    std::string source;
    if (sources.is_array() && sources.size() == 2 && sources[index].contains("name")) {
      source = sources[index]["name"].get<std::string>();
    }
    out.json = ojson{{"pick", pick.get<std::string>()}, {"source", source}}.dump();
  }
  return out;
}

std::vector<int> intensity_ratings(const std::string& answer_json) {
  std::vector<int> values(kNumEmotions, 0);
  const json j = json::parse(answer_json, nullptr, false);
  if (!j.is_object() || !j.contains("ratings") || !j["ratings"].is_object()) return values;
  for (const auto& [key, value] : j["ratings"].items()) {
    const Category* c = find_category(key);
    if (c && !c->is_extra() && value.is_number()) values[c->index] = value.get<int>();
  }
  return values;
}

}  // namespace emonet::annotate
