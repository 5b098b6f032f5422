// The annotation server's HTTP/1.1 transport: one epoll thread owns every socket (accept,
// read, parse, time-outs) and hands each complete request to a pool of worker threads,
// which run the route and write the response. An idle keep-alive connection costs no
// thread and no wake-ups, so a few workers serve hundreds of experts; the workers may
// block (a vote waits for its group commit) without holding up reads of other requests.
//
// Ownership of a connection moves with its state: the loop thread owns it while it is
// armed in epoll (EPOLLONESHOT), one worker owns it while its request runs, and only the
// loop thread frees it. Requests on one connection are answered in order (pipelining).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "annotate/http_message.h"
#include "annotate/http_router.h"

namespace emonet::annotate::http {

struct EventServerOptions {
  int workers = 64;                    // threads running handlers
  std::size_t max_body = 1 << 20;      // bytes; more gets 413
  std::size_t max_header = 16 * 1024;  // bytes of request line + headers; more gets 431
  int read_timeout_s = 10;             // a started request must arrive within this
  int write_timeout_s = 10;            // a response must be taken within this
  int keep_alive_timeout_s = 5;        // an idle connection is closed after this
  std::size_t max_connections = 10000;
  std::vector<std::pair<std::string, std::string>> default_headers;  // on every response
};

struct EventServerStats {
  std::uint64_t accepted = 0;  // connections
  std::uint64_t requests = 0;  // requests answered (parse errors included)
  std::uint64_t timeouts = 0;  // connections closed by a read/write/keep-alive time-out
  std::uint64_t open = 0;      // connections open now
};

class EventServer {
 public:
  enum class PreRouting { handled, unhandled };
  using PreRoutingHandler = std::function<PreRouting(const Request&, Response&)>;
  using ResponseHook = std::function<void(const Request&, Response&)>;

  explicit EventServer(EventServerOptions options);
  ~EventServer();
  EventServer(const EventServer&) = delete;
  EventServer& operator=(const EventServer&) = delete;

  Router& router() { return router_; }
  // Runs before routing; `handled` skips the route (the hook wrote the response).
  void set_pre_routing_handler(PreRoutingHandler fn) { pre_routing_ = std::move(fn); }
  // Runs for a response with status ≥ 400 and no body, to give it one.
  void set_error_handler(ResponseHook fn) { error_handler_ = std::move(fn); }
  // Runs after every routed request (access logs).
  void set_logger(ResponseHook fn) { logger_ = std::move(fn); }

  // Listens on host:port (port 0: a free one); returns the port. Throws Error.
  int bind(const std::string& host, int port);
  // Serves until stop(); requests being handled then are answered before it returns.
  void run();
  // From any thread, also before run(); idempotent.
  void stop();
  EventServerStats stats() const;

 private:
  struct Connection;
  struct Job {
    Connection* conn;
    Request request;
  };

  void loop();
  void worker();
  void accept_all();
  void on_readable(Connection& c);
  void on_writable(Connection& c);
  // After a response (or on new bytes): parse what is buffered and act on it. Runs on
  // whichever thread owns `c`; returns a finished request to run, if there is one.
  bool next_request(Connection& c, Request& out);
  Response handle(Request& req);
  std::string serialize(const Request& req, const Response& res, bool keep_alive) const;
  // Sends `bytes`; true when all went out and `c` stays open (the caller reads on),
  // false when `c` went to the loop thread (rest of the write, or closing).
  bool respond(Connection& c, std::string bytes, bool keep_alive);
  bool after_response(Connection& c);
  // Hands `c` to the loop thread, armed for `events`, in the given phase; under mu_, so
  // that the time-out scan never sees it before its owner has let go of it.
  void hand_to_loop(Connection& c, int phase, std::uint32_t events);
  void release(Connection& c);  // hands `c` to the loop thread to close and free
  void close_now(Connection& c);
  void expire_idle(std::int64_t now_ms);
  void wake();

  EventServerOptions options_;
  Router router_;
  PreRoutingHandler pre_routing_;
  ResponseHook error_handler_, logger_;

  int listen_fd_ = -1, epoll_fd_ = -1, wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;  // loop thread

  std::mutex mu_;  // guards jobs_, closing_, done_ and hand-overs to the loop thread
  std::condition_variable work_cv_;
  std::deque<Job> jobs_;
  std::vector<Connection*> closing_;
  bool done_ = false;
  std::vector<std::thread> workers_;

  std::atomic<std::uint64_t> accepted_{0}, requests_{0}, timeouts_{0}, open_{0};
};

}  // namespace emonet::annotate::http
