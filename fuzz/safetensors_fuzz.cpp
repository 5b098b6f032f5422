// libFuzzer harness: safetensors header parsing and tensor access.
#include <cstddef>
#include <cstdint>

#include "emonet/error.h"
#include "emonet/model_files.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto file = emonet::model::SafetensorsFile::open(
        emonet::fuzz::input_file(data, size, "st", ".safetensors"));
    file.metadata();
    file.total_tensor_count();
    for (const auto& name : file.names()) {
      const auto& view = file.get(name);
      // Touch the first and last byte: the offsets were validated against the file.
      if (view.nbytes != 0) {
        volatile std::byte first = view.data[0];
        volatile std::byte last = view.data[view.nbytes - 1];
        (void)first;
        (void)last;
      }
    }
  } catch (const emonet::Error&) {
  }
  return 0;
}
