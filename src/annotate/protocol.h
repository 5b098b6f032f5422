// The three annotation protocols as the API presents and checks them (spec §3.2–3.4):
// the intensity slider form, item documents for each protocol, and the validation that
// turns a client's answer into the canonical JSON stored in an event.
// Pure functions of their arguments: thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "annotate/store.h"

namespace emonet::annotate {

inline constexpr int kMaxIntensity = 7;

// Synonyms per emotion index from a stored guide.json text ("" = none).
std::vector<std::vector<std::string>> guide_synonyms(const std::string& guide_json);

// The "form" object of GET /api/projects/{pid} (intensity projects).
nlohmann::json intensity_form(const Project& project);

// One element of GET /api/projects/{pid}/next's "items".
nlohmann::json item_json(const Project& project, const Item& item, bool swap,
                         std::int64_t lease_expires_ms);

// The stored form of an intensity answer: {"ratings":{<hq key>:<0..7>, ... in taxonomy
// order},"no_emotion":<bool>}, `values` by emotion index.
std::string intensity_answer_json(const std::vector<int>& values, bool no_emotion);

// Validates `body` (the POST answer document) for `item`; throws HttpError(400/422).
CheckedAnswer check_answer(const Project& project, const Item& item, bool swap,
                           const nlohmann::json& body);

// The 40 ratings (canonical emotion order) of a stored intensity answer.
std::vector<int> intensity_ratings(const std::string& answer_json);

// Top-5 non-zero emotions of a compare profile, highest first, ties by key.
nlohmann::json top_emotions(const nlohmann::json& ratings, std::size_t limit = 5);

}  // namespace emonet::annotate
