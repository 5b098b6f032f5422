// The stored form of intensity answers: resubmissions and edits are told apart by
// comparing these bytes with what is in the database, so the hand-written serialiser
// must give exactly what nlohmann's ordered_json gave (the form stored so far), for any
// ratings; and check_answer must store that form.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "annotate/protocol.h"
#include "annotate/types.h"
#include "emonet/taxonomy.h"

namespace emonet::annotate {
namespace {

std::string ordered_json_form(const std::vector<int>& values, bool no_emotion) {
  nlohmann::ordered_json stored;
  nlohmann::ordered_json r = nlohmann::ordered_json::object();
  for (const auto& c : emotions()) r[std::string(c.hq_key)] = values[c.index];
  stored["ratings"] = std::move(r);
  stored["no_emotion"] = no_emotion;
  return stored.dump();
}

TEST(Protocol, IntensityAnswerBytesMatchOrderedJson) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> rating(0, kMaxIntensity);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<int> values(kNumEmotions, 0);
    for (auto& v : values) v = trial % 3 == 0 ? 0 : rating(rng);
    const bool none = trial % 2 == 0;
    ASSERT_EQ(intensity_answer_json(values, none), ordered_json_form(values, none)) << trial;
  }
}

TEST(Protocol, CheckAnswerStoresTheCanonicalForm) {
  Project p;
  p.id = 1;
  p.protocol = Protocol::intensity;
  Item item;
  item.id = 3;
  item.project_id = 1;
  const auto& first = emotions().front();
  const nlohmann::json body = {{"ratings", {{std::string(first.hq_key), 5}}},
                               {"no_emotion", false}};
  std::vector<int> values(kNumEmotions, 0);
  values[first.index] = 5;
  EXPECT_EQ(check_answer(p, item, false, body).json, ordered_json_form(values, false));
}

}  // namespace
}  // namespace emonet::annotate
