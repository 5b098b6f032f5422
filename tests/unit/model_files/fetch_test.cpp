// `emonet model fetch` against a local stand-in for the Hugging Face Hub (cpp-httplib on
// 127.0.0.1, reached through HF_ENDPOINT), serving a generated tiny model.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/model_fetch.h"
#include "emonet/model_files.h"
#include "model_fixtures.h"
#include "support/test_paths.h"

namespace emonet::model {
namespace {

namespace fs = std::filesystem;
using test::error_of;
using test::model_fixture;
using ::testing::HasSubstr;

constexpr const char* kSiglipRepo = "google/siglip2-so400m-patch16-384";
constexpr const char* kHeadsRepo = "laion/Empathic-Insight-Face-Small";

// Serves fixture folder `model` (siglip/ + heads/) as the two Hub repositories.
class FakeHub {
 public:
  explicit FakeHub(std::string model) : model_(std::move(model)) {
    server_.Get(R"(/api/models/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      if (!api_) {
        res.status = 404;
        return;
      }
      const std::string repo = req.matches[1];
      nlohmann::json j;
      j["id"] = repo;
      j["siblings"] = nlohmann::json::array();
      j["siblings"].push_back({{"rfilename", ".gitattributes"}, {"size", 1519}});
      j["siblings"].push_back({{"rfilename", "README.md"}, {"size", 100}});
      for (const auto& e : fs::directory_iterator(folder(repo))) {
        const std::string name = e.path().filename().string();
        std::uint64_t size = fs::file_size(e.path());
        if (auto it = wrong_size_.find(name); it != wrong_size_.end()) size = it->second;
        j["siblings"].push_back({{"rfilename", name}, {"size", size}, {"lfs", {{"size", size}}}});
      }
      res.set_content(j.dump(), "application/json");
    });
    server_.Get(R"(/(.+)/resolve/main/(.+))", [this](const httplib::Request& req,
                                                     httplib::Response& res) {
      const std::string repo = req.matches[1], name = req.matches[2];
      {
        std::lock_guard lock(mutex_);
        requested_.push_back(name);
        if (req.has_header("Range")) ranges_.push_back(name + " " + req.get_header_value("Range"));
        if (req.has_header("Authorization")) auth_ = req.get_header_value("Authorization");
      }
      const fs::path file = fs::path(folder(repo)) / name;
      if (!fs::exists(file)) {
        res.status = 404;
        return;
      }
      auto body = std::make_shared<std::string>(read_file(file.string()));
      if (name == cut_once_) {
        // Announce the whole file, send half, drop the connection.
        cut_once_.clear();
        res.status = 200;
        res.set_content_provider(body->size(), "application/octet-stream",
                                 [body](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                                   if (offset >= body->size() / 2) return false;
                                   sink.write(body->data(), body->size() / 2);
                                   return true;
                                 });
        return;
      }
      if (!ranges_supported_) res.status = 200;  // ignore Range, send everything
      res.set_content(*body, "application/octet-stream");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // The socket is bound and listening already; connections queue until accept starts.
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeHub() {
    server_.stop();
    thread_.join();
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void disable_api() { api_ = false; }
  void disable_ranges() { ranges_supported_ = false; }
  void cut_once(const std::string& name) { cut_once_ = name; }
  void announce_wrong_size(const std::string& name, std::uint64_t size) {
    wrong_size_[name] = size;
  }
  std::vector<std::string> ranges() {
    std::lock_guard lock(mutex_);
    return ranges_;
  }
  std::vector<std::string> requested() {
    std::lock_guard lock(mutex_);
    return requested_;
  }
  std::string auth() {
    std::lock_guard lock(mutex_);
    return auth_;
  }

 private:
  std::string folder(const std::string& repo) const {
    return model_fixture(model_ + (repo == kSiglipRepo ? "/siglip" : "/heads"));
  }

  std::string model_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> api_{true}, ranges_supported_{true};
  std::string cut_once_;
  std::map<std::string, std::uint64_t> wrong_size_;
  std::mutex mutex_;
  std::vector<std::string> ranges_, requested_;
  std::string auth_;
};

FetchOptions options(const FakeHub& hub, const std::string& dir) {
  FetchOptions o;
  o.variant = "small";
  o.dir = dir;
  o.endpoint = hub.endpoint();
  o.progress = false;
  return o;
}

void expect_same_tree(const std::string& fetched, const std::string& source) {
  for (const char* sub : {"siglip", "heads"}) {
    for (const auto& e : fs::directory_iterator(fs::path(source) / sub)) {
      const fs::path copy = fs::path(fetched) / sub / e.path().filename();
      ASSERT_TRUE(fs::exists(copy)) << copy;
      EXPECT_EQ(read_file(copy.string()), read_file(e.path().string())) << copy;
    }
  }
  for (const auto& e : fs::recursive_directory_iterator(fetched))
    EXPECT_NE(e.path().extension(), ".part") << e.path();
}

TEST(Fetch, DownloadsBothRepositoriesIntoAModelDirectory) {
  FakeHub hub("small_views");
  test::TempDir tmp;
  const auto result = fetch_model(options(hub, tmp.file("model")));
  EXPECT_EQ(result.files.size(), 3u + 44u + 1u);  // README/.gitattributes are not fetched
  for (const auto& f : result.files) EXPECT_TRUE(f.downloaded) << f.name;
  expect_same_tree(tmp.file("model"), model_fixture("small_views"));
  EXPECT_NO_THROW(resolve_model_dir(tmp.file("model")));
  // The '&' in a head name travels URL-escaped and arrives intact.
  EXPECT_TRUE(fs::exists(tmp.file("model/heads/model_jealousy_&_envy_best.pth")));

  // A second run finds everything complete and downloads nothing.
  const auto again = fetch_model(options(hub, tmp.file("model")));
  for (const auto& f : again.files) EXPECT_FALSE(f.downloaded) << f.name;
}

TEST(Fetch, ResumesAPartialFileWithARangeRequest) {
  FakeHub hub("small_views");
  test::TempDir tmp;
  const std::string source = model_fixture("small_views/siglip/model.safetensors");
  const std::string full = read_file(source);
  fs::create_directories(tmp.path() / "model/siglip");
  write_file_atomic(tmp.file("model/siglip/model.safetensors.part"), full.substr(0, 1000));
  const auto result = fetch_model(options(hub, tmp.file("model")));
  EXPECT_THAT(hub.ranges(), ::testing::Contains("model.safetensors bytes=1000-"));
  bool seen = false;
  for (const auto& f : result.files) {
    if (f.name != "model.safetensors") continue;
    seen = true;
    EXPECT_EQ(f.resumed_from, 1000u);
  }
  EXPECT_TRUE(seen);
  expect_same_tree(tmp.file("model"), model_fixture("small_views"));
}

TEST(Fetch, AnInterruptedDownloadKeepsItsPartAndTheNextRunFinishesIt) {
  FakeHub hub("small_views");
  hub.cut_once("model.safetensors");
  test::TempDir tmp;
  const auto msg = error_of([&] { fetch_model(options(hub, tmp.file("model"))); });
  EXPECT_THAT(msg, HasSubstr("interrupted"));
  EXPECT_THAT(msg, HasSubstr("run the command again to resume"));
  const fs::path part = tmp.path() / "model/siglip/model.safetensors.part";
  ASSERT_TRUE(fs::exists(part));
  const auto half = fs::file_size(part);
  EXPECT_GT(half, 0u);
  fetch_model(options(hub, tmp.file("model")));
  EXPECT_THAT(hub.ranges(),
              ::testing::Contains("model.safetensors bytes=" + std::to_string(half) + "-"));
  expect_same_tree(tmp.file("model"), model_fixture("small_views"));
}

TEST(Fetch, AServerThatIgnoresRangesMakesItStartOver) {
  FakeHub hub("small_views");
  hub.disable_ranges();
  test::TempDir tmp;
  fs::create_directories(tmp.path() / "model/siglip");
  write_file_atomic(tmp.file("model/siglip/model.safetensors.part"), "stale bytes");
  fetch_model(options(hub, tmp.file("model")));
  expect_same_tree(tmp.file("model"), model_fixture("small_views"));
}

TEST(Fetch, SizeMismatchIsAnError) {
  FakeHub hub("small_views");
  const auto real = fs::file_size(model_fixture("small_views/heads/model_awe_best.pth"));
  hub.announce_wrong_size("model_awe_best.pth", real + 10);
  test::TempDir tmp;
  const auto msg = error_of([&] { fetch_model(options(hub, tmp.file("model"))); });
  EXPECT_THAT(msg,
              HasSubstr("size mismatch for laion/Empathic-Insight-Face-Small/model_awe_best.pth"));
  EXPECT_THAT(msg, HasSubstr("received " + std::to_string(real) + " bytes, expected " +
                             std::to_string(real + 10)));
  EXPECT_FALSE(fs::exists(tmp.path() / "model/heads/model_awe_best.pth"));
}

TEST(Fetch, WithoutTheHubApiTheKnownFileListIsUsed) {
  FakeHub hub("small_views");
  hub.disable_api();
  test::TempDir tmp;
  fetch_model(options(hub, tmp.file("model")));
  expect_same_tree(tmp.file("model"), model_fixture("small_views"));
}

TEST(Fetch, SendsTheTokenFromTheEnvironment) {
  FakeHub hub("small_views");
  test::TempDir tmp;
  ::setenv("HF_TOKEN", "hf_test_token", 1);
  fetch_model(options(hub, tmp.file("model")));
  ::unsetenv("HF_TOKEN");
  EXPECT_EQ(hub.auth(), "Bearer hf_test_token");
}

TEST(Fetch, OfflineFailsFastAndExplainsModelDir) {
  // A port nothing listens on: connection refused at once.
  int closed_port = 0;
  {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    closed_port = ntohs(addr.sin_port);
    ::close(fd);  // bound but never listening, now closed: connections are refused
  }
  test::TempDir tmp;
  FetchOptions o;
  o.variant = "large";
  o.dir = tmp.file("model");
  o.endpoint = "http://127.0.0.1:" + std::to_string(closed_port);
  o.progress = false;
  const auto msg = error_of([&] { fetch_model(o); });
  EXPECT_THAT(msg, HasSubstr("cannot reach http://127.0.0.1:" + std::to_string(closed_port)));
  EXPECT_THAT(msg, HasSubstr("--model DIR"));

  // The CLI reports the same through HF_ENDPOINT, exit status 1.
  ::setenv("HF_ENDPOINT", o.endpoint.c_str(), 1);
  const auto r = test::run_cli("model fetch small --dir '" + tmp.file("cli") + "'");
  ::unsetenv("HF_ENDPOINT");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("emonet: error: cannot reach"));
  EXPECT_THAT(r.err, HasSubstr("--model DIR"));
}

TEST(Fetch, CliFetchesIntoTheXdgCacheByDefault) {
  FakeHub hub("small_views");
  test::TempDir tmp;
  ::setenv("HF_ENDPOINT", hub.endpoint().c_str(), 1);
  ::setenv("XDG_CACHE_HOME", tmp.path().c_str(), 1);
  const auto r = test::run_cli("model fetch small --format json");
  ::unsetenv("HF_ENDPOINT");
  ::unsetenv("XDG_CACHE_HOME");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["dir"], tmp.file("emonet/small"));
  EXPECT_EQ(j["files"].size(), 48u);
  expect_same_tree(tmp.file("emonet/small"), model_fixture("small_views"));
  const auto info = test::run_cli("model info '" + tmp.file("emonet/small") + "'");
  EXPECT_EQ(info.exit_code, 0) << info.err;
}

}  // namespace
}  // namespace emonet::model
