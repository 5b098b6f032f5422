// One HTTP attempt's reply as libcurl delivers it, shared by the clients that retry (the VLM
// client of `eval vlm`, the image-generation client of `data generate`): the body, and the
// wait a 429/503 names in Retry-After, which both honour before their own backoff schedule.
#pragma once

#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace emonet::detail {

struct CurlReply {
  std::string body;
  std::optional<double> retry_after_s;
  // A larger body aborts the transfer (CURLE_WRITE_ERROR) instead of filling memory.
  std::size_t max_body = std::numeric_limits<std::size_t>::max();
};

// Sets the write and header callbacks of the easy handle `curl` (a CURL*) to fill `reply`;
// call after curl_easy_reset, before curl_easy_perform.
void capture_curl_reply(void* curl, CurlReply& reply);

// A Retry-After value in its delay-seconds form; an HTTP date (or junk) gives nullopt, so
// the caller falls back to its backoff schedule.
std::optional<double> retry_after_seconds(std::string_view value);

}  // namespace emonet::detail
