// libFuzzer harness: arbitrary bytes as a WebDataset .tar shard, listed and read through
// emonet::data::list_images / ImageReader (libarchive + the sample JSON parser).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "emonet/error.h"
#include "emonet/image_source.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path =
      "/tmp/emonet-webdataset-fuzz-" + std::to_string(::getpid()) + ".tar";
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  } else {
    return 0;
  }
  try {
    const auto items = emonet::data::list_images({path});
    emonet::data::ImageReader reader;
    for (const auto& it : items) (void)reader.read(it);
  } catch (const emonet::Error&) {
  }
  std::remove(path.c_str());
  return 0;
}
