// The `--concurrency auto` controller of `emonet eval vlm`: additive increase,
// multiplicative decrease (AIMD, as TCP congestion control) of the number of HTTP requests
// allowed in flight.
//
//   - a request takes a slot with acquire() (blocking while `limit` are in flight) and
//     gives it back with release(), saying how it ended and how long it took;
//   - after one window of successes (as many successes as the current limit) the limit
//     grows by one, up to `max`, if the window used it (had `limit` requests in flight at
//     once; while callers sleep in backoff the limit is not what holds them back);
//   - a 429 (throttled) multiplies the limit by `decrease` (at least `min`), and so does a
//     window whose mean latency exceeds `latency_factor` times the lowest window mean seen
//     (the server queues instead of serving); one decrease per window: replies to requests
//     started before the last decrease do not decrease it again;
//   - other failures (5xx, transport) change nothing: they are retried by the caller.
//
// Thread-safety: every member function may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace emonet::eval {

struct AimdOptions {
  std::size_t min = 1, max = 64, initial = 4;
  double decrease = 0.5;
  double latency_factor = 2.0;  // 0: latency never decreases the limit
};

class AimdController {
 public:
  enum class Outcome { kSuccess, kThrottled, kFailed };
  explicit AimdController(AimdOptions options);
  // Blocks until fewer than limit() requests are in flight; returns the request's ticket.
  std::uint64_t acquire();
  void release(std::uint64_t ticket, Outcome outcome, double latency_s);

  std::size_t limit() const;
  std::size_t peak_limit() const;  // the largest limit reached
  std::uint64_t decreases() const;
  std::uint64_t throttled() const;  // 429s reported

 private:
  void decrease_locked();

  AimdOptions o_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::size_t limit_, peak_, in_flight_ = 0;
  std::uint64_t issued_ = 0, mark_ = 0, decreases_ = 0, throttled_ = 0;
  std::size_t window_successes_ = 0;
  bool window_saturated_ = false;
  double window_latency_ = 0, baseline_ = 0;
};

}  // namespace emonet::eval
