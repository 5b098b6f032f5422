// The HTTP client of `emonet data generate` (see generate_internal.h): libcurl, JSON
// bodies, retries with exponential backoff and full jitter, Retry-After honoured.
#include <curl/curl.h>
#include <sodium.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "core/curl_reply.h"
#include "data/generate_internal.h"
#include "emonet/strings.h"

namespace emonet::data::detail {

HttpClient::HttpClient(const GenerateOptions& options, std::string bearer_token)
    : options_(options), curl_(curl_easy_init()), rng_(std::random_device{}()) {
  if (!curl_) throw Error("libcurl initialisation failed");
  if (!bearer_token.empty()) auth_ = "Authorization: Bearer " + bearer_token;
}

HttpClient::~HttpClient() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
}

HttpReply HttpClient::send(const std::string& method, const std::string& url,
                           const std::string& body) {
  CURL* c = static_cast<CURL*>(curl_);
  curl_easy_reset(c);
  emonet::detail::CurlReply rx;
  rx.max_body = 256u << 20;  // a reply this big is not an image reply
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::max(1.0, options_.request_timeout_s * 1000)));
  curl_easy_setopt(c, CURLOPT_USERAGENT, "emonet/" EMONET_VERSION);
  emonet::detail::capture_curl_reply(c, rx);
  curl_slist* headers = nullptr;
  if (!auth_.empty()) headers = curl_slist_append(headers, auth_.c_str());
  if (method == "POST") {
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  if (headers) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  const CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  HttpReply reply;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
  if (rc != CURLE_OK)
    throw TransientError(method + " " + url + ": " + curl_easy_strerror(rc), rx.retry_after_s);
  reply.body = std::move(rx.body);
  reply.retry_after_s = rx.retry_after_s;
  return reply;
}

void HttpClient::backoff(int attempt, std::optional<double> retry_after) {
  ++retries_done_;
  double wait;
  if (retry_after) {
    wait = std::min(*retry_after, options_.retry_after_cap_s);
  } else {
    const double cap = options_.retry_base_s * std::pow(2.0, std::min(attempt, 16));
    wait = std::uniform_real_distribution<double>(0, cap)(rng_);
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(wait));
}

std::string base64_decode(std::string_view text, const std::string& source) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), " \r\n\t", &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0 &&
      sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), " \r\n\t", &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0)
    throw Error("image data is not valid base64", {source, 0, ""});
  out.resize(len);
  return out;
}

}  // namespace emonet::data::detail
