// Paths and reference values of the models written by tests/fixtures/make_model.py, and
// the error-message helper the loader tests share.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "emonet/error.h"
#include "emonet/files.h"

namespace emonet::test {

inline std::string model_fixture(const std::string& rel) {
  return std::string(EMONET_MODEL_FIXTURES) + "/" + rel;
}

// reference.json of a fixture folder: values torch/numpy wrote.
inline nlohmann::json model_reference(const std::string& folder) {
  return nlohmann::json::parse(read_file(model_fixture(folder + "/reference.json")));
}

// The message of the emonet::Error `f` throws, or "<no error>".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

}  // namespace emonet::test
