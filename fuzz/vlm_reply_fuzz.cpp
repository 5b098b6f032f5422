// libFuzzer harness for the VLM reply parsers of `emonet eval vlm`: the zero-shot reply
// text (fence stripping + JSON + validity) and the yes/no logprob readout of a response
// body. Neither may crash or throw anything but emonet::Error on any input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "emonet/error.h"
#include "emonet/eval.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)emonet::eval::parse_zero_shot_reply(text);
  try {
    (void)emonet::eval::yes_no_readout(emonet::eval::first_token_top_logprobs(text));
  } catch (const emonet::Error&) {
  }
  return 0;
}
