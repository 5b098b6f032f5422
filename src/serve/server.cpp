// The Server's lifecycle (bind, background load, run, drain), authentication, CORS,
// metrics accounting, and the JSON answers for every error cpp-httplib produces itself
// (413 body too large, 400 malformed request, 404 -> 405 for a known path).
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "emonet/error.h"
#include "serve/server_impl.h"

namespace emonet::serve {

using httplib::Request;
using httplib::Response;
using Clock = std::chrono::steady_clock;

namespace detail {

void reply_json(Response& res, int status, const std::string& json_text) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(json_text, "application/json");
}

void reply_error(Response& res, int status, const std::string& message) {
  reply_json(res, status, nlohmann::json{{"error", message}}.dump());
}

std::string_view allowed_methods(std::string_view path) {
  if (path == "/v1/predict" || path == "/v1/embed") return "POST, OPTIONS";
  if (path == "/v1/models" || path == "/health/live" || path == "/health/ready" ||
      path == "/metrics" || path == "/openapi.json" || path == "/")
    return "GET, HEAD, OPTIONS";
  return "";
}

std::string route_label(std::string_view path) {
  return allowed_methods(path).empty() ? "other" : std::string(path);
}

}  // namespace detail

namespace {

// Per handler thread: cpp-httplib serves one request at a time on a thread, from the
// pre-routing handler to the post-routing handler.
thread_local Clock::time_point t_start;
thread_local bool t_counted = false;
// The batcher this thread's request was announced to (a scoring request between its
// headers and its run() call), so the worker knows an image is on its way.
thread_local detail::Batcher* t_announced = nullptr;

bool is_scoring_route(const Request& req) {
  return req.method == "POST" && (req.path == "/v1/predict" || req.path == "/v1/embed");
}

}  // namespace

bool detail::take_announcement(const detail::Batcher* batcher) {
  if (t_announced == nullptr || t_announced != batcher) return false;
  t_announced = nullptr;
  return true;
}

namespace {

bool needs_key(const ServerOptions& o, std::string_view path) {
  if (path.starts_with("/health/")) return !o.public_health;
  if (path == "/metrics") return !o.public_metrics;
  return path.starts_with("/v1/");
}

// The allowed origin to echo for this request's Origin header, or "" for none.
std::string cors_allow(const ServerOptions& o, const std::string& origin) {
  if (o.cors_origin.empty() || origin.empty()) return "";
  if (o.cors_origin == "*") return "*";
  std::string_view list = o.cors_origin;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == origin) return origin;
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return "";
}

}  // namespace

