// `emonet model fetch`: downloads the SigLIP2 and head repositories from Hugging Face.
//
// Files go to "<dest>.part" first; an interrupted download resumes with an HTTP Range
// request and the file is renamed into place only once its size matches what the server
// announced. Connection failures are not retried: offline, the user learns at once how to
// use a model directory instead.
#include <curl/curl.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "emonet/error.h"
#include "emonet/model_fetch.h"
#include "emonet/model_files.h"
#include "emonet/progress.h"
#include "emonet/strings.h"
#include "emonet/taxonomy.h"

namespace emonet::model {
namespace fs = std::filesystem;
namespace {

constexpr const char* kSiglipRepo = "google/siglip2-so400m-patch16-384";
constexpr const char* kSiglipFiles[] = {"config.json", "preprocessor_config.json",
                                        "model.safetensors"};
constexpr const char* kNeutralLarge = "neutral_stats_cache-_human-binary-big-mlps.json";
constexpr const char* kNeutralSmall = "EmoNet-Face-Small-average-scores-for-neutral-faces.json";

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string offline_hint(const std::string& endpoint) {
  return "cannot reach " + endpoint +
         ". Without internet, copy a model directory (siglip/ + heads/, see "
         "docs/model-format.md) from a machine that has one and pass `--model DIR`; "
         "set HF_ENDPOINT to use a mirror";
}

struct Remote {
  std::string name;
  std::uint64_t size = 0;  // 0 = unknown
};

// One HTTP GET with libcurl, writing to a FILE* or a string.
class Transfer {
 public:
  Transfer(const std::string& url, const FetchOptions& o, const std::string& token)
      : url_(url), curl_(curl_easy_init()) {
    if (!curl_) throw Error("libcurl initialisation failed");
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl_, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT, o.connect_timeout_s);
    // A stalled transfer (under 1 byte/s for 60 s) is aborted rather than hanging forever.
    curl_easy_setopt(curl_, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl_, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(curl_, CURLOPT_USERAGENT, "emonet/" EMONET_VERSION);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &Transfer::on_header);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &Transfer::on_body);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, this);
    if (!token.empty()) {
      // A custom Authorization header is not forwarded when a redirect changes host
      // (libcurl >= 7.58), so the token never reaches the CDN.
      headers_ = curl_slist_append(headers_, ("Authorization: Bearer " + token).c_str());
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
  const std::string& body() const { return body_; }
  const std::string& url() const { return url_; }
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
    } else if (starts_with(lower, "content-length:")) {
      self->content_length_ =
          std::strtoull(std::string(trim(line.substr(15))).c_str(), nullptr, 10);
    } else if (starts_with(lower, "content-range:")) {
      const auto slash = line.rfind('/');
      if (slash != std::string_view::npos)
        self->content_range_total_ =
            std::strtoull(std::string(trim(line.substr(slash + 1))).c_str(), nullptr, 10);
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
  std::string body_;
  long status_ = 0;
  std::uint64_t content_length_ = 0, content_range_total_ = 0, pending_ = 0;
  bool write_failed_ = false;
};

bool is_connection_error(CURLcode rc) {
  return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
         rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_OPERATION_TIMEDOUT ||
         rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR;
}

void check_http(const Transfer& t, const std::string& what) {
  if (t.status() == 401 || t.status() == 403)
    throw Error(what + ": HTTP " + std::to_string(t.status()) + " from " + t.url() +
                " (a gated or private repository needs HF_TOKEN)");
  if (t.status() == 404) throw Error(what + ": HTTP 404, not found: " + t.url());
  if (t.status() >= 400)
    throw Error(what + ": HTTP " + std::to_string(t.status()) + " from " + t.url());
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

// Files to fetch from `repo`. Asks the Hub API (with sizes); when the endpoint has no API
// (HTTP error, e.g. a plain file mirror), falls back to the known file list.
std::vector<Remote> list_repo(const std::string& endpoint, const std::string& repo, bool heads,
                              const std::string& variant, const FetchOptions& o,
                              const std::string& token) {
  Transfer t(endpoint + "/api/models/" + repo + "?blobs=true", o, token);
  const CURLcode rc = t.perform();
  if (rc != CURLE_OK) {
    if (is_connection_error(rc))
      throw Error(offline_hint(endpoint) + " (" + curl_easy_strerror(rc) + ")");
    throw Error("listing " + repo + " failed: " + curl_easy_strerror(rc));
  }
  auto wanted = [&](const std::string& name) {
    if (name.find('/') != std::string::npos) return false;
    if (!heads)
      return std::find(std::begin(kSiglipFiles), std::end(kSiglipFiles), name) !=
             std::end(kSiglipFiles);
    return ends_with(name, ".pth") || ends_with(name, ".json");
  };
  std::vector<Remote> files;
  if (t.status() == 200) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(t.body());
    } catch (const nlohmann::json::exception& e) {
      throw Error(std::string("the Hub API answer for ") + repo + " is not JSON: " + e.what());
    }
    if (!j.contains("siblings") || !j["siblings"].is_array())
      throw Error("the Hub API answer for " + repo + " has no file list (siblings)");
    for (const auto& s : j["siblings"]) {
      if (!s.is_object() || !s.contains("rfilename") || !s["rfilename"].is_string()) continue;
      Remote r;
      r.name = s["rfilename"].get<std::string>();
      if (!wanted(r.name)) continue;
      if (s.contains("lfs") && s["lfs"].is_object() && s["lfs"].contains("size") &&
          s["lfs"]["size"].is_number_unsigned())
        r.size = s["lfs"]["size"].get<std::uint64_t>();
      else if (s.contains("size") && s["size"].is_number_unsigned())
        r.size = s["size"].get<std::uint64_t>();
      files.push_back(r);
    }
    return files;
  }
  if (t.status() == 401 || t.status() == 403) check_http(t, "listing " + repo);
  // No API: the files the published repositories are known to hold.
  if (!heads) {
    for (const char* f : kSiglipFiles) files.push_back({f, 0});
  } else {
    for (const auto& c : categories()) files.push_back({std::string(c.head_key) + ".pth", 0});
    files.push_back({variant == "large" ? kNeutralLarge : kNeutralSmall, 0});
  }
  return files;
}

