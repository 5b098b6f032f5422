// libFuzzer harness: the CSV reader (header, columns, quoted records).
#include <cstddef>
#include <cstdint>
#include <string>

#include "emonet/csv.h"
#include "emonet/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the separator, so tab-separated files are covered too.
  const char separator = (data[0] & 1) ? '\t' : ',';
  try {
    emonet::CsvReader reader(std::string(reinterpret_cast<const char*>(data + 1), size - 1),
                             "fuzz.csv", separator);
    const auto& header = reader.read_header();
    if (!header.empty()) reader.find_column(header.front());
    emonet::CsvRecord record;
    while (reader.next(record)) {
    }
  } catch (const emonet::Error&) {
  }
  return 0;
}
