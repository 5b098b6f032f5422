// The service's counters and histograms as Prometheus text (names follow the Prometheus
// naming guide: base units, _total for counters, a unit suffix).
#include "serve/metrics.h"

#include <cstdio>

namespace emonet::serve::detail {
namespace {

// Prometheus floats: shortest round-trip form; "+Inf" for the last bucket.
std::string num(double v) {
  char buf[32] = "";
  if (v == double(static_cast<long long>(v)) && v < 1e15 && v > -1e15) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
    return buf;
  }
  double back = 0;
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    std::sscanf(buf, "%lf", &back);
    if (back == v) break;
  }
  return buf;
}

void help(std::string& out, const char* name, const char* type, const char* text) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += text;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

// Latency buckets from 1 ms to 30 s: a tiny model answers in milliseconds, the full model
// on a loaded CPU in seconds.
std::vector<double> latency_bounds() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double v) {
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += v;
  ++count_;
}

void Histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  const std::string sep = labels.empty() ? "" : ",";
  unsigned long long cumulative = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    const std::string le = i < bounds_.size() ? num(bounds_[i]) : "+Inf";
    out += name + "_bucket{" + labels + sep + "le=\"" + le + "\"} " + std::to_string(cumulative) +
           "\n";
  }
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += name + "_sum" + braces + " " + num(sum_) + "\n";
  out += name + "_count" + braces + " " + std::to_string(count_) + "\n";
}

Metrics::Metrics() : batch_size_({1, 2, 4, 8, 16, 32, 64}) {}

void Metrics::request(const std::string& route, int status, double seconds) {
  std::lock_guard lk(m_);
  ++requests_[{route, status}];
  auto it = latency_.find(route);
  if (it == latency_.end()) it = latency_.emplace(route, Histogram(latency_bounds())).first;
  it->second.observe(seconds);
}

void Metrics::batch(std::size_t images) {
  std::lock_guard lk(m_);
  batch_size_.observe(double(images));
  images_ += images;
  ++batches_;
}

void Metrics::set_queue_depth(std::size_t depth) {
  std::lock_guard lk(m_);
  queue_depth_ = depth;
}

void Metrics::set_model_loaded(double load_seconds) {
  std::lock_guard lk(m_);
  load_seconds_ = load_seconds;
  loaded_ = true;
}

void Metrics::set_ready(bool ready) {
  std::lock_guard lk(m_);
  ready_ = ready;
}

std::string Metrics::render() const {
  std::lock_guard lk(m_);
  std::string out;
  help(out, "emonet_http_requests_total", "counter",
       "HTTP requests answered, by route and status.");
  for (const auto& [key, n] : requests_)
    out += "emonet_http_requests_total{route=\"" + key.first + "\",status=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
  help(out, "emonet_http_request_duration_seconds", "histogram",
       "Time from routing a request to its answer, by route.");
  for (const auto& [route, h] : latency_)
    h.render(out, "emonet_http_request_duration_seconds", "route=\"" + route + "\"");
  help(out, "emonet_batch_size_images", "histogram", "Images per forward pass of the batcher.");
  batch_size_.render(out, "emonet_batch_size_images", "");
  help(out, "emonet_queue_depth_images", "gauge", "Images waiting for a forward pass.");
  out += "emonet_queue_depth_images " + std::to_string(queue_depth_) + "\n";
  help(out, "emonet_images_processed_total", "counter", "Images (and faces) scored by the model.");
  out += "emonet_images_processed_total " + std::to_string(images_) + "\n";
  help(out, "emonet_model_load_seconds", "gauge",
       "Seconds the model took to load (0 while it is loading).");
  out += "emonet_model_load_seconds " + num(loaded_ ? load_seconds_ : 0) + "\n";
  help(out, "emonet_ready", "gauge",
       "1 when the service can predict, 0 while loading or draining.");
  out += "emonet_ready " + std::string(ready_ ? "1" : "0") + "\n";
  return out;
}

}  // namespace emonet::serve::detail
