// One agreement coefficient for a user's file, with an optional bootstrap CI: what
// `emonet stats kappa|alpha` computes and prints.
//
// kappa_report: Cohen's kappa of two rating columns; the bootstrap resamples items
// (rows) with Generator::choice(n, n) per iteration. alpha_report: Krippendorff's alpha
// of a raters × units table; the bootstrap resamples units (columns), as the EmoNet HQ
// notebook does. The CI is the 2.5/97.5 numpy percentiles of the non-NaN resampled
// values. iterations = 0 means no bootstrap. A statistic the reference library would
// refuse (Status::rejected) throws emonet::Error naming the file; an undefined one (NaN)
// is reported with its reason. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "emonet/stats/alpha.h"
#include "emonet/stats/bootstrap.h"
#include "emonet/stats/kappa.h"
#include "emonet/stats/rating_files.h"

namespace emonet::stats {

struct BootstrapOptions {
  std::size_t iterations = 0;  // 0 = no confidence interval
  std::uint64_t seed = 42;
};

struct AgreementReport {
  std::string statistic;    // "cohen_kappa" or "krippendorff_alpha"
  std::string description;  // e.g. "Cohen's kappa, quadratic weights, labels 0..7"
  std::string source;       // the input file
  Estimate estimate;
  std::size_t items = 0;         // kappa: items with both ratings; alpha: units
  std::size_t raters = 0;        // 2 for kappa
  std::size_t skipped_rows = 0;  // kappa: rows with a missing rating
  nlohmann::ordered_json parameters = nlohmann::ordered_json::object();
  std::optional<ConfidenceInterval> interval;
  BootstrapOptions bootstrap;

  nlohmann::ordered_json to_json() const;
  std::string to_text() const;
};

AgreementReport kappa_report(const std::string& path, const RatingColumns& data,
                             KappaWeights weights, const std::vector<std::int64_t>& labels,
                             const BootstrapOptions& bootstrap);

AgreementReport alpha_report(const std::string& path, const ReliabilityTable& table,
                             AlphaLevel level, const BootstrapOptions& bootstrap);

}  // namespace emonet::stats
