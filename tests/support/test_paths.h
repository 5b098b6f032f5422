// Paths for tests: the authors' reference data in ../shared/reference, the repository,
// the build folder and the built `emonet` command. Reference files must exist; a test
// that needs a missing one fails with a message saying where it looked.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

namespace emonet::test {

inline std::string reference_file(const std::string& name) {
  return std::string(EMONET_SHARED_DIR) + "/reference/" + name;
}

// ASSERT-style: use as `REQUIRE_REFERENCE(path, "binary.csv");` at the top of a test.
#define REQUIRE_REFERENCE(var, name)                            \
  const std::string var = ::emonet::test::reference_file(name); \
  ASSERT_TRUE(std::filesystem::exists(var))                     \
      << "reference file missing: " << var                      \
      << " (the authors' data must be in ../shared/reference next to the checkout)"

inline std::string source_path(const std::string& rel) {
  return std::string(EMONET_SOURCE_DIR) + "/" + rel;
}
inline std::string binary_path(const std::string& rel) {
  return std::string(EMONET_BINARY_DIR) + "/" + rel;
}
inline std::string cli_path() {
  return EMONET_CLI_PATH;
}

// A fresh temporary folder removed at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "emonet-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `emonet ARGS` through the shell; `args` is pasted verbatim (quote it yourself).
inline CommandResult run_cli(const std::string& args) {
  TempDir tmp;
  const std::string out = tmp.file("out"), err = tmp.file("err");
  const std::string cmd =
      "'" + cli_path() + "' " + args + " >'" + out + "' 2>'" + err + "' </dev/null";
  int status = std::system(cmd.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  auto slurp = [](const std::string& p) {
    std::string s;
    if (FILE* f = std::fopen(p.c_str(), "rb")) {
      std::array<char, 65536> buf;
      std::size_t n;
      while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) s.append(buf.data(), n);
      std::fclose(f);
    }
    return s;
  };
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

}  // namespace emonet::test
