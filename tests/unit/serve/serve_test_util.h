// Shared helpers of the server tests: a real Server on a loopback port with the tiny
// generated model, an HTTP client, `emonet predict` records to compare with, and a model
// copy whose load blocks until the test lets it go on (a FIFO in place of one file).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "emonet/files.h"
#include "emonet/serve_server.h"
#include "support/test_paths.h"

namespace emonet::test {

inline const std::string kTiny = EMONET_ENGINE_FIXTURES;
inline const std::string kImageFixtures = EMONET_IMAGE_FIXTURES;
inline std::string tiny_model() {
  return kTiny + "/model";
}
inline std::string tiny_image(const std::string& name) {
  return kTiny + "/images/" + name;
}
inline const char* kImages[3] = {"a_rgb.png", "b_gray.png", "c_rgba.png"};

// Percent-encodes a query value (RFC 3986 unreserved characters and '/' stay).
inline std::string query_value(const std::string& v) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : v) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += char(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

inline std::string slurp(const std::string& path) {
  return read_file(path);
}

// Options every test starts from: the tiny model, fp32, one thread, any free port.
inline serve::ServerOptions tiny_options() {
  serve::ServerOptions o;
  o.model = tiny_model();
  o.precision = model::Precision::fp32;
  o.threads = 1;
  o.port = 0;
  return o;
}

inline httplib::Client client(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(10, 0);
  c.set_read_timeout(60, 0);
  c.set_write_timeout(60, 0);
  return c;
}

// Polls until `ok` holds (bounded: a loaded machine may be slow, but never forever).
template <typename F>
bool eventually(F ok, std::chrono::seconds limit = std::chrono::seconds(60)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return ok();
}

// A Server running on its own thread; drained and joined at scope exit.
class RunningServer {
 public:
  explicit RunningServer(serve::ServerOptions o, bool wait_ready = true)
      : server_(std::make_unique<serve::Server>(std::move(o))) {
    port_ = server_->bind();
    server_->start_loading();
    thread_ = std::thread([this] { server_->run(); });
    if (wait_ready) {
      EXPECT_TRUE(eventually([&] { return server_->ready(); })) << server_->load_error();
    }
  }
  ~RunningServer() { stop(); }
  void stop() {
    if (thread_.joinable()) {
      server_->drain();
      thread_.join();
    }
  }
  int port() const { return port_; }
  serve::Server& server() { return *server_; }
  httplib::Client client() const { return test::client(port_); }

 private:
  std::unique_ptr<serve::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

// `emonet predict --format jsonl` on `paths`: image_path -> its record line.
inline std::map<std::string, std::string> predict_records(const std::string& paths,
                                                          const std::string& extra = "") {
  const auto r = run_cli("-q predict --model '" + tiny_model() +
                         "' --threads 1 --precision fp32 --format jsonl " + extra + " " + paths);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::string> out;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto q = line.find("\"image_path\":\"") + 14;
    out[line.substr(q, line.find('"', q) - q)] = line;
  }
  return out;
}

// A copy of the tiny model (symlinks) whose neutral statistics file is a FIFO: loading it
// blocks until release() writes the real file's bytes into the FIFO.
class BlockedModel {
 public:
  explicit BlockedModel(const std::filesystem::path& dir) : dir_(dir) {
    namespace fs = std::filesystem;
    const fs::path src = tiny_model();
    fs::create_directories(dir_);
    for (const auto& e : fs::recursive_directory_iterator(src)) {
      const fs::path rel = fs::relative(e.path(), src);
      if (e.is_directory()) {
        fs::create_directories(dir_ / rel);
      } else if (e.path().extension() == ".json" && rel.parent_path() == "heads") {
        stats_ = e.path().string();
        fifo_ = (dir_ / rel).string();
        if (::mkfifo(fifo_.c_str(), 0600) != 0) throw std::runtime_error("mkfifo failed");
      } else {
        fs::create_symlink(e.path(), dir_ / rel);
      }
    }
    if (fifo_.empty()) throw std::runtime_error("no neutral statistics JSON in the tiny model");
  }
  ~BlockedModel() { release(); }
  std::string path() const { return dir_.string(); }
  // Lets the load go on (once): the loader is blocked opening the FIFO for reading.
  void release() {
    if (released_) return;
    released_ = true;
    const std::string text = read_file(stats_);
    // Opening for writing blocks until the reader is there; do it on a thread so a test
    // that never started a loader does not hang here.
    std::thread([fifo = fifo_, text] {
      const int fd = ::open(fifo.c_str(), O_WRONLY);
      if (fd < 0) return;
      std::size_t done = 0;
      while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n <= 0) break;
        done += std::size_t(n);
      }
      ::close(fd);
    }).detach();
  }

 private:
  std::filesystem::path dir_;
  std::string stats_, fifo_;
  bool released_ = false;
};

// A scraped metric's value (first sample whose name and labels start with `prefix`).
inline double metric(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) == 0 && line.size() > prefix.size() &&
        (line[prefix.size()] == ' ' || line[prefix.size()] == '{'))
      return std::stod(line.substr(line.rfind(' ') + 1));
  return -1;
}

}  // namespace emonet::test
