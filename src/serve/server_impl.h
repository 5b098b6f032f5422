// Internal: the state shared by the Server's parts (server.cpp: lifecycle, security and
// error handling; routes_predict.cpp: /v1/predict and /v1/embed; routes_info.cpp: models,
// health, metrics, OpenAPI and the demo page).
#pragma once

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "emonet/serve_keys.h"
#include "emonet/serve_server.h"
#include "serve/batcher.h"
#include "serve/metrics.h"

namespace emonet::serve {

// The engine once loaded: immutable afterwards, so handlers read it without a lock once
// Impl::engine (an atomic pointer) is set.
struct Engine {
  explicit Engine(model::Model m) : model(std::move(m)) {}
  model::Model model;
  std::unique_ptr<detail::Batcher> batcher;
  std::unique_ptr<FaceDetector> faces;  // created on first use, see face_detector()
  std::once_flag faces_once;
  std::string faces_error;
};

struct Server::Impl {
  explicit Impl(ServerOptions options);

  ServerOptions o;
  std::optional<ApiKeys> keys;
  detail::Metrics metrics;
  httplib::Server http;
  int listen_fd = -1;
  int port = 0;

  std::thread loader;
  std::unique_ptr<Engine> engine_owner;
  std::atomic<Engine*> engine{nullptr};
  std::atomic<bool> loading{false}, draining{false};
  mutable std::mutex load_m;
  std::string load_error;

  // Requests between routing and their answer, for the drain.
  std::mutex flight_m;
  std::condition_variable flight_cv;
  std::size_t in_flight = 0;
  std::once_flag drain_once;
  std::atomic<bool> run_started{false}, run_finished{false};

  // Stops cpp-httplib's accept loop, also when run() is only about to start it.
  void stop_http();

  void load_model();
  void register_routes();
  void register_predict_routes();
  void register_info_routes();
  // The engine when it can take model requests; otherwise answers 503 and returns null.
  Engine* engine_or_503(httplib::Response& res);
  const FaceDetector* face_detector(Engine& e);
};

namespace detail {

// {"error": message} with `status`; Cache-Control: no-store.
void reply_error(httplib::Response& res, int status, const std::string& message);
void reply_json(httplib::Response& res, int status, const std::string& json_text);
// The route label of a request path for the metrics ("other" for unknown paths, so a
// scanner cannot grow the label set).
std::string route_label(std::string_view path);
// The endpoints and the methods each allows (for 404 vs 405 and the Allow header).
std::string_view allowed_methods(std::string_view path);
// The OpenAPI description (src/serve/openapi.json, embedded at build time).
std::string_view openapi_json();
// True once per request that the pre-routing handler announced to `batcher` (see
// Batcher::arriving()); the caller then passes announced = true to Batcher::run().
bool take_announcement(const Batcher* batcher);

}  // namespace detail
}  // namespace emonet::serve
