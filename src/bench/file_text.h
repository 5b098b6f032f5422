// Whole-file reads for the benchmark's inputs (hq.csv is ~90 MB): one mmap and one copy,
// which is several times faster than growing a string through a stream.
#pragma once

#include <string>

#include "emonet/files.h"

namespace emonet::bench {

inline std::string read_text(const std::string& path) {
  const MappedFile file(path);
  return std::string(reinterpret_cast<const char*>(file.data()), file.size());
}

}  // namespace emonet::bench
