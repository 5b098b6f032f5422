// A stand-in OpenAI-compatible server for `emonet eval vlm` tests and bench/vlm_throughput:
// cpp-httplib on 127.0.0.1 answering POST /v1/chat/completions from a script per image
// (the image bytes are a tag like "a-valid"): valid replies, raw bodies, HTTP statuses with
// Retry-After, stalls past the client's timeout, dropped connections, yes/no logprob
// lists; optionally a fixed latency, and 429s above a concurrency threshold. It records
// the time and body of every request and the most requests it saw in flight at once.
#pragma once

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "emonet/taxonomy.h"

namespace emonet::eval::test_stand_in {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

inline std::string value_reply(std::size_t n, int zero = -1) {
  json v = json::object();
  for (std::size_t i = 0; i < n; ++i)
    v[std::string(emotions()[i].hq_key)] = static_cast<int>(i) == zero ? 0 : 1 + i % 7;
  return json{{"key", {"f", "m", "x.png"}}, {"value", v}}.dump();
}

inline std::string decode_base64(const std::string& s) {
  static const std::string k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned v = 0;
  int bits = 0;
  for (char c : s) {
    const auto p = k.find(c);
    if (p == std::string::npos) break;
    v = v << 6 | static_cast<unsigned>(p);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((v >> bits) & 255);
    }
  }
  return out;
}

struct Action {
  enum Kind { kReply, kBody, kStatus, kStall, kDrop } kind = kReply;
  std::string text;  // kReply: message content; kBody: the whole response body
  int status = 200;
  std::string retry_after;
};
inline Action say(std::string t) {
  return {Action::kReply, std::move(t), 200, {}};
}

// The stand-in: POST /v1/chat/completions; the image bytes (a tag like "img-C") pick the
// script; each request takes the next action, the last one repeats.
class StandIn {
 public:
  StandIn() {
    // cpp-httplib's default pool has max(8, cores - 1) threads: too few to observe 64
    // requests in flight.
    server_.new_task_queue = [] { return new httplib::ThreadPool(160); };
    // As real inference servers do (uvicorn, llama.cpp): cpp-httplib writes headers and body
    // separately, and with Nagle on the body waits for the client's delayed ACK (~40 ms).
    server_.set_tcp_nodelay(true);
    // Also as they do: keep connections open (cpp-httplib closes one after 5 requests by
    // default) and a deep accept queue. cpp-httplib 0.11 listens with a backlog of 5, so
    // 64 clients reconnecting at once lose SYNs and wait out the 1 s SYN retransmit;
    // listen() again on the bound socket raises the backlog (Linux).
    server_.set_keep_alive_max_count(1000000);
    server_.set_socket_options([this](socket_t sock) {
      const int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      listen_fd_ = static_cast<int>(sock);
    });
    server_.Post("/v1/chat/completions",
                 [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (listen_fd_ >= 0) ::listen(listen_fd_, SOMAXCONN);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // bind_to_any_port() already listens: early connections wait in the backlog.
  }
  ~StandIn() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void script(const std::string& tag, std::vector<Action> actions) {
    std::lock_guard lock(mutex_);
    scripts_[tag] = std::deque<Action>(actions.begin(), actions.end());
  }
  void yes_no_cases(std::vector<json> cases) {
    std::lock_guard lock(mutex_);
    yes_no_ = std::move(cases);
  }
  // The 40 yes/no cases (canonical emotion order) of one image only.
  void yes_no_cases(const std::string& tag, std::vector<json> cases) {
    std::lock_guard lock(mutex_);
    yes_no_by_tag_[tag] = std::move(cases);
  }
  void latency(std::chrono::milliseconds ms) { latency_ = ms; }
  // Keep every request body for bodies() (default); a benchmark's millions would not fit.
  void record_bodies(bool on) { record_bodies_ = on; }
  // Requests arriving while more than `n` are in flight get 429 at once (no Retry-After).
  void throttle_above(int n) { throttle_above_ = n; }
  // Every request in flight beyond `n` adds `step` to the latency (a queueing server).
  void queue_above(int n, std::chrono::milliseconds step) {
    queue_above_ = n;
    queue_step_ = step;
  }
  int throttled() const { return throttled_; }
  int requests(const std::string& tag) {
    std::lock_guard lock(mutex_);
    return static_cast<int>(times_[tag].size());
  }
  int total() {
    std::lock_guard lock(mutex_);
    int n = 0;
    for (const auto& [t, v] : times_) n += static_cast<int>(v.size());
    return n;
  }
  std::vector<Clock::time_point> times(const std::string& tag) {
    std::lock_guard lock(mutex_);
    return times_[tag];
  }
  std::vector<json> bodies(const std::string& tag) {
    std::lock_guard lock(mutex_);
    return bodies_[tag];
  }
  int max_in_flight() const { return max_in_flight_; }
  // TCP connections that sent requests (by the client's port).
  std::size_t connections() {
    std::lock_guard lock(mutex_);
    return client_ports_.size();
  }
  std::vector<std::string> tags() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [t, v] : times_) out.push_back(t);
    return out;
  }
  std::string last_authorization() {
    std::lock_guard lock(mutex_);
    return authorization_;
  }

