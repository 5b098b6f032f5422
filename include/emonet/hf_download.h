// The Hugging Face download primitives that `emonet model fetch` and `emonet data fetch`
// share: endpoint and token resolution, a GET into memory (for the Hub API), and a
// resumable, size-checked file download over libcurl.
//
// download_file() writes "<dest>.part" first; an interrupted download resumes with an HTTP
// Range request and the file is renamed into place only once its size matches the size
// the caller expects (from the Hub API) or the server announced. A server that ignores
// Range makes it start over once. Failures throw DownloadError, which says whether asking
// again can help (dropped connection mid-file, 429/5xx, size mismatch) or not (404, 401,
// nothing listening): callers decide whether to retry; `model fetch` does not, so that
// offline the user learns at once what to do instead.
//
// Thread-safety: the functions are reentrant (call global_init() once first, which
// fetch_model() and fetch_dataset() do); don't download to one destination from two
// threads or processes at once.
#pragma once

#include <cstdint>
#include <string>

#include "emonet/error.h"

namespace emonet::hf {

struct HttpOptions {
  std::string token;            // sent as "Authorization: Bearer" when not empty
  long connect_timeout_s = 10;  // offline fails fast
  long low_speed_time_s = 60;   // a transfer under 1 byte/s this long is aborted
  bool progress = true;         // draw a KiB progress bar (only on a TTY anyway)
  // Message for "nothing answers at this address" (a hint about working offline).
  std::string offline_hint;
};

class DownloadError : public Error {
 public:
  DownloadError(const std::string& message, bool retryable, long http_status = 0)
      : Error(message), retryable_(retryable), http_status_(http_status) {}
  bool retryable() const { return retryable_; }
  long http_status() const { return http_status_; }

 private:
  bool retryable_;
  long http_status_;
};

// curl_global_init, once per process.
void global_init();

// `override_value` if set, else $HF_ENDPOINT, else https://huggingface.co; no trailing '/'.
std::string resolve_endpoint(const std::string& override_value);
// `override_value` if set, else $HF_TOKEN (may be empty).
std::string resolve_token(const std::string& override_value);

// Percent-escapes each '/'-separated segment of a repository path.
std::string escape_path(const std::string& path);

struct Response {
  long status = 0;
  std::string body;      // at most 64 MiB kept
  std::string next_url;  // from a `Link: <url>; rel="next"` header (Hub API pagination)
};

// GET `url` into memory. Transport failures throw DownloadError (with offline_hint when
// nothing answers); any HTTP status is returned for the caller to judge.
Response get(const std::string& url, const HttpOptions& options);

// Throws DownloadError for a 4xx/5xx response (401/403 mention HF_TOKEN).
void check_status(const Response& response, const std::string& url, const std::string& what);

struct DownloadResult {
  std::uint64_t size = 0;
  bool downloaded = false;         // false: `dest` was already complete
  std::uint64_t resumed_from = 0;  // bytes of an earlier .part reused
};

// Downloads `url` to `dest` (see above). `expected_size` 0 = unknown (then the server's
// Content-Length / Content-Range total is checked). `label` names the file in messages
// and on the progress bar.
DownloadResult download_file(const std::string& url, const std::string& dest,
                             std::uint64_t expected_size, const HttpOptions& options,
                             const std::string& label);

}  // namespace emonet::hf
