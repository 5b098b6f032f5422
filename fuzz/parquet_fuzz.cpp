// libFuzzer harness for the Parquet reader: any bytes must decode or raise emonet::Error.
#include <cstddef>
#include <cstdint>

#include "emonet/error.h"
#include "emonet/parquet.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    emonet::parquet::decode_all(data, size);
  } catch (const emonet::Error&) {
  }
  return 0;
}
