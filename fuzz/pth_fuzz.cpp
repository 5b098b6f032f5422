// libFuzzer harness: torch .pth containers — the ZIP reader (central directory, ZIP64,
// stored/deflated entries, CRC) and the restricted unpickler behind load_torch_state_dict.
#include <cstddef>
#include <cstdint>
#include <string>

#include "emonet/error.h"
#include "emonet/model_files.h"
#include "fuzz_support.h"
#include "model/zip_archive.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = emonet::fuzz::input_file(data, size, "pth", ".pth");
  try {
    const emonet::model::ZipArchive zip(path);
    for (const auto& entry : zip.entries()) {
      try {
        zip.read(entry);
      } catch (const emonet::Error&) {
      }
    }
  } catch (const emonet::Error&) {
  }
  try {
    for (const auto& tensor : emonet::model::load_torch_state_dict(path)) {
      if (!tensor.bytes.empty()) {
        volatile std::byte last = tensor.bytes.back();
        (void)last;
      }
    }
  } catch (const emonet::Error&) {
  }
  return 0;
}