std::uint64_t file_size_or_zero(const fs::path& p) {
  std::error_code ec;
  const auto s = fs::file_size(p, ec);
  return ec ? 0 : s;
}

FetchedFile download(const std::string& endpoint, const std::string& repo, const Remote& remote,
                     const fs::path& dest_dir, const FetchOptions& o, const std::string& token) {
  FetchedFile f;
  f.repo = repo;
  f.name = remote.name;
  const fs::path dest = dest_dir / remote.name;
  const fs::path part = dest.string() + ".part";
  f.path = dest.string();
  if (fs::exists(dest) && (remote.size == 0 || file_size_or_zero(dest) == remote.size)) {
    f.size = file_size_or_zero(dest);
    return f;
  }
  std::uint64_t offset = file_size_or_zero(part);
  if (remote.size && offset > remote.size) {
    fs::remove(part);
    offset = 0;
  }
  const std::string url = endpoint + "/" + repo + "/resolve/main/" + escape_path(remote.name);
  for (int attempt = 0; attempt < 2; ++attempt) {
    Progress progress(repo + "/" + remote.name + " [KiB]", remote.size / 1024);
    Transfer t(url, o, token);
    if (offset > 0) t.range_from(offset);
    std::FILE* out = std::fopen(part.c_str(), offset > 0 ? "ab" : "wb");
    if (!out) throw Error("cannot write " + part.string() + ": " + std::strerror(errno));
    t.to_file(out, o.progress ? &progress : nullptr);
    const CURLcode rc = t.perform();
    const bool write_ok = std::fclose(out) == 0 && !t.write_failed();
    if (!write_ok) throw Error("writing " + part.string() + " failed (disk full?)");
    if (rc != CURLE_OK && t.status() == 0) {
      if (is_connection_error(rc))
        throw Error(offline_hint(endpoint) + " (" + curl_easy_strerror(rc) + ")");
      throw Error("downloading " + url + " failed: " + curl_easy_strerror(rc));
    }
    if (t.status() == 416) {  // our .part is already complete (or bogus): check below
    } else {
      check_http(t, "downloading " + repo + "/" + remote.name);
      if (offset > 0 && t.status() == 200) {
        // The server ignored the Range header and sent the whole file after our partial
        // bytes: drop everything and download again from the start.
        fs::remove(part);
        offset = 0;
        f.resumed_from = 0;
        if (attempt == 0) continue;
        throw Error("server ignores Range requests and the download of " + url + " failed");
      }
      if (offset > 0) f.resumed_from = offset;
    }
    if (rc != CURLE_OK)
      throw Error("download of " + url + " interrupted (" + curl_easy_strerror(rc) + "); " +
                  std::to_string(file_size_or_zero(part)) + " bytes kept in " + part.string() +
                  ", run the command again to resume");
    progress.finish();
    const std::uint64_t got = file_size_or_zero(part);
    std::uint64_t expected = remote.size ? remote.size : t.announced_total();
    if (t.status() == 200 && !remote.size && t.content_length()) expected = t.content_length();
    if (t.status() == 416 && !expected) expected = got;  // nothing to compare with
    if (expected && got != expected) {
      // The transfer itself completed, so resuming cannot help: start clean next time.
      fs::remove(part);
      throw Error("size mismatch for " + repo + "/" + remote.name + ": received " +
                  std::to_string(got) + " bytes, expected " + std::to_string(expected) +
                  (remote.size ? " (size listed by the Hub API)" : "") +
                  "; the download was discarded");
    }
    fs::rename(part, dest);
    f.size = got;
    f.downloaded = true;
    return f;
  }
  throw Error("download of " + url + " failed");
}

}  // namespace

