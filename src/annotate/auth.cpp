// Password hashing, tokens and login rate limiting (see auth.h).
#include "annotate/auth.h"

#include <sodium.h>

#include <stdexcept>

#include "emonet/error.h"

namespace emonet::annotate {
namespace {

void ensure_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw Error("libsodium failed to initialise");
}

}  // namespace

std::string hash_password(const std::string& password) {
  ensure_sodium();
  if (password.size() < 8)
    throw Error("password must be at least 8 characters", {"", 0, "password"});
  if (password.size() > 1024) throw Error("password is too long", {"", 0, "password"});
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw Error("out of memory while hashing the password");
  }
  return out;
}

bool verify_password(const std::string& password, const std::string& hash) {
  ensure_sodium();
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES || password.size() > 1024) {
    return false;
  }
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::string random_token() {
  ensure_sodium();
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char out[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, bytes, sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

std::string sha256_hex(const std::string& data) {
  ensure_sodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

bool equal_constant_time(const std::string& a, const std::string& b) {
  ensure_sodium();
  if (a.size() != b.size() || a.empty()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::int64_t LoginLimiter::blocked_for(const std::string& key, int limit, std::int64_t now_ms) {
  auto it = windows_.find(key);
  if (it == windows_.end()) return 0;
  const std::int64_t end = it->second.start_ms + window_ms_;
  if (now_ms >= end) {
    windows_.erase(it);
    return 0;
  }
  if (it->second.failures < limit) return 0;
  return (end - now_ms + 999) / 1000;
}

void LoginLimiter::bump(const std::string& key, std::int64_t now_ms) {
  auto& w = windows_[key];
  if (w.failures == 0 || now_ms >= w.start_ms + window_ms_) {
    w.start_ms = now_ms;
    w.failures = 0;
  }
  ++w.failures;
}

std::int64_t LoginLimiter::retry_after_s(const std::string& ip, const std::string& account,
                                         std::int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::max(blocked_for("ip:" + ip, per_ip_, now_ms),
                  blocked_for("user:" + account, per_account_, now_ms));
}

void LoginLimiter::record_failure(const std::string& ip, const std::string& account,
                                  std::int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  // Bound memory under a flood of distinct names: drop the table when it grows large.
  if (windows_.size() > 100000) windows_.clear();
  bump("ip:" + ip, now_ms);
  bump("user:" + account, now_ms);
}

void LoginLimiter::record_success(const std::string& account) {
  std::lock_guard<std::mutex> lock(mutex_);
  windows_.erase("user:" + account);
}

}  // namespace emonet::annotate
