// Shared helpers of the engine tests: reading the reference outputs written by
// tests/fixtures/reference_forward.py.
#pragma once

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "emonet/model.h"
#include "emonet/npy.h"

namespace emonet::test {

// predictions.jsonl -> one map head key -> {raw, mean_subtracted, softmax (NaN if null)}.
struct RefScore {
  double raw = 0, mean_subtracted = 0, softmax = NAN;
};
using RefRecord = std::map<std::string, RefScore>;

inline std::vector<RefRecord> read_reference(const std::string& jsonl) {
  std::ifstream in(jsonl);
  std::vector<RefRecord> out;
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    RefRecord r;
    for (auto& [key, v] : j["results"].items())
      r[key] = RefScore{v["raw"].get<double>(), v["mean_subtracted"].get<double>(),
                        v["softmax"].is_null() ? NAN : v["softmax"].get<double>()};
    out.push_back(std::move(r));
  }
  return out;
}

inline double cosine(const float* a, const float* b, std::size_t n) {
  double dot = 0, na = 0, nb = 0;
  for (std::size_t i = 0; i < n; ++i) {
    dot += double(a[i]) * b[i];
    na += double(a[i]) * a[i];
    nb += double(b[i]) * b[i];
  }
  return dot / std::sqrt(na * nb);
}

// Compares one prediction with its reference record; returns the largest raw difference.
inline double max_raw_difference(const model::Prediction& p, const RefRecord& ref) {
  double worst = 0;
  for (const auto& s : p.heads) {
    auto it = ref.find(std::string(s.category->head_key));
    if (it == ref.end()) return INFINITY;
    worst = std::max(worst, std::fabs(double(s.raw) - it->second.raw));
  }
  return worst;
}

}  // namespace emonet::test
