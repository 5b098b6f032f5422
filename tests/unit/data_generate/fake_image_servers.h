// Stand-in text-to-image servers for the `emonet data generate` tests (cpp-httplib on
// 127.0.0.1): ComfyUI (/prompt, /history/{id}, /view, /queue), AUTOMATIC1111
// (/sdapi/v1/txt2img) and OpenAI images (/v1/images/generations). The "image" for a
// request is fake_image(prompt, seed), so a test can tell which row each file came from.
// Injectable faults, each for the next N generation requests: HTTP 500, 429 with
// Retry-After, a malformed (non-JSON) 200 reply, a stall longer than the client's timeout;
// ComfyUI prompts containing "STUCK" never finish (until unstick()).
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace emonet::test {

inline std::string fake_image(const std::string& prompt, std::int64_t seed) {
  return std::string("\x89PNG\r\n\x1a\n", 8) + prompt + "|seed=" + std::to_string(seed);
}

inline std::string base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out += t[(v >> k) & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += t[(v >> 18) & 63];
    out += t[(v >> 12) & 63];
    out += i + 1 < in.size() ? t[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

class FakeImageServer {
 public:
  enum class Fault { None, Http500, RateLimited, Malformed, Stall };

  FakeImageServer() {
    using nlohmann::json;
    server_.Post("/sdapi/v1/txt2img", [this](const httplib::Request& req, httplib::Response& res) {
      const json body = json::parse(req.body, nullptr, false);
      if (!body.is_object() || !body.contains("prompt")) return bad_request(res);
      if (fault(res)) return;
      const std::string img = produce(body["prompt"], body.value("seed", std::int64_t{-1}));
      res.set_content(
          json({{"images", {base64(img)}}, {"parameters", body}, {"info", "{}"}}).dump(),
          "application/json");
    });
    server_.Post(
        "/v1/images/generations", [this](const httplib::Request& req, httplib::Response& res) {
          if (req.get_header_value("Authorization") != "Bearer " + api_key_) {
            res.status = 401;
            res.set_content(R"({"error":{"message":"bad key"}})", "application/json");
            return;
          }
          const json body = json::parse(req.body, nullptr, false);
          if (!body.is_object() || !body.contains("prompt")) return bad_request(res);
          if (body["prompt"].get<std::string>().find("REJECT") != std::string::npos) {
            res.status = 400;
            res.set_content(R"({"error":{"message":"content policy"}})", "application/json");
            std::lock_guard lock(mutex_);
            ++rejected_;
            return;
          }
          if (fault(res)) return;
          const std::string img = produce(body["prompt"], 0);
          res.set_content(json({{"created", 1}, {"data", {{{"b64_json", base64(img)}}}}}).dump(),
                          "application/json");
        });
    server_.Post("/prompt", [this](const httplib::Request& req, httplib::Response& res) {
      const json body = json::parse(req.body, nullptr, false);
      if (!body.is_object() || !body.contains("prompt") || !body["prompt"].is_object())
        return bad_request(res);
      const json& graph = body["prompt"];
      // The example workflow: node 6 is the positive prompt, node 3 the sampler.
      if (!graph.contains("6") || !graph["6"]["inputs"]["text"].is_string() ||
          !graph["3"]["inputs"]["seed"].is_number_integer()) {
        res.status = 400;
        res.set_content(R"({"error":"invalid prompt","node_errors":{"6":"missing"}})",
                        "application/json");
        return;
      }
      if (fault(res)) return;
      std::lock_guard lock(mutex_);
      const std::string id = "job-" + std::to_string(++jobs_);
      comfy_[id] = {graph["6"]["inputs"]["text"].get<std::string>(),
                    graph["3"]["inputs"]["seed"].get<std::int64_t>(), 0};
      res.set_content(
          json({{"prompt_id", id}, {"number", jobs_}, {"node_errors", json::object()}}).dump(),
          "application/json");
    });
    server_.Get(R"(/history/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::unique_lock lock(mutex_);
      const std::string id = req.matches[1];
      auto it = comfy_.find(id);
      if (it == comfy_.end() || ++it->second.polls < 2 ||
          (it->second.prompt.find("STUCK") != std::string::npos && stuck_)) {
        res.set_content("{}", "application/json");  // queued / running
        return;
      }
      const std::string prompt = it->second.prompt;
      const std::int64_t seed = it->second.seed;
      const bool first = !it->second.produced;
      it->second.produced = true;
      lock.unlock();
      if (first) {
        std::string img = produce(prompt, seed);
        std::lock_guard relock(mutex_);
        images_[id] = std::move(img);
      }
      const json out = {
          {id,
           {{"outputs",
             {{"9",
               {{"images",
                 {{{"filename", id + ".png"}, {"subfolder", ""}, {"type", "output"}}}}}}}},
            {"status", {{"status_str", "success"}, {"completed", true}}}}}};
      res.set_content(out.dump(), "application/json");
    });
    server_.Get("/view", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      const std::string name = req.get_param_value("filename");
      const auto it = images_.find(name.substr(0, name.size() > 4 ? name.size() - 4 : 0));
      if (it == images_.end() || req.get_param_value("type") != "output") {
        res.status = 404;
        return;
      }
      res.set_content(it->second, "image/png");
    });
    server_.Post("/queue", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      deleted_.push_back(req.body);
      res.set_content("{}", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeImageServer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    server_.stop();
    thread_.join();
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void inject(Fault f, int times) {
    std::lock_guard lock(mutex_);
    for (int i = 0; i < times; ++i) faults_.push_back(f);
  }
  void set_retry_after(int seconds) { retry_after_s_ = seconds; }
  void set_delay_ms(int ms) { delay_ms_ = ms; }
  void set_api_key(std::string key) { api_key_ = std::move(key); }
  void unstick() { stuck_ = false; }
  // Images produced per prompt (a stalled request also produces one, after the client left).
  std::map<std::string, int> produced() {
    std::lock_guard lock(mutex_);
    return produced_;
  }
  int total_produced() {
    std::lock_guard lock(mutex_);
    int n = 0;
    for (const auto& [p, c] : produced_) n += c;
    return n;
  }
  std::vector<std::string> deleted() {
    std::lock_guard lock(mutex_);
    return deleted_;
  }
  int rejected() {
    std::lock_guard lock(mutex_);
    return rejected_;
  }
  // Seconds between the 429 sent and the next generation request, when both happened.
  double wait_after_429() {
    std::lock_guard lock(mutex_);
    return waited_after_429_s_;
  }

 private:
  struct Job {
    std::string prompt;
    std::int64_t seed = 0;
    int polls = 0;
    bool produced = false;
  };

  static void bad_request(httplib::Response& res) {
    res.status = 400;
    res.set_content(R"({"error":"bad request"})", "application/json");
  }
  std::string produce(const std::string& prompt, std::int64_t seed) {
    if (delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_.load()));
    std::lock_guard lock(mutex_);
    ++produced_[prompt];
    return fake_image(prompt, seed);
  }
  // Applies the next queued fault to a generation request; true when it answered.
  bool fault(httplib::Response& res) {
    std::unique_lock lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (last_429_ && waited_after_429_s_ < 0)
      waited_after_429_s_ = std::chrono::duration<double>(now - *last_429_).count();
    if (faults_.empty()) return false;
    const Fault f = faults_.front();
    faults_.erase(faults_.begin());
    switch (f) {
      case Fault::Http500:
        res.status = 500;
        res.set_content("upstream exploded", "text/plain");
        return true;
      case Fault::RateLimited:
        res.status = 429;
        res.set_header("Retry-After", std::to_string(retry_after_s_.load()));
        last_429_ = now;
        waited_after_429_s_ = -1;
        return true;
      case Fault::Malformed:
        res.set_content("{\"images\": [\"trunc", "application/json");
        return true;
      case Fault::Stall:
        // Longer than the client's timeout; cut short when the server shuts down.
        wake_.wait_for(lock, std::chrono::seconds(5), [this] { return stopping_; });
        res.status = 503;
        return true;
      case Fault::None:
        break;
    }
    return false;
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<Fault> faults_;
  std::atomic<int> retry_after_s_{0}, delay_ms_{0};
  std::atomic<bool> stuck_{true};
  std::string api_key_ = "test-key";
  int jobs_ = 0, rejected_ = 0;
  std::map<std::string, Job> comfy_;
  std::map<std::string, std::string> images_;
  std::map<std::string, int> produced_;
  std::vector<std::string> deleted_;
  std::optional<std::chrono::steady_clock::time_point> last_429_;
  double waited_after_429_s_ = -1;
};

}  // namespace emonet::test
