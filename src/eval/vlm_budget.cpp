// The --max-cost guard of `emonet eval vlm` (see vlm_internal.h).
#include <algorithm>

#include "eval/vlm_internal.h"

namespace emonet::eval::detail {

CostGuard::CostGuard(double price_in_per_m, double price_out_per_m, std::optional<double> max_cost)
    : price_in_(price_in_per_m / 1e6), price_out_(price_out_per_m / 1e6), max_(max_cost) {}

bool CostGuard::acquire() {
  std::unique_lock lock(mutex_);
  if (!max_) {
    ++in_flight_;
    return true;
  }
  // Without an estimate yet, wait for the one request in flight to report its cost.
  cv_.wait(lock, [this] { return has_estimate_ || in_flight_ == 0 || exhausted_; });
  if (exhausted_) return false;
  const double need = spent_ + worst_ * (in_flight_ + 1);
  if (has_estimate_ && need > *max_) {
    exhausted_ = true;
    cv_.notify_all();
    return false;
  }
  ++in_flight_;
  return true;
}

void CostGuard::release(std::uint64_t prompt_tokens, std::uint64_t completion_tokens) {
  std::lock_guard lock(mutex_);
  const double cost = static_cast<double>(prompt_tokens) * price_in_ +
                      static_cast<double>(completion_tokens) * price_out_;
  spent_ += cost;
  if (prompt_tokens + completion_tokens > 0) {
    worst_ = std::max(worst_, cost);
    has_estimate_ = true;
  }
  --in_flight_;
  cv_.notify_all();
}

double CostGuard::spent() const {
  std::lock_guard lock(mutex_);
  return spent_;
}

bool CostGuard::exhausted() const {
  std::lock_guard lock(mutex_);
  return exhausted_;
}

}  // namespace emonet::eval::detail
