#include "core/curl_reply.h"

#include <curl/curl.h>

#include <cmath>
#include <cstdlib>

#include "emonet/strings.h"

namespace emonet::detail {
namespace {

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* r = static_cast<CurlReply*>(user);
  if (r->body.size() + size * n > r->max_body) return 0;
  r->body.append(data, size * n);
  return size * n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  const std::string_view line(data, size * n);
  const std::size_t colon = line.find(':');
  if (colon != std::string_view::npos && to_lower(trim(line.substr(0, colon))) == "retry-after")
    if (auto s = retry_after_seconds(line.substr(colon + 1)))
      static_cast<CurlReply*>(user)->retry_after_s = s;
  return size * n;
}

}  // namespace

void capture_curl_reply(void* curl, CurlReply& reply) {
  CURL* c = static_cast<CURL*>(curl);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &reply);
}

std::optional<double> retry_after_seconds(std::string_view value) {
  const std::string text(trim(value));
  char* end = nullptr;
  const double s = std::strtod(text.c_str(), &end);
  if (end != text.c_str() && *end == '\0' && s >= 0 && std::isfinite(s)) return s;
  return std::nullopt;
}

}  // namespace emonet::detail
