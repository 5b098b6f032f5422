// libFuzzer harness: the Python dict literal of hq.csv cells, parsed and written back.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "emonet/error.h"
#include "emonet/pydict.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto entries =
        emonet::parse_python_dict(std::string_view(reinterpret_cast<const char*>(data), size));
    // What we write must parse again (the export path round-trips these cells).
    emonet::parse_python_dict(emonet::format_python_dict(entries));
  } catch (const emonet::Error&) {
  }
  return 0;
}
