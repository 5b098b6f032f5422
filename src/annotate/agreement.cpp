// Progress, binary/compare agreement tables and disagreement ranking (see agreement.h).
#include "annotate/agreement.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "annotate/protocol.h"
#include "emonet/taxonomy.h"

namespace emonet::annotate {

using json = nlohmann::json;

std::string binary_outcome(int votes, int yes) {
  if (votes == 1) return yes ? "1:Yes" : "1:No";
  if (votes == 2 && yes == 1) return "1-1";
  if (votes == 3 && yes == 2) return "2:1";
  if (votes == 3 && yes == 3) return "3:0";
  return "other";
}

json progress_json(Store& store, const Project& project, std::int64_t offset, std::int64_t limit,
                   std::int64_t now_ms) {
  json experts = json::array();
  for (const auto& e : store.expert_progress(project.id, now_ms)) {
    experts.push_back({{"user_id", e.user_id},
                       {"name", e.name},
                       {"answered", e.answered},
                       {"leased", e.leased},
                       {"mean_response_ms", e.mean_response_ms}});
  }
  std::int64_t complete = 0, in_progress = 0, untouched = 0;
  for (const auto& [item, leases] :
       store.item_progress(project.id, 0, project.item_count, now_ms)) {
    if (!item.open) {
      ++complete;
    } else if (item.votes > 0 || leases > 0) {
      ++in_progress;
    } else {
      ++untouched;
    }
  }
  json per_item = json::array();
  offset = std::max<std::int64_t>(0, offset);
  limit = std::clamp<std::int64_t>(limit, 1, 10000);
  for (const auto& [item, leases] : store.item_progress(project.id, offset, limit, now_ms)) {
    per_item.push_back({{"item_id", item.id},
                        {"image", item.image},
                        {"emotion", item.emotion},
                        {"votes", item.votes},
                        {"target_votes", item.target_votes},
                        {"closed", !item.open},
                        {"leased", leases}});
  }
  return {{"experts", experts},
          {"items",
           {{"total", project.item_count},
            {"complete", complete},
            {"in_progress", in_progress},
            {"untouched", untouched}}},
          {"per_item", per_item}};
}

IntensityRatings collect_intensity(const std::vector<Event>& latest) {
  IntensityRatings d;
  std::map<std::string, std::size_t> expert_index;
  std::map<std::int64_t, std::size_t> item_index;
  for (const auto& e : latest) {
    if (expert_index.emplace(e.user_name, 0).second) d.experts.push_back(e.user_name);
    if (item_index.emplace(e.item_id, d.items.size()).second) d.items.push_back(e.item_id);
  }
  std::sort(d.experts.begin(), d.experts.end());
  for (std::size_t i = 0; i < d.experts.size(); ++i) expert_index[d.experts[i]] = i;
  d.ratings.assign(d.experts.size(), std::vector<std::vector<int>>(d.items.size()));
  for (const auto& e : latest) {
    d.ratings[expert_index[e.user_name]][item_index[e.item_id]] = intensity_ratings(e.answer);
  }
  return d;
}

namespace {

struct BinaryTally {
  int votes = 0;
  int yes = 0;
};

std::map<std::int64_t, BinaryTally> binary_tallies(const std::vector<Event>& latest) {
  std::map<std::int64_t, BinaryTally> t;
  for (const auto& e : latest) {
    const json j = json::parse(e.answer, nullptr, false);
    auto& x = t[e.item_id];
    ++x.votes;
    if (j.is_object() && j.value("value", false)) ++x.yes;
  }
  return t;
}

}  // namespace

json agreement_json(Store& store, const Project& project) {
  const auto latest = store.latest_answers(project.id);
  if (project.protocol == Protocol::intensity) {
    json j = intensity_agreement(collect_intensity(latest), 200, 42);
    j["kind"] = "intensity";
    return j;
  }
  if (project.protocol == Protocol::binary) {
    const auto tallies = binary_tallies(latest);
    std::map<std::int64_t, std::string> emotion_of;
    for (const auto& e : latest) emotion_of[e.item_id] = e.emotion;
    const std::vector<std::string> labels = {"1:No", "1:Yes", "1-1", "2:1", "3:0", "other"};
    json outcomes = json::object();
    for (const auto& l : labels) outcomes[l] = 0;
    std::map<std::string, json> per_emotion;
    for (const auto& [item, t] : tallies) {
      const std::string label = binary_outcome(t.votes, t.yes);
      outcomes[label] = outcomes[label].get<int>() + 1;
      auto& row = per_emotion[emotion_of[item]];
      if (row.is_null()) {
        row = {{"emotion", emotion_of[item]}};
        for (const auto& l : labels) row[l] = 0;
      }
      row[label] = row[label].get<int>() + 1;
    }
    json rows = json::array();
    for (auto& [name, row] : per_emotion) rows.push_back(row);
    std::int64_t unanswered = project.item_count - static_cast<std::int64_t>(tallies.size());
    return {{"kind", "binary"},
            {"outcomes", outcomes},
            {"unanswered", unanswered},
            {"per_emotion", rows}};
  }
  std::map<std::string, std::int64_t> picks;
  for (const auto& e : latest) {
    const json j = json::parse(e.answer, nullptr, false);
    if (j.is_object()) ++picks[j.value("source", "")];
  }
  return {{"kind", "compare"}, {"picks", picks}, {"answers", latest.size()}};
}

json disagreement_json(Store& store, const Project& project, std::int64_t limit) {
  const auto latest = store.latest_answers(project.id);
  std::map<std::int64_t, std::string> image_of;
  for (const auto& e : latest) image_of[e.item_id] = e.image;
  struct Scored {
    std::int64_t item;
    int votes;
    double spread;
  };
  std::vector<Scored> scored;
  if (project.protocol == Protocol::intensity) {
    const auto d = collect_intensity(latest);
    for (std::size_t i = 0; i < d.items.size(); ++i) {
      // Mean over emotions of the (population) standard deviation across experts.
      std::vector<const std::vector<int>*> raters;
      for (const auto& r : d.ratings) {
        if (!r[i].empty()) raters.push_back(&r[i]);
      }
      if (raters.size() < 2) continue;
      double total = 0;
      for (std::size_t e = 0; e < kNumEmotions; ++e) {
        double mean = 0;
        for (auto* r : raters) mean += (*r)[e];
        mean /= static_cast<double>(raters.size());
        double var = 0;
        for (auto* r : raters) var += ((*r)[e] - mean) * ((*r)[e] - mean);
        total += std::sqrt(var / static_cast<double>(raters.size()));
      }
      scored.push_back({d.items[i], static_cast<int>(raters.size()), total / kNumEmotions});
    }
  } else {
    // Binary and compare: the share of the minority answer among the votes.
    std::map<std::int64_t, std::map<std::string, int>> counts;
    for (const auto& e : latest) ++counts[e.item_id][e.answer];
    for (const auto& [item, c] : counts) {
      int votes = 0, top = 0;
      for (const auto& [answer, n] : c) {
        votes += n;
        top = std::max(top, n);
      }
      if (votes < 2) continue;
      scored.push_back({item, votes, static_cast<double>(votes - top) / votes});
    }
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const Scored& a, const Scored& b) { return a.spread > b.spread; });
  json items = json::array();
  limit = std::clamp<std::int64_t>(limit, 1, 1000);
  for (std::size_t i = 0; i < scored.size() && static_cast<std::int64_t>(i) < limit; ++i) {
    items.push_back({{"item_id", scored[i].item},
                     {"image", image_of[scored[i].item]},
                     {"votes", scored[i].votes},
                     {"spread", scored[i].spread}});
  }
  return {{"items", items}};
}

}  // namespace emonet::annotate
