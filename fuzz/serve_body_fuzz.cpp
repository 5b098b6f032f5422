// libFuzzer harness: the request-body parsers of `emonet serve` (JSON + base64, multipart).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "emonet/serve.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  try {
    (void)emonet::serve::parse_json_images(in);
  } catch (const emonet::serve::BodyError&) {
  }
  try {
    (void)emonet::serve::multipart_images(in, "multipart/form-data; boundary=XyZ");
  } catch (const emonet::serve::BodyError&) {
  }
  return 0;
}
