// `emonet data fetch`, the remote half (see data_fetch.h): which Parquet files a dataset
// repository has, and downloading them with retries around the shared downloader.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "emonet/data_fetch.h"
#include "emonet/error.h"
#include "emonet/hf_download.h"
#include "emonet/strings.h"

namespace emonet::data {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

bool is_parquet(const std::string& path) {
  return ends_with(to_lower(path), ".parquet");
}

json parse_json(const std::string& body, const std::string& source) {
  try {
    return json::parse(body);
  } catch (const json::exception& e) {
    throw Error(std::string("not JSON: ") + e.what(), {source, 0, ""});
  }
}

std::uint64_t size_of(const json& entry) {
  const auto it = entry.find("lfs");
  if (it != entry.end() && it->is_object()) {
    const auto s = it->find("size");
    if (s != it->end() && s->is_number_unsigned()) return s->get<std::uint64_t>();
  }
  const auto s = entry.find("size");
  return s != entry.end() && s->is_number_unsigned() ? s->get<std::uint64_t>() : 0;
}

// A string field of a listing entry, or `fallback` when absent; any other type is an
// Error naming the field (json::value would throw nlohmann's type_error instead; found by
// fuzz/hf_listing_fuzz.cpp with {"split": 23}).
std::string string_field(const json& entry, const char* name, const char* fallback,
                         const std::string& source) {
  const auto it = entry.find(name);
  if (it == entry.end() || it->is_null()) return fallback;
  if (!it->is_string())
    throw Error(std::string("'") + name + "' must be a string", {source, 0, name});
  return it->get<std::string>();
}

// A config or split name as one safe path segment.
std::string segment(const std::string& name, const std::string& source) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\\') != std::string::npos || name.find('\0') != std::string::npos)
    throw Error("unsafe config or split name '" + name + "'", {source, 0, ""});
  return name;
}

// Calls `fn` until it succeeds, retrying transient DownloadErrors with exponential backoff
// and full jitter, at most `o.retries` extra times.
template <typename Fn>
auto with_retries(const DataFetchOptions& o, std::uint64_t& retried, Fn&& fn) {
  std::mt19937_64 rng(std::random_device{}());
  for (int attempt = 0;; ++attempt) {
    try {
      return fn();
    } catch (const hf::DownloadError& e) {
      if (!e.retryable() || attempt >= o.retries) throw;
      ++retried;
      const double cap = o.retry_base_s * std::pow(2.0, attempt);
      const double wait = std::uniform_real_distribution<double>(cap / 2, cap)(rng);
      std::this_thread::sleep_for(std::chrono::duration<double>(wait));
    }
  }
}

std::string escape_segment(const std::string& s) {
  std::string out;
  for (const auto& part : split(s, '/')) {
    if (!out.empty()) out += "%2F";
    out += hf::escape_path(part);
  }
  return out;
}

}  // namespace

std::string dataset_repo(const std::string& set) {
  if (set == "hq") return "laion/emonet-face-hq";
  if (set == "binary") return "laion/emonet-face-binary";
  if (set == "big") return "laion/emonet-face-big";
  throw Error("unknown dataset '" + set + "' (expected hq, binary or big)");
}

std::vector<RemoteParquet> parse_tree_listing(const std::string& body, const std::string& source) {
  const json j = parse_json(body, source);
  if (!j.is_array()) throw Error("a tree listing must be a JSON array", {source, 0, ""});
  std::vector<RemoteParquet> out;
  for (const auto& e : j) {
    if (!e.is_object()) continue;
    const auto type = e.find("type"), path = e.find("path");
    if (type == e.end() || path == e.end() || !type->is_string() || !path->is_string()) continue;
    if (type->get<std::string>() != "file" || !is_parquet(path->get<std::string>())) continue;
    const std::string p = path->get<std::string>();
    if (p.empty() || p.front() == '/' || p.find("..") != std::string::npos)
      throw Error("unsafe path '" + p + "' in the listing", {source, 0, "path"});
    out.push_back({p, "", size_of(e)});
  }
  std::sort(out.begin(), out.end(),
            [](const RemoteParquet& a, const RemoteParquet& b) { return a.path < b.path; });
  return out;
}

