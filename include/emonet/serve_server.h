// emonet::serve::Server — the inference service behind `emonet serve`: emonet::model
// behind HTTP with dynamic batching, health and readiness, Prometheus metrics, API keys,
// CORS and a graceful drain. docs/serve.md describes the API; src/serve/openapi.json is
// its OpenAPI 3.1 description, served at GET /openapi.json.
//
//   emonet::serve::ServerOptions o;  o.model = "small";  o.port = 0;
//   emonet::serve::Server server(o);
//   const int port = server.bind();   // listening from here on
//   server.start_loading();           // the model loads on a background thread
//   std::thread t([&] { server.run(); });
//   ...  server.drain();  t.join();   // readiness 503, every accepted request answered
//
// Lifecycle: bind() -> start_loading() -> run() (blocks) ; drain() from any thread makes
// run() return once every request received so far has been answered. While the model
// loads, /health/ready and the model routes answer 503 with a JSON reason.
//
// Thread safety: drain(), ready(), loading() and port() may be called from any thread;
// bind/start_loading/run are called once each, in that order, by the owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "emonet/image.h"
#include "emonet/model.h"

namespace emonet::serve {

// How long a batch waits to fill (see docs/serve.md "Dynamic batching").
enum class BatchWait {
  arrivals,  // up to max_delay_ms, and only while other requests are still being received
  always,    // up to max_delay_ms (Triton's rule)
};

struct ServerOptions {
  std::string model = "large";  // large | small (download cache) or a model directory
  model::Precision precision = model::Precision::automatic;
  int threads = 0;  // oneDNN threads of the forward pass (0 = all cores)
  std::string host = "127.0.0.1";
  int port = 8000;  // 0 = any free port (bind() returns it)
  std::size_t max_batch = 8;
  double max_delay_ms = 5;
  BatchWait batch_wait = BatchWait::arrivals;
  std::size_t queue = 64;     // images waiting, beyond which requests get 429
  double timeout_ms = 30000;  // a request not started by then gets 503
  bool faces = false;         // detect faces by default (?faces=false turns it off)
  FaceDetectorOptions face_detector;
  double face_margin = 0.2;
  std::string api_keys_file;             // empty: no authentication
  bool public_health = false;            // with API keys: /health/* without a key
  bool public_metrics = false;           // with API keys: /metrics without a key
  std::string cors_origin;               // empty: no CORS headers; "*" or a comma-separated list
  std::size_t max_body = 32u << 20;      // bytes per request body (413 beyond)
  std::size_t max_images = 64;           // images per request (413 beyond)
  std::int64_t max_pixels = 40'000'000;  // declared width x height per image (413 beyond)
  int http_threads = 0;                  // 0 = queue + 16 (every waiting request holds one)
  bool log_requests = false;             // one line per request on stderr
  bool announce = false;                 // one line on stderr when the model is ready
};

class Server {
 public:
  // Reads and checks the API keys file (throws emonet::Error); loads nothing else yet.
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int bind();            // listens; returns the port; throws emonet::Error if it cannot
  void start_loading();  // loads the model on a background thread
  void run();            // serves until drain() has finished
  // Readiness turns 503 ("draining"), new model requests get 503, requests already
  // received are answered, then run() returns. Safe from any thread, idempotent.
  void drain();

  bool ready() const;    // the model is loaded and the server is not draining
  bool loading() const;  // the background load is still running
  // The load's error message, if it failed (the server then stays unready).
  std::string load_error() const;
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace emonet::serve