ModelSource model_source(const std::string& variant) {
  if (variant == "large") return {"large", kSiglipRepo, "laion/Empathic-Insight-Face-Large"};
  if (variant == "small") return {"small", kSiglipRepo, "laion/Empathic-Insight-Face-Small"};
  throw Error("unknown model variant '" + variant + "' (expected large or small)");
}

std::string default_model_dir(const std::string& variant) {
  model_source(variant);  // validates the name
  std::string base = env("XDG_CACHE_HOME");
  if (base.empty()) {
    const std::string home = env("HOME");
    if (home.empty()) throw Error("neither XDG_CACHE_HOME nor HOME is set; pass --dir DIR");
    base = home + "/.cache";
  }
  return base + "/emonet/" + variant;
}

FetchResult fetch_model(const FetchOptions& o) {
  static std::once_flag curl_init;
  std::call_once(curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  const ModelSource src = model_source(o.variant);
  std::string endpoint = !o.endpoint.empty() ? o.endpoint : env("HF_ENDPOINT");
  if (endpoint.empty()) endpoint = "https://huggingface.co";
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  const std::string token = !o.token.empty() ? o.token : env("HF_TOKEN");

  FetchResult result;
  result.dir = o.dir.empty() ? default_model_dir(o.variant) : o.dir;
  const struct {
    std::string repo;
    const char* sub;
    bool heads;
  } parts[] = {{src.siglip_repo, "siglip", false}, {src.heads_repo, "heads", true}};
  for (const auto& p : parts) {
    const auto files = list_repo(endpoint, p.repo, p.heads, o.variant, o, token);
    const fs::path dest_dir = fs::path(result.dir) / p.sub;
    std::error_code ec;
    fs::create_directories(dest_dir, ec);
    if (ec) throw Error("cannot create folder: " + ec.message(), {dest_dir.string(), 0, ""});
    for (const auto& r : files)
      result.files.push_back(download(endpoint, p.repo, r, dest_dir, o, token));
  }
  resolve_model_dir(result.dir);  // everything a model needs arrived
  return result;
}

}  // namespace emonet::model
