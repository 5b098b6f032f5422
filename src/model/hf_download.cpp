// See hf_download.h: the libcurl transfer, Hub API GET and the resumable download shared
// by `model fetch` and `data fetch`.
#include "emonet/hf_download.h"

#include <curl/curl.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "emonet/progress.h"
#include "emonet/strings.h"

namespace emonet::hf {
namespace fs = std::filesystem;
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// One HTTP GET with libcurl, writing to a FILE* or a string.
class Transfer {
 public:
  Transfer(const std::string& url, const HttpOptions& o) : url_(url), curl_(curl_easy_init()) {
    if (!curl_) throw Error("libcurl initialisation failed");
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl_, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT, o.connect_timeout_s);
    // A stalled transfer (under 1 byte/s for a minute) is aborted rather than hanging.
    curl_easy_setopt(curl_, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl_, CURLOPT_LOW_SPEED_TIME, o.low_speed_time_s);
    curl_easy_setopt(curl_, CURLOPT_USERAGENT, "emonet/" EMONET_VERSION);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &Transfer::on_header);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &Transfer::on_body);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, this);
    if (!o.token.empty()) {
      // A custom Authorization header is not forwarded when a redirect changes host
      // (libcurl >= 7.58), so the token never reaches the CDN.
      headers_ = curl_slist_append(headers_, ("Authorization: Bearer " + o.token).c_str());
      curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
    }
  }
  ~Transfer() {
    curl_slist_free_all(headers_);
    curl_easy_cleanup(curl_);
  }
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  void range_from(std::uint64_t offset) {
    const std::string r = std::to_string(offset) + "-";
    curl_easy_setopt(curl_, CURLOPT_RANGE, r.c_str());
  }
  // Body goes to `file` (only when the final response status is 200 or 206).
  void to_file(std::FILE* file, Progress* progress) {
    file_ = file;
    progress_ = progress;
  }

  CURLcode perform() {
    const CURLcode rc = curl_easy_perform(curl_);
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status_);
    return rc;
  }
  long status() const { return status_; }
  std::string& body() { return body_; }
  const std::string& next_url() const { return next_url_; }
  // Total size from Content-Range ("bytes a-b/total") or Content-Length; 0 if unknown.
  std::uint64_t announced_total() const {
    return content_range_total_ ? content_range_total_ : content_length_;
  }
  std::uint64_t content_length() const { return content_length_; }
  bool write_failed() const { return write_failed_; }

 private:
  static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* self_ptr) {
    auto* self = static_cast<Transfer*>(self_ptr);
    std::string_view line(data, size * n);
    const std::string lower = to_lower(line);
    if (starts_with(lower, "http/")) {  // a new response (after a redirect): reset
      self->content_length_ = 0;
      self->content_range_total_ = 0;
      self->next_url_.clear();
    } else if (starts_with(lower, "content-length:")) {
      self->content_length_ =
          std::strtoull(std::string(trim(line.substr(15))).c_str(), nullptr, 10);
    } else if (starts_with(lower, "content-range:")) {
      const auto slash = line.rfind('/');
      if (slash != std::string_view::npos)
        self->content_range_total_ =
            std::strtoull(std::string(trim(line.substr(slash + 1))).c_str(), nullptr, 10);
    } else if (starts_with(lower, "link:") && lower.find("rel=\"next\"") != std::string::npos) {
      const auto open = line.find('<'), close = line.find('>');
      if (open != std::string_view::npos && close != std::string_view::npos && close > open)
        self->next_url_ = std::string(line.substr(open + 1, close - open - 1));
    }
    return size * n;
  }
  static std::size_t on_body(char* data, std::size_t size, std::size_t n, void* self_ptr) {
    auto* self = static_cast<Transfer*>(self_ptr);
    long code = 0;
    curl_easy_getinfo(self->curl_, CURLINFO_RESPONSE_CODE, &code);
    const std::size_t bytes = size * n;
    if (self->file_ && (code == 200 || code == 206)) {
      if (std::fwrite(data, 1, bytes, self->file_) != bytes) {
        self->write_failed_ = true;
        return 0;
      }
      if (self->progress_) {  // the bar counts KiB
        self->pending_ += bytes;
        self->progress_->tick(self->pending_ / 1024);
        self->pending_ %= 1024;
      }
    } else if (self->body_.size() < (64u << 20)) {
      self->body_.append(data, bytes);
    }
    return bytes;
  }

  std::string url_;
  CURL* curl_;
  curl_slist* headers_ = nullptr;
  std::FILE* file_ = nullptr;
  Progress* progress_ = nullptr;
  std::string body_, next_url_;
  long status_ = 0;
  std::uint64_t content_length_ = 0, content_range_total_ = 0, pending_ = 0;
  bool write_failed_ = false;
};

bool is_connection_error(CURLcode rc) {
  return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
         rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_OPERATION_TIMEDOUT ||
         rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR;
}

// Nothing answered (no HTTP status at all).
[[noreturn]] void throw_transport(CURLcode rc, const std::string& url, const HttpOptions& o) {
  if (is_connection_error(rc) && !o.offline_hint.empty())
    throw DownloadError(o.offline_hint + " (" + curl_easy_strerror(rc) + ")", false);
  throw DownloadError("request to " + url + " failed: " + curl_easy_strerror(rc), false);
}

