// emonet::stats::Estimate — a statistic's value together with why it may have none.
//
// The reference libraries (scikit-learn, SciPy, krippendorff) fail in two different
// ways: some degenerate inputs give NaN (a 0/0 such as "both raters constant"), others
// raise an exception (such as "no value of y_true is in labels"). Callers that reproduce
// the authors' notebooks must turn both into NaN but sometimes need to tell them apart,
// so every statistic that can fail returns an Estimate instead of throwing.
// Plain value type; thread-compatible.
#pragma once

#include <limits>

namespace emonet::stats {

enum class Status {
  ok,         // value holds the statistic (it may still be NaN if the input held NaN)
  undefined,  // the reference library returns NaN (e.g. zero expected disagreement)
  rejected,   // the reference library raises (e.g. ValueError); value is NaN
};

struct Estimate {
  double value = std::numeric_limits<double>::quiet_NaN();
  Status status = Status::ok;
  // For undefined/rejected: a static English sentence saying why (never null).
  const char* reason = "";

  bool ok() const { return status == Status::ok; }
  static Estimate of(double v) { return {v, Status::ok, ""}; }
  static Estimate undefined_because(const char* why) {
    return {std::numeric_limits<double>::quiet_NaN(), Status::undefined, why};
  }
  static Estimate rejected_because(const char* why) {
    return {std::numeric_limits<double>::quiet_NaN(), Status::rejected, why};
  }
};

// "ok", "undefined", "rejected".
const char* to_string(Status status);

}  // namespace emonet::stats
