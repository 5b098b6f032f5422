// libFuzzer harness: what the annotation server parses from a request body — the POST
// answer document (JSON, validated by check_answer for each protocol; the server parses
// the body with nlohmann's non-throwing parse first, as here), form fields (http::parse_query,
// which the server uses for query strings and application/x-www-form-urlencoded bodies)
// and the integer parameters (parse_int), plus a stored answer read back.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "annotate/context.h"
#include "annotate/http_message.h"
#include "annotate/protocol.h"
#include "emonet/error.h"
#include "emonet/strings.h"

namespace {

using emonet::annotate::Item;
using emonet::annotate::Project;
using emonet::annotate::Protocol;

Project project(Protocol protocol) {
  Project p;
  p.name = "fuzz";
  p.protocol = protocol;
  p.id = 1;
  return p;
}

Item item() {
  Item it;
  it.id = 7;
  it.project_id = 1;
  it.image = "img_0000.png";
  it.emotion = "Awe";
  it.role = "target";
  it.metadata = "{}";
  it.profiles = R"({"sources": [{"name": "a", "ratings": {"anger": 3, "joy": 1}},)"
                R"( {"name": "b", "ratings": {"fear": 2}}]})";
  return it;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  static const Project projects[] = {project(Protocol::intensity), project(Protocol::binary),
                                     project(Protocol::compare)};
  static const Item the_item = item();

  const nlohmann::json body = nlohmann::json::parse(text, nullptr, false);
  if (!body.is_discarded()) {
    for (const auto& p : projects) {
      for (bool swap : {false, true}) {
        try {
          emonet::annotate::check_answer(p, the_item, swap, body);
        } catch (const emonet::Error&) {
        }
      }
    }
  }
  try {
    emonet::annotate::intensity_ratings(text);
  } catch (const emonet::Error&) {
  }

  emonet::annotate::http::Params params;
  emonet::annotate::http::parse_query(text, params);
  for (const auto& [key, value] : params) {
    try {
      emonet::parse_int(value, key);
    } catch (const emonet::Error&) {
    }
  }
  return 0;
}