Server::Impl::Impl(ServerOptions options) : o(std::move(options)) {
  if (!o.api_keys_file.empty()) keys = ApiKeys::load(o.api_keys_file);
  if (o.max_batch == 0) throw Error("--max-batch must be at least 1");
  if (o.queue == 0) throw Error("--queue must be at least 1");
  const std::size_t threads =
      o.http_threads > 0 ? std::size_t(o.http_threads) : o.queue + std::size_t(16);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_payload_max_length(o.max_body);
  http.set_read_timeout(30, 0);
  http.set_write_timeout(30, 0);
  http.set_tcp_nodelay(true);
  http.set_keep_alive_max_count(100000);
  http.set_socket_options([this](socket_t sock) {
    const int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd = int(sock);
  });
  http.set_default_headers({{"X-Content-Type-Options", "nosniff"}});

  http.set_pre_routing_handler([this](const Request& req, Response& res) {
    t_start = Clock::now();
    if (!t_counted) {
      t_counted = true;
      std::lock_guard lk(flight_m);
      ++in_flight;
    }
    if (req.method == "OPTIONS") {  // CORS preflight or a plain OPTIONS: never needs a key
      const auto allow = detail::allowed_methods(req.path);
      if (allow.empty()) return httplib::Server::HandlerResponse::Unhandled;  // -> 404
      res.status = 204;
      res.set_header("Allow", std::string(allow));
      if (!cors_allow(o, req.get_header_value("Origin")).empty()) {
        res.set_header("Access-Control-Allow-Methods", std::string(allow));
        res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
        res.set_header("Access-Control-Max-Age", "600");
      }
      return httplib::Server::HandlerResponse::Handled;
    }
    if (keys && needs_key(o, req.path)) {
      const std::string auth = req.get_header_value("Authorization");
      constexpr std::string_view bearer = "Bearer ";
      // One answer for a missing, malformed, unknown or wrong key.
      if (!auth.starts_with(bearer) || !keys->check(std::string_view(auth).substr(bearer.size()))) {
        res.set_header("WWW-Authenticate", "Bearer");
        detail::reply_error(res, 401, "missing or invalid API key");
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    // Announced before the body is read (cpp-httplib reads it after this handler), so a
    // batch about to start waits for this request's images instead of leaving them behind.
    if (Engine* e = engine.load(); e && !t_announced && !draining && is_scoring_route(req)) {
      e->batcher->arriving();
      t_announced = e->batcher.get();
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  http.set_error_handler(
      httplib::Server::HandlerWithResponse([this](const Request& req, Response& res) {
        if (res.status == 404) {
          const auto allow = detail::allowed_methods(req.path);
          if (!allow.empty()) {
            res.set_header("Allow", std::string(allow));
            detail::reply_error(res, 405,
                                "method " + req.method + " not allowed on " + req.path +
                                    " (allowed: " + std::string(allow) + ")");
            return httplib::Server::HandlerResponse::Handled;
          }
        }
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        std::string msg;
        switch (res.status) {
          case 404:
            msg = "no such endpoint: " + req.path;
            break;
          case 413:
            msg = "request body over the limit of " + std::to_string(o.max_body) + " bytes";
            break;
          case 400:
            msg = "malformed request (e.g. a multipart body without a valid boundary)";
            break;
          default:
            msg = "request failed";
            break;
        }
        detail::reply_error(res, res.status, msg);
        return httplib::Server::HandlerResponse::Handled;
      }));

  http.set_exception_handler([](const Request&, Response& res, std::exception_ptr) {
    detail::reply_error(res, 500, "internal error");
  });

  http.set_post_routing_handler([this](const Request& req, Response& res) {
    const std::string allow = cors_allow(o, req.get_header_value("Origin"));
    if (!allow.empty()) {
      res.set_header("Access-Control-Allow-Origin", allow);
      if (allow != "*") res.set_header("Vary", "Origin");
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
    metrics.request(detail::route_label(req.path), res.status, seconds);
    if (t_announced) {  // answered without reaching the batcher (4xx, 503)
      t_announced->not_coming();
      t_announced = nullptr;
    }
    if (t_counted) {
      t_counted = false;
      std::lock_guard lk(flight_m);
      --in_flight;
      flight_cv.notify_all();
    }
  });

  if (o.log_requests)
    http.set_logger([](const Request& req, const Response& res) {
      std::fprintf(stderr, "%s %s %s %d\n", req.remote_addr.c_str(), req.method.c_str(),
                   req.path.c_str(), res.status);
    });
  register_routes();
}

void Server::Impl::register_routes() {
  register_predict_routes();
  register_info_routes();
}

void Server::Impl::load_model() {
  try {
    model::ModelOptions mo;
    mo.threads = o.threads;
    mo.precision = o.precision;
    auto e = std::make_unique<Engine>(model::Model::load(o.model, mo));
    detail::BatcherOptions bo;
    bo.max_batch = o.max_batch;
    bo.max_delay = std::chrono::microseconds(std::int64_t(o.max_delay_ms * 1000));
    bo.capacity = o.queue;
    bo.timeout = std::chrono::milliseconds(std::int64_t(o.timeout_ms));
    bo.wait_for_arrivals = o.batch_wait == BatchWait::arrivals;
    e->batcher = std::make_unique<detail::Batcher>(e->model, bo, metrics);
    metrics.set_model_loaded(e->model.info().load_seconds);
    {
      std::lock_guard lk(load_m);
      engine_owner = std::move(e);
      engine.store(engine_owner.get());
    }
    metrics.set_ready(!draining);
    if (o.announce) {
      const auto& info = engine.load()->model.info();
      std::fprintf(stderr,
                   "emonet: %s model (%zu heads), %s on %s, %d threads, loaded in %.1f s; ready\n",
                   info.head_variant.c_str(), info.head_count,
                   std::string(model::precision_name(info.precision)).c_str(), info.cpu_isa.c_str(),
                   info.threads, info.load_seconds);
    }
  } catch (const std::exception& ex) {
    {
      std::lock_guard lk(load_m);
      load_error = ex.what();
    }
    std::fprintf(stderr, "emonet: error: the model could not be loaded: %s\n", ex.what());
    loading = false;
    // A server that cannot predict is of no use: stop, so the supervisor sees it.
    std::call_once(drain_once, [this] { draining = true; });
    stop_http();
    return;
  }
  loading = false;
}

void Server::Impl::stop_http() {
  // httplib::Server::stop() does nothing before the accept loop runs, and nothing tells
  // when it starts: wait (bounded) for run() to get there, or to have been skipped.
  for (int i = 0; i < 1000 && run_started && !run_finished && !http.is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  http.stop();
}

Engine* Server::Impl::engine_or_503(Response& res) {
  if (draining) {
    detail::reply_error(res, 503, "the server is shutting down");
    return nullptr;
  }
  Engine* e = engine.load();
  if (!e) {
    res.set_header("Retry-After", "1");
    detail::reply_error(res, 503, "the model is still loading");
  }
  return e;
}

const FaceDetector* Server::Impl::face_detector(Engine& e) {
  std::call_once(e.faces_once, [&] {
    try {
      e.faces = std::make_unique<FaceDetector>(o.face_detector);
    } catch (const std::exception& ex) {
      e.faces_error = ex.what();
    }
  });
  return e.faces.get();
}

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Server::~Server() {
  if (impl_->loader.joinable()) impl_->loader.join();
}

int Server::bind() {
  Impl& s = *impl_;
  int port = s.o.port;
  if (port == 0)
    port = s.http.bind_to_any_port(s.o.host);
  else if (!s.http.bind_to_port(s.o.host, port))
    port = -1;
  if (port <= 0)
    throw Error("cannot listen on " + s.o.host + ":" + std::to_string(s.o.port) +
                " (address in use or not available)");
  // cpp-httplib 0.11 listens with a backlog of 5; a burst of clients would lose SYNs.
  if (s.listen_fd >= 0) ::listen(s.listen_fd, SOMAXCONN);
  s.port = port;
  return port;
}

void Server::start_loading() {
  impl_->loading = true;
  impl_->loader = std::thread([this] { impl_->load_model(); });
}

void Server::run() {
  impl_->run_started = true;
  // A drain (or failed load) that came before run(): nothing to serve.
  if (!impl_->draining) impl_->http.listen_after_bind();
  impl_->run_finished = true;
  if (Engine* e = impl_->engine.load()) e->batcher->stop();
}

void Server::drain() {
  Impl& s = *impl_;
  std::call_once(s.drain_once, [&] {
    s.draining = true;
    s.metrics.set_ready(false);
  });
  if (Engine* e = s.engine.load()) e->batcher->hurry();
  {
    // Every request already routed gets its answer; bounded in case a connection died
    // between routing and answering without the post-routing hook running.
    std::unique_lock lk(s.flight_m);
    s.flight_cv.wait_for(lk, std::chrono::milliseconds(std::int64_t(s.o.timeout_ms) + 30000),
                         [&] { return s.in_flight == 0; });
  }
  s.stop_http();
}

bool Server::ready() const {
  return impl_->engine.load() && !impl_->draining;
}
bool Server::loading() const {
  return impl_->loading;
}
std::string Server::load_error() const {
  std::lock_guard lk(impl_->load_m);
  return impl_->load_error;
}
int Server::port() const {
  return impl_->port;
}

}  // namespace emonet::serve
