// Admin views over a project's answers: progress per expert and item, live agreement
// (intensity: Krippendorff's alpha and mean pairwise quadratic-weighted Cohen's kappa
// with bootstrap CIs; binary: the vote-outcome table of the sequential protocol;
// compare: picks per source) and the items with the most disagreement.
// Each call reads the latest answer of every expert for every item in one snapshot.
// Thread-safe as the Store.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "annotate/store.h"

namespace emonet::annotate {

nlohmann::json progress_json(Store& store, const Project& project, std::int64_t offset,
                             std::int64_t limit, std::int64_t now_ms);
nlohmann::json agreement_json(Store& store, const Project& project);
nlohmann::json disagreement_json(Store& store, const Project& project, std::int64_t limit);

// Outcome label of a binary item from its votes in the sequential protocol:
// "1:No", "1:Yes", "1-1", "2:1", "3:0", or "other" (any other combination).
std::string binary_outcome(int votes, int yes);

// Intensity agreement over latest answers (experts × items × 40 ratings).
struct IntensityRatings {
  std::vector<std::string> experts;
  std::vector<std::int64_t> items;
  // ratings[expert][item] = 40 ratings, or empty when that expert did not rate the item
  std::vector<std::vector<std::vector<int>>> ratings;
};
IntensityRatings collect_intensity(const std::vector<Event>& latest);
nlohmann::json intensity_agreement(const IntensityRatings& data, std::size_t iterations,
                                   std::uint64_t seed);

}  // namespace emonet::annotate
