// libFuzzer harness: the `emonet serve --api-keys` file parser on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "emonet/error.h"
#include "emonet/serve_keys.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto keys = emonet::serve::ApiKeys::parse(
        std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
    (void)keys.check("emk_0000");
  } catch (const emonet::Error&) {
  }
  return 0;
}