std::uint64_t file_size_or_zero(const fs::path& p) {
  std::error_code ec;
  const auto s = fs::file_size(p, ec);
  return ec ? 0 : s;
}

}  // namespace

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string resolve_endpoint(const std::string& override_value) {
  std::string endpoint = !override_value.empty() ? override_value : env("HF_ENDPOINT");
  if (endpoint.empty()) endpoint = "https://huggingface.co";
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  return endpoint;
}

std::string resolve_token(const std::string& override_value) {
  return !override_value.empty() ? override_value : env("HF_TOKEN");
}

std::string escape_path(const std::string& path) {
  std::string out;
  for (const auto& part : split(path, '/')) {
    if (!out.empty()) out += '/';
    char* e = curl_easy_escape(nullptr, part.c_str(), static_cast<int>(part.size()));
    out += e;
    curl_free(e);
  }
  return out;
}

Response get(const std::string& url, const HttpOptions& o) {
  Transfer t(url, o);
  const CURLcode rc = t.perform();
  if (rc != CURLE_OK && t.status() == 0) throw_transport(rc, url, o);
  if (rc != CURLE_OK)
    throw DownloadError("reading " + url + " was interrupted: " + curl_easy_strerror(rc), true);
  return {t.status(), std::move(t.body()), t.next_url()};
}

void check_status(const Response& r, const std::string& url, const std::string& what) {
  const long s = r.status;
  if (s == 401 || s == 403)
    throw DownloadError(what + ": HTTP " + std::to_string(s) + " from " + url +
                            " (a gated or private repository needs HF_TOKEN)",
                        false, s);
  if (s == 404) throw DownloadError(what + ": HTTP 404, not found: " + url, false, s);
  if (s >= 400)
    throw DownloadError(what + ": HTTP " + std::to_string(s) + " from " + url, s == 429 || s >= 500,
                        s);
}

DownloadResult download_file(const std::string& url, const std::string& dest_path,
                             std::uint64_t expected_size, const HttpOptions& o,
                             const std::string& label) {
  DownloadResult f;
  const fs::path dest = dest_path;
  const fs::path part = dest.string() + ".part";
  if (fs::exists(dest) && (expected_size == 0 || file_size_or_zero(dest) == expected_size)) {
    f.size = file_size_or_zero(dest);
    return f;
  }
  std::uint64_t offset = file_size_or_zero(part);
  if (expected_size && offset > expected_size) {
    fs::remove(part);
    offset = 0;
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    Progress progress(label + " [KiB]", expected_size / 1024);
    Transfer t(url, o);
    if (offset > 0) t.range_from(offset);
    std::FILE* out = std::fopen(part.c_str(), offset > 0 ? "ab" : "wb");
    if (!out) throw Error("cannot write " + part.string() + ": " + std::strerror(errno));
    t.to_file(out, o.progress ? &progress : nullptr);
    const CURLcode rc = t.perform();
    const bool write_ok = std::fclose(out) == 0 && !t.write_failed();
    if (!write_ok) throw Error("writing " + part.string() + " failed (disk full?)");
    if (rc != CURLE_OK && t.status() == 0) throw_transport(rc, url, o);
    if (t.status() == 416) {  // our .part is already complete (or bogus): check below
    } else {
      check_status({t.status(), t.body(), ""}, url, "downloading " + label);
      if (offset > 0 && t.status() == 200) {
        // The server ignored the Range header and sent the whole file after our partial
        // bytes: drop everything and download again from the start.
        fs::remove(part);
        offset = 0;
        f.resumed_from = 0;
        if (attempt == 0) continue;
        throw DownloadError("server ignores Range requests and the download of " + url + " failed",
                            true);
      }
      if (offset > 0) f.resumed_from = offset;
    }
    if (rc != CURLE_OK)
      throw DownloadError("download of " + url + " interrupted (" + curl_easy_strerror(rc) + "); " +
                              std::to_string(file_size_or_zero(part)) + " bytes kept in " +
                              part.string() + ", run the command again to resume",
                          true);
    progress.finish();
    const std::uint64_t got = file_size_or_zero(part);
    std::uint64_t expected = expected_size ? expected_size : t.announced_total();
    if (t.status() == 200 && !expected_size && t.content_length()) expected = t.content_length();
    if (t.status() == 416 && !expected) expected = got;  // nothing to compare with
    if (expected && got != expected) {
      // The transfer itself completed, so resuming cannot help: start clean next time.
      fs::remove(part);
      throw DownloadError("size mismatch for " + label + ": received " + std::to_string(got) +
                              " bytes, expected " + std::to_string(expected) +
                              (expected_size ? " (size listed by the Hub API)" : "") +
                              "; the download was discarded",
                          true);
    }
    fs::rename(part, dest);
    f.size = got;
    f.downloaded = true;
    return f;
  }
  throw DownloadError("download of " + url + " failed", true);
}

}  // namespace emonet::hf
