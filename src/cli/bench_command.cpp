// `emonet bench`: the EmoNet-Face analyses (binary agreement, FER/AffectNet transfer, HQ
// agreement benchmark). Argument handling only; the analyses live in src/bench/.
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "emonet/bench_binary.h"
#include "emonet/bench_transfer.h"

namespace emonet::cli {
namespace {

struct BinaryOptions {
  std::string file;
  std::string format = "markdown";
};

struct TransferOptions {
  std::string file;
  std::string mapping;
  std::string label_field;
  std::string format = "markdown";
};

int run_binary(const BinaryOptions& o) {
  const auto report = bench::analyze_binary(o.file);
  if (o.format == "json") {
    std::cout << bench::binary_json(report);
  } else if (o.format == "csv") {
    std::cout << bench::binary_csv(report);
  } else {
    std::cout << bench::binary_markdown(report);
  }
  return 0;
}

int run_transfer(const TransferOptions& o) {
  const auto mapping = bench::load_transfer_mapping(o.mapping);
  const auto report = bench::evaluate_transfer(o.file, mapping, o.label_field);
  if (o.format == "json") {
    std::cout << bench::transfer_json(report);
  } else if (o.format == "csv") {
    std::cout << bench::transfer_csv(report);
  } else {
    std::cout << bench::transfer_markdown(report);
  }
  return 0;
}

RunFn setup(CLI::App& app, const GlobalOptions&) {
  auto* bench = app.add_subcommand("bench", "EmoNet-Face analyses: binary, transfer, hq");
  bench->require_subcommand(1);
  set_examples(*bench, {"emonet bench binary binary.csv",
                        "emonet bench transfer ferd.jsonl --mapping transfer_mappings.json:ferd",
                        "emonet bench hq hq.csv --out report/"});

  auto bin = std::make_shared<BinaryOptions>();
  auto* b = bench->add_subcommand(
      "binary", "Expert agreement on the Binary set (per-emotion table, vote outcomes)");
  b->add_option("file", bin->file, "binary.csv (path,annotator,value,emotion)")
      ->required()
      ->check(CLI::ExistingFile);
  b->add_option("--format", bin->format, "Output format")
      ->check(CLI::IsMember({"markdown", "json", "csv"}))
      ->capture_default_str();
  set_examples(*b, {"emonet bench binary data/binary.csv",
                    "emonet bench binary data/binary.csv --format json"});

  auto tr = std::make_shared<TransferOptions>();
  auto* t = bench->add_subcommand(
      "transfer", "Accuracy on a coarse 8-class dataset through a 40->8 head mapping");
  t->add_option("file", tr->file, "Predictions JSONL (image_path, results)")
      ->required()
      ->check(CLI::ExistingFile);
  t->add_option("--mapping", tr->mapping, "Mapping JSON, FILE or FILE:NAME")->required();
  t->add_option("--label-field", tr->label_field,
                "Record field with the ground truth (default: from the image file name)");
  t->add_option("--format", tr->format, "Output format")
      ->check(CLI::IsMember({"markdown", "json", "csv"}))
      ->capture_default_str();
  set_examples(*t, {"emonet bench transfer ferd.jsonl --mapping transfer_mappings.json:ferd",
                    "emonet bench transfer affectnet.jsonl --mapping "
                    "transfer_mappings.json:affectnet --label-field label --format json"});

  return [bench, b, t, bin, tr]() -> int {
    if (b->parsed()) return run_binary(*bin);
    if (t->parsed()) return run_transfer(*tr);
    std::cerr << bench->help();
    return 2;
  };
}

EMONET_REGISTER_COMMAND("bench", setup);

}  // namespace
}  // namespace emonet::cli
