// Credentials: Argon2id password hashes (libsodium crypto_pwhash_str, interactive limits),
// random tokens for sessions and CSRF, SHA-256 for storing session tokens, and a
// login-failure rate limiter. All functions are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace emonet::annotate {

// Throws Error if the password is shorter than 8 bytes or longer than 1024 bytes.
std::string hash_password(const std::string& password);
bool verify_password(const std::string& password, const std::string& hash);

// 32 random bytes as unpadded base64url (43 characters).
std::string random_token();
std::string sha256_hex(const std::string& data);
// Constant-time comparison of two strings (CSRF tokens).
bool equal_constant_time(const std::string& a, const std::string& b);

// Counts failed logins per key ("ip:1.2.3.4", "user:alice") in a sliding window. A key
// over its limit is blocked until the window after its first counted failure ends.
class LoginLimiter {
 public:
  LoginLimiter(int per_ip, int per_account, std::int64_t window_ms)
      : per_ip_(per_ip), per_account_(per_account), window_ms_(window_ms) {}
  // Seconds until the IP or account may try again; 0 = allowed now.
  std::int64_t retry_after_s(const std::string& ip, const std::string& account,
                             std::int64_t now_ms);
  void record_failure(const std::string& ip, const std::string& account, std::int64_t now_ms);
  void record_success(const std::string& account);

 private:
  struct Window {
    std::int64_t start_ms = 0;
    int failures = 0;
  };
  std::int64_t blocked_for(const std::string& key, int limit, std::int64_t now_ms);
  void bump(const std::string& key, std::int64_t now_ms);

  int per_ip_;
  int per_account_;
  std::int64_t window_ms_;
  std::mutex mutex_;
  std::map<std::string, Window> windows_;
};

}  // namespace emonet::annotate
