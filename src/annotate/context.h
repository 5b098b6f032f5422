// AppContext: what every HTTP handler of `emonet annotate serve` shares — the store, the
// server options, the clock, the login rate limiter — plus the accessors the
// server-rendered pages use (current session, project list, next items). The JSON
// accessors return exactly the documents of the JSON API (docs/annotate-api.md), so a
// page can embed them and its script can keep using the API afterwards.
//
// Thread-safety: one AppContext serves all request threads; every member function is
// safe to call concurrently (the store uses a connection pool, the limiter a mutex).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "annotate/options.h"
#include "annotate/types.h"
#include "emonet/error.h"

namespace emonet::annotate::http {
struct Request;
}

namespace emonet::annotate {

class Store;
class LoginLimiter;

// An error that carries the HTTP status to answer with ({"error": message}).
class HttpError : public Error {
 public:
  HttpError(int status, const std::string& message, std::string field = {})
      : Error(message, ErrorContext{"", 0, field}), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

// Milliseconds since the Unix epoch; tests replace it to move time forward.
using Clock = std::function<std::int64_t()>;
std::int64_t system_now_ms();

inline constexpr const char* kSessionCookie = "emonet_session";

// The raw token of the request's session cookie ("" if none).
std::string session_token(const http::Request& req);

class AppContext {
 public:
  AppContext(Store& store, ServerOptions options, Clock clock = system_now_ms);
  ~AppContext();
  AppContext(const AppContext&) = delete;
  AppContext& operator=(const AppContext&) = delete;

  Store& store() { return store_; }
  const ServerOptions& options() const { return options_; }
  std::int64_t now_ms() const { return clock_(); }
  LoginLimiter& login_limiter() { return *limiter_; }

  // The session of the request's `emonet_session` cookie, if it is valid and unexpired.
  std::optional<Session> session(const http::Request& req);
  // Whether the request carries the session's CSRF token (header X-CSRF-Token, or form
  // field csrf_token). The server checks the header for every state-changing request
  // before routing; a handler of a form POST must call this itself, because the form
  // body is read only after routing.
  bool csrf_ok(const http::Request& req, const Session& session);

  // GET /api/projects for `user`.
  nlohmann::json projects_json(const User& user);
  // GET /api/projects/{pid}; throws HttpError(404) for an unknown project.
  nlohmann::json project_json(const User& user, std::int64_t project_id);
  // GET /api/projects/{pid}/next?count=n; {"items": []} when nothing is left.
  nlohmann::json next_items_json(const User& user, std::int64_t project_id, int count);

 private:
  Store& store_;
  ServerOptions options_;
  Clock clock_;
  std::unique_ptr<LoginLimiter> limiter_;
};

}  // namespace emonet::annotate