std::vector<RemoteParquet> parse_parquet_listing(const std::string& body,
                                                 const std::string& source) {
  const json j = parse_json(body, source);
  std::vector<RemoteParquet> out;
  auto add = [&](const std::string& config, const std::string& split_name, const json& url,
                 std::uint64_t size, std::size_t n) {
    if (!url.is_string()) throw Error("a Parquet URL must be a string", {source, 0, "url"});
    out.push_back({"parquet/" + segment(config, source) + "/" + segment(split_name, source) + "/" +
                       std::to_string(n) + ".parquet",
                   url.get<std::string>(), size});
  };
  if (j.is_object()) {  // {"default": {"train": ["url", ...]}}
    for (const auto& [config, splits] : j.items()) {
      if (!splits.is_object()) throw Error("expected an object of splits", {source, 0, config});
      for (const auto& [split_name, urls] : splits.items()) {
        if (!urls.is_array()) throw Error("expected a list of URLs", {source, 0, split_name});
        for (std::size_t n = 0; n < urls.size(); ++n) add(config, split_name, urls[n], 0, n);
      }
    }
  } else if (j.is_array()) {  // [{"config", "split", "url", "size"}]
    std::map<std::string, std::size_t> counters;
    for (const auto& e : j) {
      if (!e.is_object() || !e.contains("url"))
        throw Error("expected objects with a url", {source, 0, ""});
      const std::string config = string_field(e, "config", "default", source);
      const std::string split_name = string_field(e, "split", "train", source);
      add(config, split_name, e["url"], size_of(e), counters[config + "/" + split_name]++);
    }
  } else {
    throw Error("an auto-converted Parquet listing must be a JSON object or array",
                {source, 0, ""});
  }
  return out;
}

DataFetchResult fetch_dataset(const DataFetchOptions& o) {
  hf::global_init();
  const std::string repo = o.repo.empty() ? dataset_repo(o.set) : o.repo;
  if (repo.find('/') == std::string::npos || repo.find("..") != std::string::npos)
    throw Error("--repo must be OWNER/NAME, got '" + repo + "'");
  const std::string endpoint = hf::resolve_endpoint(o.endpoint);
  hf::HttpOptions http;
  http.token = hf::resolve_token(o.token);
  http.connect_timeout_s = o.connect_timeout_s;
  http.progress = o.progress;
  http.offline_hint = "cannot reach " + endpoint +
                      ". Without internet, copy a fetched set (images/ + metadata.csv) from a "
                      "machine that has one; set HF_ENDPOINT to use a mirror";

  DataFetchResult result;
  result.dir = o.dir.empty() ? "emonet-face-" + o.set : o.dir;
  std::uint64_t& retried = result.retries;

  // The repository's own Parquet files, page by page.
  std::vector<RemoteParquet> files;
  std::string url = endpoint + "/api/datasets/" + repo + "/tree/" + escape_segment(o.revision) +
                    "?recursive=true";
  for (int page = 0; !url.empty(); ++page) {
    if (page > 10000) throw Error("the tree listing of " + repo + " does not end");
    const hf::Response r = with_retries(o, retried, [&] {
      hf::Response resp = hf::get(url, http);
      hf::check_status(resp, url, "listing " + repo);
      return resp;
    });
    for (auto& f : parse_tree_listing(r.body, url)) {
      f.url = endpoint + "/datasets/" + repo + "/resolve/" + escape_segment(o.revision) + "/" +
              hf::escape_path(f.path);
      f.path = "parquet/" + f.path;
      files.push_back(std::move(f));
    }
    url = r.next_url;
  }
  if (files.empty()) {
    // No Parquet in the repository (e.g. an image folder or tar shards): the Hub's
    // auto-converted copy.
    const std::string purl = endpoint + "/api/datasets/" + repo + "/parquet";
    const hf::Response r = with_retries(o, retried, [&] {
      hf::Response resp = hf::get(purl, http);
      hf::check_status(resp, purl, "listing the auto-converted Parquet files of " + repo);
      return resp;
    });
    files = parse_parquet_listing(r.body, purl);
    result.auto_converted = true;
  }
  if (files.empty()) throw Error("the dataset " + repo + " has no Parquet files");

  for (const auto& f : files) {
    const fs::path dest = fs::path(result.dir) / f.path;
    std::error_code ec;
    fs::create_directories(dest.parent_path(), ec);
    if (ec)
      throw Error("cannot create folder: " + ec.message(), {dest.parent_path().string(), 0, ""});
    const hf::DownloadResult d = with_retries(o, retried, [&] {
      return hf::download_file(f.url, dest.string(), f.size, http, repo + "/" + f.path);
    });
    if (d.downloaded) ++result.files_downloaded;
    result.parquet_files.push_back(dest.string());
  }

  const LayoutResult lay = layout_dataset(result.parquet_files, result.dir, o.progress);
  result.rows = lay.rows;
  result.images_written = lay.written;
  result.images_skipped = lay.skipped;
  result.metadata_csv = (fs::path(result.dir) / "metadata.csv").string();
  return result;
}

}  // namespace emonet::data
