// libFuzzer harness: the authors' guide.json (taxonomy load_guide) and the annotation
// server's reading of the same file (synonym groups).
#include <cstddef>
#include <cstdint>
#include <string>

#include "annotate/protocol.h"
#include "emonet/error.h"
#include "emonet/taxonomy.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    emonet::load_guide(emonet::fuzz::input_file(data, size, "guide", ".json"));
  } catch (const emonet::Error&) {
  }
  try {
    emonet::annotate::guide_synonyms(std::string(reinterpret_cast<const char*>(data), size));
  } catch (const emonet::Error&) {
  }
  return 0;
}
