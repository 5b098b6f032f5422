// libFuzzer harness for the Hugging Face listing parsers of `emonet data fetch`: the Hub
// tree listing and the auto-converted Parquet listing. Neither may crash or throw anything
// but emonet::Error on any input.
#include <cstddef>
#include <cstdint>
#include <string>

#include "emonet/data_fetch.h"
#include "emonet/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  try {
    (void)emonet::data::parse_tree_listing(body, "fuzz");
  } catch (const emonet::Error&) {
  }
  try {
    (void)emonet::data::parse_parquet_listing(body, "fuzz");
  } catch (const emonet::Error&) {
  }
  return 0;
}
