// libFuzzer harness: reading a predictions JSONL (bench transfer evaluation), with ground
// truth from the file name and, on odd first bytes, from a label field.
#include <cstddef>
#include <cstdint>
#include <string>

#include "emonet/bench_transfer.h"
#include "emonet/error.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  emonet::bench::TransferMapping mapping;
  mapping.source = "fuzz.json:fuzz";
  mapping.name = "fuzz";
  mapping.heads = {{"model_anger_best", "angry"},
                   {"model_elation_best", "happy"},
                   {"model_fear_best", "fear"},
                   {"model_pride_best", std::nullopt}};
  const bool by_label = data[0] & 1;
  if (data[0] & 2) mapping.label_index = {{"0", "angry"}, {"1", "happy"}};
  try {
    emonet::bench::evaluate_transfer(
        emonet::fuzz::input_file(data + 1, size - 1, "jsonl", ".jsonl"), mapping,
        by_label ? "label" : "");
  } catch (const emonet::Error&) {
  }
  return 0;
}
