// `emonet stats kappa|alpha`: agreement coefficients (with bootstrap CIs) for any CSV.
#include <iostream>

#include "cli/command.h"
#include "emonet/stats/agreement_report.h"
#include "emonet/stats/rating_files.h"
#include "emonet/strings.h"

namespace emonet::cli {
namespace {

struct Options {
  std::string file;
  std::string format = "text";
  std::string weights = "none";
  std::string labels;
  std::string columns;
  std::string level = "interval";
  std::size_t bootstrap = 0;
  std::uint64_t seed = 42;
};

int print(const stats::AgreementReport& report, const Options& o) {
  if (o.format == "json") {
    std::cout << report.to_json().dump(2) << "\n";
  } else {
    std::cout << report.to_text();
  }
  return 0;
}

int run_kappa(const Options& o) {
  std::vector<std::string> columns;
  if (!o.columns.empty()) {
    for (const auto& c : split(o.columns, ',')) columns.emplace_back(trim(c));
  }
  const auto labels =
      o.labels.empty() ? std::vector<std::int64_t>{} : stats::parse_label_list(o.labels);
  const auto data = stats::read_rating_columns(o.file, columns);
  return print(stats::kappa_report(o.file, data, stats::parse_kappa_weights(o.weights), labels,
                                   {o.bootstrap, o.seed}),
               o);
}

int run_alpha(const Options& o) {
  const auto table = stats::read_reliability_table(o.file);
  return print(
      stats::alpha_report(o.file, table, stats::parse_alpha_level(o.level), {o.bootstrap, o.seed}),
      o);
}

void add_common(CLI::App* cmd, Options& o) {
  cmd->add_option("FILE", o.file, "CSV file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--bootstrap", o.bootstrap, "Resamples for a 95% percentile CI (0 = none)")
      ->capture_default_str();
  cmd->add_option("--seed", o.seed, "Seed of the NumPy-compatible generator")
      ->capture_default_str();
  cmd->add_option("--format", o.format, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
}

RunFn setup(CLI::App& app, const GlobalOptions&) {
  auto opts = std::make_shared<Options>();
  auto* stats_cmd = app.add_subcommand("stats", "Agreement statistics for your own rating files");
  stats_cmd->require_subcommand(1);

  auto* kappa = stats_cmd->add_subcommand(
      "kappa", "Cohen's kappa of two rating columns (scikit-learn semantics)");
  add_common(kappa, *opts);
  kappa->add_option("--weights", opts->weights, "Disagreement weights")
      ->check(CLI::IsMember({"none", "linear", "quadratic"}))
      ->capture_default_str();
  kappa->add_option("--labels", opts->labels,
                    "Label set, a range 0..7 or a list 0,1,2; ratings outside it are dropped");
  kappa->add_option("--columns", opts->columns,
                    "The two rating columns by header name, A,B (default: the first two)");
  set_examples(*kappa, {"emonet stats kappa ratings.csv --weights quadratic --labels 0..7",
                        "emonet stats kappa ratings.csv --columns alice,bob --bootstrap 1000 "
                        "--seed 42 --format json"});

  auto* alpha = stats_cmd->add_subcommand(
      "alpha", "Krippendorff's alpha of a raters x units table (krippendorff package semantics)");
  add_common(alpha, *opts);
  alpha->add_option("--level", opts->level, "Level of measurement")
      ->check(CLI::IsMember({"nominal", "ordinal", "interval", "ratio"}))
      ->capture_default_str();
  set_examples(*alpha, {"emonet stats alpha table.csv --level ordinal",
                        "emonet stats alpha table.csv --bootstrap 1000 --seed 42 --format json"});

  set_examples(*stats_cmd, {"emonet stats kappa ratings.csv --weights quadratic --labels 0..7",
                            "emonet stats alpha table.csv --level interval --bootstrap 1000"});
  return [opts, kappa, alpha] {
    if (kappa->parsed()) return run_kappa(*opts);
    if (alpha->parsed()) return run_alpha(*opts);
    return 1;
  };
}

EMONET_REGISTER_COMMAND("stats", setup);

}  // namespace
}  // namespace emonet::cli
