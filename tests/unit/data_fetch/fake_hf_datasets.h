// A stand-in for the Hugging Face Hub's dataset endpoints (cpp-httplib on 127.0.0.1),
// serving the folders written by generate_sets.mjs as dataset repositories:
//   GET /api/datasets/OWNER/NAME/tree/REV?recursive=true   (one entry per page, with a
//       `Link: <...>; rel="next"` header, so pagination is exercised)
//   GET /api/datasets/OWNER/NAME/parquet                   (the auto-converted listing)
//   GET /api/datasets/OWNER/NAME/parquet/CONFIG/SPLIT/N.parquet
//   GET /datasets/OWNER/NAME/resolve/REV/PATH              (Range requests honoured)
// with injectable faults: HTTP 500 (n times) on any URL containing a string, a connection
// dropped half-way through a file (once), a file truncated but announced short (n times).
#pragma once

#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "emonet/files.h"

namespace emonet::test {

class FakeHfDatasets {
 public:
  // repo "laion/emonet-face-binary" -> folder holding its files.
  explicit FakeHfDatasets(std::map<std::string, std::string> repos) : repos_(std::move(repos)) {
    namespace fs = std::filesystem;
    server_.Get(R"(/api/datasets/([^/]+/[^/]+)/tree/([^/?]+))",
                [this](const httplib::Request& req, httplib::Response& res) {
                  if (fault(req, res)) return;
                  const std::string folder = folder_of(req.matches[1]);
                  if (folder.empty()) return not_found(res);
                  // Every file of the repository, one per page.
                  std::vector<nlohmann::json> entries;
                  for (const auto& e : fs::recursive_directory_iterator(folder)) {
                    if (!e.is_regular_file()) continue;
                    const std::string rel = fs::relative(e.path(), folder).generic_string();
                    if (rel.rfind("parquet/", 0) == 0) continue;  // the auto-converted copy
                    const auto size = fs::file_size(e.path());
                    nlohmann::json j = {{"type", "file"}, {"path", rel}, {"size", size}};
                    if (rel.size() > 8 && rel.substr(rel.size() - 8) == ".parquet")
                      j["lfs"] = {{"size", size}, {"oid", "0"}, {"pointerSize", 130}};
                    entries.push_back(j);
                  }
                  std::sort(entries.begin(), entries.end(),
                            [](const auto& a, const auto& b) { return a["path"] < b["path"]; });
                  const std::size_t page =
                      req.has_param("cursor") ? std::stoul(req.get_param_value("cursor")) : 0;
                  nlohmann::json body = nlohmann::json::array();
                  if (page < entries.size()) body.push_back(entries[page]);
                  if (page + 1 < entries.size())
                    res.set_header("Link", "<" + endpoint() + req.path + "?recursive=true&cursor=" +
                                               std::to_string(page + 1) + ">; rel=\"next\"");
                  res.set_content(body.dump(), "application/json");
                });
    server_.Get(R"(/api/datasets/([^/]+/[^/]+)/parquet)", [this](const httplib::Request& req,
                                                                 httplib::Response& res) {
      if (fault(req, res)) return;
      const std::string folder = folder_of(req.matches[1]);
      if (folder.empty()) return not_found(res);
      nlohmann::json j = nlohmann::json::object();
      const fs::path base = fs::path(folder) / "parquet";
      if (fs::exists(base))
        for (const auto& config : fs::directory_iterator(base))
          for (const auto& split : fs::directory_iterator(config.path())) {
            auto& urls = j[config.path().filename().string()][split.path().filename().string()];
            urls = nlohmann::json::array();
            for (std::size_t n = 0; fs::exists(split.path() / (std::to_string(n) + ".parquet"));
                 ++n)
              urls.push_back(endpoint() + req.path + "/" + config.path().filename().string() + "/" +
                             split.path().filename().string() + "/" + std::to_string(n) +
                             ".parquet");
          }
      res.set_content(j.dump(), "application/json");
    });
    server_.Get(R"(/api/datasets/([^/]+/[^/]+)/parquet/(.+))",
                [this](const httplib::Request& req, httplib::Response& res) {
                  serve_file(req, res, req.matches[1], "parquet/" + std::string(req.matches[2]));
                });
    server_.Get(R"(/datasets/([^/]+/[^/]+)/resolve/([^/]+)/(.+))",
                [this](const httplib::Request& req, httplib::Response& res) {
                  serve_file(req, res, req.matches[1], req.matches[3]);
                });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeHfDatasets() {
    server_.stop();
    thread_.join();
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void fail_with_500(const std::string& url_part, int times) {
    std::lock_guard lock(mutex_);
    fail_500_[url_part] = times;
  }
  void drop_once(const std::string& file_suffix) {
    std::lock_guard lock(mutex_);
    drop_once_ = file_suffix;
  }
  void truncate(const std::string& file_suffix, int times) {
    std::lock_guard lock(mutex_);
    truncate_[file_suffix] = times;
  }
  std::vector<std::string> log() {
    std::lock_guard lock(mutex_);
    return log_;
  }

 private:
  std::string folder_of(const std::string& repo) const {
    const auto it = repos_.find(repo);
    return it == repos_.end() ? "" : it->second;
  }
  static void not_found(httplib::Response& res) {
    res.status = 404;
    res.set_content("{\"error\":\"Repository not found\"}", "application/json");
  }
  static bool ends_with(const std::string& s, const std::string& suffix) {
    return !suffix.empty() && s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  }
  bool fault(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex_);
    log_.push_back(req.path + (req.has_header("Range") ? " " + req.get_header_value("Range") : ""));
    for (auto& [part, left] : fail_500_)
      if (left > 0 && req.path.find(part) != std::string::npos) {
        --left;
        res.status = 500;
        res.set_content("internal error", "text/plain");
        return true;
      }
    return false;
  }
  void serve_file(const httplib::Request& req, httplib::Response& res, const std::string& repo,
                  const std::string& rel) {
    if (fault(req, res)) return;
    const std::string folder = folder_of(repo);
    const std::filesystem::path file = std::filesystem::path(folder) / rel;
    if (folder.empty() || rel.find("..") != std::string::npos ||
        !std::filesystem::is_regular_file(file))
      return not_found(res);
    auto body = std::make_shared<std::string>(read_file(file.string()));
    std::unique_lock lock(mutex_);
    if (ends_with(req.path, drop_once_) && !req.has_header("Range")) {
      drop_once_.clear();
      lock.unlock();
      // Announce the whole file, send half, drop the connection.
      res.set_content_provider(body->size(), "application/octet-stream",
                               [body](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                                 if (offset >= body->size() / 2) return false;
                                 sink.write(body->data(), body->size() / 2);
                                 return true;
                               });
      return;
    }
    for (auto& [suffix, left] : truncate_)
      if (left > 0 && ends_with(req.path, suffix)) {
        --left;
        res.status = 200;
        res.set_content(body->substr(0, body->size() - 100), "application/octet-stream");
        return;
      }
    lock.unlock();
    res.set_content(*body, "application/octet-stream");  // httplib answers Range with 206
  }

  std::map<std::string, std::string> repos_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  std::map<std::string, int> fail_500_, truncate_;
  std::string drop_once_;
  std::vector<std::string> log_;
};

}  // namespace emonet::test
