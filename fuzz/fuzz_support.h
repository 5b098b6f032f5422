// Shared by the libFuzzer harnesses: the input as a file for the parsers that take a path.
// Each fuzzer process writes its own file (named after the process id), so harnesses and
// parallel fuzzing jobs never clash. Not a harness itself (no _fuzz.cpp suffix).
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

namespace emonet::fuzz {

// Writes the input to /tmp/emonet-fuzz-<pid>-<tag><suffix> and returns the path.
inline std::string input_file(const std::uint8_t* data, std::size_t size, const std::string& tag,
                              const std::string& suffix) {
  const std::string path = "/tmp/emonet-fuzz-" + std::to_string(::getpid()) + "-" + tag + suffix;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

}  // namespace emonet::fuzz
