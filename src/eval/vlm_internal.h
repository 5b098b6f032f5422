// Internal pieces of `emonet eval vlm`: the SQLite response cache and the HTTP client
// with retries. Not part of the public API.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "emonet/eval.h"

#include "emonet/eval_aimd.h"

namespace emonet::eval {
// Replaces the yes/no records' annotations by quantile-calibrated ones (vlm_calibrate.cpp).
void calibrate_yes_no(std::vector<nlohmann::json>& records, const std::string& hq_csv,
                      CalibrationSplit split);
}  // namespace emonet::eval

namespace emonet::eval::detail {

// Hex BLAKE2b-256 of `data` (libsodium).
std::string hash_hex(std::string_view data);

// first_token_top_logprobs() on a body already parsed (`j`, discarded when it was not
// JSON; `body` names the parse error then).
std::vector<TokenLogprob> first_token_top_logprobs(const nlohmann::json& j, std::string_view body);

// Request/response pairs by key. One connection guarded by a mutex: the network, not
// the cache, is the bottleneck. Thread-safe.
class ResponseCache {
 public:
  explicit ResponseCache(const std::string& path);  // empty path: a cache that stores nothing
  ~ResponseCache();
  ResponseCache(const ResponseCache&) = delete;
  ResponseCache& operator=(const ResponseCache&) = delete;
  bool enabled() const { return db_ != nullptr; }
  std::optional<std::string> get(const std::string& key);
  void put(const std::string& key, const std::string& request, const std::string& response);

 private:
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
};

struct HttpStats {
  std::atomic<std::uint64_t> sent{0}, retries{0};
};

struct HttpResult {
  bool ok = false;    // HTTP 200 with a body
  long status = 0;    // last HTTP status (0: transport failure)
  std::string body;   // last response body
  std::string error;  // why not ok
  int tries = 0;      // requests sent for this call
};

struct RetryPolicy {
  int max_retries = 6;
  double base_s = 0.5, max_s = 60;
  double timeout_s = 120;
};

// One libcurl easy handle (reused, keeps its connection); one per worker thread.
class HttpClient {
 public:
  // With `aimd`, every HTTP attempt holds one of its slots while it is in flight (the
  // backoff waits hold none) and reports its outcome and latency to it.
  HttpClient(std::string url, std::string api_key, RetryPolicy policy, HttpStats& stats,
             AimdController* aimd = nullptr);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  // POSTs a JSON body; retries 429/5xx/timeouts/resets with backoff and jitter,
  // waiting Retry-After seconds when the server sends it.
  HttpResult post(const std::string& body);

 private:
  void* curl_;
  std::string url_, auth_;
  RetryPolicy policy_;
  HttpStats& stats_;
  AimdController* aimd_;
  std::uint64_t rng_;
};

// The --max-cost guard. A request may start only if the money spent, plus the worst cost
// seen for one request times the requests already in flight and this one, stays within
// the budget; until one request has come back there is no estimate, so only one request
// is in flight. So the budget is never exceeded as long as no request costs more than the
// most expensive one seen before it. Thread-safe.
class CostGuard {
 public:
  CostGuard(double price_in_per_m, double price_out_per_m, std::optional<double> max_cost);
  bool acquire();  // false: the budget would be exceeded; stop
  // Ends an acquired request with its token usage (0, 0 for one that failed).
  void release(std::uint64_t prompt_tokens, std::uint64_t completion_tokens);
  double spent() const;
  bool exhausted() const;

 private:
  double price_in_, price_out_;
  std::optional<double> max_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  double spent_ = 0, worst_ = 0;
  bool has_estimate_ = false, exhausted_ = false;
  int in_flight_ = 0;
};

}  // namespace emonet::eval::detail
