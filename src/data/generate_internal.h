// Internals of `emonet data generate` (see include/emonet/data_generate.h): the HTTP client
// with retries and the per-backend request flows.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>

#include "emonet/data_generate.h"
#include "emonet/error.h"

namespace emonet::data::detail {

// A failure that asking again may cure (429, 5xx, transport errors, malformed replies).
class TransientError : public Error {
 public:
  TransientError(const std::string& message, std::optional<double> retry_after = std::nullopt)
      : Error(message), retry_after_(retry_after) {}
  std::optional<double> retry_after() const { return retry_after_; }

 private:
  std::optional<double> retry_after_;
};

struct HttpReply {
  long status = 0;
  std::string body;
  std::optional<double> retry_after_s;
};

// One libcurl handle (one per worker thread). Not thread-safe.
class HttpClient {
 public:
  HttpClient(const GenerateOptions& options, std::string bearer_token);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One attempt; transport failures (refused, reset, timed out) throw TransientError.
  HttpReply send(const std::string& method, const std::string& url, const std::string& body);

  // Sends until a 2xx reply that `parse` accepts, retrying transient failures (parse
  // errors count as malformed replies, hence transient) with exponential backoff + jitter
  // or Retry-After; other 4xx and exhausted retries throw Error with the last reason.
  template <typename Parse>
  auto call(const std::string& method, const std::string& url, const std::string& body,
            Parse&& parse) {
    for (int attempt = 0;; ++attempt) {
      std::string reason;
      std::optional<double> retry_after;
      try {
        HttpReply r = send(method, url, body);
        if (r.status >= 200 && r.status < 300) {
          try {
            return parse(r.body);
          } catch (const Error& e) {
            reason = "malformed reply: " + e.message();
          }
        } else if (r.status == 429 || r.status >= 500) {
          reason = "HTTP " + std::to_string(r.status);
          retry_after = r.retry_after_s;
        } else {
          throw Error(method + " " + url + ": HTTP " + std::to_string(r.status) + ": " +
                      r.body.substr(0, 300));
        }
      } catch (const TransientError& e) {
        reason = e.message();
      }
      if (attempt >= options_.retries)
        throw Error(method + " " + url + " failed after " + std::to_string(attempt + 1) +
                    " attempts: " + reason);
      backoff(attempt, retry_after);
    }
  }

  const GenerateOptions& options() const { return options_; }
  std::uint64_t retries_done() const { return retries_done_; }

 private:
  void backoff(int attempt, std::optional<double> retry_after);

  const GenerateOptions& options_;
  void* curl_;
  std::string auth_;
  std::mt19937_64 rng_;
  std::uint64_t retries_done_ = 0;
};

// What a backend made for one row.
struct Generated {
  std::string image;         // encoded bytes as the server sent them
  nlohmann::json generator;  // backend, endpoint, request parameters, server ids
};

struct Row {
  std::string id, prompt, file_name;
  std::int64_t seed = 0;
  nlohmann::ordered_json fields;  // the whole design row
};

using Backend = std::function<Generated(const Row&, HttpClient&)>;

// The backend named in the options (the ComfyUI workflow is loaded and checked here).
Backend make_backend(const GenerateOptions& options);

// Standard base64 (whitespace ignored); Error when it is not base64.
std::string base64_decode(std::string_view text, const std::string& source);

}  // namespace emonet::data::detail
