// libFuzzer harness: the authors' hq.csv (CSV records whose cells hold Python dict
// literals), loaded as `emonet bench hq` does, single-threaded.
#include <cstddef>
#include <cstdint>

#include "emonet/bench_hq.h"
#include "emonet/error.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    emonet::bench::load_hq(emonet::fuzz::input_file(data, size, "hq", ".csv"), 1);
  } catch (const emonet::Error&) {
  }
  return 0;
}
