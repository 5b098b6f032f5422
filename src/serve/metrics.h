// Internal: the Prometheus metrics of `emonet serve`, rendered in the text exposition
// format (version 0.0.4) at GET /metrics.
//
// Thread safety: every member may be called from any thread at once (one mutex; the
// counters are touched a few times per request, far from any hot loop).
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace emonet::serve::detail {

// A cumulative histogram with fixed upper bounds (the +Inf bucket is implicit).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  // HELP/TYPE lines are the caller's; this writes the _bucket, _sum and _count samples.
  void render(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::vector<double> bounds_;
  std::vector<unsigned long long> counts_;  // per bucket, not cumulative
  double sum_ = 0;
  unsigned long long count_ = 0;
};

class Metrics {
 public:
  Metrics();
  void request(const std::string& route, int status, double seconds);
  void batch(std::size_t images);
  void set_queue_depth(std::size_t depth);
  void set_model_loaded(double load_seconds);
  void set_ready(bool ready);
  std::string render() const;

 private:
  mutable std::mutex m_;
  std::map<std::pair<std::string, int>, unsigned long long> requests_;
  std::map<std::string, Histogram> latency_;  // per route
  Histogram batch_size_;
  unsigned long long images_ = 0, batches_ = 0;
  std::size_t queue_depth_ = 0;
  double load_seconds_ = 0;
  bool loaded_ = false, ready_ = false;
};

}  // namespace emonet::serve::detail
