// GET endpoints: liveness, readiness, the model's description, Prometheus metrics, the
// OpenAPI document and the demo page.
#include <nlohmann/json.hpp>

#include "emonet/serve_demo.h"
#include "emonet/taxonomy.h"
#include "serve/server_impl.h"

namespace emonet::serve {

using httplib::Request;
using httplib::Response;
using nlohmann::ordered_json;

void Server::Impl::register_info_routes() {
  http.Get("/health/live", [](const Request&, Response& res) {
    detail::reply_json(res, 200, R"({"status":"alive"})");
  });

  http.Get("/health/ready", [this](const Request&, Response& res) {
    std::string error;
    {
      std::lock_guard lk(load_m);
      error = load_error;
    }
    ordered_json j;
    if (!error.empty()) {
      j = {{"status", "failed"}, {"reason", "the model could not be loaded: " + error}};
    } else if (draining) {
      j = {{"status", "draining"}, {"reason", "the server is shutting down"}};
    } else if (!engine.load()) {
      j = {{"status", "loading"}, {"reason", "the model is still loading"}};
      res.set_header("Retry-After", "1");
    } else {
      detail::reply_json(res, 200, R"({"status":"ready"})");
      return;
    }
    detail::reply_json(res, 503, j.dump());
  });

  http.Get("/v1/models", [this](const Request&, Response& res) {
    Engine* e = engine_or_503(res);
    if (!e) return;
    const auto& info = e->model.info();
    ordered_json heads = ordered_json::array(), taxonomy = ordered_json::array();
    for (const auto& c : categories()) {
      heads.push_back(std::string(c.head_key));
      taxonomy.push_back({{"key", std::string(c.head_key)},
                          {"name", std::string(c.name)},
                          {"group", std::string(c.group)},
                          {"extra", c.is_extra()}});
    }
    ordered_json m;
    m["variant"] = info.head_variant;
    m["precision"] = std::string(model::precision_name(info.precision));
    m["image_size"] = info.image_size;
    m["hidden"] = info.hidden;
    m["layers"] = info.layers;
    m["cpu_isa"] = info.cpu_isa;
    m["threads"] = info.threads;
    m["load_seconds"] = info.load_seconds;
    m["max_batch"] = o.max_batch;
    m["max_delay_ms"] = o.max_delay_ms;
    m["batch_wait"] = o.batch_wait == BatchWait::always ? "always" : "arrivals";
    m["heads"] = std::move(heads);
    m["taxonomy"] = std::move(taxonomy);
    detail::reply_json(res, 200, ordered_json{{"models", ordered_json::array({m})}}.dump());
  });

  http.Get("/metrics", [this](const Request&, Response& res) {
    res.set_header("Cache-Control", "no-store");
    res.set_content(metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
  });

  http.Get("/openapi.json", [](const Request&, Response& res) {
    const auto doc = detail::openapi_json();
    res.set_content(doc.data(), doc.size(), "application/json");
  });

  http.Get("/", [](const Request&, Response& res) {
    const auto page = demo_page_html();
    res.set_header("Cache-Control", "no-cache");
    res.set_content(page.data(), page.size(), "text/html; charset=utf-8");
  });
}

}  // namespace emonet::serve
