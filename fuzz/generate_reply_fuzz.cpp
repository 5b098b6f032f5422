// libFuzzer harness for the text-to-image reply parsers of `emonet data generate`
// (ComfyUI /prompt and /history, AUTOMATIC1111 txt2img, OpenAI images) and the workflow
// substitution. None may crash or throw anything but emonet::Error on any input.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "emonet/data_generate.h"
#include "emonet/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  namespace d = emonet::data;
  auto guarded = [](auto&& fn) {
    try {
      fn();
    } catch (const emonet::Error&) {
    }
  };
  guarded([&] { (void)d::parse_comfyui_queued(body, "fuzz"); });
  guarded([&] { (void)d::parse_comfyui_history(body, "p1", "fuzz"); });
  guarded([&] { (void)d::parse_a1111_reply(body, "fuzz"); });
  guarded([&] { (void)d::parse_openai_images_reply(body, "fuzz"); });
  const auto wf = nlohmann::json::parse(body, nullptr, false);
  if (!wf.is_discarded())
    guarded([&] { (void)d::substitute_workflow(wf, "a {prompt} face", "", 7, "fuzz"); });
  return 0;
}
