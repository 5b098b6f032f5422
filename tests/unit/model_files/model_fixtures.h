// Paths and reference values of the models written by tests/fixtures/make_model.py.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "emonet/files.h"

namespace emonet::test {

inline std::string model_fixture(const std::string& rel) {
  return std::string(EMONET_MODEL_FIXTURES) + "/" + rel;
}

// reference.json of a fixture folder: values torch/numpy wrote.
inline nlohmann::json model_reference(const std::string& folder) {
  return nlohmann::json::parse(read_file(model_fixture(folder + "/reference.json")));
}

}  // namespace emonet::test
