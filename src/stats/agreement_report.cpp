// Agreement coefficients with bootstrap CIs for `emonet stats`, and their text/JSON forms.
#include "emonet/stats/agreement_report.h"

#include <cmath>
#include <sstream>

#include "emonet/error.h"
#include "emonet/pydict.h"
#include "emonet/strings.h"

namespace emonet::stats {
namespace {

nlohmann::ordered_json number_or_null(double v) {
  if (std::isnan(v)) return nullptr;
  return v;
}

std::string number_text(double v) {
  return std::isnan(v) ? "NaN" : format_double_shortest(v);
}

std::string labels_text(const std::vector<std::int64_t>& labels) {
  bool consecutive = labels.size() > 2;
  for (std::size_t i = 1; i < labels.size(); ++i) consecutive &= labels[i] == labels[i - 1] + 1;
  if (consecutive) return std::to_string(labels.front()) + ".." + std::to_string(labels.back());
  std::vector<std::string> parts;
  for (auto l : labels) parts.push_back(std::to_string(l));
  return join(parts, ",");
}

void check_accepted(const Estimate& e, const std::string& path, const char* what) {
  if (e.status == Status::rejected) {
    throw Error(std::string(what) + " is not defined for this data: " + e.reason, {path, 0, ""});
  }
}

}  // namespace

AgreementReport kappa_report(const std::string& path, const RatingColumns& data,
                             KappaWeights weights, const std::vector<std::int64_t>& labels,
                             const BootstrapOptions& bootstrap) {
  AgreementReport r;
  r.statistic = "cohen_kappa";
  r.source = path;
  r.description = std::string("Cohen's kappa, ") + to_string(weights) + " weights, labels " +
                  (labels.empty() ? std::string("from the data") : labels_text(labels)) + ", '" +
                  data.first_name + "' vs '" + data.second_name + "'";
  r.items = data.first.size();
  r.raters = 2;
  r.skipped_rows = data.skipped_rows;
  r.parameters["weights"] = to_string(weights);
  r.parameters["labels"] =
      labels.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(labels);
  r.parameters["columns"] = {data.first_name, data.second_name};
  r.estimate = labels.empty() ? cohen_kappa(data.first, data.second, weights)
                              : cohen_kappa(data.first, data.second, weights, labels);
  check_accepted(r.estimate, path, "Cohen's kappa");
  r.bootstrap = bootstrap;
  if (bootstrap.iterations > 0) {
    Generator rng(bootstrap.seed);
    r.interval = percentile_interval(
        bootstrap_kappa(rng, data.first, data.second, weights, labels, bootstrap.iterations));
  }
  return r;
}

AgreementReport alpha_report(const std::string& path, const ReliabilityTable& table,
                             AlphaLevel level, const BootstrapOptions& bootstrap) {
  AgreementReport r;
  r.statistic = "krippendorff_alpha";
  r.source = path;
  r.description = std::string("Krippendorff's alpha, ") + to_string(level) + " level";
  r.items = table.data.cols();
  r.raters = table.data.rows();
  r.parameters["level"] = to_string(level);
  r.parameters["rater_names"] = table.raters;
  r.estimate = krippendorff_alpha(table.data, level);
  check_accepted(r.estimate, path, "Krippendorff's alpha");
  r.bootstrap = bootstrap;
  if (bootstrap.iterations > 0) {
    Generator rng(bootstrap.seed);
    r.interval = percentile_interval(bootstrap_alpha(rng, table.data, level, bootstrap.iterations));
  }
  return r;
}

nlohmann::ordered_json AgreementReport::to_json() const {
  nlohmann::ordered_json j;
  j["statistic"] = statistic;
  j["file"] = source;
  j["value"] = number_or_null(estimate.value);
  j["status"] = to_string(estimate.status);
  if (!estimate.ok()) j["reason"] = estimate.reason;
  j["items"] = items;
  j["raters"] = raters;
  if (statistic == "cohen_kappa") j["skipped_rows"] = skipped_rows;
  for (const auto& [k, v] : parameters.items()) j[k] = v;
  if (interval) {
    nlohmann::ordered_json b;
    b["iterations"] = bootstrap.iterations;
    b["seed"] = bootstrap.seed;
    b["valid"] = interval->valid;
    b["confidence"] = 95;
    b["ci_low"] = number_or_null(interval->low);
    b["ci_high"] = number_or_null(interval->high);
    j["bootstrap"] = b;
  }
  return j;
}

std::string AgreementReport::to_text() const {
  std::ostringstream out;
  out << description << "\n";
  out << "file: " << source << "\n";
  if (statistic == "cohen_kappa") {
    out << "items: " << items;
    if (skipped_rows) out << " (" << skipped_rows << " rows skipped: missing rating)";
    out << "\n";
  } else {
    out << "raters: " << raters << ", units: " << items << "\n";
  }
  out << (statistic == "cohen_kappa" ? "kappa: " : "alpha: ") << number_text(estimate.value);
  if (!estimate.ok()) out << " (" << estimate.reason << ")";
  out << "\n";
  if (interval) {
    out << "95% CI: [" << number_text(interval->low) << ", " << number_text(interval->high)
        << "] (percentile bootstrap, " << bootstrap.iterations << " resamples, seed "
        << bootstrap.seed << ", " << interval->valid << " valid)\n";
  }
  return out.str();
}

}  // namespace emonet::stats
