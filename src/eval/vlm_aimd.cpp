// The AIMD concurrency controller (see include/emonet/eval_aimd.h).
#include <algorithm>
#include <cmath>

#include "emonet/error.h"
#include "emonet/eval_aimd.h"

namespace emonet::eval {

AimdController::AimdController(AimdOptions options) : o_(options) {
  if (o_.min < 1 || o_.max < o_.min) throw Error("concurrency bounds: need 1 <= min <= max");
  if (!(o_.decrease > 0 && o_.decrease < 1)) throw Error("AIMD decrease factor must be in (0, 1)");
  limit_ = std::clamp(o_.initial, o_.min, o_.max);
  peak_ = limit_;
}

std::uint64_t AimdController::acquire() {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [this] { return in_flight_ < limit_; });
  if (++in_flight_ >= limit_) window_saturated_ = true;
  return ++issued_;
}

void AimdController::decrease_locked() {
  const auto shrunk =
      static_cast<std::size_t>(std::floor(static_cast<double>(limit_) * o_.decrease));
  limit_ = std::max(o_.min, shrunk);
  // Requests issued so far saw the old limit; their replies must not decrease it again.
  mark_ = issued_;
  ++decreases_;
  window_successes_ = 0;
  window_latency_ = 0;
  window_saturated_ = false;
}

void AimdController::release(std::uint64_t ticket, Outcome outcome, double latency_s) {
  {
    std::lock_guard lock(mutex_);
    --in_flight_;
    if (outcome == Outcome::kThrottled) {
      ++throttled_;
      if (ticket > mark_) decrease_locked();
    } else if (outcome == Outcome::kSuccess) {
      window_latency_ += latency_s;
      if (++window_successes_ >= limit_) {
        const double mean = window_latency_ / static_cast<double>(window_successes_);
        window_successes_ = 0;
        window_latency_ = 0;
        const bool saturated = window_saturated_;
        window_saturated_ = in_flight_ >= limit_;
        if (baseline_ <= 0 || mean < baseline_) baseline_ = mean;
        if (o_.latency_factor > 0 && mean > o_.latency_factor * baseline_ && ticket > mark_) {
          decrease_locked();
        } else if (limit_ < o_.max && saturated) {
          ++limit_;
          peak_ = std::max(peak_, limit_);
        }
      }
    }
  }
  cv_.notify_all();
}

std::size_t AimdController::limit() const {
  std::lock_guard lock(mutex_);
  return limit_;
}
std::size_t AimdController::peak_limit() const {
  std::lock_guard lock(mutex_);
  return peak_;
}
std::uint64_t AimdController::decreases() const {
  std::lock_guard lock(mutex_);
  return decreases_;
}
std::uint64_t AimdController::throttled() const {
  std::lock_guard lock(mutex_);
  return throttled_;
}

}  // namespace emonet::eval
