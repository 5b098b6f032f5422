// The HTTP server of `emonet annotate serve`: JSON API routes (docs/annotate-api.md),
// request limits, CSRF enforcement, image serving and the pages (register_pages()).
//
// Lifecycle: construct, bind() (returns the port), then run() blocks in the calling
// thread until stop() is called from another thread. Thread-safe: one event-loop thread
// reads every connection and a pool of worker threads runs the routes, sharing one
// AppContext (event_server.h).
#pragma once

#include <memory>

#include "annotate/context.h"

namespace emonet::annotate::http {
class EventServer;
}

namespace emonet::annotate {

class Server {
 public:
  Server(Store& store, ServerOptions options, Clock clock = system_now_ms);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds host:port (port 0 = a free one); returns the port. Throws Error on failure.
  int bind();
  void run();
  void stop();
  AppContext& context() { return ctx_; }

 private:
  void register_api();
  AppContext ctx_;
  std::unique_ptr<http::EventServer> http_;
};

}  // namespace emonet::annotate
