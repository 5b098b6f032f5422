// Settings of `emonet annotate serve` (command-line flags map one to one).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace emonet::annotate {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                 // 0 = pick a free port (tests)
  std::string images_root;         // admin-created projects must live under it ("" = none)
  int threads = 16;                // request worker threads
  std::size_t max_body = 1 << 20;  // bytes; larger requests get 413
  int read_timeout_s = 10;
  int write_timeout_s = 10;
  std::int64_t session_seconds = 12 * 3600;
  bool secure_cookies = false;  // add `Secure` to the cookie (behind TLS)
  // Failed logins allowed per window before 429, per client IP and per account.
  int login_failures_per_ip = 20;
  int login_failures_per_account = 5;
  std::int64_t login_window_seconds = 300;
  bool log_requests = false;
};

}  // namespace emonet::annotate