 private:
  void handle(const httplib::Request& req, httplib::Response& res) {
    const auto arrived = Clock::now();
    const int now = ++in_flight_;
    for (int m = max_in_flight_; now > m && !max_in_flight_.compare_exchange_weak(m, now);) {
    }
    struct Leave {
      std::atomic<int>& n;
      ~Leave() { --n; }
    } leave{in_flight_};
    if (throttle_above_ > 0 && now > throttle_above_) {
      ++throttled_;
      res.status = 429;
      res.set_content("{\"error\": \"too many requests in flight\"}", "application/json");
      return;
    }
    auto delay = latency_;
    if (queue_above_ > 0 && now > queue_above_) delay += queue_step_ * (now - queue_above_);
    // The latency counts from arrival, and the stand-in's own parsing falls inside it, as a
    // real server's does.
    json body = json::parse(req.body);
    std::string url, text;
    for (const auto& part : body["messages"][0]["content"]) {
      if (part["type"] == "image_url") url = part["image_url"]["url"];
      if (part["type"] == "text") text = part["text"];
    }
    const std::string tag = decode_base64(url.substr(url.find(',') + 1));
    const bool wants_logprobs = body.contains("logprobs");
    if (delay.count() > 0) std::this_thread::sleep_until(arrived + delay);
    Action a;
    {
      std::lock_guard lock(mutex_);
      times_[tag].push_back(Clock::now());
      client_ports_.insert(req.remote_port);
      if (record_bodies_) bodies_[tag].push_back(std::move(body));
      authorization_ = req.get_header_value("Authorization");
      const auto own = yes_no_by_tag_.find(tag);
      const auto& cases = own != yes_no_by_tag_.end() ? own->second : yes_no_;
      if (!cases.empty() && wants_logprobs) {
        for (std::size_t i = 0; i < emotions().size(); ++i)
          if (text.find("express " + std::string(emotions()[i].name) + "?") != std::string::npos)
            a = {Action::kBody, logprob_body(cases[i]), 200, {}};
      } else {
        auto& s = scripts_[tag];
        a = s.empty() ? fallback_ : s.front();
        if (s.size() > 1) s.pop_front();
      }
    }
    switch (a.kind) {
      case Action::kReply: {
        json r = {
            {"choices", {{{"message", {{"role", "assistant"}, {"content", a.text}}}}}},
            {"usage", {{"prompt_tokens", 100}, {"completion_tokens", 10}, {"total_tokens", 110}}}};
        res.set_content(r.dump(), "application/json");
        break;
      }
      case Action::kBody:
        res.set_content(a.text, "application/json");
        break;
      case Action::kStatus:
        res.status = a.status;
        if (!a.retry_after.empty()) res.set_header("Retry-After", a.retry_after);
        res.set_content("{\"error\": \"scripted\"}", "application/json");
        break;
      case Action::kStall: {
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, std::chrono::seconds(20), [this] { return stopping_; });
        res.set_content("{}", "application/json");
        break;
      }
      case Action::kDrop:
        // Announces 100 bytes and sends none: the client sees the connection close.
        res.set_content_provider(
            100, "application/json",
            [](std::size_t, std::size_t, httplib::DataSink&) { return false; });
        break;
    }
  }
  static std::string logprob_body(const json& c) {
    json r = {
        {"choices",
         {{{"message", {{"role", "assistant"}, {"content", "x"}}},
           {"logprobs",
            {{"content",
              {{{"token", "x"}, {"logprob", -0.1}, {"top_logprobs", c["top_logprobs"]}}}}}}}}},
        {"usage", {{"prompt_tokens", 50}, {"completion_tokens", 1}, {"total_tokens", 51}}}};
    return r.dump();
  }

  httplib::Server server_;
  int port_ = 0;
  int listen_fd_ = -1;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::map<std::string, std::deque<Action>> scripts_;
  std::map<std::string, std::vector<Clock::time_point>> times_;
  std::set<int> client_ports_;
  std::map<std::string, std::vector<json>> bodies_;
  std::vector<json> yes_no_;
  std::map<std::string, std::vector<json>> yes_no_by_tag_;
  Action fallback_ = say(value_reply(25));
  std::string authorization_;
  std::chrono::milliseconds latency_{0};
  std::atomic<bool> record_bodies_{true};
  std::atomic<int> throttle_above_{0}, queue_above_{0}, throttled_{0};
  std::chrono::milliseconds queue_step_{0};
  std::atomic<int> in_flight_{0}, max_in_flight_{0};
};

}  // namespace emonet::eval::test_stand_in
