// `emonet serve` as a process: it listens at once, SIGTERM during the model load and
// SIGTERM with requests in the queue both end with exit 0 after every accepted request
// was answered; `emonet serve keygen` prints a key and its hash line.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "emonet/serve_keys.h"
#include "serve_test_util.h"

namespace emonet {
namespace {

// `emonet serve ARGS --listen 127.0.0.1:0`, its stderr read until it names its port.
class ServeProcess {
 public:
  explicit ServeProcess(const std::vector<std::string>& args) {
    int err[2];
    if (::pipe(err) != 0) throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(err[1], 2);
      ::close(err[0]);
      ::close(err[1]);
      std::vector<std::string> full = {test::cli_path(), "serve", "--listen", "127.0.0.1:0"};
      full.insert(full.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : full) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(err[1]);
    err_fd_ = err[0];
    const std::regex listening("serving on http://127\\.0\\.0\\.1:([0-9]+)/");
    std::smatch m;
    while (!std::regex_search(stderr_, m, listening)) {
      char buf[512];
      const ssize_t n = ::read(err_fd_, buf, sizeof buf);  // blocks; EOF if it died
      if (n <= 0) throw std::runtime_error("emonet serve exited early: " + stderr_);
      stderr_.append(buf, std::size_t(n));
    }
    port_ = std::stoi(m[1]);
  }
  ~ServeProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (err_fd_ >= 0) ::close(err_fd_);
  }
  int port() const { return port_; }
  void signal(int sig) { ::kill(pid_, sig); }
  // Waits for the exit (reading stderr meanwhile); the exit code, or -1 for a signal.
  int wait() {
    char buf[512];
    ssize_t n;
    while ((n = ::read(err_fd_, buf, sizeof buf)) > 0) stderr_.append(buf, std::size_t(n));
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  const std::string& err() const { return stderr_; }

 private:
  pid_t pid_ = -1;
  int err_fd_ = -1;
  int port_ = 0;
  std::string stderr_;
};

TEST(ServeCli, SigtermDuringTheLoadAnswersEveryRequestAndExitsZero) {
  test::TempDir tmp;
  test::BlockedModel blocked(tmp.path() / "model");
  ServeProcess p({"--model", blocked.path(), "--precision", "fp32", "--threads", "1"});
  auto c = test::client(p.port());
  const auto ready = c.Get("/health/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_EQ(nlohmann::json::parse(ready->body)["status"], "loading");
  const std::string png = test::slurp(test::tiny_image("a_rgb.png"));
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i)
    clients.emplace_back([&] {
      auto cc = test::client(p.port());
      const auto r = cc.Post("/v1/predict", png, "image/png");
      if (r && r->status == 503) ++answered;
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(answered, 4);
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(), 0) << p.err();
  EXPECT_NE(p.err().find("SIGTERM"), std::string::npos) << p.err();
}

TEST(ServeCli, SigtermWithQueuedRequestsAnswersThemAllAndExitsZero) {
  const std::string path = test::tiny_image("b_gray.png");
  const auto expected = test::predict_records("'" + path + "'");
  ServeProcess p({"--model", test::tiny_model(), "--precision", "fp32", "--threads", "1",
                  "--max-delay-ms", "2000", "--max-batch", "64", "--batch-wait", "always"});
  auto c = test::client(p.port());
  ASSERT_TRUE(test::eventually([&] {
    const auto r = c.Get("/health/ready");
    return r && r->status == 200;
  }));
  const std::string png = test::slurp(path);
  std::atomic<int> equal{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 3; ++i)
    clients.emplace_back([&] {
      auto cc = test::client(p.port());
      const auto r =
          cc.Post(("/v1/predict?name=" + test::query_value(path)).c_str(), png, "image/png");
      if (r && r->status == 200 && r->body == expected.at(path)) ++equal;
    });
  ASSERT_TRUE(test::eventually([&] {
    const auto m = c.Get("/metrics");
    return m && test::metric(m->body, "emonet_queue_depth_images") == 3;
  }));
  p.signal(SIGINT);
  for (auto& t : clients) t.join();
  EXPECT_EQ(p.wait(), 0) << p.err();
  EXPECT_EQ(equal, 3) << "an accepted request was not answered with its record";
}

TEST(ServeCli, KeygenPrintsAKeyAndItsHashLine) {
  const auto r = test::run_cli("serve keygen --label deploy");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  std::string key, line;
  std::getline(in, key);
  std::getline(in, line);
  EXPECT_TRUE(key.starts_with("emk_"));
  const auto keys = serve::ApiKeys::parse(line, "stdout");
  EXPECT_TRUE(keys.check(key));
  EXPECT_TRUE(line.ends_with(" deploy"));
}

}  // namespace
}  // namespace emonet
