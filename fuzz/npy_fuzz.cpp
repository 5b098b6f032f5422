// libFuzzer harness: .npy decoding (float arrays in memory, uint8 arrays from a file).
#include <cstddef>
#include <cstdint>
#include <string>

#include "emonet/error.h"
#include "emonet/npy.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    emonet::NpyArray a =
        emonet::decode_npy(std::string(reinterpret_cast<const char*>(data), size), "fuzz.npy");
    if (a.data.size() != a.size()) __builtin_trap();
  } catch (const emonet::Error&) {
  }
  try {
    emonet::read_npy_u8(emonet::fuzz::input_file(data, size, "npy", ".npy"));
  } catch (const emonet::Error&) {
  }
  return 0;
}
