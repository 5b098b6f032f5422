// libFuzzer harness: what `emonet bench transfer --images` reads from outside — a RAF-DB
// image list, an AffectNet labels CSV, a FACES file name, and a predictions JSONL scored
// against a small dataset. The first byte picks the parser; the rest is its input.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "emonet/bench_transfer_dataset.h"
#include "emonet/error.h"
#include "fuzz_support.h"

namespace {

namespace fs = std::filesystem;
using namespace emonet::bench;

TransferMapping mapping() {
  TransferMapping m;
  m.source = "fuzz";
  m.heads["model_anger_best"] = "anger";
  m.heads["model_elation_best"] = "happy";
  m.heads["model_sadness_best"] = "sad";
  m.heads["model_shame_best"] = std::nullopt;
  return m;
}

// A dataset folder with two real files the lists may name.
std::string dataset_dir() {
  static const std::string dir = [] {
    const fs::path d =
        fs::temp_directory_path() / ("emonet-fuzz-transfer-" + std::to_string(::getpid()));
    fs::create_directories(d / "0");
    std::ofstream(d / "train_00001.jpg") << "x";
    std::ofstream(d / "0" / "a.jpg") << "x";
    return d.string();
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const TransferMapping m = mapping();
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    DatasetOptions o;
    o.images = dataset_dir();
    switch (data[0] % 4) {
      case 0:
        o.layout = DatasetLayout::rafdb;
        o.labels = emonet::fuzz::input_file(data + 1, size - 1, "rafdb", ".txt");
        load_dataset(o, m);
        break;
      case 1:
        o.layout = DatasetLayout::affectnet;
        o.labels = emonet::fuzz::input_file(data + 1, size - 1, "affectnet", ".csv");
        load_dataset(o, m);
        break;
      case 2: {
        // A FACES-style file name (only the name is parsed).
        const fs::path d = fs::path(dataset_dir()) / "faces";
        fs::remove_all(d);
        fs::create_directories(d);
        std::string name;
        for (char c : text.substr(0, 64)) name += (c == '/' || c == '\0') ? '_' : c;
        if (name.empty() || name == "." || name == "..") return 0;
        std::ofstream(d / (name + ".jpg")) << "x";
        o.layout = DatasetLayout::faces;
        o.images = d.string();
        load_dataset(o, m);
        break;
      }
      default: {
        Dataset d;
        d.root = dataset_dir();
        d.layout = DatasetLayout::folders;
        d.images = {{"a.jpg", "anger", ""}, {"b.jpg", "happy", ""}};
        TransferEvalOptions e;
        e.iterations = 5;
        evaluate_dataset_transfer_text(d, text, "fuzz.jsonl", m, e);
        break;
      }
    }
  } catch (const emonet::Error&) {
  } catch (const fs::filesystem_error&) {
  }
  return 0;
}
