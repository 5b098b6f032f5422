// HTTP POST with retries for the VLM client (see vlm_internal.h). Transient failures are
// 429, 5xx and transport errors (timeouts, refused/reset/dropped connections); each is
// retried after base * 2^k seconds with full jitter, or after Retry-After when the server
// names a wait. Other HTTP errors (400, 401, 404, ...) are final at once: asking again
// would give the same answer.
#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "core/curl_reply.h"
#include "eval/vlm_internal.h"

namespace emonet::eval::detail {
namespace {

// splitmix64: a cheap per-client generator for the jitter.
double next_unit(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) / 9007199254740992.0;
}

// Seconds the attempt took without opening the connection (TCP, TLS): the latency the
// concurrency controller compares is the server's, not a cold start's.
double latency_without_connect(CURL* c, std::chrono::steady_clock::time_point started) {
  const double total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  double connect = 0, tls = 0;
  curl_easy_getinfo(c, CURLINFO_CONNECT_TIME, &connect);
  curl_easy_getinfo(c, CURLINFO_APPCONNECT_TIME, &tls);
  return std::max(0.0, total - std::max(connect, tls));
}

}  // namespace

HttpClient::HttpClient(std::string url, std::string api_key, RetryPolicy policy, HttpStats& stats,
                       AimdController* aimd)
    : curl_(curl_easy_init()), url_(std::move(url)), policy_(policy), stats_(stats), aimd_(aimd) {
  if (!api_key.empty()) auth_ = "Authorization: Bearer " + api_key;
  rng_ = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
         reinterpret_cast<std::uintptr_t>(this);
}

HttpClient::~HttpClient() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
}

HttpResult HttpClient::post(const std::string& body) {
  CURL* c = static_cast<CURL*>(curl_);
  HttpResult r;
  for (int attempt = 0;; ++attempt) {
    emonet::detail::CurlReply got;
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    if (!auth_.empty()) headers = curl_slist_append(headers, auth_.c_str());
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    emonet::detail::capture_curl_reply(c, got);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(policy_.timeout_s * 1000));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    // No Accept-Encoding: replies are a few kB, and a server that compresses them (brotli
    // in cpp-httplib) spends more CPU than the bytes are worth (bench/vlm_throughput).
    const std::uint64_t ticket = aimd_ != nullptr ? aimd_->acquire() : 0;
    ++stats_.sent;
    ++r.tries;
    const auto started = std::chrono::steady_clock::now();
    const CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(headers);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (aimd_ != nullptr)
      aimd_->release(ticket,
                     // A timeout is the extreme of a latency rise: treated as a 429.
                     rc == CURLE_OK && status == 200 ? AimdController::Outcome::kSuccess
                     : (rc == CURLE_OK && status == 429) || rc == CURLE_OPERATION_TIMEDOUT
                         ? AimdController::Outcome::kThrottled
                         : AimdController::Outcome::kFailed,
                     latency_without_connect(c, started));
    r.status = rc == CURLE_OK ? status : 0;
    r.body = std::move(got.body);
    bool transient = false;
    if (rc != CURLE_OK) {
      r.error = std::string("transport: ") + curl_easy_strerror(rc);
      transient = true;
    } else if (status == 200) {
      r.ok = true;
      r.error.clear();
      return r;
    } else {
      r.error = "HTTP " + std::to_string(status);
      transient = status == 429 || status >= 500;
    }
    if (!transient || attempt >= policy_.max_retries) return r;
    ++stats_.retries;
    double wait = std::min(policy_.max_s, policy_.base_s * std::pow(2.0, attempt));
    wait *= 0.5 + 0.5 * next_unit(rng_);  // jitter, at least half the step
    if (got.retry_after_s) wait = std::min(policy_.max_s, *got.retry_after_s);
    std::this_thread::sleep_for(std::chrono::duration<double>(wait));
  }
}

}  // namespace emonet::eval::detail
