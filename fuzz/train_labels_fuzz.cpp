// libFuzzer harness: the label files of `emonet train heads` — the same bytes read as
// multi-shot JSONL, metadata.csv, binary.csv and by content detection.
#include <cstddef>
#include <cstdint>

#include "emonet/error.h"
#include "emonet/train.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using emonet::train::LabelFormat;
  for (auto [format, suffix] :
       {std::pair{LabelFormat::Jsonl, ".jsonl"}, std::pair{LabelFormat::MetadataCsv, ".csv"},
        std::pair{LabelFormat::BinaryCsv, ".csv"}, std::pair{LabelFormat::Auto, ".csv"}}) {
    try {
      emonet::train::read_labels(emonet::fuzz::input_file(data, size, "labels", suffix), format);
    } catch (const emonet::Error&) {
    }
  }
  return 0;
}
